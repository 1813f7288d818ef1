// End-to-end encryption between Wayfarer and a client no one here wrote (issue 18), in real Chromium against two
// real homeservers: Wren signs up in Wayfarer on beta; Nina (matrix-nio with libolm, on alpha) makes an encrypted room
// and invites her and Nico (nio too, on beta). Wren accepts and opens the room in the UI, reads what both nio users
// sent, and types her answer in the composer; both nio users report they decrypted it, and each reads the other's.
// Once in a classic room (version 11), once in a member-key room (org.matrix.12.4430), where nio knows nothing of
// member keys and sees only the user IDs the server maps them to (PROTOCOL.md §5, §8).
import { expect, test, type Page } from '@playwright/test';
import { startServers } from '../server/testing/federation-harness';
import type { RunningHomeserver } from '../server/testing/spawn';
import { message, screenshot, sendMessage, signedUpPage, timeline } from './support/chat';
import { NioPeers } from './support/nio';

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
