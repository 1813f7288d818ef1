// Issue 17, Start a DM and Room directory, as people do them. Alice (alpha) finds Bob (beta) by name through the
// user directory — because they share a room — with his handle, and starts a DM with the keyboard; Bob gets it in
// his browser and accepts. Asking again offers the DM they have instead of a second one. Bob explores alpha's
// public rooms from beta (the room directory of another server, over federation), searches, and joins.
import { expect, test, type Page } from '@playwright/test';
import type { RunningHomeserver } from '../server/testing/spawn';
import { startServers, waitFor } from '../server/testing/federation-harness';
import { enc, ok, TestClient } from '../server/testing/http-client';
import { message, newUserPage, screenshot, sendMessage, signIn } from './support/chat';

let alpha: RunningHomeserver;
let beta: RunningHomeserver;
let aliceApi: TestClient;
const PASSWORD = 'directory-e2e-passphrase';

test.describe.configure({ mode: 'serial', timeout: 180_000 });

test.beforeAll(async () => {
  test.setTimeout(120_000);
  [alpha, beta] = await startServers(['alpha.localhost:24211', 'beta.localhost:24212'], ['--link-recheck-seconds', '3600']);
  aliceApi = await new TestClient(alpha.baseUrl).register('alice', PASSWORD);
  const bob = await new TestClient(beta.baseUrl).register('bob', PASSWORD);
  const carol = await new TestClient(alpha.baseUrl).register('carol', PASSWORD);
  await aliceApi.setDisplayName('Alice Liddell');
  await bob.setDisplayName('Bobby Tables');
  await carol.setDisplayName('Carol Danvers');
  // Set-up: alice and bob already share a room (that is what lets alpha's directory list bob).
  const shared = await ok(aliceApi.post('/_matrix/client/v3/createRoom', { name: 'Tea party', preset: 'public_chat' }));
  await ok(bob.post(`/_matrix/client/v3/join/${enc(shared.room_id)}?server_name=${enc(alpha.serverName)}`, {}));
  // And carol publishes a room in alpha's directory.
  await ok(
    carol.post('/_matrix/client/v3/createRoom', {
      name: 'Lobby of Alpha',
      topic: 'Everyone on alpha says hello here',
      preset: 'public_chat',
      visibility: 'public',
      room_alias_name: 'lobby',
    }),
  );
});

test.afterAll(async () => {
  await Promise.all([alpha, beta].filter(Boolean).map((s) => s.dispose()));
});

const rooms = (page: Page) => page.getByRole('navigation', { name: 'Rooms' });

test('alice finds bob by name and starts a DM with the keyboard; bob gets it; asking again offers the same DM', async ({ browser }) => {
  const alice = await newUserPage(browser, { width: 1280 });
  const bob = await newUserPage(browser, { width: 1280, colorScheme: 'dark' });
  await signIn(alice, alpha.serverName, 'alice', PASSWORD);
  await signIn(bob, beta.serverName, 'bob', PASSWORD);
  const bobId = `@bob:${beta.serverName}`;

  // Keyboard only: New DM, type part of his name, Tab to the person found, Enter.
  const newDm = alice.getByRole('button', { name: 'New DM' });
  await newDm.focus();
  await alice.keyboard.press('Enter');
  const dialog = alice.getByRole('dialog', { name: 'Start a direct message' });
  const field = dialog.getByRole('textbox', { name: 'Name or user ID' });
  await expect(field).toBeFocused();
  await alice.keyboard.type('bobby');
  const results = dialog.getByRole('list', { name: 'People' });
  const bobOption = results.getByRole('button', { name: `Bobby Tables, ${bobId}` });
  await expect(bobOption).toBeVisible();
  // Shown as everyone is: the name and the handle (a plain, matching one), no warning.
  await expect(bobOption.locator('[data-sender-name]')).toHaveText('Bobby Tables');
  await expect(bobOption.locator('[data-badge]')).toHaveText(bobId);
  // A local user she shares no room with is found too; a remote one she shares no room with is not.
  await field.fill('danvers');
  await expect(results.getByRole('button', { name: `Carol Danvers, @carol:${alpha.serverName}` })).toBeVisible();
  await field.fill('bobby');
  await expect(bobOption).toBeVisible();
  await screenshot(alice, 'dm-search-light-1280');
  await alice.setViewportSize({ width: 375, height: 800 });
  await screenshot(alice, 'dm-search-light-375');
  await alice.setViewportSize({ width: 1280, height: 800 });
  await field.focus();
  await alice.keyboard.press('Tab'); // past the hint into the list
  await expect(bobOption).toBeFocused();
  await alice.keyboard.press('Enter');
  await expect(dialog).toBeHidden();

  // Bob, in his own browser, gets the DM invite from Alice and accepts it.
  const invite = bob.getByRole('region', { name: 'Invites' }).getByRole('listitem').filter({ hasText: 'direct message' });
  await expect(invite).toBeVisible({ timeout: 30_000 });
  await expect(invite.getByText('Invited by Alice Liddell')).toBeVisible();
  await invite.getByRole('button', { name: /^Accept invite to/ }).click();
  await expect(bob.getByRole('heading', { name: 'Alice Liddell' })).toBeVisible();
  await sendMessage(bob, 'Hi Alice, got your DM');
  await expect(message(alice, 'Hi Alice, got your DM')).toBeVisible({ timeout: 30_000 });

  // The room is_direct and in m.direct.
  const direct = await waitFor('m.direct on alpha', async () => {
    const reply = await aliceApi.get(`/_matrix/client/v3/user/${enc(aliceApi.userId!)}/account_data/m.direct`);
    return reply.status === 200 && reply.body[bobId]?.length === 1 && (reply.body[bobId] as string[]);
  });
  const [dmRoomId] = direct;

  // Asking again: the existing DM is offered, and taking it opens it (no second room).
  await rooms(alice)
    .getByRole('button', { name: /^Tea party/ })
    .click();
  await alice.getByRole('button', { name: 'New DM' }).click();
  await dialog.getByRole('textbox', { name: 'Name or user ID' }).fill(bobId);
  await expect(dialog.getByText('You already have a direct message with them.')).toBeVisible();
  await screenshot(alice, 'dm-existing-light-1280');
  await dialog.getByRole('button', { name: 'Open DM' }).click();
  await expect(dialog).toBeHidden();
  await expect(message(alice, 'Hi Alice, got your DM')).toBeVisible();
  expect(alice.url()).toContain(enc(dmRoomId!).replace(/%3A/gi, ':').replace(/%21/g, '!'));
  const after = await aliceApi.get(`/_matrix/client/v3/user/${enc(aliceApi.userId!)}/account_data/m.direct`);
  expect(after.body[bobId]).toEqual([dmRoomId]);
  const joined = await aliceApi.get('/_matrix/client/v3/joined_rooms');
  expect(joined.body.joined_rooms).toHaveLength(2);
});

test("bob explores alpha's public rooms from beta, searches, and joins; carol sees him arrive", async ({ browser }) => {
  const bob = await newUserPage(browser, { width: 1280, colorScheme: 'dark' });
  await signIn(bob, beta.serverName, 'bob', PASSWORD);
  await bob.getByRole('button', { name: 'Explore public rooms' }).click();
  const dialog = bob.getByRole('dialog', { name: 'Explore rooms' });
  const search = dialog.getByRole('searchbox', { name: 'Search rooms' });
  await expect(search).toBeFocused();
  // His own server lists nothing yet.
  await expect(dialog.getByText(`${beta.serverName} lists no public rooms.`)).toBeVisible();
  await search.fill('hello');
  await dialog.getByRole('textbox', { name: 'Server' }).fill(alpha.serverName);
  await dialog.getByRole('textbox', { name: 'Server' }).press('Enter');
  const list = dialog.getByRole('list', { name: `Public rooms on ${alpha.serverName}` });
  const lobby = list.getByRole('listitem').filter({ hasText: 'Lobby of Alpha' });
  await expect(lobby).toBeVisible();
  await expect(lobby).toContainText(`#lobby:${alpha.serverName}`);
  await expect(lobby).toContainText('Everyone on alpha says hello here');
  await expect(lobby).toContainText('1 member');
  await expect(list.getByRole('listitem')).toHaveCount(1); // the topic matched; Tea party did not
  await screenshot(bob, 'explore-dark-1280');
  await bob.setViewportSize({ width: 375, height: 800 });
  await screenshot(bob, 'explore-dark-375');
  await bob.setViewportSize({ width: 1280, height: 800 });
  // A server that is no server name is caught before asking.
  await dialog.getByRole('textbox', { name: 'Server' }).fill('not a server');
  await dialog.getByRole('button', { name: 'Search' }).click();
  await expect(dialog.getByRole('alert')).toContainText('A server name looks like');
  await expect(lobby).toBeVisible();

  const join = lobby.getByRole('button', { name: 'Join Lobby of Alpha' });
  await join.focus();
  await bob.keyboard.press('Enter');
  await expect(dialog).toBeHidden();
  await expect(bob.getByRole('heading', { name: 'Lobby of Alpha' })).toBeVisible({ timeout: 30_000 });
  await sendMessage(bob, 'Hello from beta');

  // Carol, on alpha, sees him in her room.
  const carol = await newUserPage(browser, { width: 1280 });
  await signIn(carol, alpha.serverName, 'carol', PASSWORD);
  await rooms(carol)
    .getByRole('button', { name: /^Lobby of Alpha/ })
    .click();
  await expect(message(carol, 'Hello from beta')).toBeVisible({ timeout: 30_000 });
});
