// Issue 17, "join rules: public, invite or knock", as two people on two servers meet it. Alice (alpha) sets her
// member-key room to "Ask to join" in its settings, from the keyboard. Bob (beta) finds it in alpha's room directory,
// asks to join, sees "Request sent" (cancels once, asks again), and finds the request in his room list. Alice sees
// him under "Asking to join" in the member panel, named through the identity function, and approves; Bob accepts,
// is in, and they chat. In a classic room Bob asks from a room link, and Alice denies. Screenshots at 1280 and 375 px, light and dark.
import { expect, test, type Page } from '@playwright/test';
import type { RunningHomeserver } from '../server/testing/spawn';
import { TestClient } from '../server/testing/http-client';
import { startServers } from '../server/testing/federation-harness';
import { message, newUserPage, screenshot, sendMessage, signIn } from './support/chat';

const PASSWORD = 'knock-e2e-passphrase';
let alpha: RunningHomeserver;
let beta: RunningHomeserver;
let alicePage: Page;
let bobPage: Page;
let stoopId: string;

test.describe.configure({ mode: 'serial', timeout: 150_000 });

test.beforeAll(async ({ browser }) => {
  test.setTimeout(150_000);
  [alpha, beta] = await startServers(['alpha.localhost:24515', 'beta.localhost:24516'], ['--link-recheck-seconds', '3600']);
  const aliceApi = await new TestClient(alpha.baseUrl).register('alice', PASSWORD);
  const bobApi = await new TestClient(beta.baseUrl).register('bob', PASSWORD);
  await bobApi.setDisplayName('Bob Beta');
  const created = await aliceApi.post('/_matrix/client/v3/createRoom', {
    name: 'Porch',
    topic: 'Knock first',
    preset: 'private_chat',
    visibility: 'public',
  });
  if (created.status !== 200) throw new Error(`createRoom: ${JSON.stringify(created.body)}`);
  // Stoop: a classic room that takes requests from the start, reached by a link.
  const stoop = await aliceApi.post('/_matrix/client/v3/createRoom', {
    name: 'Stoop',
    preset: 'private_chat',
    room_version: '11',
    initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }],
  });
  if (stoop.status !== 200) throw new Error(`createRoom: ${JSON.stringify(stoop.body)}`);
  stoopId = stoop.body.room_id;
  alicePage = await newUserPage(browser, { width: 1280 });
  await signIn(alicePage, alpha.serverName, 'alice', PASSWORD);
  bobPage = await newUserPage(browser, { width: 1280 });
  await signIn(bobPage, beta.serverName, 'bob', PASSWORD);
});

test.afterAll(async () => {
  await Promise.all([alpha, beta].filter(Boolean).map((s) => s.dispose()));
});

const roomList = (page: Page) => page.getByRole('navigation', { name: 'Rooms' });

test('alice makes her room "Ask to join"; bob asks from the directory, alice approves, and they chat', async () => {
  // Alice: Room settings → Security & privacy → Ask to join, by keyboard.
  await roomList(alicePage)
    .getByRole('button', { name: /^Porch\b/ })
    .click();
  await expect(alicePage.getByRole('heading', { level: 1, name: 'Porch' })).toBeVisible();
  const settingsButton = alicePage.getByRole('button', { name: 'Room settings', exact: true });
  await settingsButton.focus();
  await alicePage.keyboard.press('Enter');
  const settings = alicePage.getByRole('dialog', { name: 'Porch: settings' });
  await settings.getByRole('tab', { name: 'General' }).focus();
  await alicePage.keyboard.press('ArrowRight');
  const knock = settings.getByRole('radio', { name: /^Ask to join/ });
  await expect(settings.getByRole('radio', { name: /Private \(invite only\)/ })).toBeChecked();
  await knock.focus();
  await alicePage.keyboard.press('Space');
  await expect(settings.getByRole('status')).toHaveText('Saved.');
  await expect(knock).toBeChecked();
  await screenshot(alicePage, 'knock-settings-1280');
  await alicePage.keyboard.press('Escape');
  await expect(alicePage.getByRole('dialog')).toHaveCount(0);

  // Bob: Explore → alpha's rooms → Ask to join Porch.
  await bobPage.getByRole('button', { name: 'Explore public rooms' }).click();
  const explore = bobPage.getByRole('dialog', { name: 'Explore rooms' });
  await explore.getByRole('textbox', { name: 'Server' }).fill(alpha.serverName);
  await explore.getByRole('textbox', { name: 'Server' }).press('Enter');
  const porch = explore
    .getByRole('list', { name: `Public rooms on ${alpha.serverName}` })
    .getByRole('listitem')
    .filter({ hasText: 'Porch' });
  const ask = porch.getByRole('button', { name: 'Ask to join Porch' });
  await expect(ask).toHaveText('Ask to join');
  await ask.focus();
  await bobPage.keyboard.press('Enter');
  await expect(porch.getByRole('status')).toHaveText('Request sent');
  // Cancel once (a leave rescinds the knock), then ask again.
  await porch.getByRole('button', { name: 'Cancel request to join Porch' }).click();
  await expect(ask).toBeVisible();
  await ask.click();
  await expect(porch.getByRole('status')).toHaveText('Request sent');
  await screenshot(bobPage, 'knock-request-sent-1280');
  await bobPage.keyboard.press('Escape');
  // The request waits in his room list, with Cancel.
  const requests = roomList(bobPage).getByRole('region', { name: 'Requests to join' });
  await expect(requests.getByText('Porch')).toBeVisible({ timeout: 30_000 });
  await expect(requests.getByRole('button', { name: 'Cancel request to join Porch' })).toBeVisible();
  await bobPage.setViewportSize({ width: 375, height: 800 });
  await bobPage.emulateMedia({ colorScheme: 'dark' });
  await screenshot(bobPage, 'knock-request-list-375-dark');
  await bobPage.emulateMedia({ colorScheme: 'light' });
  await bobPage.setViewportSize({ width: 1280, height: 800 });

  // Alice: her room says Bob asks to join, without the member list open; View opens it at the request.
  const banner = alicePage.getByRole('region', { name: 'Requests to join this room' });
  await expect(banner).toHaveText(/Bob Beta asks to join/, { timeout: 30_000 });
  await expect(banner.locator('bdi[data-sender-name]')).toHaveText('Bob Beta'); // isolated, as every name is
  await screenshot(alicePage, 'knock-banner-1280');
  await banner.getByRole('button', { name: 'View' }).click();
  await expect(banner).toHaveCount(0); // the list is open: the banner has said its piece
  // The member panel shows Bob asking to join, by his verified handle; Approve.
  const panel = alicePage.getByRole('complementary', { name: 'Members' });
  const asking = panel.getByRole('region', { name: 'Asking to join' });
  await expect(asking.getByRole('button', { name: 'Bob Beta: show identity' })).toBeVisible({ timeout: 30_000 });
  await expect(asking).toContainText(`@bob:${beta.serverName}`);
  await expect(asking.getByRole('button', { name: 'Deny Bob Beta’s request to join' })).toBeVisible();
  await screenshot(alicePage, 'knock-requests-1280');
  await alicePage.emulateMedia({ colorScheme: 'dark' });
  await alicePage.setViewportSize({ width: 375, height: 800 });
  await screenshot(alicePage, 'knock-requests-375-dark');
  await alicePage.setViewportSize({ width: 1280, height: 800 });
  await alicePage.emulateMedia({ colorScheme: 'light' });
  const approve = asking.getByRole('button', { name: 'Let Bob Beta in' });
  await approve.focus();
  await alicePage.keyboard.press('Enter');
  await expect(asking).toBeHidden({ timeout: 30_000 });
  await expect(panel.getByRole('region', { name: 'Invited' })).toContainText('Bob Beta');
  await alicePage.getByRole('button', { name: 'Close members' }).click(); // closed: nobody asks now, so no banner either
  await expect(panel).toHaveCount(0);
  await expect(banner).toHaveCount(0);

  // Bob: the approval arrives as an invite; he accepts, is in, and they chat.
  await bobPage.getByRole('button', { name: 'Accept invite to Porch' }).click({ timeout: 30_000 });
  await expect(bobPage.getByRole('heading', { level: 1, name: 'Porch' })).toBeVisible({ timeout: 30_000 });
  await expect(roomList(bobPage).getByRole('region', { name: 'Requests to join' })).toHaveCount(0);
  await sendMessage(bobPage, 'Thanks for letting me in');
  await expect(message(alicePage, 'Thanks for letting me in')).toBeVisible({ timeout: 30_000 });
  await sendMessage(alicePage, 'Welcome, Bob');
  await expect(message(bobPage, 'Welcome, Bob')).toBeVisible({ timeout: 30_000 });
});

test('bob asks to join a classic room from a link; alice denies, and his request is gone', async () => {
  await bobPage.goto(`/#/room/${encodeURIComponent(stoopId)}?via=${encodeURIComponent(alpha.serverName)}`);
  const notIn = bobPage.getByRole('region', { name: 'Room not found, or not joined' });
  await expect(notIn).toBeVisible({ timeout: 20_000 });
  const ask = notIn.getByRole('button', { name: 'Ask to join' });
  await ask.focus();
  await bobPage.keyboard.press('Enter');
  const asked = bobPage.getByRole('region', { name: 'You asked to join Stoop' });
  await expect(asked.getByRole('status')).toContainText('Request sent.', { timeout: 30_000 });
  await expect(asked.getByRole('button', { name: 'Cancel request to join Stoop' })).toBeVisible();
  await bobPage.setViewportSize({ width: 375, height: 800 });
  await bobPage.emulateMedia({ colorScheme: 'dark' });
  await screenshot(bobPage, 'knock-link-375-dark');
  await bobPage.emulateMedia({ colorScheme: 'light' });
  await bobPage.setViewportSize({ width: 1280, height: 800 });

  await roomList(alicePage)
    .getByRole('button', { name: /^Stoop\b/ })
    .click();
  await expect(alicePage.getByRole('heading', { level: 1, name: 'Stoop' })).toBeVisible();
  const panel = alicePage.getByRole('complementary', { name: 'Members' });
  if (!(await panel.isVisible())) await alicePage.getByRole('button', { name: 'Members' }).click();
  const asking = panel.getByRole('region', { name: 'Asking to join' });
  const deny = asking.getByRole('button', { name: 'Deny Bob Beta’s request to join' });
  await expect(deny).toBeVisible({ timeout: 30_000 });
  await deny.focus();
  await alicePage.keyboard.press('Enter');
  await expect(asking).toBeHidden({ timeout: 30_000 });

  // Bob hears the answer: the request is gone from the room's page (the app leaves a room page you are no longer
  // in, as after a kick) and from his list.
  await expect(asked).toBeHidden({ timeout: 30_000 });
  await expect(roomList(bobPage).getByRole('region', { name: 'Requests to join' })).toHaveCount(0);
});
