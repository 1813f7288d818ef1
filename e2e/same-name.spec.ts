// Never blame the victim (issue 15), on three real federating homeservers: matrix.localhost (Bob, the verified
// victim, and Victor), martix.localhost (a look-alike domain) and gamma.localhost (Carol, who looks; Mallory, who
// copies Bob's name and forges his handle; and a member named "\u202Erotciv\u202C", which a browser shows as
// "victor"). Mallory joins long before the screen's history starts and says nothing there: the warning must come
// from the room's full member list, not from what the timeline happened to load.
import { expect, test, type Page } from '@playwright/test';
import type { RunningHomeserver } from '../server/testing/spawn';
import { TestClient } from '../server/testing/http-client';
import { bodies, devAdmin, enc, say, startServers, waitFor } from '../server/testing/federation-harness';
import { message, newUserPage, screenshot, signIn, timeline } from './support/chat';

const PASSWORD = 'same-name-e2e-password';
const RLO_NAME = '\u202Erotciv\u202C';
let matrix: RunningHomeserver;
let martix: RunningHomeserver;
let gamma: RunningHomeserver;
let roomId: string;
let mallory: TestClient;

test.describe.configure({ mode: 'serial', timeout: 180_000 });

async function account(server: RunningHomeserver, name: string, displayname: string): Promise<TestClient> {
  const client = await new TestClient(server.baseUrl).register(name, PASSWORD);
  await client.setDisplayName(displayname);
  return client;
}

async function join(client: TestClient): Promise<void> {
  const reply = await client.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(matrix.serverName)}`, {});
  if (reply.status !== 200) throw new Error(`join: ${reply.status} ${JSON.stringify(reply.body)}`);
}

test.beforeAll(async () => {
  test.setTimeout(150_000);
  [matrix, martix, gamma] = await startServers(
    ['matrix.localhost:21801', 'martix.localhost:21802', 'gamma.localhost:21803'],
    ['--link-recheck-seconds', '3600'],
  );
  const bob = await account(matrix, 'bob', 'Bob');
  const victor = await account(matrix, 'victor', 'victor');
  const carol = await account(gamma, 'carol', 'Carol');
  const rlo = await account(gamma, 'rlo', RLO_NAME);
  const helpdesk = await account(martix, 'helpdesk', 'Helpdesk');
  mallory = await account(gamma, 'mallory', 'Bob');

  roomId = (
    await bob.post('/_matrix/client/v3/createRoom', {
      name: 'Commons',
      preset: 'public_chat',
      room_version: 'org.matrix.12.4430',
    })
  ).body.room_id;
  await join(victor);
  await join(carol);
  await join(rlo);
  await join(helpdesk);
  // Mallory, on gamma, takes Bob's name and claims his handle: matrix never co-signs that.
  await join(mallory);
  await devAdmin(gamma, 'forge_member', { room_id: roomId, user_id: mallory.userId, claimed_domain: matrix.serverName, localpart: 'bob' });
  // Enough history that Mallory's member events are long off the first page (the client asks for 30 events).
  for (let i = 1; i <= 35; i++) await say(bob, roomId, `bob’s note ${i}`);
  await say(victor, roomId, 'victor here');
  await say(rlo, roomId, 'hi from rotciv');
  await say(helpdesk, roomId, 'the helpdesk can reset your password');
  await say(bob, roomId, 'bob here, the real one');
  await waitFor('everything on gamma', async () => {
    const seen = await bodies(carol, roomId);
    return ['victor here', 'hi from rotciv', 'the helpdesk can reset your password', 'bob here, the real one'].every((b) =>
      seen.includes(b),
    );
  });
});

test.afterAll(async () => {
  await Promise.all([matrix, martix, gamma].filter(Boolean).map((s) => s.dispose()));
});

const sameName = { name: 'same name as another member' } as const;
const lookAlikeDomain = { name: 'look-alike domain' } as const;
const neutralNote = 'Another member uses this name: show them';

function inspector(page: Page) {
  return page.getByRole('dialog', { name: 'Identity' });
}
function members(page: Page) {
  return page.getByRole('complementary', { name: 'Members' });
}

async function shoot(page: Page, name: string): Promise<void> {
  for (const [width, scheme] of [
    [1280, 'light'],
    [1280, 'dark'],
    [375, 'light'],
    [375, 'dark'],
  ] as const) {
    await page.setViewportSize({ width, height: 800 });
    await page.emulateMedia({ colorScheme: scheme });
    await screenshot(page, `${name}-${width}-${scheme}`);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.emulateMedia({ colorScheme: 'light' });
}

test('the same-name mark shows on a fresh load without opening Members, and the victim is not the one warned', async ({ browser }) => {
  const page = await newUserPage(browser, { width: 1280 });
  await signIn(page, gamma.serverName, 'carol', PASSWORD);
  await page.getByRole('button', { name: /^Commons/ }).click();

  // Mallory said nothing on this page, yet Bob's message says another member uses his name: neutrally, no warning.
  const bobs = message(page, 'bob here, the real one');
  await expect(bobs.getByRole('button', { name: neutralNote })).toBeVisible();
  await expect(bobs.getByRole('img', sameName)).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Members', pressed: false })).toBeVisible();
  await expect(members(page)).toHaveCount(0);

  // The note links to the other member: Mallory's inspector carries the warning, pointing back at Bob.
  await bobs.getByRole('button', { name: neutralNote }).click();
  const dialog = inspector(page);
  await expect(dialog.getByRole('heading', { name: 'Bob' })).toBeVisible();
  await expect(dialog.getByRole('img', { name: 'unverified handle' })).toBeVisible();
  const warned = dialog.locator('[data-look-alikes="warned"]');
  await expect(warned).toContainText('⚠ Can be mistaken for');
  await expect(warned).toContainText(`@bob:${matrix.serverName}`);
  await shoot(page, 'same-name-fresh-load');
});

test('the verified victim is shown neutrally, the forger warned, in the timeline and the member list', async ({ browser }) => {
  await say(mallory, roomId, 'it is bob, really');
  const page = await newUserPage(browser, { width: 1280 });
  await signIn(page, gamma.serverName, 'carol', PASSWORD);
  await page.getByRole('button', { name: /^Commons/ }).click();
  const forgers = message(page, 'it is bob, really');
  await expect(forgers.getByRole('img', sameName)).toBeVisible();
  await expect(forgers.getByRole('img', { name: 'unverified handle' })).toBeVisible();
  const bobs = message(page, 'bob here, the real one');
  await expect(bobs).toContainText(`@bob:${matrix.serverName}`);
  await expect(bobs.getByRole('img', sameName)).toHaveCount(0);
  await expect(bobs.getByRole('button', { name: neutralNote })).toBeVisible();

  await page.getByRole('button', { name: 'Members' }).click();
  const bobRow = members(page)
    .locator('li[data-identity]')
    .filter({ hasText: `@bob:${matrix.serverName}` });
  const malloryRow = members(page)
    .locator('li[data-identity]')
    .filter({ has: page.getByRole('img', { name: 'unverified handle' }) });
  await expect(malloryRow.getByRole('img', sameName)).toBeVisible();
  await expect(bobRow.getByRole('img', sameName)).toHaveCount(0);
  await expect(bobRow.getByRole('button', { name: neutralNote })).toBeVisible();
  await shoot(page, 'same-name-members');

  // Bob in his own client: never warned about himself, on his own messages or in the member list.
  const own = await newUserPage(browser, { width: 1280 });
  await signIn(own, matrix.serverName, 'bob', PASSWORD);
  await own.getByRole('button', { name: /^Commons/ }).click();
  const ownMessage = message(own, 'bob here, the real one');
  await expect(ownMessage.getByRole('button', { name: neutralNote })).toBeVisible();
  const ownArticles = timeline(own)
    .getByRole('article')
    .filter({ has: own.getByRole('button', { name: 'Bob: show identity' }) });
  await expect(ownArticles.getByRole('img', sameName)).toHaveCount(0);
  await own.getByRole('button', { name: 'Members' }).click();
  const ownRow = members(own)
    .locator('li[data-identity]')
    .filter({ hasText: `@bob:${matrix.serverName}` });
  await expect(ownRow.getByRole('button', { name: neutralNote })).toBeVisible();
  await expect(ownRow.getByRole('img', sameName)).toHaveCount(0);
  await expect(
    members(own)
      .locator('li[data-identity]')
      .filter({ has: own.getByRole('button', { name: 'Bob: show identity' }), hasNotText: `@bob:${matrix.serverName}` })
      .getByRole('img', sameName),
  ).toBeVisible(); // Mallory's row: her forged claim is never shown as a handle
  await shoot(own, 'same-name-own-client');
});

test('a name written right-to-left to read “victor” is shown isolated, stripped of its overrides, and flagged', async ({ browser }) => {
  const page = await newUserPage(browser, { width: 1280 });
  await signIn(page, gamma.serverName, 'carol', PASSWORD);
  await page.getByRole('button', { name: /^Commons/ }).click();
  const rlo = message(page, 'hi from rotciv');
  const name = rlo.locator('header bdi[data-sender-name]');
  await expect(name).toHaveText('rotciv');
  expect(await name.evaluate((el) => [...(el.textContent ?? '')].some((c) => /[\u202a-\u202e\u2066-\u2069]/u.test(c)))).toBe(false);
  const warning = rlo.getByRole('img', sameName);
  await expect(warning).toBeVisible();
  await expect(warning).toHaveAttribute('title', /written with hidden or direction-changing characters to read “victor”/);
  // Victor had the name first: he is shown neutrally.
  const victors = message(page, 'victor here');
  await expect(victors.getByRole('img', sameName)).toHaveCount(0);
  await expect(victors.getByRole('button', { name: neutralNote })).toBeVisible();
  // The isolated name does not turn the rest of the header around: the handle still follows the name.
  const [nameBox, handleBox] = await Promise.all([name.boundingBox(), rlo.locator('header [data-badge]').boundingBox()]);
  expect(handleBox!.x).toBeGreaterThan(nameBox!.x);
  await rlo.getByRole('button', { name: 'rotciv: show identity' }).click();
  await expect(inspector(page).locator('[data-look-alike-detail]')).toContainText('to read “victor”');
  await shoot(page, 'same-name-rlo');
});

test('a handle on a look-alike domain (martix / matrix) is flagged, and the inspector says which characters differ', async ({
  browser,
}) => {
  const page = await newUserPage(browser, { width: 1280 });
  await signIn(page, gamma.serverName, 'carol', PASSWORD);
  await page.getByRole('button', { name: /^Commons/ }).click();
  const helpdesk = message(page, 'the helpdesk can reset your password');
  await expect(helpdesk).toContainText(`@helpdesk:${martix.serverName}`);
  await expect(helpdesk.getByRole('img', lookAlikeDomain)).toBeVisible();
  await helpdesk.getByRole('button', { name: 'Helpdesk: show identity' }).click();
  const detail = inspector(page).locator('[data-look-alikes="warned"] [data-look-alike-detail]');
  await expect(detail).toHaveText(
    `${martix.serverName} looks like ${matrix.serverName}: “rt” at character 3 where matrix.localhost has “tr”`,
  );
  await shoot(page, 'same-name-domain');
});
