// Member keys of local users (one per user per room) and, when the server made them, their seeds.
import type { Db } from './database';
import { rollbackJournal, type RollbackJournal } from './rollback-journal';

export interface MemberKeyRow {
  room_id: string;
  member_key: string;
  user_id: string;
  seed: string | null;
}

const MAX_CACHED = 50_000;
const MAX_CACHED_ROOMS = 1_000;

/**
 * Reads by (room, user), by (room, key) and of a whole room are kept in memory (every /sync and send asks; a send
 * reads the whole room to count notifications); any write through this store (put, setSeed, forgetSeedsOf) drops
 * them all, and so does the rollback of a transaction that wrote (rollbackJournal), so a read made inside a
 * transaction, as every batched send is, may be kept too.
 */
export class MemberKeyStore {
  private readonly s;
  private readonly byUser = new Map<string, MemberKeyRow | null>();
  private readonly byKey = new Map<string, MemberKeyRow | null>();
  private readonly byRoom = new Map<string, readonly MemberKeyRow[]>();
  private readonly journal: RollbackJournal;
  constructor(db: Db) {
    this.journal = rollbackJournal(db);
    this.s = {
      byUser: db.prepare('SELECT room_id, member_key, user_id, seed FROM member_keys WHERE room_id = ? AND user_id = ?'),
      byKey: db.prepare('SELECT room_id, member_key, user_id, seed FROM member_keys WHERE room_id = ? AND member_key = ?'),
      put: db.prepare('INSERT INTO member_keys (room_id, member_key, user_id, seed) VALUES (?, ?, ?, ?)'),
      allInRoom: db.prepare('SELECT room_id, member_key, user_id, seed FROM member_keys WHERE room_id = ?'),
      setSeed: db.prepare('UPDATE member_keys SET seed = ? WHERE room_id = ? AND user_id = ?'),
      forgetSeeds: db.prepare('UPDATE member_keys SET seed = NULL WHERE user_id = ? AND seed IS NOT NULL'),
    };
  }
  forUser(roomId: string, userId: string): MemberKeyRow | undefined {
    return this.cached(this.byUser, `${roomId}\u0000${userId}`, () => this.s.byUser.get(roomId, userId) as MemberKeyRow | undefined);
  }
  forKey(roomId: string, memberKey: string): MemberKeyRow | undefined {
    return this.cached(this.byKey, `${roomId}\u0000${memberKey}`, () => this.s.byKey.get(roomId, memberKey) as MemberKeyRow | undefined);
  }
  put(roomId: string, memberKey: string, userId: string, seedBase64: string | null): void {
    this.forget();
    this.s.put.run(roomId, memberKey, userId, seedBase64);
  }
  inRoom(roomId: string): readonly MemberKeyRow[] {
    let rows = this.byRoom.get(roomId);
    if (!rows) {
      rows = Object.freeze((this.s.allInRoom.all(roomId) as MemberKeyRow[]).map((row) => Object.freeze(row)));
      if (this.byRoom.size >= MAX_CACHED_ROOMS) this.byRoom.clear();
      this.byRoom.set(roomId, rows);
    }
    return rows;
  }
  /** Sets (or, with null, forgets) the seed of a user's member key in a room (the dev API's hostile-server test). */
  setSeed(roomId: string, userId: string, seedBase64: string | null): void {
    this.forget();
    this.s.setSeed.run(seedBase64, roomId, userId);
  }
  /** A portable account moved away: the seeds of its member keys are forgotten (the keys stay). Returns how many. */
  forgetSeedsOf(userId: string): number {
    this.forget();
    return this.s.forgetSeeds.run(userId).changes;
  }

  private cached(map: Map<string, MemberKeyRow | null>, key: string, read: () => MemberKeyRow | undefined): MemberKeyRow | undefined {
    const hit = map.get(key);
    if (hit !== undefined) return hit ?? undefined;
    const row = read();
    if (map.size >= MAX_CACHED) map.clear();
    map.set(key, row ? Object.freeze(row) : null);
    return row;
  }

  /** Before a write: drops every cached read, now and again if the write's transaction rolls back. */
  private forget(): void {
    this.clear();
    this.journal.onRollback(() => this.clear());
  }

  private clear(): void {
    this.byUser.clear();
    this.byKey.clear();
    this.byRoom.clear();
  }
}
