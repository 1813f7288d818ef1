// Unread counts as the reader meets them: three people in three browsers, the reader's room list badges and tab
// title follow the server's unread_notifications and her read receipts; her own messages never count, and a
// message she sends (from this browser or another device) reads everything before it. The counts survive a reload.
import { expect, test, type Page } from '@playwright/test';
import { homeserverForSpec } from './support/homeserver';
import { apiLogin, apiSend, createRoom, inviteAndAccept, message, screenshot, sendMessage, signedUpPage } from './support/chat';

const serverName = 'alpha.localhost:21300';
const CLASSIC = '11';
const server = homeserverForSpec(serverName);

test.describe.configure({ mode: 'serial', timeout: 240_000 });

/** The room list's button for `name`: its accessible name carries the count ("Porch, 2 unread"). */
const roomButton = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Rooms' }).getByRole('button', { name: new RegExp(`^${name}(,|$)`) });

async function expectUnread(page: Page, name: string, count: number): Promise<void> {
  const button = roomButton(page, name);
  if (count === 0) await expect(button).toHaveAccessibleName(name);
  else await expect(button).toHaveAccessibleName(`${name}, ${count} unread`);
}

async function openRoom(page: Page, name: string): Promise<void> {
  await roomButton(page, name).click();
  await expect(page.getByRole('heading', { name })).toBeVisible();
}

async function roomIdNamed(token: string, name: string): Promise<string> {
  const base = server.hs.baseUrl;
  const headers = { Authorization: `Bearer ${token}` };
  const { joined_rooms } = (await (await fetch(`${base}/_matrix/client/v3/joined_rooms`, { headers })).json()) as {
    joined_rooms: string[];
  };
  for (const roomId of joined_rooms) {
    const response = await fetch(`${base}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/state/m.room.name/`, { headers });
    if (response.ok && ((await response.json()) as { name?: string }).name === name) return roomId;
  }
  throw new Error(`no joined room named ${name}`);
}

test('several senders: badges and the tab title count what is unread, never your own messages, across a reload', async ({ browser }) => {
  const alice = await signedUpPage(browser, serverName, 'alice');
  const bob = await signedUpPage(browser, serverName, 'bob', { colorScheme: 'dark' });
  const carol = await signedUpPage(browser, serverName, 'carol');

  // Porch (the default, member-key room version) with all three; Studio (a classic room) with Alice and Bob.
  await createRoom(alice, 'Porch');
  await inviteAndAccept(alice, bob, 'Porch', `@bob:${serverName}`);
  await inviteAndAccept(alice, carol, 'Porch', `@carol:${serverName}`);
  await expect(bob.getByRole('heading', { name: 'Porch' })).toBeVisible();
  await expect(carol.getByRole('heading', { name: 'Porch' })).toBeVisible();
  await createRoom(alice, 'Studio', { version: CLASSIC });
  await inviteAndAccept(alice, bob, 'Studio', `@bob:${serverName}`);
  await openRoom(bob, 'Porch');

  // Alice talks in Porch from this browser, then goes to Lounge: her own message is the newest, nothing is unread.
  await createRoom(alice, 'Lounge');
  await openRoom(alice, 'Porch');
  await sendMessage(bob, 'Tea on the porch?');
  await expect(message(alice, 'Tea on the porch?')).toBeVisible();
  await sendMessage(alice, 'Coming in five');
  await expect(message(bob, 'Coming in five')).toBeVisible();
  await openRoom(alice, 'Lounge');
  await expectUnread(alice, 'Porch', 0);
  await expect(alice).toHaveTitle('Wayfarer');

  // Two people write: two unread, whatever Alice sent before.
  await sendMessage(bob, 'Kettle is on');
  await sendMessage(carol, 'Bringing biscuits');
  await expect(message(bob, 'Bringing biscuits')).toBeVisible();
  await expectUnread(alice, 'Porch', 2);
  await expect(alice).toHaveTitle('(2) Wayfarer');

  // Alice answers from her phone (another device, which sends no read receipt): her message reads what came
  // before it here too, and only what comes after counts.
  const phone = await apiLogin(server.hs.baseUrl, 'alice', 'alice-password');
  await apiSend(server.hs.baseUrl, phone, await roomIdNamed(phone, 'Porch'), 'On my way, from my phone', 'phone-1');
  await expect(roomButton(alice, 'Porch')).toContainText('On my way, from my phone');
  await expectUnread(alice, 'Porch', 0);
  await expect(alice).toHaveTitle('Wayfarer');
  await sendMessage(bob, 'See you there');
  await sendMessage(carol, 'Door is open');
  await expect(message(bob, 'Door is open')).toBeVisible();
  await expectUnread(alice, 'Porch', 2);

  // Another room's unread add up in the title.
  await openRoom(bob, 'Studio');
  await sendMessage(bob, 'Studio is free at six');
  await expectUnread(alice, 'Studio', 1);
  await expect(alice).toHaveTitle('(3) Wayfarer');
  await screenshot(alice, 'unread-counts-before-reload');

  // The same after a reload.
  await alice.reload();
  await expect(alice.getByRole('navigation', { name: 'Rooms' })).toBeVisible({ timeout: 20_000 });
  await expectUnread(alice, 'Porch', 2);
  await expectUnread(alice, 'Studio', 1);
  await expect(alice).toHaveTitle('(3) Wayfarer');

  // Reading Porch (her read receipt) clears it; the title keeps Studio's one. And so it stays after a reload.
  await openRoom(alice, 'Porch');
  await expect(message(alice, 'Door is open')).toBeVisible();
  await expectUnread(alice, 'Porch', 0);
  await expect(alice).toHaveTitle('(1) Wayfarer');
  await alice.reload();
  await expect(alice.getByRole('navigation', { name: 'Rooms' })).toBeVisible({ timeout: 20_000 });
  await expectUnread(alice, 'Porch', 0);
  await expectUnread(alice, 'Studio', 1);
  await expect(alice).toHaveTitle('(1) Wayfarer');
});
