// Fail open in the browser (PROTOCOL.md §4): while a member's domain is unreachable (hung: SIGSTOP), a link that
// this browser or the homeserver verified before stays verified, marked "couldn't re-check: … is unreachable (last
// verified …)", never a red "unverified"; and "Verify now" gives up after its timeout and says so.
import { expect, test, type Page } from '@playwright/test';
import type { RunningHomeserver } from '../server/testing/spawn';
import { ok, TestClient } from '../server/testing/http-client';
import { bodies, enc, memberInfo, say, startServers, waitFor } from '../server/testing/federation-harness';
import { message, newUserPage, screenshot, signIn } from './support/chat';
import { quickLiveness, resumeAll, signalServer } from './support/liveness';

const PASSWORD = 'fail-open-e2e-password';
let alpha: RunningHomeserver;
let beta: RunningHomeserver;

test.beforeAll(async () => {
  test.setTimeout(120_000);
  [alpha, beta] = await startServers(['alpha.localhost:21211', 'beta.localhost:21212']);
  // Set-up over the API: Dave on beta makes a member-key room, Carol on alpha joins it, both say hello.
  const dave = await new TestClient(beta.baseUrl).register('dave', PASSWORD);
  const carol = await new TestClient(alpha.baseUrl).register('carol', PASSWORD);
  await dave.setDisplayName('Dave');
  const roomId = (await ok(dave.post('/_matrix/client/v3/createRoom', { name: 'Lighthouse', preset: 'public_chat' }))).room_id;
  await ok(carol.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(beta.serverName)}`, {}));
  await say(dave, roomId, 'the lamp is lit');
  await waitFor('dave’s message on alpha', async () => (await bodies(carol, roomId)).includes('the lamp is lit'));
  await waitFor('dave’s link verified by alpha', async () =>
    Object.values(await memberInfo(carol, roomId)).some((info) => info.user_id === dave.userId),
  );
});

test.afterAll(async () => {
  resumeAll([alpha, beta].filter(Boolean));
  await Promise.all([alpha, beta].filter(Boolean).map((s) => s.dispose()));
});

async function openDave(page: Page) {
  await page.getByRole('button', { name: /^Lighthouse/ }).click();
  const row = message(page, 'the lamp is lit');
  await expect(row).toBeVisible();
  await row.getByRole('button', { name: 'Dave: show identity' }).click();
  const panel = page.getByRole('dialog', { name: 'Identity' });
  await expect(panel).toBeVisible();
  return { row, panel, verdict: panel.getByTestId('browser-verdict') };
}

test('a hung domain: a link verified before stays verified, "couldn’t re-check", never unverified; Verify now gives up and says so', async ({
  browser,
}) => {
  test.setTimeout(150_000);
  const page = await newUserPage(browser, { width: 1280 });
  await quickLiveness(page);
  await signIn(page, alpha.serverName, 'carol', PASSWORD);
  const { row, panel, verdict } = await openDave(page);
  // This browser verifies Dave's link itself while beta answers.
  await expect(verdict).toContainText('verified', { timeout: 20_000 });
  await expect(verdict).not.toContainText('unverified');
  await expect(verdict).not.toContainText('checking');

  // Beta hangs. Verify now: it gives up after its timeout and says what happened; the link stays verified.
  signalServer(beta, 'SIGSTOP');
  await panel.getByRole('button', { name: 'Verify now' }).click();
  await expect(verdict.getByTestId('not-rechecked')).toHaveText(
    new RegExp(`^Couldn't re-check: ${beta.serverName.replace(/\./g, '\\.')} is unreachable \\(last verified .+ by this browser\\)\\.$`),
    { timeout: 20_000 },
  );
  await expect(verdict).toContainText('no answer within 2 s');
  await expect(verdict).not.toContainText('unverified');
  await expect(panel.getByRole('button', { name: 'Verify now' })).toBeEnabled();
  await expect(row.getByRole('img', { name: 'unverified handle' })).toHaveCount(0);
  await expect(row).toContainText(`@dave:${beta.serverName}`);
  await screenshot(page, 'fail-open-inspector-1280');

  // A browser that never checked Dave itself: the homeserver's earlier verdict stands, marked as not re-checked.
  const fresh = await newUserPage(browser, { colorScheme: 'dark' });
  await quickLiveness(fresh);
  await signIn(fresh, alpha.serverName, 'carol', PASSWORD);
  const other = await openDave(fresh);
  await expect(other.verdict.getByTestId('not-rechecked')).toHaveText(
    new RegExp(`^Couldn't re-check: ${beta.serverName.replace(/\./g, '\\.')} is unreachable \\(last verified .+ by your homeserver\\)\\.$`),
    { timeout: 20_000 },
  );
  await expect(other.verdict).not.toContainText('unverified');
  await expect(other.row.getByRole('img', { name: 'unverified handle' })).toHaveCount(0);
  const current = other.panel.getByRole('region', { name: 'Handle history' }).getByTestId('handle-history-entry').last();
  await expect(current).toContainText("verified by your homeserver; couldn't re-check now", { timeout: 20_000 });
  await expect(current).toContainText(`@dave:${beta.serverName}`);
  await expect(current).not.toContainText('Unverified handle');
  await fresh.setViewportSize({ width: 375, height: 800 });
  await screenshot(fresh, 'fail-open-inspector-dark-375');
  await fresh.context().close();

  // Beta answers again: Verify now checks it for real.
  signalServer(beta, 'SIGCONT');
  await panel.getByRole('button', { name: 'Verify now' }).click();
  await expect(verdict.getByTestId('not-rechecked')).toHaveCount(0, { timeout: 20_000 });
  await expect(verdict).toContainText('verified');
  await expect(verdict).not.toContainText('unverified');
});
