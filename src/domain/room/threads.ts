// Threads of one open room (spec: Threading), as Element shows them, on matrix-js-sdk's thread support
// (`threadSupport: true`): replies live in their Thread, not in the room's live timeline, so the room view model
// never sees them and its per-event path is unchanged. Three view models, each a vanilla zustand store:
// - the summaries under thread roots (reply count, last reply, participants, unread), rebuilt per thread as it changes;
// - the room's thread list (all, or the ones you took part in) from /threads, newest activity first;
// - one open thread: its rows (built by the same pure timeline functions as the room's) and its actions.
// Every person shown goes through the room's identity function (`profileOf`, badge included).
import { createStore, type StoreApi } from 'zustand/vanilla';
import {
  Direction,
  MatrixEventEvent,
  NotificationCountType,
  RoomEvent,
  ThreadEvent,
  ThreadFilterType,
  type MatrixClient,
  type MatrixEvent,
  type Room,
  type Thread,
} from 'matrix-js-sdk';
import type { SenderProfile } from '../identity/describeSender';
import { buildTimelineRows, withPendingUploads, type TimelineEvent, type TimelineRow } from './timeline';
import { findSdkEvent, toTimelineEvent } from './fromSdk';
import { previewText } from './sanitize';
import { buildMessageContent, type ComposerIntent } from './composerContent';
import { uploadStore, type PendingUpload } from './imageUpload';
import { toggleReaction } from './toggleReaction';
import { markThreadRead } from './receipts';
import type { MessageRowData, RoomViewModel, UploadRowData } from './roomViewModel';
import { logger } from '../../platform/logger';

const log = logger('threads');

/** How many participants a summary names (the rest are counted). */
export const SHOWN_PARTICIPANTS = 3;

export interface ThreadSummary {
  rootId: string;
  /** Replies (yours on their way included). */
  count: number;
  latest?: { profile: SenderProfile; text: string; ts: number };
  /** The people in the thread, one per identity, root's sender first (from the replies loaded so far). */
  participants: readonly SenderProfile[];
  /** Unread notifications in the thread, and whether one of them mentions you. */
  unread: number;
  highlight: boolean;
}

type ProfileOf = RoomViewModel['getState'] extends () => infer S ? (S extends { profileOf: infer P } ? P : never) : never;

function profileOfEvent(profileOf: ProfileOf, event: MatrixEvent): SenderProfile {
  return profileOf(toTimelineEvent(event));
}

/** The thread's replies: its timeline without the root, and its own local echoes. */
function replies(room: Room, thread: Thread): MatrixEvent[] {
  const loaded = thread.liveTimeline.getEvents().filter((e) => e.getId() !== thread.id);
  const pending = room.getPendingEvents().filter((e) => e.threadRootId === thread.id && !e.isThreadRoot);
  return pending.length > 0 ? [...loaded, ...pending] : loaded;
}

/**
 * The thread's reply count. The SDK's own (Thread.length) starts from the root's bundled count and adds each reply
 * it meets, so a reply that is both in a fresh bundled count and met live counts twice. Once every reply is loaded,
 * they are counted as they are; before that, the SDK's count is all there is.
 */
export function replyCountOf(room: Room, thread: Thread): number {
  const timeline = thread.liveTimeline;
  if (!thread.initialEventsFetched || timeline.getPaginationToken(Direction.Backward) !== null) return thread.length;
  const isReply = (e: MatrixEvent) => e.getId() !== thread.id && e.isRelation('m.thread');
  const loaded = timeline.getEvents().filter(isReply);
  const ids = new Set(loaded.map((e) => e.getId()));
  const pending = room.getPendingEvents().filter((e) => e.threadRootId === thread.id && isReply(e) && !ids.has(e.getId()));
  return loaded.length + pending.length;
}

const isMessage = (e: MatrixEvent) => e.getType() === 'm.room.message' && !e.isRelation('m.replace');

export function summarize(room: Room, thread: Thread, profileOf: ProfileOf): ThreadSummary {
  const latest = thread.replyToEvent ?? undefined;
  const seen = new Set<string>();
  const participants: SenderProfile[] = [];
  const root = thread.rootEvent ?? room.findEventById(thread.id);
  for (const event of [...(root ? [root] : []), ...replies(room, thread).filter(isMessage), ...(latest ? [latest] : [])]) {
    const profile = profileOfEvent(profileOf, event);
    if (seen.has(profile.identity)) continue;
    seen.add(profile.identity);
    participants.push(profile);
  }
  return {
    rootId: thread.id,
    count: replyCountOf(room, thread),
    latest: latest
      ? {
          profile: profileOfEvent(profileOf, latest),
          text: latest.isRedacted() ? '' : previewText(latest.getContent()),
          ts: latest.getTs(),
        }
      : undefined,
    participants,
    unread: room.getThreadUnreadNotificationCount(thread.id, NotificationCountType.Total),
    highlight: room.getThreadUnreadNotificationCount(thread.id, NotificationCountType.Highlight) > 0,
  };
}

function sameSummary(a: ThreadSummary | undefined, b: ThreadSummary): boolean {
  return (
    !!a &&
    a.count === b.count &&
    a.unread === b.unread &&
    a.highlight === b.highlight &&
    a.latest?.text === b.latest?.text &&
    a.latest?.ts === b.latest?.ts &&
    a.latest?.profile === b.latest?.profile &&
    a.participants.length === b.participants.length &&
    a.participants.every((p, i) => p === b.participants[i])
  );
}

export interface ThreadsState {
  /** Root event ID → its summary; an unchanged summary keeps its object. */
  summaries: ReadonlyMap<string, ThreadSummary>;
}

export type ThreadsModel = StoreApi<ThreadsState> & { dispose(): void };

/** The summaries under the room's thread roots, kept up to date thread by thread. */
export function createThreadsModel(room: Room, vm: RoomViewModel): ThreadsModel {
  const profileOf: ProfileOf = (sender) => vm.getState().profileOf(sender);
  const store = createStore<ThreadsState>()(() => ({ summaries: new Map() }));
  const update = (threads: Iterable<Thread>) => {
    const current = store.getState().summaries;
    let next: Map<string, ThreadSummary> | undefined;
    for (const thread of threads) {
      const summary = summarize(room, thread, profileOf);
      if (sameSummary(current.get(thread.id), summary)) continue;
      next ??= new Map(current);
      next.set(thread.id, summary);
    }
    if (next) store.setState({ summaries: next });
  };
  const all = () => update(room.getThreads());
  const one = (thread: Thread) => update([thread]);
  // Emitted on every sync that names the room: with a thread ID for that thread's counts, with nothing when the
  // threads' counts were reset, and with the room's own counts (no thread's changed then).
  const onUnread = (counts?: unknown, threadId?: string) => {
    if (threadId !== undefined) {
      const thread = room.getThread(threadId);
      if (thread) one(thread);
    } else if (counts === undefined) {
      // A reset (every sync that names the room): only the threads whose counts moved are summarised again.
      const moved = [...store.getState().summaries.values()].filter(
        (summary) => summary.unread !== room.getThreadUnreadNotificationCount(summary.rootId, NotificationCountType.Total),
      );
      update(moved.flatMap((summary) => room.getThread(summary.rootId) ?? []));
    }
  };
  const onEcho = (event: MatrixEvent) => {
    const thread = event.threadRootId ? room.getThread(event.threadRootId) : null;
    if (thread) one(thread);
  };
  room.on(ThreadEvent.New, one);
  room.on(ThreadEvent.Update, one);
  room.on(ThreadEvent.NewReply, one);
  room.on(RoomEvent.UnreadNotifications, onUnread);
  room.on(RoomEvent.LocalEchoUpdated, onEcho);
  // Names and badges change with identities: the room view model's members change with them.
  const unsubscribe = vm.subscribe((s, previous) => {
    if (s.members !== previous.members || s.myIdentity !== previous.myIdentity) all();
  });
  all();
  return Object.assign(store, {
    dispose() {
      room.off(ThreadEvent.New, one);
      room.off(ThreadEvent.Update, one);
      room.off(ThreadEvent.NewReply, one);
      room.off(RoomEvent.UnreadNotifications, onUnread);
      room.off(RoomEvent.LocalEchoUpdated, onEcho);
      unsubscribe();
    },
  });
}

// ---- the thread list ----

export type ThreadListFilter = 'all' | 'mine';

export interface ThreadListItem {
  rootId: string;
  root: { profile: SenderProfile; text: string; ts: number };
  /** From the root's bundled aggregation (unsigned m.relations m.thread) until the SDK's Thread is on hand. */
  count: number;
  latest?: { profile: SenderProfile; text: string; ts: number };
  unread: number;
  highlight: boolean;
}

export interface ThreadListState {
  filter: ThreadListFilter;
  items: readonly ThreadListItem[];
  loading: boolean;
  error?: unknown;
  canLoadMore: boolean;
  setFilter(filter: ThreadListFilter): void;
  loadMore(): Promise<void>;
  refresh(): Promise<void>;
}

export type ThreadListModel = StoreApi<ThreadListState> & { dispose(): void };

const PAGE = 30;

/** The room's threads from `/threads` (latest activity first), all or the ones you took part in; refreshed as replies arrive. */
export function createThreadListModel(client: MatrixClient, room: Room, vm: RoomViewModel): ThreadListModel {
  const profileOf: ProfileOf = (sender) => vm.getState().profileOf(sender);
  const mapper = client.getEventMapper();
  let next: string | null = null;
  let request = 0;
  let disposed = false;

  const unreadOf = (rootId: string) => ({
    unread: room.getThreadUnreadNotificationCount(rootId, NotificationCountType.Total),
    highlight: room.getThreadUnreadNotificationCount(rootId, NotificationCountType.Highlight) > 0,
  });
  /** Counts move with every sync: each item takes its thread's, keeping its object when they are unchanged. */
  const onUnread = () => {
    const items = store.getState().items;
    let changed = false;
    const next = items.map((item) => {
      const counts = unreadOf(item.rootId);
      if (counts.unread === item.unread && counts.highlight === item.highlight) return item;
      changed = true;
      return { ...item, ...counts };
    });
    if (changed) store.setState({ items: next });
  };

  function item(root: MatrixEvent): ThreadListItem {
    const bundled = root.getServerAggregatedRelation<{ count?: number; latest_event?: Record<string, unknown> }>('m.thread');
    const thread = room.getThread(root.getId()!);
    const latestEvent = thread?.replyToEvent ?? (bundled?.latest_event ? mapper(bundled.latest_event as never) : undefined);
    return {
      rootId: root.getId()!,
      root: { profile: profileOfEvent(profileOf, root), text: root.isRedacted() ? '' : previewText(root.getContent()), ts: root.getTs() },
      count: thread ? replyCountOf(room, thread) : (bundled?.count ?? 0),
      ...unreadOf(root.getId()!),
      latest: latestEvent
        ? { profile: profileOfEvent(profileOf, latestEvent), text: previewText(latestEvent.getContent()), ts: latestEvent.getTs() }
        : undefined,
    };
  }

  async function page(from: string | null, replace: boolean): Promise<void> {
    const mine = ++request;
    const filter = store.getState().filter;
    store.setState({ loading: true, error: undefined });
    try {
      const response = await client.createThreadListMessagesRequest(
        room.roomId,
        from,
        PAGE,
        Direction.Backward,
        filter === 'mine' ? ThreadFilterType.My : ThreadFilterType.All,
      );
      if (mine !== request || disposed) return;
      // The SDK hands the page oldest first (as /messages pages read); the list shows the newest activity first.
      const roots = response.chunk.map((raw) => mapper(raw)).reverse();
      next = response.end ?? null;
      const items = roots.map(item);
      store.setState((s: ThreadListState) => ({
        items: replace ? items : [...s.items, ...items],
        canLoadMore: next !== null,
        loading: false,
      }));
    } catch (error) {
      if (mine !== request || disposed) return;
      store.setState({ error, loading: false });
    }
  }

  const store: StoreApi<ThreadListState> = createStore<ThreadListState>()(() => ({
    filter: 'all',
    items: [],
    loading: false,
    canLoadMore: false,
    setFilter(filter) {
      if (filter === store.getState().filter) return;
      store.setState({ filter, items: [], canLoadMore: false });
      void page(null, true);
    },
    loadMore: (): Promise<void> => (next !== null && !store.getState().loading ? page(next, false) : Promise.resolve()),
    refresh: () => page(null, true),
  }));

  // A reply moves its thread to the top (or adds one): the first page again, a moment after a burst.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const refreshSoon = () => {
    timer ??= setTimeout(() => {
      timer = undefined;
      void page(null, true);
    }, 300);
  };
  room.on(ThreadEvent.New, refreshSoon);
  room.on(ThreadEvent.NewReply, refreshSoon);
  room.on(RoomEvent.UnreadNotifications, onUnread);
  void page(null, true);
  return Object.assign(store, {
    dispose() {
      disposed = true;
      clearTimeout(timer);
      room.off(ThreadEvent.New, refreshSoon);
      room.off(ThreadEvent.NewReply, refreshSoon);
      room.off(RoomEvent.UnreadNotifications, onUnread);
    },
  });
}

// ---- one open thread ----

export type ThreadRow = MessageRowData | UploadRowData | { kind: 'day'; key: string; ts: number };

export interface ThreadViewState {
  rootId: string;
  /** The root, then the replies: message rows with their senders resolved. */
  rows: readonly ThreadRow[];
  status: 'loading' | 'ready' | 'missing';
  canLoadOlder: boolean;
  loadingOlder: boolean;
  /** The composer's text as a reply in the thread (mentions as in the room), or an edit of one; false when empty. */
  send(text: string, intent: { kind: 'normal' } | { kind: 'edit'; eventId: string }): boolean;
  redact(eventId: string): void;
  toggleReaction(eventId: string, key: string): void;
  retry(eventId: string): void;
  discard(eventId: string): void;
  loadOlder(): Promise<void>;
  /** The newest reply is on screen: the thread's receipt goes out (it reads nothing else). */
  markRead(): Promise<void>;
}

export type ThreadViewModel = StoreApi<ThreadViewState> & { dispose(): void };

export function createThreadViewModel(
  client: MatrixClient,
  room: Room,
  rootId: string,
  vm: RoomViewModel,
  uploads = uploadStore,
): ThreadViewModel {
  const roomId = room.roomId;
  const threadUploads = (list: readonly PendingUpload[]) => list.filter((u) => u.roomId === roomId && u.threadId === rootId);
  let pendingUploads = threadUploads(uploads.getState().uploads);
  let thread: Thread | null = room.getThread(rootId);
  let disposed = false;
  const profileOf: ProfileOf = (sender) => vm.getState().profileOf(sender);
  const nameOf = (userId: string) => profileOf({ identity: userId, sender: userId }).name;

  function events(): TimelineEvent[] {
    if (!thread) return [];
    const root = thread.rootEvent ?? room.findEventById(rootId);
    const own = vm.getState().myIdentity;
    const pending = room.getPendingEvents().filter((e) => e.threadRootId === rootId && !e.isThreadRoot);
    return [
      ...(root ? [toTimelineEvent(root)] : []),
      ...thread.liveTimeline
        .getEvents()
        .filter((e) => e.getId() !== rootId)
        .map(toTimelineEvent),
      ...pending.map((e) => {
        const event = toTimelineEvent(e);
        return event.identity === own ? event : { ...event, identity: own };
      }),
    ];
  }

  function rebuild(): void {
    if (disposed) return;
    let afterRoot = false;
    const own = { sender: client.getUserId() ?? '', identity: vm.getState().myIdentity };
    const built = withPendingUploads(buildTimelineRows(events(), nameOf) as TimelineRow[], pendingUploads, own);
    const rows = built.flatMap((row): ThreadRow[] => {
      if (row.kind === 'day') return [row];
      if (row.kind === 'upload') return [{ ...row, profile: profileOf(row.event) }];
      if (row.kind !== 'message') return [];
      // The first reply starts a group of its own: the root stands apart, whoever sent both.
      const startsGroup = row.startsGroup || afterRoot;
      afterRoot = row.event.id === rootId;
      return [{ ...row, startsGroup, profile: profileOf(row.event) }];
    });
    const timeline = thread?.liveTimeline;
    store.setState({
      rows,
      status: thread ? (thread.initialEventsFetched || rows.length > 1 ? 'ready' : 'loading') : store.getState().status,
      canLoadOlder: !!timeline && timeline.getPaginationToken(Direction.Backward) !== null,
    });
  }

  const store = createStore<ThreadViewState>()(() => ({
    rootId,
    rows: [],
    status: 'loading',
    canLoadOlder: false,
    loadingOlder: false,
    send(text, mode) {
      const intent: ComposerIntent = mode.kind === 'edit' ? { kind: 'edit', eventId: mode.eventId } : { kind: 'normal' };
      const edited =
        mode.kind === 'edit' ? store.getState().rows.find((r) => r.kind === 'message' && r.event.id === mode.eventId) : undefined;
      const content = buildMessageContent(text, intent, {
        me: client.getUserId() ?? '',
        canMentionRoom: vm.getState().canMentionRoom,
        previous: edited?.kind === 'message' ? edited.content : undefined,
      });
      if (!content) return false;
      // With a thread ID the SDK adds the m.thread relation, is_falling_back and the m.in_reply_to fallback to the
      // latest reply (spec: Threading, fallback for unthreaded clients); an edit keeps its m.replace only.
      client.sendMessage(roomId, rootId, content as never).catch(log.ignored('the thread reply was not sent; its row offers Retry'));
      return true;
    },
    redact(eventId) {
      client.redactEvent(roomId, eventId).catch(log.ignored('the thread message was not deleted'));
    },
    toggleReaction(eventId, key) {
      const row = store.getState().rows.find((r) => r.kind === 'message' && r.event.id === eventId);
      void toggleReaction(client, room, eventId, row?.kind === 'message' ? row.reactions : [], key, vm.getState().myIdentity);
    },
    retry(eventId) {
      const event = findSdkEvent(room, eventId);
      if (event) client.resendEvent(event, room).catch(log.ignored('resend failed; the reply stays not sent with its Retry'));
    },
    discard(eventId) {
      const event = findSdkEvent(room, eventId);
      if (event) client.cancelPendingEvent(event);
    },
    async loadOlder() {
      const timeline = thread?.liveTimeline;
      if (!timeline || store.getState().loadingOlder || timeline.getPaginationToken(Direction.Backward) === null) return;
      store.setState({ loadingOlder: true });
      try {
        await client.paginateEventTimeline(timeline, { backwards: true, limit: 30 });
      } finally {
        if (!disposed) store.setState({ loadingOlder: false });
        rebuild();
      }
    },
    markRead: () => markThreadRead(client, room, rootId),
  }));

  const onThreadChange = (changed: Thread) => {
    if (changed.id === rootId) rebuild();
  };
  const onNew = (created: Thread) => {
    if (created.id !== rootId) return;
    thread = created;
    rebuild();
  };
  const onTimeline = (_e: MatrixEvent, _r: Room | undefined, _s: boolean | undefined, _removed: boolean, data: { timeline: unknown }) => {
    if (thread && data.timeline === thread.liveTimeline) rebuild();
  };
  const onEcho = (event: MatrixEvent) => {
    if (event.threadRootId === rootId || event.getId() === rootId) rebuild();
  };
  room.on(ThreadEvent.New, onNew);
  room.on(ThreadEvent.Update, onThreadChange);
  room.on(ThreadEvent.NewReply, onThreadChange);
  room.on(RoomEvent.Timeline, onTimeline as never);
  room.on(RoomEvent.TimelineReset, rebuild);
  room.on(RoomEvent.LocalEchoUpdated, onEcho);
  room.on(RoomEvent.Redaction, rebuild);
  client.on(MatrixEventEvent.Replaced, rebuild);
  const unsubscribeUploads = uploads.subscribe((next) => {
    const mine = threadUploads(next.uploads);
    if (mine.length === pendingUploads.length && mine.every((u, i) => u === pendingUploads[i])) return;
    pendingUploads = mine;
    rebuild();
  });
  const unsubscribe = vm.subscribe((s, previous) => {
    if (s.members !== previous.members || s.myIdentity !== previous.myIdentity) rebuild();
  });

  // A thread the SDK has not met yet (a link to it, a root further back): its root is fetched and the thread made.
  if (!thread) {
    const root = room.findEventById(rootId);
    const made = root ? Promise.resolve(root) : client.fetchRoomEvent(roomId, rootId).then((raw) => client.getEventMapper()(raw));
    made.then(
      (event) => {
        if (disposed) return;
        if (event.isRelation('m.thread')) {
          store.setState({ status: 'missing' });
          return;
        }
        thread = room.getThread(rootId) ?? room.createThread(rootId, event, [], false);
        rebuild();
      },
      (error: unknown) => {
        log.warn('the thread root could not be loaded', error);
        if (!disposed) store.setState({ status: 'missing' });
      },
    );
  }
  rebuild();

  return Object.assign(store, {
    dispose() {
      disposed = true;
      room.off(ThreadEvent.New, onNew);
      room.off(ThreadEvent.Update, onThreadChange);
      room.off(ThreadEvent.NewReply, onThreadChange);
      room.off(RoomEvent.Timeline, onTimeline as never);
      room.off(RoomEvent.TimelineReset, rebuild);
      room.off(RoomEvent.LocalEchoUpdated, onEcho);
      room.off(RoomEvent.Redaction, rebuild);
      client.off(MatrixEventEvent.Replaced, rebuild);
      unsubscribe();
      unsubscribeUploads();
    },
  });
}
