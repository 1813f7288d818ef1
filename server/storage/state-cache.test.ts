// The current-state cache: whatever changes a room's state (or a state event's JSON) in the database, however it
// is written, the next read shows it; state changed by a transaction that rolls back is never what is cached.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from './database';
import { EventStore } from './events';
import type { Pdu } from '../rooms/pdu';

let dir: string;
let db: Db;
let events: EventStore;
let stream = 0;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'state-cache-'));
  db = openDatabase(dir);
  events = new EventStore(db);
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

const ROOM = '!r:x';
function putState(eventId: string, type: string, content: Record<string, unknown>): void {
  const pdu = {
    type,
    state_key: '',
    sender: '@a:x',
    room_id: ROOM,
    origin_server_ts: 1,
    depth: 1,
    auth_events: [],
    prev_events: [],
    content,
    signatures: {},
  } as unknown as Pdu;
  events.insertEvent({
    streamOrdering: ++stream,
    eventId,
    roomId: ROOM,
    pdu,
    replacesState: null,
    senderUserId: null,
    txnDeviceId: null,
    txnId: null,
  });
  events.setCurrentState(ROOM, type, '', eventId);
}
const name = () => events.currentState(ROOM).get('m.room.name\u0000')?.pdu.content.name;

describe('currentState cache', () => {
  it('sees new state, redactions and JSON rewritten behind its back', () => {
    putState('$n1', 'm.room.name', { name: 'one' });
    expect(name()).toBe('one');
    putState('$n2', 'm.room.name', { name: 'two' });
    expect(name()).toBe('two');
    events.markRedacted('$n2', '$r', { type: 'm.room.name', content: {} } as unknown as Pdu);
    expect(name()).toBeUndefined();
    expect(events.currentState(ROOM).get('m.room.name\u0000')?.redactedBy).toBe('$r');
    // Another module's statement (like re-signing a member event): the cache still hears of it.
    db.prepare('UPDATE events SET pdu = ? WHERE event_id = ?').run(
      JSON.stringify({ type: 'm.room.name', state_key: '', content: { name: 'rewritten' } }),
      '$n2',
    );
    expect(name()).toBe('rewritten');
    db.prepare('DELETE FROM current_state WHERE room_id = ?').run(ROOM);
    expect(events.currentState(ROOM).size).toBe(0);
  });

  it('does not keep state from a transaction that rolled back, even if it was read inside it', () => {
    putState('$n1', 'm.room.name', { name: 'one' });
    expect(name()).toBe('one');
    expect(() =>
      events.transaction(() => {
        putState('$n2', 'm.room.name', { name: 'two' });
        expect(name()).toBe('two');
        expect(name()).toBe('two');
        throw new Error('refused');
      }),
    ).toThrow('refused');
    expect(name()).toBe('one');
  });

  it('hands out copies: a caller can change its map but not the events it shares', () => {
    putState('$n1', 'm.room.name', { name: 'one' });
    const state = events.currentState(ROOM);
    state.delete('m.room.name\u0000');
    expect(name()).toBe('one');
    const event = events.currentState(ROOM).get('m.room.name\u0000')!;
    expect(() => {
      (event.pdu.content as Record<string, unknown>).name = 'changed';
    }).toThrow(TypeError);
    expect(name()).toBe('one');
  });
});
