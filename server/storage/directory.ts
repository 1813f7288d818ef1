// Room aliases (#name:server → room ID).
import type { Db } from './database';

export class DirectoryStore {
  private readonly s;
  constructor(db: Db) {
    this.s = {
      get: db.prepare('SELECT room_id, creator FROM room_aliases WHERE alias = ?'),
      put: db.prepare('INSERT INTO room_aliases (alias, room_id, creator) VALUES (?, ?, ?)'),
      remove: db.prepare('DELETE FROM room_aliases WHERE alias = ?'),
      forRoom: db.prepare('SELECT alias FROM room_aliases WHERE room_id = ? ORDER BY alias'),
    };
  }
  lookup(alias: string): { room_id: string; creator: string } | undefined {
    return this.s.get.get(alias) as { room_id: string; creator: string } | undefined;
  }
  /** False when the alias is taken. */
  add(alias: string, roomId: string, creator: string): boolean {
    if (this.lookup(alias)) return false;
    this.s.put.run(alias, roomId, creator);
    return true;
  }
  remove(alias: string): void {
    this.s.remove.run(alias);
  }
  aliasesOf(roomId: string): string[] {
    return (this.s.forRoom.all(roomId) as { alias: string }[]).map((r) => r.alias);
  }
}
