// Mentions (issue 17), as two people meet them: Alice on alpha mentions Bob on beta from the composer's @
// autocomplete in a member-key room and in a classic room; Bob, reading another room, sees the mention counted in
// the room list, and in the room a pill (his name, through the identity function) on a highlighted message. Alice
// links a room with #, and says @room (her power level allows it); the events carry m.mentions and matrix.to links.
import { expect, test, type Page } from '@playwright/test';
import { startServers } from '../server/testing/federation-harness';
import type { RunningHomeserver } from '../server/testing/spawn';
import { apiLogin, createRoom, inviteAndAccept, message, screenshot, signedUpPage, timeline } from './support/chat';

let alpha: RunningHomeserver;
let beta: RunningHomeserver;

test.describe.configure({ timeout: 240_000 });

test.beforeAll(async () => {
  [alpha, beta] = await startServers(['alpha.localhost:25121', 'beta.localhost:25122']);
});

test.afterAll(async () => {
  await Promise.all([alpha, beta].filter(Boolean).map((s) => s.dispose()));
});

function roomButton(page: Page, name: string) {
  return page.getByRole('navigation', { name: 'Rooms' }).getByRole('button', { name: new RegExp(`^${name}\\b`) });
}

/** Types into the composer and picks the autocomplete option `option` with the keyboard. */
async function mentionWithKeyboard(page: Page, typed: string, option: RegExp) {
  const composer = page.getByRole('textbox', { name: 'Message' });
  await composer.pressSequentially(typed);
  const suggestions = page.getByRole('listbox', { name: 'Mention someone' });
  await expect(suggestions.getByRole('option', { name: option })).toBeVisible();
  while ((await suggestions.getByRole('option', { name: option }).getAttribute('aria-selected')) !== 'true')
    await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await expect(suggestions).toHaveCount(0);
}

async function roomMessages(hs: RunningHomeserver, user: string, roomName: string): Promise<Record<string, any>[]> {
  const token = await apiLogin(hs.baseUrl, user, `${user}-password`);
  const headers = { Authorization: `Bearer ${token}` };
  const { joined_rooms } = await (await fetch(`${hs.baseUrl}/_matrix/client/v3/joined_rooms`, { headers })).json();
  for (const roomId of joined_rooms) {
    const base = `${hs.baseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}`;
    const name = await (await fetch(`${base}/state/m.room.name/`, { headers })).json();
    if (name.name !== roomName) continue;
    const page = await (await fetch(`${base}/messages?dir=b&limit=50`, { headers })).json();
    return page.chunk.filter((e: any) => e.type === 'm.room.message').map((e: any) => e.content);
  }
  throw new Error(`${user} is not in ${roomName}`);
}

test('mentions: pills for people and rooms, @room, m.mentions on the wire, the mentioned person highlighted and counted', async ({
  browser,
}) => {
  const alice = await signedUpPage(browser, alpha.serverName, 'alice');
  const bob = await signedUpPage(browser, beta.serverName, 'bob', { colorScheme: 'dark' });
  const bobId = `@bob:${beta.serverName}`;
  await createRoom(alice, 'Classic', { version: '11' });
  await inviteAndAccept(alice, bob, 'Classic', bobId);
  await createRoom(alice, 'Plans');
  await inviteAndAccept(alice, bob, 'Plans', bobId);
  await expect(bob.getByRole('heading', { name: 'Plans' })).toBeVisible();
  // Bob reads another room while Alice writes.
  await roomButton(bob, 'Classic').click();
  await expect(bob.getByRole('heading', { name: 'Classic' })).toBeVisible();

  // Alice in the member-key room: @bo → bob (his verified handle beside his name) → a link in the composer.
  await expect(alice.getByRole('heading', { name: 'Plans' })).toBeVisible();
  await mentionWithKeyboard(alice, 'lunch, @bo', /bob/);
  const composer = alice.getByRole('textbox', { name: 'Message' });
  await expect(composer).toHaveValue(`lunch, [bob](https://matrix.to/#/${bobId}) `);
  await composer.pressSequentially('at noon?');
  await alice.keyboard.press('Enter');

  // Bob: the room list counts the mention; in the room, the message stands out and shows his pill.
  await expect(roomButton(bob, 'Plans')).toHaveAccessibleName(/1 mention/);
  await roomButton(bob, 'Plans').click();
  const mentioned = message(bob, 'at noon?');
  await expect(mentioned).toHaveAttribute('data-mentions-me', 'true');
  await expect(mentioned).toHaveAccessibleDescription('Mentions you');
  const pill = mentioned.locator('a[data-pill="user"]');
  await expect(pill.getByText('bob', { exact: true })).toBeVisible();
  await expect(pill.locator('[data-pill-me]')).toBeVisible();
  await screenshot(bob, 'mentions-received-dark');

  // Alice sees the same message with Bob's pill (not highlighted: it does not mention her); the pill opens his identity.
  const sent = message(alice, 'at noon?');
  await expect(sent).not.toHaveAttribute('data-mentions-me', 'true');
  await sent.locator('a[data-pill="user"]').click();
  const inspector = alice.getByRole('dialog', { name: 'Identity' });
  await expect(inspector).toContainText(bobId);
  await screenshot(alice, 'mentions-inspector-light');
  await inspector.getByRole('button', { name: 'Close' }).click();

  // A room with #: the pill names the room and opens it.
  await mentionWithKeyboard(alice, 'notes in #Cla', /Classic/);
  await composer.pressSequentially('please');
  await alice.keyboard.press('Enter');
  const roomPill = message(bob, 'please').locator('a[data-pill="room"]');
  await expect(roomPill).toHaveText('#Classic');

  // @room: Alice is the room's admin, so it is offered and notifies Bob too.
  await mentionWithKeyboard(alice, 'all: @ro', /@room/);
  await composer.pressSequentially('meeting at 3');
  await alice.keyboard.press('Enter');
  await expect(message(bob, 'meeting at 3')).toHaveAttribute('data-mentions-me', 'true');
  await screenshot(alice, 'mentions-sent-light');

  // The classic room behaves the same; Bob follows the room pill there.
  await roomPill.click();
  await expect(bob.getByRole('heading', { name: 'Classic' })).toBeVisible();
  await roomButton(alice, 'Classic').click();
  await mentionWithKeyboard(alice, 'ping @bo', /bob/);
  await composer.pressSequentially('classic too');
  await alice.keyboard.press('Enter');
  const classic = message(bob, 'classic too');
  await expect(classic).toHaveAttribute('data-mentions-me', 'true');
  await expect(classic.locator('a[data-pill="user"]').getByText('bob', { exact: true })).toBeVisible();

  // On the wire: m.mentions, a matrix.to link in formatted_body, and a plain body that reads as the pills.
  const plans = await roomMessages(beta, 'bob', 'Plans');
  const lunch = plans.find((c) => c.body === 'lunch, bob at noon?');
  expect(lunch).toMatchObject({
    format: 'org.matrix.custom.html',
    'm.mentions': { user_ids: [bobId] },
  });
  expect(lunch!.formatted_body).toContain(`<a href="https://matrix.to/#/${bobId}">bob</a>`);
  expect(plans.find((c) => c.body.startsWith('all: @room'))!['m.mentions']).toEqual({ room: true });
  expect(plans.find((c) => c.body.includes('please'))!['m.mentions']).toEqual({});
  const classicMessages = await roomMessages(alpha, 'alice', 'Classic');
  expect(classicMessages.find((c) => c.body === 'ping bob classic too')!['m.mentions']).toEqual({ user_ids: [bobId] });
  await expect(timeline(bob).locator('[data-mentions-me]')).toHaveCount(1);
});
