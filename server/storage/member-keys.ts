// Member keys of local users (one per user per room) and, when the server made them, their seeds.
import type { Db } from './database';

export interface MemberKeyRow {
  room_id: string;
  member_key: string;
  user_id: string;
  seed: string | null;
}

const MAX_CACHED = 50_000;

/**
 * Reads by (room, user) and (room, key) are kept in memory once made outside a transaction (every /sync and send
 * asks); any write through this store (put, forgetSeedsOf) drops them all.
 */
export class MemberKeyStore {
  private readonly s;
  private readonly byUser = new Map<string, MemberKeyRow | null>();
  private readonly byKey = new Map<string, MemberKeyRow | null>();
  constructor(private readonly db: Db) {
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
  inRoom(roomId: string): MemberKeyRow[] {
    return this.s.allInRoom.all(roomId) as MemberKeyRow[];
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
    if (!this.db.inTransaction) {
      if (map.size >= MAX_CACHED) map.clear();
      map.set(key, row ? Object.freeze(row) : null);
    }
    return row;
  }

  private forget(): void {
    this.byUser.clear();
    this.byKey.clear();
  }
}
