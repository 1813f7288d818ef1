// Rooms, events (full PDUs), current state, forward extremities and local memberships.
import type { Db } from './database';
import type { Pdu } from '../rooms/pdu';
import { RelationStore } from './relations';
import { rollbackJournal, type RollbackJournal } from './rollback-journal';
import { StateCache } from './state-cache';

export interface StoredEvent {
  streamOrdering: number;
  eventId: string;
  roomId: string;
  pdu: Pdu;
  redactedBy: string | null;
  replacesState: string | null;
  senderUserId: string | null;
  txnDeviceId: string | null;
  txnId: string | null;
}

interface EventRow {
  stream_ordering: number;
  event_id: string;
  room_id: string;
  pdu: string;
  redacted_by: string | null;
  replaces_state: string | null;
  sender_user_id: string | null;
  txn_device_id: string | null;
  txn_id: string | null;
}

const COLUMNS = 'stream_ordering, event_id, room_id, pdu, redacted_by, replaces_state, sender_user_id, txn_device_id, txn_id';

function toStored(row: EventRow): StoredEvent {
  return {
    streamOrdering: row.stream_ordering,
    eventId: row.event_id,
    roomId: row.room_id,
    pdu: JSON.parse(row.pdu) as Pdu,
    redactedBy: row.redacted_by,
    replacesState: row.replaces_state,
    senderUserId: row.sender_user_id,
    txnDeviceId: row.txn_device_id,
    txnId: row.txn_id,
  };
}

export interface RoomRow {
  room_id: string;
  room_version: string;
  creator: string;
  is_public: number;
}

export interface MembershipRow {
  room_id: string;
  user_id: string;
  membership: string;
  event_id: string;
  stream_ordering: number;
  forgotten: number;
}

export type StateMap = Map<string, StoredEvent>;

/** A forward extremity as kept in memory: its depth and stream ordering when we hold the event (null when not). */
export interface Extremity {
  eventId: string;
  depth: number | null;
  streamOrdering: number | null;
}

export const stateKeyOf = (type: string, stateKey: string) => `${type}\u0000${stateKey}`;

const MAX_CACHED_ROOMS = 10_000;

export class EventStore {
  private readonly s;
  /** Per room, bumped on every state event stored and every write to its current state; `eventWrites` on any rewrite of a stored event. */
  private readonly stateWrites = new Map<string, number>();
  private eventWrites = 0;
  /** Bumped on every write of any kind (see writeVersion). */
  private writes = 0;
  /** The relation index, kept up to date as events are stored. */
  readonly relations: RelationStore;
  private readonly stateCache: StateCache;
  private readonly rooms = new Map<string, RoomRow>();
  /**
   * Each room's forward extremities, read once and then kept in step with every write (all go through
   * setForwardExtremities): a send read them, joined with events and sorted, on every message. Changes made in a
   * transaction that rolls back are undone with it (rollbackJournal).
   */
  private readonly extremityCache = new Map<string, readonly Extremity[]>();
  private readonly journal: RollbackJournal;
  private readonly inTransactionFn: (fn: () => unknown) => unknown;
  constructor(private readonly db: Db) {
    this.journal = rollbackJournal(db);
    this.inTransactionFn = db.transaction((fn: () => unknown) => fn());
    this.relations = new RelationStore(db);
    this.stateCache = new StateCache(db);
    this.s = {
      insertRoom: db.prepare('INSERT INTO rooms (room_id, room_version, creator, is_public, created_ts) VALUES (?, ?, ?, ?, ?)'),
      room: db.prepare('SELECT room_id, room_version, creator, is_public FROM rooms WHERE room_id = ?'),
      setPublic: db.prepare('UPDATE rooms SET is_public = ? WHERE room_id = ?'),
      publicRooms: db.prepare('SELECT room_id FROM rooms WHERE is_public = 1 ORDER BY created_ts'),
      insertEvent: db.prepare(
        `INSERT INTO events (stream_ordering, event_id, room_id, type, state_key, sender, depth, origin_server_ts, pdu, replaces_state, sender_user_id, txn_device_id, txn_id, outlier)
         VALUES (@streamOrdering, @eventId, @roomId, @type, @stateKey, @sender, @depth, @ts, @pdu, @replacesState, @senderUserId, @txnDeviceId, @txnId, @outlier)`,
      ),
      insertRejected: db.prepare('INSERT OR IGNORE INTO rejected_events (event_id, room_id, reason, pdu) VALUES (?, ?, ?, ?)'),
      event: db.prepare(`SELECT ${COLUMNS} FROM events WHERE event_id = ?`),
      eventByStream: db.prepare(`SELECT ${COLUMNS} FROM events WHERE stream_ordering = ?`),
      setRedacted: db.prepare('UPDATE events SET redacted_by = ?, pdu = ? WHERE event_id = ?'),
      currentState: db.prepare(
        `SELECT ${COLUMNS.split(', ')
          .map((c) => `e.${c}`)
          .join(', ')} FROM current_state c JOIN events e ON e.event_id = c.event_id WHERE c.room_id = ?`,
      ),
      currentStateEvent: db.prepare('SELECT event_id FROM current_state WHERE room_id = ? AND type = ? AND state_key = ?'),
      putState: db.prepare(
        'INSERT INTO current_state (room_id, type, state_key, event_id) VALUES (?, ?, ?, ?) ON CONFLICT (room_id, type, state_key) DO UPDATE SET event_id = excluded.event_id',
      ),
      stateAt: db.prepare(
        `SELECT ${COLUMNS.split(', ')
          .map((c) => `e.${c}`)
          .join(', ')} FROM events e JOIN (
           SELECT MAX(stream_ordering) AS so FROM events WHERE room_id = ? AND state_key IS NOT NULL AND stream_ordering <= ? GROUP BY type, state_key
         ) s ON e.stream_ordering = s.so`,
      ),
      stateChanges: db.prepare(
        `SELECT ${COLUMNS.split(', ')
          .map((c) => `e.${c}`)
          .join(', ')} FROM events e JOIN (
           SELECT MAX(stream_ordering) AS so FROM events WHERE room_id = ? AND state_key IS NOT NULL AND stream_ordering > ? AND stream_ordering <= ? GROUP BY type, state_key
         ) s ON e.stream_ordering = s.so`,
      ),
      keyHistory: db.prepare(
        'SELECT stream_ordering, pdu FROM events WHERE room_id = ? AND type = ? AND state_key = ? ORDER BY stream_ordering',
      ),
      membersOfRoom: db.prepare(
        `SELECT stream_ordering, pdu FROM events WHERE room_id = ? AND type = 'm.room.member' AND state_key IS NOT NULL ORDER BY stream_ordering`,
      ),
      recentMemberEvents: db.prepare(
        `SELECT ${COLUMNS} FROM events WHERE room_id = ? AND type = 'm.room.member' AND state_key = ? AND stream_ordering <= ? ORDER BY stream_ordering DESC LIMIT ?`,
      ),
      // The events we hold of this room only: an ID that names another room's event is never taken for this one's.
      extremities: db.prepare(
        `SELECT f.event_id, e.depth, e.stream_ordering FROM forward_extremities f LEFT JOIN events e ON e.event_id = f.event_id AND e.room_id = f.room_id
         WHERE f.room_id = ?`,
      ),
      heldEvent: db.prepare('SELECT depth, stream_ordering FROM events WHERE event_id = ? AND room_id = ?'),
      removeExtremity: db.prepare('DELETE FROM forward_extremities WHERE room_id = ? AND event_id = ?'),
      addExtremity: db.prepare('INSERT OR IGNORE INTO forward_extremities (room_id, event_id) VALUES (?, ?)'),
      putMembership: db.prepare(
        `INSERT INTO local_memberships (room_id, user_id, membership, event_id, stream_ordering, forgotten) VALUES (?, ?, ?, ?, ?, 0)
         ON CONFLICT (room_id, user_id) DO UPDATE SET membership = excluded.membership, event_id = excluded.event_id, stream_ordering = excluded.stream_ordering, forgotten = 0`,
      ),
      membership: db.prepare(
        'SELECT room_id, user_id, membership, event_id, stream_ordering, forgotten FROM local_memberships WHERE room_id = ? AND user_id = ?',
      ),
      membershipsOf: db.prepare(
        'SELECT room_id, user_id, membership, event_id, stream_ordering, forgotten FROM local_memberships WHERE user_id = ?',
      ),
      forget: db.prepare('UPDATE local_memberships SET forgotten = 1 WHERE room_id = ? AND user_id = ?'),
      roomMembers: db.prepare("SELECT user_id FROM local_memberships WHERE room_id = ? AND membership = 'join'"),
      timelineBackward: db.prepare(
        `SELECT ${COLUMNS} FROM events WHERE room_id = ? AND stream_ordering <= ? AND stream_ordering > ? AND outlier = 0 ORDER BY stream_ordering DESC LIMIT ?`,
      ),
      timelineForward: db.prepare(
        `SELECT ${COLUMNS} FROM events WHERE room_id = ? AND stream_ordering > ? AND stream_ordering <= ? AND outlier = 0 ORDER BY stream_ordering ASC LIMIT ?`,
      ),
      countRange: db.prepare(
        'SELECT COUNT(*) AS n FROM events WHERE room_id = ? AND stream_ordering > ? AND stream_ordering <= ? AND outlier = 0',
      ),
      oldestInTimeline: db.prepare(`SELECT ${COLUMNS} FROM events WHERE room_id = ? AND outlier = 0 ORDER BY stream_ordering ASC LIMIT ?`),
      inTimeline: db.prepare('SELECT 1 FROM events WHERE event_id = ? AND outlier = 0'),
      timelineJoin: db.prepare(
        "SELECT 1 FROM events WHERE room_id = ? AND type = 'm.room.member' AND outlier = 0 AND json_extract(pdu, '$.content.membership') = 'join' LIMIT 1",
      ),
      lowestStream: db.prepare('SELECT MIN(stream_ordering) AS m FROM events'),
      sameKeyBetween: db.prepare(
        'SELECT COUNT(*) AS n FROM events WHERE room_id = ? AND type = ? AND state_key = ? AND stream_ordering > ? AND stream_ordering < ?',
      ),
      redactionsInRoom: db.prepare(
        `SELECT event_id, sender, json_extract(pdu, '$.content.redacts') AS target FROM events WHERE room_id = ? AND type = 'm.room.redaction'`,
      ),
      moveIntoTimeline: db.prepare('UPDATE events SET stream_ordering = ?, outlier = 0 WHERE event_id = ? AND outlier = 1'),
      latestStream: db.prepare('SELECT MAX(stream_ordering) AS m FROM events WHERE room_id = ?'),
      redactionOf: db.prepare(`SELECT ${COLUMNS} FROM events WHERE event_id = ?`),
      txn: db.prepare('SELECT event_id FROM transactions WHERE user_id = ? AND device_id = ? AND path = ? AND txn_id = ?'),
      putTxn: db.prepare('INSERT OR IGNORE INTO transactions (user_id, device_id, path, txn_id, event_id) VALUES (?, ?, ?, ?, ?)'),
    };
  }

  /**
   * Runs `fn` in a transaction (a savepoint when one is open). One transaction function, made once, runs every
   * `fn`: better-sqlite3 makes a new one per db.transaction() call, which cost more than a savepoint.
   */
  transaction<T>(fn: () => T): T {
    return this.inTransactionFn(fn) as T;
  }

  createRoom(roomId: string, version: string, creator: string, isPublic: boolean): void {
    this.s.insertRoom.run(roomId, version, creator, isPublic ? 1 : 0, Date.now());
  }

  /** The room's row. Asked on nearly every request, so kept once read outside a transaction; setPublic drops it. */
  room(roomId: string): RoomRow | undefined {
    const cached = this.rooms.get(roomId);
    if (cached) return cached;
    const row = this.s.room.get(roomId) as RoomRow | undefined;
    if (row && !this.db.inTransaction) {
      if (this.rooms.size >= MAX_CACHED_ROOMS) this.rooms.clear();
      this.rooms.set(roomId, Object.freeze(row));
    }
    return row;
  }

  setPublic(roomId: string, isPublic: boolean): void {
    this.rooms.delete(roomId);
    this.s.setPublic.run(isPublic ? 1 : 0, roomId);
  }

  publicRoomIds(): string[] {
    return (this.s.publicRooms.all() as { room_id: string }[]).map((r) => r.room_id);
  }

  insertEvent(event: {
    streamOrdering: number;
    eventId: string;
    roomId: string;
    pdu: Pdu;
    replacesState: string | null;
    senderUserId: string | null;
    txnDeviceId: string | null;
    txnId: string | null;
    /** Held for state only, not shown in the timeline (until backfill reaches it). */
    outlier?: boolean;
  }): void {
    this.writes++;
    if (event.pdu.state_key !== undefined) this.stateWrites.set(event.roomId, (this.stateWrites.get(event.roomId) ?? 0) + 1);
    this.s.insertEvent.run({
      streamOrdering: event.streamOrdering,
      eventId: event.eventId,
      roomId: event.roomId,
      type: event.pdu.type,
      stateKey: event.pdu.state_key ?? null,
      sender: event.pdu.sender,
      depth: event.pdu.depth,
      ts: event.pdu.origin_server_ts,
      pdu: JSON.stringify(event.pdu),
      replacesState: event.replacesState,
      senderUserId: event.senderUserId,
      txnDeviceId: event.txnDeviceId,
      txnId: event.txnId,
      outlier: event.outlier ? 1 : 0,
    });
    this.relations.record(event.eventId, event.roomId, event.pdu);
    // An extremity named before its event was held is read again, now with its depth.
    if (this.extremityCache.get(event.roomId)?.some((e) => e.depth === null && e.eventId === event.eventId))
      this.forgetExtremities(event.roomId);
  }

  /** The room's `limit` oldest timeline events, oldest first: where backfill looks for a gap. */
  oldestInTimeline(roomId: string, limit: number): StoredEvent[] {
    return (this.s.oldestInTimeline.all(roomId, limit) as EventRow[]).map(toStored);
  }

  isInTimeline(eventId: string): boolean {
    return this.s.inTimeline.get(eventId) !== undefined;
  }

  /** Whether this server was ever in the room: a join in its timeline (what it holds otherwise came from outside). */
  wasEverJoined(roomId: string): boolean {
    return this.s.timelineJoin.get(roomId) !== undefined;
  }

  /** The lowest stream ordering of any event (0 when none is below zero): backfilled history goes under it. */
  lowestStream(): number {
    return Math.min((this.s.lowestStream.get() as { m: number | null }).m ?? 0, 0);
  }

  /** The room's redactions by target event ID (redaction event ID and sender), for history arriving late. */
  redactionsByTarget(roomId: string): Map<string, { eventId: string; sender: string }> {
    const map = new Map<string, { eventId: string; sender: string }>();
    for (const row of this.s.redactionsInRoom.iterate(roomId) as Iterable<{ event_id: string; sender: string; target: unknown }>) {
      if (typeof row.target === 'string' && !map.has(row.target)) map.set(row.target, { eventId: row.event_id, sender: row.sender });
    }
    return map;
  }

  /**
   * Puts a held-for-state event (outlier) into the timeline at `position`, which backfill chose below everything.
   * Refused (false) if another event of the same state key lies in between: stateAt() takes the highest ordering
   * per key, so moving past one would let an older state event win.
   */
  moveIntoTimeline(event: StoredEvent, position: number): boolean {
    const { pdu } = event;
    if (
      pdu.state_key !== undefined &&
      (this.s.sameKeyBetween.get(event.roomId, pdu.type, pdu.state_key, position, event.streamOrdering) as { n: number }).n > 0
    )
      return false;
    this.eventWrites++;
    this.writes++;
    // An extremity's stream ordering orders the deepest ones among equals: read them again.
    this.forgetExtremities(event.roomId);
    return this.s.moveIntoTimeline.run(position, event.eventId).changes === 1;
  }

  recordRejected(eventId: string, roomId: string, reason: string, pdu: Pdu): void {
    this.s.insertRejected.run(eventId, roomId, reason, JSON.stringify(pdu));
  }

  event(eventId: string): StoredEvent | undefined {
    const row = this.s.event.get(eventId) as EventRow | undefined;
    return row && toStored(row);
  }

  markRedacted(eventId: string, redactionId: string, redactedPdu: Pdu): void {
    this.eventWrites++;
    this.writes++;
    this.s.setRedacted.run(redactionId, JSON.stringify(redactedPdu), eventId);
  }

  /** The room's current state (a fresh map each call; its events are shared and frozen). */
  currentState(roomId: string): StateMap {
    return this.stateCache.get(roomId, () => toStateMap(this.s.currentState.all(roomId) as EventRow[]));
  }

  /** The room's current state, read only: the state cache's own map when it holds the room (no copy), else a fresh read. */
  currentStateView(roomId: string): ReadonlyMap<string, StoredEvent> {
    return this.stateCache.peek(roomId) ?? this.currentState(roomId);
  }

  /** One event of the room's current state (from the state cache when it holds the room). */
  currentStateEvent(roomId: string, type: string, stateKey: string): StoredEvent | undefined {
    const cached = this.stateCache.peek(roomId);
    if (cached) return cached.get(stateKeyOf(type, stateKey));
    const eventId = this.currentStateEventId(roomId, type, stateKey);
    return eventId ? this.event(eventId) : undefined;
  }

  /** True inside a write transaction (caches fill only outside one: a rollback must not leave them behind). */
  inTransaction(): boolean {
    return this.db.inTransaction;
  }

  currentStateEventId(roomId: string, type: string, stateKey: string): string | undefined {
    const cached = this.stateCache.peek(roomId);
    if (cached) return cached.get(stateKeyOf(type, stateKey))?.eventId;
    return (this.s.currentStateEvent.get(roomId, type, stateKey) as { event_id: string } | undefined)?.event_id;
  }

  /** Moves on every write to events or current state: anything read from them at one value still holds. */
  writeVersion(): number {
    return this.writes;
  }

  /** Changes whenever the room's state events or current state (or an event in it) may have changed: caches of them key on this. */
  stateVersion(roomId: string): string {
    return `${this.stateWrites.get(roomId) ?? 0}.${this.eventWrites}`;
  }

  setCurrentState(roomId: string, type: string, stateKey: string, eventId: string): void {
    this.stateWrites.set(roomId, (this.stateWrites.get(roomId) ?? 0) + 1);
    this.writes++;
    this.s.putState.run(roomId, type, stateKey, eventId);
  }

  /** The room state after the event at `position` (inclusive). */
  stateAt(roomId: string, position: number): StateMap {
    return toStateMap(this.s.stateAt.all(roomId, position) as EventRow[]);
  }

  /** The latest state event per key among events in (from, to]. */
  stateChanges(roomId: string, from: number, to: number): StoredEvent[] {
    return (this.s.stateChanges.all(roomId, from, to) as EventRow[]).map(toStored);
  }

  /** Every event of one state key (timeline, history and held for state), oldest first: where that key changed. */
  keyHistory(roomId: string, type: string, stateKey: string): { position: number; pdu: Pdu }[] {
    return (this.s.keyHistory.all(roomId, type, stateKey) as { stream_ordering: number; pdu: string }[]).map((r) => ({
      position: r.stream_ordering,
      pdu: JSON.parse(r.pdu) as Pdu,
    }));
  }

  /** Every member event of the room, oldest first (a server's members, for what that server may see). */
  memberEventsOfRoom(roomId: string): { position: number; pdu: Pdu }[] {
    return (this.s.membersOfRoom.all(roomId) as { stream_ordering: number; pdu: string }[]).map((r) => ({
      position: r.stream_ordering,
      pdu: JSON.parse(r.pdu) as Pdu,
    }));
  }

  /** The member's latest `limit` member events at or below `ceiling`, oldest first. */
  memberEvents(roomId: string, memberId: string, ceiling: number, limit: number): StoredEvent[] {
    return (this.s.recentMemberEvents.all(roomId, memberId, ceiling, limit) as EventRow[]).map(toStored).reverse();
  }

  forwardExtremities(roomId: string): string[] {
    return this.extremitiesOf(roomId).map((e) => e.eventId);
  }

  /** The room's `limit` deepest forward extremities (newest first among equals) that we hold, with their depth. */
  deepestExtremities(roomId: string, limit: number): { event_id: string; depth: number }[] {
    return this.extremitiesOf(roomId)
      .filter((e) => e.depth !== null)
      .sort((a, b) => b.depth! - a.depth! || b.streamOrdering! - a.streamOrdering!)
      .slice(0, limit)
      .map((e) => ({ event_id: e.eventId, depth: e.depth! }));
  }

  /**
   * Makes `eventIds` the room's forward extremities. `known` may give the depth and stream ordering of events just
   * stored (the rest come from the extremities kept, or are read): only the rows that change are written.
   */
  setForwardExtremities(roomId: string, eventIds: string[], known: readonly Extremity[] = []): void {
    const before = this.extremitiesOf(roomId);
    const wanted = [...new Set(eventIds)];
    const keep = new Set(wanted);
    const had = new Map(before.map((e) => [e.eventId, e]));
    const byId = new Map(known.map((e) => [e.eventId, e]));
    const next = wanted.map((eventId) => had.get(eventId) ?? byId.get(eventId) ?? this.heldExtremity(roomId, eventId));
    try {
      for (const e of before) if (!keep.has(e.eventId)) this.s.removeExtremity.run(roomId, e.eventId);
      for (const e of next) if (!had.has(e.eventId)) this.s.addExtremity.run(roomId, e.eventId);
    } catch (error) {
      // Some rows may be written (outside a transaction) or are about to be rolled back: read them again next time.
      this.forgetExtremities(roomId);
      throw error;
    }
    this.keepExtremities(roomId, Object.freeze(next));
  }

  private extremitiesOf(roomId: string): readonly Extremity[] {
    const cached = this.extremityCache.get(roomId);
    if (cached) return cached;
    const rows = this.s.extremities.all(roomId) as { event_id: string; depth: number | null; stream_ordering: number | null }[];
    const loaded = Object.freeze(rows.map((r) => ({ eventId: r.event_id, depth: r.depth, streamOrdering: r.stream_ordering })));
    this.keepExtremities(roomId, loaded);
    return loaded;
  }

  private heldExtremity(roomId: string, eventId: string): Extremity {
    const row = this.s.heldEvent.get(eventId, roomId) as { depth: number; stream_ordering: number } | undefined;
    return { eventId, depth: row?.depth ?? null, streamOrdering: row?.stream_ordering ?? null };
  }

  private keepExtremities(roomId: string, extremities: readonly Extremity[]): void {
    const prior = this.extremityCache.get(roomId);
    if (this.extremityCache.size >= MAX_CACHED_ROOMS && prior === undefined) this.extremityCache.clear();
    this.extremityCache.set(roomId, extremities);
    this.journal.onRollback(() => (prior ? this.extremityCache.set(roomId, prior) : this.extremityCache.delete(roomId)));
  }

  private forgetExtremities(roomId: string): void {
    const prior = this.extremityCache.get(roomId);
    this.extremityCache.delete(roomId);
    if (prior) this.journal.onRollback(() => this.extremityCache.set(roomId, prior));
  }

  setMembership(roomId: string, userId: string, membership: string, eventId: string, streamOrdering: number): void {
    this.s.putMembership.run(roomId, userId, membership, eventId, streamOrdering);
  }

  membership(roomId: string, userId: string): MembershipRow | undefined {
    return this.s.membership.get(roomId, userId) as MembershipRow | undefined;
  }

  membershipsOf(userId: string): MembershipRow[] {
    return this.s.membershipsOf.all(userId) as MembershipRow[];
  }

  forget(roomId: string, userId: string): void {
    this.s.forget.run(roomId, userId);
  }

  localJoinedUsers(roomId: string): string[] {
    return (this.s.roomMembers.all(roomId) as { user_id: string }[]).map((r) => r.user_id);
  }

  /** Up to `limit` events with stream in (floor, upTo], newest first. */
  eventsBackward(roomId: string, upTo: number, floor: number, limit: number): StoredEvent[] {
    return (this.s.timelineBackward.all(roomId, upTo, floor, limit) as EventRow[]).map(toStored);
  }

  /** Up to `limit` events with stream in (after, ceiling], oldest first. */
  eventsForward(roomId: string, after: number, ceiling: number, limit: number): StoredEvent[] {
    return (this.s.timelineForward.all(roomId, after, ceiling, limit) as EventRow[]).map(toStored);
  }

  latestStream(roomId: string): number {
    return (this.s.latestStream.get(roomId) as { m: number | null }).m ?? 0;
  }

  transactionEvent(userId: string, deviceId: string, path: string, txnId: string): string | undefined {
    return (this.s.txn.get(userId, deviceId, path, txnId) as { event_id: string } | undefined)?.event_id;
  }

  recordTransaction(userId: string, deviceId: string, path: string, txnId: string, eventId: string): void {
    this.s.putTxn.run(userId, deviceId, path, txnId, eventId);
  }
}

function toStateMap(rows: EventRow[]): StateMap {
  const map: StateMap = new Map();
  for (const row of rows) {
    const event = toStored(row);
    map.set(stateKeyOf(event.pdu.type, event.pdu.state_key ?? ''), event);
  }
  return map;
}
