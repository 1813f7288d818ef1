// Message search: two people chat through a real homeserver; one searches the room and finds the right messages
// with the words marked and the sender named as the timeline names them; a word never sent finds nothing; many
// results load page by page; Escape closes; dark theme and a 375 px phone.
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
  await expect(bobsHit.getByRole('article')).toHaveAccessibleName(/^bob, /);
  await expect(alicesHit.getByRole('article')).toHaveAccessibleName(/^alice, /);
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
