import { useCallback, useMemo, useRef, useState } from 'react';
import type { Room } from 'matrix-js-sdk';
import { useClient } from '../../ui/clientContext';
import { useChat } from '../../state/chatStore';
import { buildTimelineRows, withPendingUploads, type TimelineRow } from './timeline';
import { useRoomUploads } from './imageUpload';
import { roomTimelineEvents } from './fromSdk';
import { describeSender, memberIdentity, nameOfUser } from '../../domain/identity/describeSender';
import { withHandleChangeNotices } from './handleChanges';

/** Rows for a room (its images still uploading at the end), re-derived whenever the bindings bump its revision; plus back-pagination. */
export function useRoomTimeline(room: Room | null) {
  const client = useClient();
  const revision = useChat((s) => (room ? (s.roomRevision[room.roomId] ?? 0) : 0));
  // biome-ignore lint/correctness/useExhaustiveDependencies: revision stands for the mutable Room's changes (the view models of issue 13 item 1 replace this)
  const eventRows: TimelineRow[] = useMemo(
    () => {
      if (!room) return [];
      const events = roomTimelineEvents(room, memberIdentity(room, client.getUserId() ?? ''));
      // Grouping keys on identity; a key's handle change is an inline notice that keeps its group together.
      return withHandleChangeNotices(events, buildTimelineRows(events, (id) => nameOfUser(room, id)), (identity) => {
        const profile = describeSender(room, { identity, sender: identity });
        return { name: profile.name, verified: profile.badge.kind === 'verified' || profile.badge.kind === 'plain' };
      });
    },
    [client, room, revision],
  );
  const uploads = useRoomUploads(room?.roomId ?? '');
  const rows = useMemo(() => {
    if (!room || uploads.length === 0) return eventRows;
    const me = client.getUserId() ?? '';
    return withPendingUploads(eventRows, uploads, { sender: me, identity: memberIdentity(room, me) });
  }, [client, room, eventRows, uploads]);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [error, setError] = useState<unknown>();
  const busy = useRef(false);
  const canLoadOlder = !!room && room.oldState.paginationToken !== null;

  const loadOlder = useCallback(async () => {
    if (!room || busy.current || room.oldState.paginationToken === null) return;
    busy.current = true;
    setLoadingOlder(true);
    setError(undefined);
    try {
      await client.scrollback(room, 50);
    } catch (err) {
      setError(err);
    } finally {
      busy.current = false;
      setLoadingOlder(false);
    }
  }, [client, room]);

  return { rows, loadOlder, loadingOlder, canLoadOlder, error, revision };
}
