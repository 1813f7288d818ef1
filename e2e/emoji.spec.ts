// The full emoji picker (issue 17), as two people meet it: Bob reacts to Alice's message with an emoji found by the
// picker's search, keyboard only; Alice puts one in her message from the composer's picker, and finds it again
// under the picker's frequently used. The picker and its data load on first open, from this origin, never a CDN.
import { expect, test, type Page } from '@playwright/test';
import { startHomeserver, type RunningHomeserver } from '../server/testing/spawn';
import { createRoom, inviteAndAccept, message, screenshot, sendMessage, signedUpPage, timeline } from './support/chat';

const serverName = 'alpha.localhost:25111';
let hs: RunningHomeserver;

test.describe.configure({ timeout: 180_000 });

test.beforeAll(async () => {
  hs = await startHomeserver({ serverName });
});

test.afterAll(async () => {
  await hs?.dispose();
});

/** Every URL the page asks for that is neither the client's origin nor the homeserver (a CDN, say). */
function foreignRequests(page: Page): string[] {
  const foreign: string[] = [];
  page.on('request', (request) => {
    const { hostname } = new URL(request.url());
    if (!['127.0.0.1', 'localhost'].includes(hostname) && !hostname.endsWith('.localhost') && !request.url().startsWith('blob:'))
      foreign.push(request.url());
  });
  return foreign;
}

/** Asks for the emoji data file: whether the page has loaded it yet. */
function emojiDataRequests(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (request) => {
    if (/\/assets\/data-[\w-]+\.json$/.test(request.url())) seen.push(request.url());
  });
  return seen;
}

test('emoji picker: a reaction and a composer emoji found by search, keyboard usable, recent emoji, loaded locally on demand', async ({
  browser,
}) => {
  const alice = await signedUpPage(browser, serverName, 'alice');
  const bob = await signedUpPage(browser, serverName, 'bob', { colorScheme: 'dark' });
  const aliceForeign = foreignRequests(alice);
  const bobForeign = foreignRequests(bob);
  const bobData = emojiDataRequests(bob);
  await createRoom(alice, 'Emoji');
  await inviteAndAccept(alice, bob, 'Emoji', `@bob:${serverName}`);
  await expect(bob.getByRole('heading', { name: 'Emoji' })).toBeVisible();
  await sendMessage(alice, 'Lunch at noon?');
  await expect(message(bob, 'Lunch at noon?')).toBeVisible();
  expect(bobData).toEqual([]); // not on the first screen

  // Bob, keyboard only: React → the quick menu's last item opens the picker; he types, picks with ↓ and Enter.
  const row = message(bob, 'Lunch at noon?');
  await row.hover();
  await row.getByRole('button', { name: 'React', exact: true }).focus();
  await bob.keyboard.press('Enter');
  await expect(bob.getByRole('menu', { name: 'Quick reactions' })).toBeVisible();
  await bob.keyboard.press('End');
  await expect(bob.getByRole('menuitem', { name: 'More emoji' })).toBeFocused();
  await bob.keyboard.press('Enter');
  const picker = bob.getByRole('dialog', { name: 'Emoji picker: react' });
  const search = picker.getByRole('combobox', { name: 'Search' });
  await expect(search).toBeFocused();
  await expect.poll(() => bobData.length).toBeGreaterThan(0);
  expect(new URL(bobData[0]!).origin).toBe(new URL(bob.url()).origin);
  await bob.keyboard.type('avocado');
  await expect(picker.getByRole('option', { name: /avocado/i })).toBeVisible();
  await screenshot(bob, 'emoji-picker-react-dark');
  await bob.keyboard.press('ArrowDown');
  await bob.keyboard.press('Enter');
  await expect(picker).toHaveCount(0);
  await expect(row.getByRole('button', { name: 'React', exact: true })).toBeFocused();
  const aliceRow = message(alice, 'Lunch at noon?');
  await expect(aliceRow.getByRole('list', { name: 'Reactions' }).getByRole('button', { name: /^🥑 1 reaction: bob/ })).toBeVisible();

  // Escape closes the picker without a pick, the focus back on the button that opened it.
  await alice.getByRole('button', { name: 'Insert emoji' }).click();
  const composerPicker = alice.getByRole('dialog', { name: 'Emoji picker: insert in message' });
  await expect(composerPicker.getByRole('combobox', { name: 'Search' })).toBeFocused();
  await alice.keyboard.press('Escape');
  await expect(composerPicker).toHaveCount(0);
  await expect(alice.getByRole('button', { name: 'Insert emoji' })).toBeFocused();

  // Alice: the composer's picker puts the emoji at the caret; she sends it, Bob reads it.
  const composer = alice.getByRole('textbox', { name: 'Message' });
  await composer.fill('Yes ');
  await alice.getByRole('button', { name: 'Insert emoji' }).click();
  await composerPicker.getByRole('combobox', { name: 'Search' }).fill('rocket');
  await screenshot(alice, 'emoji-picker-composer-light');
  await composerPicker.getByRole('option', { name: /rocket/i }).click();
  await expect(composerPicker).toHaveCount(0);
  await expect(composer).toHaveValue('Yes 🚀');
  await expect(composer).toBeFocused();
  await alice.keyboard.type(' see you');
  await alice.keyboard.press('Enter');
  await expect(timeline(bob).getByText('Yes 🚀 see you')).toBeVisible();

  // Recent emoji: the picker keeps what you picked under "Favorites" (frequently used), first.
  await alice.getByRole('button', { name: 'Insert emoji' }).click();
  await expect(composerPicker.getByRole('menu', { name: 'Favorites' }).getByRole('menuitem', { name: /rocket/i })).toBeVisible();
  await alice.keyboard.press('Escape');

  expect(aliceForeign).toEqual([]);
  expect(bobForeign).toEqual([]);
});
