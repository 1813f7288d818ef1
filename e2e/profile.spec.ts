// Issue 17, Profile: Alice (alpha) changes her display name and picture in her client, with the keyboard; Bob (beta)
// sees the new name on her next message in their member-key room, with her verified handle and no warning.
import { expect, test } from '@playwright/test';
import type { RunningHomeserver } from '../server/testing/spawn';
import { TestClient } from '../server/testing/http-client';
import { enc, startServers } from '../server/testing/federation-harness';
import { message, newUserPage, screenshot, sendMessage, signIn, testPng, timeline } from './support/chat';

const PASSWORD = 'profile-e2e-password';
let alpha: RunningHomeserver;
let beta: RunningHomeserver;

test.describe.configure({ mode: 'serial', timeout: 150_000 });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  [alpha, beta] = await startServers(['alpha.localhost:22311', 'beta.localhost:22312'], ['--link-recheck-seconds', '3600']);
  const alice = await new TestClient(alpha.baseUrl).register('alice', PASSWORD);
  const bob = await new TestClient(beta.baseUrl).register('bob', PASSWORD);
  const created = await alice.post('/_matrix/client/v3/createRoom', {
    name: 'Garden',
    preset: 'public_chat',
    room_version: 'org.matrix.12.4430',
  });
  if (created.status !== 200) throw new Error(`createRoom: ${JSON.stringify(created.body)}`);
  const joined = await bob.post(`/_matrix/client/v3/join/${enc(created.body.room_id)}?server_name=${enc(alpha.serverName)}`, {});
  if (joined.status !== 200) throw new Error(`join: ${JSON.stringify(joined.body)}`);
});

test.afterAll(async () => {
  await Promise.all([alpha, beta].filter(Boolean).map((s) => s.dispose()));
});

test('alice renames herself in the profile dialog; bob on another server sees the new name with her verified handle', async ({
  browser,
}) => {
  const alicePage = await newUserPage(browser, { width: 1280 });
  await signIn(alicePage, alpha.serverName, 'alice', PASSWORD);

  // Keyboard only: the header's profile button, the name field, Save.
  const open = alicePage.getByRole('button', { name: 'Edit your profile' });
  await open.focus();
  await alicePage.keyboard.press('Enter');
  const dialog = alicePage.getByRole('dialog', { name: 'Your profile' });
  const nameField = dialog.getByRole('textbox', { name: 'Display name' });
  await expect(nameField).toBeFocused();
  await expect(nameField).toBeEditable();
  await expect(nameField).toHaveValue('alice');
  // A landscape picture is cropped to a square before upload.
  await dialog.getByLabel('Choose picture').setInputFiles({ name: 'wide.png', mimeType: 'image/png', buffer: testPng() });
  await expect(dialog.getByRole('button', { name: 'Remove picture' })).toBeVisible();
  await nameField.fill('Alice Liddell');
  await screenshot(alicePage, 'profile-dialog-1280');
  await alicePage.setViewportSize({ width: 375, height: 800 });
  await screenshot(alicePage, 'profile-dialog-375');
  await alicePage.setViewportSize({ width: 1280, height: 800 });
  await nameField.press('Enter');
  await expect(dialog).toHaveCount(0);
  await expect(open).toBeFocused();

  await alicePage.getByRole('navigation', { name: 'Rooms' }).getByText('Garden').click();
  await sendMessage(alicePage, 'hello under my new name');

  const bobPage = await newUserPage(browser, { width: 1280 });
  await signIn(bobPage, beta.serverName, 'bob', PASSWORD);
  await bobPage.getByRole('navigation', { name: 'Rooms' }).getByText('Garden').click();
  const hers = message(bobPage, 'hello under my new name');
  await expect(hers.locator('header bdi[data-sender-name]')).toHaveText('Alice Liddell');
  const badge = hers.locator('header [data-badge]');
  await expect(badge).toHaveAttribute('data-badge', 'verified');
  await expect(badge).toContainText(`@alice:${alpha.serverName}`);
  await expect(hers.getByRole('img', { name: 'unverified handle' })).toHaveCount(0);
  await expect(hers.getByRole('img', { name: 'handle not yet verified' })).toHaveCount(0);
  await expect(timeline(bobPage).getByRole('img', { name: 'same name as another member' })).toHaveCount(0);
  await screenshot(bobPage, 'profile-seen-by-bob');
});
