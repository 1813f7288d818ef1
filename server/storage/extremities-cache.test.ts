// Forward extremities are kept in memory (EventStore) and memory follows the database through rollbacks
// (rollbackJournal): what a rolled-back savepoint or transaction wrote is never what the next send builds on,
// the other writes of a batch keep theirs, and a reopened database gives the same answer.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from './database';
import { EventStore } from './events';
import { rollbackJournal } from './rollback-journal';
import { WriteBatcher } from './write-batcher';
import type { Pdu } from '../rooms/pdu';

let dir: string;
let db: Db;
let events: EventStore;
let stream = 0;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'extremities-'));
  db = openDatabase(dir);
  events = new EventStore(db);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const ROOM = '!r:x';
const OTHER = '!other:x';
function store(eventId: string, depth: number, roomId = ROOM): void {
  const pdu = {
    type: 'm.room.message',
    sender: '@a:x',
    room_id: roomId,
    origin_server_ts: 1,
    depth,
    auth_events: [],
    prev_events: [],
    content: { body: eventId },
    signatures: {},
  } as unknown as Pdu;
  const streamOrdering = ++stream;
  events.insertEvent({ streamOrdering, eventId, roomId, pdu, replacesState: null, senderUserId: null, txnDeviceId: null, txnId: null });
}
/** What a send does: store the event, and it replaces its prev_events as an extremity. */
function send(eventId: string, roomId = ROOM): void {
  const prev = events.deepestExtremities(roomId, 10);
  store(eventId, Math.max(0, ...prev.map((e) => e.depth)) + 1, roomId);
  const prevIds = new Set(prev.map((e) => e.event_id));
  events.setForwardExtremities(roomId, [...events.forwardExtremities(roomId).filter((id) => !prevIds.has(id)), eventId]);
}
const inDatabase = (roomId = ROOM) =>
  (db.prepare('SELECT event_id FROM forward_extremities WHERE room_id = ? ORDER BY event_id').all(roomId) as { event_id: string }[]).map(
    (r) => r.event_id,
  );
const reopened = () => new EventStore(db);

describe('forward extremities kept in memory', () => {
  it('a send that fails in a batch rolls its extremity back; the sends around it keep theirs', async () => {
    events.transaction(() => send('$a'));
    const batcher = new WriteBatcher(db, { sync: async () => {} });
    const results = await Promise.allSettled([
      batcher.run(() => send('$b')),
      batcher.run(() => {
        send('$doomed');
        throw new Error('refused after it was stored');
      }),
      batcher.run(() => send('$c')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(events.forwardExtremities(ROOM)).toEqual(['$c']);
    expect(inDatabase()).toEqual(['$c']);
    expect(events.deepestExtremities(ROOM, 10)).toEqual([{ event_id: '$c', depth: 3 }]);
    expect(db.prepare("SELECT COUNT(*) AS n FROM events WHERE event_id = '$doomed'").get()).toEqual({ n: 0 });
  });

  it('a transaction that rolls back after its savepoints were released undoes them all', () => {
    events.transaction(() => send('$a'));
    expect(() =>
      events.transaction(() => {
        events.transaction(() => send('$b'));
        events.transaction(() => send('$c'));
        throw new Error('the whole transaction fails');
      }),
    ).toThrow('the whole transaction fails');
    expect(events.forwardExtremities(ROOM)).toEqual(['$a']);
    expect(inDatabase()).toEqual(['$a']);
    events.transaction(() => send('$d'));
    expect(events.deepestExtremities(ROOM, 10)).toEqual([{ event_id: '$d', depth: 2 }]);
  });

  it('a failed COMMIT rolls memory back too', () => {
    events.transaction(() => send('$a'));
    // A deferred foreign key violation is only found at COMMIT, which then fails and rolls back.
    db.exec(
      'CREATE TABLE IF NOT EXISTS fk_parent (id INTEGER PRIMARY KEY); CREATE TABLE IF NOT EXISTS fk_child (p INTEGER REFERENCES fk_parent (id) DEFERRABLE INITIALLY DEFERRED)',
    );
    expect(() =>
      events.transaction(() => {
        send('$b');
        db.prepare('INSERT INTO fk_child (p) VALUES (42)').run();
      }),
    ).toThrow(/FOREIGN KEY/);
    expect(db.inTransaction).toBe(false);
    expect(inDatabase()).toEqual(['$a']);
    expect(events.forwardExtremities(ROOM)).toEqual(['$a']);
  });

  it('forks: the deepest held extremities first (newest among equals), unknown and other-room events left out, as the database says after a reopen', () => {
    store('$root', 1);
    store('$x', 5);
    store('$y', 7);
    store('$z', 7);
    store('$elsewhere', 99, OTHER);
    events.setForwardExtremities(ROOM, ['$x', '$y', '$z', '$unknown', '$elsewhere']);
    const expected = [
      { event_id: '$z', depth: 7 },
      { event_id: '$y', depth: 7 },
      { event_id: '$x', depth: 5 },
    ];
    expect(events.deepestExtremities(ROOM, 10)).toEqual(expected);
    expect(events.deepestExtremities(ROOM, 2)).toEqual(expected.slice(0, 2));
    expect(events.forwardExtremities(ROOM).sort()).toEqual(['$elsewhere', '$unknown', '$x', '$y', '$z']);
    expect(reopened().deepestExtremities(ROOM, 10)).toEqual(expected);
    // An extremity whose event arrives later is read again with its depth.
    store('$unknown', 8);
    expect(events.deepestExtremities(ROOM, 1)).toEqual([{ event_id: '$unknown', depth: 8 }]);
    events.setForwardExtremities(ROOM, ['$x']);
    expect(inDatabase()).toEqual(['$x']);
    expect(reopened().forwardExtremities(ROOM)).toEqual(['$x']);
  });
});

describe('rollbackJournal', () => {
  it('undoes, newest first, what a rolled-back savepoint changed; keeps what its committed neighbours changed', () => {
    const journal = rollbackJournal(db);
    const log: string[] = [];
    let value = 'start';
    const set = (next: string) => {
      const prior = value;
      value = next;
      journal.onRollback(() => {
        log.push(`undo ${next}`);
        value = prior;
      });
    };
    db.transaction(() => {
      set('one');
      try {
        db.transaction(() => {
          set('two');
          set('three');
          throw new Error('inner');
        })();
      } catch {
        // the savepoint rolled back
      }
      expect(value).toBe('one');
      db.transaction(() => set('four'))();
    })();
    expect(value).toBe('four');
    expect(log).toEqual(['undo three', 'undo two']);
    // Committed: nothing left to undo by a later rollback.
    expect(() =>
      db.transaction(() => {
        set('five');
        throw new Error('outer');
      })(),
    ).toThrow('outer');
    expect(value).toBe('four');
    expect(log).toEqual(['undo three', 'undo two', 'undo five']);
    // The BEGIN IMMEDIATE variant (migrations use it) and the default one are guarded too.
    const failing = db.transaction(() => {
      set('six');
      throw new Error('immediate');
    });
    expect(() => failing.immediate()).toThrow('immediate');
    expect(() => failing.default()).toThrow('immediate');
    expect(value).toBe('four');
    expect((failing as unknown as { database: Db }).database).toBe(db);
  });
});
