// Uploaded media: bytes in <data>/media/<id>, metadata in SQLite. IDs are random, so names can't collide or traverse.
// Copies of other servers' media (fetched over federation) and thumbnails live in <data>/media/remote and
// <data>/media/thumbnails under names hashed from their key, so a remote server's media ID never becomes a path.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Db } from '../storage/database';

export interface MediaRow {
  media_id: string;
  content_type: string;
  filename: string | null;
  size: number;
}

export interface ThumbnailKey {
  serverName: string;
  mediaId: string;
  width: number;
  height: number;
  method: 'scale' | 'crop';
}

/** Media IDs this server accepts, its own or another's (spec: the path part of an mxc:// URI; [A-Za-z0-9_-]). */
export const MEDIA_ID = /^[A-Za-z0-9_-]{1,255}$/;

export class MediaStore {
  private readonly dir: string;
  private readonly remoteDir: string;
  private readonly thumbDir: string;
  private readonly s;
  constructor(db: Db, dataDir: string) {
    this.dir = path.join(dataDir, 'media');
    this.remoteDir = path.join(this.dir, 'remote');
    this.thumbDir = path.join(this.dir, 'thumbnails');
    for (const dir of [this.dir, this.remoteDir, this.thumbDir]) mkdirSync(dir, { recursive: true });
    this.s = {
      put: db.prepare('INSERT INTO media (media_id, content_type, filename, size, uploader, created_ts) VALUES (?, ?, ?, ?, ?, ?)'),
      get: db.prepare('SELECT media_id, content_type, filename, size FROM media WHERE media_id = ?'),
      putRemote: db.prepare(
        'INSERT OR REPLACE INTO remote_media (server_name, media_id, content_type, filename, size, file, fetched_ts) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      getRemote: db.prepare('SELECT media_id, content_type, filename, size, file FROM remote_media WHERE server_name = ? AND media_id = ?'),
      putThumb: db.prepare(
        'INSERT OR REPLACE INTO media_thumbnails (server_name, media_id, width, height, method, content_type, size, file, created_ts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      getThumb: db.prepare(
        'SELECT content_type, file FROM media_thumbnails WHERE server_name = ? AND media_id = ? AND width = ? AND height = ? AND method = ?',
      ),
    };
  }

  save(bytes: Buffer, contentType: string, filename: string | undefined, uploader: string): string {
    const mediaId = randomBytes(18).toString('base64url');
    writeAtomically(path.join(this.dir, mediaId), bytes);
    this.s.put.run(mediaId, contentType, filename ?? null, bytes.length, uploader, Date.now());
    return mediaId;
  }

  get(mediaId: string): { row: MediaRow; bytes: Buffer } | undefined {
    if (!MEDIA_ID.test(mediaId)) return undefined;
    const row = this.s.get.get(mediaId) as MediaRow | undefined;
    if (!row) return undefined;
    return { row, bytes: readFileSync(path.join(this.dir, mediaId)) };
  }

  /** The cached copy of another server's media, if fetched before. */
  getRemote(serverName: string, mediaId: string): { row: MediaRow; bytes: Buffer } | undefined {
    const row = this.s.getRemote.get(serverName, mediaId) as (MediaRow & { file: string }) | undefined;
    if (!row) return undefined;
    const file = path.join(this.remoteDir, row.file);
    if (!existsSync(file)) return undefined;
    return {
      row: { media_id: row.media_id, content_type: row.content_type, filename: row.filename, size: row.size },
      bytes: readFileSync(file),
    };
  }

  saveRemote(serverName: string, mediaId: string, bytes: Buffer, contentType: string, filename: string | undefined): void {
    const file = hashName(serverName, mediaId);
    writeAtomically(path.join(this.remoteDir, file), bytes);
    this.s.putRemote.run(serverName, mediaId, contentType, filename ?? null, bytes.length, file, Date.now());
  }

  getThumbnail(key: ThumbnailKey): { contentType: string; bytes: Buffer } | undefined {
    const row = this.s.getThumb.get(key.serverName, key.mediaId, key.width, key.height, key.method) as
      | { content_type: string; file: string }
      | undefined;
    if (!row) return undefined;
    const file = path.join(this.thumbDir, row.file);
    if (!existsSync(file)) return undefined;
    return { contentType: row.content_type, bytes: readFileSync(file) };
  }

  saveThumbnail(key: ThumbnailKey, contentType: string, bytes: Buffer): void {
    const file = hashName(key.serverName, key.mediaId, String(key.width), String(key.height), key.method);
    writeAtomically(path.join(this.thumbDir, file), bytes);
    this.s.putThumb.run(key.serverName, key.mediaId, key.width, key.height, key.method, contentType, bytes.length, file, Date.now());
  }
}

const hashName = (...parts: string[]) => createHash('sha256').update(parts.join('\u0000')).digest('hex');

/** Write then rename, so a crash never leaves a half-written file under a recorded name. */
function writeAtomically(file: string, bytes: Buffer): void {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  writeFileSync(tmp, bytes, { flush: true });
  renameSync(tmp, file);
}
