// How a member whose link has not been checked yet is shown (PROTOCOL.md §4/§5): pending, by its claim, never
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
const BOB_KEY = '@' + 'B'.repeat(43);

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
  it('is pending by its claim (reason "not checked yet") until the check, then verified; our own user keeps its user ID', async () => {
    const roomId = createRoom(hs, `@alice:${SERVER}`, { preset: 'public_chat' });
    const aliceKey = hs.memberKeys.forUser(roomId, `@alice:${SERVER}`)!.member_key;
    const unchecked = hs.links.memberInfo(roomId, aliceKey);
    // Not yet verified is not an impostor: the key is this server's own user's, for that very claim.
    expect(unchecked.user_id).toBe(`@alice:${SERVER}`);
    expect(unchecked['dev.wayfarer.link']).toMatchObject({
      status: 'pending',
      reason: 'not checked yet',
      localpart: 'alice',
      domain: SERVER,
    });
    expect(hs.links.displayId(roomId, aliceKey)).toBe(`@alice:${SERVER}`);
    await hs.links.ensureRooms([roomId]);
    expect(hs.links.memberInfo(roomId, aliceKey)['dev.wayfarer.link']?.status).toBe('verified');
    expect(hs.links.displayId(roomId, aliceKey)).toBe(`@alice:${SERVER}`);
  });

  it('an invite our user sent, not yet co-signed by the invitee’s server, is pending under the invitee’s user ID', async () => {
    const roomId = createRoom(hs, `@alice:${SERVER}`, { preset: 'private_chat' });
    // As after a member_key lookup at beta: an invite of that key, claiming @bob on beta, that beta has not signed.
    const sealed = hs.rooms.seal(roomId, `@alice:${SERVER}`, {
      type: 'm.room.member',
      stateKey: BOB_KEY,
      content: { membership: 'invite', localpart: 'bob', domain: 'beta.test:19291' },
    });
    hs.rooms.commit(sealed, `@alice:${SERVER}`);
    await hs.links.ensureRooms([roomId]);
    const info = hs.links.memberInfo(roomId, BOB_KEY);
    expect(info['dev.wayfarer.link']).toMatchObject({ status: 'pending', localpart: 'bob', domain: 'beta.test:19291' });
    expect(info.user_id).toBe('@bob:beta.test:19291');
    expect(hs.links.displayId(roomId, BOB_KEY)).toBe('@bob:beta.test:19291');
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
