// Honest quotes (issue 14), on three real federating homeservers and two browsers. Mallory, on gamma, claims to be
// @bob on beta; beta never co-signed it, so alpha soft-fails Mallory's message (PROTOCOL.md §4). Carol, on gamma,
// sees it and replies to it and to the real Bob. Alice, on alpha: the quote of Mallory's message says it is hidden
// and why (not "not loaded"), names its sender with the same badge as the timeline, and reveals it only after a
// warning; the quote of Bob's message shows Bob exactly as the timeline does.
import { expect, test, type Page } from '@playwright/test';
import type { RunningHomeserver } from '../server/testing/spawn';
import { TestClient } from '../server/testing/http-client';
import { bodies, devAdmin, enc, say, startServers, waitFor } from '../server/testing/federation-harness';
import { message, newUserPage, screenshot, sendMessage, signIn, timeline } from './support/chat';

const PASSWORD = 'replies-e2e-password';
let alpha: RunningHomeserver;
let beta: RunningHomeserver;
let gamma: RunningHomeserver;
let hiddenId: string;

async function account(server: RunningHomeserver, name: string, displayname: string): Promise<TestClient> {
  const client = await new TestClient(server.baseUrl).register(name, PASSWORD);
  await client.setDisplayName(displayname);
  return client;
}

test.describe.configure({ mode: 'serial', timeout: 180_000 });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  [alpha, beta, gamma] = await startServers(
    ['alpha.localhost:21410', 'beta.localhost:21411', 'gamma.localhost:21412'],
    ['--link-recheck-seconds', '3600'],
  );
  const alice = await account(alpha, 'alice', 'Alice');
  const bob = await account(beta, 'bob', 'Bob');
  const carol = await account(gamma, 'carol', 'Carol');
  const mallory = await account(gamma, 'mallory', 'Bob');
  const created = await alice.post('/_matrix/client/v3/createRoom', {
    name: 'Commons',
    room_alias_name: 'commons',
    preset: 'public_chat',
    room_version: 'org.matrix.12.4430',
  });
  const roomId = created.body.room_id as string;
  for (const member of [bob, carol]) {
    const joined = await member.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(alpha.serverName)}`, {});
    if (joined.status !== 200) throw new Error(`join: ${joined.status} ${JSON.stringify(joined.body)}`);
  }
  // Mallory, on gamma, claims to be @bob on beta: beta never co-signs that.
  await devAdmin(gamma, 'forge_member', { room_id: roomId, user_id: mallory.userId, claimed_domain: beta.serverName, localpart: 'bob' });
  await say(alice, roomId, 'hello from alice');
  await say(bob, roomId, 'Bob speaking from beta');
  await waitFor('bob’s message on alpha', async () => (await bodies(alice, roomId)).includes('Bob speaking from beta'));
  hiddenId = await say(mallory, roomId, 'it is bob, really');
  await waitFor('everything on gamma', async () => {
    const seen = await bodies(carol, roomId);
    return ['Bob speaking from beta', 'it is bob, really'].every((b) => seen.includes(b));
  });
  const status = await waitFor('alpha to receive the impostor’s message', async () => {
    const s = await devAdmin(alpha, 'event_status', { event_id: hiddenId });
    return s.status !== 'unknown' && s;
  });
  expect(status.status).toBe('soft_failed');
});

test.afterAll(async () => {
  await Promise.all([alpha, beta, gamma].filter(Boolean).map((s) => s.dispose()));
});

/** A message's own article (not a reply whose quote repeats its text). */
function original(page: Page, text: string) {
  return timeline(page).locator('article:not(:has(blockquote))').filter({ hasText: text });
}

async function replyTo(page: Page, text: string, reply: string): Promise<void> {
  const target = original(page, text);
  await target.hover();
  await target.getByRole('button', { name: /^Reply to / }).click();
  await sendMessage(page, reply);
}

test('a quote of a message alpha soft-failed says hidden and why, and is revealed after a warning', async ({ browser }) => {
  const carol = await newUserPage(browser);
  await signIn(carol, gamma.serverName, 'carol', PASSWORD);
  await carol.getByRole('button', { name: /^Commons/ }).click();
  await replyTo(carol, 'it is bob, really', 'I doubt that');

  const alice = await newUserPage(browser);
  await signIn(alice, alpha.serverName, 'alice', PASSWORD);
  await alice.getByRole('button', { name: /^Commons/ }).click();
  const reply = message(alice, 'I doubt that');
  const quote = reply.locator('blockquote');
  await expect(quote).toContainText('hidden: sent by a member whose handle is unverified', { timeout: 20_000 });
  await expect(quote).not.toContainText('not loaded');
  await expect(quote).not.toContainText('it is bob, really');
  // Its sender through the timeline's identity function: the impostor's name with the unverified badge.
  await expect(quote.getByRole('img', { name: 'unverified handle' })).toBeVisible();
  await expect(quote).toContainText('Bob');
  await screenshot(alice, 'replies-hidden-quote-light');

  // Revealing it warns first; Cancel fetches nothing.
  const show = quote.getByRole('button', { name: 'Show the hidden message' });
  await show.click();
  const warning = alice.getByRole('dialog', { name: 'Show a hidden message?' });
  await expect(warning).toContainText('its sender’s handle is unverified');
  await screenshot(alice, 'replies-reveal-warning-light');
  await warning.getByRole('button', { name: 'Cancel' }).click();
  await expect(warning).toHaveCount(0);
  await expect(quote).not.toContainText('it is bob, really');

  // With the keyboard this time: the button is reachable and the dialog's confirm shows it.
  await show.focus();
  await alice.keyboard.press('Enter');
  await warning.getByRole('button', { name: 'Show message' }).click();
  await expect(quote).toContainText('it is bob, really');
  await expect(quote).toContainText('hidden by your server, shown on request');
  await expect(quote.getByRole('img', { name: 'unverified handle' })).toBeVisible();
  // Shown in the quote only: the timeline still leaves it out.
  await expect(original(alice, 'it is bob, really')).toHaveCount(0);
  await screenshot(alice, 'replies-revealed-quote-light');
  await alice.emulateMedia({ colorScheme: 'dark' });
  await screenshot(alice, 'replies-revealed-quote-dark');
});

test('a quote of a verified member shows that member’s name and handle exactly as the timeline does', async ({ browser }) => {
  const carol = await newUserPage(browser);
  await signIn(carol, gamma.serverName, 'carol', PASSWORD);
  await carol.getByRole('button', { name: /^Commons/ }).click();
  await replyTo(carol, 'Bob speaking from beta', 'Welcome, Bob');

  const alice = await newUserPage(browser);
  await signIn(alice, alpha.serverName, 'alice', PASSWORD);
  await alice.getByRole('button', { name: /^Commons/ }).click();
  const bobMessage = original(alice, 'Bob speaking from beta');
  const bobQuote = message(alice, 'Welcome, Bob').locator('blockquote');
  await expect(bobQuote).toContainText('Bob speaking from beta');
  const timelineBadge = bobMessage.locator('header [data-badge]');
  const quoteBadge = bobQuote.locator('[data-badge]');
  await expect(timelineBadge).toHaveText(`@bob:${beta.serverName}`);
  await expect(quoteBadge).toHaveText(`@bob:${beta.serverName}`);
  await expect(quoteBadge).toHaveAttribute('data-badge', 'verified');
  await expect(quoteBadge).toHaveAttribute('title', (await timelineBadge.getAttribute('title'))!);
  const timelineName = (await bobMessage.locator('header button').first().textContent()) ?? '';
  await expect(bobQuote.locator('[data-sender-name]').first()).toHaveText(timelineName);
  // The look-alike mark the timeline puts on Bob is on the quote too: the neutral note (he had the name first and
  // is verified), never the warning his impostor carries.
  const note = { name: 'Another member uses this name: show them' };
  await expect(bobMessage.locator('header').getByRole('button', note)).toBeVisible();
  await expect(bobQuote.getByRole('button', note)).toBeVisible();
  await expect(bobQuote.getByRole('img', { name: 'same name as another member' })).toHaveCount(0);
});
