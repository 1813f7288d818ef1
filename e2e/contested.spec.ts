// A contested identity in the browser (issue 6): alice's member key moves alpha → beta, then alpha, never told of
// the move, signs as the key again. Bob, on gamma with the room open, sees the red "contested identity" chip on
// alice's messages and member row, and the inspector says which server kept signing — with no reload.
import { expect, test, type Page } from '@playwright/test';
// Single protocol modules, not the index: Playwright's Node loader refuses the index's JSON import (confusables).
import { encodeBase64 } from '../src/protocol/base64';
import { deriveMemberKey, deriveMemberRoot } from '../src/protocol/derivation';
import { memberIdFromPublicKey } from '../src/protocol/keys';
import { generateRecoverySecret } from '../src/protocol/recovery-key';
import type { RunningHomeserver } from '../server/testing/spawn';
import { ok, TestClient } from '../server/testing/http-client';
import { bodies, enc, memberInfo, say, startServers, waitFor } from '../server/testing/federation-harness';
import { message, newUserPage, screenshot, signIn } from './support/chat';
import { portableAccount } from './support/portable';

const PREFIX = '/_matrix/client/unstable/dev.wayfarer';
const PASSWORD = 'contested-e2e-password';
let alpha: RunningHomeserver;
let beta: RunningHomeserver;
let gamma: RunningHomeserver;
let bob: TestClient;
let aliceAlpha: TestClient;
let aliceBeta: TestClient;
let roomId: string;
let aliceKey: string;
const secret = generateRecoverySecret();

test.describe.configure({ mode: 'serial', timeout: 180_000 });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  [alpha, beta, gamma] = await startServers(['alpha.localhost:19511', 'beta.localhost:19512', 'gamma.localhost:19513']);
  bob = await new TestClient(gamma.baseUrl).register('bob', PASSWORD);
  aliceAlpha = await portableAccount(alpha, 'alice', secret);
  aliceBeta = await portableAccount(beta, 'alice', secret);
  await aliceAlpha.setDisplayName('Alice');

  roomId = (await ok(bob.post('/_matrix/client/v3/createRoom', { name: 'Garden', preset: 'public_chat' }))).room_id;
  const member = deriveMemberKey(deriveMemberRoot(secret), roomId);
  aliceKey = memberIdFromPublicKey(member.publicKey); // '@' + URL-safe key: member_info's key
  await ok(
    aliceAlpha.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(gamma.serverName)}`, {
      'dev.wayfarer.member_seed': encodeBase64(member.seed),
    }),
  );
  await say(aliceAlpha, roomId, 'hello from alpha');
  await waitFor('alpha’s message on gamma', async () => (await bodies(bob, roomId)).includes('hello from alpha'));

  // The move: beta adopts the same key (alpha is never told with account/moved, so it keeps the seed).
  await ok(
    aliceBeta.post(`${PREFIX}/migrate/adopt`, {
      room_id: roomId,
      seed: encodeBase64(member.seed),
      via: [gamma.serverName],
      displayname: 'Alice',
    }),
  );
  await waitFor(
    'alice verified on beta, seen from gamma',
    async () => (await memberInfo(bob, roomId))[aliceKey]?.user_id === aliceBeta.userId,
  );
  await say(aliceBeta, roomId, 'hello from beta');
  await waitFor('beta’s message on gamma', async () => (await bodies(bob, roomId)).includes('hello from beta'));
});

test.afterAll(async () => {
  await Promise.all([alpha, beta, gamma].filter(Boolean).map((s) => s.dispose()));
});

function memberRow(page: Page, key: string) {
  // Rows are keyed by the bare key, without member_info's '@'.
  return page.getByRole('complementary', { name: 'Members' }).locator(`li[data-identity="${key.replace(/^@/, '')}"]`);
}

test('the old server signing after the move turns the key contested in the open page', async ({ browser }) => {
  const page = await newUserPage(browser);
  await signIn(page, gamma.serverName, 'bob', PASSWORD);
  await page.getByRole('button', { name: /^Garden/ }).click();
  await page.getByRole('button', { name: 'Members' }).click();

  // After an ordinary move the key is simply verified on beta (one group: the header sits on the first message).
  const header = message(page, 'hello from alpha');
  await expect(header).toContainText(`@alice:${beta.serverName}`);
  await expect(memberRow(page, aliceKey)).toContainText(`@alice:${beta.serverName}`);
  await expect(page.getByRole('img', { name: 'contested identity' })).toHaveCount(0);

  // Alpha signs as the key again: gamma reports it in member_info, and the page follows without a reload.
  await say(aliceAlpha, roomId, 'alpha still signing');
  await expect(message(page, 'alpha still signing')).toBeVisible({ timeout: 20_000 });
  const chip = header.getByRole('img', { name: 'contested identity' });
  await expect(chip).toBeVisible({ timeout: 20_000 });
  await expect(chip).toHaveAttribute(
    'title',
    new RegExp(
      `${alpha.serverName.replace(/\./g, '\\.')} kept signing as this key after it moved to ${beta.serverName.replace(/\./g, '\\.')}`,
    ),
  );
  await expect(header).not.toContainText(`@alice:${beta.serverName}`);
  await expect(memberRow(page, aliceKey).getByRole('img', { name: 'contested identity' })).toBeVisible();
  await screenshot(page, 'contested-timeline-light');

  await memberRow(page, aliceKey)
    .getByRole('button', { name: /show identity/ })
    .click();
  const panel = page.getByRole('dialog', { name: 'Identity' });
  await expect(panel.getByRole('img', { name: 'contested identity' })).toBeVisible();
  await expect(panel.getByTestId('contested-warning')).toContainText(
    `${alpha.serverName} kept signing as this key after it moved to ${beta.serverName}`,
  );
  await screenshot(page, 'contested-inspector-light');
});
