import { WithheldKeysNotice } from './WithheldKeysNotice';
import { memo, useCallback, useEffect, useMemo, useRef, useState, type FormEvent, type ReactNode, type Ref, type RefObject } from 'react';
import type { Room } from 'matrix-js-sdk';
import { useClient } from '../../ui/clientContext';
import { IdentityResetAction } from '../identity/IdentityResetAction';
import { chatStore, useChat } from '../../state/chatStore';
import { describeMatrixError } from '../../matrix/errors';
import { ConfirmDialog, Dialog, DialogActions, FormError } from '../../ui/Dialog';
import { UserIdField } from '../../ui/UserIdField';
import { iconButton, secondaryButton } from '../../ui/controls';
import type { NoticeRowData, ReplyPreview, RoomRow, RoomViewModel } from '../../domain/room/roomViewModel';
import type { ThreadsModel } from '../../domain/room/threads';
import { shapeOf, TimelineList, type TimelineListHandle } from './TimelineList';
import { DaySeparator, MessageRow, NewMessagesLine, NoticeRow, PendingImageRow, type MessageActions } from './MessageRow';
import { Composer } from './Composer';
import { DropOverlay, useFileDrop } from './fileDrop';
import { MentionContext } from './Pills';
import { SentenceWithNames } from '../identity/SenderName';
import type { ReactorName } from './Reactions';
import {
  selectAnchored,
  selectCanLoadOlder,
  selectFocus,
  selectCanRedactOthers,
  selectHasMemberInfo,
  selectLoadError,
  selectLoadingNewer,
  selectLoadingOlder,
  selectMyIdentity,
  selectName,
  selectReaders,
  selectReadMarker,
  selectReadUntil,
  selectRows,
  selectTopic,
  selectTyping,
  selectUnverifiedChanges,
  useRoomView,
  useRoomViewModel,
} from './useRoomViewModel';
import { goHome, navigate, openRoom, useRoute } from '../../state/navigation';
import { threadHref, threadsHref, roomHref } from '../../domain/routes';
import { ThreadsContext, useThreadsModel, useThreadsUnread } from './ThreadSummary';
import { NotPortableNote, useRoomKeyFromServer } from '../portable/NotPortable';
import { IdentityInspector } from '../identity/IdentityInspector';
import { loadRoomMemberInfo } from '../../domain/identity/memberInfoFetch';
import { withHints } from '../../domain/rooms/roomList';
import { SearchButton, SearchPanel } from '../search/SearchPanel';
import { t } from '../../i18n';
import { logger } from '../../platform/logger';
import { isUserId } from '../../protocol';
import { firstUnreadRow } from '../../domain/room/readMarker';
import { LeaveRoomDialog } from '../roomSettings/LeaveRoomDialog';
import { RoomSettingsDialog } from '../roomSettings/RoomSettingsDialog';
import { JoinRequestsBanner } from '../members/JoinRequestsBanner';

const log = logger('chat');

export default function ChatView({ roomId, eventId }: { roomId: string /** A permalink's event, shown and marked. */; eventId?: string }) {
  const client = useClient();
  // A room just created or joined shows up with the next sync: its summary and its Room arrive together.
  useChat((s) => s.rooms.some((r) => r.roomId === roomId));
  const room = client.getRoom(roomId);
  if (!room)
    return (
      <div role="status" className="m-auto text-subtle">
        {t('chat.opening')}
      </div>
    );
  return <RoomChat room={room} eventId={eventId} />;
}

function RoomChat({ room, eventId }: { room: Room; eventId?: string }) {
  const client = useClient();
  const vm = useRoomViewModel(room);
  // What changes with each message (the rows, the readers, the read marker) is read by RoomTimeline, not here: a
  // message arriving renders the timeline, not the header, the composer, the dialogs and the banners around it.
  const name = useRoomView(vm, selectName);
  const typing = useRoomView(vm, selectTyping);
  const hasMemberInfo = useRoomView(vm, selectHasMemberInfo);
  const anchored = useRoomView(vm, selectAnchored);
  const unverifiedChanges = useRoomView(vm, selectUnverifiedChanges);
  const threads = useThreadsModel(room, vm);
  const threadsContext = useMemo(() => threads && { model: threads, roomId: room.roomId }, [threads, room]);
  const listRef = useRef<TimelineListHandle>(null);
  const [atBottom, setAtBottom] = useState(true);
  const [dialog, setDialog] = useState<RoomDialog | undefined>();
  /** The hidden quoted message the reader asked to see: the warning comes first. */
  const [toReveal, setToReveal] = useState<HiddenQuote | undefined>();
  /** The message the reader asked to delete: deleted once they confirm. */
  const [toDelete, setToDelete] = useState<string | undefined>();
  // The route's event: shown with its neighbours, from the live timeline or a window of history around it. A route
  // without one is the live end.
  useEffect(() => {
    if (eventId) void vm.getState().showEvent(eventId);
    else vm.getState().jumpToLatest();
  }, [vm, eventId]);
  // The fully-read marker where it was when this view opened the room: the "New messages" line goes before the first
  // message after it, and "Jump to first unread" takes the reader there (opening history around it if it is not loaded).
  useEffect(() => vm.getState().refreshReadMarker(), [vm]);
  const jumpToLatest = () => {
    if (eventId) openRoom(room.roomId);
    vm.getState().jumpToLatest();
    listRef.current?.scrollToLatest();
  };

  // The room's full member list, as soon as it opens (sync lazy-loads only the senders on screen): look-alike
  // warnings are computed over every member, whatever the timeline or the Members panel happened to load.
  const { loadMembers } = vm.getState();
  useEffect(() => loadMembers(), [loadMembers]);

  // After a reload the SDK resumes from its cached sync: the room's member_info comes from /members once.
  useEffect(() => {
    if (!hasMemberInfo && room.getVersion() !== '' && !/^\d+$/.test(room.getVersion()))
      void loadRoomMemberInfo(client, room.roomId).catch(log.ignored('member info not loaded; badges wait for the next sync'));
  }, [client, room, hasMemberInfo]);

  const actions: MessageActions = useMemo(() => {
    const state = vm.getState();
    return {
      onReply: (row) => state.startReply(row.event.id),
      onEdit: (row) => state.startEdit(row.event.id),
      onDelete: (row) => setToDelete(row.event.id),
      onRetry: (row) => state.retry(row.event.id),
      onDiscard: (row) => state.discard(row.event.id),
      onInspect: (row) => state.inspect(row.event.identity || row.event.sender),
      onToggleReaction: (row, key) => state.toggleReaction(row.event.id, key),
      onRevealQuote: (reply) => setToReveal(reply),
      onThread: (row) => navigate(threadHref(room.roomId, row.event.id)),
    };
  }, [vm, room]);
  const fileDrop = useFileDrop((files) => vm.getState().sendFiles(files));
  const mentionContext = useMemo(() => ({ vm, myUserId: client.getUserId() ?? '' }), [vm, client]);

  return (
    <section aria-label={name} className="relative flex min-w-0 flex-1 flex-col" {...fileDrop.handlers}>
      {fileDrop.dragging && <DropOverlay />}
      <RoomHeader room={room} vm={vm} threads={threads} onDialog={setDialog} />
      <JoinRequestsBanner vm={vm} />
      <MentionContext.Provider value={mentionContext}>
        <ThreadsContext.Provider value={threadsContext}>
          <RoomTimeline vm={vm} actions={actions} atBottom={atBottom} onAtBottomChange={setAtBottom} listRef={listRef} />
        </ThreadsContext.Provider>
      </MentionContext.Provider>
      {/* Jump to latest sits beside the typing line, under the timeline: it never covers the last message. */}
      <div className="flex min-h-5 items-center gap-2 px-4">
        <p aria-live="polite" className="min-w-0 flex-1 truncate text-xs text-subtle">
          {typing.length > 0 && (
            <SentenceWithNames
              format={(names) => t('chat.typing', { count: Math.min(typing.length, 3), names })}
              names={typing.slice(0, 3)}
            />
          )}
        </p>
        {(!atBottom || anchored) && (
          <button
            type="button"
            className="my-1 shrink-0 rounded-full bg-indigo-600 px-3 py-1 text-sm text-white shadow hover:bg-indigo-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-500"
            onClick={jumpToLatest}
          >
            {t('chat.jumpToLatest')}
          </button>
        )}
      </div>
      <WithheldKeysNotice vm={vm} />
      <Composer vm={vm} roomName={name} />
      <IdentityInspector client={client} room={room} />
      {dialog === 'invite' && <InviteDialog room={room} onClose={() => setDialog(undefined)} />}
      {dialog === 'leave' && <LeaveRoomDialog room={room} onClose={() => setDialog(undefined)} />}
      {dialog === 'settings' && <RoomSettingsDialog room={room} onClose={() => setDialog(undefined)} />}
      {dialog === 'unverified' && (
        <UnverifiedChangesDialog
          changes={unverifiedChanges}
          onShow={(eventId) => {
            setDialog(undefined);
            void vm.getState().showEvent(eventId);
          }}
          onClose={() => setDialog(undefined)}
        />
      )}
      {dialog === 'search' && <SearchPanel client={client} room={room} onClose={() => setDialog(undefined)} />}
      {toDelete && (
        <ConfirmDialog
          title={t('chat.delete.title')}
          body={t('chat.delete.intro')}
          confirm={t('chat.delete.submit')}
          onConfirm={() => vm.getState().redact(toDelete)}
          onClose={() => setToDelete(undefined)}
        />
      )}
      {toReveal && (
        <RevealQuoteDialog
          quote={toReveal}
          onReveal={() => {
            vm.getState().revealQuote(toReveal.eventId);
            setToReveal(undefined);
          }}
          onClose={() => setToReveal(undefined)}
        />
      )}
    </section>
  );
}

/**
 * The timeline of the open room and what moves with its rows: the "New messages" line and the jump to it, following
 * your own message to the end, filling the screen with history, read receipts. Memoised, and the only part of the
 * room's view that a new message renders (with its own new row).
 */
const RoomTimeline = memo(function RoomTimeline({
  vm,
  actions,
  atBottom,
  onAtBottomChange,
  listRef,
}: {
  vm: RoomViewModel;
  actions: MessageActions;
  atBottom: boolean;
  onAtBottomChange(atBottom: boolean): void;
  listRef: RefObject<TimelineListHandle | null>;
}) {
  const rows = useRoomView(vm, selectRows);
  const myIdentity = useRoomView(vm, selectMyIdentity);
  const readers = useRoomView(vm, selectReaders);
  const canRedactOthers = useRoomView(vm, selectCanRedactOthers);
  const canLoadOlder = useRoomView(vm, selectCanLoadOlder);
  const loadingOlder = useRoomView(vm, selectLoadingOlder);
  const error = useRoomView(vm, selectLoadError);
  const focus = useRoomView(vm, selectFocus);
  const anchored = useRoomView(vm, selectAnchored);
  const loadingNewer = useRoomView(vm, selectLoadingNewer);
  const readMarker = useRoomView(vm, selectReadMarker);
  const readUntil = useRoomView(vm, selectReadUntil);
  const { loadOlder, loadNewer, markRead } = vm.getState();
  const focusKey = useMemo(() => {
    if (focus?.status !== 'found') return undefined;
    return rows.find((r) => r.kind !== 'day' && r.event.id === focus.eventId)?.key;
  }, [rows, focus]);
  const unreadFrom = useMemo(() => firstUnreadRow(rows, readMarker, myIdentity, readUntil), [rows, readMarker, myIdentity, readUntil]);
  const markerLoaded = useMemo(
    () => !!readMarker && rows.findLast((r) => r.kind !== 'day' && r.event.id === readMarker) !== undefined,
    [rows, readMarker],
  );
  const [jumped, setJumped] = useState<string | undefined>();
  const unreadTarget = unreadFrom ?? (readMarker && !markerLoaded && !anchored ? readMarker : undefined);
  const showJumpToUnread = !!unreadTarget && jumped !== readMarker;
  const jumpToUnread = () => {
    if (!unreadTarget) return;
    setJumped(readMarker);
    void vm.getState().showEvent(unreadTarget);
  };
  // After the jump, the keyboard follows: the line takes the focus once it is on screen.
  // biome-ignore lint/correctness/useExhaustiveDependencies: rows and focus are when the line may have just rendered
  useEffect(() => {
    if (!jumped || jumped !== readMarker) return;
    const line = document.querySelector<HTMLElement>('[data-new-messages]');
    if (line && !line.contains(document.activeElement)) line.focus({ preventScroll: true });
  }, [jumped, readMarker, rows, focus]);
  // Your own message just sent follows you to the end, even from further up (a long message shows its end).
  const followedOwn = useRef<string | undefined>(undefined);
  useEffect(() => {
    const last = rows.at(-1);
    // An attachment being uploaded is always your own: followed from the moment its row (with the progress) appears.
    const own =
      last?.kind === 'upload' || (last?.kind === 'message' && last.event.identity === myIdentity && last.event.status === 'sending');
    if (!own) return;
    if (followedOwn.current === last.key || anchored) return;
    followedOwn.current = last.key;
    listRef.current?.scrollToLatest();
  }, [rows, myIdentity, anchored, listRef]);

  // Fill the screen: a short first page pulls older history until it scrolls.
  useEffect(() => {
    if (rows.length < 25 && canLoadOlder && !loadingOlder && !anchored) void loadOlder();
  }, [rows.length, canLoadOlder, loadingOlder, loadOlder, anchored]);

  // Read receipts: what is on screen at the bottom of a visible page has been read.
  const receipt = useRef<{ timer?: ReturnType<typeof setTimeout>; due: number; send?: () => void }>({ due: 0 });
  useEffect(() => {
    // Each new row at the bottom of a visible page is a chance to mark the room read: once the rows have settled
    // (a burst of messages sends one receipt), and after the new row is painted, not in the frame that paints it.
    // One timer for a burst, its deadline pushed back by each row, not a timer cleared and set again for every row.
    const pending = receipt.current;
    if (rows.length === 0 || !atBottom || document.visibilityState !== 'visible') {
      clearTimeout(pending.timer);
      pending.timer = undefined;
      return;
    }
    pending.due = performance.now() + receiptDelayMs;
    pending.send = () => void markRead().catch(log.ignored('read receipt not sent; the next update sends it again'));
    if (pending.timer !== undefined) return;
    const fire = () => {
      const wait = pending.due - performance.now();
      if (wait > 0) {
        pending.timer = setTimeout(fire, wait);
        return;
      }
      pending.timer = undefined;
      pending.send?.();
    };
    pending.timer = setTimeout(fire, receiptDelayMs);
  }, [markRead, rows, atBottom]);
  useEffect(() => {
    const pending = receipt.current;
    return () => {
      clearTimeout(pending.timer);
      pending.timer = undefined;
    };
  }, []);
  useEffect(() => {
    const onVisible = () =>
      document.visibilityState === 'visible' &&
      atBottom &&
      void markRead().catch(log.ignored('read receipt not sent; the next update sends it again'));
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [markRead, atBottom]);

  // Reactors are named like senders: by identity, so an impostor's reaction is not read as the real member's.
  const reactorName: ReactorName = useCallback((reactor) => vm.getState().profileOf(reactor).name, [vm]);
  const { retryUpload, cancelUpload } = vm.getState();

  // A row's shape for estimating its height (TimelineList): a "Seen by" line or the "New messages" line makes another.
  const rowShape = useCallback(
    (row: RoomRow) => {
      const shape = shapeOf(row);
      if (!shape || row.kind !== 'message') return shape;
      return `${shape}${readers.get(row.event.id)?.length ? '+seen' : ''}${row.event.id === unreadFrom ? '+unread' : ''}`;
    },
    [readers, unreadFrom],
  );
  const renderRow = useCallback(
    (row: RoomRow) => {
      if (row.kind === 'day') return <DaySeparator ts={row.ts} />;
      if (row.kind === 'notice') {
        const who = row.inspect;
        return (
          <NoticeRow
            text={t(row.text)}
            ts={row.event.ts}
            subject={row.subject}
            unverifiedActor={row.unverifiedActor}
            onInspect={who ? () => vm.getState().inspect(who) : undefined}
            warning={row.warning}
            action={
              row.identityAction ? (describedBy) => <IdentityResetAction {...row.identityAction!} describedBy={describedBy} /> : undefined
            }
          />
        );
      }
      if (row.kind === 'upload') return <PendingImageRow row={row} profile={row.profile} onRetry={retryUpload} onRemove={cancelUpload} />;
      const isOwn = row.event.identity === myIdentity;
      const message = (
        <MessageRow
          row={row}
          profile={row.profile}
          isOwn={isOwn}
          canDelete={isOwn || canRedactOthers}
          readers={readers.get(row.event.id)}
          reply={row.reply}
          actions={actions}
          myIdentity={myIdentity}
          reactorName={reactorName}
        />
      );
      if (row.event.id !== unreadFrom) return message;
      return (
        <>
          <NewMessagesLine />
          {message}
        </>
      );
    },
    [myIdentity, readers, actions, reactorName, canRedactOthers, retryUpload, cancelUpload, vm, unreadFrom],
  );

  const header =
    focus?.status === 'looking' ? (
      <span role="status" className="rounded-full bg-surface-strong px-3 py-1 text-xs">
        {t('chat.focus.looking')}
      </span>
    ) : focus?.status === 'missing' ? (
      <span role="status" className="rounded-full bg-warning-surface px-3 py-1 text-xs text-warning-fg">
        {t('chat.focus.missing')}
      </span>
    ) : loadingOlder || loadingNewer ? (
      <span role="status" className="rounded-full bg-surface-strong px-3 py-1 text-xs">
        {t(loadingOlder ? 'chat.loadingOlder' : 'chat.loadingNewer')}
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
    <>
      {showJumpToUnread && (
        <div className="flex justify-center border-b border-line bg-surface-muted px-2 py-1">
          <button
            type="button"
            className="rounded-full px-3 py-0.5 text-xs font-medium text-accent-fg hover:bg-surface-strong focus-visible:outline-2 focus-visible:outline-indigo-500"
            onClick={jumpToUnread}
          >
            ↑ {t('chat.jumpToUnread')}
          </button>
        </div>
      )}
      <TimelineList
        rows={rows}
        renderRow={renderRow}
        rowShape={rowShape}
        onNearTop={canLoadOlder ? () => void loadOlder() : undefined}
        onNearBottom={anchored ? () => void loadNewer() : undefined}
        followEnd={!anchored}
        onAtBottomChange={onAtBottomChange}
        header={header}
        handle={listRef}
        focusKey={focusKey}
      />
    </>
  );
});

type RoomDialog = 'invite' | 'leave' | 'search' | 'settings' | 'unverified';

/**
 * The room's header: its own component, so a message arriving (a new row) re-renders the timeline, not the header,
 * which changes only with what it shows (name, topic, hint, unverified changes, threads, the members panel).
 */
const RoomHeader = memo(function RoomHeader({
  room,
  vm,
  threads,
  onDialog,
}: {
  room: Room;
  vm: RoomViewModel;
  threads: ThreadsModel | undefined;
  onDialog(dialog: RoomDialog): void;
}) {
  const name = useRoomView(vm, selectName);
  const topic = useRoomView(vm, selectTopic);
  const unverifiedChanges = useRoomView(vm, selectUnverifiedChanges);
  const keyFromServer = useRoomKeyFromServer(room);
  const membersOpen = useChat((s) => s.membersOpen);
  const threadsUnread = useThreadsUnread(threads);
  const threadsOpen = useRoute((s) => s.route.kind === 'room' && s.route.panel?.kind === 'threads');
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
  // Selected as a string: the room list changes with every message (previews), the hint seldom.
  const hint = useChat((s) => hintOf(s.rooms, room.roomId));
  return (
    <header className="@container flex items-center gap-1 border-b border-line px-2 py-2 sm:gap-2">
      <button className={`${iconButton} max-sm:min-w-8 max-sm:px-1 md:hidden`} aria-label={t('chat.back')} onClick={() => goHome()}>
        ←
      </button>
      <div className="min-w-0 flex-1 px-1">
        <h1 className="truncate font-semibold">{name}</h1>
        {(hint || topic) && <p className="truncate text-xs text-subtle">{[hint, topic].filter(Boolean).join(' · ')}</p>}
        {unverifiedChanges.length > 0 && (
          <button
            type="button"
            className="block truncate rounded text-xs font-medium text-warning-fg underline focus-visible:outline-2 focus-visible:outline-indigo-500"
            onClick={() => onDialog('unverified')}
          >
            ⚠ {t('chat.unverifiedChanges', { count: unverifiedChanges.length })}
          </button>
        )}
        {keyFromServer && <NotPortableNote reason={t('rooms.notPortable.roomReason')} />}
      </div>
      <SearchButton onClick={() => onDialog('search')} />
      <HeaderAction
        label={threadsUnread > 0 ? t('threads.buttonUnread', { count: threadsUnread }) : t('threads.button')}
        title={t('threads.title')}
        icon={threadsIcon}
        pressed={threadsOpen}
        badge={threadsUnread}
        onClick={() => navigate(threadsOpen ? roomHref(room.roomId) : threadsHref(room.roomId))}
      />
      <HeaderAction label={t('chat.invite')} title={t('chat.inviteTitle')} icon={inviteIcon} onClick={() => onDialog('invite')} />
      <HeaderAction
        ref={membersButton}
        label={t('members.title')}
        title={t('members.title')}
        icon={membersIcon}
        pressed={membersOpen}
        onClick={() => chatStore.getState().toggleMembers()}
      />
      <HeaderAction
        label={t('roomSettings.open')}
        title={t('roomSettings.openTitle')}
        icon={settingsIcon}
        onClick={() => onDialog('settings')}
      />
      <HeaderAction label={t('chat.leave')} title={t('chat.leaveTitle')} icon={leaveIcon} onClick={() => onDialog('leave')} />
    </header>
  );
});

/**
 * A header action: an icon while the header is narrow (a phone, or a side panel beside the room), its word from 42rem
 * of header up; the accessible name is the word either way, and the title says it on hover. Keeps the room name
 * readable at phone width and beside the threads or members panel.
 */
function HeaderAction({
  label,
  title,
  icon,
  pressed,
  badge,
  onClick,
  ref,
}: {
  label: string;
  title: string;
  icon: ReactNode;
  pressed?: boolean;
  /** A count shown on the button (its label says it in words). */
  badge?: number;
  onClick(): void;
  ref?: Ref<HTMLButtonElement>;
}) {
  return (
    <button
      ref={ref}
      type="button"
      className={`${iconButton} @max-2xl:min-w-8 @max-2xl:px-1`}
      aria-label={label}
      title={title}
      aria-pressed={pressed}
      onClick={onClick}
    >
      <svg
        aria-hidden
        viewBox="0 0 20 20"
        className="h-5 w-5 @2xl:hidden"
        fill="none"
        stroke="currentColor"
        strokeWidth="2"
        strokeLinecap="round"
        strokeLinejoin="round"
      >
        {icon}
      </svg>
      <span aria-hidden className="hidden @2xl:inline">
        {badge !== undefined ? title : label}
      </span>
      {badge !== undefined && badge > 0 && (
        <span aria-hidden className="ml-1 rounded-full bg-indigo-600 px-1.5 text-xs font-semibold text-white">
          {badge}
        </span>
      )}
    </button>
  );
}

const inviteIcon = (
  <>
    <circle cx="8" cy="7" r="3" />
    <path d="M2.5 17a5.5 5.5 0 0 1 11 0M16 6v6M13 9h6" />
  </>
);
const membersIcon = (
  <>
    <circle cx="7" cy="7" r="3" />
    <path d="M1.5 17a5.5 5.5 0 0 1 11 0M13 4.5a3 3 0 0 1 0 5.5M15 12.5a5.5 5.5 0 0 1 3.5 4.5" />
  </>
);
const settingsIcon = (
  <>
    <circle cx="10" cy="10" r="2.5" />
    <path d="M10 2v2.5M10 15.5V18M2 10h2.5M15.5 10H18M4.3 4.3l1.8 1.8M13.9 13.9l1.8 1.8M4.3 15.7l1.8-1.8M13.9 6.1l1.8-1.8" />
  </>
);
const threadsIcon = (
  <>
    <path d="M3 4h14v9H9l-4 3v-3H3z" />
    <path d="M7 8h6" />
  </>
);
const leaveIcon = (
  <>
    <path d="M8 3H4v14h4M12 6l4 4-4 4M16 10H7" />
  </>
);

/** How long the rows must stay unchanged before a read receipt goes out. */
const receiptDelayMs = 100;

/** The words that tell this room apart from others of its name in the room list (undefined when it needs none). */
function hintOf(rooms: Parameters<typeof withHints>[0], roomId: string): string | undefined {
  return withHints(rooms).find((r) => r.roomId === roomId)?.hint;
}

/** User IDs are @localpart:server; catching typos here saves a round trip and a confusing server error. */
export function checkUserId(text: string): string | undefined {
  const value = text.trim();
  if (!value) return t('chat.invite.empty');
  if (!isUserId(value)) return t('chat.invite.badUserId');
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
      chatStore.getState().showNotice(t('chat.invite.done', { userId: userId.trim() }), 'info');
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
        <UserIdField label={t('chat.invite.userId')} value={userId} onChange={setUserId} />
        <FormError error={error} />
        <DialogActions submit={t('chat.invite.submit')} busy={busy} busyLabel={t('chat.invite.busy')} onCancel={onClose} />
      </form>
    </Dialog>
  );
}

type HiddenQuote = Extract<ReplyPreview, { kind: 'hidden' }>;

/** The warning before a message our server hid is fetched and shown: why it was hidden, and what that means. */
function RevealQuoteDialog({ quote, onReveal, onClose }: { quote: HiddenQuote; onReveal: () => void; onClose: () => void }) {
  const why =
    quote.reason === 'unverified'
      ? t('chat.reveal.unverified')
      : quote.reason === 'pending'
        ? t('chat.reveal.pending')
        : t('chat.reveal.refused');
  return (
    <Dialog title={t('chat.reveal.title')} onClose={onClose}>
      <form
        className="space-y-3"
        onSubmit={(event) => {
          event.preventDefault();
          onReveal();
        }}
      >
        <p role="alert" className="rounded-md border border-warning-line bg-warning-surface p-3 text-sm text-warning-fg">
          {why}
        </p>
        {quote.profile && (
          <p className="text-sm">{t('chat.reveal.sender', { name: quote.profile.name, handle: quote.profile.handleLabel })}</p>
        )}
        <DialogActions submit={t('chat.reveal.confirm')} onCancel={onClose} />
      </form>
    </Dialog>
  );
}

const changeTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** The loaded state changes sent by unverified members, each with the way to it in the timeline. */
function UnverifiedChangesDialog({
  changes,
  onShow,
  onClose,
}: {
  changes: readonly NoticeRowData[];
  onShow(eventId: string): void;
  onClose(): void;
}) {
  return (
    <Dialog title={t('chat.unverifiedChanges.title')} onClose={onClose}>
      <p className="text-sm">{t('chat.unverifiedChanges.intro')}</p>
      <ul className="max-h-80 space-y-2 overflow-y-auto text-sm">
        {changes.map((row) => (
          <li key={row.key} data-testid="unverified-change" className="flex flex-wrap items-baseline justify-between gap-2">
            <span>
              {t(row.text)} <span className="text-xs text-subtle">· {changeTime.format(row.event.ts)}</span>
            </span>
            <button type="button" className={`${secondaryButton} text-xs`} onClick={() => onShow(row.event.id)}>
              {t('chat.unverifiedChanges.show')}
            </button>
          </li>
        ))}
      </ul>
      <div className="flex justify-end">
        <button type="button" className={secondaryButton} onClick={onClose}>
          {t('common.close')}
        </button>
      </div>
    </Dialog>
  );
}
