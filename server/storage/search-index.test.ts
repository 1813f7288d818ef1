// The FTS5 index over a real SQLite file: the migration indexes what was stored before it, triggers follow inserts,
// redactions, outliers moved into the timeline and deletions; query building never lets user text become syntax.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { openDatabase, type Db } from './database';
import { INDEX_PENDING_SEARCH, migrate, MIGRATIONS } from './migrations';
import { ftsQuery, SEARCH_KEYS, SearchIndex, searchWords, type SearchKey } from './search-index';

const dirs: string[] = [];
const dbs: Db[] = [];
afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function freshDb(dir = mkdtempSync(path.join(tmpdir(), 'search-index-'))): { db: Db; dir: string } {
  if (!dirs.includes(dir)) dirs.push(dir);
  const db = openDatabase(dir);
  dbs.push(db);
  return { db, dir };
}

function insert(db: Db, position: number, type: string, content: Record<string, unknown>, room = '!r:x', outlier = 0): void {
  const pdu = {
    type,
    content,
    sender: '@a:x',
    room_id: room,
    depth: 1,
    origin_server_ts: 1,
    ...(type === 'm.room.message' ? {} : { state_key: '' }),
  };
  db.prepare(
    `INSERT INTO events (stream_ordering, event_id, room_id, type, state_key, sender, depth, origin_server_ts, pdu, outlier)
     VALUES (?, ?, ?, ?, ?, '@a:x', 1, 1, ?, ?)`,
  ).run(position, `$e${position}`, room, type, pdu.state_key ?? null, JSON.stringify(pdu), outlier);
}

const found = (index: SearchIndex, term: string, keys: readonly SearchKey[] = SEARCH_KEYS, rooms = ['!r:x']) =>
  index.hits(searchWords(term), keys, rooms, 'recent').map((h) => h.streamOrdering);

describe('search index', () => {
  it('indexes events stored before the migration ran, and those stored after', () => {
    // A database from before the index: every step up to it, then an event, then the index's step.
    const dir = mkdtempSync(path.join(tmpdir(), 'search-index-'));
    dirs.push(dir);
    const db = new Database(path.join(dir, 'homeserver.sqlite'));
    dbs.push(db);
    migrate(db, MIGRATIONS.find((m) => m.name === 'search index')!.version - 1);
    insert(db, 1, 'm.room.message', { msgtype: 'm.text', body: 'old martians' });
    migrate(db);
    const index = new SearchIndex(db);
    insert(db, 2, 'm.room.message', { msgtype: 'm.text', body: 'new Martians arrive' });
    insert(db, 3, 'm.room.name', { name: 'Martian club' });
    insert(db, 4, 'm.room.topic', { topic: 'All about martians' });
    insert(db, 5, 'm.room.encrypted', { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'martians' });
    insert(db, 6, 'm.room.message', { msgtype: 'm.text', body: 42 });
    expect(found(index, 'martian')).toEqual([4, 3, 2, 1]);
    expect(found(index, 'martians', ['content.body'])).toEqual([2, 1]);
    expect(found(index, 'martian', ['content.name', 'content.topic'])).toEqual([4, 3]);
    expect(found(index, 'ciphertext')).toEqual([]);
    expect(found(index, 'martians', ['content.body'], ['!other:x'])).toEqual([]);
  });

  it('drops redacted and deleted events, and follows an outlier moved into the timeline', () => {
    const { db } = freshDb();
    const index = new SearchIndex(db);
    insert(db, 1, 'm.room.message', { body: 'secret plans' });
    insert(db, 2, 'm.room.message', { body: 'public plans' });
    insert(db, 3, 'm.room.message', { body: 'held plans' }, '!r:x', 1);
    expect(found(index, 'plans')).toEqual([2, 1]);
    db.prepare("UPDATE events SET redacted_by = '$r', pdu = ? WHERE stream_ordering = 1").run(
      JSON.stringify({ type: 'm.room.message', content: {} }),
    );
    expect(found(index, 'secret')).toEqual([]);
    db.prepare('UPDATE events SET stream_ordering = -5, outlier = 0 WHERE stream_ordering = 3').run();
    expect(found(index, 'plans')).toEqual([2, -5]);
    db.prepare('DELETE FROM events WHERE stream_ordering = 2').run();
    expect(found(index, 'plans')).toEqual([-5]);
  });

  it('queues what is stored and indexes the queue in one go; a queued event redacted, moved or deleted is followed', () => {
    const { db } = freshDb();
    const index = new SearchIndex(db);
    const indexedRows = () => db.prepare('SELECT rowid FROM event_search ORDER BY rowid').pluck().all();
    const queued = () => db.prepare('SELECT stream_ordering FROM event_search_pending ORDER BY stream_ordering').pluck().all();
    insert(db, 1, 'm.room.message', { body: 'secret plans' });
    insert(db, 2, 'm.room.message', { body: 'public plans' });
    insert(db, 3, 'm.room.message', { body: 'held plans' }, '!r:x', 1);
    insert(db, 4, 'm.room.message', { body: 'kept plans' });
    insert(db, 5, 'm.room.encrypted', { ciphertext: 'plans' });
    expect(indexedRows()).toEqual([]); // nothing written to the FTS table per event
    expect(queued()).toEqual([1, 2, 3, 4]);
    db.prepare("UPDATE events SET redacted_by = '$r', pdu = ? WHERE stream_ordering = 1").run(
      JSON.stringify({ type: 'm.room.message', content: {} }),
    );
    db.prepare('UPDATE events SET stream_ordering = -5, outlier = 0 WHERE stream_ordering = 3').run();
    db.prepare('DELETE FROM events WHERE stream_ordering = 2').run();
    expect(queued()).toEqual([-5, 4]);
    index.catchUp();
    expect(queued()).toEqual([]);
    expect(indexedRows()).toEqual([-5, 4]);
    expect(found(index, 'plans')).toEqual([4, -5]);
  });

  it('indexes a long queue in bounded chunks, oldest first; a search takes every chunk', () => {
    const { db } = freshDb();
    const index = new SearchIndex(db);
    const queued = () => db.prepare('SELECT COUNT(*) FROM event_search_pending').pluck().get();
    db.transaction(() => {
      for (let i = 1; i <= 1200; i++) insert(db, i, 'm.room.message', { body: `chunked ${i}` });
    })();
    expect(index.catchUpChunk()).toBe(true);
    expect(queued()).toBe(700);
    expect(db.prepare('SELECT MIN(rowid), MAX(rowid) FROM event_search').raw().get()).toEqual([1, 500]);
    expect(found(index, 'chunked')).toHaveLength(1200);
    expect(queued()).toBe(0);
    expect(index.catchUpChunk()).toBe(false);
  });

  it('walks the queue, not every event before it, to index a chunk', () => {
    const { db } = freshDb();
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${INDEX_PENDING_SEARCH}`).all({ upTo: 1 }) as { detail: string }[];
    expect(plan.map((step) => step.detail)).toEqual([
      'SEARCH p USING INTEGER PRIMARY KEY (rowid<?)',
      'SEARCH events USING INTEGER PRIMARY KEY (rowid=?)',
    ]);
  });

  it('catches up on its schedule, and a search never misses what is queued', async () => {
    const { db } = freshDb();
    const index = new SearchIndex(db);
    insert(db, 1, 'm.room.message', { body: 'first words' });
    expect(found(index, 'first')).toEqual([1]); // the search indexed the queue first
    insert(db, 2, 'm.room.message', { body: 'second words' });
    index.startCatchingUp(5);
    try {
      await expect.poll(() => db.prepare('SELECT rowid FROM event_search WHERE rowid = 2').get()).toBeDefined();
    } finally {
      index.stop();
    }
  });

  it('keeps the index across a reopen, without indexing twice', () => {
    const first = freshDb();
    new SearchIndex(first.db);
    insert(first.db, 1, 'm.room.message', { body: 'persisted words' });
    first.db.close();
    dbs.splice(dbs.indexOf(first.db), 1);
    const { db } = freshDb(first.dir);
    expect(found(new SearchIndex(db), 'persisted')).toEqual([1]);
  });

  it('ranks the closer match first', () => {
    const { db } = freshDb();
    const index = new SearchIndex(db);
    insert(db, 1, 'm.room.message', { body: 'tea and a long story about many other things entirely' });
    insert(db, 2, 'm.room.message', { body: 'tea tea tea' });
    const hits = index.hits(['tea'], ['content.body'], ['!r:x'], 'rank');
    expect(hits.map((h) => h.streamOrdering)).toEqual([2, 1]);
    expect(hits[0]!.rank).toBeGreaterThan(hits[1]!.rank);
  });
});

describe('query building', () => {
  it('splits words as the tokenizer does, lower-cased and unique', () => {
    expect(searchWords('Hello, WORLD! hello  café_au-lait 42')).toEqual(['hello', 'world', 'café', 'au', 'lait', '42']);
    expect(searchWords('  !!! ')).toEqual([]);
  });

  it('quotes every word, so FTS5 operators in user text are plain words', () => {
    expect(ftsQuery(['near', 'or', 'x'], ['content.body'])).toBe('{body} : ("near"* "or"* "x"*)');
    const { db } = freshDb();
    const index = new SearchIndex(db);
    insert(db, 1, 'm.room.message', { body: 'NOT AND OR NEAR "quoted" body:x' });
    expect(found(index, 'NOT AND "OR" NEAR( body:')).toEqual([1]);
  });
});
