// The homeserver's one schema: every table, index and trigger it stores, as numbered steps. A database records the
// last step it has taken in `PRAGMA user_version`; opening it takes the steps it lacks, in order, each in its own
// transaction. Append a step for every change; never edit one that has shipped (databases out there have taken it).
// A database at a version newer than the last step here was written by a newer release and is refused, not
// silently downgraded. (The state cache's TEMP triggers are per-connection, never stored: they live in state-cache.ts.)
import type Database from 'better-sqlite3';

type Db = Database.Database;

export interface Migration {
  version: number;
  /** What the step adds, for errors and for tests that need a database from before it. */
  name: string;
  up: string | ((db: Db) => void);
}

// The search index (FTS5): the FTS row's rowid is the event's stream ordering; triggers on \`events\` keep the index in
// step with every write path (local sends, federation, backfill, outliers moved into the timeline, redactions).
const textOf = (row: string, type: string, key: string) =>
  `CASE WHEN ${row}.type = '${type}' AND json_type(${row}.pdu, '$.content.${key}') = 'text' THEN json_extract(${row}.pdu, '$.content.${key}') END`;
const SEARCHABLE = (row: string) => `${row}.redacted_by IS NULL AND ${row}.type IN ('m.room.message', 'm.room.name', 'm.room.topic')`;
const indexRow = (row: string) =>
  `SELECT ${row}.stream_ordering AS id, ${textOf(row, 'm.room.message', 'body')} AS body, ${textOf(row, 'm.room.name', 'name')} AS name, ${textOf(row, 'm.room.topic', 'topic')} AS topic`;
const SEARCH_INDEX = `
  CREATE VIRTUAL TABLE event_search USING fts5(body, name, topic, tokenize = 'unicode61 remove_diacritics 2');
  INSERT INTO event_search (rowid, body, name, topic)
    SELECT id, body, name, topic FROM (${indexRow('events')} FROM events WHERE ${SEARCHABLE('events')})
    WHERE body IS NOT NULL OR name IS NOT NULL OR topic IS NOT NULL;
  CREATE TRIGGER event_search_insert AFTER INSERT ON events WHEN ${SEARCHABLE('NEW')}
  BEGIN
    INSERT INTO event_search (rowid, body, name, topic)
      SELECT id, body, name, topic FROM (${indexRow('NEW')}) WHERE body IS NOT NULL OR name IS NOT NULL OR topic IS NOT NULL;
  END;
  CREATE TRIGGER event_search_redact AFTER UPDATE OF redacted_by ON events WHEN NEW.redacted_by IS NOT NULL
  BEGIN
    DELETE FROM event_search WHERE rowid = NEW.stream_ordering;
  END;
  CREATE TRIGGER event_search_move AFTER UPDATE OF stream_ordering ON events WHEN NEW.stream_ordering <> OLD.stream_ordering
  BEGIN
    UPDATE event_search SET rowid = NEW.stream_ordering WHERE rowid = OLD.stream_ordering;
  END;
  CREATE TRIGGER event_search_delete AFTER DELETE ON events
  BEGIN
    DELETE FROM event_search WHERE rowid = OLD.stream_ordering;
  END;
  `;

const tableExists = (db: Db, name: string) =>
  db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'accounts, rooms and events',
    up: `
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
  },
  // Unread counts kept up to date on write, so /sync doesn't count a room's history on every request.
  {
    version: 2,
    name: 'notification counts',
    up: `
  CREATE TABLE notification_counts (
    room_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (room_id, user_id)
  );
  `,
  },
  // Outliers: events held for state and auth (a joined room's state from send_join) that are not in the timeline
  // until backfill reaches them. Backfilled history gets stream orderings below zero, under everything live.
  {
    version: 3,
    name: 'outliers',
    up: `
  ALTER TABLE events ADD COLUMN outlier INTEGER NOT NULL DEFAULT 0;
  `,
  },
  // Relations (m.relates_to with rel_type and event_id), indexed by parent for /relations, /threads and bundled
  // aggregations; the rows of events already stored are filled in here, later ones as events are stored.
  {
    version: 4,
    name: 'relations',
    up: `
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
  },
  // Steps 5 to 8 hold the tables that their stores created in their constructors (IF NOT EXISTS) until then. They
  // keep IF NOT EXISTS, so a database those releases made, which has them already, is adopted as it is.
  //
  // Federation: the persisted outbound queue, per-destination backoff, remote server keys, soft-failed events,
  // state snapshots per event, received transaction IDs; outliers held only as auth or state references, and
  // hints about which servers are in a room.
  {
    version: 5,
    name: 'federation',
    up: `
  CREATE TABLE IF NOT EXISTS fed_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    destination TEXT NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_ts INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS fed_outbox_destination ON fed_outbox (destination, id);
  CREATE TABLE IF NOT EXISTS fed_destinations (
    destination TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    retry_at INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS fed_server_keys (
    server_name TEXT NOT NULL,
    key_id TEXT NOT NULL,
    key TEXT NOT NULL,
    valid_until_ts INTEGER NOT NULL,
    expired_ts INTEGER,
    PRIMARY KEY (server_name, key_id)
  );
  CREATE TABLE IF NOT EXISTS fed_soft_failed (
    event_id TEXT PRIMARY KEY,
    room_id TEXT NOT NULL,
    pdu TEXT NOT NULL,
    reason TEXT NOT NULL,
    received_ts INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS fed_state_groups (
    group_id INTEGER PRIMARY KEY AUTOINCREMENT,
    room_id TEXT NOT NULL,
    state TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS fed_event_state (
    event_id TEXT PRIMARY KEY,
    group_id INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS fed_received_txns (
    origin TEXT NOT NULL,
    txn_id TEXT NOT NULL,
    PRIMARY KEY (origin, txn_id)
  );
  CREATE TABLE IF NOT EXISTS fed_outliers (
    event_id TEXT PRIMARY KEY,
    room_id TEXT NOT NULL,
    pdu TEXT NOT NULL
  );
  CREATE TABLE IF NOT EXISTS fed_room_servers (
    room_id TEXT NOT NULL,
    server_name TEXT NOT NULL,
    PRIMARY KEY (room_id, server_name)
  );
  `,
  },
  // Member-key links (PROTOCOL.md §4): each member's last verdict with the stream position /sync reports it at,
  // events held until a link verifies, and keys contested by another server.
  {
    version: 6,
    name: 'links',
    up: `
  CREATE TABLE IF NOT EXISTS link_state (
    room_id TEXT NOT NULL,
    member_key TEXT NOT NULL,
    event_id TEXT NOT NULL,
    info TEXT NOT NULL,
    known_key TEXT,
    stream_id INTEGER NOT NULL,
    PRIMARY KEY (room_id, member_key)
  );
  CREATE INDEX IF NOT EXISTS link_state_stream ON link_state (room_id, stream_id);
  CREATE TABLE IF NOT EXISTS link_held_events (
    event_id TEXT PRIMARY KEY,
    room_id TEXT NOT NULL,
    member_key TEXT NOT NULL,
    member_event_id TEXT NOT NULL,
    key_ids TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS link_held_member ON link_held_events (room_id, member_key);
  CREATE TABLE IF NOT EXISTS contested_keys (
    room_id TEXT NOT NULL,
    member_key TEXT NOT NULL,
    by_server TEXT NOT NULL,
    since_ts INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    stream_id INTEGER NOT NULL,
    PRIMARY KEY (room_id, member_key, by_server)
  );
  CREATE INDEX IF NOT EXISTS contested_keys_stream ON contested_keys (room_id, stream_id);
  `,
  },
  // Push: the events that notify each user, until read (a highlight flag per event), and each (room, user)'s counts
  // (push_counts), kept by triggers as rows come and go: /sync reads them for every room it reports, and counting a
  // reader's unread rows each time made a long unread stretch cost more with every message. A database from before
  // the counts (push_actions made by its store) has them counted once here.
  {
    version: 7,
    name: 'push actions',
    up: (db) => {
      const counted = tableExists(db, 'push_counts');
      db.exec(`
  CREATE TABLE IF NOT EXISTS push_actions (
    room_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    stream_ordering INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    highlight INTEGER NOT NULL,
    PRIMARY KEY (room_id, user_id, stream_ordering)
  );
  CREATE TABLE IF NOT EXISTS push_counts (
    room_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    notifications INTEGER NOT NULL,
    highlights INTEGER NOT NULL,
    PRIMARY KEY (room_id, user_id)
  );
  CREATE INDEX IF NOT EXISTS push_actions_event ON push_actions (event_id);
  CREATE TRIGGER IF NOT EXISTS push_counts_insert AFTER INSERT ON push_actions BEGIN
    INSERT INTO push_counts (room_id, user_id, notifications, highlights) VALUES (NEW.room_id, NEW.user_id, 1, NEW.highlight)
      ON CONFLICT (room_id, user_id) DO UPDATE SET notifications = notifications + 1, highlights = highlights + excluded.highlights;
  END;
  CREATE TRIGGER IF NOT EXISTS push_counts_delete AFTER DELETE ON push_actions BEGIN
    UPDATE push_counts SET notifications = notifications - 1, highlights = highlights - OLD.highlight WHERE room_id = OLD.room_id AND user_id = OLD.user_id;
  END;
  CREATE TRIGGER IF NOT EXISTS push_counts_update AFTER UPDATE ON push_actions BEGIN
    UPDATE push_counts SET notifications = notifications - 1, highlights = highlights - OLD.highlight WHERE room_id = OLD.room_id AND user_id = OLD.user_id;
    INSERT INTO push_counts (room_id, user_id, notifications, highlights) VALUES (NEW.room_id, NEW.user_id, 1, NEW.highlight)
      ON CONFLICT (room_id, user_id) DO UPDATE SET notifications = notifications + 1, highlights = highlights + excluded.highlights;
  END;
  `);
      if (!counted) {
        db.exec(
          'INSERT INTO push_counts (room_id, user_id, notifications, highlights) SELECT room_id, user_id, COUNT(*), SUM(highlight) FROM push_actions GROUP BY room_id, user_id',
        );
      }
    },
  },
  // Account keys (PROTOCOL.md §2): the public half of each portable account's key, one account per key per server.
  {
    version: 8,
    name: 'account keys',
    up: `
  CREATE TABLE IF NOT EXISTS account_keys (
    account_key TEXT PRIMARY KEY,
    user_id TEXT NOT NULL UNIQUE,
    created_ts INTEGER NOT NULL,
    moved_to TEXT
  );
  `,
  },
  // The search index, which kept its own version (table component_versions, version 1) until then: made here
  // (indexing every event already stored) unless a release made it already; then component_versions goes.
  {
    version: 9,
    name: 'search index',
    up: (db) => {
      if (tableExists(db, 'component_versions')) {
        const row = db.prepare("SELECT version FROM component_versions WHERE component = 'event_search'").get() as
          | { version: number }
          | undefined;
        if (row && row.version > 1)
          throw new SchemaTooNewError(`the search index is at version ${row.version}; this homeserver knows version 1`);
      }
      if (!tableExists(db, 'event_search')) db.exec(SEARCH_INDEX);
      db.exec('DROP TABLE IF EXISTS component_versions');
    },
  },
  // Media across servers: copies of other servers' media fetched over federation (keyed by origin and media ID),
  // and thumbnails made here (of local or remote media), keyed by what was asked for.
  {
    version: 10,
    name: 'remote media and thumbnails',
    up: `
  CREATE TABLE IF NOT EXISTS remote_media (
    server_name TEXT NOT NULL,
    media_id TEXT NOT NULL,
    content_type TEXT NOT NULL,
    filename TEXT,
    size INTEGER NOT NULL,
    file TEXT NOT NULL,
    fetched_ts INTEGER NOT NULL,
    PRIMARY KEY (server_name, media_id)
  );
  CREATE TABLE IF NOT EXISTS media_thumbnails (
    server_name TEXT NOT NULL,
    media_id TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    method TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    file TEXT NOT NULL,
    created_ts INTEGER NOT NULL,
    PRIMARY KEY (server_name, media_id, width, height, method)
  );
  `,
  },
  // Push, one row per event instead of one per member and event: each notifying event lists the local users it
  // notifies and highlights ('\n'-separated, with a '\n' at each end), and each (room, user) has a read floor that
  // receipts and rejoins move up. A room of 200 members wrote 199 rows across the table for every message (about
  // 25 µs each); now it writes one. The counts are the rows above the floor that name the user
  // (push/notification-counts.ts keeps them in memory as they grow). The per-member rows of older databases
  // become per-event rows: they were exactly the unread ones, so no floor is needed for them.
  {
    version: 11,
    name: 'push events',
    up: `
  CREATE TABLE IF NOT EXISTS push_events (
    room_id TEXT NOT NULL,
    stream_ordering INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    notify TEXT NOT NULL,
    highlight TEXT NOT NULL,
    PRIMARY KEY (room_id, stream_ordering)
  );
  CREATE INDEX IF NOT EXISTS push_events_event ON push_events (event_id);
  CREATE TABLE IF NOT EXISTS push_read (
    room_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    stream_ordering INTEGER NOT NULL,
    PRIMARY KEY (room_id, user_id)
  );
  INSERT OR IGNORE INTO push_events (room_id, stream_ordering, event_id, notify, highlight)
    SELECT room_id, stream_ordering, MIN(event_id),
      char(10) || group_concat(user_id, char(10)) || char(10),
      COALESCE(char(10) || group_concat(CASE WHEN highlight THEN user_id END, char(10)) || char(10), '')
    FROM push_actions GROUP BY room_id, stream_ordering;
  DROP TRIGGER IF EXISTS push_counts_insert;
  DROP TRIGGER IF EXISTS push_counts_delete;
  DROP TRIGGER IF EXISTS push_counts_update;
  DROP TABLE IF EXISTS push_counts;
  DROP TABLE IF EXISTS push_actions;
  `,
  },
  // The invite-key pool (PROTOCOL.md §5): public member keys a portable account uploaded; `room_id` is set, for good,
  // when an invite takes one ('' for a key refused at hand-out), so no key is handed out twice.
  {
    version: 12,
    name: 'invite-key pool',
    up: `
  CREATE TABLE IF NOT EXISTS invite_keys (
    user_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    member_key TEXT NOT NULL,
    uploaded_ts INTEGER NOT NULL,
    room_id TEXT,
    handed_to TEXT,
    handed_ts INTEGER,
    PRIMARY KEY (user_id, nonce),
    UNIQUE (user_id, member_key)
  );
  CREATE INDEX IF NOT EXISTS invite_keys_unused ON invite_keys (user_id, uploaded_ts) WHERE room_id IS NULL;
  CREATE INDEX IF NOT EXISTS invite_keys_room ON invite_keys (user_id, room_id) WHERE room_id IS NOT NULL;
  `,
  },
  // Threaded notifications (spec v1.4, MSC3773/MSC3771): each notifying event names its thread (its root's event ID;
  // NULL for the main timeline), and a threaded receipt ('main' or a root) moves a floor for that thread alone,
  // above the room's unthreaded floor in push_read. Rows stored before this step are taken as main-timeline rows.
  {
    version: 13,
    name: 'threaded notifications',
    up: (db) => {
      const columns = db.prepare("SELECT name FROM pragma_table_info('push_events')").pluck().all() as string[];
      if (!columns.includes('thread_id')) db.exec('ALTER TABLE push_events ADD COLUMN thread_id TEXT');
      db.exec(`
  CREATE TABLE IF NOT EXISTS push_read_threads (
    room_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    thread_id TEXT NOT NULL,
    stream_ordering INTEGER NOT NULL,
    PRIMARY KEY (room_id, user_id, thread_id)
  );
  `);
    },
  },
  // End-to-end encryption (spec: device keys, one-time and fallback keys, cross-signing, to-device messages, key
  // backup), and the device-list streams, local and remote (federation's m.device_list_update). Signatures by other
  // keys are kept apart from the keys they sign, so a re-upload of the same keys never loses them. `to_device_inbox`
  // and `device_list_changes` rows take positions on the one /sync stream; acknowledged messages are deleted, so
  // `stream_floor` keeps the highest position deleted (after a restart the stream never hands out a position again
  // that a client's token already passed).
  {
    version: 14,
    name: 'end-to-end encryption',
    up: `
  CREATE TABLE IF NOT EXISTS e2e_device_keys (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    key_json TEXT NOT NULL,
    PRIMARY KEY (user_id, device_id)
  );
  CREATE TABLE IF NOT EXISTS e2e_one_time_keys (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    key_id TEXT NOT NULL,
    key_json TEXT NOT NULL,
    PRIMARY KEY (user_id, device_id, algorithm, key_id)
  );
  CREATE TABLE IF NOT EXISTS e2e_fallback_keys (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    key_id TEXT NOT NULL,
    key_json TEXT NOT NULL,
    used INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, device_id, algorithm)
  );
  CREATE TABLE IF NOT EXISTS e2e_cross_signing_keys (
    user_id TEXT NOT NULL,
    key_type TEXT NOT NULL,
    key_json TEXT NOT NULL,
    PRIMARY KEY (user_id, key_type)
  );
  CREATE TABLE IF NOT EXISTS e2e_signatures (
    target_user_id TEXT NOT NULL,
    target_key_id TEXT NOT NULL,
    signer_user_id TEXT NOT NULL,
    signer_key_id TEXT NOT NULL,
    signature TEXT NOT NULL,
    PRIMARY KEY (target_user_id, target_key_id, signer_user_id, signer_key_id)
  );
  CREATE TABLE IF NOT EXISTS device_list_changes (
    stream_id INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS device_list_changes_user ON device_list_changes (user_id, stream_id);
  CREATE INDEX IF NOT EXISTS events_member_stream ON events (stream_ordering) WHERE type = 'm.room.member';
  CREATE TABLE IF NOT EXISTS remote_device_lists (
    user_id TEXT PRIMARY KEY,
    stream_id INTEGER NOT NULL,
    devices_json TEXT NOT NULL,
    master_key_json TEXT,
    self_signing_key_json TEXT,
    updated_ts INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS to_device_inbox (
    stream_id INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    message_json TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS to_device_inbox_device ON to_device_inbox (user_id, device_id, stream_id);
  CREATE TABLE IF NOT EXISTS stream_floor (
    name TEXT PRIMARY KEY,
    position INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS to_device_txns (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    txn_id TEXT NOT NULL,
    created_ts INTEGER NOT NULL,
    PRIMARY KEY (user_id, device_id, txn_id)
  );
  CREATE TABLE IF NOT EXISTS to_device_received (
    origin TEXT NOT NULL,
    message_id TEXT NOT NULL,
    received_ts INTEGER NOT NULL,
    PRIMARY KEY (origin, message_id)
  );
  CREATE TABLE IF NOT EXISTS room_key_backups (
    user_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    algorithm TEXT NOT NULL,
    auth_data TEXT NOT NULL,
    etag INTEGER NOT NULL DEFAULT 0,
    deleted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, version)
  );
  CREATE TABLE IF NOT EXISTS room_key_backup_keys (
    user_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    room_id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    first_message_index INTEGER NOT NULL,
    forwarded_count INTEGER NOT NULL,
    is_verified INTEGER NOT NULL,
    session_data TEXT NOT NULL,
    PRIMARY KEY (user_id, version, room_id, session_id)
  );
  `,
  },
  // The search index catches up in batches: a stored event only queues its position in `event_search_pending`, and
  // SearchIndex.catchUp moves the queue into the FTS table many rows at a time (before every search, and soon after
  // writes). FTS5 writes a new segment whenever a savepoint that touched it is released, i.e. once per sent message,
  // which cost more than the rest of the insert. Redactions, moves and deletions follow both tables.
  {
    version: 15,
    name: 'search index in batches',
    up: `
  CREATE TABLE IF NOT EXISTS event_search_pending (stream_ordering INTEGER PRIMARY KEY);
  DROP TRIGGER IF EXISTS event_search_insert;
  CREATE TRIGGER event_search_insert AFTER INSERT ON events WHEN ${SEARCHABLE('NEW')}
  BEGIN
    INSERT OR IGNORE INTO event_search_pending (stream_ordering) VALUES (NEW.stream_ordering);
  END;
  DROP TRIGGER IF EXISTS event_search_redact;
  CREATE TRIGGER event_search_redact AFTER UPDATE OF redacted_by ON events WHEN NEW.redacted_by IS NOT NULL
  BEGIN
    DELETE FROM event_search_pending WHERE stream_ordering = NEW.stream_ordering;
    DELETE FROM event_search WHERE rowid = NEW.stream_ordering;
  END;
  DROP TRIGGER IF EXISTS event_search_move;
  CREATE TRIGGER event_search_move AFTER UPDATE OF stream_ordering ON events WHEN NEW.stream_ordering <> OLD.stream_ordering
  BEGIN
    UPDATE event_search_pending SET stream_ordering = NEW.stream_ordering WHERE stream_ordering = OLD.stream_ordering;
    UPDATE event_search SET rowid = NEW.stream_ordering WHERE rowid = OLD.stream_ordering;
  END;
  DROP TRIGGER IF EXISTS event_search_delete;
  CREATE TRIGGER event_search_delete AFTER DELETE ON events
  BEGIN
    DELETE FROM event_search_pending WHERE stream_ordering = OLD.stream_ordering;
    DELETE FROM event_search WHERE rowid = OLD.stream_ordering;
  END;
  `,
  },
  {
    version: 16,
    name: 'erased accounts',
    // Deactivated with `erase`: from where in the stream on, readers who could not see the account's events before
    // are served them redacted (Client-Server API, POST /account/deactivate).
    up: `
  CREATE TABLE IF NOT EXISTS erased_users (user_id TEXT PRIMARY KEY, stream_position INTEGER NOT NULL, erased_ts INTEGER NOT NULL);
  `,
  },
];

/**
 * What SearchIndex.catchUp runs: the searchable text of the events queued up to @upTo into the FTS table. CROSS JOIN
 * keeps the queue the outer loop: the planner otherwise walked every event up to @upTo to find the queued ones.
 */
export const INDEX_PENDING_SEARCH = `INSERT INTO event_search (rowid, body, name, topic)
  SELECT id, body, name, topic FROM (${indexRow('events')} FROM event_search_pending p CROSS JOIN events ON events.stream_ordering = p.stream_ordering
    WHERE p.stream_ordering <= @upTo AND ${SEARCHABLE('events')})
  WHERE body IS NOT NULL OR name IS NOT NULL OR topic IS NOT NULL`;

/** The version of a database that has taken every step. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The database was written by a newer release: refused rather than used (or downgraded) by this one. */
export class SchemaTooNewError extends Error {}

export const schemaVersionOf = (db: Db) => db.pragma('user_version', { simple: true }) as number;

/** Refuses a database from a newer release; `file` names it in the error. */
export function assertKnownVersion(db: Db, file = db.name): void {
  const version = schemaVersionOf(db);
  if (version > SCHEMA_VERSION) {
    throw new SchemaTooNewError(
      `${file} is at schema version ${version}, but this homeserver knows versions up to ${SCHEMA_VERSION}: a newer release wrote it. ` +
        'Run that release (or restore a backup made by this one); this one will not open or downgrade it.',
    );
  }
}

/**
 * Takes the steps the database lacks, up to `target` (every step by default; tests stop earlier to make an old
 * database). Each step and its version bump commit together, in a write transaction that re-reads the version, so
 * a crash leaves the database at a step boundary and a second process opening it at once never repeats a step.
 */
export function migrate(db: Db, target = SCHEMA_VERSION): void {
  assertKnownVersion(db);
  for (const step of MIGRATIONS) {
    if (step.version > target) break;
    if (step.version <= schemaVersionOf(db)) continue;
    db.transaction(() => {
      if (step.version <= schemaVersionOf(db)) return;
      if (typeof step.up === 'string') db.exec(step.up);
      else step.up(db);
      db.pragma(`user_version = ${step.version}`);
    }).immediate();
  }
}

MIGRATIONS.forEach((step, index) => {
  if (step.version !== index + 1) throw new Error(`migration ${step.name} is numbered ${step.version}, expected ${index + 1}`);
});
