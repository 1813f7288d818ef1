// Uploaded media: bytes in <data>/media/<id>, metadata in SQLite. IDs are random, so names can't collide or traverse.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Db } from '../storage/database';

export interface MediaRow {
  media_id: string;
  content_type: string;
  filename: string | null;
  size: number;
}

export class MediaStore {
  private readonly dir: string;
  private readonly s;
  constructor(db: Db, dataDir: string) {
    this.dir = path.join(dataDir, 'media');
    mkdirSync(this.dir, { recursive: true });
    this.s = {
      put: db.prepare('INSERT INTO media (media_id, content_type, filename, size, uploader, created_ts) VALUES (?, ?, ?, ?, ?, ?)'),
      get: db.prepare('SELECT media_id, content_type, filename, size FROM media WHERE media_id = ?'),
    };
  }

  save(bytes: Buffer, contentType: string, filename: string | undefined, uploader: string): string {
    const mediaId = randomBytes(18).toString('base64url');
    const file = path.join(this.dir, mediaId);
    // Write then rename, so a crash never leaves a half-written file under a recorded ID.
    writeFileSync(`${file}.tmp`, bytes, { flush: true });
    renameSync(`${file}.tmp`, file);
    this.s.put.run(mediaId, contentType, filename ?? null, bytes.length, uploader, Date.now());
    return mediaId;
  }

  get(mediaId: string): { row: MediaRow; bytes: Buffer } | undefined {
    if (!/^[A-Za-z0-9_-]+$/.test(mediaId)) return undefined;
    const row = this.s.get.get(mediaId) as MediaRow | undefined;
    if (!row) return undefined;
    return { row, bytes: readFileSync(path.join(this.dir, mediaId)) };
  }
}
