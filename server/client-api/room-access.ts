// Who may read a room, and which of its events: joined members see it live, former members as it was when they
// left, and each event only if the history visibility and the reader's membership at that event allow it.
import type { Homeserver } from '../homeserver';
import { forbidden, notFound } from '../http/errors';
import type { Pdu } from '../rooms/pdu';
import { usesMemberKeys } from '../rooms/room-versions';
import type { MembershipRow, StoredEvent } from '../storage/events';
import { memoByRoomState, memoRead, type MemoSource } from '../sync/read-memo';
import { isVisibleAt, visibilityOf, visibleRanges, visibleSegments, type Change, type Segment } from './history-visibility';

export interface RoomView {
  version: string;
  membership: MembershipRow;
  /** Highest stream position this user may see in the room. */
  ceiling: number;
  /** Which of the room's events this user may see. */
  history: HistoryView;
}

export function roomViewFor(hs: Homeserver, roomId: string, userId: string): RoomView {
  const room = hs.events.room(roomId);
  if (!room) throw notFound(`Unknown room ${roomId}`);
  const membership = hs.events.membership(roomId, userId);
  const history = userHistoryView(hs, roomId, userId, room.room_version);
  if (!membership || membership.membership === 'invite' || membership.membership === 'knock') {
    if (isWorldReadable(hs, roomId)) {
      return { version: room.room_version, membership: membership ?? noMembership(roomId, userId), ceiling: hs.stream.current(), history };
    }
    throw forbidden(`${userId} is not in room ${roomId}`);
  }
  const ceiling = membership.membership === 'join' ? hs.stream.current() : membership.stream_ordering;
  return { version: room.room_version, membership, ceiling, history };
}

/**
 * The events of one room a reader may see, as runs of positions. Built from the few state events that change
 * the verdict (history visibility, the reader's membership), so a page of events costs no state lookups.
 */
export class HistoryView {
  constructor(
    private readonly hs: MemoSource,
    readonly roomId: string,
    private readonly segments: Segment[],
  ) {}

  canSee(event: StoredEvent): boolean {
    return event.roomId === this.roomId && isVisibleAt(this.segments, event.streamOrdering);
  }

  canSeeAt(position: number): boolean {
    return isVisibleAt(this.segments, position);
  }

  /** Could the reader see an event just below `position`, by the state we hold there? (before asking peers for history) */
  canSeeBelow(position: number): boolean {
    return isVisibleAt(this.segments, position - 1);
  }

  /**
   * Visible timeline events in (floor, upTo], newest first, read run by run in batches of `batch`. `shared`: the
   * rows may come from (and go to) the read memo of the long-polls woken together; the caller must not change them.
   */
  *backward(upTo: number, floor: number, batch: number, shared = false): Generator<StoredEvent> {
    for (const range of visibleRanges(this.segments, floor + 1, upTo).reverse()) {
      let cursor = range.hi;
      for (;;) {
        const [from, lo] = [cursor, range.lo - 1];
        const read = () => this.hs.events.eventsBackward(this.roomId, from, lo, batch);
        const rows = shared ? memoRead(this.hs, `backward\u0000${this.roomId}\u0000${from}\u0000${lo}\u0000${batch}`, read) : read();
        yield* rows;
        if (rows.length < batch) break;
        cursor = rows.at(-1)!.streamOrdering - 1;
      }
    }
  }

  /** Visible timeline events in (after, ceiling], oldest first, read run by run in batches of `batch`. */
  *forward(after: number, ceiling: number, batch: number): Generator<StoredEvent> {
    for (const range of visibleRanges(this.segments, after + 1, ceiling)) {
      let cursor = range.lo - 1;
      for (;;) {
        const rows = this.hs.events.eventsForward(this.roomId, cursor, range.hi, batch);
        yield* rows;
        if (rows.length < batch) break;
        cursor = rows.at(-1)!.streamOrdering;
      }
    }
  }
}

/** What a user's history view reads: the events (membership and visibility history) and the room's member keys. */
export type UserHistorySource = MemoSource & Pick<Homeserver, 'memberKeys'>;

/**
 * What a user may see of a room: their member (the member key in member-key rooms) judged at each event. With
 * `asOf`, what they could see as a member by the state up to that stream position (a later join or setting does not
 * count, and `world_readable` counts as `shared`: that anyone could have read it is not that they did).
 */
export function userHistoryView(hs: UserHistorySource, roomId: string, userId: string, version: string, asOf?: number): HistoryView {
  const memberId = usesMemberKeys(version) ? hs.memberKeys.forUser(roomId, userId)?.member_key : userId;
  const upTo = <T extends { position: number }>(changes: T[]) => (asOf === undefined ? changes : changes.filter((c) => c.position <= asOf));
  // A pure function of the room's state events (member and visibility history, create event) and the member ID.
  const segments = memoByRoomState(hs, roomId, `history\u0000${memberId ?? ''}\u0000${asOf ?? ''}`, () => {
    const members = memberId ? [upTo(membershipChanges(hs.events.keyHistory(roomId, 'm.room.member', memberId)))] : [];
    const settings = roomSettings(hs, roomId);
    return visibleSegments({ ...settings, visibility: asMember(upTo(settings.visibility), asOf), members });
  });
  return new HistoryView(hs, roomId, segments);
}

/**
 * What a server may see of a room (federation /backfill, /event): an event is visible if one of the server's
 * members could see it, so `joined` and `invited` are judged by that server's members at the event. With `asOf`,
 * what it could see by the state up to that stream position.
 */
export function serverHistoryView(
  hs: Homeserver,
  roomId: string,
  domainOf: (member: Pdu) => string | undefined,
  server: string,
  asOf?: number,
): HistoryView {
  const byMember = new Map<string, { position: number; pdu: Pdu }[]>();
  for (const row of hs.events.memberEventsOfRoom(roomId)) {
    if (asOf !== undefined && row.position > asOf) continue;
    const key = row.pdu.state_key!;
    const rows = byMember.get(key);
    if (rows) rows.push(row);
    else byMember.set(key, [row]);
  }
  // A member belongs to the server its latest member event names (its domain claim, or its user ID's server).
  const members = [...byMember.values()].filter((rows) => domainOf(rows.at(-1)!.pdu) === server).map(membershipChanges);
  const settings = roomSettings(hs, roomId);
  const visibility =
    asOf === undefined
      ? settings.visibility
      : asMember(
          settings.visibility.filter((c) => c.position <= asOf),
          asOf,
        );
  return new HistoryView(hs, roomId, visibleSegments({ ...settings, visibility, members }));
}

/** For a judgment as of a position (erasure): a member's view, so `world_readable` is judged as `shared`. */
function asMember(visibility: Change[], asOf: number | undefined): Change[] {
  return asOf === undefined ? visibility : visibility.map((c) => (c.value === 'world_readable' ? { ...c, value: 'shared' } : c));
}

/**
 * Erasure (Client-Server API, POST /account/deactivate `erase`): whether a reader is served an erased account's event
 * redacted — the reader could not see it as of the erasure. `viewAsOf` is the reader's view of a room as of a stream
 * position (a user's or a server's; undefined: no reader, nothing was seen); one judge per response memoises them.
 */
export function erasureJudge(
  erasedAt: (userId: string) => number | undefined,
  viewAsOf: (roomId: string, position: number) => HistoryView | undefined,
): (stored: StoredEvent | undefined) => boolean {
  const views = new Map<string, HistoryView | undefined>();
  return (stored) => {
    const at = stored?.senderUserId ? erasedAt(stored.senderUserId) : undefined;
    if (!stored || at === undefined) return false;
    if (stored.streamOrdering > at) return true;
    const key = `${stored.roomId}\u0000${at}`;
    if (!views.has(key)) views.set(key, viewAsOf(stored.roomId, at));
    return !views.get(key)?.canSee(stored);
  };
}

function roomSettings(hs: Pick<Homeserver, 'events'>, roomId: string): { visibility: Change[]; createPosition?: number } {
  const visibility = hs.events
    .keyHistory(roomId, 'm.room.history_visibility', '')
    .map((r) => ({ position: r.position, value: visibilityOf(r.pdu.content) }));
  const createId = hs.events.currentStateEventId(roomId, 'm.room.create', '');
  const createPosition = createId ? hs.events.event(createId)?.streamOrdering : undefined;
  return { visibility, ...(createPosition !== undefined ? { createPosition } : {}) };
}

function membershipChanges(rows: { position: number; pdu: Pdu }[]): Change[] {
  return rows.map((r) => ({ position: r.position, value: String(r.pdu.content.membership) }));
}

export function requireJoined(hs: Homeserver, roomId: string, userId: string): string {
  const version = hs.rooms.versionOf(roomId);
  if (hs.events.membership(roomId, userId)?.membership !== 'join') throw forbidden(`${userId} is not joined to ${roomId}`);
  return version;
}

function isWorldReadable(hs: Homeserver, roomId: string): boolean {
  const id = hs.events.currentStateEventId(roomId, 'm.room.history_visibility', '');
  return id ? hs.events.event(id)?.pdu.content.history_visibility === 'world_readable' : false;
}

function noMembership(roomId: string, userId: string): MembershipRow {
  return { room_id: roomId, user_id: userId, membership: 'leave', event_id: '', stream_ordering: 0, forgotten: 0 };
}
