// Every change to a member's identity, inline where it happened, and what unverified members did (issue 15), on
// three real federating homeservers. Alice (alpha, the room's creator) watches in her browser while: Mallory
// (gamma), claiming Bob's handle on beta without beta's co-signature, kicks Carol; beta rotates its signing key (Bob's
// link is lost) and re-signs (restored); Olivia erases Erin's member event. Then Alice kicks Mallory from the
// inspector: the kick names Mallory's key, and Bob, whose handle Mallory shares, stays.
import { expect, test, type Page } from '@playwright/test';
import type { RunningHomeserver } from '../server/testing/spawn';
import { TestClient } from '../server/testing/http-client';
import { bodies, devAdmin, enc, say, startServers, waitFor } from '../server/testing/federation-harness';
import { message, newUserPage, screenshot, signIn, timeline } from './support/chat';

const PASSWORD = 'identity-notices-password';
let alpha: RunningHomeserver;
let beta: RunningHomeserver;
let gamma: RunningHomeserver;
let roomId: string;
const keys: Record<string, string> = {};
const clients: Record<string, TestClient> = {};
let erinEventId: string;

async function account(server: RunningHomeserver, name: string, displayname: string): Promise<TestClient> {
  const client = await new TestClient(server.baseUrl).register(name, PASSWORD);
  await client.setDisplayName(displayname);
  clients[name] = client;
  return client;
}

/** The member key (URL-safe, without '@') of the member event that claims `localpart` on `domain`. */
async function keyClaiming(viewer: TestClient, localpart: string, domain: string): Promise<{ key: string; eventId: string }> {
  const event = await waitFor(`the member event of @${localpart}:${domain}`, async () => {
    const r = await viewer.get(`/_matrix/client/v3/rooms/${enc(roomId)}/state`);
    return (
      r.status === 200 &&
      (r.body as any[]).find((e) => e.type === 'm.room.member' && e.content.localpart === localpart && e.content.domain === domain)
    );
  });
  return { key: String(event.unsigned['org.matrix.msc4428.stable_id_state_key']).slice(1), eventId: event.event_id };
}

async function join(client: TestClient): Promise<void> {
  const reply = await client.post(
    `/_matrix/client/v3/join/${enc('#notices:' + alpha.serverName)}?server_name=${enc(alpha.serverName)}`,
    {},
  );
  if (reply.status !== 200) throw new Error(`join: ${reply.status} ${JSON.stringify(reply.body)}`);
}

test.beforeAll(async () => {
  test.setTimeout(150_000);
  [alpha, beta, gamma] = await startServers(
    ['alpha.localhost:21901', 'beta.localhost:21902', 'gamma.localhost:21903'],
    ['--link-recheck-seconds', '3600'],
  );
  const alice = await account(alpha, 'alice', 'Alice');
  const olivia = await account(alpha, 'olivia', 'Olivia');
  const erin = await account(alpha, 'erin', 'Erin');
  const bob = await account(beta, 'bob', 'Bob');
  const carol = await account(gamma, 'carol', 'Carol');
  const mallory = await account(gamma, 'mallory', 'Mallory');

  const created = await alice.post('/_matrix/client/v3/createRoom', {
    name: 'Notices',
    room_alias_name: 'notices',
    preset: 'public_chat',
    room_version: 'org.matrix.12.4430',
  });
  roomId = created.body.room_id;
  for (const c of [olivia, erin, bob, carol, mallory]) await join(c);
  keys.alice = (await keyClaiming(alice, 'alice', alpha.serverName)).key;
  keys.olivia = (await keyClaiming(alice, 'olivia', alpha.serverName)).key;
  const erinMember = await keyClaiming(alice, 'erin', alpha.serverName);
  keys.erin = erinMember.key;
  erinEventId = erinMember.eventId;
  keys.bob = (await keyClaiming(alice, 'bob', beta.serverName)).key;
  keys.carol = (await keyClaiming(alice, 'carol', gamma.serverName)).key;
  keys.mallory = (await keyClaiming(alice, 'mallory', gamma.serverName)).key;

  // Olivia may redact others' events, Mallory may kick (given while her link was still her own, verified one).
  const levels = await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.power_levels/`);
  const users = { ...(levels.body.users ?? {}), [`@${keys.olivia}`]: 50, [`@${keys.mallory}`]: 50 };
  const put = await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.power_levels/`, { ...levels.body, users });
  if (put.status !== 200) throw new Error(`power levels: ${put.status} ${JSON.stringify(put.body)}`);
  await waitFor('the power levels on gamma', async () => {
    const r = await mallory.get(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.power_levels/`);
    return r.status === 200 && r.body.users?.[mallory.userId!] === 50;
  });

  // Mallory, on gamma, now claims to be @bob on beta: beta never co-signs that. Same key, a forged handle.
  await devAdmin(gamma, 'forge_member', { room_id: roomId, user_id: mallory.userId, claimed_domain: beta.serverName, localpart: 'bob' });
  await say(bob, roomId, 'bob says hello');
  await say(erin, roomId, 'erin was here');
  await waitFor('bob on alpha', async () => (await bodies(alice, roomId)).includes('bob says hello'));
});

test.afterAll(async () => {
  await Promise.all([alpha, beta, gamma].filter(Boolean).map((s) => s.dispose()));
});

function notice(page: Page, text: string | RegExp) {
  return timeline(page).locator('[data-notice]').filter({ hasText: text });
}
function inspector(page: Page) {
  return page.getByRole('dialog', { name: 'Identity' });
}
function memberRow(page: Page, key: string) {
  return page.getByRole('complementary', { name: 'Members' }).locator(`li[data-identity="${key}"]`);
}

test('link lost, restored and erased show inline; a kick by an unverified member is marked; the inspector kicks the right key', async ({
  browser,
}) => {
  test.setTimeout(180_000);
  const page = await newUserPage(browser);
  await signIn(page, alpha.serverName, 'alice', PASSWORD);
  await page.getByRole('button', { name: /^Notices/ }).click();
  await expect(message(page, 'bob says hello')).toContainText(`@bob:${beta.serverName}`);

  // Mallory (unverified: she claims @bob on beta) kicks Carol. The kick is in force, and marked.
  const mallory = clients.mallory!;
  const kicked = await mallory.post(`/_matrix/client/v3/rooms/${enc(roomId)}/kick`, { user_id: `@${keys.carol}`, reason: 'bye' });
  expect(kicked.status).toBe(200);
  const kick = notice(page, /removed Carol/);
  await expect(kick).toBeVisible({ timeout: 20_000 });
  await expect(kick.getByRole('img', { name: 'sent by a member whose handle was unverified when it was sent' })).toBeVisible();
  // Bob's own message is not marked, and the header sums the changes up; the list leads to the kick.
  await expect(timeline(page).locator('[data-unverified-actor]')).toHaveCount(1);
  await page.getByRole('button', { name: '⚠ 1 change by unverified members' }).click();
  const list = page.getByRole('dialog', { name: 'Changes by unverified members' });
  await expect(list.getByTestId('unverified-change')).toHaveCount(1);
  await expect(list.getByTestId('unverified-change')).toContainText('removed Carol');
  await screenshot(page, 'identity-notices-unverified-changes-light');
  await list.getByRole('button', { name: 'Show in timeline' }).click();
  await expect(list).toBeHidden();

  // Beta rotates its signing key; alpha re-checks: Bob's link is lost, said inline where it was seen.
  await devAdmin(beta, 'rotate_signing_key');
  await devAdmin(alpha, 'recheck_links');
  const lost = notice(page, `Bob’s handle @bob:${beta.serverName} is no longer verified`);
  await expect(lost).toBeVisible({ timeout: 20_000 });
  // Beta re-signs its members with the new key; the next re-check restores the link.
  await devAdmin(beta, 'resign_members');
  await devAdmin(alpha, 'recheck_links');
  const restored = notice(page, `Bob’s handle @bob:${beta.serverName} is verified again`);
  await expect(restored).toBeVisible({ timeout: 20_000 });

  // Olivia erases Erin's member event: the erasure is said at the redaction, and Erin is an erased member, not an
  // unverified handle.
  const erased = await clients.olivia!.put(`/_matrix/client/v3/rooms/${enc(roomId)}/redact/${enc(erinEventId)}/erase-erin`, {});
  expect(erased.status).toBe(200);
  const erasure = notice(page, `@erin:${alpha.serverName} was erased: Olivia redacted the member event`);
  await expect(erasure).toBeVisible({ timeout: 20_000 });
  await expect(erasure.getByRole('img', { name: /erased member/i })).toBeVisible();
  await expect(erasure.getByRole('img', { name: 'unverified handle' })).toHaveCount(0);
  await screenshot(page, 'identity-notices-timeline-light');

  // In timeline order: the kick, then the lost link, then its restoration, then the erasure.
  const order = await timeline(page)
    .locator('[data-notice]')
    .evaluateAll((rows) => rows.map((r) => r.textContent ?? ''));
  const at = (pattern: RegExp) => order.findIndex((text) => pattern.test(text));
  expect(at(/removed Carol/)).toBeLessThan(at(/no longer verified/));
  expect(at(/no longer verified/)).toBeLessThan(at(/verified again/));
  expect(at(/verified again/)).toBeLessThan(at(/was erased/));

  // A notice opens the inspector of its member.
  await lost.getByRole('button', { name: /show identity$/ }).click();
  await expect(inspector(page).getByTestId('member-key')).toHaveText(keys.bob!.match(/.{1,4}/g)!.join(' '));
  await inspector(page).getByRole('button', { name: 'Close identity' }).click();

  // A reload still shows the link notices where they were seen (they come with no event).
  await page.reload();
  await expect(notice(page, `Bob’s handle @bob:${beta.serverName} is no longer verified`)).toBeVisible({ timeout: 20_000 });
  await expect(notice(page, `Bob’s handle @bob:${beta.serverName} is verified again`)).toBeVisible();
  // The erasure comes from the room's history: the redaction (after a reload the handle may have gone with it).
  await expect(notice(page, /was erased: Olivia redacted the member event/)).toBeVisible();
  await expect(notice(page, /removed Carol/).getByRole('img', { name: /unverified when it was sent/ })).toBeVisible();

  // Alice kicks Mallory from the inspector. Mallory claims @bob on beta, as Bob does: the confirmation names her key
  // and says the claim is not verified; the kick names her key, and Bob stays.
  await page.getByRole('button', { name: 'Members', exact: true }).click();
  await memberRow(page, keys.mallory!)
    .getByRole('button', { name: /show identity/ })
    .click();
  const panel = inspector(page);
  await expect(panel.getByTestId('member-key')).toHaveText(keys.mallory!.match(/.{1,4}/g)!.join(' '));
  await expect(panel.getByRole('button', { name: 'Message' })).toBeDisabled(); // no verified handle to write to
  await panel.getByRole('button', { name: 'Kick' }).click();
  const confirm = page.getByRole('dialog', { name: 'Kick Mallory?' });
  await expect(confirm.getByTestId('confirm-key')).toHaveText(keys.mallory!.match(/.{1,4}/g)!.join(' '));
  await expect(confirm.getByTestId('confirm-handle')).toHaveText(`claims @bob:${beta.serverName}, not verified`);
  await screenshot(page, 'identity-notices-kick-confirm-light');
  await confirm.getByRole('button', { name: 'Kick' }).click();
  await expect(panel.getByRole('status')).toHaveText('Mallory was kicked');
  const membership = async (key: string) => {
    const state = (await clients.alice!.get(`/_matrix/client/v3/rooms/${enc(roomId)}/state`)).body as any[];
    return state.find((e) => e.type === 'm.room.member' && e.unsigned['org.matrix.msc4428.stable_id_state_key'] === `@${key}`)?.content
      .membership;
  };
  await waitFor('mallory kicked on alpha', async () => (await membership(keys.mallory!)) === 'leave');
  expect(await membership(keys.bob!)).toBe('join');
  await panel.getByRole('button', { name: 'Close identity' }).click();

  // Bob's inspector: Mention puts a mention of him in the composer.
  await memberRow(page, keys.bob!)
    .getByRole('button', { name: /show identity/ })
    .click();
  await inspector(page).getByRole('button', { name: 'Mention' }).click();
  await expect(page.getByRole('textbox', { name: 'Message' })).toHaveValue(`[Bob](https://matrix.to/#/@bob:${beta.serverName}) `);

  // Ignore goes into m.ignored_user_list under the user ID Bob is shown as; Message starts a DM with his verified handle.
  await memberRow(page, keys.bob!)
    .getByRole('button', { name: /show identity/ })
    .click();
  await inspector(page).getByRole('button', { name: 'Ignore' }).click();
  await expect(inspector(page).getByRole('status')).toHaveText('Bob is ignored: you won’t see their messages');
  await waitFor('bob in the ignore list', async () => {
    const r = await clients.alice!.get(`/_matrix/client/v3/user/${enc(clients.alice!.userId!)}/account_data/m.ignored_user_list`);
    return r.status === 200 && `@bob:${beta.serverName}` in (r.body.ignored_users ?? {});
  });
  await inspector(page).getByRole('button', { name: 'Stop ignoring' }).click();
  await expect(inspector(page).getByRole('status')).toHaveText('Bob is no longer ignored');
  await inspector(page).getByRole('button', { name: 'Message' }).click();
  const dm = page.getByRole('dialog', { name: 'Start a direct message' });
  await expect(dm.getByLabel('User ID')).toHaveValue(`@bob:${beta.serverName}`);
  await dm.getByRole('button', { name: 'Cancel' }).click();

  // The same timeline in dark, at 1280 and 375 px. (The link notices are this browser's observations: a new browser
  // would not have them, so the same page switches its colour scheme and width.)
  await inspector(page).getByRole('button', { name: 'Close identity' }).click();
  await page.getByRole('button', { name: 'Members', exact: true }).click(); // closes the panel
  await page.emulateMedia({ colorScheme: 'dark' });
  for (const width of [1280, 375]) {
    await page.setViewportSize({ width, height: 800 });
    await expect(notice(page, `Bob’s handle @bob:${beta.serverName} is verified again`)).toBeVisible();
    await screenshot(page, `identity-notices-timeline-dark-${width}`);
  }
});
