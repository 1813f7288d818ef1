// Member keys of local users (one per user per room) and, when the server made them, their seeds.
import type { Db } from './database';

export interface MemberKeyRow {
  room_id: string;
  member_key: string;
  user_id: string;
  seed: string | null;
}

export class MemberKeyStore {
  private readonly s;
  constructor(db: Db) {
    this.s = {
      byUser: db.prepare('SELECT room_id, member_key, user_id, seed FROM member_keys WHERE room_id = ? AND user_id = ?'),
      byKey: db.prepare('SELECT room_id, member_key, user_id, seed FROM member_keys WHERE room_id = ? AND member_key = ?'),
      put: db.prepare('INSERT INTO member_keys (room_id, member_key, user_id, seed) VALUES (?, ?, ?, ?)'),
      allInRoom: db.prepare('SELECT room_id, member_key, user_id, seed FROM member_keys WHERE room_id = ?'),
    };
  }
  forUser(roomId: string, userId: string): MemberKeyRow | undefined {
    return this.s.byUser.get(roomId, userId) as MemberKeyRow | undefined;
  }
  forKey(roomId: string, memberKey: string): MemberKeyRow | undefined {
    return this.s.byKey.get(roomId, memberKey) as MemberKeyRow | undefined;
  }
  put(roomId: string, memberKey: string, userId: string, seedBase64: string | null): void {
    this.s.put.run(roomId, memberKey, userId, seedBase64);
  }
  inRoom(roomId: string): MemberKeyRow[] {
    return this.s.allInRoom.all(roomId) as MemberKeyRow[];
  }
}
