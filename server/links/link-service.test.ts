// How a member whose link has not been checked yet is shown (PROTOCOL.md §4/§5): unverified, by its claim, never
// erased; erased is only a redacted `localpart`. An in-process homeserver, so the unchecked moment can be seen.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRoom } from '../client-api/create-room';
import { parseConfig } from '../config';
import { createHomeserver, type Homeserver } from '../homeserver';
import { displayIdOf } from './link-service';

const SERVER = 'alpha.test:19290';
const KEY = '@' + 'A'.repeat(43);

let hs: Homeserver;
let dataDir: string;

beforeEach(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'wayfarer-links-'));
  hs = createHomeserver(parseConfig(['--server-name', SERVER, '--port', '19290', '--data', dataDir]));
  hs.accounts.createUser(`@alice:${SERVER}`, 'alice', undefined);
});

afterEach(() => {
  hs.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a member whose link is not checked yet', () => {
  it('is unverified by its claim (MSC4014 form, reason "not checked yet") until the check, then verified', async () => {
    const roomId = createRoom(hs, `@alice:${SERVER}`, { preset: 'public_chat' });
    const aliceKey = hs.memberKeys.forUser(roomId, `@alice:${SERVER}`)!.member_key;
    const unchecked = hs.links.memberInfo(roomId, aliceKey);
    expect(unchecked.user_id).toBeNull();
    expect(unchecked['dev.wayfarer.link']).toMatchObject({
      status: 'unverified',
      reason: 'not checked yet',
      localpart: 'alice',
      domain: SERVER,
    });
    expect(hs.links.displayId(roomId, aliceKey)).toBe('@_unverified_alice_alpha.test=3a19290:alpha.test:19290');
    await hs.links.ensureRooms([roomId]);
    expect(hs.links.displayId(roomId, aliceKey)).toBe(`@alice:${SERVER}`);
  });

  it('is checked promptly once the member event is stored, and waiting long-polls are woken', async () => {
    const woken = hs.notifier.wait(60_000, new AbortController().signal);
    const roomId = createRoom(hs, `@alice:${SERVER}`, { preset: 'public_chat' });
    const aliceKey = hs.memberKeys.forUser(roomId, `@alice:${SERVER}`)!.member_key;
    for (;;) {
      await hs.notifier.wait(60_000, new AbortController().signal);
      if (hs.links.memberInfo(roomId, aliceKey)['dev.wayfarer.link']?.status === 'verified') break;
    }
    await woken;
    expect(hs.links.displayId(roomId, aliceKey)).toBe(`@alice:${SERVER}`);
  });

  it('a redacted member event not checked yet is erased', async () => {
    const roomId = createRoom(hs, `@alice:${SERVER}`, { preset: 'public_chat' });
    const aliceKey = hs.memberKeys.forUser(roomId, `@alice:${SERVER}`)!.member_key;
    const memberEventId = hs.events.currentStateEventId(roomId, 'm.room.member', aliceKey)!;
    hs.rooms.send(roomId, `@alice:${SERVER}`, { type: 'm.room.redaction', content: { redacts: memberEventId } });
    expect(hs.links.memberInfo(roomId, aliceKey)['dev.wayfarer.link']?.status).toBe('erased');
    expect(hs.links.displayId(roomId, aliceKey)).toMatch(/^@_erased_/);
  });
});

describe('displayIdOf', () => {
  it('maps verified, erased and unverified links; a link without a readable claim is unverified by its key', () => {
    expect(displayIdOf({ status: 'verified', checked_ts: 0, reason: '', localpart: 'bob', domain: 'beta' }, KEY, 'alpha')).toBe(
      '@bob:beta',
    );
    expect(displayIdOf({ status: 'erased', checked_ts: 0, reason: '' }, KEY, 'alpha')).toBe('@_erased_aaaaaaaa:alpha');
    expect(displayIdOf({ status: 'unverified', checked_ts: 0, reason: '', localpart: 'Bob', domain: 'beta' }, KEY, 'alpha')).toBe(
      '@_unverified_bob_beta:alpha',
    );
    expect(displayIdOf({ status: 'unverified', checked_ts: 0, reason: 'malformed' }, KEY, 'alpha')).toBe(
      '@_unverified_key_aaaaaaaa_unknown:alpha',
    );
  });
});
