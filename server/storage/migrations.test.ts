// The one schema and its numbered steps: a database the previous release made (tables its stores created on their
// own, the search index's own version table) is adopted without losing a row and ends with exactly the schema of a
// fresh one; so does a database stopped after any step; a database from a newer release is refused untouched.
import Database from 'better-sqlite3';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createHomeserver } from '../homeserver';
import { parseConfig } from '../config';
import { openDatabase, type Db } from './database';
import { SearchIndex } from './search-index';
import { migrate, MIGRATIONS, SCHEMA_VERSION, SchemaTooNewError, schemaVersionOf } from './migrations';

const FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'tests', 'fixtures', 'previous-release');

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'migrations-'));
  dirs.push(dir);
  return dir;
}

/** A copy of the previous release's data directory (the committed file is never opened for writing). */
function fixtureCopy(): string {
  const dir = tempDir();
  cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}

const file = (dir: string) => path.join(dir, 'homeserver.sqlite');
const names = (db: Db, type: string) =>
  (
    db.prepare("SELECT name FROM sqlite_master WHERE type = ? AND name NOT LIKE 'sqlite_%' ORDER BY name").all(type) as { name: string }[]
  ).map((r) => r.name);
const normalised = (sql: string | null) =>
  (sql ?? '')
    .replace(/\s+/g, ' ')
    .replace(/ IF NOT EXISTS/g, '')
    .trim();

/** Everything about the schema that behaviour depends on: columns, indexes (with their columns and uniqueness), triggers. */
function schemaOf(db: Db) {
  const tables = Object.fromEntries(names(db, 'table').map((table) => [table, db.pragma(`table_info("${table}")`)]));
  const indexes = Object.fromEntries(
    names(db, 'index').map((index) => {
      const row = db.prepare('SELECT tbl_name, sql FROM sqlite_master WHERE name = ?').get(index) as { tbl_name: string; sql: string };
      return [index, { table: row.tbl_name, sql: normalised(row.sql), columns: db.pragma(`index_xinfo("${index}")`) }];
    }),
  );
  const triggers = Object.fromEntries(
    (db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name").all() as { name: string; sql: string }[]).map(
      (t) => [t.name, normalised(t.sql)],
    ),
  );
  return { tables, indexes, triggers };
}

/** Every row of every ordinary table (FTS5's shadow tables are compared through the index's own content). */
function contentsOf(db: Db): Record<string, unknown[]> {
  const tables = names(db, 'table').filter((t) => !t.startsWith('event_search') && t !== 'component_versions');
  const rows: Record<string, unknown[]> = Object.fromEntries(
    tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}" ORDER BY rowid`).all()]),
  );
  rows.event_search = db.prepare('SELECT rowid, body, name, topic FROM event_search ORDER BY rowid').all();
  return rows;
}

const pick = (rows: Record<string, unknown[]>, tables: string[]) => Object.fromEntries(tables.map((t) => [t, rows[t]]));

function freshSchema() {
  const db = openDatabase(tempDir());
  try {
    return schemaOf(db);
  } finally {
    db.close();
  }
}

describe('schema migrations', () => {
  it('are numbered 1, 2, 3, … and a fresh database takes all of them', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    const db = openDatabase(tempDir());
    expect(schemaVersionOf(db)).toBe(SCHEMA_VERSION);
    // The tables that stores used to create in their constructors are all made here now.
    for (const table of [
      'fed_outbox',
      'fed_server_keys',
      'fed_outliers',
      'fed_room_servers',
      'link_state',
      'link_held_events',
      'contested_keys',
      'push_events',
      'push_read',
      'account_keys',
      'event_search',
    ]) {
      expect(names(db, 'table'), table).toContain(table);
    }
    expect(names(db, 'table')).not.toContain('component_versions');
    db.close();
  });

  it('adopt the previous release’s database: every row kept, the schema of a fresh database, one version counter', () => {
    const dir = fixtureCopy();
    const old = new Database(file(dir), { readonly: true });
    const before = contentsOf(old);
    expect(schemaVersionOf(old)).toBe(4);
    expect(names(old, 'table')).toContain('component_versions');
    old.close();
    expect(before.events!.length).toBeGreaterThan(20);
    expect(before.event_search!.length).toBeGreaterThan(5);

    const db = openDatabase(dir);
    expect(schemaVersionOf(db)).toBe(SCHEMA_VERSION);
    const after = contentsOf(db);
    // Every row the release stored is still there; what steps add is derived from those rows. The per-member push
    // rows became one row per event that lists the same members (step 11).
    const kept = Object.keys(before).filter((t) => t !== 'push_actions');
    expect(pick(after, kept)).toEqual(pick(before, kept));
    const pushRows = before.push_actions as {
      room_id: string;
      user_id: string;
      stream_ordering: number;
      event_id: string;
      highlight: number;
    }[];
    expect(pushRows.length).toBeGreaterThan(0);
    const listed = (rows: typeof pushRows) => (rows.length > 0 ? `\n${rows.map((r) => r.user_id).join('\n')}\n` : '');
    const byEvent = new Map<string, typeof pushRows>();
    for (const row of pushRows)
      byEvent.set(`${row.room_id} ${row.stream_ordering}`, [...(byEvent.get(`${row.room_id} ${row.stream_ordering}`) ?? []), row]);
    const events = after.push_events as { room_id: string; stream_ordering: number; event_id: string; notify: string; highlight: string }[];
    const byPosition = (a: unknown[], b: unknown[]) => `${a[0]} ${a[1]}`.localeCompare(`${b[0]} ${b[1]}`);
    expect(
      events
        .map((e) => [e.room_id, e.stream_ordering, e.event_id, e.notify.split('\n').sort(), e.highlight.split('\n').sort()])
        .sort(byPosition),
    ).toEqual(
      [...byEvent.values()]
        .map((rows) => [
          rows[0]!.room_id,
          rows[0]!.stream_ordering,
          rows[0]!.event_id,
          listed(rows).split('\n').sort(),
          listed(rows.filter((r) => r.highlight))
            .split('\n')
            .sort(),
        ])
        .sort(byPosition),
    );
    expect(after.push_actions).toBeUndefined();
    expect(schemaOf(db)).toEqual(freshSchema());
    db.close();
    // Opening it again takes no step and changes nothing.
    const again = openDatabase(dir);
    expect(contentsOf(again)).toEqual(after);
    again.close();
  });

  it('change nothing when their steps meet tables a store had already made (steps 5 and on, as after a release that made push_counts in its constructor)', () => {
    const dir = fixtureCopy();
    const db = openDatabase(dir);
    const migrated = contentsOf(db);
    expect(migrated.push_events!.length).toBeGreaterThan(0);
    db.pragma('user_version = 4');
    db.close();
    const again = openDatabase(dir);
    expect(schemaVersionOf(again)).toBe(SCHEMA_VERSION);
    expect(contentsOf(again)).toEqual(migrated);
    expect(schemaOf(again)).toEqual(freshSchema());
    again.close();
  });

  it('continue a database stopped after any step to the same schema, indexing what was stored meanwhile', () => {
    const fresh = freshSchema();
    for (let stop = 1; stop < SCHEMA_VERSION; stop++) {
      const dir = tempDir();
      const db = new Database(file(dir));
      migrate(db, stop);
      expect(schemaVersionOf(db)).toBe(stop);
      db.prepare(
        `INSERT INTO events (stream_ordering, event_id, room_id, type, sender, depth, origin_server_ts, pdu)
           VALUES (1, '$a', '!r:x', 'm.room.message', '@a:x', 1, 1, '{"type":"m.room.message","content":{"body":"stored meanwhile"}}')`,
      ).run();
      db.close();
      const reopened = openDatabase(dir);
      expect(schemaOf(reopened), `stopped after ${stop}`).toEqual(fresh);
      // Indexed by the search step's backfill, or by its trigger when the step came first; queued by the trigger once
      // indexing is in batches (step 15), for the search index's catch-up, which runs before every search.
      new SearchIndex(reopened).catchUp();
      expect(
        reopened.prepare("SELECT rowid FROM event_search WHERE event_search MATCH 'meanwhile'").all(),
        `stopped after ${stop}`,
      ).toEqual([{ rowid: 1 }]);
      reopened.close();
    }
  });

  it('hold every table: building a homeserver (all its stores) adds nothing to the schema they made', () => {
    const dir = tempDir();
    const hs = createHomeserver(parseConfig(['--server-name', 'alpha.localhost:20853', '--port', '20853', '--data', dir]));
    try {
      // Only the state cache's TEMP triggers, which live in the connection's temp schema, not in the file.
      expect(schemaOf(hs.db)).toEqual(freshSchema());
    } finally {
      hs.close();
    }
  });

  it('refuse a database from a newer release, and leave it as it was', () => {
    const dir = fixtureCopy();
    const newer = new Database(file(dir));
    newer.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    newer.pragma('journal_mode = DELETE');
    const before = contentsOf(newer);
    newer.close();

    expect(() => openDatabase(dir)).toThrow(SchemaTooNewError);
    expect(() => openDatabase(dir)).toThrow(
      new RegExp(`schema version ${SCHEMA_VERSION + 1}, but this homeserver knows versions up to ${SCHEMA_VERSION}`),
    );
    const after = new Database(file(dir), { readonly: true });
    expect(schemaVersionOf(after)).toBe(SCHEMA_VERSION + 1);
    expect(after.pragma('journal_mode', { simple: true })).toBe('delete');
    expect(contentsOf(after)).toEqual(before);
    after.close();
  });

  it('refuse a search index from a newer release that kept its own version', () => {
    const dir = fixtureCopy();
    const db = new Database(file(dir));
    db.prepare("UPDATE component_versions SET version = 2 WHERE component = 'event_search'").run();
    db.close();
    expect(() => openDatabase(dir)).toThrow(/search index is at version 2/);
    const after = new Database(file(dir), { readonly: true });
    // The steps before it committed; the refused one did not.
    expect(schemaVersionOf(after)).toBe(MIGRATIONS.find((m) => m.name === 'search index')!.version - 1);
    expect(names(after, 'table')).toContain('component_versions');
    after.close();
  });
});
