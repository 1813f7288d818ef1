// Server-side key backup (spec: /room_keys): versions of a user's backup and the encrypted session keys in each.
// The server sees only each session's metadata (first_message_index, forwarded_count, is_verified), which decides
// whether an upload replaces what is stored; `etag` moves whenever the stored keys change.
import type { Db } from './database';

type Json = Record<string, unknown>;

export interface BackupVersion {
  version: string;
  algorithm: string;
  authData: Json;
  etag: string;
  count: number;
}

export interface BackedUpKey {
  first_message_index: number;
  forwarded_count: number;
  is_verified: boolean;
  session_data: Json;
}

interface KeyRow {
  room_id: string;
  session_id: string;
  first_message_index: number;
  forwarded_count: number;
  is_verified: number;
  session_data: string;
}

export class KeyBackupStore {
  private readonly s;

  constructor(private readonly db: Db) {
    this.s = {
      latest: db.prepare('SELECT * FROM room_key_backups WHERE user_id = ? AND deleted = 0 ORDER BY version DESC LIMIT 1'),
      version: db.prepare('SELECT * FROM room_key_backups WHERE user_id = ? AND version = ? AND deleted = 0'),
      maxVersion: db.prepare('SELECT MAX(version) FROM room_key_backups WHERE user_id = ?').pluck(),
      create: db.prepare('INSERT INTO room_key_backups (user_id, version, algorithm, auth_data) VALUES (?, ?, ?, ?)'),
      update: db.prepare('UPDATE room_key_backups SET auth_data = ? WHERE user_id = ? AND version = ?'),
      remove: db.prepare('UPDATE room_key_backups SET deleted = 1 WHERE user_id = ? AND version = ?'),
      bumpEtag: db.prepare('UPDATE room_key_backups SET etag = etag + 1 WHERE user_id = ? AND version = ?'),
      count: db.prepare('SELECT COUNT(*) FROM room_key_backup_keys WHERE user_id = ? AND version = ?').pluck(),
      key: db.prepare('SELECT * FROM room_key_backup_keys WHERE user_id = ? AND version = ? AND room_id = ? AND session_id = ?'),
      putKey: db.prepare(
        'INSERT OR REPLACE INTO room_key_backup_keys (user_id, version, room_id, session_id, first_message_index, forwarded_count, is_verified, session_data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      allKeys: db.prepare('SELECT * FROM room_key_backup_keys WHERE user_id = ? AND version = ?'),
      roomKeys: db.prepare('SELECT * FROM room_key_backup_keys WHERE user_id = ? AND version = ? AND room_id = ?'),
      deleteAll: db.prepare('DELETE FROM room_key_backup_keys WHERE user_id = ? AND version = ?'),
      deleteRoom: db.prepare('DELETE FROM room_key_backup_keys WHERE user_id = ? AND version = ? AND room_id = ?'),
      deleteSession: db.prepare('DELETE FROM room_key_backup_keys WHERE user_id = ? AND version = ? AND room_id = ? AND session_id = ?'),
    };
  }

  /** The current (newest, not deleted) version, or a given one. */
  get(userId: string, version?: string): BackupVersion | undefined {
    let row: { version: number; algorithm: string; auth_data: string; etag: number } | undefined;
    if (version === undefined) row = this.s.latest.get(userId) as typeof row;
    else if (/^\d{1,15}$/.test(version)) row = this.s.version.get(userId, Number(version)) as typeof row;
    if (!row) return undefined;
    return {
      version: String(row.version),
      algorithm: row.algorithm,
      authData: JSON.parse(row.auth_data) as Json,
      etag: String(row.etag),
      count: this.s.count.get(userId, row.version) as number,
    };
  }

  create(userId: string, algorithm: string, authData: Json): string {
    return this.db.transaction(() => {
      // Versions are never reused, even after a delete: a client holding an old version must not write into a new one.
      const version = ((this.s.maxVersion.get(userId) as number | null) ?? 0) + 1;
      this.s.create.run(userId, version, algorithm, JSON.stringify(authData));
      return String(version);
    })();
  }

  updateAuthData(userId: string, version: string, authData: Json): void {
    this.s.update.run(JSON.stringify(authData), userId, Number(version));
  }

  /** Deletes a version and every key stored in it. */
  delete(userId: string, version: string): void {
    this.db.transaction(() => {
      this.s.remove.run(userId, Number(version));
      this.s.deleteAll.run(userId, Number(version));
    })();
  }

  /**
   * Stores each key unless the stored one is better (spec: verified beats unverified, then the lower
   * first_message_index, then the lower forwarded_count). The etag moves if anything was written.
   */
  putKeys(userId: string, version: string, keys: { roomId: string; sessionId: string; key: BackedUpKey }[]): void {
    const v = Number(version);
    this.db.transaction(() => {
      let changed = false;
      for (const { roomId, sessionId, key } of keys) {
        const existing = this.s.key.get(userId, v, roomId, sessionId) as KeyRow | undefined;
        if (existing && !isBetter(key, existing)) continue;
        this.s.putKey.run(
          userId,
          v,
          roomId,
          sessionId,
          key.first_message_index,
          key.forwarded_count,
          key.is_verified ? 1 : 0,
          JSON.stringify(key.session_data),
        );
        changed = true;
      }
      if (changed) this.s.bumpEtag.run(userId, v);
    })();
  }

  /** All keys, one room's, or one session's, in the spec's nested shape: rooms → sessions → key. */
  keys(userId: string, version: string, roomId?: string, sessionId?: string): Record<string, Record<string, BackedUpKey>> {
    const v = Number(version);
    let rows: KeyRow[];
    if (roomId === undefined) rows = this.s.allKeys.all(userId, v) as KeyRow[];
    else if (sessionId === undefined) rows = this.s.roomKeys.all(userId, v, roomId) as KeyRow[];
    else rows = [this.s.key.get(userId, v, roomId, sessionId) as KeyRow | undefined].filter((r): r is KeyRow => !!r);
    const rooms: Record<string, Record<string, BackedUpKey>> = {};
    for (const row of rows) {
      (rooms[row.room_id] ??= {})[row.session_id] = {
        first_message_index: row.first_message_index,
        forwarded_count: row.forwarded_count,
        is_verified: row.is_verified === 1,
        session_data: JSON.parse(row.session_data) as Json,
      };
    }
    return rooms;
  }

  deleteKeys(userId: string, version: string, roomId?: string, sessionId?: string): void {
    const v = Number(version);
    this.db.transaction(() => {
      const result =
        roomId === undefined
          ? this.s.deleteAll.run(userId, v)
          : sessionId === undefined
            ? this.s.deleteRoom.run(userId, v, roomId)
            : this.s.deleteSession.run(userId, v, roomId, sessionId);
      if (result.changes > 0) this.s.bumpEtag.run(userId, v);
    })();
  }
}

function isBetter(candidate: BackedUpKey, stored: KeyRow): boolean {
  if (candidate.is_verified !== (stored.is_verified === 1)) return candidate.is_verified;
  if (candidate.first_message_index !== stored.first_message_index) return candidate.first_message_index < stored.first_message_index;
  return candidate.forwarded_count < stored.forwarded_count;
}
