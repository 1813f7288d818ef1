// SQLite storage: one file in the data dir, WAL + synchronous=FULL so an acknowledged write survives a kill.
import Database from 'better-sqlite3';
import path from 'node:path';
import { assertKnownVersion, migrate } from './migrations';
import { rollbackJournal } from './rollback-journal';

export type Db = Database.Database;

/**
 * Opens (or creates) the homeserver's database and brings its schema up to date (migrations.ts). A database
 * written by a newer release is refused before anything is written to it.
 */
export function openDatabase(dataDir: string): Db {
  const file = path.join(dataDir, 'homeserver.sqlite');
  const db = new Database(file);
  try {
    db.pragma('busy_timeout = 5000');
    assertKnownVersion(db, file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    migrate(db);
    // Before any store makes a transaction: caches kept in memory roll back with the database.
    rollbackJournal(db);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * One counter orders everything /sync reports (events, account data, receipts, to-device
 * messages, device-list changes), so a sync token is a
 * single number. Writes happen on one thread, so an in-memory counter seeded from the tables is exact.
 */
export class StreamCounter {
  private position: number;
  constructor(db: Db) {
    const max = (sql: string) => (db.prepare(sql).get() as { m: number | null }).m ?? 0;
    this.position = Math.max(
      max('SELECT MAX(stream_ordering) AS m FROM events'),
      max('SELECT MAX(stream_id) AS m FROM account_data'),
      max('SELECT MAX(stream_id) AS m FROM receipts'),
      max('SELECT MAX(stream_id) AS m FROM to_device_inbox'),
      max('SELECT MAX(stream_id) AS m FROM device_list_changes'),
      max('SELECT MAX(position) AS m FROM stream_floor'),
    );
  }
  next(): number {
    return ++this.position;
  }
  current(): number {
    return this.position;
  }
}
