// Federation's own tables (their schema is in storage/migrations.ts): the persisted outbound queue, per-destination
// backoff, remote server keys, soft-failed events, and state snapshots per event.
import type { Db } from '../storage/database';
import type { Pdu } from '../rooms/pdu';

export interface OutboxRow {
  id: number;
  destination: string;
  kind: 'pdu' | 'edu';
  payload: string;
}

export interface RemoteKeyRow {
  server_name: string;
  key_id: string;
  key: string;
  valid_until_ts: number;
  expired_ts: number | null;
}

export class FederationStore {
  private readonly s;
  constructor(private readonly db: Db) {
    this.s = {
      enqueue: db.prepare('INSERT INTO fed_outbox (destination, kind, payload, created_ts) VALUES (?, ?, ?, ?)'),
      pending: db.prepare('SELECT id, destination, kind, payload FROM fed_outbox WHERE destination = ? AND kind = ? ORDER BY id LIMIT ?'),
      remove: db.prepare('DELETE FROM fed_outbox WHERE id = ?'),
      destinationsWithWork: db.prepare('SELECT DISTINCT destination FROM fed_outbox'),
      backoff: db.prepare('SELECT failures, retry_at FROM fed_destinations WHERE destination = ?'),
      setBackoff: db.prepare(
        'INSERT INTO fed_destinations (destination, failures, retry_at) VALUES (?, ?, ?) ON CONFLICT (destination) DO UPDATE SET failures = excluded.failures, retry_at = excluded.retry_at',
      ),
      putKey: db.prepare(
        `INSERT INTO fed_server_keys (server_name, key_id, key, valid_until_ts, expired_ts) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (server_name, key_id) DO UPDATE SET key = excluded.key, valid_until_ts = excluded.valid_until_ts, expired_ts = excluded.expired_ts`,
      ),
      key: db.prepare(
        'SELECT server_name, key_id, key, valid_until_ts, expired_ts FROM fed_server_keys WHERE server_name = ? AND key_id = ?',
      ),
      keysOf: db.prepare('SELECT server_name, key_id, key, valid_until_ts, expired_ts FROM fed_server_keys WHERE server_name = ?'),
      putSoftFailed: db.prepare(
        'INSERT OR IGNORE INTO fed_soft_failed (event_id, room_id, pdu, reason, received_ts) VALUES (?, ?, ?, ?, ?)',
      ),
      softFailed: db.prepare('SELECT pdu, room_id, reason FROM fed_soft_failed WHERE event_id = ?'),
      deleteSoftFailed: db.prepare('DELETE FROM fed_soft_failed WHERE event_id = ?'),
      rejected: db.prepare('SELECT reason FROM rejected_events WHERE event_id = ?'),
      newGroup: db.prepare('INSERT INTO fed_state_groups (room_id, state) VALUES (?, ?)'),
      setEventGroup: db.prepare('INSERT OR REPLACE INTO fed_event_state (event_id, group_id) VALUES (?, ?)'),
      eventGroupInRoom: db.prepare(
        'SELECT s.group_id, g.state FROM fed_event_state s JOIN fed_state_groups g ON g.group_id = s.group_id WHERE s.event_id = ? AND g.room_id = ?',
      ),
      // Only the group: sharing a group does not read its state (with 200 members, a 20 kB blob per message).
      eventGroupIdInRoom: db.prepare(
        'SELECT s.group_id FROM fed_event_state s JOIN fed_state_groups g ON g.group_id = s.group_id WHERE s.event_id = ? AND g.room_id = ?',
      ),
      groupRoom: db.prepare(
        'SELECT g.room_id FROM fed_event_state s JOIN fed_state_groups g ON g.group_id = s.group_id WHERE s.event_id = ?',
      ),
      rejectedRoom: db.prepare('SELECT room_id FROM rejected_events WHERE event_id = ?'),
      latestGroup: db.prepare('SELECT group_id, state FROM fed_state_groups WHERE room_id = ? ORDER BY group_id DESC LIMIT 1'),
      updatePdu: db.prepare('UPDATE events SET pdu = ? WHERE event_id = ?'),
      seenTxn: db.prepare('SELECT 1 FROM fed_received_txns WHERE origin = ? AND txn_id = ?'),
      putTxn: db.prepare('INSERT OR IGNORE INTO fed_received_txns (origin, txn_id) VALUES (?, ?)'),
      allRooms: db.prepare('SELECT room_id, room_version FROM rooms'),
    };
  }

  enqueue(destination: string, kind: 'pdu' | 'edu', payload: unknown): void {
    this.s.enqueue.run(destination, kind, JSON.stringify(payload), Date.now());
  }
  pending(destination: string, kind: 'pdu' | 'edu', limit: number): OutboxRow[] {
    return this.s.pending.all(destination, kind, limit) as OutboxRow[];
  }
  removeOutbox(ids: number[]): void {
    this.db.transaction(() => ids.forEach((id) => this.s.remove.run(id)))();
  }
  destinationsWithWork(): string[] {
    return (this.s.destinationsWithWork.all() as { destination: string }[]).map((r) => r.destination);
  }
  backoff(destination: string): { failures: number; retry_at: number } {
    return (this.s.backoff.get(destination) as { failures: number; retry_at: number } | undefined) ?? { failures: 0, retry_at: 0 };
  }
  setBackoff(destination: string, failures: number, retryAt: number): void {
    this.s.setBackoff.run(destination, failures, retryAt);
  }

  putRemoteKey(row: RemoteKeyRow): void {
    this.s.putKey.run(row.server_name, row.key_id, row.key, row.valid_until_ts, row.expired_ts);
  }
  remoteKey(serverName: string, keyId: string): RemoteKeyRow | undefined {
    return this.s.key.get(serverName, keyId) as RemoteKeyRow | undefined;
  }
  remoteKeysOf(serverName: string): RemoteKeyRow[] {
    return this.s.keysOf.all(serverName) as RemoteKeyRow[];
  }

  putSoftFailed(eventId: string, roomId: string, pdu: Pdu, reason: string): void {
    this.s.putSoftFailed.run(eventId, roomId, JSON.stringify(pdu), reason, Date.now());
  }
  softFailed(eventId: string): { pdu: Pdu; roomId: string; reason: string } | undefined {
    const row = this.s.softFailed.get(eventId) as { pdu: string; room_id: string; reason: string } | undefined;
    return row && { pdu: JSON.parse(row.pdu) as Pdu, roomId: row.room_id, reason: row.reason };
  }
  deleteSoftFailed(eventId: string): void {
    this.s.deleteSoftFailed.run(eventId);
  }
  isRejected(eventId: string): boolean {
    return this.s.rejected.get(eventId) !== undefined;
  }
  /** The room a rejected event was sent for (undefined: not rejected). */
  rejectedRoom(eventId: string): string | undefined {
    return (this.s.rejectedRoom.get(eventId) as { room_id: string } | undefined)?.room_id;
  }

  /**
   * Records the state after an event, reusing the room's latest snapshot when it is identical. An event whose state
   * is already recorded for another room keeps it: event IDs name one event of one room, and no room's snapshot may
   * be replaced through another room (a join's prev_events come from the resident server).
   */
  setStateAfter(roomId: string, eventId: string, state: Map<string, string>): void {
    const existing = (this.s.groupRoom.get(eventId) as { room_id: string } | undefined)?.room_id;
    if (existing !== undefined && existing !== roomId) return;
    const text = JSON.stringify([...state].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    const latest = this.s.latestGroup.get(roomId) as { group_id: number; state: string } | undefined;
    const groupId = latest && latest.state === text ? latest.group_id : Number(this.s.newGroup.run(roomId, text).lastInsertRowid);
    this.s.setEventGroup.run(eventId, groupId);
  }
  /** A message event leaves the state as its single prev_event left it: share that snapshot (no copy), same room only. */
  shareStateGroup(roomId: string, fromEventId: string, toEventId: string): boolean {
    const group = this.s.eventGroupIdInRoom.get(fromEventId, roomId) as { group_id: number } | undefined;
    if (!group) return false;
    this.s.setEventGroup.run(toEventId, group.group_id);
    return true;
  }

  /** The state after an event of `roomId` (undefined when unknown, or when that event's snapshot is another room's). */
  stateAfter(roomId: string, eventId: string): Map<string, string> | undefined {
    const row = this.s.eventGroupInRoom.get(eventId, roomId) as { group_id: number; state: string } | undefined;
    return row && new Map(JSON.parse(row.state) as [string, string][]);
  }

  /** Replaces a stored PDU's JSON (signatures only: the event ID does not change). */
  updatePdu(eventId: string, pdu: Pdu): void {
    this.s.updatePdu.run(JSON.stringify(pdu), eventId);
  }

  allRoomIds(): string[] {
    return (this.s.allRooms.all() as { room_id: string }[]).map((r) => r.room_id);
  }
  allRooms(): { room_id: string; room_version: string }[] {
    return this.s.allRooms.all() as { room_id: string; room_version: string }[];
  }

  seenTransaction(origin: string, txnId: string): boolean {
    return this.s.seenTxn.get(origin, txnId) !== undefined;
  }
  recordTransaction(origin: string, txnId: string): void {
    this.s.putTxn.run(origin, txnId);
  }
}

/** Events we hold only as auth or state references (not part of the timeline), and hints about where rooms live. */
export class OutlierStore {
  private readonly s;
  constructor(db: Db) {
    this.s = {
      put: db.prepare('INSERT OR IGNORE INTO fed_outliers (event_id, room_id, pdu) VALUES (?, ?, ?)'),
      get: db.prepare('SELECT pdu FROM fed_outliers WHERE event_id = ?'),
      putHint: db.prepare('INSERT OR IGNORE INTO fed_room_servers (room_id, server_name) VALUES (?, ?)'),
      hints: db.prepare('SELECT server_name FROM fed_room_servers WHERE room_id = ?'),
    };
  }
  put(eventId: string, roomId: string, pdu: Pdu): void {
    this.s.put.run(eventId, roomId, JSON.stringify(pdu));
  }
  get(eventId: string): Pdu | undefined {
    const row = this.s.get.get(eventId) as { pdu: string } | undefined;
    return row && (JSON.parse(row.pdu) as Pdu);
  }
  addServerHint(roomId: string, serverName: string): void {
    this.s.putHint.run(roomId, serverName);
  }
  serverHints(roomId: string): string[] {
    return (this.s.hints.all(roomId) as { server_name: string }[]).map((r) => r.server_name);
  }
}
