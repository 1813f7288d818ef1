// Invites to portable accounts keep the account portable (issue 14, PROTOCOL.md §5 "Invites to portable
// accounts"), in real Chromium against three real homeservers. Alice signs in with her recovery key (her client
// fills her invite-key pool); carol invites her through the UI; alice accepts through the UI (her remembered K
// derives the invited key's seed from the invite's nonce); then alice moves alpha → beta with the wizard, and the
// room is adopted with the same member key instead of a re-invite. A second account, invited while its pool was
// still empty, sees the room marked "Not portable" with the reason.
import { expect, test, type Page } from '@playwright/test';
// Single protocol modules, not the index: Playwright's Node loader refuses the index's JSON import (confusables).
import { deriveInviteMemberKey, deriveMemberRoot } from '../src/protocol/derivation';
import { memberIdFromPublicKey } from '../src/protocol/keys';
import { encodeRecoveryKey, generateRecoverySecret } from '../src/protocol/recovery-key';
import type { RunningHomeserver } from '../server/testing/spawn';
import { ok, TestClient } from '../server/testing/http-client';
import { enc, startServers, waitFor } from '../server/testing/federation-harness';
import { newUserPage, screenshot, signIn } from './support/chat';
import { portableAccount } from './support/portable';

const PASSWORD = 'invite-pool-e2e-password';
let alpha: RunningHomeserver;
let beta: RunningHomeserver;
let gamma: RunningHomeserver;
let carol: TestClient;

test.describe.configure({ mode: 'serial', timeout: 180_000 });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  [alpha, beta, gamma] = await startServers(['alpha.localhost:21111', 'beta.localhost:21112', 'gamma.localhost:21113']);
  carol = await new TestClient(alpha.baseUrl).register('carol', PASSWORD);
  await carol.setDisplayName('Carol');
});

test.afterAll(async () => {
  await Promise.all([alpha, beta, gamma].filter(Boolean).map((s) => s.dispose()));
});

async function signInWithRecoveryKey(page: Page, server: RunningHomeserver, secret: Uint8Array) {
  await page.goto('/');
  await page.getByLabel('Homeserver').fill(server.serverName);
  await page.getByRole('button', { name: 'Use a recovery key' }).click();
  await page.getByLabel('Recovery key', { exact: true }).fill(encodeRecoveryKey(secret));
  await page.getByLabel('Recovery key', { exact: true }).press('Enter');
  await expect(page.getByRole('navigation', { name: 'Rooms' })).toBeVisible({ timeout: 20_000 });
}

/** Carol, on her page, creates a room (the default version: member keys) and invites `userId` through the dialog. */
async function carolInvites(page: Page, roomName: string, userId: string) {
  await page.getByRole('button', { name: 'New room' }).click();
  const create = page.getByRole('dialog', { name: 'Create a room' });
  await create.getByLabel('Room name').fill(roomName);
  await create.getByRole('button', { name: 'Create room' }).click();
  await expect(page.getByRole('heading', { name: roomName })).toBeVisible();
  await page.getByRole('button', { name: 'Invite' }).click();
  const invite = page.getByRole('dialog', { name: `Invite to ${roomName}` });
  await invite.getByLabel('User ID').fill(userId);
  await invite.getByRole('button', { name: 'Send invite' }).click();
  await expect(invite).toBeHidden();
}

/** Alice's member key in a room and its member event content, as carol's server shows them. */
async function aliceMember(roomId: string, localpart: string): Promise<{ key: string; content: any }> {
  return waitFor(`${localpart}'s member event in ${roomId}`, async () => {
    const state: any[] = await ok(carol.get(`/_matrix/client/v3/rooms/${enc(roomId)}/state`));
    const event = state.find((e) => e.type === 'm.room.member' && e.content.localpart === localpart && e.content.membership === 'join');
    return event ? { key: event.unsigned['org.matrix.msc4428.stable_id_state_key'], content: event.content } : undefined;
  });
}

async function roomIdByName(client: TestClient, name: string): Promise<string> {
  const { joined_rooms } = await ok(client.get('/_matrix/client/v3/joined_rooms'));
  for (const roomId of joined_rooms as string[]) {
    const reply = await client.get(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.name/`);
    if (reply.status === 200 && reply.body.name === name) return roomId;
  }
  throw new Error(`no joined room named ${name}`);
}

test('a portable account invited through the UI accepts with its recovery key, and the move adopts that room (same key) instead of re-inviting', async ({
  browser,
}) => {
  const secret = generateRecoverySecret();
  const root = deriveMemberRoot(secret);
  await portableAccount(alpha, 'alice', secret);
  const alice = await newUserPage(browser);
  await signInWithRecoveryKey(alice, alpha, secret);

  const carolPage = await newUserPage(browser);
  await signIn(carolPage, alpha.serverName, 'carol', PASSWORD);
  await carolInvites(carolPage, 'Harbour', `@alice:${alpha.serverName}`);

  // The invite names a key from alice's pool: her device derives its seed from the nonce (K is remembered) to accept.
  const invites = alice.getByRole('region', { name: 'Invites' });
  await expect(invites.getByText('Harbour')).toBeVisible({ timeout: 20_000 });
  await expect(invites.getByText('Not portable')).toHaveCount(0);
  await screenshot(alice, 'invite-pool-invite-light');
  await alice.getByRole('button', { name: 'Accept invite to Harbour' }).click();
  await expect(alice.getByRole('heading', { name: 'Harbour' })).toBeVisible({ timeout: 20_000 });
  await expect(alice.getByText('Not portable')).toHaveCount(0);

  // The join names the nonce, and the key is the one K makes from it.
  const harbour = await roomIdByName(carol, 'Harbour');
  const before = await aliceMember(harbour, 'alice');
  const nonce = before.content['dev.wayfarer.key_nonce'];
  expect(typeof nonce).toBe('string');
  expect(before.key).toBe(memberIdFromPublicKey(deriveInviteMemberKey(root, nonce).publicKey));

  // The move: the plan adopts Harbour (same identity), it does not re-invite.
  await alice.getByRole('button', { name: 'Move account' }).click();
  const w = alice.getByRole('dialog', { name: 'Move your account' });
  await w.getByLabel('New homeserver').fill(beta.serverName);
  await w.getByRole('button', { name: 'Check server' }).click();
  await w.getByRole('button', { name: 'Continue with the portable path' }).click();
  await w.getByLabel('Recovery key', { exact: true }).fill(encodeRecoveryKey(secret));
  await w.getByLabel(/^Username on/).fill('alice');
  await w.getByRole('button', { name: 'Prove and continue' }).click();
  await expect(w.getByRole('heading', { name: 'Plan' })).toBeVisible({ timeout: 20_000 });
  const plan = w.getByRole('list', { name: 'Rooms to move' });
  await expect(plan.getByRole('listitem').filter({ hasText: 'Harbour' })).toContainText('moves seamlessly (same identity)');
  await screenshot(alice, 'invite-pool-plan-light');
  await w.getByRole('button', { name: 'Start moving' }).click();
  await expect(w.getByText('Everything moved')).toBeVisible({ timeout: 60_000 });

  // Carol's server: the same key, now claimed by beta, the nonce still in its member event; no second alice.
  const after = await waitFor('alice claimed by beta in Harbour', async () => {
    const member = await aliceMember(harbour, 'alice');
    return member.content.domain === beta.serverName ? member : undefined;
  });
  expect(after.key).toBe(before.key);
  expect(after.content['dev.wayfarer.key_nonce']).toBe(nonce);
  const state: any[] = await ok(carol.get(`/_matrix/client/v3/rooms/${enc(harbour)}/state`));
  const alices = state.filter((e) => e.type === 'm.room.member' && e.content.localpart === 'alice' && e.content.membership !== 'leave');
  expect(alices).toHaveLength(1);
  await alice.context().close();
  await carolPage.context().close();
});

test('an invite made while the pool was empty is marked "Not portable" with the reason, before and after accepting', async ({
  browser,
}) => {
  const secret = generateRecoverySecret();
  // Dora's account exists, but no client of hers has filled her pool yet: the invite gets a key her server makes.
  await portableAccount(alpha, 'dora', secret);
  const carolPage = await newUserPage(browser);
  await signIn(carolPage, alpha.serverName, 'carol', PASSWORD);
  await carolInvites(carolPage, 'Lighthouse', `@dora:${alpha.serverName}`);

  for (const width of [375, 1280]) {
    const dora = await newUserPage(browser, { width });
    await signInWithRecoveryKey(dora, alpha, secret);
    const invite = dora.getByRole('region', { name: 'Invites' }).getByRole('listitem').filter({ hasText: 'Lighthouse' });
    await expect(invite).toContainText('Not portable: your invite-key pool was empty', { timeout: 20_000 });
    await screenshot(dora, `invite-pool-not-portable-invite-${width}`);
    if (width === 1280) {
      await dora.getByRole('button', { name: 'Accept invite to Lighthouse' }).click();
      await expect(dora.getByRole('heading', { name: 'Lighthouse' })).toBeVisible({ timeout: 20_000 });
      await expect(dora.locator('header').getByText('Not portable')).toBeVisible();
      await screenshot(dora, 'invite-pool-not-portable-room-1280');
    }
    await dora.context().close();
  }
  await carolPage.context().close();
});
