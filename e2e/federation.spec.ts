// Three real homeservers federating, seen through the real client: the member-key room spanning all three shows
// each member's verified handle, and the forged link as unverified, from the first screen.
import { expect, test } from '@playwright/test';
import { seedFederation } from '../server/demo/federation-seed';
import type { RunningHomeserver } from '../server/testing/spawn';
import { DEV_TOKEN, startServers } from '../server/testing/federation-harness';
import { message, newUserPage, screenshot, signIn, timeline } from './support/chat';

let servers: RunningHomeserver[] = [];

test.beforeAll(async () => {
  servers = await startServers(['alpha.localhost:19361', 'beta.localhost:19362', 'gamma.localhost:19363']);
  const [alpha, beta, gamma] = servers.map((s) => ({ serverName: s.serverName, baseUrl: s.baseUrl }));
  await seedFederation(alpha!, beta!, gamma!, DEV_TOKEN);
});

test.afterAll(async () => {
  await Promise.all(servers.map((s) => s.dispose()));
});

test('a room over three servers: verified handles from alpha, beta and gamma; the forged claim is flagged and its message soft-failed', async ({
  browser,
}) => {
  const page = await newUserPage(browser);
  await signIn(page, servers[0]!.serverName, 'alice', 'wayfarer-alice');
  await page.getByRole('navigation', { name: 'Rooms' }).getByText('Commons (three servers, member keys)').click();
  await expect(timeline(page).getByText('Hello from beta! My handle is co-signed by beta.')).toBeVisible();
  await expect(timeline(page).getByText('And gamma here. Check the members panel: each of us is a key.')).toBeVisible();
  // The impostor's message never reaches alpha's timeline (soft-failed), but its unverified handle does.
  await expect(timeline(page).getByText('it’s Bob')).toHaveCount(0);
  // Verified handles of three servers, and the real Bob noted (neutrally: he is the verified one) as having a
  // second key claim his handle, the forged link.
  for (const server of servers)
    await expect(
      timeline(page)
        .getByText(new RegExp(`:${server.serverName.replace(/\./g, '\\.')}`))
        .first(),
    ).toBeVisible();
  const bobsMessage = message(page, 'Hello from beta! My handle is co-signed by beta.');
  await expect(bobsMessage.getByRole('button', { name: 'Another member uses this name: show them' })).toBeVisible();
  await expect(bobsMessage.getByRole('img', { name: 'same name as another member' })).toHaveCount(0);
  // On alpha the impostor shows only through its join notice: that line carries the badge and the warning too,
  // never the claimed handle as if it were one.
  const [alpha, beta] = servers;
  const impostorJoin = timeline(page).locator('[data-notice]').filter({ hasText: 'Bob (really) joined' });
  await expect(impostorJoin.getByRole('img', { name: 'unverified handle' })).toBeVisible();
  await expect(impostorJoin.getByRole('img', { name: 'unverified handle' })).toHaveAttribute(
    'title',
    new RegExp(`Claims @bob:${beta!.serverName.replace(/\./g, '\\.')}, not verified: .+`),
  );
  await expect(impostorJoin.getByRole('img', { name: 'same name as another member' })).toBeVisible();
  await expect(impostorJoin).not.toContainText(`@bob:${beta!.serverName}`);
  // The real Bob's join notice shows his verified handle.
  const bobJoin = timeline(page)
    .locator('[data-notice]')
    .filter({ hasText: /^Bob joined/ });
  await expect(bobJoin).toContainText(`@bob:${beta!.serverName}`);
  await expect(bobJoin.getByRole('button', { name: 'Another member uses this name: show them' })).toBeVisible();
  await expect(bobJoin.getByRole('img', { name: 'same name as another member' })).toHaveCount(0);
  await expect(timeline(page).locator('[data-notice]').filter({ hasText: 'Alice joined' })).toContainText(`@alice:${alpha!.serverName}`);
  await screenshot(page, 'federation-commons');

  // The member list: the impostor's row carries the warning and never shows the claim.
  await page.getByRole('button', { name: 'Members' }).click();
  const members = page.getByRole('complementary', { name: 'Members' });
  const impostorRow = members.locator('li[data-identity]').filter({ hasText: 'Bob (really)' });
  await expect(impostorRow.getByRole('img', { name: 'unverified handle' })).toBeVisible();
  await expect(impostorRow.getByRole('img', { name: 'same name as another member' })).toBeVisible();
  await expect(impostorRow).not.toContainText(`@bob:${beta!.serverName}`);
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.setViewportSize({ width: 375, height: 800 });
  await screenshot(page, 'federation-commons-members-dark-375');
});
