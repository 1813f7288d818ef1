// Sign-in errors in words, keyboard-only use, phone width, dark theme, invites and the room list.
import { expect, test } from '@playwright/test';
import { homeserverForSpec } from './support/homeserver';
import { apiJoinedRoomId, apiLogin, clientUrl, message, newUserPage, timeline, register, screenshot, sendMessage } from './support/chat';

const serverName = 'alpha.localhost:18611';
const server = homeserverForSpec(serverName);

test.describe.configure({ mode: 'serial', timeout: 120_000 });

test('sign-in explains what went wrong: unreachable, not Matrix, wrong password', async ({ browser }) => {
  const page = await newUserPage(browser);
  await page.goto('/');
  await screenshot(page, 'sign-in-light');
  await page.getByLabel('Homeserver').fill('alpha.localhost:18698'); // nothing listens there
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill('x');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText("Can't reach http://alpha.localhost:18698");

  await page.getByLabel('Homeserver').fill(clientUrl()); // a web server, not Matrix
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText("isn't a Matrix homeserver");

  await page.getByLabel('Homeserver').fill(serverName);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText('Wrong username or password');
});

test('keyboard only: register, create a room, send, edit with the Up arrow, sign out', async ({ browser }) => {
  const page = await newUserPage(browser, { colorScheme: 'dark' });
  await page.goto('/');
  await screenshot(page, 'sign-in-dark');
  // Tab order: homeserver, username, password, sign in, create-account toggle.
  await page.getByLabel('Homeserver').focus();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Create an account instead' })).toBeFocused();
  await page.keyboard.press('Enter');
  await page.getByLabel('Homeserver').focus();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type(serverName);
  await page.keyboard.press('Tab');
  await page.keyboard.type('carol');
  await page.keyboard.press('Tab');
  await page.keyboard.type('carol-password');
  await page.keyboard.press('Tab'); // the password again
  await page.keyboard.type('carol-password');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('navigation', { name: 'Rooms' })).toBeVisible({ timeout: 20_000 });

  await page.getByRole('button', { name: 'New room' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByLabel('Room name')).toBeFocused();
  await page.keyboard.type('Keyboard club');
  await screenshot(page, 'create-room-dark');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Keyboard club' })).toBeVisible();
  await expect(page.getByRole('textbox', { name: 'Message' })).toBeFocused();
  await page.keyboard.type('typed without a mouse');
  await page.keyboard.press('Enter');
  await expect(message(page, 'typed without a mouse')).toBeVisible();
  await expect(message(page, 'typed without a mouse').getByText('Sending…')).toBeHidden(); // only sent messages can be edited
  await page.keyboard.press('ArrowUp');
  await expect(page.getByText('Editing your message')).toBeVisible();
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.type('typed without a mouse, fixed');
  await page.keyboard.press('Enter');
  await expect(message(page, 'typed without a mouse, fixed').getByText('(edited)')).toBeVisible();
  await screenshot(page, 'chat-keyboard-dark');

  await page.getByRole('button', { name: 'Sign out' }).focus();
  await page.keyboard.press('Enter');
  // It asks first, Cancel focused; Tab to Sign out and confirm.
  await expect(page.getByRole('dialog', { name: 'Sign out?' }).getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { name: 'Sign in to Wayfarer' })).toBeVisible();
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Sign in to Wayfarer' })).toBeVisible();
});

test('phone width: invites, accept, chat, back to the list, filter', async ({ browser }) => {
  const dave = await newUserPage(browser, { width: 375 });
  const erin = await newUserPage(browser, { width: 375, colorScheme: 'dark' });
  await register(dave, serverName, 'dave', 'dave-password');
  await register(erin, serverName, 'erin', 'erin-password');

  for (const name of ['Garden', 'Book club']) {
    await dave.getByRole('button', { name: 'New room' }).click();
    await dave.getByLabel('Room name').fill(name);
    await dave.getByRole('button', { name: 'Create room' }).click();
    await expect(dave.getByRole('heading', { name })).toBeVisible();
    await dave.getByRole('button', { name: 'Invite' }).click();
    await dave.getByLabel('User ID').fill('erin'); // not a user ID: caught before asking the server
    await dave.getByRole('button', { name: 'Send invite' }).click();
    await expect(dave.getByRole('dialog').getByRole('alert')).toContainText('@alice:example.org');
    await dave.getByLabel('User ID').fill(`@erin:${serverName}`);
    await dave.getByRole('button', { name: 'Send invite' }).click();
    await expect(dave.getByRole('dialog')).toBeHidden();
    await screenshot(dave, `phone-chat-${name === 'Garden' ? 'garden' : 'books'}-light`);
    await dave.getByRole('button', { name: 'Back to rooms' }).click();
  }

  await expect(erin.getByRole('region', { name: 'Invites' }).getByRole('listitem')).toHaveCount(2);
  await expect(erin.getByText('Invited by dave').first()).toBeVisible();
  await screenshot(erin, 'phone-invites-dark');
  await erin.getByRole('button', { name: 'Decline invite to Book club' }).click();
  await expect(erin.getByRole('button', { name: 'Accept invite to Book club' })).toBeHidden();
  await erin.getByRole('button', { name: 'Accept invite to Garden' }).click();
  await expect(erin.getByRole('heading', { name: 'Garden' })).toBeVisible();
  await sendMessage(erin, 'Tomatoes are in! See https://example.org/tomatoes');
  await expect(erin.getByRole('link', { name: 'https://example.org/tomatoes' })).toHaveAttribute('rel', /noopener/);
  await screenshot(erin, 'phone-chat-dark');

  // On a phone the members panel covers the room as a modal dialog: focus moves in, Tab stays in it,
  // Escape closes it and gives focus back to the Members button.
  await erin.getByRole('button', { name: 'Members' }).focus();
  await erin.keyboard.press('Enter');
  const members = erin.getByRole('dialog', { name: 'Members' });
  await expect(members).toBeVisible();
  await expect(members.getByRole('button', { name: 'Close members' })).toBeFocused();
  for (let i = 0; i < 6; i++) {
    await erin.keyboard.press('Tab');
    const inPanel = await erin.evaluate(
      () => !document.activeElement || document.activeElement === document.body || !!document.activeElement.closest('[aria-modal="true"]'),
    );
    expect(inPanel, `Tab ${i + 1} left the members dialog`).toBe(true);
  }
  await screenshot(erin, 'phone-members-dark');
  await members.getByRole('button', { name: 'Close members' }).focus();
  await erin.keyboard.press('Escape');
  await expect(members).toBeHidden();
  await expect(erin.getByRole('button', { name: 'Members' })).toBeFocused();

  // Dave, on the list screen, sees the unread count and the newest room first.
  await expect(dave.getByRole('button', { name: /^Garden, 1 unread/ })).toBeVisible();
  await dave.getByRole('searchbox', { name: 'Filter rooms' }).fill('book');
  await expect(dave.getByRole('button', { name: /^Garden/ })).toBeHidden();
  await expect(dave.getByRole('button', { name: /^Book club/ })).toBeVisible();
  await dave.getByRole('searchbox', { name: 'Filter rooms' }).fill('');
  await screenshot(dave, 'phone-rooms-light');
  await dave.getByRole('button', { name: /^Garden/ }).click();
  await expect(message(dave, 'Tomatoes are in!')).toBeVisible();
  await expect(dave.getByRole('button', { name: /^Garden, 1 unread/ })).toBeHidden();
});

test('join by room ID, leave, and the offline banner', async ({ browser }) => {
  const frank = await newUserPage(browser);
  const gina = await newUserPage(browser);
  await register(frank, serverName, 'frank', 'frank-password');
  await register(gina, serverName, 'gina', 'gina-password');

  await frank.getByRole('button', { name: 'New room' }).click();
  await frank.getByLabel('Room name').fill('Town square');
  await frank.getByLabel('Public (anyone can join)').check();
  await frank.getByRole('button', { name: 'Create room' }).click();
  await expect(frank.getByRole('heading', { name: 'Town square' })).toBeVisible();
  const token = await apiLogin(server.hs.baseUrl, 'frank', 'frank-password');
  const roomId = await apiJoinedRoomId(server.hs.baseUrl, token);

  await gina.getByRole('button', { name: 'Join room' }).click();
  const join = gina.getByRole('dialog', { name: 'Join a room' });
  await join.getByLabel('Room ID or alias').fill('town square');
  await join.getByRole('button', { name: 'Join' }).click();
  await expect(join.getByRole('alert')).toContainText('starts with # (alias) or ! (room ID)');
  await join.getByLabel('Room ID or alias').fill('#nowhere:' + serverName);
  await join.getByRole('button', { name: 'Join' }).click();
  await expect(join.getByRole('alert')).toContainText('Could not join');
  await join.getByLabel('Room ID or alias').fill(roomId);
  await join.getByRole('button', { name: 'Join' }).click();
  await expect(gina.getByRole('heading', { name: 'Town square' })).toBeVisible();
  await sendMessage(gina, 'hello square');
  await expect(message(frank, 'hello square')).toBeVisible();

  // The browser goes offline: the banner says so and comes back by itself.
  await gina.context().setOffline(true);
  await expect(gina.getByRole('status', { name: 'Connection' })).toContainText("You're offline");
  await gina.context().setOffline(false);
  await expect(gina.getByRole('status', { name: 'Connection' })).toHaveAttribute('data-state', 'syncing', { timeout: 30_000 });

  await gina.getByRole('button', { name: 'Leave' }).click();
  await gina.getByRole('dialog', { name: 'Leave Town square?' }).getByRole('button', { name: 'Leave room' }).click();
  await expect(gina.getByRole('button', { name: /^Town square/ })).toBeHidden();
  await expect(timeline(frank).getByText('gina left')).toBeVisible();
});

test('a session ended on the server lands on the sign-in screen with a reason, and stays signed out after a reload', async ({
  browser,
}) => {
  const page = await newUserPage(browser);
  await register(page, serverName, 'hank', 'hank-password');
  // "Sign out everywhere" from another device revokes this browser's token.
  const token = await apiLogin(server.hs.baseUrl, 'hank', 'hank-password');
  const response = await fetch(`${server.hs.baseUrl}/_matrix/client/v3/logout/all`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(response.ok).toBe(true);
  // The client finds out with its next request: at the latest when the current long-poll sync returns.
  await expect(page.getByRole('heading', { name: 'Sign in to Wayfarer' })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByText('Your session ended on the server. Sign in again.')).toBeVisible();
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Sign in to Wayfarer' })).toBeVisible();
});
