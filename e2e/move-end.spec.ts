// The end of a move (issue 16, PROTOCOL.md §7 steps 5–6) in real Chromium against three federating homeservers:
// dana moves alpha → beta through the wizard, which tells alpha as its last step; "Done" lands her on beta in the
// room she was in; her other device, still signed in on alpha, shows where the account went and can't post; bob on
// gamma and dana herself see no contested badge after this honest move. Then alpha turns hostile and signs as her
// key after the move was marked: both see the key contested.
import { expect, test, type Page } from '@playwright/test';
// Single protocol modules, not the index: Playwright's Node loader refuses the index's JSON import (confusables).
import { encodeBase64 } from '../src/protocol/base64';
import { deriveMemberKey, deriveMemberRoot } from '../src/protocol/derivation';
import { memberIdFromPublicKey } from '../src/protocol/keys';
import { encodeRecoveryKey, generateRecoverySecret } from '../src/protocol/recovery-key';
import type { RunningHomeserver } from '../server/testing/spawn';
import { ok, TestClient } from '../server/testing/http-client';
import { bodies, devAdmin, enc, memberInfo, say, startServers, waitFor } from '../server/testing/federation-harness';
import { message, newUserPage, screenshot, sendMessage, signIn } from './support/chat';
import { portableAccount } from './support/portable';

const PASSWORD = 'move-end-e2e-password';
const secret = generateRecoverySecret();
let alpha: RunningHomeserver;
let beta: RunningHomeserver;
let gamma: RunningHomeserver;
let bob: TestClient;
let dana: TestClient;
let harbour: string;
let danaKey: string;
let danaSeed: Uint8Array;
// Kept open across the tests: bob on gamma and dana (on beta once moved), each with Harbour open.
let bobPage: Page;
let danaPage: Page;

test.describe.configure({ mode: 'serial', timeout: 180_000 });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  [alpha, beta, gamma] = await startServers(['alpha.localhost:21510', 'beta.localhost:21511', 'gamma.localhost:21512']);
  bob = await new TestClient(gamma.baseUrl).register('bob', PASSWORD);
  await bob.setDisplayName('Bob');
  dana = await portableAccount(alpha, 'dana', secret);
  await dana.setDisplayName('Dana');
  // Harbour: bob's public member-key room on gamma, which dana joins with the key her recovery key makes.
  harbour = (await ok(bob.post('/_matrix/client/v3/createRoom', { name: 'Harbour', preset: 'public_chat' }))).room_id;
  const member = deriveMemberKey(deriveMemberRoot(secret), harbour);
  danaKey = memberIdFromPublicKey(member.publicKey);
  danaSeed = member.seed;
  await ok(
    dana.post(`/_matrix/client/v3/join/${enc(harbour)}?server_name=${enc(gamma.serverName)}`, {
      'dev.wayfarer.member_seed': encodeBase64(member.seed),
    }),
  );
  await say(dana, harbour, 'before the move');
  await waitFor('bob to have dana’s first message', async () => (await bodies(bob, harbour)).includes('before the move'));
});

test.afterAll(async () => {
  await Promise.all([alpha, beta, gamma].filter(Boolean).map((s) => s.dispose()));
});

async function signInWithRecoveryKey(page: Page, server: RunningHomeserver) {
  await page.goto('/');
  await page.getByLabel('Homeserver').fill(server.serverName);
  await page.getByRole('button', { name: 'Use a recovery key' }).click();
  await page.getByLabel('Recovery key', { exact: true }).fill(encodeRecoveryKey(secret));
  await page.getByLabel('Recovery key', { exact: true }).press('Enter');
  await expect(page.getByRole('navigation', { name: 'Rooms' })).toBeVisible({ timeout: 20_000 });
}

async function openHarbour(page: Page) {
  await page
    .getByRole('navigation', { name: 'Rooms' })
    .getByRole('button', { name: /^Harbour/ })
    .click();
  await expect(page.getByRole('heading', { name: 'Harbour' })).toBeVisible();
}

const signedInAs = (page: Page) => page.getByRole('navigation', { name: 'Rooms' }).getByTitle(/^@/);

/** Every contested or unverified badge on the page (timeline, member list). */
const warnings = (page: Page) => page.getByRole('img', { name: /^(contested identity|unverified handle)$/ });

test('an honest move ends signed in on beta in the same room; the other device on alpha shows where the account went; nobody sees it contested', async ({
  browser,
}) => {
  bobPage = await newUserPage(browser);
  await signIn(bobPage, gamma.serverName, 'bob', PASSWORD);
  await openHarbour(bobPage);
  await expect(message(bobPage, 'before the move')).toContainText(`@dana:${alpha.serverName}`);

  // Dana's other device, still signed in on alpha, with Harbour open.
  const otherDevice = await newUserPage(browser);
  await signInWithRecoveryKey(otherDevice, alpha);
  await openHarbour(otherDevice);

  danaPage = await newUserPage(browser);
  await signInWithRecoveryKey(danaPage, alpha);
  await openHarbour(danaPage);
  // A second tab of the same browser, on alpha too: it follows this browser to beta and wipes nothing.
  const secondTab = await danaPage.context().newPage();
  await secondTab.goto('/');
  await expect(signedInAs(secondTab)).toHaveText(`@dana:${alpha.serverName}`, { timeout: 30_000 });

  await danaPage.getByRole('button', { name: 'Move account' }).click();
  const w = danaPage.getByRole('dialog', { name: 'Move your account' });
  await w.getByLabel('New homeserver').fill(beta.serverName);
  await w.getByRole('button', { name: 'Check server' }).click();
  await w.getByRole('button', { name: 'Continue with the portable path' }).click();
  await w.getByLabel('Recovery key', { exact: true }).fill(encodeRecoveryKey(secret));
  await w.getByLabel(/^Username on/).fill('dana');
  await w.getByRole('button', { name: 'Prove and continue' }).click();
  // The end of the move is part of the plan, said before anything starts.
  await expect(
    w.getByText(`once @dana:${beta.serverName} holds every room, ${alpha.serverName} is told that your account moved`),
  ).toBeVisible({
    timeout: 20_000,
  });
  await expect(w.getByText('Your old account will stop speaking for you')).toBeVisible();
  await screenshot(danaPage, 'move-end-plan');
  await w.getByRole('button', { name: 'Start moving' }).click();
  await expect(w.getByText('Everything moved')).toBeVisible({ timeout: 60_000 });
  // The last step runs on its own: no button to find.
  await expect(w.getByText(`✓ ${alpha.serverName} knows this account moved to @dana:${beta.serverName}`)).toBeVisible({ timeout: 20_000 });
  await screenshot(danaPage, 'move-end-finished');
  await w.getByRole('button', { name: 'Done' }).click();

  // Signed in on beta, in Harbour.
  await expect(signedInAs(danaPage)).toHaveText(`@dana:${beta.serverName}`, { timeout: 20_000 });
  await expect(danaPage.getByRole('heading', { name: 'Harbour' })).toBeVisible({ timeout: 20_000 });
  expect(decodeURIComponent(new URL(danaPage.url()).hash)).toBe(`#/room/${harbour}`);
  await sendMessage(danaPage, 'after the move');
  await expect(message(bobPage, 'after the move')).toBeVisible({ timeout: 20_000 });

  // The other device learns at its next request, and says where the account went; there is nothing to post with.
  const moved = otherDevice.getByRole('alertdialog', { name: `This account moved to @dana:${beta.serverName}` });
  await expect(moved).toBeVisible({ timeout: 40_000 });
  await expect(otherDevice.getByRole('textbox', { name: 'Message' })).toHaveCount(0);
  await expect(otherDevice.getByText("You don't have permission")).toHaveCount(0);
  await screenshot(otherDevice, 'move-end-moved-screen-light');
  await otherDevice.emulateMedia({ colorScheme: 'dark' });
  await screenshot(otherDevice, 'move-end-moved-screen-dark');
  // Its token can't post either: alpha refuses it, naming the new account.
  const oldToken = await otherDevice.evaluate(
    () =>
      new Promise<string>((resolve, reject) => {
        const open = indexedDB.open('wayfarer-session');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const get = open.result.transaction('keyval').objectStore('keyval').get('session');
          get.onsuccess = () => resolve(get.result.accessToken);
          get.onerror = () => reject(get.error);
        };
      }),
  );
  const refused = await Object.assign(new TestClient(alpha.baseUrl), { accessToken: oldToken }).put(
    `/_matrix/client/v3/rooms/${enc(harbour)}/send/m.room.message/late`,
    {
      msgtype: 'm.text',
      body: 'from the old device',
    },
  );
  expect(refused.status).toBe(403);
  expect(refused.body['dev.wayfarer.moved_to']).toBe(`@dana:${beta.serverName}`);

  // "Sign in there": the recovery-key sign-in, on beta already.
  await moved.getByRole('button', { name: 'Sign in there' }).click();
  await expect(otherDevice.getByLabel('Homeserver')).toHaveValue(beta.serverName);
  await otherDevice.getByLabel('Recovery key', { exact: true }).fill(encodeRecoveryKey(secret));
  await otherDevice.getByLabel('Recovery key', { exact: true }).press('Enter');
  await expect(signedInAs(otherDevice)).toHaveText(`@dana:${beta.serverName}`, { timeout: 20_000 });

  // The second tab followed this browser to beta; the move's tab is still signed in there after a reload.
  await expect(signedInAs(secondTab)).toHaveText(`@dana:${beta.serverName}`, { timeout: 40_000 });
  await danaPage.reload();
  await expect(signedInAs(danaPage)).toHaveText(`@dana:${beta.serverName}`, { timeout: 20_000 });
  await expect(danaPage.getByRole('heading', { name: 'Harbour' })).toBeVisible({ timeout: 20_000 });

  // Nobody sees dana contested: not bob, not dana herself, on old messages or new, in the timeline or the members.
  await expect(bobPage.getByText(`handle changed from @dana:${alpha.serverName} to @dana:${beta.serverName}`)).toBeVisible({
    timeout: 20_000,
  });
  await expect(message(danaPage, 'after the move')).toBeVisible({ timeout: 20_000 });
  await expect(message(danaPage, 'before the move')).toBeVisible();
  for (const page of [bobPage, danaPage]) {
    await page.getByRole('button', { name: 'Members' }).click();
    const row = page.getByRole('complementary', { name: 'Members' }).locator(`li[data-identity="${danaKey.slice(1)}"]`);
    await expect(row).toContainText(`@dana:${beta.serverName}`, { timeout: 20_000 });
  }
  await waitFor(
    'gamma to see dana verified on beta',
    async () => (await memberInfo(bob, harbour))[danaKey]?.user_id === `@dana:${beta.serverName}`,
  );
  expect((await memberInfo(bob, harbour))[danaKey]['dev.wayfarer.link'].contested).toBeUndefined();
  await expect(warnings(bobPage)).toHaveCount(0);
  await expect(warnings(danaPage)).toHaveCount(0);
  await expect(bobPage.getByText('unverified handle')).toHaveCount(0);
  await screenshot(bobPage, 'move-end-bob-after');
  await screenshot(danaPage, 'move-end-dana-after');
  await otherDevice.context().close();
});

test('hostile: alpha signs as dana’s key after the move was marked; bob sees the key contested', async () => {
  // A server that kept the seed (the known limit of PROTOCOL.md §7): alpha, told of the move, signs as the key anyway.
  // It still counts gamma as the room's other server (its own view of dana's member event is from before the move).
  await devAdmin(alpha, 'send_with_kept_key', {
    room_id: harbour,
    user_id: dana.userId,
    seed: encodeBase64(danaSeed),
    body: 'alpha still signing',
  });
  await expect(message(bobPage, 'alpha still signing')).toBeVisible({ timeout: 30_000 });
  // The key's messages, the old ones too, carry the chip (the group header sits on its first message).
  const chip = message(bobPage, 'before the move').getByRole('img', { name: 'contested identity' });
  await expect(chip).toBeVisible({ timeout: 30_000 });
  await expect(chip).toHaveAttribute('title', new RegExp(`${alpha.serverName.replace(/\./g, '\\.')} kept signing as this key`));
  const row = bobPage.getByRole('complementary', { name: 'Members' }).locator(`li[data-identity="${danaKey.slice(1)}"]`);
  await expect(row.getByRole('img', { name: 'contested identity' })).toBeVisible();
  await screenshot(bobPage, 'move-end-hostile-bob');
  await bobPage.context().close();
  await danaPage.context().close();
});
