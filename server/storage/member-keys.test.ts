// The member-key store's cached reads: kept inside transactions too (every batched send runs in one), so a write
// whose transaction rolls back must not leave behind a read that saw it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Db } from './database';
import { MemberKeyStore } from './member-keys';

let db: Db;
let dir: string;
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function store(): MemberKeyStore {
  dir = mkdtempSync(path.join(tmpdir(), 'member-keys-'));
  db = openDatabase(dir);
  return new MemberKeyStore(db);
}

const keysIn = (keys: MemberKeyStore, roomId: string) => keys.inRoom(roomId).map((row) => row.member_key);

describe('MemberKeyStore', () => {
  it('sees its own writes in a cached room, and keeps a room read inside a transaction', () => {
    const keys = store();
    keys.put('!r:x', 'k1', '@a:x', null);
    expect(keysIn(keys, '!r:x')).toEqual(['k1']);
    keys.put('!r:x', 'k2', '@b:x', null);
    expect(keysIn(keys, '!r:x').sort()).toEqual(['k1', 'k2']);
    db.transaction(() => keys.inRoom('!r:x'))();
    // The same rows, not read again.
    expect(keys.inRoom('!r:x')).toBe(keys.inRoom('!r:x'));
  });

  it('forgets what a rolled-back transaction or savepoint wrote, though it was read inside it', () => {
    const keys = store();
    keys.put('!r:x', 'k1', '@a:x', null);
    expect(() =>
      db.transaction(() => {
        keys.put('!r:x', 'k2', '@b:x', 'c2VlZA');
        expect(keysIn(keys, '!r:x').sort()).toEqual(['k1', 'k2']);
        expect(keys.forUser('!r:x', '@b:x')?.member_key).toBe('k2');
        expect(keys.forKey('!r:x', 'k2')?.user_id).toBe('@b:x');
        throw new Error('rolled back');
      })(),
    ).toThrow('rolled back');
    expect(keysIn(keys, '!r:x')).toEqual(['k1']);
    expect(keys.forUser('!r:x', '@b:x')).toBeUndefined();
    expect(keys.forKey('!r:x', 'k2')).toBeUndefined();

    // A savepoint that rolls back inside a transaction that commits.
    db.transaction(() => {
      expect(() =>
        db.transaction(() => {
          keys.setSeed('!r:x', '@a:x', 'bmV3');
          expect(keys.forUser('!r:x', '@a:x')?.seed).toBe('bmV3');
          keys.inRoom('!r:x');
          throw new Error('savepoint rolled back');
        })(),
      ).toThrow('savepoint rolled back');
      expect(keys.forUser('!r:x', '@a:x')?.seed).toBeNull();
    })();
    expect(keys.inRoom('!r:x').map((row) => row.seed)).toEqual([null]);
  });
});
