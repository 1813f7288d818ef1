// Deactivating with "Hide my messages from people who join later" (the spec's `erase`), as people meet it across two
// servers: Gail (alpha) writes in a public room and deactivates from Settings with the box ticked; Dana, in the room
// all along, still reads Gail's message after a reload; Hugo (beta) finds the room in alpha's directory afterwards,
// joins, and is shown Gail's message as removed, its words nowhere on his screen.
import { expect, test, type Page } from '@playwright/test';
import type { RunningHomeserver } from '../server/testing/spawn';
import { startServers } from '../server/testing/federation-harness';
import { enc, ok, TestClient } from '../server/testing/http-client';
import { clientUrl, message, newUserPage, screenshot, sendMessage, signIn, timeline } from './support/chat';

let alpha: RunningHomeserver;
let beta: RunningHomeserver;
const PASSWORD = 'erasure-e2e-passphrase';
const SECRET = 'The spare key is under the blue pot';

test.describe.configure({ mode: 'serial', timeout: 180_000 });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  [alpha, beta] = await startServers(['alpha.localhost:24711', 'beta.localhost:24712']);
  const dana = await new TestClient(alpha.baseUrl).register('dana', PASSWORD);
  const gail = await new TestClient(alpha.baseUrl).register('gail', PASSWORD);
  await new TestClient(beta.baseUrl).register('hugo', PASSWORD);
  await gail.setDisplayName('Gail');
  const { room_id: roomId } = await ok(
    dana.post('/_matrix/client/v3/createRoom', { name: 'Garden', preset: 'public_chat', visibility: 'public', room_alias_name: 'garden' }),
  );
  await ok(gail.post(`/_matrix/client/v3/join/${enc(roomId)}`, {}));
});

test.afterAll(async () => {
  await Promise.all([alpha, beta].filter(Boolean).map((s) => s.dispose()));
});

const rooms = (page: Page) => page.getByRole('navigation', { name: 'Rooms' });

test('an erased account’s message: still whole for who saw it, removed for who joins later from another server', async ({ browser }) => {
  const gail = await newUserPage(browser, { width: 1280 });
  const dana = await newUserPage(browser, { width: 1280 });
  await signIn(gail, alpha.serverName, 'gail', PASSWORD);
  await signIn(dana, alpha.serverName, 'dana', PASSWORD);
  await rooms(gail)
    .getByRole('button', { name: /^Garden/ })
    .click();
  await sendMessage(gail, SECRET);
  await rooms(dana)
    .getByRole('button', { name: /^Garden/ })
    .click();
  await expect(message(dana, SECRET)).toBeVisible({ timeout: 30_000 });

  // Gail deactivates, ticking the box.
  await gail.goto(`${clientUrl()}/#/settings/account`);
  await gail.getByRole('region', { name: 'Settings' }).getByRole('button', { name: 'Deactivate account…' }).click();
  const dialog = gail.getByRole('dialog', { name: 'Deactivate your account?' });
  const erase = dialog.getByRole('checkbox', { name: 'Hide my messages from people who join later' });
  await expect(erase).not.toBeChecked();
  await erase.check();
  await dialog.getByLabel('Your password').fill(PASSWORD);
  await screenshot(gail, 'deactivate-erase-light-1280');
  await dialog.getByRole('button', { name: 'Deactivate for good' }).click();
  await expect(gail.getByRole('button', { name: 'Sign in' })).toBeVisible({ timeout: 30_000 });
  await expect(timeline(dana).getByText(/Gail left/)).toBeVisible({ timeout: 30_000 });

  // Dana could read it before: after a reload, served afresh, it is still whole.
  await dana.reload();
  await rooms(dana)
    .getByRole('button', { name: /^Garden/ })
    .click();
  await expect(message(dana, SECRET)).toBeVisible({ timeout: 30_000 });

  // Hugo, on beta, joins from alpha's directory afterwards.
  const hugo = await newUserPage(browser, { width: 1280, colorScheme: 'dark' });
  await signIn(hugo, beta.serverName, 'hugo', PASSWORD);
  await hugo.getByRole('button', { name: 'Explore public rooms' }).click();
  const explore = hugo.getByRole('dialog', { name: 'Explore rooms' });
  await explore.getByRole('textbox', { name: 'Server' }).fill(alpha.serverName);
  await explore.getByRole('textbox', { name: 'Server' }).press('Enter');
  await explore.getByRole('button', { name: 'Join Garden' }).click();
  await expect(hugo.getByRole('heading', { name: 'Garden' })).toBeVisible({ timeout: 30_000 });
  // Gail's row is there, removed: the room's history reached hugo, and not the words.
  const gailsRow = timeline(hugo).getByRole('article').filter({ hasText: 'Message deleted' });
  await expect(gailsRow).toBeVisible({ timeout: 30_000 });
  await expect(timeline(hugo)).not.toContainText('blue pot');
  // Whose it was: an erased member (PROTOCOL.md §5: her member events come redacted too), not an unverified handle.
  await expect(gailsRow.getByText(/^Erased member /)).toBeVisible();
  await expect(rooms(hugo).getByRole('button', { name: /^Garden/ })).toContainText('Message deleted');
  await expect(
    timeline(hugo)
      .getByText(/created the room|joined/)
      .first(),
  ).toBeVisible();
  await hugo.mouse.move(0, 0);
  await screenshot(hugo, 'erased-message-later-joiner-dark-1280');
  // Search finds nothing of it either.
  await hugo.getByRole('button', { name: 'Search', exact: true }).click();
  const search = hugo.getByRole('dialog', { name: /^Search messages in / });
  await search.getByRole('searchbox', { name: 'Search messages' }).fill('blue');
  await search.getByRole('searchbox', { name: 'Search messages' }).press('Enter');
  await expect(search.getByText(/No messages/)).toBeVisible({ timeout: 20_000 });
  for (const page of [gail, dana, hugo]) await page.context().close();
});
