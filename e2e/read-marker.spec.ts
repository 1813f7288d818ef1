// The fully-read marker as the reader meets it: Bob reads Porch, goes to another room, Alice writes on; when Bob
// comes back a "New messages" line sits before the first message he hasn't read, "Jump to first unread" takes him
// (and the keyboard focus) there, and once he has read to the end the marker moves: after a reload the line is
// before what came next. The client moves the marker with POST /read_markers (m.fully_read and m.read).
import { expect, test, type Page } from '@playwright/test';
import { homeserverForSpec } from './support/homeserver';
import {
  createRoom,
  inviteAndAccept,
  message,
  screenshot,
  sendMessage,
  signedUpPage,
  timeline,
  waitForTimelineToSettle,
} from './support/chat';

const serverName = 'alpha.localhost:22400';
homeserverForSpec(serverName);

test.describe.configure({ mode: 'serial', timeout: 240_000 });

const roomButton = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Rooms' }).getByRole('button', { name: new RegExp(`^${name}(,|$)`) });

async function openRoom(page: Page, name: string): Promise<void> {
  await roomButton(page, name).click();
  await expect(page.getByRole('heading', { name })).toBeVisible();
}

const line = (page: Page) => timeline(page).getByRole('separator', { name: 'New messages' });
/** The message right after the line (they share a timeline row). */
const afterLine = (page: Page) => timeline(page).locator('[data-new-messages] + *');

test('a New messages line at the fully-read marker, Jump to first unread by keyboard, and the marker moves on', async ({ browser }) => {
  const alice = await signedUpPage(browser, serverName, 'alice');
  const bob = await signedUpPage(browser, serverName, 'bob', { width: 1280 });

  await createRoom(alice, 'Porch');
  await inviteAndAccept(alice, bob, 'Porch', `@bob:${serverName}`);
  await createRoom(bob, 'Lounge');
  await openRoom(bob, 'Porch');
  await sendMessage(alice, 'Read this one');
  await sendMessage(alice, 'And this one');
  await expect(message(bob, 'And this one')).toBeVisible();
  // Bob has read everything: no line, no jump.
  await expect(line(bob)).toHaveCount(0);
  await expect(bob.getByRole('button', { name: 'Jump to first unread' })).toHaveCount(0);
  await expect(roomButton(bob, 'Porch')).toHaveAccessibleName('Porch');

  // Bob goes to Lounge; Alice writes on, enough to push the first new one off his screen.
  await openRoom(bob, 'Lounge');
  await sendMessage(alice, 'First you missed');
  for (let i = 1; i <= 29; i++) await sendMessage(alice, `Missed number ${i}`);
  await expect(roomButton(bob, 'Porch')).toHaveAccessibleName('Porch, 30 unread');

  // Back in Porch: the line sits before the first message he hasn't read, off screen above the newest.
  await openRoom(bob, 'Porch');
  await expect(message(bob, 'Missed number 29')).toBeVisible();
  await expect(line(bob)).toHaveCount(1);
  await expect(afterLine(bob)).toContainText('First you missed');
  await expect(afterLine(bob)).not.toContainText('And this one');
  await waitForTimelineToSettle(bob);
  await expect(line(bob)).not.toBeInViewport();

  // Jump to first unread, from the keyboard: the line comes into view and takes the focus.
  const jump = bob.getByRole('button', { name: 'Jump to first unread' });
  await jump.focus();
  await expect(jump).toBeFocused();
  await bob.keyboard.press('Enter');
  await expect(timeline(bob).getByRole('group', { name: 'New messages' })).toBeFocused();
  await expect(line(bob)).toBeInViewport();
  await expect(jump).toHaveCount(0);
  await waitForTimelineToSettle(bob);
  await screenshot(bob, 'read-marker-jumped-1280');

  // He reads to the end, leaves; Alice writes once more; after a reload the line has moved to her new message.
  await bob.getByRole('button', { name: 'Jump to latest' }).click();
  await expect(message(bob, 'Missed number 29')).toBeInViewport();
  await expect(roomButton(bob, 'Porch')).toHaveAccessibleName('Porch');
  await openRoom(bob, 'Lounge');
  await sendMessage(alice, 'After you caught up');
  await expect(roomButton(bob, 'Porch')).toHaveAccessibleName('Porch, 1 unread');
  await bob.reload();
  await openRoom(bob, 'Porch');
  await expect(message(bob, 'After you caught up')).toBeVisible();
  await expect(line(bob)).toHaveCount(1);
  await expect(afterLine(bob)).toContainText('After you caught up');
  await expect(timeline(bob).getByRole('article').filter({ hasText: 'First you missed' })).toHaveCount(1);
  await waitForTimelineToSettle(bob);
  await screenshot(bob, 'read-marker-after-reload-1280');
});
