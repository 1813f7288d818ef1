// Beside the room: its list of threads (all, or mine), or one thread to read and reply in. The route names which
// (#/room/{room}/threads, #/room/{room}/thread/{root}): the URL is the selection, so Back and links work.
// On a phone the panel covers the room as a modal dialog, like the members panel.
import { useCallback, useEffect, useMemo, useRef, useState, type HTMLAttributes, type KeyboardEvent, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { Room } from 'matrix-js-sdk';
import { t } from '../../i18n';
import { useClient } from '../../ui/clientContext';
import { chatStore, useChat } from '../../state/chatStore';
import { navigate } from '../../state/navigation';
import { roomHref, threadHref, threadsHref, type RoomPanel } from '../../domain/routes';
import { iconButton, secondaryButton } from '../../ui/controls';
import { ConfirmDialog } from '../../ui/Dialog';
import { phoneQuery, useMediaQuery } from '../../ui/useMediaQuery';
import { Avatar } from '../../ui/Avatar';
import { HandleBadge } from '../identity/HandleBadge';
import { SenderName } from '../identity/SenderName';
import {
  createThreadListModel,
  createThreadViewModel,
  type ThreadListItem,
  type ThreadListModel,
  type ThreadListState,
  type ThreadViewModel,
  type ThreadViewState,
} from '../../domain/room/threads';
import { editableText } from '../../domain/room/composerContent';
import type { RoomViewModel } from '../../domain/room/roomViewModel';
import { DaySeparator, MessageRow, PendingImageRow, type MessageActions } from './MessageRow';
import { Composer, threadComposerKey } from './Composer';
import { MentionContext } from './Pills';
import { DropOverlay, useFileDrop } from './fileDrop';
import { selectCanRedactOthers, selectMyIdentity, useRoomView, useRoomViewModel } from './useRoomViewModel';
import type { ReactorName } from './Reactions';
import { logger } from '../../platform/logger';

const log = logger('threads');

export default function ThreadsPanel({ roomId, panel }: { roomId: string; panel: RoomPanel }) {
  const client = useClient();
  useChat((s) => s.rooms.some((r) => r.roomId === roomId));
  const room = client.getRoom(roomId);
  if (!room) return null;
  return <RoomThreads room={room} panel={panel} />;
}

function RoomThreads({ room, panel }: { room: Room; panel: RoomPanel }) {
  const vm = useRoomViewModel(room);
  return panel.kind === 'threads' ? (
    <ThreadList room={room} vm={vm} />
  ) : (
    <ThreadView key={panel.rootId} room={room} vm={vm} rootId={panel.rootId} />
  );
}

/** The panel's frame: a complementary region (a modal dialog on a phone); Escape closes it. */
function PanelFrame({
  label,
  title,
  actions,
  children,
  dropZone,
}: {
  label: string;
  title: ReactNode;
  actions: ReactNode;
  children: ReactNode;
  /** Files dropped on the panel (a thread's: they are sent into it). */
  dropZone?: { dragging: boolean; handlers: HTMLAttributes<HTMLElement> };
}) {
  const phone = useMediaQuery(phoneQuery);
  const ref = useRef<HTMLElement>(null);
  useEffect(() => {
    if (phone && !ref.current?.contains(document.activeElement)) ref.current?.querySelector<HTMLElement>('button, a, textarea')?.focus();
  }, [phone]);
  function onKeyDown(event: KeyboardEvent<HTMLElement>) {
    // Only keys pressed in the panel itself: a dialog of its own (delete, the inspector) handles its own Escape.
    if (event.key !== 'Escape' || event.defaultPrevented || !event.currentTarget.contains(event.target as Node)) return;
    event.preventDefault();
    const close = event.currentTarget.querySelector<HTMLElement>('[data-panel-close]');
    close?.click();
  }
  return (
    <aside
      ref={ref}
      aria-label={label}
      {...(phone ? { role: 'dialog', 'aria-modal': true } : {})}
      onKeyDown={onKeyDown}
      {...dropZone?.handlers}
      className="fixed inset-0 z-40 flex w-full flex-col bg-surface md:relative md:inset-auto md:w-96 md:shrink-0 md:border-l md:border-line"
    >
      {dropZone?.dragging && <DropOverlay />}
      <header className="flex items-center gap-1 border-b border-line p-2">
        <h2 className="min-w-0 flex-1 truncate px-1 font-semibold">{title}</h2>
        {actions}
      </header>
      {children}
    </aside>
  );
}

/** A model while the view shows it (StrictMode-safe: made and disposed by one effect); `make` is memoised by the caller. */
function useModel<M extends { dispose(): void }>(make: () => M): M | undefined {
  const [model, setModel] = useState<M>();
  useEffect(() => {
    const made = make();
    setModel(made);
    return () => made.dispose();
  }, [make]);
  return model;
}

// ---- the list ----

const noList = {
  getState: () => ({ filter: 'all', items: [], loading: true, canLoadMore: false }),
  subscribe: () => () => undefined,
} as unknown as ThreadListModel;

function ThreadList({ room, vm }: { room: Room; vm: RoomViewModel }) {
  const client = useClient();
  const model = useModel(useCallback(() => createThreadListModel(client, room, vm), [client, room, vm]));
  const state = useStore(model ?? noList, (s: ThreadListState) => s);
  const close = () => navigate(roomHref(room.roomId));
  return (
    <PanelFrame
      label={t('threads.title')}
      title={t('threads.title')}
      actions={
        <button type="button" data-panel-close className={iconButton} aria-label={t('threads.close')} onClick={close}>
          ✕
        </button>
      }
    >
      <fieldset className="flex gap-1 border-b border-line p-2">
        <legend className="sr-only">{t('threads.filter')}</legend>
        {(['all', 'mine'] as const).map((filter) => (
          <button
            key={filter}
            type="button"
            aria-pressed={state.filter === filter}
            className={`rounded-full px-3 py-1 text-sm focus-visible:outline-2 focus-visible:outline-indigo-500 ${
              state.filter === filter ? 'bg-indigo-600 text-white' : 'hover:bg-surface-muted'
            }`}
            onClick={() => model?.getState().setFilter(filter)}
          >
            {t(filter === 'all' ? 'threads.all' : 'threads.mine')}
          </button>
        ))}
      </fieldset>
      <div className="min-h-0 flex-1 overflow-y-auto p-2">
        {state.items.length > 0 && (
          <ul className="space-y-1" aria-label={t(state.filter === 'all' ? 'threads.all' : 'threads.mine')}>
            {state.items.map((item) => (
              <li key={item.rootId}>
                <ThreadListEntry roomId={room.roomId} item={item} />
              </li>
            ))}
          </ul>
        )}
        {state.loading && (
          <p role="status" className="p-2 text-sm text-subtle">
            {t('threads.loading')}
          </p>
        )}
        {!state.loading && state.error !== undefined && (
          <p role="alert" className="p-2 text-sm text-danger">
            {t('threads.failed')}{' '}
            <button type="button" className="underline" onClick={() => void model?.getState().refresh()}>
              {t('chat.tryAgain')}
            </button>
          </p>
        )}
        {!state.loading && state.error === undefined && state.items.length === 0 && (
          <p className="p-2 text-sm text-subtle">{t(state.filter === 'all' ? 'threads.empty' : 'threads.emptyMine')}</p>
        )}
        {state.canLoadMore && !state.loading && (
          <button type="button" className={`${secondaryButton} mt-2 w-full text-sm`} onClick={() => void model?.getState().loadMore()}>
            {t('threads.loadMore')}
          </button>
        )}
      </div>
    </PanelFrame>
  );
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

function ThreadListEntry({ roomId, item }: { roomId: string; item: ThreadListItem }) {
  const href = threadHref(roomId, item.rootId);
  const { root, latest } = item;
  return (
    <a
      href={href}
      data-thread-item={item.rootId}
      onClick={(event) => {
        event.preventDefault();
        navigate(href);
      }}
      className="flex gap-2 rounded-md p-2 hover:bg-surface-muted focus-visible:outline-2 focus-visible:outline-indigo-500"
    >
      <Avatar name={root.profile.name} mxc={root.profile.avatarMxc} seed={root.profile.identity} size={32} />
      <span className="min-w-0 flex-1">
        <span className="flex min-w-0 items-baseline gap-1.5">
          <SenderName name={root.profile.name} className="truncate font-semibold" />
          <HandleBadge badge={root.profile.badge} />
          <span className="ml-auto shrink-0 text-xs text-subtle">{timeFormat.format(latest?.ts ?? root.ts)}</span>
        </span>
        <span className="line-clamp-2 block text-sm">{root.text}</span>
        <span className="mt-0.5 flex min-w-0 items-baseline gap-1 text-xs text-subtle">
          <span className="shrink-0 font-medium text-accent-fg">{t('threads.replies', { count: item.count })}</span>
          {latest && (
            <>
              <span aria-hidden>·</span>
              <SenderName name={latest.profile.name} className="shrink-0 font-medium" />
              <HandleBadge badge={latest.profile.badge} />
              <span className="truncate">{latest.text}</span>
            </>
          )}
          {item.unread > 0 && (
            <span
              data-thread-unread={item.unread}
              className={`ml-auto shrink-0 rounded-full px-1.5 font-semibold text-white ${item.highlight ? 'bg-red-600' : 'bg-indigo-600'}`}
            >
              <span className="sr-only">{t('threads.unread', { count: item.unread })}</span>
              <span aria-hidden>{item.unread}</span>
            </span>
          )}
        </span>
      </span>
    </a>
  );
}

// ---- one thread ----

const noThread = {
  getState: () => ({ rows: [], status: 'loading', canLoadOlder: false, loadingOlder: false, mode: { kind: 'normal' } }),
  subscribe: () => () => undefined,
} as unknown as ThreadViewModel;
const selectThread = (s: ThreadViewState) => s;

function ThreadView({ room, vm, rootId }: { room: Room; vm: RoomViewModel; rootId: string }) {
  const client = useClient();
  const model = useModel(useCallback(() => createThreadViewModel(client, room, rootId, vm), [client, room, rootId, vm]));
  const state = useStore(model ?? noThread, selectThread);
  const myIdentity = useRoomView(vm, selectMyIdentity);
  const canRedactOthers = useRoomView(vm, selectCanRedactOthers);
  const [toDelete, setToDelete] = useState<string>();
  const list = useRef<HTMLDivElement>(null);
  const root = state.rows.find((r) => r.kind === 'message' && r.event.id === rootId);
  const rootName = root?.kind === 'message' ? root.profile.name : undefined;
  const composerKey = threadComposerKey(room.roomId, rootId);
  const focusComposer = useCallback(
    () => list.current?.parentElement?.querySelector<HTMLTextAreaElement>('textarea[aria-autocomplete]')?.focus(),
    [],
  );
  const thread = useMemo(() => (model ? { rootId, model } : undefined), [model, rootId]);
  const mentionContext = useMemo(() => ({ vm, myUserId: client.getUserId() ?? '' }), [vm, client]);
  const fileDrop = useFileDrop((files) => vm.getState().sendFiles(files, rootId));
  const { retryUpload, cancelUpload } = vm.getState();

  const actions: MessageActions = useMemo(
    () => ({
      onReply: focusComposer,
      onEdit: (row) => {
        // The same message box as the room's: its edit mode and draft, under this thread's key.
        chatStore.getState().setComposerMode(composerKey, { kind: 'edit', eventId: row.event.id, originalBody: editableText(row.content) });
        chatStore.getState().setDraft(composerKey, editableText(row.content));
      },
      onDelete: (row) => setToDelete(row.event.id),
      onRetry: (row) => model?.getState().retry(row.event.id),
      onDiscard: (row) => model?.getState().discard(row.event.id),
      onInspect: (row) => vm.getState().inspect(row.event.identity || row.event.sender),
      onToggleReaction: (row, key) => model?.getState().toggleReaction(row.event.id, key),
      onRevealQuote: () => undefined,
    }),
    [model, vm, composerKey, focusComposer],
  );
  const reactorName: ReactorName = useMemo(() => (reactor) => vm.getState().profileOf(reactor).name, [vm]);

  // The newest reply follows you down, and what is on screen in a visible page is read (a receipt in this thread only).
  useEffect(() => {
    const el = list.current;
    if (el) el.scrollTop = el.scrollHeight;
    if (!model || state.rows.length === 0 || document.visibilityState !== 'visible') return;
    const timer = setTimeout(
      () => void model.getState().markRead().catch(log.ignored('thread receipt not sent; the next reply sends it')),
      100,
    );
    return () => clearTimeout(timer);
  }, [model, state.rows]);

  return (
    <PanelFrame
      label={rootName ? t('threads.panelOf', { name: rootName }) : t('threads.panel')}
      title={t('threads.panel')}
      dropZone={fileDrop}
      actions={
        <>
          <a
            href={threadsHref(room.roomId)}
            className={`${iconButton} text-sm`}
            onClick={(event) => {
              event.preventDefault();
              navigate(threadsHref(room.roomId));
            }}
          >
            {t('threads.back')}
          </a>
          <button
            type="button"
            data-panel-close
            className={iconButton}
            aria-label={t('threads.closeThread')}
            onClick={() => navigate(roomHref(room.roomId))}
          >
            ✕
          </button>
        </>
      }
    >
      <div ref={list} className="min-h-0 flex-1 overflow-y-auto py-2" role="log" aria-label={t('threads.panel')}>
        {state.canLoadOlder && (
          <div className="flex justify-center p-1">
            <button
              type="button"
              className={`${secondaryButton} text-xs`}
              disabled={state.loadingOlder}
              onClick={() => void model?.getState().loadOlder()}
            >
              {t('threads.loadOlder')}
            </button>
          </div>
        )}
        <MentionContext.Provider value={mentionContext}>
          {state.rows.map((row) =>
            row.kind === 'day' ? (
              <DaySeparator key={row.key} ts={row.ts} />
            ) : row.kind === 'upload' ? (
              <PendingImageRow key={row.key} row={row} profile={row.profile} onRetry={retryUpload} onRemove={cancelUpload} />
            ) : (
              <div key={row.key} className={row.event.id === rootId ? 'border-b border-line pb-2' : ''}>
                <MessageRow
                  row={row}
                  profile={row.profile}
                  isOwn={row.event.identity === myIdentity}
                  canDelete={row.event.identity === myIdentity || canRedactOthers}
                  actions={actions}
                  myIdentity={myIdentity}
                  reactorName={reactorName}
                />
              </div>
            ),
          )}
        </MentionContext.Provider>
        {state.status === 'loading' && (
          <p role="status" className="p-3 text-sm text-subtle">
            {t('threads.loadingThread')}
          </p>
        )}
        {state.status === 'missing' && (
          <p role="alert" className="p-3 text-sm text-danger">
            {t('threads.missing')}
          </p>
        )}
      </div>
      {state.status !== 'missing' && thread && <Composer vm={vm} roomName={room.name} thread={thread} />}
      {toDelete && (
        <ConfirmDialog
          title={t('chat.delete.title')}
          body={t('chat.delete.intro')}
          confirm={t('chat.delete.submit')}
          onConfirm={() => model?.getState().redact(toDelete)}
          onClose={() => setToDelete(undefined)}
        />
      )}
    </PanelFrame>
  );
}
