// The line under a thread root (Element's thread summary): reply count, the last reply with its sender, the
// participants' avatars and the thread's unread count. One button: it opens the thread beside the room.
import { createContext, useContext, useEffect, useState } from 'react';
import { useStore } from 'zustand';
import type { Room } from 'matrix-js-sdk';
import { t } from '../../i18n';
import { Avatar } from '../../ui/Avatar';
import { HandleBadge } from '../identity/HandleBadge';
import { SenderName } from '../identity/SenderName';
import { createThreadsModel, SHOWN_PARTICIPANTS, type ThreadsModel, type ThreadsState } from '../../domain/room/threads';
import type { RoomViewModel } from '../../domain/room/roomViewModel';
import { navigate } from '../../state/navigation';
import { threadHref } from '../../domain/routes';

/** The open room's thread summaries, for the rows that are thread roots. */
export const ThreadsContext = createContext<{ model: ThreadsModel; roomId: string } | undefined>(undefined);

/** The room's thread summaries while a view shows it (StrictMode-safe: made and disposed by the same effect). */
export function useThreadsModel(room: Room, vm: RoomViewModel): ThreadsModel | undefined {
  const [model, setModel] = useState<ThreadsModel>();
  useEffect(() => {
    const made = createThreadsModel(room, vm);
    setModel(made);
    return () => made.dispose();
  }, [room, vm]);
  return model;
}

const emptyStore = { getState: () => ({ summaries: new Map() }), subscribe: () => () => undefined } as unknown as ThreadsModel;

/** Total unread notifications over the room's threads (for the Threads button). */
export function useThreadsUnread(model: ThreadsModel | undefined): number {
  return useStore(model ?? emptyStore, (s: ThreadsState) => {
    let total = 0;
    for (const summary of s.summaries.values()) total += summary.unread;
    return total;
  });
}

export function ThreadSummaryLine({ rootId }: { rootId: string }) {
  const threads = useContext(ThreadsContext);
  const summary = useStore(threads?.model ?? emptyStore, (s: ThreadsState) => s.summaries.get(rootId));
  if (!threads || !summary || summary.count === 0) return null;
  const latest = summary.latest;
  const name = latest?.profile.name ?? summary.participants[0]?.name ?? '';
  const label =
    summary.unread > 0
      ? t('threads.openUnread', { count: summary.count, unread: summary.unread, name })
      : t('threads.open', { count: summary.count, name });
  const shown = summary.participants.slice(0, SHOWN_PARTICIPANTS);
  const hidden = summary.participants.length - shown.length;
  return (
    <a
      href={threadHref(threads.roomId, rootId)}
      onClick={(event) => {
        event.preventDefault();
        navigate(threadHref(threads.roomId, rootId));
      }}
      aria-label={label}
      data-thread-summary={rootId}
      className="mt-1 flex max-w-xl items-center gap-2 rounded-md border border-line bg-surface-raised px-2 py-1 text-sm hover:bg-surface-muted focus-visible:outline-2 focus-visible:outline-indigo-500"
    >
      <span
        className="flex shrink-0 -space-x-1.5"
        title={t('threads.participants', { names: summary.participants.map((p) => p.name).join(', ') })}
      >
        {shown.map((p) => (
          <span key={p.identity} className="rounded-full ring-2 ring-surface-raised">
            <Avatar name={p.name} mxc={p.avatarMxc} seed={p.identity} size={20} />
          </span>
        ))}
        {hidden > 0 && <span className="pl-2 text-xs text-subtle">{t('threads.more', { count: hidden })}</span>}
      </span>
      <span className="shrink-0 font-medium text-accent-fg">{t('threads.replies', { count: summary.count })}</span>
      {latest && (
        <span className="flex min-w-0 items-baseline gap-1 text-subtle">
          <SenderName name={latest.profile.name} className="shrink-0 font-medium text-fg-soft" />
          <HandleBadge badge={latest.profile.badge} />
          <span className="truncate">{latest.text}</span>
        </span>
      )}
      {summary.unread > 0 && (
        <span
          data-thread-unread={summary.unread}
          className={`ml-auto shrink-0 rounded-full px-1.5 text-xs font-semibold text-white ${summary.highlight ? 'bg-red-600' : 'bg-indigo-600'}`}
        >
          {summary.unread}
        </span>
      )}
    </a>
  );
}
