// SQLite storage: one file in the data dir, WAL + synchronous=FULL so an acknowledged write survives a kill.
import Database from 'better-sqlite3';
import path from 'node:path';

export type Db = Database.Database;

/** Each entry moves the schema one version forward; never edit an entry that has shipped, append a new one. */
const migrations: string[] = [
  `
  CREATE TABLE users (
    user_id TEXT PRIMARY KEY,
    localpart TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    displayname TEXT,
    avatar_url TEXT,
    created_ts INTEGER NOT NULL,
    deactivated INTEGER NOT NULL DEFAULT 0
  );
  CREATE TABLE devices (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    display_name TEXT,
    last_seen_ts INTEGER,
    last_seen_ip TEXT,
    PRIMARY KEY (user_id, device_id)
  );
  CREATE TABLE access_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    created_ts INTEGER NOT NULL
  );
  CREATE INDEX access_tokens_device ON access_tokens (user_id, device_id);
  CREATE TABLE filters (
    user_id TEXT NOT NULL,
    filter_id INTEGER NOT NULL,
    filter_json TEXT NOT NULL,
    PRIMARY KEY (user_id, filter_id)
  );
  CREATE TABLE account_data (
    user_id TEXT NOT NULL,
    room_id TEXT NOT NULL,
    type TEXT NOT NULL,
    content TEXT NOT NULL,
    stream_id INTEGER NOT NULL,
    PRIMARY KEY (user_id, room_id, type)
  );
  CREATE INDEX account_data_stream ON account_data (user_id, stream_id);
  CREATE TABLE rooms (
    room_id TEXT PRIMARY KEY,
    room_version TEXT NOT NULL,
    creator TEXT NOT NULL,
    is_public INTEGER NOT NULL DEFAULT 0,
    created_ts INTEGER NOT NULL
  );
  CREATE TABLE events (
    stream_ordering INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    room_id TEXT NOT NULL,
    type TEXT NOT NULL,
    state_key TEXT,
    sender TEXT NOT NULL,
    depth INTEGER NOT NULL,
    origin_server_ts INTEGER NOT NULL,
    pdu TEXT NOT NULL,
    redacted_by TEXT,
    replaces_state TEXT,
    sender_user_id TEXT,
    txn_device_id TEXT,
    txn_id TEXT
  );
  CREATE INDEX events_room_stream ON events (room_id, stream_ordering);
  CREATE INDEX events_room_state ON events (room_id, type, state_key, stream_ordering) WHERE state_key IS NOT NULL;
  CREATE TABLE rejected_events (
    event_id TEXT PRIMARY KEY,
    room_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    pdu TEXT NOT NULL
  );
  CREATE TABLE forward_extremities (
    room_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (room_id, event_id)
  );
  CREATE TABLE current_state (
    room_id TEXT NOT NULL,
    type TEXT NOT NULL,
    state_key TEXT NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (room_id, type, state_key)
  );
  CREATE TABLE local_memberships (
    room_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    membership TEXT NOT NULL,
    event_id TEXT NOT NULL,
    stream_ordering INTEGER NOT NULL,
    forgotten INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (room_id, user_id)
  );
  CREATE INDEX local_memberships_user ON local_memberships (user_id, stream_ordering);
  CREATE TABLE member_keys (
    room_id TEXT NOT NULL,
    member_key TEXT NOT NULL,
    user_id TEXT NOT NULL,
    seed TEXT,
    PRIMARY KEY (room_id, member_key),
    UNIQUE (room_id, user_id)
  );
  CREATE TABLE pending_creator_keys (
    user_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    member_key TEXT NOT NULL,
    seed TEXT NOT NULL,
    PRIMARY KEY (user_id, nonce)
  );
  CREATE TABLE transactions (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    txn_id TEXT NOT NULL,
    path TEXT NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (user_id, device_id, path, txn_id)
  );
  CREATE TABLE room_aliases (
    alias TEXT PRIMARY KEY,
    room_id TEXT NOT NULL,
    creator TEXT NOT NULL
  );
  CREATE TABLE receipts (
    room_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    receipt_type TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    ts INTEGER NOT NULL,
    stream_id INTEGER NOT NULL,
    PRIMARY KEY (room_id, user_id, receipt_type, thread_id)
  );
  CREATE INDEX receipts_stream ON receipts (room_id, stream_id);
  CREATE TABLE media (
    media_id TEXT PRIMARY KEY,
    content_type TEXT NOT NULL,
    filename TEXT,
    size INTEGER NOT NULL,
    uploader TEXT NOT NULL,
    created_ts INTEGER NOT NULL
  );
  `,
  // Unread counts kept up to date on write, so /sync doesn't count a room's history on every request.
  `
  CREATE TABLE notification_counts (
    room_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (room_id, user_id)
  );
  `,
  // Outliers: events held for state and auth (a joined room's state from send_join) that are not in the timeline
  // until backfill reaches them. Backfilled history gets stream orderings below zero, under everything live.
  `
  ALTER TABLE events ADD COLUMN outlier INTEGER NOT NULL DEFAULT 0;
  `,
  // Relations (m.relates_to with rel_type and event_id), indexed by parent for /relations, /threads and bundled
  // aggregations; the rows of events already stored are filled in here, later ones as events are stored.
  `
  CREATE TABLE event_relations (
    event_id TEXT PRIMARY KEY,
    room_id TEXT NOT NULL,
    relates_to TEXT NOT NULL,
    rel_type TEXT NOT NULL
  );
  CREATE INDEX event_relations_parent ON event_relations (relates_to, rel_type);
  CREATE INDEX event_relations_room_type ON event_relations (room_id, rel_type);
  INSERT OR IGNORE INTO event_relations (event_id, room_id, relates_to, rel_type)
    SELECT event_id, room_id, json_extract(pdu, '$.content."m.relates_to".event_id'), json_extract(pdu, '$.content."m.relates_to".rel_type')
    FROM events
    WHERE json_type(pdu, '$.content."m.relates_to".event_id') = 'text' AND json_type(pdu, '$.content."m.relates_to".rel_type') = 'text';
  `,
];

export function openDatabase(dataDir: string): Db {
  const db = new Database(path.join(dataDir, 'homeserver.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

function migrate(db: Db): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let version = current; version < migrations.length; version++) {
    db.transaction(() => {
      db.exec(migrations[version]!);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
}

/**
 * One counter orders everything /sync reports (events, account data, receipts), so a sync token is a
 * single number. Writes happen on one thread, so an in-memory counter seeded from the tables is exact.
 */
export class StreamCounter {
  private position: number;
  constructor(db: Db) {
    const max = (sql: string) => ((db.prepare(sql).get() as { m: number | null }).m ?? 0);
    this.position = Math.max(
      max('SELECT MAX(stream_ordering) AS m FROM events'),
      max('SELECT MAX(stream_id) AS m FROM account_data'),
      max('SELECT MAX(stream_id) AS m FROM receipts'),
    );
  }
  next(): number {
    return ++this.position;
  }
  current(): number {
    return this.position;
  }
}
