// Three real homeservers federating, seen through the real client: the member-key room spanning all three shows
// each member's verified handle, and the forged link as unverified, from the first screen.
import { expect, test } from '@playwright/test';
import { seedFederation } from '../server/demo/federation-seed';
import type { RunningHomeserver } from '../server/testing/spawn';
import { DEV_TOKEN, startServers } from '../server/testing/federation-harness';
import { newUserPage, screenshot, signIn, timeline } from './support/chat';

let servers: RunningHomeserver[] = [];

test.beforeAll(async () => {
  servers = await startServers(['alpha.localhost:18761', 'beta.localhost:18762', 'gamma.localhost:18763']);
  const [alpha, beta, gamma] = servers.map((s) => ({ serverName: s.serverName, baseUrl: s.baseUrl }));
  await seedFederation(alpha!, beta!, gamma!, DEV_TOKEN);
});

test.afterAll(async () => {
  await Promise.all(servers.map((s) => s.dispose()));
});

test('a room over three servers: verified handles from alpha, beta and gamma; the forged claim is flagged and its message soft-failed', async ({ browser }) => {
  const page = await newUserPage(browser);
  await signIn(page, servers[0]!.serverName, 'alice', 'wayfarer-alice');
  await page.getByRole('navigation', { name: 'Rooms' }).getByText('Commons (three servers, member keys)').click();
  await expect(timeline(page).getByText('Hello from beta! My handle is co-signed by beta.')).toBeVisible();
  await expect(timeline(page).getByText('And gamma here. Check the members panel: each of us is a key.')).toBeVisible();
  // The impostor's message never reaches alpha's timeline (soft-failed), but its unverified handle does.
  await expect(timeline(page).getByText('it’s Bob')).toHaveCount(0);
  // Verified handles of three servers, and the real Bob flagged: a second key (the forged link) claims his handle.
  for (const server of servers) await expect(timeline(page).getByText(new RegExp(`:${server.serverName.replace(/\./g, '\\.')}`)).first()).toBeVisible();
  await expect(timeline(page).getByText('Same name as another member')).toBeVisible();
  await screenshot(page, 'federation-commons');
});
