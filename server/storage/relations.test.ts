// The relation index: what counts as a relation, the migration that indexes events stored before it, and the
// spec's choice of the latest edit (origin_server_ts, then event ID; only the sender's same-type edits).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from './database';
import { EventStore, type StoredEvent } from './events';
import { relationOf } from './relations';
import { isValidEdit, latestEdit } from '../rooms/aggregations';
import type { Pdu } from '../rooms/pdu';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function pdu(fields: Partial<Pdu> & { content: Record<string, unknown> }): Pdu {
  return {
    type: 'm.room.message',
    sender: '@a:x',
    room_id: '!r:x',
    origin_server_ts: 1000,
    depth: 1,
    auth_events: [],
    prev_events: [],
    hashes: { sha256: '' },
    signatures: {},
    ...fields,
  } as unknown as Pdu;
}

function stored(
  eventId: string,
  fields: Partial<Pdu> & { content: Record<string, unknown> },
  redactedBy: string | null = null,
): StoredEvent {
  return {
    streamOrdering: 1,
    eventId,
    roomId: '!r:x',
    pdu: pdu(fields),
    redactedBy,
    replacesState: null,
    senderUserId: null,
    txnDeviceId: null,
    txnId: null,
  };
}

describe('relationOf', () => {
  it('takes rel_type and event_id when both are non-empty strings', () => {
    expect(relationOf({ 'm.relates_to': { rel_type: 'm.thread', event_id: '$p' } })).toEqual({ relatesTo: '$p', relType: 'm.thread' });
    for (const bad of [
      undefined,
      null,
      'x',
      [],
      { rel_type: 'm.thread' },
      { event_id: '$p' },
      { rel_type: 1, event_id: '$p' },
      { rel_type: 'm.thread', event_id: '' },
    ]) {
      expect(relationOf({ 'm.relates_to': bad })).toBeUndefined();
    }
    // A reply (m.in_reply_to) is not a relation with a rel_type.
    expect(relationOf({ 'm.relates_to': { 'm.in_reply_to': { event_id: '$p' } } })).toBeUndefined();
  });
});

describe('migration', () => {
  it('indexes events stored before the relation table existed', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'relations-'));
    dirs.push(dir);
    let db = openDatabase(dir);
    const events = new EventStore(db);
    const base = { roomId: '!r:x', replacesState: null, senderUserId: null, txnDeviceId: null, txnId: null };
    events.insertEvent({ ...base, streamOrdering: 1, eventId: '$root', pdu: pdu({ content: { body: 'root' } }) });
    events.insertEvent({
      ...base,
      streamOrdering: 2,
      eventId: '$child',
      pdu: pdu({ content: { body: 'c', 'm.relates_to': { rel_type: 'm.thread', event_id: '$root' } } }),
    });
    const window = { roomId: '!r:x', parentId: '$root', depth: 1, after: 0, upTo: 10, dir: 'b' as const, limit: 10 };
    expect(events.relations.children(window).map((r) => r.event_id)).toEqual(['$child']);
    // Go back to the schema before the index, as a database written by the previous release would be.
    db.exec('DROP TABLE event_relations');
    db.pragma('user_version = 3');
    db.close();
    db = openDatabase(dir);
    expect(new EventStore(db).relations.children(window)).toEqual([
      { event_id: '$child', rel_type: 'm.thread', type: 'm.room.message', sender: '@a:x', stream_ordering: 2 },
    ]);
    db.close();
  });
});

describe('latestEdit', () => {
  const original = stored('$o', { content: { body: 'o' } });
  const editBy = (
    id: string,
    ts: number,
    fields: Partial<Pdu> = {},
    content: Record<string, unknown> = { 'm.new_content': { body: id } },
  ) => stored(id, { origin_server_ts: ts, content: { ...content, 'm.relates_to': { rel_type: 'm.replace', event_id: '$o' } }, ...fields });

  it('picks the greatest origin_server_ts, then the greatest event ID', () => {
    expect(latestEdit(original, [editBy('$a', 5), editBy('$b', 7), editBy('$c', 6)])?.eventId).toBe('$b');
    expect(latestEdit(original, [editBy('$b', 7), editBy('$z', 7), editBy('$a', 7)])?.eventId).toBe('$z');
  });

  it('ignores other senders, other types, state events, redacted edits and edits without m.new_content', () => {
    expect(isValidEdit(original, editBy('$e', 1))).toBe(true);
    expect(isValidEdit(original, editBy('$e', 1, { sender: '@b:x' }))).toBe(false);
    expect(isValidEdit(original, editBy('$e', 1, { type: 'm.sticker' }))).toBe(false);
    expect(isValidEdit(original, editBy('$e', 1, { state_key: '' }))).toBe(false);
    expect(isValidEdit(original, editBy('$e', 1, {}, { body: 'no new content' }))).toBe(false);
    expect(isValidEdit(original, { ...editBy('$e', 1), redactedBy: '$r' })).toBe(false);
    // Encrypted edits carry m.new_content inside the ciphertext.
    const encryptedOriginal = stored('$o', { type: 'm.room.encrypted', content: { ciphertext: 'x' } });
    expect(isValidEdit(encryptedOriginal, editBy('$e', 1, { type: 'm.room.encrypted' }, { ciphertext: 'y' }))).toBe(true);
    // An edit of an edit is not an edit.
    const editAsOriginal = editBy('$o2', 1);
    expect(
      isValidEdit(
        editAsOriginal,
        stored('$e', { content: { 'm.new_content': {}, 'm.relates_to': { rel_type: 'm.replace', event_id: '$o2' } } }),
      ),
    ).toBe(false);
    expect(latestEdit(original, [editBy('$late', 9, { sender: '@b:x' }), editBy('$early', 2)])?.eventId).toBe('$early');
  });
});
