// Invites across servers into the default room version (member keys), as two people meet them (issue 14): alice on
// alpha creates a room and invites bob on beta, all in the UI; bob sees the invite with alice's name, accepts, and
// they chat; then a direct message started from the UI. Nobody is shown as an unverified impostor on the way.
import { expect, test, type Page } from '@playwright/test';
import type { RunningHomeserver } from '../server/testing/spawn';
import { devAdmin, startServers } from '../server/testing/federation-harness';
import { enc, ok, TestClient } from '../server/testing/http-client';
import { apiLogin, createRoom, message, newUserPage, register, screenshot, sendMessage, signIn, timeline } from './support/chat';

let alpha: RunningHomeserver;
let beta: RunningHomeserver;

test.describe.configure({ mode: 'serial', timeout: 180_000 });

test.beforeAll(async () => {
  [alpha, beta] = await startServers(['alpha.localhost:21061', 'beta.localhost:21062']);
});

test.afterAll(async () => {
  await Promise.all([alpha, beta].filter(Boolean).map((s) => s.dispose()));
});

/** Sets a display name over the API (profile editing is not what this spec is about). */
async function setDisplayName(server: RunningHomeserver, username: string, displayname: string): Promise<void> {
  const client = new TestClient(server.baseUrl);
  client.accessToken = await apiLogin(server.baseUrl, username, `${username}-password`);
  const userId = `@${username}:${server.serverName}`;
  await ok(client.put(`/_matrix/client/v3/profile/${enc(userId)}/displayname`, { displayname }));
}

const invites = (page: Page) => page.getByRole('region', { name: 'Invites' });

test('alice on alpha invites bob on beta into a default room, and starts a DM: bob sees who invited him, accepts, and they chat', async ({
  browser,
}) => {
  const alice = await newUserPage(browser, { width: 1280, colorScheme: 'dark' });
  const bob = await newUserPage(browser, { width: 1280 });
  await register(alice, alpha.serverName, 'alice', 'alice-password');
  await register(bob, beta.serverName, 'bob', 'bob-password');
  await setDisplayName(alpha, 'alice', 'Alice Liddell');
  const bobId = `@bob:${beta.serverName}`;

  // Alice creates a room with the defaults (a member-key room) and invites bob, in the UI.
  await alice.getByRole('button', { name: 'New room' }).click();
  const create = alice.getByRole('dialog', { name: 'Create a room' });
  await create.getByLabel('Room name').fill('Tea party');
  await expect(create.getByLabel('Room version')).toHaveValue('org.matrix.12.4430');
  await create.getByRole('button', { name: 'Create room' }).click();
  await expect(alice.getByRole('heading', { name: 'Tea party' })).toBeVisible();
  await alice.getByRole('button', { name: 'Invite' }).click();
  const inviteDialog = alice.getByRole('dialog', { name: 'Invite to Tea party' });
  await inviteDialog.getByLabel('User ID').fill(bobId);
  await inviteDialog.getByRole('button', { name: 'Send invite' }).click();
  // Alice sees bob invited under his handle; his link is being made, so no "unverified" warning.
  const invitedNotice = timeline(alice).locator('[data-notice]').filter({ hasText: 'invited' });
  await expect(invitedNotice).toContainText('Alice Liddell invited bob');
  await expect(timeline(alice).getByRole('img', { name: 'unverified handle' })).toHaveCount(0);

  // Bob, on beta, sees the invite with alice's display name, not a placeholder ID.
  await expect(invites(bob).getByText('Tea party')).toBeVisible({ timeout: 30_000 });
  await expect(invites(bob).getByText('Invited by Alice Liddell')).toBeVisible();
  await expect(invites(bob)).not.toContainText('_unverified_');
  await screenshot(bob, 'invite-cross-server-1280');
  await bob.setViewportSize({ width: 375, height: 800 });
  await expect(invites(bob).getByText('Invited by Alice Liddell')).toBeVisible();
  await screenshot(bob, 'invite-cross-server-375');
  await bob.setViewportSize({ width: 1280, height: 800 });

  await bob.getByRole('button', { name: 'Accept invite to Tea party' }).click();
  await expect(bob.getByRole('heading', { name: 'Tea party' })).toBeVisible();
  await expect(timeline(alice).locator('[data-notice]').filter({ hasText: 'bob joined' })).toContainText(bobId);

  await sendMessage(alice, 'Milk or lemon, Bob?');
  await expect(message(bob, 'Milk or lemon, Bob?')).toBeVisible();
  await expect(message(bob, 'Milk or lemon, Bob?')).toContainText('Alice Liddell');
  await sendMessage(bob, 'Lemon, please.');
  await expect(message(alice, 'Lemon, please.')).toBeVisible();
  // Each sees the other's verified handle, and no warning.
  await expect(message(alice, 'Lemon, please.')).toContainText(bobId);
  await expect(message(bob, 'Milk or lemon, Bob?')).toContainText(`@alice:${alpha.serverName}`);
  for (const page of [alice, bob]) await expect(timeline(page).getByRole('img', { name: 'unverified handle' })).toHaveCount(0);

  // A direct message, started from the room list.
  await alice.getByRole('button', { name: 'New DM' }).click();
  const dm = alice.getByRole('dialog', { name: 'Start a direct message' });
  await dm.getByLabel('User ID').fill(bobId);
  await screenshot(alice, 'dm-dialog-dark-1280');
  await dm.getByRole('button', { name: 'Start DM' }).click();
  await expect(dm).toBeHidden();
  const dmInvite = invites(bob).getByRole('listitem').filter({ hasText: 'direct message' });
  await expect(dmInvite).toBeVisible({ timeout: 30_000 });
  await expect(dmInvite.getByText('Invited by Alice Liddell')).toBeVisible();
  await screenshot(bob, 'invite-dm-1280');
  await dmInvite.getByRole('button', { name: /^Accept invite to/ }).click();
  await expect(invites(bob)).toHaveCount(0);
  // The DM opens on accepting it, named after alice, before bob types (else his words go to the room in front).
  await expect(bob.getByRole('heading', { name: 'Alice Liddell' })).toBeVisible();
  await sendMessage(bob, 'Hello from my DM with you');
  await expect(message(alice, 'Hello from my DM with you')).toBeVisible({ timeout: 30_000 });
  await sendMessage(alice, 'Got it, Bob');
  await expect(message(bob, 'Got it, Bob')).toBeVisible();
  // Both list it as a DM (m.direct on each side).
  for (const page of [alice, bob])
    await expect(page.getByRole('navigation', { name: 'Rooms' }).getByRole('button', { name: /, direct message/ })).toBeVisible();
});

test('a member whose handle claim other servers reject still sees its own rooms when signing in (the demo’s mallory)', async ({
  browser,
}) => {
  // Set-up over the API: a public room on alpha, joined by mallory on beta, whose member event beta then forges to
  // claim @carol on alpha (alpha never co-signs it, so every other server shows it as unverified).
  const carol = await new TestClient(alpha.baseUrl).register('carol', 'carol-password');
  const { room_id: roomId } = await ok(carol.post('/_matrix/client/v3/createRoom', { name: 'Commons', preset: 'public_chat' }));
  const mallory = await new TestClient(beta.baseUrl).register('mallory', 'mallory-password');
  await ok(mallory.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(alpha.serverName)}`, {}));
  await devAdmin(beta, 'forge_member', { room_id: roomId, user_id: mallory.userId, claimed_domain: alpha.serverName, localpart: 'carol' });

  const page = await newUserPage(browser, { width: 1280 });
  await signIn(page, beta.serverName, 'mallory', 'mallory-password');
  const rooms = page.getByRole('navigation', { name: 'Rooms' });
  await expect(rooms.getByRole('button', { name: /^Commons/ })).toBeVisible({ timeout: 30_000 });
  await expect(rooms.getByText('No rooms yet.')).toHaveCount(0);
  await rooms.getByRole('button', { name: /^Commons/ }).click();
  await expect(page.getByRole('textbox', { name: 'Message' })).toBeVisible();
});

test('an invite accepted while the join is slow: a room opened meanwhile stays in front, and the joined one waits in the list', async ({
  browser,
}) => {
  const ben = await newUserPage(browser, { width: 1280 });
  await register(ben, beta.serverName, 'ben', 'ben-password');
  const benId = `@ben:${beta.serverName}`;
  await createRoom(ben, 'Den');
  // Set-up over the API: ada on alpha invites ben into Garden.
  const ada = await new TestClient(alpha.baseUrl).register('ada', 'ada-password');
  await ok(ada.post('/_matrix/client/v3/createRoom', { name: 'Garden', invite: [benId] }));
  const rooms = ben.getByRole('navigation', { name: 'Rooms' });

  // Ben accepts; his server answers the join late; he goes back to Den and types there meanwhile.
  let answerJoin = () => {};
  const joinHeld = new Promise<void>((resolve) => (answerJoin = resolve));
  await ben.route('**/_matrix/client/v3/join/**', async (route) => {
    await joinHeld;
    await route.continue();
  });
  await ben.getByRole('button', { name: 'Accept invite to Garden' }).click({ timeout: 30_000 });
  await rooms.getByRole('button', { name: /^Den/ }).click();
  await expect(ben.getByRole('heading', { level: 1, name: 'Den' })).toBeVisible();
  answerJoin();
  await expect(rooms.getByRole('button', { name: /^Garden/ })).toBeVisible({ timeout: 30_000 });
  await expect(invites(ben)).toHaveCount(0);
  await sendMessage(ben, 'Still in my den');
  await expect(message(ben, 'Still in my den')).toBeVisible();
  // The join's answer did not pull him into Garden, nor his words with it.
  await ben.waitForTimeout(1000);
  await expect(ben.getByRole('heading', { level: 1, name: 'Den' })).toBeVisible();
  await rooms.getByRole('button', { name: /^Garden/ }).click();
  await expect(ben.getByRole('heading', { level: 1, name: 'Garden' })).toBeVisible();
  await expect(timeline(ben).getByText('Still in my den')).toHaveCount(0);
});
