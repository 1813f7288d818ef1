// End-to-end encryption between Wayfarer and a client no one here wrote (issue 18), in real Chromium against two
// real homeservers: Wren signs up in Wayfarer on beta; Nina (matrix-nio with libolm, on alpha) makes an encrypted room
// and invites her and Nico (nio too, on beta). Wren accepts and opens the room in the UI, reads what both nio users
// sent, and types her answer in the composer; both nio users report they decrypted it, and each reads the other's.
// Once in a classic room (version 11), once in a member-key room (org.matrix.12.4430), where nio knows nothing of
// member keys and sees only the user IDs the server maps them to (PROTOCOL.md §5, §8). Then a member who moves servers:
// Dana (nio, a portable account) moves alpha → beta, and what Wren types next reaches her beta device, not her alpha one.
import { expect, test, type Page } from '@playwright/test';
// Single protocol modules, not the index: Playwright's Node loader refuses the index's JSON import (confusables).
import { signAccountKeyProof } from '../src/protocol/account-key-login';
import { encodeBase64, encodeBase64Url } from '../src/protocol/base64';
import { deriveAccountKey, deriveMemberKey, deriveMemberRoot } from '../src/protocol/derivation';
import { generateRecoverySecret } from '../src/protocol/recovery-key';
import { enc, ok } from '../server/testing/http-client';
import { startServers } from '../server/testing/federation-harness';
import type { RunningHomeserver } from '../server/testing/spawn';
import { message, screenshot, sendMessage, signedUpPage, timeline } from './support/chat';
import { lastToDeviceStream, NioPeers, toDeviceInbox } from './support/nio';
import { portableAccount } from './support/portable';

let alpha: RunningHomeserver;
let beta: RunningHomeserver;
let nio: NioPeers;
let wren: Page;
let nina: string;
let nico: string;
const WREN = 'wren';

test.describe.configure({ mode: 'serial', timeout: 90_000 });

test.beforeAll(async ({ browser }) => {
  test.setTimeout(90_000);
  [alpha, beta] = await startServers(['alpha.localhost:24601', 'beta.localhost:24602'] as const);
  nio = new NioPeers();
  const [ninaAccount, nicoAccount, page] = await Promise.all([
    nio.run('nina', 'register', { base: alpha.baseUrl, user: 'nina' }),
    nio.run('nico', 'register', { base: beta.baseUrl, user: 'nico' }),
    signedUpPage(browser, beta.serverName, WREN),
  ]);
  nina = ninaAccount.user_id;
  nico = nicoAccount.user_id;
  wren = page;
  wren.on('console', (m) => {
    if ((m.type() === 'error' || m.type() === 'warning') && /wayfarer:/.test(m.text())) console.log('[wren]', m.text().slice(0, 300));
  });
});

test.afterAll(async () => {
  await nio?.close();
  await Promise.all([alpha?.dispose(), beta?.dispose()]);
});

for (const { version, label } of [
  { version: '11', label: 'a classic room' },
  { version: 'org.matrix.12.4430', label: 'a member-key room' },
]) {
  test(`nio users on two servers and Wayfarer in Chromium exchange encrypted messages in ${label}`, async () => {
    const roomName = `Cipher ${version === '11' ? 'classic' : 'member keys'}`;
    const wrenId = `@${WREN}:${beta.serverName}`;

    // 1. Nina makes the encrypted room and invites Nico and Wren; Nico joins.
    const created = await nio.run('nina', 'create_room', { version, room_name: roomName, invite: [nico, wrenId] });
    expect(created.encrypted).toBe(true);
    const room: string = created.room_id;
    expect((await nio.run('nico', 'join', { room })).encrypted).toBe(true);

    // 2. Wren accepts in the UI; the room opens and says it is encrypted.
    await wren
      .getByRole('button', { name: `Accept invite to ${roomName}` })
      .first()
      .click({ timeout: 20_000 });
    await expect(wren.getByRole('heading', { name: roomName })).toBeVisible({ timeout: 20_000 });
    await expect(timeline(wren).getByText(/turned on end-to-end encryption/)).toBeVisible({ timeout: 20_000 });

    // 3. Both nio users see her joined, then write; Wayfarer decrypts both.
    await Promise.all([nio.run('nina', 'wait_member', { room, user: wrenId }), nio.run('nico', 'wait_member', { room, user: wrenId })]);
    await nio.run('nico', 'wait_member', { room, user: nina });
    // …and know their devices (a member in sync is not yet a device to encrypt for: its key query may be on its way).
    await Promise.all([
      nio.run('nina', 'wait_device', { user: wrenId }),
      nio.run('nico', 'wait_device', { user: wrenId }),
      nio.run('nina', 'wait_device', { user: nico }),
      nio.run('nico', 'wait_device', { user: nina }),
    ]);
    const fromNina = `nina's secret (${version})`;
    const fromNico = `nico's secret (${version})`;
    const ninaSent = await nio.run('nina', 'send', { room, body: fromNina });
    expect(ninaSent.shared_with.map((pair: string[]) => pair[0])).toEqual(expect.arrayContaining([wrenId, nico]));
    await nio.run('nico', 'send', { room, body: fromNico });
    await expect(message(wren, fromNina)).toBeVisible({ timeout: 30_000 });
    await expect(message(wren, fromNico)).toBeVisible({ timeout: 30_000 });
    await expect(timeline(wren).getByTestId('undecryptable')).toHaveCount(0);

    // 4. The nio users read each other.
    const ninaReadsNico = await nio.run('nina', 'wait_text', { room, body: fromNico });
    const nicoReadsNina = await nio.run('nico', 'wait_text', { room, body: fromNina });
    expect([ninaReadsNico.decrypted, ninaReadsNico.sender]).toEqual([true, nico]);
    expect([nicoReadsNina.decrypted, nicoReadsNina.sender]).toEqual([true, nina]);

    // 5. Wren answers from the composer (once every member's link is checked, Wayfarer shares keys with them all).
    await expect(wren.getByTestId('withheld-keys')).toHaveCount(0, { timeout: 30_000 });
    const fromWren = `wren's answer (${version})`;
    await sendMessage(wren, fromWren);
    await expect(message(wren, fromWren)).toBeVisible();
    const [ninaReadsWren, nicoReadsWren] = await Promise.all([
      nio.run('nina', 'wait_text', { room, body: fromWren, timeout: 30 }),
      nio.run('nico', 'wait_text', { room, body: fromWren, timeout: 30 }),
    ]);
    expect([ninaReadsWren.decrypted, ninaReadsWren.sender]).toEqual([true, wrenId]);
    expect([nicoReadsWren.decrypted, nicoReadsWren.sender]).toEqual([true, wrenId]);
    expect(ninaReadsWren.seen).not.toContain('<undecryptable>');
    expect(nicoReadsWren.seen).not.toContain('<undecryptable>');
    await screenshot(wren, `e2ee-nio-${version === '11' ? 'classic' : 'member-keys'}`);
  });
}

test('a member who moved servers gets the room keys of what Wren types on the new user ID’s device, and the old device none', async () => {
  const roomName = 'Cipher moving';
  const wrenId = `@${WREN}:${beta.serverName}`;
  // A public member-key room, so Dana joins with the member key her recovery key makes (the one she can take along).
  const room: string = (
    await nio.run('nina', 'create_room', { version: 'org.matrix.12.4430', room_name: roomName, invite: [wrenId], preset: 'public_chat' })
  ).room_id;
  await wren
    .getByRole('button', { name: `Accept invite to ${roomName}` })
    .first()
    .click({ timeout: 20_000 });
  await expect(wren.getByRole('heading', { name: roomName })).toBeVisible({ timeout: 20_000 });

  // Dana (nio on her alpha device) joins with her own member key and reads what Wren types.
  const secret = generateRecoverySecret();
  const dana = await portableAccount(alpha, 'dana', secret);
  const member = deriveMemberKey(deriveMemberRoot(secret), room);
  await ok(
    dana.post(`/_matrix/client/v3/join/${enc(room)}?server_name=${enc(alpha.serverName)}`, {
      'dev.wayfarer.member_seed': encodeBase64(member.seed),
    }),
  );
  const oldId = dana.userId!;
  await nio.run('dana-alpha', 'restore', { base: alpha.baseUrl, user_id: oldId, device_id: dana.deviceId, token: dana.accessToken });
  await expect(wren.getByTestId('withheld-keys')).toHaveCount(0, { timeout: 30_000 });
  await sendMessage(wren, 'before you move');
  expect(await nio.run('dana-alpha', 'wait_text', { room, body: 'before you move', timeout: 30 })).toMatchObject({
    decrypted: true,
    sender: wrenId,
  });

  // The move (PROTOCOL.md §7): the same key adopted on beta, where her new device is, then alpha's account marked moved.
  const moved = await portableAccount(beta, 'dana', secret);
  const newId = moved.userId!;
  await nio.run('dana-beta', 'restore', { base: beta.baseUrl, user_id: newId, device_id: moved.deviceId, token: moved.accessToken });
  const PREFIX = '/_matrix/client/unstable/dev.wayfarer';
  await ok(moved.post(`${PREFIX}/migrate/adopt`, { room_id: room, seed: encodeBase64(member.seed), via: [alpha.serverName] }));
  const first = await dana.post(`${PREFIX}/account/moved`, { moved_to: newId });
  expect(first.status).toBe(401);
  const account = deriveAccountKey(secret);
  const account_key = encodeBase64Url(account.publicKey);
  const { challenge } = await ok(dana.post(`${PREFIX}/account_key/challenge`, { account_key }));
  const signature = signAccountKeyProof({ challenge, homeserver: alpha.serverName, account_key }, account.seed);
  const auth = { type: 'dev.wayfarer.login.account_key', account_key, challenge, signature, session: first.body.session };
  await ok(dana.post(`${PREFIX}/account/moved`, { moved_to: newId, auth }));
  const atMove = lastToDeviceStream(alpha);

  // Wren sees her under the new user ID, and types again: the beta device reads it; nothing more waits on alpha's.
  await expect(message(wren, 'before you move')).toBeVisible();
  await expect(wren.getByText(newId).first()).toBeVisible({ timeout: 30_000 });
  await expect(wren.getByTestId('withheld-keys')).toHaveCount(0, { timeout: 30_000 });
  await sendMessage(wren, 'after you moved');
  expect(await nio.run('dana-beta', 'wait_text', { room, body: 'after you moved', timeout: 30 })).toMatchObject({
    decrypted: true,
    sender: wrenId,
  });
  // The old device holds the key of what came before the move only: what came after is under a new room key (the
  // one it held would have read on), and nothing more was queued for it on alpha.
  const sessionOf = async (text: string) => {
    const eventId = await message(wren, text).getAttribute('data-event-id');
    const event = await ok(moved.get(`/_matrix/client/v3/rooms/${enc(room)}/event/${enc(eventId!)}`));
    expect(event.type).toBe('m.room.encrypted');
    return event.content.session_id as string;
  };
  const oldDeviceKeys = (await nio.run('dana-alpha', 'sessions', { room })).sessions as string[];
  expect(oldDeviceKeys).toContain(await sessionOf('before you move'));
  expect(oldDeviceKeys).not.toContain(await sessionOf('after you moved'));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  expect(toDeviceInbox(alpha, oldId, dana.deviceId!).filter((m) => m.streamId > atMove)).toEqual([]);
  await screenshot(wren, 'e2ee-nio-moved');
});
