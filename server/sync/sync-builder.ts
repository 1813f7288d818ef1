// Builds one /sync response for one device between two stream positions.
import { createHash } from 'node:crypto';
import { type LinkInfo, MEMBER_INFO_FIELD, MEMBER_KEYS_COUNT_FIELD, type MemberInfo } from '../../src/protocol';
import type { Homeserver } from '../homeserver';
import { ClientFormatter, INVITER_LINK_FIELD, type ClientEvent, type FormatterSources } from '../rooms/client-format';
import { usesMemberKeys } from '../rooms/room-versions';
import type { Session } from '../storage/accounts';
import type { AccountDataRow } from '../storage/account-data';
import type { MembershipRow, StoredEvent } from '../storage/events';
import { stateKeyOf } from '../storage/events';
import { defaultPushRules } from '../client-api/pushrules';
import { MOVED_TO_FIELD } from '../http/auth';
import { LOWEST_POSITION } from '../client-api/history-visibility';
import { userHistoryView, type HistoryView } from '../client-api/room-access';
import { eventMatches, roomAllowed, type EventFilter, type Filter } from './filter';
import { memoRead } from './read-memo';
import { MAX_HEROES, roomStateDigest } from './room-state-cache';
import { formatPaginationToken, formatSyncToken, type SyncToken } from './tokens';

export const DEFAULT_TIMELINE_LIMIT = 10;
const MAX_TIMELINE_LIMIT = 500;

export interface SyncRequest {
  session: Session;
  filter: Filter;
  since?: SyncToken;
  fullState: boolean;
}

type Json = Record<string, unknown>;

/** What a /sync response is built from: the formatter's sources, plus the streams, typing, receipts, account data and counts. */
export type SyncSources = FormatterSources &
  Pick<Homeserver, 'stream' | 'typing' | 'receipts' | 'accountData' | 'push' | 'accountKeys' | 'inviteKeys' | 'e2ee'>;

export async function buildSync(hs: SyncSources, request: SyncRequest): Promise<{ body: Json; hasUpdates: boolean; next: SyncToken }> {
  const { session, filter } = request;
  const memberships = hs.events.membershipsOf(session.userId).filter((m) => !m.forgotten && roomAllowed(filter.room, m.room_id));
  await hs.links.ensureRooms(memberships.map((m) => m.room_id));
  // Everything below is synchronous, so `to` is an exact snapshot.
  const next: SyncToken = { position: hs.stream.current(), typing: hs.typing.current() };
  // E2EE first: capped to-device messages stop the whole response at the last one given (e2ee/e2ee.ts).
  const e2ee = hs.e2ee.syncSections(session, request.since, next.position);
  next.position = e2ee.position;
  // One read of the user's account data changes, global and per room.
  const accountDataRows = hs.accountData.changedSince(session.userId, request.since?.position ?? 0);
  const builder = new RoomSyncBuilder(hs, request, next, accountDataRows);
  const rooms = { join: {} as Json, invite: {} as Json, leave: {} as Json, knock: {} as Json };
  let hasUpdates = false;
  for (const membership of memberships) {
    const section = builder.room(membership);
    if (!section) continue;
    rooms[section.kind][membership.room_id] = section.body;
    hasUpdates = true;
  }
  const accountData = globalAccountData(session.userId, accountDataRows, request.since, filter.accountData);
  if (accountData.length > 0) hasUpdates = true;
  // A sync that carries to-device messages or device-list changes is news (and its token moves: nio needs that).
  if (e2ee.toDevice.length > 0 || e2ee.changed.length > 0 || e2ee.left.length > 0) hasUpdates = true;
  const body: Json = {
    next_batch: formatSyncToken(next),
    rooms,
    account_data: { events: accountData },
    presence: { events: [] },
    to_device: { events: e2ee.toDevice },
    device_lists: { changed: e2ee.changed, left: e2ee.left },
    device_one_time_keys_count: e2ee.oneTimeKeyCounts,
    device_unused_fallback_key_types: e2ee.unusedFallbackKeyTypes,
  };
  // PROTOCOL.md §5: a portable account's client tops its invite-key pool up when this runs low.
  if (hs.accountKeys.forUser(session.userId)) body[MEMBER_KEYS_COUNT_FIELD] = hs.inviteKeys.unusedCount(session.userId);
  return { body, hasUpdates, next };
}

function globalAccountData(userId: string, changed: AccountDataRow[], since: SyncToken | undefined, filter: EventFilter): Json[] {
  const rows = changed.filter((r) => r.room_id === '');
  const events = rows.map((r) => ({ type: r.type, content: JSON.parse(r.content) as Json }));
  if (!since && !events.some((e) => e.type === 'm.push_rules')) {
    events.push({ type: 'm.push_rules', content: defaultPushRules(userId, userId.slice(1, userId.indexOf(':'))) });
  }
  return events.filter((e) => eventMatches(filter, e)).slice(0, filter.limit ?? Infinity);
}

class RoomSyncBuilder {
  private readonly formatter: ClientFormatter;
  constructor(
    private readonly hs: SyncSources,
    private readonly request: SyncRequest,
    private readonly next: SyncToken,
    private readonly accountDataRows: AccountDataRow[],
  ) {
    this.formatter = new ClientFormatter(hs, request.session);
  }

  room(membership: MembershipRow): { kind: 'join' | 'invite' | 'leave' | 'knock'; body: Json } | undefined {
    const since = this.request.since;
    const changedSince = since === undefined || membership.stream_ordering > since.position;
    switch (membership.membership) {
      case 'join': {
        const newlyJoined = this.isNewlyJoined(membership);
        const resumeAt = newlyJoined ? this.heldTimelineEnd(membership) : undefined;
        const body = this.roomBody(membership.room_id, this.next.position, newlyJoined, false, resumeAt);
        return body ? { kind: 'join', body } : undefined;
      }
      case 'invite':
        return changedSince ? { kind: 'invite', body: this.inviteBody(membership) } : undefined;
      case 'knock':
        return changedSince ? { kind: 'knock', body: { knock_state: this.inviteBody(membership).invite_state } } : undefined;
      case 'leave':
      case 'ban': {
        if (!changedSince || (since === undefined && !this.request.filter.room.includeLeave)) return undefined;
        const body = this.roomBody(membership.room_id, membership.stream_ordering, since === undefined, true);
        return body ? { kind: 'leave', body } : undefined;
      }
      default:
        return undefined;
    }
  }

  /** Joined since the last sync (not just a profile change re-sending the join): the room starts over. */
  private isNewlyJoined(membership: MembershipRow): boolean {
    const since = this.request.since;
    if (since === undefined || this.request.fullState) return true;
    if (membership.stream_ordering <= since.position) return false;
    const version = this.formatter.version(membership.room_id);
    const memberId = this.hs.rooms.memberIdFor(membership.room_id, version, this.request.session.userId);
    const before = this.hs.events.memberEvents(membership.room_id, memberId, since.position, 1)[0];
    return before?.pdu.content.membership !== 'join';
  }

  /**
   * Rejoined since the last sync, a room this user's client already holds timeline events of (a leave, a kick or a ban
   * it was sent in the leave section): where those end. Its timeline then starts after them and says it is limited, so
   * the client starts a new one and pages back into the rest; repeating what it holds would make matrix-js-sdk keep
   * its old timeline, which has no way back (the history before the leave never shows).
   */
  private heldTimelineEnd(membership: MembershipRow): number | undefined {
    const since = this.request.since;
    if (since === undefined || this.request.fullState) return undefined;
    const version = this.formatter.version(membership.room_id);
    const memberId = this.hs.rooms.memberIdFor(membership.room_id, version, this.request.session.userId);
    const earlier = this.hs.events.memberEvents(membership.room_id, memberId, since.position, 20);
    return earlier.some((e) => e.pdu.content.membership === 'leave' || e.pdu.content.membership === 'ban') ? since.position : undefined;
  }

  private roomBody(roomId: string, upTo: number, fromStart: boolean, leaving = false, resumeAt?: number): Json | undefined {
    const { filter, since, session } = this.request;
    // The live timeline starts at 0 (backfilled history lies below it, reached by paginating from prev_batch).
    const floor = resumeAt ?? (fromStart ? 0 : (since?.position ?? 0));
    const history = userHistoryView(this.hs, roomId, session.userId, this.formatter.version(roomId));
    const timelineFilter = filter.room.timeline;
    const limit = Math.min(timelineFilter.limit ?? DEFAULT_TIMELINE_LIMIT, MAX_TIMELINE_LIMIT);
    const picked = this.timeline(history, floor, upTo, limit, timelineFilter);
    const { events: timeline, firstPosition } = picked;
    // Resuming: anything the user may see before the timeline is a gap the client fills by paging back.
    const limited =
      picked.limited ||
      (resumeAt !== undefined && !history.backward((timeline[0]?.streamOrdering ?? upTo + 1) - 1, LOWEST_POSITION, 1, true).next().done);
    const stateStart = timeline.length > 0 ? firstPosition - 1 : upTo;

    let stateEvents: StoredEvent[];
    if (fromStart) stateEvents = [...this.stateAt(roomId, stateStart).values()];
    else if (limited) stateEvents = [...this.stateChanges(roomId, floor, stateStart)];
    else stateEvents = [];
    const timelineIds = new Set(timeline.map((e) => e.eventId));
    stateEvents = stateEvents.filter((e) => !timelineIds.has(e.eventId));
    const formerLeaves = fromStart ? [] : this.formerUserIdLeaves(roomId, [...stateEvents, ...timeline], floor, upTo);
    if (filter.room.state.lazyLoadMembers) stateEvents = this.lazyMembers(roomId, stateEvents, timeline, stateStart, fromStart);
    stateEvents = stateEvents.filter((e) => eventMatches(filter.room.state, this.formatter.event(e)));

    const body: Json = {
      timeline: {
        events: timeline.map((e) => this.formatter.withAggregations(e)),
        limited,
        prev_batch: formatPaginationToken(timeline.length > 0 ? firstPosition - 1 : upTo),
      },
      state: {
        events: [...formerLeaves.filter((e) => eventMatches(filter.room.state, e)), ...stateEvents.map((e) => this.formatter.event(e))],
      },
      account_data: { events: this.roomAccountData(roomId) },
    };
    let hasContent = timeline.length > 0 || stateEvents.length > 0 || (body.account_data as { events: unknown[] }).events.length > 0;
    if (!leaving) {
      const ephemeral = this.ephemeral(roomId);
      body.ephemeral = { events: ephemeral };
      if (ephemeral.length > 0) hasContent = true;
      this.addUnread(roomId, body);
      // The summary only changes with membership: send it for a fresh room or when members changed.
      const membersChanged = [...timeline, ...stateEvents].some((e) => e.pdu.type === 'm.room.member');
      if (fromStart || membersChanged) body.summary = this.summary(roomId);
    }
    const memberInfo = this.memberInfo(roomId, fromStart, floor, upTo);
    if (memberInfo) {
      body[MEMBER_INFO_FIELD] = memberInfo;
      if (Object.keys(memberInfo).length > 0) hasContent = true;
    }
    return hasContent || fromStart ? body : undefined;
  }

  /**
   * A member who moved servers (PROTOCOL.md §7) keeps its member key, and its member event now names the new user ID
   * (`@dana:beta`); the client was told of the old one (`@dana:alpha`) and no event says that one went. A client
   * that knows nothing of member keys (and matrix-js-sdk's member list) would keep the old user ID as a member and
   * keep sending its devices room keys (§8: after the move they go to the new user ID's devices). So an incremental
   * sync that carries such a member event also carries, in `state`, a leave for the old user ID: made here, never
   * stored, `unsigned["dev.wayfarer.moved_to"]` naming the new user ID, and no stable ID (it is not the key leaving).
   */
  private formerUserIdLeaves(roomId: string, events: StoredEvent[], floor: number, upTo: number): ClientEvent[] {
    if (!usesMemberKeys(this.formatter.version(roomId))) return [];
    const claim = (e: StoredEvent) => {
      const { localpart, domain } = e.pdu.content;
      return typeof localpart === 'string' && typeof domain === 'string' ? `@${localpart}:${domain}` : undefined;
    };
    const leaves: ClientEvent[] = [];
    let current: Set<string> | undefined;
    for (const event of events) {
      const key = event.pdu.state_key;
      if (event.pdu.type !== 'm.room.member' || !key || key.includes(':')) continue;
      const before = this.hs.events.memberEvents(roomId, key, floor, 1)[0];
      if (!before || (before.pdu.content.membership !== 'join' && before.pdu.content.membership !== 'invite')) continue;
      const formerId = claim(before);
      const nowId = this.formatter.displayId(roomId, key);
      if (!formerId || formerId === claim(event) || formerId === nowId || formerId === this.request.session.userId) continue;
      // Someone else (another key) still shown as that user ID is a member: not ours to say they left.
      current ??= new Set(
        [...this.stateAt(roomId, upTo).values()]
          .filter((e) => e.pdu.type === 'm.room.member' && e.pdu.state_key && e.pdu.content.membership !== 'leave')
          .map((e) => this.formatter.displayId(roomId, e.pdu.state_key!)),
      );
      if (current.has(formerId) || leaves.some((l) => l.state_key === formerId)) continue;
      leaves.push({
        type: 'm.room.member',
        event_id: `$${createHash('sha256').update(`${event.eventId}\u0000${formerId}`).digest('base64url')}`,
        room_id: roomId,
        sender: formerId,
        state_key: formerId,
        origin_server_ts: event.pdu.origin_server_ts,
        content: { membership: 'leave', reason: `moved to ${nowId}` },
        unsigned: { age: Math.max(0, Date.now() - event.pdu.origin_server_ts), [MOVED_TO_FIELD]: nowId },
      });
    }
    return leaves;
  }

  /**
   * Newest `limit` events in (floor, upTo] that the user may see and that pass the filter, oldest first. `limited`
   * when a visible event is left behind them (hidden history alone leaves no gap to fill).
   */
  private timeline(history: HistoryView, floor: number, upTo: number, limit: number, eventFilter: EventFilter) {
    const picked: StoredEvent[] = [];
    let limited = false;
    const rows = history.backward(upTo, floor, Math.max(limit * 2, 20), true);
    if (limit > 0) {
      for (const row of rows) {
        if (!eventMatches(eventFilter, this.formatter.event(row))) continue;
        picked.push(row);
        if (picked.length === limit) break;
      }
    }
    if (picked.length === limit) {
      const oldest = picked.at(-1)?.streamOrdering ?? upTo + 1;
      limited = !history.backward(oldest - 1, floor, 1, true).next().done;
    }
    picked.reverse();
    return { events: picked, limited, firstPosition: picked[0]?.streamOrdering ?? upTo + 1 };
  }

  /**
   * Lazy-loading: keep only the member events of timeline senders (and, in a fresh room, the user's own), and add
   * missing ones. An incremental sync adds members only for senders in its timeline: re-sending unchanged member
   * events in an otherwise empty response would end every long-poll at once (a client then spins on /sync).
   */
  private lazyMembers(
    roomId: string,
    state: StoredEvent[],
    timeline: StoredEvent[],
    statePosition: number,
    fromStart: boolean,
  ): StoredEvent[] {
    const needed = new Set(timeline.map((e) => e.pdu.sender));
    const own = this.hs.rooms.memberIdFor(roomId, this.formatter.version(roomId), this.request.session.userId);
    if (fromStart) needed.add(own);
    const inTimeline = new Set(timeline.filter((e) => e.pdu.type === 'm.room.member').map((e) => e.pdu.state_key));
    const kept = state.filter((e) => e.pdu.type !== 'm.room.member' || needed.has(e.pdu.state_key!) || e.pdu.state_key === own);
    const present = new Set(kept.filter((e) => e.pdu.type === 'm.room.member').map((e) => e.pdu.state_key));
    for (const member of needed) {
      if (present.has(member) || inTimeline.has(member)) continue;
      // The member's event in the state at statePosition: the latest one at or below it (what stateAt() would pick).
      const event = memoRead(
        this.hs,
        `member\u0000${roomId}\u0000${member}\u0000${statePosition}`,
        () => this.hs.events.memberEvents(roomId, member, statePosition, 1)[0],
      );
      if (event) kept.push(event);
    }
    return kept;
  }

  /** The room state after `position` (shared with the other long-polls woken at the same moment: read only). */
  private stateAt(roomId: string, position: number): ReadonlyMap<string, StoredEvent> {
    return memoRead(this.hs, `stateAt\u0000${roomId}\u0000${position}`, () => this.hs.events.stateAt(roomId, position));
  }

  /** The latest state event per key in (from, to] (shared like stateAt: read only). */
  private stateChanges(roomId: string, from: number, to: number): readonly StoredEvent[] {
    return memoRead(this.hs, `stateChanges\u0000${roomId}\u0000${from}\u0000${to}`, () => this.hs.events.stateChanges(roomId, from, to));
  }

  private roomAccountData(roomId: string): Json[] {
    const rows = this.accountDataRows.filter((r) => r.room_id === roomId);
    return rows
      .map((r) => ({ type: r.type, content: JSON.parse(r.content) as Json }))
      .filter((e) => eventMatches(this.request.filter.room.accountData, e));
  }

  private ephemeral(roomId: string): Json[] {
    const since = this.request.since;
    const events: Json[] = [];
    const typing = this.hs.typing.changedSince(roomId, since?.typing ?? 0);
    if (typing) events.push({ type: 'm.typing', content: { user_ids: typing } });
    // The room's receipts since the token (filtered per viewer below), shared by the long-polls woken together. A
    // receipt moves the stream position without an event write, so the position is part of the key.
    const from = since?.position ?? 0;
    const receipts = memoRead(this.hs, `receipts\u0000${roomId}\u0000${from}\u0000${this.next.position}`, () =>
      this.hs.receipts.since(roomId, from),
    );
    const content: Record<string, Record<string, Record<string, Json>>> = {};
    for (const receipt of receipts) {
      if (receipt.receipt_type === 'm.read.private' && receipt.user_id !== this.request.session.userId) continue;
      const byType = (content[receipt.event_id] ??= {});
      const byUser = (byType[receipt.receipt_type] ??= {});
      byUser[receipt.user_id] = { ts: receipt.ts, ...(receipt.thread_id !== '' ? { thread_id: receipt.thread_id } : {}) };
    }
    if (Object.keys(content).length > 0) events.push({ type: 'm.receipt', content });
    return events.filter((e) => eventMatches(this.request.filter.room.ephemeral, e as { type: string }));
  }

  /** The room's unread counts; asked for per thread, the main timeline's apart from each thread's (spec v1.4). */
  private addUnread(roomId: string, body: Json): void {
    const userId = this.request.session.userId;
    if (!this.request.filter.room.timeline.unreadThreadNotifications) {
      body.unread_notifications = this.hs.push.counts(roomId, userId);
      return;
    }
    const { main, threads } = this.hs.push.threadedCounts(roomId, userId);
    body.unread_notifications = main;
    if (Object.keys(threads).length > 0) body.unread_thread_notifications = threads;
  }

  private summary(roomId: string): Json {
    const digest = roomStateDigest(this.hs, roomId);
    const own = this.hs.rooms.memberIdFor(roomId, this.formatter.version(roomId), this.request.session.userId);
    // Display IDs follow link verdicts, which move the stream position when they change: shared at one position.
    const candidates = memoRead(this.hs, `heroes\u0000${roomId}\u0000${this.next.position}\u0000${this.hs.links.verdictVersion()}`, () =>
      digest.heroCandidates.map((member) => ({ member, displayId: this.formatter.displayId(roomId, member) })),
    );
    const heroes = candidates
      .filter(({ member }) => member !== own)
      .slice(0, MAX_HEROES)
      .map(({ displayId }) => displayId);
    return {
      'm.joined_member_count': digest.joined,
      'm.invited_member_count': digest.invited,
      ...(digest.hasName ? {} : { 'm.heroes': heroes }),
    };
  }

  /** MSC4428 member_info: the whole map on a fresh room, else only members whose member events changed. */
  private memberInfo(roomId: string, fromStart: boolean, floor: number, upTo: number): Record<string, MemberInfo> | undefined {
    if (!usesMemberKeys(this.formatter.version(roomId))) return undefined;
    const keys = new Set<string>();
    const source = fromStart ? this.stateAt(roomId, upTo).values() : this.stateChanges(roomId, floor, upTo).values();
    for (const event of source) if (event.pdu.type === 'm.room.member' && event.pdu.state_key) keys.add(event.pdu.state_key);
    // A link that changed status (a re-check) reaches clients here, without any new event in the room.
    if (!fromStart) {
      const changed = memoRead(this.hs, `linksChanged\u0000${roomId}\u0000${floor}\u0000${upTo}`, () =>
        this.hs.links.changedMembers(roomId, floor, upTo),
      );
      for (const key of changed) keys.add(key);
    }
    const map: Record<string, MemberInfo> = {};
    for (const key of keys)
      map[key] = memoRead(
        this.hs,
        `memberInfo\u0000${roomId}\u0000${key}\u0000${this.next.position}\u0000${this.hs.links.verdictVersion()}`,
        () => this.hs.links.memberInfo(roomId, key),
      );
    return map;
  }

  private inviteBody(membership: MembershipRow): Json {
    const roomId = membership.room_id;
    const state = this.hs.events.stateAt(roomId, membership.stream_ordering);
    const types = [
      'm.room.create',
      'm.room.join_rules',
      'm.room.name',
      'm.room.avatar',
      'm.room.canonical_alias',
      'm.room.encryption',
      'm.room.topic',
    ];
    const stripped: Json[] = [];
    for (const type of types) {
      const event = state.get(stateKeyOf(type, ''));
      if (event) stripped.push(this.formatter.stripped(event));
    }
    const invite = this.hs.events.event(membership.event_id);
    if (invite) {
      // An invite over federation to a room this server is not in: the inviting server's stripped state (a knock's:
      // the knocked server's knock_room_state).
      const remoteState = invite.pdu.unsigned?.invite_room_state ?? invite.pdu.unsigned?.knock_room_state;
      if (!state.has(stateKeyOf('m.room.create', '')) && Array.isArray(remoteState)) {
        const inviterLink = invite.pdu.unsigned?.[INVITER_LINK_FIELD] as LinkInfo | undefined;
        if (inviterLink) this.formatter.knowDetachedLink(roomId, invite.pdu.sender, inviterLink);
        const memberKeys = usesMemberKeys(this.formatter.version(roomId));
        // Member-key rooms: senders and member state keys are keys; only the inviter's is named (by its checked link).
        const idOf = (id: unknown) =>
          memberKeys && typeof id === 'string' && !id.includes(':') ? this.formatter.displayId(roomId, id) : id;
        for (const e of remoteState as Record<string, unknown>[]) {
          if (typeof e.type !== 'string' || typeof e.state_key !== 'string') continue;
          if (e.type === 'm.room.member' && e.state_key === invite.pdu.state_key) continue;
          const stateKey = e.type === 'm.room.member' ? idOf(e.state_key) : e.state_key;
          stripped.push({ type: e.type, state_key: stateKey, content: e.content, sender: idOf(e.sender) });
        }
      }
      stripped.push(this.formatter.stripped(invite));
      const inviter = state.get(stateKeyOf('m.room.member', invite.pdu.sender));
      if (inviter && inviter.eventId !== invite.eventId) stripped.push(this.formatter.stripped(inviter));
    }
    return { invite_state: { events: stripped } };
  }
}

export type { ClientEvent };
