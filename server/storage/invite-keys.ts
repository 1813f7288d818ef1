// The invite-key pool of portable accounts (PROTOCOL.md §5): public member keys the client derived from K with a
// nonce, uploaded ahead of time. An invite that needs a member key for the account takes one, once only, and the
// (room, nonce) it went to is kept, so the invitee's client can re-derive the seed. Public keys only: no seeds here.
import type { Db } from './database';

/** Unused keys one account may keep here: more than any client tops up to (20), few enough to bound the table. */
export const MAX_UNUSED_INVITE_KEYS = 100;

/**
 * Pool keys one other server may hold for one account in rooms whose invite never reached us. Past it, that server
 * gets keys we make: a hostile server asking member_key for made-up rooms cannot drain the pool (and with it the
 * account's portability); an honest one invites after asking, which frees its share.
 */
export const MAX_PENDING_POOL_KEYS_PER_SERVER = 5;

export interface InviteKeyRow {
  user_id: string;
  nonce: string;
  member_key: string;
  room_id: string | null;
  handed_to: string | null;
}

export class InviteKeyStore {
  private readonly s;
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
    const columns = 'user_id, nonce, member_key, room_id, handed_to';
    this.s = {
      byNonce: db.prepare(`SELECT ${columns} FROM invite_keys WHERE user_id = ? AND nonce = ?`),
      byKey: db.prepare(`SELECT ${columns} FROM invite_keys WHERE user_id = ? AND member_key = ?`),
      forRoom: db.prepare(`SELECT ${columns} FROM invite_keys WHERE user_id = ? AND room_id = ?`),
      unused: db.prepare(`SELECT ${columns} FROM invite_keys WHERE user_id = ? AND room_id IS NULL ORDER BY uploaded_ts, rowid`),
      count: db.prepare('SELECT COUNT(*) AS n FROM invite_keys WHERE user_id = ? AND room_id IS NULL'),
      insert: db.prepare('INSERT INTO invite_keys (user_id, nonce, member_key, uploaded_ts) VALUES (?, ?, ?, ?)'),
      handOut: db.prepare(
        'UPDATE invite_keys SET room_id = ?, handed_to = ?, handed_ts = ? WHERE user_id = ? AND nonce = ? AND room_id IS NULL',
      ),
      dropUnused: db.prepare('DELETE FROM invite_keys WHERE user_id = ? AND room_id IS NULL'),
      pendingFor: db.prepare(
        `SELECT COUNT(*) AS n FROM invite_keys k WHERE k.user_id = ? AND k.handed_to = ?
           AND NOT EXISTS (SELECT 1 FROM local_memberships m WHERE m.room_id = k.room_id AND m.user_id = k.user_id)`,
      ),
    };
  }

  /** Unused keys of the account: what /sync reports as `dev.wayfarer.member_keys_count`. */
  unusedCount(userId: string): number {
    return (this.s.count.get(userId) as { n: number }).n;
  }

  byNonce(userId: string, nonce: string): InviteKeyRow | undefined {
    return this.s.byNonce.get(userId, nonce) as InviteKeyRow | undefined;
  }

  byKey(userId: string, memberKey: string): InviteKeyRow | undefined {
    return this.s.byKey.get(userId, memberKey) as InviteKeyRow | undefined;
  }

  /** The pool key handed out for this account's invite into `roomId`, if its key there came from the pool. */
  forRoom(userId: string, roomId: string): InviteKeyRow | undefined {
    return this.s.forRoom.get(userId, roomId) as InviteKeyRow | undefined;
  }

  add(userId: string, nonce: string, memberKey: string): void {
    this.s.insert.run(userId, nonce, memberKey, Date.now());
  }

  /**
   * Takes the oldest unused key that `usable` accepts and binds it to `roomId` for good (inside the caller's
   * transaction). Keys `usable` refuses are spent too, so they are never offered again.
   */
  take(userId: string, roomId: string, handedTo: string, usable: (row: InviteKeyRow) => boolean): InviteKeyRow | undefined {
    return this.db.transaction(() => {
      for (const row of this.s.unused.all(userId) as InviteKeyRow[]) {
        const ok = usable(row);
        // A refused key is spent on a placeholder room: it stays out of the pool and out of every room.
        this.s.handOut.run(ok ? roomId : '', ok ? handedTo : null, Date.now(), userId, row.nonce);
        if (ok) return { ...row, room_id: roomId, handed_to: handedTo };
      }
      return undefined;
    })();
  }

  /** Keys handed to `server` for this account in rooms where no membership of the account ever arrived here. */
  pendingHandedTo(userId: string, server: string): number {
    return (this.s.pendingFor.get(userId, server) as { n: number }).n;
  }

  /** A moved account's unused keys go: nothing is handed out for it any more. */
  dropUnused(userId: string): number {
    return this.s.dropUnused.run(userId).changes;
  }
}
