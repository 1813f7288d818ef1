// Browser notifications: a mention in a room you are not looking at shows a system notification whose
// sender went through identity, clicking it opens the room, and the tab title counts what is unread.
import { expect, test, type Page } from '@playwright/test';
import { homeserverForSpec } from './support/homeserver';
import { apiLogin, clientUrl, createRoom, inviteAndAccept, message, screenshot, sendMessage, signedUpPage, timeline } from './support/chat';

const serverName = 'alpha.localhost:19601';
const CLASSIC = '11'; // a room version whose members are user IDs, not keys
const server = homeserverForSpec(serverName);

test.describe.configure({ mode: 'serial', timeout: 180_000 });

interface Shown {
  title: string;
  body: string;
}

/** Wraps window.Notification before the app loads: every notification is recorded, and the real one still made. */
async function recordNotifications(page: Page): Promise<void> {
  await page.context().grantPermissions(['notifications'], { origin: clientUrl() });
  await page.addInitScript(() => {
    const Real = window.Notification;
    const shown: { title: string; body: string }[] = [];
    class Recorded extends Real {
      constructor(title: string, options?: NotificationOptions) {
        super(title, options);
        shown.push({ title, body: options?.body ?? '' });
        (window as unknown as { lastNotification: Notification }).lastNotification = this;
      }
    }
    Object.defineProperty(Recorded, 'permission', { get: () => Real.permission });
    Object.defineProperty(Recorded, 'requestPermission', { value: Real.requestPermission.bind(Real) });
    Object.defineProperty(window, 'Notification', { value: Recorded, configurable: true, writable: true });
    (window as unknown as { shownNotifications: typeof shown }).shownNotifications = shown;
  });
}

const shownNotifications = (page: Page) =>
  page.evaluate(() => [...(window as unknown as { shownNotifications: Shown[] }).shownNotifications]);

async function sendMention(token: string, roomId: string, body: string, userId: string, txnId: string): Promise<void> {
  const response = await fetch(`${server.hs.baseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txnId}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ msgtype: 'm.text', body, 'm.mentions': { user_ids: [userId] } }),
  });
  if (!response.ok) throw new Error(`send failed: ${response.status} ${await response.text()}`);
}

test('a mention in another room notifies with the sender from identity; click opens the room; tab title counts unread', async ({
  browser,
}) => {
  const alice = await signedUpPage(browser, serverName, 'alice', { beforeSignUp: recordNotifications });
  const bob = await signedUpPage(browser, serverName, 'bob', { colorScheme: 'dark' });

  // Off until the user turns it on; turning it on asks permission (granted to this context).
  const toggle = alice.getByRole('switch', { name: 'Desktop notifications' });
  await expect(toggle).not.toBeChecked();
  await toggle.check();
  await expect(toggle).toBeChecked();

  // Alice makes Garden, invites Bob; Bob joins. Then Alice opens Lounge and stays there.
  await createRoom(alice, 'Garden', { version: CLASSIC });
  await inviteAndAccept(alice, bob, 'Garden', `@bob:${serverName}`);
  await expect(timeline(alice).getByText('bob joined')).toBeVisible();
  // Bob's own message in the open room: neither his tab nor Alice's (she is looking at it) notifies.
  await sendMessage(bob, 'Hello from the garden');
  await expect(message(alice, 'Hello from the garden')).toBeVisible();
  await createRoom(alice, 'Lounge', { version: CLASSIC });
  await expect(alice).toHaveTitle('Wayfarer');
  expect(await shownNotifications(alice)).toEqual([]);

  // Bob mentions Alice in Garden while she reads Lounge.
  const bobToken = await apiLogin(server.hs.baseUrl, 'bob', 'bob-password');
  const rooms = (await (
    await fetch(`${server.hs.baseUrl}/_matrix/client/v3/joined_rooms`, { headers: { Authorization: `Bearer ${bobToken}` } })
  ).json()) as { joined_rooms: string[] };
  expect(rooms.joined_rooms).toHaveLength(1);
  await sendMention(bobToken, rooms.joined_rooms[0]!, 'alice: lunch at noon?', `@alice:${serverName}`, 'mention-1');

  await expect.poll(() => shownNotifications(alice)).toEqual([{ title: 'Garden', body: 'bob: alice: lunch at noon?' }]);
  await expect(alice).toHaveTitle('(1) Wayfarer');
  await expect(alice.getByRole('button', { name: /^Garden, 1 unread/ })).toBeVisible();
  await screenshot(alice, 'notifications-unread-title');

  // Clicking the notification opens Garden; reading it clears the count.
  await alice.evaluate(() => (window as unknown as { lastNotification: Notification }).lastNotification.dispatchEvent(new Event('click')));
  await expect(alice.getByRole('heading', { name: 'Garden' })).toBeVisible();
  await expect(message(alice, 'lunch at noon?')).toBeVisible();
  await expect(alice).toHaveTitle('Wayfarer');

  // Now that Garden is open and visible, a new message there does not notify.
  await sendMention(bobToken, rooms.joined_rooms[0]!, 'alice: still there?', `@alice:${serverName}`, 'mention-2');
  await expect(message(alice, 'still there?')).toBeVisible();
  expect(await shownNotifications(alice)).toHaveLength(1);

  // A member-key room: the sender is a key, resolved through identity to Bob's verified name.
  // The server's default version: its members are keys.
  await createRoom(alice, 'Studio');
  await inviteAndAccept(alice, bob, 'Studio', `@bob:${serverName}`);
  await expect(timeline(alice).getByText('bob joined')).toBeVisible();
  await alice.getByRole('button', { name: /^Lounge/ }).click();
  await expect(alice.getByRole('heading', { name: 'Lounge' })).toBeVisible();
  const bobRooms = (await (
    await fetch(`${server.hs.baseUrl}/_matrix/client/v3/joined_rooms`, { headers: { Authorization: `Bearer ${bobToken}` } })
  ).json()) as { joined_rooms: string[] };
  const studioId = bobRooms.joined_rooms.find((id) => id !== rooms.joined_rooms[0]);
  expect(studioId).toBeDefined();
  await sendMention(bobToken, studioId!, 'alice: the studio is free', `@alice:${serverName}`, 'mention-3');
  await expect
    .poll(async () => (await shownNotifications(alice)).at(-1))
    .toEqual({ title: 'Studio', body: 'bob: alice: the studio is free' });
  await expect(alice).toHaveTitle('(1) Wayfarer');

  // The setting is kept across a reload.
  await alice.reload();
  await expect(alice.getByRole('switch', { name: 'Desktop notifications' })).toBeChecked();
});
