// Reactions: two people in their own browsers react to a message through a real homeserver. Alice reacts 👍 to
// Bob's message from the React menu (keyboard); Bob sees "👍 1" with Alice's name, adds his (2); Alice takes hers
// back (1) on both sides, and after a reload too. Dark theme and a 375 px phone.
import { expect, test, type Page } from '@playwright/test';
import { homeserverForSpec } from './support/homeserver';
import {
  createRoom,
  inviteAndAccept,
  message,
  newUserPage,
  register,
  screenshot,
  sendMessage,
  waitForTimelineToSettle,
} from './support/chat';

const serverName = 'alpha.localhost:20901';
homeserverForSpec(serverName); // the tests only talk to it through the client

test.describe.configure({ mode: 'serial', timeout: 180_000 });

const thumbsUp = (page: Page, text: string) => message(page, text).getByRole('button', { name: /^👍 \d+ reactions?: / });

test('alice reacts to bob’s message, bob adds his, alice takes hers back: both sides agree, after a reload too', async ({ browser }) => {
  const alice = await newUserPage(browser);
  const bob = await newUserPage(browser, { colorScheme: 'dark', width: 375 });
  await register(alice, serverName, 'alice', 'alice-password');
  await register(bob, serverName, 'bob', 'bob-password');
  await createRoom(alice, 'Orchard');
  await inviteAndAccept(alice, bob, 'Orchard', `@bob:${serverName}`);
  await expect(bob.getByRole('heading', { name: 'Orchard' })).toBeVisible();
  const text = 'The apples are ripe';
  await sendMessage(bob, text);
  await sendMessage(bob, 'Bring baskets');
  await expect(message(alice, text)).toBeVisible();

  // Alice opens the React menu from the message's action row with the keyboard and picks 👍: Tab reaches the
  // message, and its actions follow it (after the sender's name) in the Tab order.
  const react = message(alice, text).getByRole('button', { name: 'React', exact: true });
  await message(alice, text).focus();
  await expect(message(alice, text)).toBeFocused();
  await alice.keyboard.press('Tab');
  await expect(message(alice, text).getByRole('button', { name: /: show identity$/ })).toBeFocused();
  await alice.keyboard.press('Tab');
  await expect(react).toBeFocused();
  await alice.keyboard.press('Enter');
  const menu = alice.getByRole('menu', { name: 'Quick reactions' });
  await expect(menu.getByRole('menuitem', { name: 'React with 👍' })).toBeFocused();
  // Escape closes it and gives the focus back.
  await alice.keyboard.press('Escape');
  await expect(menu).toHaveCount(0);
  await expect(react).toBeFocused();
  await alice.keyboard.press('Enter');
  await alice.keyboard.press('ArrowRight');
  await expect(menu.getByRole('menuitem', { name: 'React with ❤️' })).toBeFocused();
  await alice.keyboard.press('ArrowLeft');
  await screenshot(alice, 'reactions-menu-light');
  await alice.keyboard.press('Enter');
  await expect(menu).toHaveCount(0);

  await expect(thumbsUp(alice, text)).toHaveAccessibleName('👍 1 reaction: alice — press to remove yours');
  await expect(thumbsUp(alice, text)).toHaveAttribute('aria-pressed', 'true');
  await expect(thumbsUp(bob, text)).toHaveAccessibleName('👍 1 reaction: alice — press to add yours');
  await expect(thumbsUp(bob, text)).toHaveAttribute('aria-pressed', 'false');
  await expect(thumbsUp(bob, text)).toHaveAttribute('title', 'alice');
  await expect(thumbsUp(bob, text)).toHaveText('👍1');
  // Reactions are no rows of their own and never the room's preview.
  await expect(message(bob, text)).toHaveCount(1);
  await expect(bob.getByRole('article')).toHaveCount(2);

  // Bob adds his by pressing the pill, once Alice's read receipt has shown under his last message: its line moves
  // every row above it, and a click aimed before the move lands beside the pill (as a finger would).
  await expect(message(bob, 'Bring baskets')).toContainText('Seen by alice', { timeout: 20_000 });
  await waitForTimelineToSettle(bob);
  // Pressed with the mouse at 375 px, the pill stays where it was until the button is released: pressing it focuses it,
  // and the message's actions (which at this width open under the message) do not open for it and push it away.
  const pill = thumbsUp(bob, text);
  const before = await pill.boundingBox();
  await bob.mouse.move(before!.x + before!.width / 2, before!.y + before!.height / 2);
  await bob.mouse.down();
  await bob.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  expect(await pill.boundingBox()).toEqual(before);
  await expect(message(bob, text).getByRole('button', { name: /^Reply to / })).toBeHidden();
  await bob.mouse.up();
  await expect(thumbsUp(bob, text)).toHaveAccessibleName('👍 2 reactions: alice, bob — press to remove yours');
  await expect(thumbsUp(alice, text)).toHaveAccessibleName('👍 2 reactions: alice, bob — press to remove yours');
  await screenshot(bob, 'reactions-two-dark-375');
  await screenshot(alice, 'reactions-two-light');

  // Alice takes hers back.
  await thumbsUp(alice, text).click();
  await expect(thumbsUp(alice, text)).toHaveAccessibleName('👍 1 reaction: bob — press to add yours');
  await expect(thumbsUp(alice, text)).toHaveAttribute('aria-pressed', 'false');
  await expect(thumbsUp(bob, text)).toHaveAccessibleName('👍 1 reaction: bob — press to remove yours');
  // Alice read up to Bob's reaction, which has no row: her receipt shows on the message before it.
  await expect(message(bob, 'Bring baskets')).toContainText('Seen by alice');

  // On his phone, Bob taps the first message: its actions open under it, and the React menu over the message
  // below (not hidden behind it); he adds ❤️, and Alice sees it.
  await message(bob, text).click();
  await message(bob, text).getByRole('button', { name: 'React', exact: true }).click();
  await bob.getByRole('menuitem', { name: 'React with ❤️' }).click();
  const heart = (page: Page) => message(page, text).getByRole('button', { name: /^❤️ \d+ reactions?: / });
  await expect(heart(alice)).toHaveAccessibleName('❤️ 1 reaction: bob — press to add yours');
  await heart(bob).click();
  await expect(heart(alice)).toHaveCount(0);

  // The server refuses: the reaction shows at once, then goes away with a clear message; the same for taking one back.
  const refuse = {
    status: 403,
    contentType: 'application/json',
    body: JSON.stringify({ errcode: 'M_FORBIDDEN', error: 'No reactions today' }),
  };
  await alice.route(/\/send\/m\.reaction\//, (route) => route.fulfill(refuse));
  await message(alice, text).hover();
  await message(alice, text).getByRole('button', { name: 'React', exact: true }).click();
  await alice.getByRole('menuitem', { name: 'React with 😮' }).click();
  await expect(alice.getByText(/^Could not react with 😮: /)).toBeVisible();
  await expect(message(alice, text).getByRole('button', { name: /^😮/ })).toHaveCount(0);
  await bob.route(/\/redact\//, (route) => route.fulfill(refuse));
  await thumbsUp(bob, text).click();
  await expect(bob.getByText(/^Could not remove your 👍 reaction: /)).toBeVisible();
  await expect(thumbsUp(bob, text)).toHaveAccessibleName('👍 1 reaction: bob — press to remove yours');
  await expect(thumbsUp(bob, text)).toHaveAttribute('aria-pressed', 'true');
  await screenshot(bob, 'reactions-refused-dark-375');
  await alice.unroute(/\/send\/m\.reaction\//);
  await bob.unroute(/\/redact\//);

  // Both reload: the room reopens (it is the URL); on bob's phone, Back to rooms shows the list. Its preview is the
  // last message, not the newer reactions; the room shows the same from the server.
  for (const page of [alice, bob]) {
    await page.reload();
    await expect(page.getByRole('heading', { name: 'Orchard' })).toBeVisible({ timeout: 20_000 });
  }
  await bob.getByRole('button', { name: 'Back to rooms' }).click();
  for (const page of [alice, bob]) {
    await expect(page.getByRole('navigation', { name: 'Rooms' })).toContainText('bob: Bring baskets', { timeout: 20_000 });
  }
  await screenshot(bob, 'reactions-room-list-dark-375');
  for (const page of [alice, bob]) await page.getByRole('button', { name: /^Orchard/ }).click();
  await expect(thumbsUp(alice, text)).toHaveAccessibleName('👍 1 reaction: bob — press to add yours');
  await expect(thumbsUp(bob, text)).toHaveAccessibleName('👍 1 reaction: bob — press to remove yours');
  await expect(thumbsUp(bob, text)).toHaveAttribute('aria-pressed', 'true');
  await expect(message(bob, 'Bring baskets').getByRole('list', { name: 'Reactions' })).toHaveCount(0);
  await screenshot(bob, 'reactions-after-reload-dark-375');
});
