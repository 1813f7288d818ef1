// Helpers for driving the client like a person would: through labels and roles only.
import { expect, test, type Browser, type BrowserContext, type Locator, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { crc32, deflateSync } from 'node:zlib';

// Next to the run's other results (playwright.config.ts's outputDir), so concurrent runs keep theirs apart.
export const screensDir = path.join(process.env.WAYFARER_E2E_OUTPUT ?? 'test-results', 'screens');

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screensDir, { recursive: true });
  await page.screenshot({ path: path.join(screensDir, `${name}.png`) });
}

/** The client's URL from playwright.config.ts (contexts made by hand do not inherit it). */
export function clientUrl(): string {
  const url = test.info().project.use.baseURL;
  if (!url) throw new Error('playwright.config.ts sets no baseURL');
  return url;
}

/**
 * The contexts made here, and the spec file that made them. The worker's browser outlives each file, and a page left
 * open goes on syncing (or retrying a server that was stopped) through every later file: one worker had 32 such
 * pages by its last files, slowing them all. A file's people leave when the next file's first one arrives.
 */
let contextsOfFile: { file: string; contexts: BrowserContext[] } | undefined;

async function closeEarlierFilesContexts(): Promise<void> {
  const file = test.info().file;
  if (contextsOfFile && contextsOfFile.file !== file) {
    const earlier = contextsOfFile.contexts;
    contextsOfFile = undefined;
    await Promise.all(earlier.map((context) => context.close().catch(() => undefined)));
  }
  contextsOfFile ??= { file, contexts: [] };
}

export async function newUserPage(browser: Browser, options: { colorScheme?: 'light' | 'dark'; width?: number } = {}): Promise<Page> {
  await closeEarlierFilesContexts();
  const context = await browser.newContext({
    baseURL: clientUrl(),
    colorScheme: options.colorScheme ?? 'light',
    viewport: { width: options.width ?? 1200, height: 800 },
  });
  contextsOfFile!.contexts.push(context);
  return context.newPage();
}

export async function register(page: Page, serverName: string, username: string, password: string): Promise<void> {
  await page.goto('/');
  await page.getByRole('button', { name: 'Create an account instead' }).click();
  await page.getByLabel('Homeserver').fill(serverName);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Repeat password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('navigation', { name: 'Rooms' })).toBeVisible({ timeout: 20_000 });
}

/**
 * A person in their own browser context, signed up on `serverName` with the password `<username>-password`.
 * `beforeSignUp` runs on the page first, for init scripts that must be in place before the app loads.
 */
export async function signedUpPage(
  browser: Browser,
  serverName: string,
  username: string,
  options: Parameters<typeof newUserPage>[1] & { beforeSignUp?: (page: Page) => Promise<void> } = {},
): Promise<Page> {
  const page = await newUserPage(browser, options);
  await options.beforeSignUp?.(page);
  await register(page, serverName, username, `${username}-password`);
  return page;
}

/** Creates a room from the New room dialog and waits until it is open; `version` picks e.g. a classic '11' room. */
export async function createRoom(page: Page, name: string, options: { topic?: string; version?: string } = {}): Promise<void> {
  await page.getByRole('button', { name: 'New room' }).click();
  const create = page.getByRole('dialog', { name: 'Create a room' });
  await create.getByLabel('Room name').fill(name);
  if (options.topic) await create.getByLabel('Topic (optional)').fill(options.topic);
  if (options.version) await create.getByLabel('Room version').selectOption(options.version);
  await create.getByRole('button', { name: 'Create room' }).click();
  await expect(page.getByRole('heading', { name })).toBeVisible();
}

/** From the open room `roomName`, `inviter` invites `userId`, and `invitee` (that user's page) accepts. */
export async function inviteAndAccept(inviter: Page, invitee: Page, roomName: string, userId: string): Promise<void> {
  await inviter.getByRole('button', { name: 'Invite' }).click();
  const invite = inviter.getByRole('dialog', { name: `Invite to ${roomName}` });
  await invite.getByLabel('User ID').fill(userId);
  await invite.getByRole('button', { name: 'Send invite' }).click();
  await invitee.getByRole('button', { name: `Accept invite to ${roomName}` }).click();
  // Accepting opens the room once joined: until then the room in front is the one before, and what the invitee does
  // next (opening another room, typing) would happen there, or be undone when the accepted room opens.
  await expect(invitee.getByRole('heading', { level: 1, name: roomName })).toBeVisible({ timeout: 20_000 });
}

export async function signIn(page: Page, serverName: string, username: string, password: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel('Homeserver').fill(serverName);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('navigation', { name: 'Rooms' })).toBeVisible({ timeout: 20_000 });
}

export async function sendMessage(page: Page, text: string): Promise<void> {
  const composer = page.getByRole('textbox', { name: 'Message' });
  await composer.fill(text);
  await composer.press('Enter');
  await expect(composer).toHaveValue('');
}

export function timeline(page: Page) {
  return page.getByRole('log', { name: 'Messages' });
}

/**
 * Waits until the virtualised timeline stops moving: two animation frames in a row with the same scroll
 * position, content height and row positions (rows render, get measured, and the list corrects for them
 * over a few frames; a measurement taken mid-way is a race).
 */
export async function waitForTimelineToSettle(page: Page): Promise<void> {
  const settled = await timeline(page).evaluate(async (log) => {
    const snapshot = () =>
      [
        log.scrollTop,
        log.scrollHeight,
        ...[...log.querySelectorAll('article')].map((a) => `${a.dataset.eventId}@${a.getBoundingClientRect().top}`),
      ].join('|');
    let previous = snapshot();
    let stableFrames = 0;
    for (let frame = 0; frame < 600 && stableFrames < 2; frame++) {
      await new Promise(requestAnimationFrame);
      const current = snapshot();
      stableFrames = current === previous ? stableFrames + 1 : 0;
      previous = current;
    }
    return stableFrames >= 2;
  });
  if (!settled) throw new Error('the timeline kept moving for 600 frames');
}

export function message(page: Page, text: string) {
  return timeline(page).getByRole('article').filter({ hasText: text });
}

/** Logs in over the Client-Server API (a second device) for setting up history quickly. */
export async function apiLogin(baseUrl: string, user: string, password: string): Promise<string> {
  const response = await fetch(`${baseUrl}/_matrix/client/v3/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user }, password }),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`login failed: ${JSON.stringify(body)}`);
  return body.access_token;
}

export async function apiSend(baseUrl: string, token: string, roomId: string, body: string, txnId: string): Promise<void> {
  const response = await fetch(`${baseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${txnId}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ msgtype: 'm.text', body }),
  });
  if (!response.ok) throw new Error(`send failed: ${response.status} ${await response.text()}`);
}

export async function apiJoinedRoomId(baseUrl: string, token: string): Promise<string> {
  const response = await fetch(`${baseUrl}/_matrix/client/v3/joined_rooms`, { headers: { Authorization: `Bearer ${token}` } });
  const body = (await response.json()) as { joined_rooms: string[] };
  if (body.joined_rooms.length !== 1) throw new Error(`expected one room, got ${JSON.stringify(body)}`);
  return body.joined_rooms[0]!;
}

/** A 48×32 PNG (indigo with a white bar), made here so the test needs no files. */
export function testPng(): Buffer {
  const width = 48;
  const height = 32;
  const rows: number[] = [];
  for (let y = 0; y < height; y++) {
    rows.push(0); // filter: none
    for (let x = 0; x < width; x++) rows.push(...(y > 12 && y < 20 ? [255, 255, 255] : [79, 70, 229]));
  }
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body) >>> 0);
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(2, 9); // truecolour
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.from(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export async function apiSendImage(baseUrl: string, token: string, roomId: string, png: Buffer, name: string): Promise<void> {
  const upload = await fetch(`${baseUrl}/_matrix/media/v3/upload?filename=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: { 'Content-Type': 'image/png', Authorization: `Bearer ${token}` },
    body: new Uint8Array(png),
  });
  const { content_uri } = (await upload.json()) as { content_uri?: string };
  if (!content_uri) throw new Error(`upload failed: ${upload.status}`);
  const response = await fetch(`${baseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/m.room.message/img-${Date.now()}`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({
      msgtype: 'm.image',
      body: name,
      url: content_uri,
      info: { w: 48, h: 32, mimetype: 'image/png', size: png.length },
    }),
  });
  if (!response.ok) throw new Error(`send failed: ${response.status}`);
}

/**
 * An emoji (SAS) verification between two open dialogs, as two people do it: both show the same seven emoji, each
 * presses "They match", both say verified. `beforeConfirming` runs while the emoji show (screenshots).
 */
export async function compareEmojiAndConfirm(one: Locator, other: Locator, beforeConfirming?: () => Promise<void>): Promise<void> {
  const emojiOnOne = one.getByRole('list', { name: 'Emoji to compare' });
  const emojiOnOther = other.getByRole('list', { name: 'Emoji to compare' });
  await expect(emojiOnOne.getByRole('listitem')).toHaveCount(7, { timeout: 30_000 });
  await expect(emojiOnOther.getByRole('listitem')).toHaveCount(7, { timeout: 30_000 });
  expect(await emojiOnOne.textContent()).toBe(await emojiOnOther.textContent());
  await beforeConfirming?.();
  await one.getByRole('button', { name: 'They match' }).click();
  await other.getByRole('button', { name: 'They match' }).click();
  await expect(one.getByText('✓ Verified.')).toBeVisible({ timeout: 30_000 });
  await expect(other.getByText('✓ Verified.')).toBeVisible({ timeout: 30_000 });
}
