// Issue 17, Settings and Safety (registration), as people use them: registration asks for the password twice and
// refuses a weak one with a reason; Settings has its own URL per section and works by keyboard, in both themes and
// at 375 px; a keyword makes another person's message a mention; signing out the other sessions (password again)
// signs out the other browser; a changed password is the one that signs in; deactivation (confirmed with the
// password) takes the account out of its rooms, which the other person sees.
import { randomBytes } from 'node:crypto';
import { expect, test, type Page } from '@playwright/test';
import type { RunningHomeserver } from '../server/testing/spawn';
import { startServers } from '../server/testing/federation-harness';
import { enc, ok, TestClient } from '../server/testing/http-client';
import { clientUrl, newUserPage, screenshot, sendMessage, signIn } from './support/chat';
import { loginPortable, portableAccount } from './support/portable';
import { encodeRecoveryKey } from '../src/protocol/recovery-key';

let alpha: RunningHomeserver;
let roomId: string;
const PASSWORD = 'settings-e2e-passphrase';

test.describe.configure({ mode: 'serial', timeout: 180_000 });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  [alpha] = await startServers(['alpha.localhost:24221']);
  const dana = await new TestClient(alpha.baseUrl).register('dana', PASSWORD);
  const erin = await new TestClient(alpha.baseUrl).register('erin', PASSWORD);
  const frank = await new TestClient(alpha.baseUrl).register('frank', PASSWORD);
  await frank.setDisplayName('Frank');
  ({ room_id: roomId } = await ok(dana.post('/_matrix/client/v3/createRoom', { name: 'Porch', preset: 'public_chat' })));
  for (const member of [erin, frank]) await ok(member.post(`/_matrix/client/v3/join/${enc(roomId)}`, {}));
});

test.afterAll(async () => {
  await alpha?.dispose();
});

const settingsRegion = (page: Page) => page.getByRole('region', { name: 'Settings' });
const sections = (page: Page) => page.getByRole('navigation', { name: 'Settings sections' });
const rooms = (page: Page) => page.getByRole('navigation', { name: 'Rooms' });

test('registration asks for the password twice and refuses a weak one with a reason', async ({ browser }) => {
  const page = await newUserPage(browser);
  await page.goto('/');
  await page.getByRole('button', { name: 'Create an account instead' }).click();
  await page.getByLabel('Homeserver').fill(alpha.serverName);
  await page.getByLabel('Username').fill('gina');
  const password = page.getByLabel('Password', { exact: true });
  const repeat = page.getByLabel('Repeat password');
  await password.fill('a fine long passphrase');
  await repeat.fill('a fine long passphrase!');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('alert')).toHaveText('The two passwords are not the same.');
  await password.fill('password1');
  await repeat.fill('password1');
  await repeat.press('Enter');
  await expect(page.getByRole('alert')).toContainText('This password is too easy to guess. This is a commonly used password.');
  await screenshot(page, 'register-weak-light');
  // Nothing was registered.
  const available = await fetch(`${alpha.baseUrl}/_matrix/client/v3/register/available?username=gina`);
  expect(available.status).toBe(200);
  await password.fill('gina keeps bees in the garden');
  await repeat.fill('gina keeps bees in the garden');
  await repeat.press('Enter');
  await expect(rooms(page)).toBeVisible({ timeout: 20_000 });
});

test('settings: a URL per section, keyboard only, theme, shortcuts, both themes and 375 px', async ({ browser }) => {
  const page = await newUserPage(browser, { width: 1280 });
  await signIn(page, alpha.serverName, 'dana', PASSWORD);
  const open = page.getByRole('link', { name: 'Settings' });
  await open.focus();
  await page.keyboard.press('Enter');
  await expect(settingsRegion(page)).toBeVisible();
  expect(new URL(page.url()).hash).toBe('#/settings');
  await expect(sections(page).getByRole('link', { name: 'Appearance' })).toHaveAttribute('aria-current', 'page');
  // Theme, by keyboard: the radio group inside Settings.
  const dark = settingsRegion(page).getByRole('radio', { name: 'Dark' });
  await settingsRegion(page).getByRole('radio', { name: 'System' }).focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowRight');
  await expect(dark).toBeChecked();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await screenshot(page, 'settings-appearance-dark-1280');
  await page.keyboard.press('ArrowLeft');
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');

  for (const [name, hash] of [
    ['Notifications', '#/settings/notifications'],
    ['Sessions', '#/settings/sessions'],
    ['Account', '#/settings/account'],
    ['Keyboard shortcuts', '#/settings/shortcuts'],
  ] as const) {
    const link = sections(page).getByRole('link', { name });
    await link.focus();
    await page.keyboard.press('Enter');
    await expect(link).toHaveAttribute('aria-current', 'page');
    expect(new URL(page.url()).hash).toBe(hash);
    await expect(settingsRegion(page).getByRole('heading', { name, level: 2 })).toBeVisible();
  }
  const shortcuts = settingsRegion(page).getByRole('table', { name: 'Keyboard shortcuts' });
  await expect(shortcuts.getByRole('row', { name: /Send the message/ })).toBeVisible();
  await expect(shortcuts.getByRole('row', { name: /Edit your last message/ })).toBeVisible();
  await screenshot(page, 'settings-shortcuts-light-1280');

  // A section's URL opens it directly, also on a phone, where Back returns to the rooms.
  const phone = await newUserPage(browser, { width: 375, colorScheme: 'dark' });
  await signIn(phone, alpha.serverName, 'dana', PASSWORD);
  await phone.goto(`${clientUrl()}/#/settings/sessions`);
  await expect(settingsRegion(phone).getByRole('heading', { name: 'Sessions', level: 2 })).toBeVisible();
  await expect(settingsRegion(phone).getByRole('list', { name: 'Your sessions' }).getByRole('listitem')).toHaveCount(3);
  await screenshot(phone, 'settings-sessions-dark-375');
  await phone.goto(`${clientUrl()}/#/settings/account`);
  await expect(settingsRegion(phone).getByRole('heading', { name: 'Password' })).toBeVisible();
  await screenshot(phone, 'settings-account-dark-375');
  await phone.getByRole('button', { name: 'Back to rooms' }).click();
  await expect(rooms(phone)).toBeVisible();
  await phone.context().close();
  await page.context().close();
});

test('a keyword set in settings makes what another person writes a mention', async ({ browser }) => {
  const dana = await newUserPage(browser, { width: 1280 });
  const erin = await newUserPage(browser, { width: 1280, colorScheme: 'dark' });
  await signIn(dana, alpha.serverName, 'dana', PASSWORD);
  await signIn(erin, alpha.serverName, 'erin', PASSWORD);
  await dana.getByRole('link', { name: 'Settings' }).click();
  await sections(dana).getByRole('link', { name: 'Notifications' }).click();
  const keyword = settingsRegion(dana).getByRole('textbox', { name: 'New keyword' });
  await keyword.fill('pine*');
  await keyword.press('Enter');
  await expect(settingsRegion(dana).getByRole('alert')).toContainText('cannot contain');
  await keyword.fill('pineapple');
  await keyword.press('Enter');
  const list = settingsRegion(dana).getByRole('list', { name: 'Your keywords' });
  await expect(list.getByRole('listitem')).toHaveText(['pineapple×']);
  await screenshot(dana, 'settings-notifications-light-1280');

  await rooms(erin)
    .getByRole('button', { name: /^Porch/ })
    .click();
  await sendMessage(erin, 'Who wants PINEAPPLE pie?');
  await expect(rooms(dana).getByRole('button', { name: /^Porch.*1 mention/ })).toBeVisible({ timeout: 30_000 });

  // Removing it: the next one is not a mention (the count stays at one).
  await list.getByRole('button', { name: 'Remove keyword pineapple' }).click();
  await expect(settingsRegion(dana).getByText('No keywords yet.')).toBeVisible();
  await sendMessage(erin, 'More pineapple, anyone?');
  await expect(rooms(dana).getByRole('button', { name: /^Porch.*2 unread/ })).toBeVisible({ timeout: 30_000 });
  await expect(rooms(dana).getByRole('button', { name: /^Porch.*1 mention/ })).toBeVisible();
});

test('sessions: rename one, and signing out the others (password again) signs out the other browser', async ({ browser }) => {
  const here = await newUserPage(browser, { width: 1280 });
  const there = await newUserPage(browser, { width: 1280 });
  await signIn(here, alpha.serverName, 'erin', PASSWORD);
  await signIn(there, alpha.serverName, 'erin', PASSWORD);
  await here.goto(`${clientUrl()}/#/settings/sessions`);
  const list = settingsRegion(here).getByRole('list', { name: 'Your sessions' });
  await expect(list.getByRole('listitem').first()).toContainText('This session');
  const other = list.getByRole('listitem').nth(1);
  await other.getByRole('button', { name: /^Rename / }).click();
  const name = settingsRegion(here).getByRole('textbox', { name: 'Session name' });
  await expect(name).toBeFocused();
  await name.fill('Laptop at work');
  await name.press('Enter');
  await expect(list.getByRole('button', { name: 'Rename Laptop at work' })).toBeVisible();

  await settingsRegion(here).getByRole('button', { name: 'Sign out all other sessions' }).click();
  const dialog = here.getByRole('dialog', { name: /^Sign out \d+ sessions?\?$/ });
  const password = dialog.getByLabel('Your password');
  await expect(password).toBeFocused();
  await password.fill('not my password');
  await password.press('Enter');
  await expect(dialog.getByRole('alert')).toHaveText('That password is not right.');
  await screenshot(here, 'settings-sign-out-others-light-1280');
  await password.fill(PASSWORD);
  await password.press('Enter');
  await expect(dialog).toBeHidden();
  await expect(settingsRegion(here).getByRole('status')).toContainText('signed out');
  await expect(list.getByRole('listitem')).toHaveCount(1);
  // The other browser is signed out.
  await expect(there.getByRole('button', { name: 'Sign in' })).toBeVisible({ timeout: 30_000 });
  // This one is not.
  await here.getByRole('link', { name: 'Settings' }).click();
  await expect(settingsRegion(here)).toBeVisible();
});

test('a changed password (weak ones refused) is the one that signs in', async ({ browser }) => {
  const page = await newUserPage(browser, { width: 1280, colorScheme: 'dark' });
  await signIn(page, alpha.serverName, 'dana', PASSWORD);
  await page.goto(`${clientUrl()}/#/settings/account`);
  const region = settingsRegion(page);
  await region.getByLabel('Current password').fill(PASSWORD);
  await region.getByLabel('New password', { exact: true }).fill('dana12345');
  await region.getByLabel('Repeat new password').fill('dana12345');
  await region.getByRole('button', { name: 'Change password' }).click();
  await expect(region.getByRole('alert')).toContainText('too easy to guess');
  await region.getByLabel('New password', { exact: true }).fill('dana grows tomatoes on the porch');
  await region.getByLabel('Repeat new password').fill('dana grows tomatoes on the porch');
  await region.getByRole('button', { name: 'Change password' }).click();
  await expect(region.getByRole('status')).toHaveText('Password changed. Your other sessions were signed out.');
  await screenshot(page, 'settings-account-dark-1280');

  const fresh = await newUserPage(browser);
  await fresh.goto('/');
  await fresh.getByLabel('Homeserver').fill(alpha.serverName);
  await fresh.getByLabel('Username').fill('dana');
  await fresh.getByLabel('Password').fill(PASSWORD);
  await fresh.getByRole('button', { name: 'Sign in' }).click();
  await expect(fresh.getByRole('alert')).toBeVisible();
  await signIn(fresh, alpha.serverName, 'dana', 'dana grows tomatoes on the porch');
});

test('deactivation asks first and for the password; the account leaves its rooms, which erin sees', async ({ browser }) => {
  const frank = await newUserPage(browser, { width: 1280 });
  const erin = await newUserPage(browser, { width: 1280 });
  await signIn(frank, alpha.serverName, 'frank', PASSWORD);
  await signIn(erin, alpha.serverName, 'erin', PASSWORD);
  await rooms(erin)
    .getByRole('button', { name: /^Porch/ })
    .click();

  await frank.goto(`${clientUrl()}/#/settings/account`);
  await settingsRegion(frank).getByRole('button', { name: 'Deactivate account…' }).click();
  const dialog = frank.getByRole('dialog', { name: 'Deactivate your account?' });
  await expect(dialog.getByLabel('Your password')).toBeFocused();
  await screenshot(frank, 'settings-deactivate-light-1280');
  // Cancel keeps everything.
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await settingsRegion(frank).getByRole('button', { name: 'Deactivate account…' }).click();
  await dialog.getByLabel('Your password').fill(PASSWORD);
  await dialog.getByRole('button', { name: 'Deactivate for good' }).click();
  await expect(frank.getByRole('button', { name: 'Sign in' })).toBeVisible({ timeout: 30_000 });

  await expect(erin.getByRole('log', { name: 'Messages' }).getByText(/Frank left/)).toBeVisible({ timeout: 30_000 });
  await frank.getByLabel('Homeserver').fill(alpha.serverName);
  await frank.getByLabel('Username').fill('frank');
  await frank.getByLabel('Password').fill(PASSWORD);
  await frank.getByRole('button', { name: 'Sign in' }).click();
  await expect(frank.getByRole('alert')).toBeVisible();
});

test('a portable account signs out its other sessions with the recovery key, and has no password to change', async ({ browser }) => {
  const secret = new Uint8Array(randomBytes(32));
  await portableAccount(alpha, 'hana', secret);
  const elsewhere = await loginPortable(alpha, secret);
  expect((await elsewhere.get('/_matrix/client/v3/account/whoami')).status).toBe(200);

  const page = await newUserPage(browser, { width: 1280, colorScheme: 'dark' });
  await page.goto('/');
  await page.getByRole('button', { name: 'Use a recovery key' }).click();
  await page.getByLabel('Homeserver').fill(alpha.serverName);
  await page.getByLabel('Recovery key', { exact: true }).fill(encodeRecoveryKey(secret));
  await page.getByRole('button', { name: 'Sign in with recovery key' }).click();
  await expect(rooms(page)).toBeVisible({ timeout: 20_000 });

  await page.goto(`${clientUrl()}/#/settings/account`);
  await expect(settingsRegion(page).getByText('Your account signs in with your recovery key: it has no password to change.')).toBeVisible();
  await expect(settingsRegion(page).getByLabel('Current password')).toHaveCount(0);

  await sections(page).getByRole('link', { name: 'Sessions' }).click();
  await settingsRegion(page).getByRole('button', { name: 'Sign out all other sessions' }).click();
  const dialog = page.getByRole('dialog', { name: /^Sign out \d+ sessions?\?$/ });
  await expect(dialog.getByText('Confirm with your recovery key')).toBeVisible();
  await dialog.getByLabel('Recovery key', { exact: true }).fill(encodeRecoveryKey(secret));
  await screenshot(page, 'settings-sign-out-portable-dark-1280');
  await dialog.getByRole('button', { name: 'Sign out' }).click();
  await expect(dialog).toBeHidden();
  await expect(settingsRegion(page).getByRole('list', { name: 'Your sessions' }).getByRole('listitem')).toHaveCount(1);
  expect((await elsewhere.get('/_matrix/client/v3/account/whoami')).status).toBe(401);
});
