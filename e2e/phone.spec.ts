// Phone width (375 px): the room header keeps the room name readable with its actions as named icons, the timeline
// follows your own long message, Jump to latest never covers a message; deleting and signing out ask first.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { homeserverForSpec } from './support/homeserver';
import {
  apiJoinedRoomId,
  apiLogin,
  apiSend,
  createRoom,
  message,
  screenshot,
  sendMessage,
  signedUpPage,
  testPng,
  timeline,
  waitForTimelineToSettle,
} from './support/chat';

const serverName = 'alpha.localhost:22201';
const server = homeserverForSpec(serverName);

test.describe.configure({ mode: 'serial', timeout: 120_000 });

let page: Page;

async function box(locator: Locator) {
  const b = await locator.boundingBox();
  if (!b) throw new Error('not rendered');
  return b;
}

test('375 px: the room name stays whole; Search, Threads, Invite, Members, Room settings and Leave are named icons reached by keyboard', async ({
  browser,
}) => {
  page = await signedUpPage(browser, serverName, 'alice', { width: 375 });
  await createRoom(page, 'Commons');
  const heading = page.getByRole('heading', { name: 'Commons', level: 1 });
  await expect(heading).toBeVisible();
  // Not cut to "Co…": the text fits its box.
  expect(await heading.evaluate((h) => h.scrollWidth <= h.clientWidth)).toBe(true);

  await page.getByRole('button', { name: 'Back to rooms' }).focus();
  for (const [name, title] of [
    ['Search', 'Search messages'],
    ['Threads', 'Threads'],
    ['Invite', 'Invite someone to this room'],
    ['Members', 'Members'],
    ['Room settings', 'Room settings: name, access, roles, notifications'],
    ['Leave', 'Leave this room'],
  ] as const) {
    await page.keyboard.press('Tab');
    const button = page.getByRole('button', { name, exact: true });
    await expect(button).toBeFocused();
    await expect(button).toHaveAttribute('title', title);
    const b = await box(button);
    expect(b.x + b.width).toBeLessThanOrEqual(375);
  }
  // The focused Leave icon opens its dialog from the keyboard; Escape closes it and the room stays.
  await page.keyboard.press('Enter');
  await expect(page.getByRole('dialog', { name: 'Leave Commons?' })).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(heading).toBeVisible();
  await screenshot(page, 'phone-header-light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await screenshot(page, 'phone-header-dark');
  await page.emulateMedia({ colorScheme: 'light' });
});

test('375 px: Jump to latest covers no message; your own long message is followed to its end', async () => {
  const token = await apiLogin(server.hs.baseUrl, 'alice', 'alice-password');
  const roomId = await apiJoinedRoomId(server.hs.baseUrl, token);
  for (let i = 1; i <= 30; i++) await apiSend(server.hs.baseUrl, token, roomId, `filler ${i}`, `fill-${i}`);
  await expect(message(page, 'filler 30')).toBeVisible();
  await waitForTimelineToSettle(page);

  // A little way up: Jump to latest appears, outside the timeline, so it covers nothing in it.
  const log = timeline(page);
  await log.hover();
  await page.mouse.wheel(0, -80);
  const jump = page.getByRole('button', { name: 'Jump to latest' });
  await expect(jump).toBeVisible();
  await waitForTimelineToSettle(page);
  const logBox = await box(log);
  const jumpBox = await box(jump);
  expect(jumpBox.y).toBeGreaterThanOrEqual(logBox.y + logBox.height);

  // Sent from up there, a long message brings the view to its end.
  const long = `${'a long message that wraps over many lines at phone width, '.repeat(12)}THE END`;
  await sendMessage(page, long);
  const own = message(page, 'THE END');
  await expect(own).toBeVisible();
  await waitForTimelineToSettle(page);
  const end = await box(own.getByText('THE END', { exact: false }));
  const view = await box(log);
  expect(end.y + end.height).toBeLessThanOrEqual(view.y + view.height + 1);
  expect(end.y).toBeGreaterThanOrEqual(view.y);
  await expect(jump).toHaveCount(0);
  await screenshot(page, 'phone-long-message-light');

  // Sent from up there, an image is followed too: while it uploads (held here), its row with the progress is in view.
  await log.hover();
  await page.mouse.wheel(0, -400);
  await expect(jump).toBeVisible();
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route('**/_matrix/media/v3/upload**', async (route) => {
    if (route.request().method() === 'POST') await held;
    await route.continue();
  });
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Attach file' }).click();
  await (await chooser).setFiles({ name: 'garden.png', mimeType: 'image/png', buffer: testPng() });
  const progress = log.getByRole('progressbar', { name: /^Uploading garden\.png/ });
  await expect(progress).toBeAttached();
  await expect(jump).toHaveCount(0);
  await expect(progress).toBeInViewport();
  release();
  await expect(log.locator('article[data-event-id^="$"]').getByRole('img', { name: 'garden.png' })).toBeInViewport();
  await page.unroute('**/_matrix/media/v3/upload**');
});

test('375 px: every settings section is on screen, none hidden behind a sideways scroll', async () => {
  await page.getByRole('button', { name: 'Back to rooms' }).click();
  await page.getByRole('link', { name: 'Settings' }).click();
  const sections = page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link');
  await expect(sections).toHaveCount(6);
  for (const link of await sections.all()) await expect(link).toBeInViewport({ ratio: 1 });
  await sections.last().click();
  await expect(sections.last()).toHaveAttribute('aria-current', 'page');
  await screenshot(page, 'phone-settings-sections-light');
  await page.getByRole('button', { name: 'Back to rooms' }).click();
  await page.getByRole('navigation', { name: 'Rooms' }).getByText('Commons', { exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Commons', level: 1 })).toBeVisible();
});

test('375 px: deleting a message and signing out ask first; Cancel keeps things as they were', async () => {
  await sendMessage(page, 'please delete me');
  const doomed = message(page, 'please delete me');
  await expect(doomed).toBeVisible();
  await doomed.click(); // focus shows its actions at phone width
  await doomed.getByRole('button', { name: 'Delete message' }).click();
  const ask = page.getByRole('dialog', { name: 'Delete this message?' });
  await expect(ask).toBeVisible();
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, 'phone-delete-confirm-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await ask.getByRole('button', { name: 'Cancel' }).click();
  await expect(ask).toHaveCount(0);
  await expect(doomed).toBeVisible();
  await expect(timeline(page).getByText('Message deleted')).toHaveCount(0);

  await doomed.click();
  await doomed.getByRole('button', { name: 'Delete message' }).click();
  await ask.getByRole('button', { name: 'Delete', exact: true }).click();
  await expect(timeline(page).getByText('Message deleted')).toBeVisible();
  await expect(message(page, 'please delete me')).toHaveCount(0);

  await page.getByRole('button', { name: 'Back to rooms' }).click();
  await page.getByRole('button', { name: 'Sign out' }).click();
  const signOut = page.getByRole('dialog', { name: 'Sign out?' });
  await expect(signOut).toBeVisible();
  await screenshot(page, 'phone-sign-out-confirm-light');
  await page.keyboard.press('Escape'); // Cancel by keyboard
  await expect(signOut).toHaveCount(0);
  await expect(page.getByRole('navigation', { name: 'Rooms' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Sign out' })).toBeFocused();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await signOut.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in to Wayfarer' })).toBeVisible({ timeout: 20_000 });
});
