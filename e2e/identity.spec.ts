// The key is the person (issue 6), on three real federating homeservers: unverified-handle badges in the timeline
// and the member list, link changes arriving without a reload, look-alike warnings, the identity inspector and the
// browser's own link check (including a tampered member event).
import { expect, test, type Page } from '@playwright/test';
import type { RunningHomeserver } from '../server/testing/spawn';
import { TestClient } from '../server/testing/http-client';
import { bodies, devAdmin, enc, say, startServers, waitFor } from '../server/testing/federation-harness';
import { message, newUserPage, screenshot, signIn } from './support/chat';

const PASSWORD = 'identity-e2e-password';
let alpha: RunningHomeserver;
let beta: RunningHomeserver;
let gamma: RunningHomeserver;
let roomId: string;
const keys: Record<string, string> = {};
let admin: TestClient; // Alice on alpha, the room's creator
let forgedEventId: string;

async function account(server: RunningHomeserver, name: string, displayname: string): Promise<TestClient> {
  const client = await new TestClient(server.baseUrl).register(name, PASSWORD);
  await client.setDisplayName(displayname);
  return client;
}

/** The member key (URL-safe, without '@') of a member event this client can see. */
async function memberKeyOf(viewer: TestClient, eventId: string): Promise<string> {
  const event = (await viewer.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(eventId)}`)).body;
  return String(event.unsigned['org.matrix.msc4428.stable_id_state_key']).slice(1);
}

/** The client's own member key in the room, from its own member event. */
async function ownMemberKey(client: TestClient): Promise<string> {
  const event = await waitFor('own member event', async () => {
    const r = await client.get(`/_matrix/client/v3/rooms/${enc(roomId)}/state`);
    const [, localpart, domain] = /^@([^:]+):(.+)$/.exec(client.userId!)!;
    // By the handle it claims: right after a join the mapped sender may still be a placeholder.
    return (
      r.status === 200 &&
      (r.body as any[]).find((e) => e.type === 'm.room.member' && e.content.localpart === localpart && e.content.domain === domain)
    );
  });
  return String(event.unsigned['org.matrix.msc4428.stable_id_state_key']).slice(1);
}

async function join(client: TestClient): Promise<string> {
  const reply = await client.post(
    `/_matrix/client/v3/join/${enc('#commons:' + alpha.serverName)}?server_name=${enc(alpha.serverName)}`,
    {},
  );
  if (reply.status !== 200) throw new Error(`join: ${reply.status} ${JSON.stringify(reply.body)}`);
  return ownMemberKey(client);
}

test.beforeAll(async () => {
  test.setTimeout(120_000);
  [alpha, beta, gamma] = await startServers(
    ['alpha.localhost:19371', 'beta.localhost:19372', 'gamma.localhost:19373'],
    ['--link-recheck-seconds', '3600'],
  );
  const alice = (admin = await account(alpha, 'alice', 'Alice'));
  const bob = await account(beta, 'bob', 'Bob');
  const otherAlice = await account(beta, 'alice', 'Alice'); // same display name, another key
  const carol = await account(gamma, 'carol', 'Carol');
  const mallory = await account(gamma, 'mallory', 'Mallory');

  const created = await alice.post('/_matrix/client/v3/createRoom', {
    name: 'Commons',
    room_alias_name: 'commons',
    preset: 'public_chat',
    room_version: 'org.matrix.12.4430',
  });
  roomId = created.body.room_id;
  keys.alice = await ownMemberKey(alice);
  keys.bob = await join(bob);
  await join(otherAlice);
  await join(carol);
  await join(mallory);
  // Mallory, on gamma, claims to be @bob on beta: beta never co-signs that.
  const forged = await devAdmin(gamma, 'forge_member', {
    room_id: roomId,
    user_id: mallory.userId,
    claimed_domain: beta.serverName,
    localpart: 'bob',
  });
  keys.mallory = await memberKeyOf(mallory, forged.event_id);
  forgedEventId = forged.event_id;

  await say(alice, roomId, 'hello from alice');
  await waitFor('the first message on beta', async () => (await bodies(otherAlice, roomId)).includes('hello from alice'));
  await say(otherAlice, roomId, 'hello from the other alice');
  await waitFor('the other alice on alpha', async () => (await bodies(alice, roomId)).includes('hello from the other alice'));
  await say(alice, roomId, 'alice again');
  await say(bob, roomId, 'bob here');
  await say(mallory, roomId, 'it is bob, really');
  await waitFor('everything on gamma', async () => {
    const seen = await bodies(carol, roomId);
    return ['alice again', 'bob here', 'it is bob, really'].every((b) => seen.includes(b));
  });
});

test.afterAll(async () => {
  await Promise.all([alpha, beta, gamma].filter(Boolean).map((s) => s.dispose()));
});

function members(page: Page) {
  return page.getByRole('complementary', { name: 'Members' });
}
function memberRow(page: Page, key: string) {
  return members(page).locator(`li[data-identity="${key}"]`);
}
function inspector(page: Page) {
  return page.getByRole('dialog', { name: 'Identity' });
}

test('badges, look-alike warnings, live link changes, the inspector and the browser’s own check', async ({ browser }) => {
  test.setTimeout(120_000);
  const page = await newUserPage(browser);
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await signIn(page, gamma.serverName, 'carol', PASSWORD);
  await page.getByRole('button', { name: /^Commons/ }).click();

  // The forged-link member: "⚠ Unverified handle" in the timeline, never the claimed @bob as a handle.
  const impostor = message(page, 'it is bob, really');
  await expect(impostor.getByRole('img', { name: 'unverified handle' })).toBeVisible();
  await expect(impostor).toContainText('⚠ Unverified handle');
  await expect(impostor).not.toContainText(`@bob:${beta.serverName}`);
  await expect(message(page, 'bob here')).toContainText(`@bob:${beta.serverName}`);

  // Two keys called "Alice" are two groups. Both are verified: the one who had the name first (the room's creator)
  // is shown neutrally, the newer one carries the warning (issue 15: never blame the victim).
  for (const text of ['hello from alice', 'hello from the other alice', 'alice again']) {
    const row = message(page, text);
    await expect(row.getByRole('button', { name: 'Alice: show identity' })).toBeVisible();
    const copy = text === 'hello from the other alice';
    await expect(row.getByRole('img', { name: 'same name as another member' })).toHaveCount(copy ? 1 : 0);
    await expect(row.getByRole('button', { name: 'Another member uses this name: show them' })).toHaveCount(copy ? 0 : 1);
  }
  await screenshot(page, 'identity-timeline-light');

  // The member list: one row per key; the forger (unverified) is warned, the verified Bob and the first Alice only
  // carry the neutral note.
  await page.getByRole('button', { name: 'Members' }).click();
  await expect(memberRow(page, keys.mallory!).getByRole('img', { name: 'unverified handle' })).toBeVisible();
  await expect(memberRow(page, keys.mallory!).getByRole('img', { name: 'same name as another member' })).toBeVisible();
  for (const original of [keys.bob!, keys.alice!]) {
    await expect(memberRow(page, original).getByRole('img', { name: 'same name as another member' })).toHaveCount(0);
    await expect(memberRow(page, original).getByRole('button', { name: 'Another member uses this name: show them' })).toBeVisible();
  }
  await expect(members(page).locator('li[data-identity]')).toHaveCount(5);
  await screenshot(page, 'identity-members-light');

  // Beta rotates its key; gamma re-checks: beta's members turn unverified in the open page, without a reload.
  await devAdmin(beta, 'rotate_signing_key');
  await devAdmin(gamma, 'recheck_links');
  await expect(memberRow(page, keys.bob!).getByRole('img', { name: 'unverified handle' })).toBeVisible();
  await expect(message(page, 'bob here').getByRole('img', { name: 'unverified handle' })).toBeVisible();
  await expect(memberRow(page, keys.alice!)).toContainText(`@alice:${alpha.serverName}`);
  // Beta re-signs its members with the new key; after the next re-check they are verified again.
  await devAdmin(beta, 'resign_members');
  await devAdmin(gamma, 'recheck_links');
  await expect(memberRow(page, keys.bob!)).toContainText(`@bob:${beta.serverName}`);
  await expect(message(page, 'bob here').getByRole('img', { name: 'unverified handle' })).toBeHidden();

  // The browser checks every link of the room itself (one key fetch per domain) and agrees with gamma: the room's
  // member events come in one page of member_events, not a request per member, fetched (and checked) by the worker.
  const memberEventRequests: string[] = [];
  const countMemberEvents = (request: { url(): string }) => {
    const path = new URL(request.url()).pathname;
    if (path.includes('/dev.wayfarer/rooms/') && /\/member_events?(\/|$)/.test(path)) memberEventRequests.push(path.replace(/.*\//, ''));
  };
  page.context().on('request', countMemberEvents);
  await members(page).getByRole('button', { name: 'Check every link in this browser' }).click();
  await expect(members(page).getByRole('status')).toHaveText('Checked 5 links in this browser: 4 verified, 1 unverified.');
  page.context().off('request', countMemberEvents);
  expect(memberEventRequests).toEqual(['member_events']);

  // The inspector on the impostor: key in groups, status and reason from the homeserver, history, the browser's verdict.
  await memberRow(page, keys.mallory!)
    .getByRole('button', { name: /show identity/ })
    .click();
  const panel = inspector(page);
  await expect(panel).toBeVisible();
  await expect(panel.getByTestId('member-key')).toHaveText(keys.mallory!.match(/.{1,4}/g)!.join(' '));
  await expect(panel.getByText('This key is specific to this room', { exact: false })).toBeVisible();
  await expect(panel.getByTestId('homeserver-verdict')).toContainText('unverified');
  await expect(panel.getByTestId('homeserver-verdict')).toContainText('not co-signed');
  // Every member event of the key, signed: her own join, co-signed by gamma; then the forged claim, which beta never
  // co-signed (gamma's forge_member signs it with the member key only).
  const history = panel.getByRole('region', { name: 'Handle history' });
  await expect(history.getByTestId('handle-history-entry')).toHaveCount(2);
  await expect(history.getByTestId('handle-history-entry').first()).toContainText(`@mallory:${gamma.serverName}`);
  await expect(history.getByTestId('handle-history-entry').first()).toContainText(`co-signed by ${gamma.serverName}`);
  await expect(history.getByTestId('handle-history-entry').last()).toContainText('⚠ Unverified handle');
  await expect(history.getByTestId('handle-history-entry').last()).toContainText(
    `no co-signature: the claimed ${beta.serverName} did not sign it`,
  );
  await expect(history).not.toContainText(`@bob:${beta.serverName}`);
  await expect(panel.getByTestId('browser-verdict')).toContainText(`${beta.serverName} has not co-signed this member event`);
  await panel.getByRole('button', { name: 'Verify now' }).click();
  await expect(panel.getByTestId('browser-verdict')).toContainText('unverified');
  await panel.getByRole('button', { name: 'Copy member event JSON' }).click();
  await expect(panel.getByRole('status')).toHaveText('Signed member event copied');
  const copied = JSON.parse(await page.evaluate(() => navigator.clipboard.readText()));
  expect(copied).toMatchObject({
    type: 'm.room.member',
    state_key: `@${keys.mallory}`,
    content: { localpart: 'bob', domain: beta.serverName },
  });
  expect(copied.signatures).toBeTruthy();
  await screenshot(page, 'identity-inspector-light');
  await panel.getByRole('button', { name: 'Close identity' }).click();

  // Bob, as this browser checks him itself: verified with beta's new key. Then one byte of his member event's
  // content is changed on the way: the browser's check fails with the reason, and the disagreement is said plainly.
  await memberRow(page, keys.bob!)
    .getByRole('button', { name: /show identity/ })
    .click();
  await panel.getByRole('button', { name: 'Verify now' }).click();
  await expect(panel.getByTestId('browser-verdict')).toContainText('verified');
  await expect(panel.getByTestId('browser-verdict')).not.toContainText('unverified');
  await expect(panel.getByRole('region', { name: 'Handle history' })).toContainText(`co-signed by ${beta.serverName}`);
  await expect(panel.getByRole('region', { name: 'Handle history' })).toContainText('checked by this browser');
  await page.route('**/dev.wayfarer/rooms/*/member_event/*', async (route) => {
    if (route.request().method() !== 'GET') return route.continue(); // the CORS preflight
    if (new URL(route.request().url()).searchParams.has('history')) return route.continue(); // only the link check's fetch is tampered with
    // Node (where route.fetch runs) does not resolve *.localhost: same server, by its loopback address.
    const response = await route.fetch({
      url: route
        .request()
        .url()
        .replace(/\/\/[^/:]+\.localhost:/, '//127.0.0.1:'),
    });
    const event = await response.json();
    event.content.localpart = 'bot'; // one byte
    await route.fulfill({
      status: 200,
      headers: { 'content-type': 'application/json', 'access-control-allow-origin': '*' },
      body: JSON.stringify(event),
    });
  });
  await panel.getByRole('button', { name: 'Verify now' }).click();
  await expect(panel.getByTestId('browser-verdict')).toContainText('content does not match its content hash');
  await expect(panel.getByRole('alert')).toContainText('Your homeserver says verified; this browser found: unverified');
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, 'identity-inspector-tampered-dark');
  await page.unroute('**/dev.wayfarer/rooms/*/member_event/*');
  await panel.getByRole('button', { name: 'Close identity' }).click();
  await screenshot(page, 'identity-timeline-dark');

  // Mentions autocomplete: one option per key, the badge instead of an unverified claim; Enter inserts a mention.
  const composer = page.getByRole('textbox', { name: 'Message' });
  await composer.fill('thanks @');
  const suggestions = page.getByRole('listbox', { name: 'Mention someone' });
  await expect(suggestions.getByRole('option')).toHaveCount(4); // everyone but Carol herself
  const impostorOption = suggestions.getByRole('option', { name: /^Mallory/ });
  await expect(impostorOption.getByRole('img', { name: 'unverified handle' })).toBeVisible();
  await expect(impostorOption).not.toContainText('@bob');
  await screenshot(page, 'identity-mentions-dark');
  await composer.pressSequentially('Bo');
  await expect(suggestions.getByRole('option')).toHaveCount(1);
  await composer.press('Enter');
  await expect(composer).toHaveValue(`thanks [Bob](https://matrix.to/#/@bob:${beta.serverName}) `);
  await composer.press('Enter');
  await expect(message(page, 'thanks').getByRole('link', { name: 'Bob' })).toBeVisible();

  // The room's admin redacts the impostor's member event: its localpart is gone, the member is erased.
  const redaction = await admin.put(`/_matrix/client/v3/rooms/${enc(roomId)}/redact/${enc(forgedEventId)}/erase-1`, {
    reason: 'impersonation',
  });
  expect(redaction.status).toBe(200);
  await expect(async () => {
    await devAdmin(gamma, 'recheck_links');
    await expect(memberRow(page, keys.mallory!).getByRole('img', { name: `erased member ${keys.mallory!.slice(0, 8)}` })).toBeVisible({
      timeout: 1000,
    });
  }).toPass({ timeout: 20_000 });
  await expect(memberRow(page, keys.mallory!)).toContainText(`Erased member ${keys.mallory!.slice(0, 8)}`);
});
