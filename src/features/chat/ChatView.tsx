import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent } from 'react';
import type { Room } from 'matrix-js-sdk';
import { useClient } from '../../ui/clientContext';
import { goHome } from '../../state/navigation';
import { chatStore, useChat } from '../../state/chatStore';
import { describeMatrixError } from '../../matrix/errors';
import { Dialog, DialogActions, FormError } from '../../ui/Dialog';
import { iconButton, inputClass, primaryButton, secondaryButton } from '../../ui/controls';
import { TimelineList, type TimelineListHandle } from './TimelineList';
import { DaySeparator, MessageRow, NoticeRow, PendingImageRow, type MessageActions, type ReplyPreview } from './MessageRow';
import { removeUpload, retryUpload } from './imageUpload';
import { Composer } from './Composer';
import { useRoomTimeline } from './useRoomTimeline';
import { useFocusedEvent } from './useFocusedEvent';
import { markRead, readersByEvent } from './receipts';
import { findSdkEvent } from './fromSdk';
import { toggleReaction } from './toggleReaction';
import type { ReactorName } from './Reactions';
import { editableText } from './composerContent';
import { previewText } from './sanitize';
import type { TimelineRow } from './timeline';
import { describeSender, memberIdentity, nameOfUser } from '../../domain/identity/describeSender';
import { identityStore, useIdentity } from '../../domain/identity/identityStore';
import { IdentityInspector } from '../identity/IdentityInspector';
import { loadRoomMemberInfo } from '../../domain/identity/memberInfoFetch';
import { withHints } from '../../domain/rooms/roomList';
import { SearchButton, SearchPanel } from '../search/SearchPanel';
import { t } from '../../i18n';
import { logger } from '../../platform/logger';
import { isUserId } from '../../protocol';

const log = logger('chat');

export default function ChatView({ roomId, eventId }: { roomId: string; /** A permalink's event, shown and marked. */ eventId?: string }) {
  const client = useClient();
  const revision = useChat((s) => s.roomRevision[roomId] ?? 0);
  const room = client.getRoom(roomId);
  // A room just created or joined shows up with the next sync.
  if (!room)
    return (
      <div role="status" className="m-auto text-subtle">
        {t('chat.opening')}
      </div>
    );
  return <RoomChat room={room} revision={revision} eventId={eventId} />;
}

function RoomChat({ room, revision, eventId }: { room: Room; revision: number; eventId?: string }) {
  const client = useClient();
  const me = client.getUserId() ?? '';
  const myIdentity = memberIdentity(room, me);
  const { rows, loadOlder, loadingOlder, canLoadOlder, error } = useRoomTimeline(room);
  const focus = useFocusedEvent(rows, eventId, { canLoadOlder, loadingOlder, loadOlder });
  // Link changes (member_info) and browser checks re-render every sender of the room at once.
  const identityRevision = useIdentity((s) => `${s.revision[room.roomId] ?? 0}|${s.browserRevision}`);
  const hasMemberInfo = useIdentity((s) => s.memberInfo[room.roomId] !== undefined);
  const membersOpen = useChat((s) => s.membersOpen);
  // Closing the members panel takes the focus with it (its close button is gone): give it back to the
  // button that opens the panel, unless the reader has already put it somewhere.
  const membersButton = useRef<HTMLButtonElement>(null);
  const membersWereOpen = useRef(membersOpen);
  useEffect(() => {
    const active = document.activeElement;
    if (membersWereOpen.current && !membersOpen && (!active || active === document.body)) membersButton.current?.focus();
    membersWereOpen.current = membersOpen;
  }, [membersOpen]);
  // The same words that tell this room apart from others of its name in the room list.
  const rooms = useChat((s) => s.rooms);
  const hint = useMemo(() => withHints(rooms).find((r) => r.roomId === room.roomId)?.hint, [rooms, room.roomId]);
  const listRef = useRef<TimelineListHandle>(null);
  const [atBottom, setAtBottom] = useState(true);
  const [dialog, setDialog] = useState<'invite' | 'leave' | 'search' | undefined>();

  // biome-ignore lint/correctness/useExhaustiveDependencies: revision stands for the mutable Room's changes (the view models of issue 13 item 1 replace this)
  const readers = useMemo(() => readersByEvent(room, me), [room, me, revision]);
  const byId = useMemo(() => {
    const map = new Map<string, Extract<TimelineRow, { kind: 'message' }>>();
    for (const row of rows) if (row.kind === 'message') map.set(row.event.id, row);
    return map;
  }, [rows]);
  const canRedactOthers = room.currentState.hasSufficientPowerLevelFor('redact', room.getMember(me)?.powerLevel ?? 0);

  // After a reload the SDK resumes from its cached sync: the room's member_info comes from /members once.
  useEffect(() => {
    if (!hasMemberInfo && room.getVersion() !== '' && !/^\d+$/.test(room.getVersion())) void loadRoomMemberInfo(client, room.roomId).catch(log.ignored('member info not loaded; badges wait for the next sync'));
  }, [client, room, hasMemberInfo]);

  // Fill the screen: a short first page pulls older history until it scrolls.
  useEffect(() => {
    if (rows.length < 25 && canLoadOlder && !loadingOlder) void loadOlder();
  }, [rows.length, canLoadOlder, loadingOlder, loadOlder]);

  // Read receipts: what is on screen at the bottom of a visible page has been read.
  // biome-ignore lint/correctness/useExhaustiveDependencies: each change of the room's revision is a chance to mark it read
  useEffect(() => {
    if (!atBottom || document.visibilityState !== 'visible') return;
    void markRead(client, room).catch(log.ignored('read receipt not sent; the next update sends it again'));
  }, [client, room, revision, atBottom]);
  useEffect(() => {
    const onVisible = () => document.visibilityState === 'visible' && atBottom && void markRead(client, room).catch(log.ignored('read receipt not sent; the next update sends it again'));
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [client, room, atBottom]);

  const actions: MessageActions = useMemo(
    () => ({
      onReply(row) {
        const profile = describeSender(room, row.event);
        chatStore.getState().setComposerMode(room.roomId, {
          kind: 'reply',
          eventId: row.event.id,
          senderName: profile.name,
          preview: previewText(row.content).slice(0, 120),
        });
      },
      onEdit(row) {
        chatStore.getState().setComposerMode(room.roomId, { kind: 'edit', eventId: row.event.id, originalBody: editableText(row.content) });
        chatStore.getState().setDraft(room.roomId, editableText(row.content));
      },
      onDelete(row) {
        client.redactEvent(room.roomId, row.event.id).catch((err) => chatStore.getState().showNotice(describeMatrixError(err, t('chat.deleteFailed'))));
      },
      onRetry(row) {
        const event = findSdkEvent(room, row.event.id);
        if (event) client.resendEvent(event, room).catch(log.ignored('resend failed; the message stays not sent with its Retry'));
      },
      onDiscard(row) {
        const event = findSdkEvent(room, row.event.id);
        if (event) client.cancelPendingEvent(event);
      },
      onInspect(row) {
        identityStore.getState().openInspector(room.roomId, row.event.identity || row.event.sender);
      },
      onToggleReaction(row, key) {
        void toggleReaction(client, room, row.event.id, row.reactions, key, myIdentity);
      },
    }),
    [client, room, myIdentity],
  );
  // Reactors are named like senders: by identity, so an impostor's reaction is not read as the real member's.
  const reactorName: ReactorName = useCallback((reactor) => describeSender(room, reactor).name, [room]);

  const retryPendingUpload = useCallback((id: string) => retryUpload(client, id), [client]);
  const removePendingUpload = useCallback((id: string) => removeUpload(client, id), [client]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: identityRevision stands for the mutable Room's changes (the view models of issue 13 item 1 replace this)
  const renderRow = useCallback(
    (row: TimelineRow) => {
      if (row.kind === 'day') return <DaySeparator ts={row.ts} />;
      if (row.kind === 'notice') {
        const subject = row.event.subject ? describeSender(room, { identity: row.event.subject, sender: row.event.stateKey ?? row.event.subject }) : undefined;
        return <NoticeRow text={t(row.text)} ts={row.event.ts} subject={subject} />;
      }
      const profile = describeSender(room, row.event);
      if (row.kind === 'upload') return <PendingImageRow row={row} profile={profile} onRetry={retryPendingUpload} onRemove={removePendingUpload} />;
      const isOwn = row.event.identity === myIdentity;
      let reply: ReplyPreview | undefined;
      if (row.replyTo) {
        const target = byId.get(row.replyTo);
        reply = target
          ? { name: describeSender(room, target.event).name, text: target.event.redacted ? t('chat.deleted') : previewText(target.content) }
          : { name: 'A message', text: 'not loaded' };
      }
      return (
        <MessageRow
          row={row}
          profile={profile}
          isOwn={isOwn}
          canDelete={isOwn || canRedactOthers}
          readers={readers.get(row.event.id)}
          reply={reply}
          actions={actions}
          myIdentity={myIdentity}
          reactorName={reactorName}
        />
      );
    },
    [room, myIdentity, byId, readers, actions, reactorName, canRedactOthers, identityRevision, retryPendingUpload, removePendingUpload],
  );

  const typing = room
    .getJoinedMembers()
    .filter((m) => m.typing && m.userId !== me)
    .map((m) => nameOfUser(room, m.userId));
  const topic = room.currentState.getStateEvents('m.room.topic', '')?.getContent().topic as string | undefined;

  const header = focus.status === 'looking' ? (
    <span role="status" className="rounded-full bg-surface-strong px-3 py-1 text-xs">
      Finding the message…
    </span>
  ) : focus.status === 'missing' ? (
    <span role="status" className="rounded-full bg-warning-surface px-3 py-1 text-xs text-warning-fg">
      The linked message is not in the loaded history.
    </span>
  ) : loadingOlder ? (
    <span role="status" className="rounded-full bg-surface-strong px-3 py-1 text-xs">
      {t('chat.loadingOlder')}
    </span>
  ) : error ? (
    <span role="alert" className="pointer-events-auto rounded-full bg-danger-surface px-3 py-1 text-xs text-danger-fg">
      {describeMatrixError(error, t('chat.historyFailed'))}{' '}
      <button className="underline" onClick={() => void loadOlder()}>
        {t('chat.tryAgain')}
      </button>
    </span>
  ) : null;

  return (
    <section aria-label={room.name} className="flex min-w-0 flex-1 flex-col">
      <header className="flex items-center gap-2 border-b border-line px-2 py-2">
        <button className={`${iconButton} md:hidden`} aria-label={t('chat.back')} onClick={() => goHome()}>
          ←
        </button>
        <div className="min-w-0 flex-1 px-1">
          <h1 className="truncate font-semibold">{room.name}</h1>
          {(hint || topic) && <p className="truncate text-xs text-subtle">{[hint, topic].filter(Boolean).join(' · ')}</p>}
        </div>
        <SearchButton onClick={() => setDialog('search')} />
        <button className={iconButton} onClick={() => setDialog('invite')}>
          {t('chat.invite')}
        </button>
        <button ref={membersButton} className={iconButton} aria-pressed={membersOpen} onClick={() => chatStore.getState().toggleMembers()}>
          {t('members.title')}
        </button>
        <button className={iconButton} onClick={() => setDialog('leave')}>
          {t('chat.leave')}
        </button>
      </header>
      <TimelineList
        rows={rows}
        renderRow={renderRow}
        onNearTop={canLoadOlder ? () => void loadOlder() : undefined}
        onAtBottomChange={setAtBottom}
        header={header}
        handle={listRef}
        focusKey={focus.focusKey}
      />
      <div className="relative">
        {!atBottom && (
          <button
            className="absolute -top-12 right-4 rounded-full bg-indigo-600 px-3 py-1.5 text-sm text-white shadow-lg hover:bg-indigo-500"
            onClick={() => listRef.current?.scrollToLatest()}
          >
            {t('chat.jumpToLatest')}
          </button>
        )}
        <p aria-live="polite" className="h-5 px-4 text-xs text-subtle">
          {typing.length > 0 ? t('chat.typing', { count: Math.min(typing.length, 3), names: typing.slice(0, 3).join(', ') }) : ''}
        </p>
      </div>
      <Composer client={client} room={room} rows={rows} />
      <IdentityInspector client={client} room={room} />
      {dialog === 'invite' && <InviteDialog room={room} onClose={() => setDialog(undefined)} />}
      {dialog === 'leave' && <LeaveDialog room={room} onClose={() => setDialog(undefined)} />}
      {dialog === 'search' && <SearchPanel client={client} room={room} onClose={() => setDialog(undefined)} />}
    </section>
  );
}

/** User IDs are @localpart:server; catching typos here saves a round trip and a confusing server error. */
export function checkUserId(text: string): string | undefined {
  const value = text.trim();
  if (!value) return t('chat.invite.empty');
  if (!isUserId(value)) return 'A user ID looks like @alice:example.org.';
  return undefined;
}

function InviteDialog({ room, onClose }: { room: Room; onClose: () => void }) {
  const client = useClient();
  const [userId, setUserId] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const problem = checkUserId(userId);
    if (problem) return setError(problem);
    setBusy(true);
    try {
      await client.invite(room.roomId, userId.trim());
      chatStore.getState().showNotice(`Invited ${userId.trim()}.`, 'info');
      onClose();
    } catch (err) {
      setError(describeMatrixError(err, t('chat.invite.failed')));
    } finally {
      setBusy(false);
    }
  }
  return (
    <Dialog title={t('chat.invite.title', { room: room.name })} onClose={onClose}>
      <form className="space-y-3" onSubmit={onSubmit} noValidate>
        <label className="block space-y-1">
          <span className="text-sm">{t('chat.invite.userId')}</span>
          <input className={inputClass} value={userId} onChange={(e) => setUserId(e.target.value)} placeholder="@alice:example.org" autoFocus spellCheck={false} />
        </label>
        <FormError error={error} />
        <DialogActions submit={t('chat.invite.submit')} busy={busy} busyLabel={t('chat.invite.busy')} onCancel={onClose} />
      </form>
    </Dialog>
  );
}

function LeaveDialog({ room, onClose }: { room: Room; onClose: () => void }) {
  const client = useClient();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  async function leave() {
    setBusy(true);
    try {
      await client.leave(room.roomId);
      goHome({ replace: true });
      onClose();
    } catch (err) {
      setError(describeMatrixError(err, t('chat.leave.failed')));
      setBusy(false);
    }
  }
  return (
    <Dialog title={t('chat.leave.title', { room: room.name })} onClose={onClose}>
      <p className="text-sm">{t('chat.leave.intro')}</p>
      <FormError error={error} />
      <div className="flex justify-end gap-2">
        <button className={secondaryButton} onClick={onClose}>
          {t('chat.leave.stay')}
        </button>
        <button className={`${primaryButton} bg-red-600 hover:bg-red-500`} disabled={busy} onClick={() => void leave()}>
          {t('chat.leave.submit')}
        </button>
      </div>
    </Dialog>
  );
}
