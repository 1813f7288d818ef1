// The migration wizard (issue 8) in real Chromium against three real federating homeservers: a portable account
// moves from alpha to beta and gamma's bob sees one identity throughout; a tab closed mid-move resumes without
// repeating anything; alpha offline from the start; the classic path with a room that cannot move; a saved move
// this version can't read blocks a new one.
import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
// Single protocol modules, not the index: Playwright's Node loader refuses the index's JSON import (confusables).
import { encodeBase64 } from '../src/protocol/base64';
import { deriveCreatorMemberKey, deriveMemberKey, deriveMemberRoot } from '../src/protocol/derivation';
import { memberIdFromPublicKey } from '../src/protocol/keys';
import { encodeRecoveryKey, generateRecoverySecret } from '../src/protocol/recovery-key';
import type { RunningHomeserver } from '../server/testing/spawn';
import { ok, TestClient } from '../server/testing/http-client';
import { bodies, enc, memberInfo, say, startServers, waitFor } from '../server/testing/federation-harness';
import { message, newUserPage, screenshot, signIn } from './support/chat';
import { loginPortable, portableAccount } from './support/portable';

const PREFIX = '/_matrix/client/unstable/dev.wayfarer';
const PASSWORD = 'migration-e2e-password';
let alpha: RunningHomeserver;
let beta: RunningHomeserver;
let gamma: RunningHomeserver;
let bob: TestClient;

test.describe.configure({ mode: 'serial', timeout: 180_000 });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  [alpha, beta, gamma] = await startServers(['alpha.localhost:19021', 'beta.localhost:19022', 'gamma.localhost:19023']);
  bob = await new TestClient(gamma.baseUrl).register('bob', PASSWORD);
  await bob.setDisplayName('Bob');
});

test.afterAll(async () => {
  await Promise.all([alpha, beta, gamma].filter(Boolean).map((s) => s.dispose()));
});

/** Bob's public member-key room on gamma that `member` joins with the key derived from its recovery secret. */
async function bobsRoomWith(member: TestClient, secret: Uint8Array, name: string): Promise<{ roomId: string; key: string }> {
  const roomId = (await ok(bob.post('/_matrix/client/v3/createRoom', { name, preset: 'public_chat' }))).room_id;
  const seed = deriveMemberKey(deriveMemberRoot(secret), roomId);
  await ok(
    member.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(gamma.serverName)}`, {
      'dev.wayfarer.member_seed': encodeBase64(seed.seed),
    }),
  );
  return { roomId, key: memberIdFromPublicKey(seed.publicKey) };
}

async function signInWithRecoveryKey(page: Page, server: RunningHomeserver, secret: Uint8Array) {
  await page.goto('/');
  await page.getByLabel('Homeserver').fill(server.serverName);
  await page.getByRole('button', { name: 'Use a recovery key' }).click();
  await page.getByLabel('Recovery key', { exact: true }).fill(encodeRecoveryKey(secret));
  await page.getByLabel('Recovery key', { exact: true }).press('Enter');
  await expect(page.getByRole('navigation', { name: 'Rooms' })).toBeVisible({ timeout: 20_000 });
}

function wizard(page: Page) {
  return page.getByRole('dialog', { name: 'Move your account' });
}

/** Steps 1–3 of the wizard for a portable account; leaves it on the plan. */
async function planPortableMove(page: Page, secret: Uint8Array, username: string, screenshots = false) {
  await page.getByRole('button', { name: 'Move account' }).click();
  const w = wizard(page);
  await w.getByLabel('New homeserver').fill(beta.serverName);
  await w.getByRole('button', { name: 'Check server' }).click();
  await expect(w.getByText(`✓ ${beta.serverName} is reachable and supports portable identities.`)).toBeVisible();
  if (screenshots) await screenshot(page, 'migration-target-light');
  await w.getByRole('button', { name: 'Continue with the portable path' }).click();
  await w.getByLabel('Recovery key', { exact: true }).fill(encodeRecoveryKey(secret));
  await w.getByLabel(/^Username on/).fill(username);
  if (screenshots) await screenshot(page, 'migration-prove-light');
  await w.getByRole('button', { name: 'Prove and continue' }).click();
  await expect(w.getByRole('heading', { name: 'Plan' })).toBeVisible({ timeout: 20_000 });
}

async function downloadSummary(page: Page): Promise<any> {
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    wizard(page).getByRole('button', { name: 'Download summary (JSON)' }).click(),
  ]);
  return JSON.parse(readFileSync(await download.path(), 'utf8'));
}

/** Takeovers of `key` in the room as gamma stores them: member events that moved its claim to beta. */
async function adoptionsOnGamma(roomId: string, key: string): Promise<number> {
  const chunk = (await ok(bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=200`))).chunk as any[];
  return chunk.filter(
    (e) =>
      e.type === 'm.room.member' &&
      e.unsigned?.['org.matrix.msc4428.stable_id_state_key'] === key &&
      e.content.domain === beta.serverName &&
      e.unsigned?.prev_content?.domain !== beta.serverName,
  ).length;
}

test('portable: alice moves alpha → beta through the wizard; bob on gamma sees one identity, now verified as @alice:beta', async ({
  browser,
}) => {
  const secret = generateRecoverySecret();
  const root = deriveMemberRoot(secret);
  const alice = await portableAccount(alpha, 'alice', secret);
  await alice.setDisplayName('Alice');
  // Garden: alice's own room (creator key from a nonce); Harbour: bob's room where alice has power level 50.
  const nonce = 'garden-nonce-0001';
  const creator = deriveCreatorMemberKey(root, nonce);
  const garden = (
    await ok(
      alice.post('/_matrix/client/v3/createRoom', {
        name: 'Garden',
        preset: 'public_chat',
        'dev.wayfarer.member_seed': encodeBase64(creator.seed),
        'dev.wayfarer.creator_nonce': nonce,
      }),
    )
  ).room_id;
  const aliceKey = memberIdFromPublicKey(creator.publicKey);
  await ok(bob.post(`/_matrix/client/v3/join/${enc(garden)}?server_name=${enc(alpha.serverName)}`, {}));
  const harbour = await bobsRoomWith(alice, secret, 'Harbour');
  const levels = await ok(bob.get(`/_matrix/client/v3/rooms/${enc(harbour.roomId)}/state/m.room.power_levels/`));
  await ok(
    bob.put(`/_matrix/client/v3/rooms/${enc(harbour.roomId)}/state/m.room.power_levels/`, {
      ...levels,
      users: { ...levels.users, [harbour.key]: 50 },
    }),
  );
  await ok(alice.put(`/_matrix/client/v3/user/${enc(alice.userId!)}/rooms/${enc(garden)}/tags/m.favourite`, { order: 0.25 }));
  await ok(alice.put(`/_matrix/client/v3/user/${enc(alice.userId!)}/account_data/m.direct`, { [bob.userId!]: [harbour.roomId] }));
  await ok(
    alice.put(`/_matrix/client/v3/user/${enc(alice.userId!)}/account_data/m.ignored_user_list`, {
      ignored_users: { [`@troll:${gamma.serverName}`]: {} },
    }),
  );
  await say(alice, garden, 'before the move');
  await waitFor('bob to have the first message', async () => (await bodies(bob, garden)).includes('before the move'));

  // Bob has the room open on gamma throughout.
  const bobPage = await newUserPage(browser);
  await signIn(bobPage, gamma.serverName, 'bob', PASSWORD);
  await bobPage.getByRole('button', { name: /^Garden/ }).click();
  await expect(message(bobPage, 'before the move')).toContainText(`@alice:${alpha.serverName}`);

  const page = await newUserPage(browser);
  await signInWithRecoveryKey(page, alpha, secret);
  await planPortableMove(page, secret, 'alice', true);
  const w = wizard(page);
  const plan = w.getByRole('list', { name: 'Rooms to move' });
  await expect(plan.getByRole('listitem').filter({ hasText: 'Garden' })).toContainText('moves seamlessly (same identity)');
  await expect(plan.getByRole('listitem').filter({ hasText: 'Harbour' })).toContainText('moves seamlessly (same identity)');
  const settings = w.getByRole('list', { name: 'Profile and settings to copy' });
  for (const label of ['Profile', 'Direct messages (m.direct)', 'Room tags', 'Ignored users'])
    await expect(settings.getByLabel(label)).toBeChecked();
  await screenshot(page, 'migration-plan-light');
  await w.getByRole('button', { name: 'Start moving' }).click();
  await expect(w.getByText('Everything moved')).toBeVisible({ timeout: 60_000 });
  await expect(w.getByRole('list', { name: 'Check of moved rooms' })).toContainText(
    `Garden: link verified by ${beta.serverName} and by this browser`,
  );
  await screenshot(page, 'migration-done-light');

  // The move's last step, on its own: the old server is told and forgets the keys (the recovery key is still in memory).
  await expect(w.getByText(`✓ ${alpha.serverName} knows this account moved to @alice:${beta.serverName}`)).toBeVisible();
  expect((await ok(alice.get(`${PREFIX}/account/portable`))).moved_to).toBe(`@alice:${beta.serverName}`);

  // Alice speaks from beta with the same key; bob's open page shows one group, the handle change, and the new verified handle.
  const aliceBeta = await loginPortable(beta, secret);
  await say(aliceBeta, garden, 'after the move');
  await expect(message(bobPage, 'after the move')).toBeVisible({ timeout: 20_000 });
  await expect(bobPage.getByText(`handle changed from @alice:${alpha.serverName} to @alice:${beta.serverName}`)).toBeVisible();
  await expect(message(bobPage, 'after the move').getByRole('button', { name: 'Alice: show identity' })).toHaveCount(0);
  await bobPage.getByRole('button', { name: 'Members' }).click();
  const aliceRow = bobPage.getByRole('complementary', { name: 'Members' }).locator(`li[data-identity="${aliceKey.slice(1)}"]`);
  await expect(aliceRow).toHaveCount(1);
  await expect(aliceRow).toContainText(`@alice:${beta.serverName}`);
  await expect(aliceRow.getByRole('img', { name: 'unverified handle' })).toHaveCount(0);
  await screenshot(bobPage, 'migration-bob-after');

  // Power stays with the key; DMs, tags and ignored users are on beta.
  expect((await aliceBeta.put(`/_matrix/client/v3/rooms/${enc(harbour.roomId)}/state/m.room.topic/`, { topic: 'moved' })).status).toBe(200);
  expect(await ok(aliceBeta.get(`/_matrix/client/v3/user/${enc(aliceBeta.userId!)}/account_data/m.direct`))).toEqual({
    [bob.userId!]: [harbour.roomId],
  });
  expect((await ok(aliceBeta.get(`/_matrix/client/v3/user/${enc(aliceBeta.userId!)}/rooms/${enc(garden)}/tags`))).tags).toEqual({
    'm.favourite': { order: 0.25 },
  });
  expect(
    Object.keys(
      (await ok(aliceBeta.get(`/_matrix/client/v3/user/${enc(aliceBeta.userId!)}/account_data/m.ignored_user_list`))).ignored_users,
    ),
  ).toEqual([`@troll:${gamma.serverName}`]);
  const info = (await memberInfo(bob, garden))[aliceKey];
  expect(info.user_id).toBe(aliceBeta.userId);
  await page.context().close();
  await bobPage.context().close();
});

test('resume: the tab closes mid-move; reopening the wizard continues and every room moves exactly once', async ({ browser }) => {
  const secret = generateRecoverySecret();
  const rita = await portableAccount(alpha, 'rita', secret);
  const rooms = [];
  for (const name of ['Resume one', 'Resume two', 'Resume three', 'Resume four']) rooms.push(await bobsRoomWith(rita, secret, name));
  const page = await newUserPage(browser);
  await signInWithRecoveryKey(page, alpha, secret);
  await planPortableMove(page, secret, 'rita');
  // The second adoption never gets an answer (the tab is closed while it hangs); the third fails once (502).
  let adopts = 0;
  let held!: () => void;
  const hanging = new Promise<void>((resolve) => (held = resolve));
  await page.route('**/migrate/adopt', async (route) => {
    adopts += 1;
    if (adopts === 2) {
      held();
      return; // never continued
    }
    if (adopts === 3)
      return route.fulfill({
        status: 502,
        contentType: 'application/json',
        body: JSON.stringify({ errcode: 'M_UNKNOWN', error: 'bad gateway' }),
      });
    await route.continue();
  });
  await wizard(page).getByRole('button', { name: 'Start moving' }).click();
  await hanging;
  await expect(wizard(page).getByRole('list', { name: 'Items' }).getByText('✓ done').first()).toBeVisible({ timeout: 30_000 });
  await page.close();

  const reopened = await page.context().newPage();
  await reopened.goto('/');
  await reopened.getByRole('button', { name: 'Resume move' }).click();
  const w = wizard(reopened);
  await expect(w.getByText('Enter your recovery key to continue the move where it stopped.')).toBeVisible();
  await w.getByLabel('Recovery key', { exact: true }).fill(encodeRecoveryKey(secret));
  await w.getByRole('button', { name: 'Continue the move' }).click();
  // The rest goes on; the failed room waits with its error and a Retry.
  await expect(w.getByText('1 item failed')).toBeVisible({ timeout: 60_000 });
  const items = w.getByRole('list', { name: 'Items' });
  await expect(items.getByRole('alert')).toContainText('answered 502: bad gateway');
  await expect(items).toContainText('failed while taking over your membership on the new server');
  await screenshot(reopened, 'migration-failed-item');
  await items.getByRole('button', { name: /^Retry Resume / }).click();
  await expect(w.getByText('Everything moved')).toBeVisible({ timeout: 60_000 });
  const summary = await downloadSummary(reopened);
  const roomItems = summary.items.filter((i: any) => i.kind === 'room');
  expect(roomItems.map((i: any) => i.outcome)).toEqual(['moved', 'moved', 'moved', 'moved']);
  for (const room of rooms) expect(await adoptionsOnGamma(room.roomId, room.key)).toBe(1);
  await reopened.context().close();
});

test('offline: alpha is stopped before the move starts; the portable migration completes through beta and gamma', async ({ browser }) => {
  const secret = generateRecoverySecret();
  const olga = await portableAccount(alpha, 'olga', secret);
  const rooms = [await bobsRoomWith(olga, secret, 'Offline one'), await bobsRoomWith(olga, secret, 'Offline two')];
  const page = await newUserPage(browser);
  await signInWithRecoveryKey(page, alpha, secret);
  await expect(page.getByRole('navigation', { name: 'Rooms' }).getByText('Offline two')).toBeVisible();
  await alpha.stop();
  try {
    await planPortableMove(page, secret, 'olga');
    await wizard(page).getByRole('button', { name: 'Start moving' }).click();
    await expect(wizard(page).getByText('Everything moved')).toBeVisible({ timeout: 60_000 });
    for (const room of rooms) {
      await waitFor(
        'gamma to see olga on beta',
        async () => (await memberInfo(bob, room.roomId))[room.key]?.user_id === `@olga:${beta.serverName}`,
      );
    }
    // The last step can't reach alpha: it waits in the journal, said in words. Done still takes this browser to beta.
    await expect(wizard(page).getByRole('alert')).toContainText(`${alpha.serverName} can’t be reached`);
    await screenshot(page, 'migration-mark-pending');
    await wizard(page).getByRole('button', { name: 'Done' }).click();
    await expect(page.getByRole('navigation', { name: 'Rooms' }).getByTitle(`@olga:${beta.serverName}`)).toBeVisible({ timeout: 20_000 });
  } finally {
    await alpha.restart();
  }
  // A later start (a reload: the recovery key is gone) offers the last step; it asks for the key, and alpha learns.
  await page.reload();
  await expect(page.getByText(`Your move from @olga:${alpha.serverName} has one step left`)).toBeVisible({ timeout: 20_000 });
  await screenshot(page, 'migration-finish-pending');
  await page.getByRole('button', { name: 'Finish the move' }).click();
  const w = wizard(page);
  await expect(w.getByText('Enter your recovery key to confirm to your old server that you moved.')).toBeVisible({ timeout: 20_000 });
  await w.getByLabel('Recovery key', { exact: true }).fill(encodeRecoveryKey(secret));
  await w.getByRole('button', { name: 'Confirm' }).click();
  await expect(w.getByText(`✓ ${alpha.serverName} knows this account moved to @olga:${beta.serverName}`)).toBeVisible({ timeout: 20_000 });
  await w.getByRole('button', { name: 'Done' }).click();
  await expect(page.getByRole('button', { name: 'Finish the move' })).toHaveCount(0);
  await expect(page.getByText('has one step left')).toHaveCount(0);
  await expect(page.getByRole('navigation', { name: 'Rooms' }).getByTitle(`@olga:${beta.serverName}`)).toBeVisible();
  expect((await ok(olga.get(`${PREFIX}/account/portable`))).moved_to).toBe(`@olga:${beta.serverName}`);
  await page.context().close();
});

/** Writes `value` where the wizard keeps `userId`'s journal (idb-keyval's database and store), as another version would. */
async function putSavedMove(page: Page, userId: string, value: unknown): Promise<void> {
  await page.evaluate(
    ([key, stored]) =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open('wayfarer-migration');
        open.onupgradeneeded = () => open.result.createObjectStore('journals');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const tx = open.result.transaction('journals', 'readwrite');
          tx.objectStore('journals').put(stored, key);
          tx.oncomplete = () => (open.result.close(), resolve());
          tx.onerror = () => reject(tx.error);
        };
      }),
    [userId, value] as const,
  );
}

test('a move saved by a newer version blocks a new plan: the wizard says why, offers it as a download, and only an explicit discard clears the way', async ({
  browser,
}) => {
  const dora = await new TestClient(alpha.baseUrl).register('dora', PASSWORD);
  const page = await newUserPage(browser);
  await signIn(page, alpha.serverName, 'dora', PASSWORD);
  const future = { format: 99, id: 'from-the-future', steps: [{ id: 'room:!x#teleport', status: 'running' }] };
  await putSavedMove(page, dora.userId!, future);
  await page.getByRole('button', { name: 'Move account' }).click();
  const w = wizard(page);
  await expect(w.getByRole('heading', { name: 'A saved move is in the way' })).toBeVisible();
  await expect(w.getByRole('alert')).toContainText(
    `This device holds a move of ${dora.userId} saved by a newer version of Wayfarer (the saved move has journal format 99; this version reads format 2)`,
  );
  await expect(w.getByLabel('New homeserver')).toHaveCount(0);
  await screenshot(page, 'migration-blocked-light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, 'migration-blocked-dark');
  await page.emulateMedia({ colorScheme: 'light' });

  // Closing and reopening changes nothing; the saved move downloads as it is.
  await w.getByRole('button', { name: 'Close' }).click();
  await page.getByRole('button', { name: 'Move account' }).click();
  await expect(w.getByRole('heading', { name: 'A saved move is in the way' })).toBeVisible();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    w.getByRole('button', { name: 'Download the saved move (JSON)' }).click(),
  ]);
  expect(JSON.parse(readFileSync(await download.path(), 'utf8'))).toEqual(future);

  await w.getByRole('button', { name: 'Discard it and plan a new move…' }).click();
  await w.getByRole('button', { name: 'Keep it' }).click();
  await w.getByRole('button', { name: 'Discard it and plan a new move…' }).click();
  await w.getByRole('button', { name: 'Discard it for good' }).click();
  await expect(w.getByLabel('New homeserver')).toBeVisible();
  await expect(w.getByRole('list', { name: 'Steps' }).locator('[aria-current="step"]')).toHaveText('1. Where to');
  await page.context().close();
});

test('classic: a password account moves by re-invite; a room where it may not invite is reported as "cannot move" with the reason', async ({
  browser,
}) => {
  const carl = await new TestClient(alpha.baseUrl).register('carl', PASSWORD);
  const open = (await ok(carl.post('/_matrix/client/v3/createRoom', { name: 'Carl’s room', room_version: '11', preset: 'private_chat' })))
    .room_id;
  await ok(carl.post(`/_matrix/client/v3/rooms/${enc(open)}/invite`, { user_id: bob.userId }));
  await waitFor(
    'bob to join carl’s room',
    async () => (await bob.post(`/_matrix/client/v3/join/${enc(open)}?server_name=${enc(alpha.serverName)}`, {})).status === 200,
  );
  const closed = (
    await ok(
      bob.post('/_matrix/client/v3/createRoom', {
        name: 'Bob’s closed room',
        room_version: '11',
        preset: 'private_chat',
        power_level_content_override: { invite: 50 },
      }),
    )
  ).room_id;
  await ok(bob.post(`/_matrix/client/v3/rooms/${enc(closed)}/invite`, { user_id: carl.userId }));
  await waitFor(
    'carl to join bob’s room',
    async () => (await carl.post(`/_matrix/client/v3/join/${enc(closed)}?server_name=${enc(gamma.serverName)}`, {})).status === 200,
  );

  const page = await newUserPage(browser, { colorScheme: 'dark' });
  await signIn(page, alpha.serverName, 'carl', PASSWORD);
  await expect(page.getByRole('navigation', { name: 'Rooms' }).getByText('Bob’s closed room')).toBeVisible();
  await page.getByRole('button', { name: 'Move account' }).click();
  const w = wizard(page);
  await w.getByLabel('New homeserver').fill(beta.serverName);
  await w.getByRole('button', { name: 'Check server' }).click();
  await expect(w.getByText(/made with a password, so its identity cannot move/)).toBeVisible();
  await screenshot(page, 'migration-target-classic-dark');
  await w.getByRole('button', { name: 'Continue with the classic path' }).click();
  await w.getByLabel(/^Username on/).fill('carl2');
  await w.getByLabel('Password').fill(PASSWORD);
  await screenshot(page, 'migration-prove-classic-dark');
  await w.getByRole('button', { name: 'Create account and continue' }).click();
  const plan = w.getByRole('list', { name: 'Rooms to move' });
  await expect(plan.getByRole('listitem').filter({ hasText: 'Carl’s room' })).toContainText(
    're-invite: the old account invites the new one',
  );
  const closedRow = plan.getByRole('listitem').filter({ hasText: 'Bob’s closed room' });
  await expect(closedRow).toContainText('cannot move');
  await expect(closedRow).toContainText('the old account may not invite (needs power level 50, has 0).');
  await expect(closedRow).toContainText('To move it: Ask a moderator to invite');
  await expect(closedRow.getByRole('checkbox')).toBeDisabled();
  await screenshot(page, 'migration-plan-classic-dark');
  await w.getByRole('button', { name: 'Start moving' }).click();
  await expect(w.getByText('Everything moved')).toBeVisible({ timeout: 60_000 });
  await expect(w.getByRole('list', { name: 'Steps' }).locator('[aria-current="step"]')).toHaveText('5. Check and finish');
  const carl2 = await new TestClient(beta.baseUrl);
  const login = await ok(
    carl2.post('/_matrix/client/v3/login', {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'carl2' },
      password: PASSWORD,
    }),
  );
  carl2.accessToken = login.access_token;
  expect((await ok(carl2.get('/_matrix/client/v3/joined_rooms'))).joined_rooms).toEqual([open]);
  expect((await ok(bob.get(`/_matrix/client/v3/rooms/${enc(open)}/state/m.room.power_levels/`))).users[login.user_id]).toBe(100);
  const summary = await downloadSummary(page);
  expect(summary.items.find((i: any) => i.roomId === closed).outcome).toBe('cannot move');
  await screenshot(page, 'migration-done-classic-dark');
  await page.context().close();
});
