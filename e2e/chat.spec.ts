// Two people in two browser contexts chatting through a real reference homeserver.
import { expect, test, type Page } from '@playwright/test';
import { homeserverForSpec } from './support/homeserver';
import {
  apiJoinedRoomId,
  apiLogin,
  apiSend,
  apiSendImage,
  message,
  newUserPage,
  register,
  screenshot,
  sendMessage,
  signIn,
  testPng,
  timeline,
  waitForTimelineToSettle,
} from './support/chat';

const serverName = 'alpha.localhost:18601';
const server = homeserverForSpec(serverName);

test.describe.configure({ mode: 'serial', timeout: 180_000 });

test('two users chat: invite, messages both ways, typing, receipts, edit, delete, reload, history, offline send', async ({ browser }) => {
  const alice = await newUserPage(browser);
  const bob = await newUserPage(browser, { colorScheme: 'dark' });
  await register(alice, serverName, 'alice', 'alice-password');
  await register(bob, serverName, 'bob', 'bob-password');

  // Alice creates a classic room and invites Bob.
  await alice.getByRole('button', { name: 'New room' }).click();
  const create = alice.getByRole('dialog', { name: 'Create a room' });
  await create.getByLabel('Room name').fill('Lounge');
  await create.getByLabel('Topic (optional)').fill('Everyday chat');
  await create.getByLabel('Room version').selectOption('11');
  await create.getByRole('button', { name: 'Create room' }).click();
  await expect(alice.getByRole('heading', { name: 'Lounge' })).toBeVisible();
  await alice.getByRole('button', { name: 'Invite' }).click();
  const invite = alice.getByRole('dialog', { name: 'Invite to Lounge' });
  await invite.getByLabel('User ID').fill(`@bob:${serverName}`);
  await invite.getByRole('button', { name: 'Send invite' }).click();
  await expect(timeline(alice).getByText('alice invited bob')).toBeVisible();

  // Bob accepts.
  await bob.getByRole('button', { name: 'Accept invite to Lounge' }).click();
  await expect(bob.getByRole('heading', { name: 'Lounge' })).toBeVisible();
  await expect(timeline(alice).getByText('bob joined')).toBeVisible();

  // Messages both ways, with Markdown.
  await sendMessage(alice, 'Hello **Bob**');
  await expect(message(bob, 'Hello Bob').locator('strong')).toHaveText('Bob');
  await bob.getByRole('textbox', { name: 'Message' }).fill('Hi Alice');
  await expect(alice.getByText('bob is typing…')).toBeVisible();
  await bob.getByRole('textbox', { name: 'Message' }).press('Enter');
  await expect(message(alice, 'Hi Alice')).toBeVisible();
  await expect(alice.getByText('bob is typing…')).toBeHidden();

  // Multi-line with Shift+Enter.
  const aliceComposer = alice.getByRole('textbox', { name: 'Message' });
  await aliceComposer.fill('line one');
  await aliceComposer.press('Shift+Enter');
  await aliceComposer.pressSequentially('line two');
  await expect(aliceComposer).toHaveValue('line one\nline two');
  await aliceComposer.press('Enter');
  await expect(message(bob, 'line two')).toBeVisible();

  // Read receipts: Bob has the room open at the bottom, so Alice sees he read her last message.
  await expect(message(alice, 'line two').getByText('Seen by bob')).toBeVisible();

  // Edit the last message with the Up arrow.
  await aliceComposer.press('ArrowUp');
  await expect(aliceComposer).toHaveValue('line one\nline two');
  await aliceComposer.fill('line one, edited');
  await aliceComposer.press('Enter');
  await expect(message(bob, 'line one, edited').getByText('(edited)')).toBeVisible();
  await expect(message(bob, 'line two')).toHaveCount(0);

  // Reply.
  await message(bob, 'Hello Bob').hover();
  await message(bob, 'Hello Bob').getByRole('button', { name: 'Reply to alice' }).click();
  await sendMessage(bob, 'Replying here');
  await expect(message(alice, 'Replying here').locator('blockquote')).toContainText('Hello Bob');

  // An image, fetched through authenticated media.
  const token = await apiLogin(server.hs.baseUrl, 'alice', 'alice-password');
  const roomId = await apiJoinedRoomId(server.hs.baseUrl, token);
  await apiSendImage(server.hs.baseUrl, token, roomId, testPng(), 'banner.png');
  const image = timeline(bob).getByRole('img', { name: 'banner.png' });
  await expect(image).toBeVisible();
  await expect(image).toHaveAttribute('src', /^blob:/);
  expect(await image.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(48);

  // Delete.
  await message(alice, 'Hi Alice').hover(); // Bob's message: Alice is admin and may delete it
  await message(alice, 'line one, edited').hover();
  await message(alice, 'line one, edited').getByRole('button', { name: 'Delete message' }).click();
  await alice.getByRole('dialog', { name: 'Delete this message?' }).getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(timeline(bob).getByText('Message deleted')).toBeVisible();
  await expect(message(bob, 'line one, edited')).toHaveCount(0);

  // Members panel with power levels.
  await alice.getByRole('button', { name: 'Members' }).click();
  const members = alice.getByRole('complementary', { name: 'Members' });
  await expect(members.getByRole('listitem').filter({ hasText: 'alice' })).toContainText('Admin');
  await expect(members.getByRole('listitem').filter({ hasText: 'bob' })).toBeVisible();
  await screenshot(alice, 'chat-members-light');
  await alice.getByRole('button', { name: 'Close members' }).click();
  await screenshot(bob, 'chat-dark');

  // Reload: still signed in, the room and messages come back.
  await bob.reload();
  await expect(bob.getByRole('navigation', { name: 'Rooms' })).toBeVisible();
  await bob.getByRole('button', { name: /^Lounge/ }).click();
  await expect(message(bob, 'Replying here')).toBeVisible();

  // History: 80 more messages; Bob follows them live, then signs in on a second device (whose first sync
  // holds only the newest page) and scrolls back to the very first message.
  for (let i = 1; i <= 80; i++) await apiSend(server.hs.baseUrl, token, roomId, `history ${i}`, `hist-${i}`);
  await expect(message(bob, 'history 80')).toBeVisible();
  const bobLaptop = await newUserPage(browser, { colorScheme: 'dark' });
  await signIn(bobLaptop, serverName, 'bob', 'bob-password');
  await bobLaptop.getByRole('button', { name: /^Lounge/ }).click();
  await expect(message(bobLaptop, 'history 80')).toBeVisible();
  await expect(message(bobLaptop, 'history 40')).toHaveCount(0); // not loaded yet
  await expectScrollAnchoredWhileLoadingOlder(bobLaptop);
  await scrollUntilVisible(bobLaptop, 'Hello Bob');
  await expect(message(bobLaptop, 'history 1').first()).toBeAttached();
  await screenshot(bobLaptop, 'history-dark');
  await bobLaptop.getByRole('button', { name: 'Jump to latest' }).click();
  await expect(message(bobLaptop, 'history 80')).toBeVisible();
  await bobLaptop.context().close();

  // Offline: the server stops, Alice sends, the server comes back, Bob gets it.
  await server.hs.stop();
  await sendMessage(alice, 'sent while the server was down');
  await expect(alice.getByRole('status', { name: 'Connection' })).toContainText(/Connection lost|offline/, { timeout: 60_000 });
  await expect(message(alice, 'sent while the server was down').getByText(/Not sent|Sending/)).toBeVisible();
  await screenshot(alice, 'offline-light');
  // Unsent messages survive a reload while the server is still down.
  await alice.reload();
  await alice.getByRole('button', { name: /^Lounge/ }).click();
  await expect(message(alice, 'sent while the server was down').getByText('Not sent')).toBeVisible();
  await server.hs.restart();
  await expect(message(alice, 'sent while the server was down').getByText(/Not sent|Sending/)).toBeHidden({ timeout: 60_000 });
  await expect(message(bob, 'sent while the server was down')).toBeVisible({ timeout: 60_000 });
});

/** Scrolling to the top loads older messages above without moving the message at the top of the view. */
async function expectScrollAnchoredWhileLoadingOlder(page: Page): Promise<void> {
  // Hold back-pagination's response until the reader's place is measured: the place is taken before the
  // older rows arrive, however fast the server answers.
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  await page.route(
    /\/rooms\/[^/]+\/messages\?/,
    async (route) => {
      await released;
      await route.continue();
    },
    { times: 1 },
  );
  await timeline(page).evaluate((log) => log.scrollTo({ top: 0 }));
  await expect(page.getByText('Loading older messages…')).toBeVisible();
  await waitForTimelineToSettle(page);
  const before = await timeline(page).evaluate((log) => {
    const logTop = log.getBoundingClientRect().top;
    const first = [...log.querySelectorAll('article')].find((a) => a.getBoundingClientRect().bottom > logTop + 1)!;
    return { id: first.dataset.eventId!, top: first.getBoundingClientRect().top };
  });
  release();
  await expect(page.getByText('Loading older messages…')).toBeHidden();
  // Older messages arrived above: the view now starts further down the list.
  await expect.poll(() => timeline(page).evaluate((log) => log.scrollTop)).toBeGreaterThan(200);
  await waitForTimelineToSettle(page);
  const after = await page.locator(`article[data-event-id="${before.id}"]`).evaluate((a) => {
    const log = a.closest('[role="log"]')!.getBoundingClientRect();
    return { top: a.getBoundingClientRect().top, viewTop: log.top, viewBottom: log.bottom };
  });
  // The message the reader was at is still on screen, within a line of where it was (a naive list would show
  // the older messages and push it out of view). It may lose its sender header when the older messages
  // make it part of a group, so it can move by that much. Bob's reply arrives just above it, cut by the top
  // edge, and grows by ~3 lines when its quoted message loads: the list must not anchor on that row.
  expect(after.top).toBeGreaterThanOrEqual(after.viewTop - 1);
  expect(after.top).toBeLessThan(after.viewBottom - 24);
  expect(Math.abs(after.top - before.top), `${before.id} moved from ${before.top} to ${after.top}`).toBeLessThan(24);
}

/** Scrolls the timeline up until a message is rendered (back-pagination loads older pages on the way). */
async function scrollUntilVisible(page: Page, text: string): Promise<void> {
  const log = timeline(page);
  for (let i = 0; i < 60; i++) {
    if (await message(page, text).count()) return;
    await log.evaluate((el) => el.scrollTo({ top: 0 }));
    await page.waitForTimeout(250);
  }
  await expect(message(page, text)).toBeVisible();
}
