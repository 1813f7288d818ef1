// Helpers for driving the client like a person would: through labels and roles only.
import { expect, type Browser, type Page } from '@playwright/test';
import { mkdirSync } from 'node:fs';

export const screensDir = 'test-results/screens';

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(screensDir, { recursive: true });
  await page.screenshot({ path: `${screensDir}/${name}.png` });
}

export async function newUserPage(browser: Browser, options: { colorScheme?: 'light' | 'dark'; width?: number } = {}): Promise<Page> {
  const context = await browser.newContext({
    baseURL: 'http://127.0.0.1:8480',
    colorScheme: options.colorScheme ?? 'light',
    viewport: { width: options.width ?? 1200, height: 800 },
  });
  return context.newPage();
}

export async function register(page: Page, serverName: string, username: string, password: string): Promise<void> {
  await page.goto('/');
  await page.getByRole('button', { name: 'Create an account instead' }).click();
  await page.getByLabel('Homeserver').fill(serverName);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('navigation', { name: 'Rooms' })).toBeVisible({ timeout: 20_000 });
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
