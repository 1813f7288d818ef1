// Message search: two people chat through a real homeserver; one searches the room and finds the right messages
// with the words marked and the sender named as the timeline names them; a word never sent finds nothing; many
// results load page by page; Escape closes; dark theme and a 375 px phone. A result is a button: with the keyboard
// alone, one from thousands of messages back opens in its room, marked, with its neighbours; then back to the latest.
import { expect, test, type Page } from '@playwright/test';
import { homeserverForSpec } from './support/homeserver';
import {
  apiJoinedRoomId,
  apiLogin,
  apiSend,
  createRoom,
  inviteAndAccept,
  message,
  newUserPage,
  register,
  screenshot,
  sendMessage,
  timeline,
} from './support/chat';

const serverName = 'alpha.localhost:20751';
const server = homeserverForSpec(serverName);

test.describe.configure({ mode: 'serial', timeout: 180_000 });

const searchDialog = (page: Page) => page.getByRole('dialog', { name: /^Search messages in / });
async function search(page: Page, words: string): Promise<void> {
  const dialog = searchDialog(page);
  await dialog.getByRole('searchbox', { name: 'Search messages' }).fill(words);
  await dialog.getByRole('searchbox', { name: 'Search messages' }).press('Enter');
}
const results = (page: Page) => searchDialog(page).getByRole('list', { name: 'Search results' }).getByRole('listitem');

test('two users chat; one searches: the right messages, marked, with the sender; nothing for a word never sent', async ({ browser }) => {
  const alice = await newUserPage(browser);
  const bob = await newUserPage(browser, { colorScheme: 'dark' });
  await register(alice, serverName, 'alice', 'alice-password');
  await register(bob, serverName, 'bob', 'bob-password');
  await createRoom(alice, 'Greenhouse');
  await inviteAndAccept(alice, bob, 'Greenhouse', `@bob:${serverName}`);
  await expect(bob.getByRole('heading', { name: 'Greenhouse' })).toBeVisible();

  await sendMessage(alice, 'Who waters the orchids today?');
  await sendMessage(bob, 'I watered the Orchids <b>yesterday</b>');
  await sendMessage(alice, 'Then the ferns are next');
  await expect(message(bob, 'Then the ferns are next')).toBeVisible();

  // Bob opens search from the room header with the keyboard.
  const searchButton = bob.getByRole('button', { name: 'Search', exact: true });
  await searchButton.focus();
  await bob.keyboard.press('Enter');
  await expect(searchDialog(bob)).toBeVisible();
  await expect(searchDialog(bob).getByRole('searchbox', { name: 'Search messages' })).toBeFocused();
  await search(bob, 'orchid');
  await expect(searchDialog(bob).getByRole('status')).toHaveText('2 messages match “orchid”.');
  await expect(results(bob)).toHaveCount(2);
  // Newest first: Bob's own, then Alice's, each named as the timeline names them.
  const [bobsHit, alicesHit] = [results(bob).nth(0), results(bob).nth(1)];
  // Each result is a button named by its sender, date and text.
  await expect(bobsHit.getByRole('button')).toHaveAccessibleName(/^bob, .*: I watered the Orchids <b>yesterday<\/b>$/);
  await expect(alicesHit.getByRole('button')).toHaveAccessibleName(/^alice, .*: Who waters the orchids today\?$/);
  await expect(bobsHit.locator('mark')).toHaveText(['Orchids']);
  await expect(alicesHit.locator('mark')).toHaveText(['orchids']);
  // Markup in a message is shown as text, never run.
  await expect(bobsHit).toContainText('<b>yesterday</b>');
  await expect(bobsHit.locator('b')).toHaveCount(0);
  // The message before and after, as context.
  await expect(bobsHit).toContainText('alice: Who waters the orchids today?');
  await expect(bobsHit).toContainText('alice: Then the ferns are next');
  await screenshot(bob, 'search-results-dark');

  // A word nobody sent.
  await search(bob, 'cactus');
  await expect(searchDialog(bob).getByRole('status')).toHaveText('No messages match “cactus”.');
  await expect(results(bob)).toHaveCount(0);
  await screenshot(bob, 'search-empty-dark');

  // Escape closes it and the Search button has the focus again.
  await bob.keyboard.press('Escape');
  await expect(searchDialog(bob)).toBeHidden();
  await expect(searchButton).toBeFocused();

  // Many matches: a page of 20, then Load more brings the rest.
  const token = await apiLogin(server.hs.baseUrl, 'alice', 'alice-password');
  const roomId = await apiJoinedRoomId(server.hs.baseUrl, token);
  for (let i = 1; i <= 23; i++) await apiSend(server.hs.baseUrl, token, roomId, `seedling tray ${i}`, `seed-${i}`);
  await alice.getByRole('button', { name: 'Search', exact: true }).click();
  await search(alice, 'seedl');
  await expect(results(alice)).toHaveCount(20);
  await expect(results(alice).first().locator('mark')).toHaveText(['seedling']);
  await expect(results(alice).first()).toContainText('seedling tray 23');
  await searchDialog(alice).getByRole('button', { name: 'Load more' }).click();
  await expect(results(alice)).toHaveCount(23);
  await expect(results(alice).last()).toContainText('seedling tray 1');
  await expect(searchDialog(alice).getByRole('button', { name: 'Load more' })).toHaveCount(0);
  await screenshot(alice, 'search-load-more-light');
});

test('usable on a 375 px phone', async ({ browser }) => {
  const carol = await newUserPage(browser, { width: 375 });
  await register(carol, serverName, 'carol', 'carol-password');
  await createRoom(carol, 'Pocket');
  await sendMessage(carol, 'a very long message about tomatoes that has to wrap on a narrow phone screen without spilling sideways');
  await screenshot(carol, 'room-header-phone-light');
  await carol.getByRole('button', { name: 'Search', exact: true }).click();
  await search(carol, 'tomatoes');
  await expect(results(carol)).toHaveCount(1);
  const width = await searchDialog(carol).evaluate((dialog) => ({ scroll: dialog.scrollWidth, client: dialog.clientWidth }));
  expect(width.scroll).toBeLessThanOrEqual(width.client);
  await screenshot(carol, 'search-phone-light');
  await searchDialog(carol).getByRole('button', { name: 'Close search' }).click();
  await expect(searchDialog(carol)).toBeHidden();
});

test('keyboard only: a result thousands of messages back opens in its room, marked, with its neighbours; Jump to latest returns', async ({
  browser,
}) => {
  test.setTimeout(400_000);
  const dora = await newUserPage(browser, { colorScheme: 'dark' });
  await register(dora, serverName, 'dora', 'dora-password');
  await createRoom(dora, 'Archive');
  await sendMessage(dora, 'Before the storm the harbour was quiet');
  await sendMessage(dora, 'The lighthouse keeper wrote in his logbook');
  await sendMessage(dora, 'After that the ships came back');
  await expect(message(dora, 'After that the ships came back')).toBeVisible();
  // History: a few thousand messages after those three (seeded over the API, as another device would send them).
  const token = await apiLogin(server.hs.baseUrl, 'dora', 'dora-password');
  const rooms = (await (
    await fetch(`${server.hs.baseUrl}/_matrix/client/v3/joined_rooms`, { headers: { Authorization: `Bearer ${token}` } })
  ).json()) as { joined_rooms: string[] };
  expect(rooms.joined_rooms).toHaveLength(1);
  const roomId = rooms.joined_rooms[0]!;
  const total = 2500;
  // Dora's tab is closed meanwhile (her client would otherwise take in all 2500 live, which is not what this tests
  // and costs the machine more than the sends), then opened again on the same room.
  const roomUrl = dora.url();
  await dora.goto('about:blank');
  for (let i = 1; i <= total; i++) await apiSend(server.hs.baseUrl, token, roomId, `harbour log entry ${i}`, `log-${i}`);
  // A fresh load: only the newest page is in the timeline.
  await dora.goto(roomUrl);
  await expect(message(dora, `harbour log entry ${total}`)).toBeVisible({ timeout: 30_000 });
  await expect(message(dora, 'The lighthouse keeper')).toHaveCount(0);

  // Search with the keyboard: the Search button, the words, Enter; the arrow key to the result; Enter opens it.
  await dora.getByRole('button', { name: 'Search', exact: true }).focus();
  await dora.keyboard.press('Enter');
  await expect(searchDialog(dora).getByRole('searchbox', { name: 'Search messages' })).toBeFocused();
  await dora.keyboard.type('lighthouse');
  await dora.keyboard.press('Enter');
  await expect(results(dora)).toHaveCount(1);
  const result = results(dora).first().getByRole('button');
  await expect(result).toHaveAccessibleName(/^dora, .*: The lighthouse keeper wrote in his logbook$/);
  await dora.keyboard.press('ArrowDown');
  await expect(result).toBeFocused();
  const eventId = await result.getAttribute('data-event-id');
  await dora.keyboard.press('Enter');

  await expect(searchDialog(dora)).toBeHidden();
  await expect.poll(() => dora.evaluate(() => decodeURIComponent(location.hash))).toBe(`#/room/${roomId}/${eventId}`);
  const focused = timeline(dora).locator('[data-focused]');
  await expect(focused).toContainText('The lighthouse keeper wrote in his logbook', { timeout: 30_000 });
  await expect(focused).toBeInViewport();
  await expect(message(dora, 'Before the storm the harbour was quiet')).toBeInViewport();
  await expect(message(dora, 'After that the ships came back')).toBeInViewport();
  await expect(
    timeline(dora)
      .getByRole('article')
      .filter({ hasText: /harbour log entry 1(?!\d)/ }),
  ).toBeInViewport();
  await expect(message(dora, `harbour log entry ${total}`)).toHaveCount(0);
  await dora.mouse.move(0, 0);
  await screenshot(dora, 'search-jump-far-back-dark');

  // Back to the live end, by keyboard too.
  const latest = dora.getByRole('button', { name: 'Jump to latest' });
  await latest.focus();
  await dora.keyboard.press('Enter');
  await expect(message(dora, `harbour log entry ${total}`)).toBeInViewport({ timeout: 30_000 });
  await expect(timeline(dora).locator('[data-focused]')).toHaveCount(0);
  await expect.poll(() => dora.evaluate(() => decodeURIComponent(location.hash))).toBe(`#/room/${roomId}`);
  await expect(latest).toHaveCount(0);
});
