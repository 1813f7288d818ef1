// Rooms that share a name in the room list: two DMs with people both called "Bob", two rooms called "Garden".
// Each gets a hint that tells it apart, on screen and in its button's accessible name; a room with a name of
// its own stays as it is.
import { expect, test } from '@playwright/test';
import { startHomeserver, type RunningHomeserver } from '../server/testing/spawn';
import { enc, ok, TestClient } from '../server/testing/http-client';
import { newUserPage, screenshot, signIn } from './support/chat';

const serverName = 'alpha.localhost:20201';
let hs: RunningHomeserver;
const COMMITTEE = 'Neighbourhood allotment committee';

async function user(localpart: string, displayname: string): Promise<TestClient> {
  const client = await new TestClient(hs.baseUrl).register(localpart, `${localpart}-password`);
  await client.setDisplayName(displayname);
  return client;
}

async function directMessage(alice: TestClient, other: TestClient, direct: Record<string, string[]>): Promise<void> {
  const { room_id: roomId } = await ok(
    alice.post('/_matrix/client/v3/createRoom', { is_direct: true, preset: 'trusted_private_chat', invite: [other.userId] }),
  );
  await ok(other.post(`/_matrix/client/v3/join/${enc(roomId)}`, {}));
  await ok(other.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/hello`, { msgtype: 'm.text', body: 'Hi Alice!' }));
  direct[other.userId!] = [roomId];
  await ok(alice.put(`/_matrix/client/v3/user/${enc(alice.userId!)}/account_data/m.direct`, direct));
}

test.describe.configure({ timeout: 120_000 });

test.beforeAll(async () => {
  hs = await startHomeserver({ serverName });
  const alice = await user('alice', 'Alice');
  const bob = await user('bob', 'Bob');
  const bobby = await user('bobby', 'Bob');
  const direct: Record<string, string[]> = {};
  await directMessage(alice, bob, direct);
  await directMessage(alice, bobby, direct);
  // One Garden with an alias (member keys: the room ID has no server part), one classic Garden without.
  await ok(alice.post('/_matrix/client/v3/createRoom', { name: 'Garden', room_alias_name: 'garden', preset: 'private_chat' }));
  await ok(alice.post('/_matrix/client/v3/createRoom', { name: 'Garden', room_version: '11', preset: 'private_chat' }));
  await ok(alice.post('/_matrix/client/v3/createRoom', { name: 'Lounge', preset: 'private_chat' }));
  // Two classic rooms of one server, no alias, a long name: the server is not enough, the room ID's start is added.
  for (let i = 0; i < 2; i++)
    await ok(alice.post('/_matrix/client/v3/createRoom', { name: COMMITTEE, room_version: '11', preset: 'private_chat' }));
});

test.afterAll(async () => {
  await hs?.dispose();
});

test('rooms that share a name are told apart by the DM partner’s handle, the alias or the server; unique names stay plain', async ({
  browser,
}) => {
  const page = await newUserPage(browser);
  await signIn(page, serverName, 'alice', 'alice-password');
  const list = page.getByRole('navigation', { name: 'Rooms' });
  const bob = list.getByRole('button', { name: `Bob, @bob:${serverName}, direct message` });
  const bobby = list.getByRole('button', { name: `Bob, @bobby:${serverName}, direct message` });
  await expect(bob).toBeVisible({ timeout: 20_000 });
  await expect(bobby).toBeVisible();
  await expect(bob).toContainText(`@bob:${serverName}`);
  await expect(bobby).toContainText(`@bobby:${serverName}`);

  const gardenWithAlias = list.getByRole('button', { name: `Garden, #garden:${serverName}` });
  const classicGarden = list.getByRole('button', { name: `Garden, ${serverName}` });
  await expect(gardenWithAlias).toContainText(`#garden:${serverName}`);
  await expect(classicGarden).toContainText(serverName);
  // The name still comes first, so the usual lookup by name prefix finds both.
  await expect(list.getByRole('button', { name: /^Garden/ })).toHaveCount(2);

  const lounge = list.getByRole('button', { name: 'Lounge', exact: true });
  await expect(lounge).toBeVisible();
  await expect(lounge).not.toContainText(serverName);

  const committees = list.getByRole('button', { name: new RegExp(`^${COMMITTEE}, ${serverName} · ![^ ]+`) });
  await expect(committees).toHaveCount(2);
  const labels = await committees.evaluateAll((buttons) => buttons.map((b) => b.getAttribute('aria-label')));
  expect(new Set(labels).size).toBe(2);

  // The filter finds a DM by its partner's handle.
  await page.getByRole('searchbox', { name: 'Filter rooms' }).fill('bobby');
  await expect(bobby).toBeVisible();
  await expect(bob).toBeHidden();
  await page.getByRole('searchbox', { name: 'Filter rooms' }).fill('');

  // The hint opens the right room.
  await bobby.click();
  await expect(bobby).toHaveAttribute('aria-current', 'page');
  await expect(bob).not.toHaveAttribute('aria-current', 'page');
  // The open room's header says which Bob too.
  await expect(page.getByRole('region', { name: 'Bob' }).locator(':scope > header')).toContainText(`@bobby:${serverName}`);

  // After a reload the client resumes from its stored sync: the handles are still there.
  await page.reload();
  await expect(bob).toBeVisible({ timeout: 20_000 });
  await expect(bobby).toBeVisible();

  await screenshot(page, 'room-list-shared-names-light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, 'room-list-shared-names-dark');

  const narrow = await newUserPage(browser, { width: 375 });
  await signIn(narrow, serverName, 'alice', 'alice-password');
  await expect(narrow.getByRole('button', { name: `Bob, @bobby:${serverName}, direct message` })).toBeVisible({ timeout: 20_000 });
  await screenshot(narrow, 'room-list-shared-names-light-375');
  await narrow.emulateMedia({ colorScheme: 'dark' });
  await screenshot(narrow, 'room-list-shared-names-dark-375');
});
