// The view model of one open room (Hydrogen's discipline: view state kept out of views). A vanilla zustand store,
// made per open room while a view shows it (openRooms.ts): the timeline rows with each sender
// already resolved, receipts, typing, the header's words, pagination state, and the room's actions. Views select
// slices and call actions; none of them reads the mutable matrix-js-sdk Room while rendering.
//
// Rows change incrementally, and an unchanged row keeps its object (so memoised row views skip it):
// - a new live event costs its own rows (a day separator, its message or notice, a handle-change notice);
// - an edit, a reaction or a redaction rebuilds only the row it applies to (and replies quoting it);
// - an identity change (member_info, a browser check, a member event) rebuilds only the rows that show that identity;
// - anything else (back-pagination, local echoes, a timeline reset) re-derives the rows from the room, reusing
//   every row object whose inputs are unchanged.
import { createStore, type StoreApi } from 'zustand/vanilla';
import {
  ClientEvent,
  MatrixEventEvent,
  RoomEvent,
  SyncState,
  RoomMemberEvent,
  RoomStateEvent,
  type IRoomTimelineData,
  type MatrixClient,
  type MatrixEvent,
  type Room,
  type RoomMember,
} from 'matrix-js-sdk';
import type { ChatStore, ComposerMode } from '../../state/chatStore';
import type { IdentityStore } from '../identity/identityStore';
import type { SenderProfile } from '../identity/describeSender';
import { describeHandleChange, handleChangeNotices, handleChangeOf, withPlacedNotices } from './handleChanges';
import { describeLinkNotice, erasureNotices, erasureText, placeLinkNotices, sentByUnverified, type ErasedTarget } from './identityNotices';
import { linkNoticeStore, noticesOfRoom, type LinkNotice, type LinkNoticeStore } from '../identity/linkNotices';
import { identityOfMemberEvent } from '../identity/describeSender';
import { actionTarget, mayInvite, mayKick } from '../identity/memberActions';
import { LINK_FIELD } from '../../protocol';
import {
  describeStateEvent,
  editTarget,
  foldsOf,
  latestEditOf,
  lastEditableMessage,
  messageRow,
  TimelineRowBuilder,
  withPendingUploads,
  type RowFolds,
  type TimelineEvent,
  type TimelineRow,
} from './timeline';
import { aggregateReactions, annotationOf, type ReactionGroup } from './reactions';
import { findSdkEvent, roomTimelineEvents, toTimelineEvent } from './fromSdk';
import { EventWindow } from './eventWindow';
import { keyRecipients } from './keyRecipients';
import { buildMessageContent, editableText } from './composerContent';
import { previewText } from './sanitize';
import { toggleReaction } from './toggleReaction';
import { fullyReadOf, markRead, readersByEvent, rowEventAtOrBefore } from './receipts';
import { fetchQuoted, fetchSoftFailed, type HiddenReason, type QuotedEvent } from './quotes';
import { removeUpload, retryUpload, sendAttachment, uploadStore, type PendingUpload } from './imageUpload';
import { sortMembers, type MemberSummary } from '../rooms/members';
import { describeMatrixError } from '../../matrix/errors';
import { t, type Message } from '../../i18n';
import { logger } from '../../platform/logger';

const log = logger('room');
import { changedIdentities, identityFactsOf, roomIdentities, type IdentityFacts } from './roomIdentities';

/**
 * What a reply's quote shows. The quoted sender goes through the same identity function as the timeline
 * (`profile`, badge included); a message our server hid (soft-failed) says so and why, and can be revealed.
 */
export type ReplyPreview =
  | {
      kind: 'message';
      eventId: string;
      profile: SenderProfile;
      text: string /** Shown on request though our server hid it. */;
      revealed?: HiddenReason;
    }
  | { kind: 'hidden'; eventId: string; reason: HiddenReason; profile?: SenderProfile; revealing: boolean; revealFailed: boolean }
  | { kind: 'loading' | 'missing'; eventId: string };

/** Published rows made from earlier published rows by adding rows at the end (a live event): rows → the rows before. */
const grown = new WeakMap<readonly RoomRow[], readonly RoomRow[]>();

/**
 * The rows `rows` were made from by adding rows at the end, every row before them the same object at the same index
 * (a live event arrived); undefined for any other change. Lets a list lay out only the new rows.
 */
export function grownFrom(rows: readonly RoomRow[]): readonly RoomRow[] | undefined {
  return grown.get(rows);
}

function isUnverifiedChange(row: RoomRow): row is NoticeRowData {
  return row.kind === 'notice' && row.unverifiedActor === true;
}

function sameReply(a: ReplyPreview | undefined, b: ReplyPreview | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.kind !== b.kind || a.eventId !== b.eventId) return false;
  if (a.kind === 'message' && b.kind === 'message') return a.profile === b.profile && a.text === b.text && a.revealed === b.revealed;
  if (a.kind === 'hidden' && b.kind === 'hidden')
    return a.reason === b.reason && a.profile === b.profile && a.revealing === b.revealing && a.revealFailed === b.revealFailed;
  return true;
}

type BaseMessage = Extract<TimelineRow, { kind: 'message' }>;
type BaseNotice = Extract<TimelineRow, { kind: 'notice' }>;
type BaseUpload = Extract<TimelineRow, { kind: 'upload' }>;

export type DayRow = Extract<TimelineRow, { kind: 'day' }>;
export type MessageRowData = BaseMessage & { profile: SenderProfile; reply?: ReplyPreview };
export type NoticeRowData = BaseNotice & {
  subject?: SenderProfile;
  /** A state change sent by a member whose link was unverified when it was sent (MSC4430: it is in force). */
  unverifiedActor?: boolean;
};
export type UploadRowData = BaseUpload & { profile: SenderProfile };
/** A timeline row with everything a view shows already resolved. */
export type RoomRow = DayRow | MessageRowData | NoticeRowData | UploadRowData;

/** A joined or invited member, one per identity, with its profile: the member list's and the mentions' rows. */
export type RoomMemberRow = MemberSummary & { profile: SenderProfile };

export interface RoomViewState {
  roomId: string;
  name: string;
  topic?: string;
  /** Your identity in this room (your member key in member-key rooms). */
  myIdentity: string;
  rows: readonly RoomRow[];
  /** Event ID → names of the others whose read receipt is there (an entry keeps its array while it is unchanged). */
  readers: ReadonlyMap<string, readonly string[]>;
  /** Names of the others typing now. */
  typing: readonly string[];
  canRedactOthers: boolean;
  /** Your power level reaches `invite`: you may let in those who ask to join (knocks). */
  canInvite: boolean;
  /** Your power level reaches `kick`: you may refuse those who ask to join. */
  canKick: boolean;
  /** An encrypted member-key room: how many members get no room keys, their handle unverified (PROTOCOL.md §8). */
  withheldKeys: number;
  /** Your power level reaches `notifications.room`: `@room` notifies everyone. */
  canMentionRoom: boolean;
  canLoadOlder: boolean;
  loadingOlder: boolean;
  loadError?: unknown;
  /** The room's whole member_info has been seen (from an initial /sync or /members). */
  hasMemberInfo: boolean;
  /** Joined, then invited; by power, then name. */
  members: readonly RoomMemberRow[];
  /** The loaded state changes sent by members whose link was unverified then, oldest first. */
  unverifiedChanges: readonly NoticeRowData[];
  /** The event a permalink or a search result opened, and whether it is on hand yet. */
  focus?: { eventId: string; status: 'looking' | 'found' | 'missing' };
  /** Showing a window of history around `focus`, away from the live end (new messages are not in it). */
  anchored: boolean;
  loadingNewer: boolean;
  /**
   * The row event of the fully-read marker (m.fully_read) as it was when the room opened: the "New messages" line
   * stays there while you read, and moves the next time the room opens.
   */
  readMarker?: string;
  /** The newest event when `readMarker` was taken: messages after it arrived while the room was open (no line for them). */
  readUntil?: string;

  /** Fetches a quoted message our server hid (soft-failed), on the reader's explicit request (after a warning). */
  revealQuote(eventId: string): void;
  /** Sends the composer's text as a message, reply or edit; false when there is nothing to send. */
  send(text: string, mode: ComposerMode): boolean;
  startReply(eventId: string): void;
  startEdit(eventId: string): void;
  /** Up arrow in an empty composer: edit your newest editable message; false when there is none. */
  editLast(): boolean;
  redact(eventId: string): void;
  /** Answers a request to join (a knock): approve invites the member that knocked, deny kicks it (the spec's refusal). */
  answerKnock(identity: string, approve: boolean): Promise<void>;
  toggleReaction(eventId: string, key: string): void;
  /** A message that failed to send: send it again, or drop it. */
  retry(eventId: string): void;
  discard(eventId: string): void;
  retryUpload(uploadId: string): void;
  /** Cancels an upload on its way, or drops a failed one. */
  cancelUpload(uploadId: string): void;
  /** Sends picked, pasted or dropped files (each size-checked, uploaded with progress, sent as m.image/video/audio/file), into a thread when given its root. */
  sendFiles(files: Iterable<File>, threadId?: string): void;
  /** Lazy-loaded members: the full list, once. */
  loadMembers(): void;
  /** Back-pagination: the next older page (50 events). */
  loadOlder(): Promise<void>;
  /** In an anchored window: the next newer page, until it reaches the live end. */
  loadNewer(): Promise<void>;
  /** Shows `eventId` with its neighbours: in the live timeline if it is there, else in a window fetched around it. */
  showEvent(eventId: string): Promise<void>;
  /** Back to the live end: the anchored window (if any) goes, the focus with it. */
  jumpToLatest(): void;
  sendTyping(typing: boolean): void;
  markRead(): Promise<void>;
  /** A view opened the room: the "New messages" line goes where the fully-read marker is now. */
  refreshReadMarker(): void;
  inspect(identity: string): void;
  /** A reactor's or any sender's profile, as the rows resolve them. */
  profileOf(sender: { identity: string; sender: string }): SenderProfile;
  /** The profile of a user ID (a mention pill's): through the room's identity of that user, as senders are. */
  profileOfUser(userId: string): SenderProfile;
}

export interface RoomViewModelDeps {
  client: MatrixClient;
  room: Room;
  chat: ChatStore;
  identity: IdentityStore;
  /** The pending image uploads store (domain/room/imageUpload). */
  uploads?: typeof uploadStore;
  /** The link changes this client saw (domain/identity/linkNotices). */
  links?: LinkNoticeStore;
}

export type RoomViewModel = StoreApi<RoomViewState> & { dispose(): void };

/** The identity a sender's profile is cached under (describeSender's rule). */
const profileKey = (sender: { identity: string; sender: string }) => sender.identity || sender.sender;

function sameReactions(a: readonly ReactionGroup[], b: readonly ReactionGroup[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  return a.every((g, i) => {
    const h = b[i]!;
    return (
      g.key === h.key &&
      g.reactors.length === h.reactors.length &&
      g.reactors.every((r, j) => {
        const s = h.reactors[j]!;
        return r.identity === s.identity && r.eventId === s.eventId && r.status === s.status && r.sender === s.sender;
      })
    );
  });
}

function sameEvent(a: TimelineEvent, b: TimelineEvent): boolean {
  return (
    a === b ||
    (a.id === b.id &&
      a.status === b.status &&
      a.redacted === b.redacted &&
      a.content === b.content &&
      a.identity === b.identity &&
      a.ts === b.ts &&
      a.txnId === b.txnId)
  );
}

/** Messages are data ({ key, values }): equal when they would say the same. */
function sameMessage(a: Message, b: Message): boolean {
  return a === b || (a.key === b.key && JSON.stringify(a.values) === JSON.stringify(b.values));
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export function createRoomViewModel({
  client,
  room,
  chat,
  identity,
  uploads = uploadStore,
  links = linkNoticeStore,
}: RoomViewModelDeps): RoomViewModel {
  const roomId = room.roomId;
  const me = client.getUserId() ?? '';
  const index = roomIdentities(room);
  let facts: IdentityFacts = identityFactsOf(identity.getState(), roomId);
  let warnings = index.warnings(facts);
  const profiles = new Map<string, SenderProfile>();

  const profileOf = (sender: { identity: string; sender: string }): SenderProfile => {
    const key = profileKey(sender);
    let profile = profiles.get(key);
    if (!profile) profiles.set(key, (profile = index.profile(sender, facts)));
    return profile;
  };
  const nameOf = (userId: string) => profileOf({ identity: index.identityOfUser(userId), sender: userId }).name;
  const nameOfIdentity = (who: string) => profileOf({ identity: who, sender: who }).name;
  /** An erased member by the handle it last claimed (its name went with the redaction), else as it is shown now. */
  const erasedHandleOf = (who: string): string | undefined => {
    const last = index
      .identityState(who, facts)
      .history.filter((r) => r.localpart && r.domain)
      .at(-1);
    return last ? `@${last.localpart}:${last.domain}` : undefined;
  };
  let linkNotices: readonly LinkNotice[] = noticesOfRoom(links.getState(), roomId);
  const currentStatus = (who: string) => facts.memberInfo?.[who]?.[LINK_FIELD]?.status;

  /** The member whose member event a redaction redacted (an erasure), else undefined. */
  function erasedBy(redaction: TimelineEvent): ErasedTarget | undefined {
    const sdk = findSdkEvent(room, redaction.id);
    const redacts = (sdk?.event as { redacts?: unknown } | undefined)?.redacts ?? sdk?.getContent().redacts ?? redaction.content.redacts;
    if (typeof redacts !== 'string') return undefined;
    const target =
      room.findEventById(redacts) ?? room.currentState.getStateEvents('m.room.member').find((e: MatrixEvent) => e.getId() === redacts);
    if (target?.getType() !== 'm.room.member') return undefined;
    const subject = identityOfMemberEvent(target.event);
    return subject ? { subject } : undefined;
  }

  // What the rows were derived from, kept up to date by the incremental paths.
  let eventRows: RoomRow[] = [];
  let messagesById = new Map<string, MessageRowData>();
  let edits = new Map<string, TimelineEvent[]>();
  let annotations = new Map<string, TimelineEvent[]>();
  /** Which target an edit or reaction folds into: a redacted one no longer says. */
  let foldedInto = new Map<string, string>();
  let builder: TimelineRowBuilder;
  /** Rows of local echoes at the end: new live events go before them, so they take the slow path. */
  let pendingCount = 0;
  /** The window of history shown instead of the live timeline while a far-back event is focused. */
  let historyWindow: EventWindow | undefined;
  /** Only the newest showEvent may set the window: a slow earlier one must not replace it. */
  let focusRequest = 0;
  let rebuildQueued = false;
  let disposed = false;
  let roomUploads: PendingUpload[] = [];

  const folds: RowFolds = {
    latestEdit: (target) => latestEditOf(target, edits.get(target.id)),
    reactions: (targetId) => {
      const list = annotations.get(targetId);
      return list ? aggregateReactions(list).get(targetId) : undefined;
    },
  };

  /** Quoted messages that are not in the loaded timeline, fetched once each (quotes.ts). */
  const quoted = new Map<string, QuotedEvent>();

  function quotedText(event: TimelineEvent, content: Record<string, unknown>): string {
    return event.redacted ? t('chat.deleted') : previewText(content);
  }

  function replyPreview(targetId: string | undefined): ReplyPreview | undefined {
    if (!targetId) return undefined;
    const target = messagesById.get(targetId);
    if (target) return { kind: 'message', eventId: targetId, profile: target.profile, text: quotedText(target.event, target.content) };
    const quote = quoted.get(targetId) ?? requestQuote(targetId);
    switch (quote.state) {
      case 'loading':
      case 'missing':
        return { kind: quote.state, eventId: targetId };
      case 'shown':
      case 'revealed':
        return {
          kind: 'message',
          eventId: targetId,
          profile: profileOf(quote.event),
          text: quotedText(quote.event, quote.event.content),
          ...(quote.state === 'revealed' ? { revealed: quote.reason } : {}),
        };
      case 'hidden':
        return {
          kind: 'hidden',
          eventId: targetId,
          reason: quote.reason,
          ...(quote.sender ? { profile: profileOf(quote.sender) } : {}),
          revealing: quote.revealing,
          revealFailed: quote.revealFailed,
        };
    }
  }

  /** Starts fetching a quoted message that is not loaded; the replies quoting it follow when it arrives. */
  function requestQuote(targetId: string): QuotedEvent {
    const loading: QuotedEvent = { state: 'loading' };
    quoted.set(targetId, loading);
    void fetchQuoted(client, roomId, targetId).then((quote) => {
      if (disposed || quoted.get(targetId) !== loading) return;
      quoted.set(targetId, quote);
      refreshReplies(targetId);
    });
    return loading;
  }

  /** The identity a reply's quote shows (to refresh it when that identity changes). */
  function quotedIdentity(targetId: string): string | undefined {
    const target = messagesById.get(targetId);
    if (target) return profileKey(target.event);
    const quote = quoted.get(targetId);
    if (quote?.state === 'shown' || quote?.state === 'revealed') return profileKey(quote.event);
    if (quote?.state === 'hidden' && quote.sender) return profileKey(quote.sender);
    return undefined;
  }

  /** Re-derives the quotes of the replies to `targetId` (it was fetched, revealed, or arrived). */
  function refreshReplies(targetId: string): void {
    if (rebuildQueued) return;
    let next: RoomRow[] | undefined;
    for (let i = 0; i < eventRows.length; i++) {
      const row = eventRows[i]!;
      if (row.kind !== 'message' || row.replyTo !== targetId) continue;
      const reply = replyPreview(targetId);
      if (sameReply(reply, row.reply)) continue;
      const updated: MessageRowData = { ...row, reply };
      next ??= eventRows.slice();
      next[i] = updated;
      messagesById.set(updated.event.id, updated);
    }
    if (!next) return;
    eventRows = next;
    publish();
  }

  function noticeText(row: BaseNotice): Message {
    if (row.key.startsWith('link-')) {
      const notice = linkNotices.find((n) => `link-${n.id}` === row.key);
      return notice ? describeLinkNotice(notice, nameOfIdentity(notice.identity)) : row.text;
    }
    if (row.key.startsWith('erased-') && row.event.subject)
      return erasureText(nameOfIdentity(row.event.identity || row.event.sender), erasedHandleOf(row.event.subject));
    if (row.key.startsWith('handle-')) {
      const change = handleChangeOf(row.event);
      if (!change) return row.text;
      const who = profileOf({ identity: row.event.identity, sender: row.event.identity });
      return describeHandleChange(who.name, change, who.badge.kind === 'verified' || who.badge.kind === 'plain');
    }
    return describeStateEvent(row.event, nameOf) ?? row.text;
  }

  /** The resolved row for `row`, reusing `previous` when nothing it shows changed. */
  function resolve(row: TimelineRow, previous: RoomRow | undefined): RoomRow {
    switch (row.kind) {
      case 'day':
        return previous?.kind === 'day' && previous.ts === row.ts ? previous : row;
      case 'notice': {
        const subject = row.event.subject
          ? profileOf({ identity: row.event.subject, sender: row.event.stateKey ?? row.event.subject })
          : undefined;
        const unverifiedActor = sentByUnverified(row.event, linkNotices, currentStatus);
        if (
          previous?.kind === 'notice' &&
          sameMessage(previous.text, row.text) &&
          previous.subject === subject &&
          (previous.unverifiedActor ?? false) === unverifiedActor &&
          previous.identityAction?.action === row.identityAction?.action &&
          sameEvent(previous.event, row.event)
        )
          return previous;
        return { ...row, ...(subject ? { subject } : {}), ...(unverifiedActor ? { unverifiedActor } : {}) };
      }
      case 'upload': {
        const profile = profileOf(row.event);
        if (
          previous?.kind === 'upload' &&
          previous.upload === row.upload &&
          previous.startsGroup === row.startsGroup &&
          previous.profile === profile
        )
          return previous;
        return { ...row, profile };
      }
      case 'message': {
        const profile = profileOf(row.event);
        const reply = replyPreview(row.replyTo);
        if (
          previous?.kind === 'message' &&
          previous.profile === profile &&
          previous.content === row.content &&
          previous.edited === row.edited &&
          previous.startsGroup === row.startsGroup &&
          previous.replyTo === row.replyTo &&
          sameReply(previous.reply, reply) &&
          sameEvent(previous.event, row.event) &&
          sameReactions(previous.reactions, row.reactions)
        )
          return previous;
        return reply ? { ...row, profile, reply } : { ...row, profile };
      }
    }
  }

  function ownIdentity(): string {
    return index.identityOfUser(me);
  }

  // ---- the state the header and the composer read ----
  function headerState() {
    const topic = room.currentState.getStateEvents('m.room.topic', '')?.getContent().topic;
    return {
      name: room.name,
      topic: typeof topic === 'string' && topic !== '' ? topic : undefined,
      canRedactOthers: room.currentState.hasSufficientPowerLevelFor('redact', room.getMember(me)?.powerLevel ?? 0),
      canInvite: mayInvite(room, ownIdentity(), me),
      canKick: mayKick(room, ownIdentity(), me),
      withheldKeys: withheldNow(),
      canMentionRoom: room.currentState.mayTriggerNotifOfType('room', me),
      canLoadOlder: historyWindow ? historyWindow.canLoadOlder : room.oldState.paginationToken !== null,
    };
  }

  function withheldNow(): number {
    if (!room.hasEncryptionStateEvent()) return 0;
    const others = [...room.getMembersWithMembership('join'), ...room.getMembersWithMembership('invite')].filter((m) => m.userId !== me);
    return keyRecipients(room, others, identity.getState().memberInfo[roomId]).withheld.length;
  }

  function readersNow(previous: ReadonlyMap<string, readonly string[]>): ReadonlyMap<string, readonly string[]> {
    const next = readersByEvent(room, me, facts);
    let same = next.size === previous.size;
    const out = new Map<string, readonly string[]>();
    for (const [eventId, names] of next) {
      const old = previous.get(eventId);
      if (old && sameStrings(old, names)) out.set(eventId, old);
      else {
        out.set(eventId, names);
        same = false;
      }
    }
    return same ? previous : out;
  }

  function membersNow(previous: readonly RoomMemberRow[]): readonly RoomMemberRow[] {
    const before = new Map(previous.map((m) => [m.identity, m]));
    const list: RoomMemberRow[] = [];
    for (const [who, member] of index.byIdentity()) {
      const membership = member.membership;
      if (membership !== 'join' && membership !== 'invite' && membership !== 'knock') continue;
      const profile = profileOf({ identity: who, sender: member.userId });
      const old = before.get(who);
      if (
        old &&
        old.profile === profile &&
        old.membership === membership &&
        old.powerLevel === member.powerLevel &&
        old.userId === member.userId
      )
        list.push(old);
      else
        list.push({
          userId: member.userId,
          identity: who,
          name: profile.name,
          membership,
          powerLevel: member.powerLevel,
          avatarMxc: profile.avatarMxc,
          profile,
        });
    }
    const sorted = sortMembers(list);
    return sorted.length === previous.length && sorted.every((m, i) => m === previous[i]) ? previous : sorted;
  }

  function typingNow(previous: readonly string[]): readonly string[] {
    const names = room
      .getJoinedMembers()
      .filter((m: RoomMember) => m.typing && m.userId !== me)
      .map((m) => nameOf(m.userId));
    return sameStrings(names, previous) ? previous : names;
  }

  // ---- rows ----
  function withUploads(rows: RoomRow[], previous: readonly RoomRow[]): readonly RoomRow[] {
    if (roomUploads.length === 0) return rows;
    const merged = withPendingUploads(rows as TimelineRow[], roomUploads, { sender: me, identity: ownIdentity() });
    const before = new Map<string, RoomRow>();
    for (let i = rows.length; i < previous.length; i++) before.set(previous[i]!.key, previous[i]!);
    return merged.map((row, i) => (i < rows.length ? (row as RoomRow) : resolve(row, before.get(row.key))));
  }

  function unverifiedChangesNow(previous: readonly NoticeRowData[]): readonly NoticeRowData[] {
    const next = eventRows.filter(isUnverifiedChange);
    return next.length === previous.length && next.every((r, i) => r === previous[i]) ? previous : next;
  }

  /**
   * `appended`: the rows only grew by these at the end (a live event), from `before`, so only they can add unverified
   * changes (and a list need only lay out them).
   */
  function publish(extra: Partial<RoomViewState> = {}, appended?: { rows: readonly RoomRow[]; before: readonly RoomRow[] }): void {
    const state = store.getState();
    const added = appended?.rows.filter(isUnverifiedChange);
    const rows = withUploads(eventRows, state.rows);
    if (appended && rows === eventRows && state.rows === appended.before) grown.set(rows, appended.before);
    store.setState({
      rows,
      unverifiedChanges: !added
        ? unverifiedChangesNow(state.unverifiedChanges)
        : added.length > 0
          ? [...state.unverifiedChanges, ...added]
          : state.unverifiedChanges,
      ...extra,
    });
  }

  /** Re-derives every row from the room; rows whose inputs are unchanged keep their objects. */
  function rebuild(): void {
    rebuildQueued = false;
    if (disposed) return;
    const own = ownIdentity();
    const events = historyWindow ? historyWindow.sdkEvents.map(toTimelineEvent) : roomTimelineEvents(room, own);
    const gathered = foldsOf(events);
    edits = gathered.edits;
    annotations = gathered.annotations;
    foldedInto = new Map();
    for (const [target, list] of edits) for (const e of list) foldedInto.set(e.id, target);
    for (const [target, list] of annotations) for (const e of list) foldedInto.set(e.id, target);
    builder = new TimelineRowBuilder(nameOf, folds);
    const base: TimelineRow[] = [];
    for (const event of events) builder.add(event, base);
    const reachedStart = !historyWindow && room.oldState.paginationToken === null;
    const withNotices = withPlacedNotices(events, base, [
      ...handleChangeNotices(events, (who) => {
        const profile = profileOf({ identity: who, sender: who });
        return { name: profile.name, verified: profile.badge.kind === 'verified' || profile.badge.kind === 'plain' };
      }),
      ...erasureNotices(events, erasedBy, nameOfIdentity, erasedHandleOf),
      ...placeLinkNotices(events, linkNotices, nameOfIdentity, reachedStart),
    ]);
    pendingCount = historyWindow ? 0 : room.getPendingEvents().length;

    const previous = new Map<string, RoomRow>();
    for (const row of eventRows) previous.set(row.key, row);
    // Replies quote rows resolved before them or not yet: resolve messages first, then everything against them.
    messagesById = new Map();
    const rows: RoomRow[] = new Array(withNotices.length);
    for (let i = 0; i < withNotices.length; i++) {
      const row = withNotices[i]!;
      if (row.kind !== 'message' || row.replyTo) continue;
      const resolved = resolve(row, previous.get(row.key)) as MessageRowData;
      rows[i] = resolved;
      messagesById.set(resolved.event.id, resolved);
    }
    for (let i = 0; i < withNotices.length; i++) {
      if (rows[i]) continue;
      const resolved = resolve(withNotices[i]!, previous.get(withNotices[i]!.key));
      rows[i] = resolved;
      if (resolved.kind === 'message') messagesById.set(resolved.event.id, resolved);
    }
    eventRows = rows;
    const state = store.getState();
    publish({ myIdentity: own, readers: readersNow(state.readers), members: membersNow(state.members), ...headerState() });
  }

  function scheduleRebuild(): void {
    if (rebuildQueued) return;
    rebuildQueued = true;
    queueMicrotask(rebuild);
  }

  function rowIndexOfEvent(eventId: string): number {
    for (let i = eventRows.length - 1; i >= 0; i--) {
      const row = eventRows[i]!;
      if (row.kind !== 'day' && row.event.id === eventId) return i;
    }
    return -1;
  }

  /** Replaces the rows at `changes` (index → new row) and the replies quoting changed messages. */
  function replaceRows(changes: Map<number, RoomRow>): void {
    if (changes.size === 0) return;
    const next = eventRows.slice();
    const changedMessages = new Set<string>();
    for (const [i, row] of changes) {
      next[i] = row;
      if (row.kind === 'message') {
        messagesById.set(row.event.id, row);
        changedMessages.add(row.event.id);
      }
    }
    eventRows = next;
    if (changedMessages.size > 0) {
      for (let i = 0; i < next.length; i++) {
        const row = next[i]!;
        if (row.kind !== 'message' || !row.replyTo || !changedMessages.has(row.replyTo)) continue;
        const reply = replyPreview(row.replyTo);
        if (sameReply(reply, row.reply)) continue;
        const updated: MessageRowData = { ...row, reply };
        next[i] = updated;
        messagesById.set(updated.event.id, updated);
      }
    }
    publish();
  }

  /** Re-derives the message row of `targetId` (its edit, reactions or redaction changed). */
  function refreshMessage(targetId: string): void {
    const i = rowIndexOfEvent(targetId);
    const row = eventRows[i];
    if (row?.kind !== 'message') return;
    const sdkEvent = findSdkEvent(room, targetId);
    const event = sdkEvent ? toTimelineEvent(sdkEvent) : row.event;
    const base = messageRow(
      event.identity === row.event.identity ? event : { ...event, identity: row.event.identity },
      row.startsGroup,
      folds.latestEdit(event),
      folds.reactions(targetId),
    );
    const resolved = resolve(base, row);
    if (resolved !== row) replaceRows(new Map([[i, resolved]]));
  }

  function addFolded(map: Map<string, TimelineEvent[]>, target: string, event: TimelineEvent): void {
    const list = map.get(target);
    if (list) list.push(event);
    else map.set(target, [event]);
    foldedInto.set(event.id, target);
  }

  /** A new event at the end of the live timeline: only its own rows are made. */
  function appendLive(sdkEvent: MatrixEvent): void {
    if (historyWindow) return historyWindow.joined ? scheduleRebuild() : undefined; // a window away from the live end doesn't show it
    const events = room.getLiveTimeline().getEvents();
    if (rebuildQueued || pendingCount > 0 || events[events.length - 1] !== sdkEvent) return scheduleRebuild();
    const event = toTimelineEvent(sdkEvent);
    const target = editTarget(event);
    if (target) {
      addFolded(edits, target, event);
      return refreshMessage(target);
    }
    const annotation = annotationOf(event);
    if (annotation) {
      addFolded(annotations, annotation.target, event);
      return refreshMessage(annotation.target);
    }
    if (event.type === 'm.room.redaction' && erasedBy(event)) return scheduleRebuild(); // an erasure's notice
    if (event.type === 'm.room.redaction' || event.type === 'm.reaction') return; // the Redaction event does the work
    const added: TimelineRow[] = [];
    builder.add(event, added);
    const change = handleChangeOf(event);
    if (change) {
      const who = profileOf({ identity: event.identity, sender: event.identity });
      added.push({
        kind: 'notice',
        key: `handle-${event.id}`,
        event,
        text: describeHandleChange(who.name, change, who.badge.kind === 'verified' || who.badge.kind === 'plain'),
        inspect: event.identity,
      });
    }
    if (added.length === 0) return;
    const before = eventRows;
    const arrivedQuotes: string[] = [];
    const appended: RoomRow[] = [];
    for (const row of added) {
      const resolved = resolve(row, undefined);
      appended.push(resolved);
      if (resolved.kind !== 'message') continue;
      messagesById.set(resolved.event.id, resolved);
      if (quoted.delete(resolved.event.id)) arrivedQuotes.push(resolved.event.id);
    }
    // One copy of the room's rows, made at its new length (a copy then a push copied a 10,000-row room twice).
    eventRows = eventRows.concat(appended);
    publish({}, { rows: appended, before });
    // A quoted message fetched (or hidden) before reached the timeline (say, released once its sender's link verified).
    for (const id of arrivedQuotes) refreshReplies(id);
  }

  /** A redaction applied to an event of the room: the row it shows in changes, or goes. */
  function onRedaction(redaction: MatrixEvent): void {
    if (rebuildQueued || pendingCount > 0) return scheduleRebuild();
    const redacted = (redaction.event as { redacts?: string }).redacts ?? (redaction.getContent().redacts as string | undefined);
    if (!redacted) return;
    const folded = foldedInto.get(redacted);
    if (folded) {
      const sdkEvent = findSdkEvent(room, redacted);
      const fresh = sdkEvent ? toTimelineEvent(sdkEvent) : undefined;
      for (const map of [edits, annotations]) {
        const list = map.get(folded);
        const at = list?.findIndex((e) => e.id === redacted) ?? -1;
        if (list && at >= 0 && fresh) list[at] = fresh;
      }
      return refreshMessage(folded);
    }
    const i = rowIndexOfEvent(redacted);
    const row = eventRows[i];
    if (!row) return; // not shown (or not loaded)
    if (row.kind === 'message') return refreshMessage(redacted);
    scheduleRebuild(); // a state change's notice may vanish: re-derive the neighbourhood
  }

  /** The rows that show one of `changed`: as sender, subject, quoted sender or reactor. */
  function refreshIdentities(changed: Set<string>): void {
    const nextWarnings = index.warnings(facts);
    if (nextWarnings !== warnings) {
      for (const who of new Set([...warnings.keys(), ...nextWarnings.keys()])) {
        if (JSON.stringify(warnings.get(who) ?? []) !== JSON.stringify(nextWarnings.get(who) ?? [])) changed.add(who);
      }
      warnings = nextWarnings;
    }
    if (changed.size === 0) return;
    for (const who of changed) profiles.delete(who);
    const state = store.getState();
    const readers = readersNow(state.readers);
    const typing = typingNow(state.typing);
    const members = membersNow(state.members);
    if (readers !== state.readers || typing !== state.typing || members !== state.members) store.setState({ readers, typing, members });
    const own = ownIdentity();
    if (own !== state.myIdentity) return scheduleRebuild(); // our own echoes change hands
    if (rebuildQueued) return;
    const touches = (who: string | undefined) => who !== undefined && changed.has(who);
    const changes = new Map<number, RoomRow>();
    for (let i = 0; i < eventRows.length; i++) {
      const row = eventRows[i]!;
      if (row.kind === 'day') continue;
      let stale = touches(profileKey(row.event));
      if (!stale && row.kind === 'notice')
        stale =
          touches(row.event.subject) ||
          touches(index.identityOfUser(row.event.sender)) ||
          touches(row.event.stateKey && index.identityOfUser(row.event.stateKey));
      if (!stale && row.kind === 'message') {
        stale =
          (row.replyTo !== undefined && touches(quotedIdentity(row.replyTo))) ||
          row.reactions.some((g) => g.reactors.some((r) => changed.has(r.identity)));
      }
      if (!stale) continue;
      if (row.kind === 'notice') {
        const text = noticeText(row);
        const subject = row.event.subject
          ? profileOf({ identity: row.event.subject, sender: row.event.stateKey ?? row.event.subject })
          : undefined;
        const unverifiedActor = sentByUnverified(row.event, linkNotices, currentStatus);
        changes.set(i, { ...row, text, ...(subject ? { subject } : {}), unverifiedActor });
      } else if (row.kind === 'message') {
        const reply = replyPreview(row.replyTo);
        changes.set(i, { ...row, profile: profileOf(row.event), ...(reply ? { reply } : {}) });
      } else {
        changes.set(i, { ...row, profile: profileOf(row.event) });
      }
    }
    replaceRows(changes);
  }

  // ---- actions ----
  function notice(err: unknown, fallback: string) {
    chat.getState().showNotice(describeMatrixError(err, fallback));
  }

  let loading = false;
  let loadingNewer = false;
  /**
   * The marker arriving after the room opened (a sync behind the view): the line goes there; later moves wait. Until
   * the client's first live sync, the room is what the sync cache kept, whose marker may be older than the server's
   * (read elsewhere, or just before a reload): the marker that sync brings is the one the line goes by.
   */
  let synced = client.getSyncState() === SyncState.Syncing;
  const onSync = (state: SyncState) => {
    if (state === SyncState.Syncing) synced = true;
  };
  function onAccountData(event: MatrixEvent) {
    if (event.getType() !== 'm.fully_read') return;
    const { readMarker, readUntil } = store.getState();
    // Until the first live sync the cache may be behind: the marker and what stood before it are taken again.
    if (!synced) store.setState(readMarkerNow());
    // Live, a room opened with no marker gets its first one; what arrived since it opened (after readUntil) the reader
    // saw arrive, even when it came before the marker's echo.
    else if (!readMarker) {
      const now = readMarkerNow();
      store.setState({ readMarker: now.readMarker, readUntil: readUntil ?? now.readUntil });
    }
  }
  function readMarkerNow(): Pick<RoomViewState, 'readMarker' | 'readUntil'> {
    const marker = fullyReadOf(room);
    const events = room.getLiveTimeline().getEvents();
    return {
      readMarker: marker && (rowEventAtOrBefore(events, marker) ?? undefined),
      readUntil: events.at(-1)?.getId() ?? undefined,
    };
  }
  const store = createStore<RoomViewState>()(() => ({
    roomId,
    name: room.name,
    myIdentity: ownIdentity(),
    rows: [],
    readers: new Map(),
    typing: [],
    canRedactOthers: false,
    canInvite: false,
    canKick: false,
    withheldKeys: 0,
    canMentionRoom: false,
    canLoadOlder: false,
    loadingOlder: false,
    hasMemberInfo: identity.getState().complete?.[roomId] === true,
    anchored: false,
    loadingNewer: false,
    ...readMarkerNow(),
    members: [],
    unverifiedChanges: [],

    revealQuote(eventId) {
      const quote = quoted.get(eventId);
      if (quote?.state !== 'hidden' || quote.revealing) return;
      const revealing: QuotedEvent = { ...quote, revealing: true, revealFailed: false };
      quoted.set(eventId, revealing);
      refreshReplies(eventId);
      fetchSoftFailed(client, roomId, eventId).then(
        (event) => {
          if (disposed || quoted.get(eventId) !== revealing) return;
          quoted.set(eventId, { state: 'revealed', reason: quote.reason, event });
          refreshReplies(eventId);
        },
        (error: unknown) => {
          log.warn(`the hidden message ${eventId} could not be fetched`, error);
          if (disposed || quoted.get(eventId) !== revealing) return;
          quoted.set(eventId, { ...quote, revealing: false, revealFailed: true });
          refreshReplies(eventId);
        },
      );
    },
    send(text, mode) {
      if (historyWindow && !historyWindow.joined) store.getState().jumpToLatest(); // what you send shows at the live end
      const intent = mode.kind === 'normal' ? { kind: 'normal' as const } : { kind: mode.kind, eventId: mode.eventId };
      const target = intent.kind === 'normal' ? undefined : messagesById.get(intent.eventId);
      const content = buildMessageContent(text, intent, {
        me,
        canMentionRoom: store.getState().canMentionRoom,
        replyToUser: intent.kind === 'reply' ? target?.event.sender : undefined,
        previous: intent.kind === 'edit' ? target?.content : undefined,
      });
      if (!content) return false;
      chat.getState().setDraft(roomId, '');
      chat.getState().setComposerMode(roomId, { kind: 'normal' });
      // The local echo shows sending / not sent; only refusals (not network trouble) need words here.
      client.sendMessage(roomId, content as never).catch((err: { name?: string; httpStatus?: number }) => {
        if (err?.name !== 'ConnectionError' && err?.httpStatus !== undefined && err.httpStatus < 500)
          notice(err, t('chat.composer.notSent'));
      });
      return true;
    },
    startReply(eventId) {
      const row = messagesById.get(eventId);
      if (!row) return;
      chat
        .getState()
        .setComposerMode(roomId, { kind: 'reply', eventId, senderName: row.profile.name, preview: previewText(row.content).slice(0, 120) });
    },
    startEdit(eventId) {
      const row = messagesById.get(eventId);
      if (!row) return;
      chat.getState().setComposerMode(roomId, { kind: 'edit', eventId, originalBody: editableText(row.content) });
      chat.getState().setDraft(roomId, editableText(row.content));
    },
    editLast() {
      const last = lastEditableMessage(eventRows as TimelineRow[], store.getState().myIdentity);
      if (!last) return false;
      store.getState().startEdit(last.event.id);
      return true;
    },
    redact(eventId) {
      client.redactEvent(roomId, eventId).catch((err) => notice(err, t('chat.deleteFailed')));
    },
    async answerKnock(identity, approve) {
      const target = actionTarget(identity);
      if (approve) await client.invite(roomId, target);
      else await client.kick(roomId, target);
    },
    toggleReaction(eventId, key) {
      const row = messagesById.get(eventId);
      void toggleReaction(client, room, eventId, row?.reactions ?? [], key, store.getState().myIdentity);
    },
    retry(eventId) {
      const event = findSdkEvent(room, eventId);
      if (event) client.resendEvent(event, room).catch(log.ignored('resend failed; the message stays not sent with its Retry'));
    },
    discard(eventId) {
      const event = findSdkEvent(room, eventId);
      if (event) client.cancelPendingEvent(event);
    },
    retryUpload: (uploadId) => retryUpload(client, uploadId),
    cancelUpload: (uploadId) => removeUpload(client, uploadId),
    sendFiles(files, threadId) {
      for (const file of files)
        void sendAttachment(client, roomId, file, threadId).then(
          (refusal) => refusal && chat.getState().showNotice(t('chat.composer.fileRefused', { reason: refusal })),
        );
    },
    loadMembers() {
      void room.loadMembersIfNeeded().catch(log.ignored('the full member list did not load; the panel shows the members known so far'));
    },
    async loadOlder() {
      const shown = historyWindow;
      if (loading || (shown ? !shown.canLoadOlder : room.oldState.paginationToken === null)) return;
      loading = true;
      store.setState({ loadingOlder: true, loadError: undefined });
      try {
        if (shown) {
          await shown.loadOlder();
          if (shown === historyWindow) rebuild();
        } else await client.scrollback(room, 50);
      } catch (err) {
        store.setState({ loadError: err });
      } finally {
        loading = false;
        if (!disposed) store.setState({ loadingOlder: false, canLoadOlder: headerState().canLoadOlder });
      }
    },
    async loadNewer() {
      const shown = historyWindow;
      if (loadingNewer || !shown?.canLoadNewer) return;
      loadingNewer = true;
      store.setState({ loadingNewer: true, loadError: undefined });
      try {
        await shown.loadNewer();
        if (shown === historyWindow) rebuild();
      } catch (err) {
        store.setState({ loadError: err });
      } finally {
        loadingNewer = false;
        if (!disposed) store.setState({ loadingNewer: false, anchored: historyWindow !== undefined && !historyWindow.joined });
      }
    },
    async showEvent(eventId) {
      const mine = ++focusRequest;
      const shownNow = historyWindow
        ? historyWindow.has(eventId)
        : room
            .getLiveTimeline()
            .getEvents()
            .some((e) => e.getId() === eventId);
      if (shownNow) {
        store.setState({ focus: { eventId, status: 'found' } });
        return;
      }
      store.setState({ focus: { eventId, status: 'looking' } });
      try {
        const opened = await EventWindow.open(client, room, eventId);
        if (mine !== focusRequest || disposed) return;
        historyWindow = opened;
        rebuild();
        store.setState({ focus: { eventId, status: 'found' }, anchored: !opened.joined, canLoadOlder: opened.canLoadOlder });
      } catch (err) {
        if (mine !== focusRequest || disposed) return;
        log.warn('the linked event could not be loaded', err);
        store.setState({ focus: { eventId, status: 'missing' } });
      }
    },
    jumpToLatest() {
      focusRequest++;
      const hadWindow = historyWindow !== undefined;
      historyWindow = undefined;
      store.setState({ focus: undefined, anchored: false, loadingNewer: false });
      if (hadWindow) {
        rebuild();
        store.setState({ canLoadOlder: headerState().canLoadOlder });
      }
    },
    sendTyping(typing) {
      void client
        .sendTyping(roomId, typing, typing ? 5000 : 0)
        .catch(
          log.ignored(
            typing ? 'typing notice not sent; the next keystroke sends another' : 'typing stop not sent; the notice times out by itself',
          ),
        );
    },
    // Away from the live end the newest messages are not on screen: nothing is read by looking at older ones.
    refreshReadMarker: () => store.setState(readMarkerNow()),
    markRead: () => (historyWindow && !historyWindow.joined ? Promise.resolve() : markRead(client, room)),
    inspect: (who) => identity.getState().openInspector(roomId, who),
    profileOf,
    profileOfUser: (userId) => profileOf({ identity: index.identityOfUser(userId), sender: userId }),
  }));

  // ---- what it listens to ----
  const onTimeline = (
    event: MatrixEvent,
    _room: Room | undefined,
    toStart: boolean | undefined,
    removed: boolean,
    data: IRoomTimelineData,
  ) => {
    if (data.timeline !== room.getLiveTimeline()) return; // threads' and old (/context) timelines aren't shown
    if (toStart || removed) return scheduleRebuild();
    appendLive(event);
  };
  const onState = () => store.setState(headerState());
  const onReceipt = () => {
    const readers = readersNow(store.getState().readers);
    if (readers !== store.getState().readers) store.setState({ readers });
  };
  const onTyping = (_e: MatrixEvent, member: RoomMember) => {
    if (member.roomId !== roomId) return;
    const typing = typingNow(store.getState().typing);
    if (typing !== store.getState().typing) store.setState({ typing });
  };
  const onName = () => store.setState({ name: room.name });

  // A message decrypted (or found unreadable) after it reached the timeline: its row changes, and what it folds into
  // (an edit, a reaction) may too. A room opening decrypts many at once: one rebuild per frame, not one per message.
  let decryptedTimer: ReturnType<typeof setTimeout> | undefined;
  const onDecrypted = (event: MatrixEvent) => {
    if (event.getRoomId() !== roomId || disposed) return;
    decryptedTimer ??= setTimeout(() => {
      decryptedTimer = undefined;
      scheduleRebuild();
    }, 16);
  };
  client.on(MatrixEventEvent.Decrypted, onDecrypted);
  client.on(ClientEvent.Sync, onSync);
  room.on(RoomEvent.Timeline, onTimeline);
  room.on(RoomEvent.TimelineReset, scheduleRebuild);
  room.on(RoomEvent.Redaction, onRedaction);
  room.on(RoomEvent.LocalEchoUpdated, scheduleRebuild);
  room.on(RoomEvent.Receipt, onReceipt);
  room.on(RoomEvent.Name, onName);
  room.on(RoomEvent.AccountData, onAccountData);
  room.on(RoomStateEvent.Update, onState);
  client.on(RoomMemberEvent.Typing, onTyping);

  const unsubscribeIndex = index.subscribe((changed) => refreshIdentities(new Set(changed)));
  const unsubscribeIdentity = identity.subscribe((next) => {
    const nextFacts = identityFactsOf(next, roomId);
    if (nextFacts === facts) return;
    const changed = changedIdentities(facts, nextFacts);
    facts = nextFacts;
    if (!store.getState().hasMemberInfo && next.complete?.[roomId]) store.setState({ hasMemberInfo: true });
    const withheldKeys = withheldNow();
    if (withheldKeys !== store.getState().withheldKeys) store.setState({ withheldKeys });
    refreshIdentities(changed);
  });
  const unsubscribeUploads = uploads.subscribe((next) => {
    const mine = next.uploads.filter((u) => u.roomId === roomId && !u.threadId); // a thread's show in its panel
    if (mine.length === roomUploads.length && mine.every((u, i) => u === roomUploads[i])) return;
    roomUploads = mine;
    publish();
  });
  roomUploads = uploads.getState().uploads.filter((u) => u.roomId === roomId && !u.threadId);
  const unsubscribeLinks = links.subscribe((next) => {
    const notices = noticesOfRoom(next, roomId);
    if (notices === linkNotices) return;
    linkNotices = notices;
    scheduleRebuild();
  });

  rebuild();
  store.setState({ typing: typingNow([]) });

  return Object.assign(store, {
    dispose() {
      disposed = true;
      if (decryptedTimer) clearTimeout(decryptedTimer);
      client.off(MatrixEventEvent.Decrypted, onDecrypted);
      client.off(ClientEvent.Sync, onSync);
      room.off(RoomEvent.Timeline, onTimeline);
      room.off(RoomEvent.TimelineReset, scheduleRebuild);
      room.off(RoomEvent.Redaction, onRedaction);
      room.off(RoomEvent.LocalEchoUpdated, scheduleRebuild);
      room.off(RoomEvent.Receipt, onReceipt);
      room.off(RoomEvent.Name, onName);
      room.off(RoomEvent.AccountData, onAccountData);
      room.off(RoomStateEvent.Update, onState);
      client.off(RoomMemberEvent.Typing, onTyping);
      unsubscribeIndex();
      unsubscribeIdentity();
      unsubscribeUploads();
      unsubscribeLinks();
    },
  });
}
