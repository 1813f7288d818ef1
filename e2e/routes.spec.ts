// Routes: the URL says which room is open. Picking a room sets `#/room/{id}`, a reload reopens it, Back and
// Forward move between rooms, a permalink opened in a fresh page (even signed out) lands in its room, an
// alias resolves, an unknown room says so, matrix.to links in messages open in the app, and a search
// result opens `#/room/{id}/{eventId}` with the event on screen and marked, also one far back in history.
import { expect, test, type Page } from '@playwright/test';
import { homeserverForSpec } from './support/homeserver';
import { apiLogin, apiSend, createRoom, message, newUserPage, register, screenshot, sendMessage, signIn, timeline } from './support/chat';

const serverName = 'alpha.localhost:20811';
const server = homeserverForSpec(serverName);

test.describe.configure({ mode: 'serial', timeout: 240_000 });

const roomHeading = (page: Page, name: string) => page.getByRole('heading', { name, exact: true, level: 1 });
const openRoomId = (page: Page) => page.evaluate(() => decodeURIComponent(/^#\/room\/([^/?]+)/.exec(location.hash)?.[1] ?? ''));
const roomButton = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Rooms' }).getByRole('button', { name: new RegExp(`^${name}`) });

async function apiAlias(token: string, alias: string, roomId: string): Promise<void> {
  const response = await fetch(`${server.hs.baseUrl}/_matrix/client/v3/directory/room/${encodeURIComponent(alias)}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ room_id: roomId }),
  });
  if (!response.ok) throw new Error(`alias failed: ${response.status} ${await response.text()}`);
}

let lobbyId = '';
let libraryId = '';

test('the open room is the URL: reload reopens it, Back and Forward move between rooms, permalinks and aliases land in it', async ({
  browser,
}) => {
  const alice = await newUserPage(browser);
  await register(alice, serverName, 'alice', 'alice-password');
  await expect(alice).toHaveURL(/#\/$|\/$/);

  await createRoom(alice, 'Lobby');
  lobbyId = await openRoomId(alice);
  expect(lobbyId).toMatch(/^!\S+$/);
  // The hash keeps the ID readable: as it is, not percent-encoded.
  await expect(alice).toHaveURL(new RegExp(`#/room/${lobbyId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
  await sendMessage(alice, 'Welcome to the lobby');
  await createRoom(alice, 'Library');
  libraryId = await openRoomId(alice);
  expect(libraryId).not.toBe(lobbyId);

  // Picking a room in the list moves the URL; the list marks the open one.
  await roomButton(alice, 'Lobby').click();
  await expect(roomHeading(alice, 'Lobby')).toBeVisible();
  expect(await openRoomId(alice)).toBe(lobbyId);
  await expect(roomButton(alice, 'Lobby')).toHaveAttribute('aria-current', 'page');
  await roomButton(alice, 'Library').click();
  await expect(roomHeading(alice, 'Library')).toBeVisible();

  // A reload reopens the same room.
  await alice.reload();
  await expect(roomHeading(alice, 'Library')).toBeVisible({ timeout: 20_000 });
  expect(await openRoomId(alice)).toBe(libraryId);

  // Back returns to the previous room, Forward comes back.
  await alice.goBack();
  await expect(roomHeading(alice, 'Lobby')).toBeVisible();
  await expect(message(alice, 'Welcome to the lobby')).toBeVisible();
  await alice.goForward();
  await expect(roomHeading(alice, 'Library')).toBeVisible();

  // A permalink opened in a fresh page of the same browser lands in that room.
  const fresh = await alice.context().newPage();
  await fresh.goto(`/#/room/${encodeURIComponent(lobbyId)}`);
  await expect(roomHeading(fresh, 'Lobby')).toBeVisible({ timeout: 20_000 });
  await expect(message(fresh, 'Welcome to the lobby')).toBeVisible();
  await fresh.close();

  // Signed out in a new browser: the permalink waits through sign-in, then opens its room.
  const elsewhere = await newUserPage(browser);
  await elsewhere.goto(`/#/room/${lobbyId}`);
  await elsewhere.getByLabel('Homeserver').fill(serverName);
  await elsewhere.getByLabel('Username').fill('alice');
  await elsewhere.getByLabel('Password').fill('alice-password');
  await elsewhere.getByRole('button', { name: 'Sign in' }).click();
  await expect(roomHeading(elsewhere, 'Lobby')).toBeVisible({ timeout: 20_000 });

  // An alias route resolves the alias, and the room ID's route takes its place.
  const token = await apiLogin(server.hs.baseUrl, 'alice', 'alice-password');
  await apiAlias(token, `#lobby:${serverName}`, lobbyId);
  await elsewhere.goto(`/#/room/%23lobby:${serverName}`);
  await expect(roomHeading(elsewhere, 'Lobby')).toBeVisible({ timeout: 20_000 });
  await expect.poll(() => openRoomId(elsewhere)).toBe(lobbyId);

  // A room this account is not in, and an alias nobody set, say so.
  await elsewhere.goto(`/#/room/!nowhere:${serverName}`);
  const notFound = elsewhere.getByRole('region', { name: 'Room not found, or not joined' });
  await expect(notFound).toBeVisible({ timeout: 20_000 });
  await expect(notFound.getByRole('button', { name: 'Join this room' })).toBeVisible();
  await screenshot(elsewhere, 'routes-room-not-found');
  await elsewhere.goto(`/#/room/%23nothing:${serverName}`);
  await expect(elsewhere.getByRole('region', { name: 'Room not found' })).toContainText(`No room is called #nothing:${serverName}.`);
  await elsewhere.getByRole('button', { name: 'Back to rooms' }).click();
  await expect(elsewhere.getByText('Pick a room, or create one.')).toBeVisible();

  // Settings has a route.
  await elsewhere.goto('/#/settings');
  await expect(elsewhere.getByRole('region', { name: 'Settings' })).toBeVisible();
  await elsewhere.context().close();
  await alice.context().close();
});

test('matrix.to links in messages open rooms and events in the app', async ({ browser }) => {
  const alice = await newUserPage(browser);
  await signIn(alice, serverName, 'alice', 'alice-password');
  await roomButton(alice, 'Lobby').click();
  await expect(message(alice, 'Welcome to the lobby')).toBeVisible();
  const welcomeId = await message(alice, 'Welcome to the lobby').getAttribute('data-event-id');
  expect(welcomeId).toMatch(/^\$/);

  await roomButton(alice, 'Library').click();
  await expect(roomHeading(alice, 'Library')).toBeVisible();
  const roomLink = `https://matrix.to/#/${lobbyId}`;
  const eventLink = `https://matrix.to/#/${encodeURIComponent(lobbyId)}/${encodeURIComponent(welcomeId!)}?via=${serverName}`;
  await sendMessage(alice, `The lobby is ${roomLink} and the welcome is ${eventLink}`);
  const sent = message(alice, 'The lobby is');
  await expect(sent).toBeVisible();
  // A link to a room shows as a pill named by the room (mentions), pointing at the room's route, in this tab.
  const roomPill = sent.getByRole('link', { name: 'Lobby', exact: true });
  await expect(roomPill).toHaveAttribute('href', `#/room/${lobbyId}`);
  await expect(roomPill).not.toHaveAttribute('target');
  await roomPill.click();
  await expect(roomHeading(alice, 'Lobby')).toBeVisible();
  expect(await openRoomId(alice)).toBe(lobbyId);

  await alice.goBack();
  await expect(roomHeading(alice, 'Library')).toBeVisible();
  await message(alice, 'The lobby is').getByRole('link', { name: eventLink, exact: true }).click();
  await expect(roomHeading(alice, 'Lobby')).toBeVisible();
  await expect(alice).toHaveURL(/\/\$/);
  await expect(timeline(alice).locator('[data-focused]')).toContainText('Welcome to the lobby');
  await alice.context().close();
});

test('a search result opens the event route: the event on screen and marked, also one far back in history', async ({ browser }) => {
  const alice = await newUserPage(browser);
  await signIn(alice, serverName, 'alice', 'alice-password');
  await roomButton(alice, 'Library').click();
  await expect(roomHeading(alice, 'Library')).toBeVisible();
  // The needle, then 120 messages after it: more than the first sync and two pages of history hold.
  await sendMessage(alice, 'The atlas is on the top shelf');
  const token = await apiLogin(server.hs.baseUrl, 'alice', 'alice-password');
  for (let i = 1; i <= 120; i++) await apiSend(server.hs.baseUrl, token, libraryId, `shelf note ${i}`, `note-${i}`);
  await expect(message(alice, 'shelf note 120')).toBeVisible({ timeout: 20_000 });
  // A fresh load: only the newest page is in the timeline.
  await alice.reload();
  await expect(message(alice, 'shelf note 120')).toBeVisible({ timeout: 20_000 });
  await expect(message(alice, 'The atlas is on the top shelf')).toHaveCount(0);

  await alice.getByRole('button', { name: 'Search', exact: true }).click();
  const dialog = alice.getByRole('dialog', { name: /^Search messages in / });
  await dialog.getByRole('searchbox', { name: 'Search messages' }).fill('atlas');
  await dialog.getByRole('searchbox', { name: 'Search messages' }).press('Enter');
  const hit = dialog.getByRole('list', { name: 'Search results' }).getByRole('listitem').first();
  const eventId = await hit.getByRole('button').getAttribute('data-event-id');
  await hit.getByRole('button').click();
  await expect(dialog).toBeHidden();
  await expect.poll(() => alice.evaluate(() => decodeURIComponent(location.hash))).toBe(`#/room/${libraryId}/${eventId}`);
  const focused = timeline(alice).locator('[data-focused]');
  await expect(focused).toContainText('The atlas is on the top shelf', { timeout: 30_000 });
  await expect(focused).toBeInViewport();
  await alice.mouse.move(0, 0);
  await screenshot(alice, 'routes-search-jump');

  // Back returns to the room as it was; a reload of the event route shows the event again.
  await alice.reload();
  await expect(timeline(alice).locator('[data-focused]')).toContainText('The atlas is on the top shelf', { timeout: 30_000 });
  await alice.goBack();
  await expect(alice).toHaveURL(/#\/room\/[^/]+$/);
  await expect(timeline(alice).locator('[data-focused]')).toHaveCount(0);
  await alice.context().close();
});
