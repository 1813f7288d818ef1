// The move's dry run and its patience (issue 16), in real Chromium against three real federating homeservers: dana's
// plan lists the room whose server ACL bans the new server as blocked, with the reason and what would unblock it,
// and a summary before anything changes; then the new server's front answers 429 to the move's first calls and the
// move waits them out, saying so at the progress bar, and finishes. The avatar ends up as a file of the new server.
import { expect, test, type Page } from '@playwright/test';
import http from 'node:http';
// Single protocol modules, not the index: Playwright's Node loader refuses the index's JSON import (confusables).
import { encodeBase64 } from '../src/protocol/base64';
import { deriveMemberKey, deriveMemberRoot } from '../src/protocol/derivation';
import { encodeRecoveryKey, generateRecoverySecret } from '../src/protocol/recovery-key';
import { startHomeserver, type RunningHomeserver } from '../server/testing/spawn';
import { ok, TestClient } from '../server/testing/http-client';
import { DEV_TOKEN, enc, startServers } from '../server/testing/federation-harness';
import { newUserPage, screenshot, testPng } from './support/chat';
import { loginPortable, portableAccount } from './support/portable';

const PASSWORD = 'migration-plan-e2e-password';
const BETA_PORT = 22012;
const BETA_NAME = 'beta.localhost:22011';
/** 429s the storm answers before letting the move through. */
const STORM = 4;

let alpha: RunningHomeserver;
let gamma: RunningHomeserver;
let beta: RunningHomeserver;
let front: http.Server;
let bob: TestClient;

/**
 * In front of beta, on the port of its name (what browsers and other servers reach): passes everything through,
 * except that once armed it answers the next STORM client-API calls (not preflights) with 429 and retry_after_ms.
 */
const storm = { armed: false, left: STORM, answered: [] as string[] };

function startFront(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const clientCall = req.url?.startsWith('/_matrix/client/') && req.method !== 'OPTIONS';
    if (storm.armed && clientCall && storm.left > 0) {
      storm.left -= 1;
      storm.answered.push(`${req.method} ${req.url?.split('?')[0]}`);
      req.resume();
      res.writeHead(429, { 'Content-Type': 'application/json', 'Access-Control-Allow-Origin': '*' });
      res.end(JSON.stringify({ errcode: 'M_LIMIT_EXCEEDED', error: 'Too many requests', retry_after_ms: 2500 }));
      return;
    }
    const upstream = http.request(
      { host: '127.0.0.1', port: BETA_PORT, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(BETA_NAME.split(':')[1]), '127.0.0.1', () => resolve(server));
  });
}

test.describe.configure({ mode: 'serial', timeout: 240_000 });

test.beforeAll(async () => {
  test.setTimeout(150_000);
  front = await startFront();
  [alpha, gamma] = await startServers(['alpha.localhost:22010', 'gamma.localhost:22013']);
  beta = await startHomeserver({
    serverName: BETA_NAME,
    port: BETA_PORT,
    extraArgs: ['--dev-admin', DEV_TOKEN, '--federation-max-backoff-ms', '1000'],
  });
  bob = await new TestClient(gamma.baseUrl).register('bob', PASSWORD);
});

test.afterAll(async () => {
  await Promise.all([alpha, beta, gamma].filter(Boolean).map((s) => s.dispose()));
  await new Promise((resolve) => front?.close(resolve));
});

/** Bob's public member-key room on gamma that `member` joins with the key from its recovery secret. */
async function bobsRoomWith(member: TestClient, secret: Uint8Array, name: string, initialState: unknown[] = []): Promise<string> {
  const roomId = (await ok(bob.post('/_matrix/client/v3/createRoom', { name, preset: 'public_chat', initial_state: initialState })))
    .room_id;
  const seed = deriveMemberKey(deriveMemberRoot(secret), roomId);
  await ok(
    member.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(gamma.serverName)}`, {
      'dev.wayfarer.member_seed': encodeBase64(seed.seed),
    }),
  );
  return roomId;
}

function wizard(page: Page) {
  return page.getByRole('dialog', { name: 'Move your account' });
}

test('the dry run lists a room the new server is banned from, with why and what would unblock it; the move waits out a 429 storm and finishes', async ({
  browser,
}) => {
  const secret = generateRecoverySecret();
  const dana = await portableAccount(alpha, 'dana', secret);
  // Dana's avatar, a file on alpha.
  const png = testPng();
  const uploaded = await fetch(`${alpha.baseUrl}/_matrix/media/v3/upload?filename=face.png`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${dana.accessToken}`, 'Content-Type': 'image/png' },
    body: new Uint8Array(png),
  });
  const avatarUrl = ((await uploaded.json()) as { content_uri: string }).content_uri;
  await ok(dana.put(`/_matrix/client/v3/profile/${enc(dana.userId!)}/avatar_url`, { avatar_url: avatarUrl }));
  await dana.setDisplayName('Dana');
  const open = await bobsRoomWith(dana, secret, 'Open Orchard');
  // Fenced Field: its server ACL bans beta (the port is not part of an ACL's server name).
  await bobsRoomWith(dana, secret, 'Fenced Field', [
    { type: 'm.room.server_acl', state_key: '', content: { allow: ['*'], deny: ['beta.localhost'], allow_ip_literals: true } },
  ]);

  const page = await newUserPage(browser);
  await page.goto('/');
  await page.getByLabel('Homeserver').fill(alpha.serverName);
  await page.getByRole('button', { name: 'Use a recovery key' }).click();
  await page.getByLabel('Recovery key', { exact: true }).fill(encodeRecoveryKey(secret));
  await page.getByLabel('Recovery key', { exact: true }).press('Enter');
  const rooms = page.getByRole('navigation', { name: 'Rooms' });
  await expect(rooms.getByRole('button', { name: /^Fenced Field/ })).toBeVisible({ timeout: 30_000 });
  await expect(rooms.getByRole('button', { name: /^Open Orchard/ })).toBeVisible();

  // Where to, prove, plan: all in the wizard.
  await page.getByRole('button', { name: 'Move account' }).click();
  const w = wizard(page);
  await w.getByLabel('New homeserver').fill(BETA_NAME);
  await w.getByRole('button', { name: 'Check server' }).click();
  await w.getByRole('button', { name: 'Continue with the portable path' }).click();
  await w.getByLabel('Recovery key', { exact: true }).fill(encodeRecoveryKey(secret));
  await w.getByLabel(/^Username on/).fill('dana');
  await w.getByRole('button', { name: 'Prove and continue' }).click();
  await expect(w.getByRole('heading', { name: 'Plan' })).toBeVisible({ timeout: 30_000 });

  // The dry run: the fenced room is blocked, with its reason and what would unblock it, and can't be ticked.
  const plan = w.getByRole('list', { name: 'Rooms to move' });
  const fenced = plan.getByRole('listitem').filter({ hasText: 'Fenced Field' });
  await expect(fenced).toContainText('cannot move');
  await expect(fenced).toContainText('The room’s server ACL bans beta.localhost:22011: no account there may take part.');
  await expect(fenced).toContainText(
    'To move it: Ask a room admin to allow beta.localhost:22011 in the room’s server ACL, then plan again.',
  );
  await expect(fenced.getByRole('checkbox')).toBeDisabled();
  await expect(fenced.getByRole('checkbox')).not.toBeChecked();
  await expect(plan.getByRole('listitem').filter({ hasText: 'Open Orchard' })).toContainText('moves seamlessly (same identity)');
  // The summary before anything changes; uploaded files stay on alpha, and the plan says so.
  const summary = w.getByRole('region', { name: 'Before anything changes' });
  await expect(summary).toContainText('1 room moves with your identity');
  await expect(summary).toContainText('1 room cannot move yet: see why below');
  await expect(summary).toContainText('Nothing has changed yet');
  const settings = w.getByRole('list', { name: 'Profile and settings to copy' });
  await expect(settings.getByRole('listitem').filter({ hasText: 'Files you uploaded' })).toContainText(`stay on ${alpha.serverName}`);
  await expect(settings.getByRole('listitem').filter({ hasText: 'Profile' })).toContainText(
    'display name copied, avatar uploaded again to the new server',
  );
  await fenced.scrollIntoViewIfNeeded();
  await screenshot(page, 'migration-plan-blocked-light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshot(page, 'migration-plan-blocked-dark');

  // The storm: beta's front answers 429 to the move's first calls. The move waits, says so, and goes on.
  storm.armed = true;
  await w.getByRole('button', { name: 'Start moving' }).click();
  await expect(
    w.getByRole('status').filter({ hasText: `${BETA_NAME} asked to slow down: waiting 3 seconds, then going on` }),
  ).toBeVisible();
  await screenshot(page, 'migration-rate-limited-dark');
  await expect(w.getByText('Everything moved')).toBeVisible({ timeout: 90_000 });
  expect(storm.left).toBe(0);
  expect(storm.answered).toHaveLength(STORM);
  await expect(w.getByRole('list', { name: 'Check of moved rooms' })).toContainText(
    `Open Orchard: link verified by ${BETA_NAME} and by this browser`,
  );
  await expect(w.getByRole('list', { name: 'Items' }).getByText(/failed/)).toHaveCount(0);
  const items = w.getByRole('list', { name: 'Items' });
  await expect(items.getByRole('listitem', { name: 'Files you uploaded' })).toContainText(`stay on ${alpha.serverName}`);
  await expect(items.getByRole('listitem', { name: 'Fenced Field' })).toContainText('To move it: Ask a room admin to allow');

  // On beta: the room is held, and the avatar is beta's own file with the same bytes.
  const danaBeta = await loginPortable(beta, secret);
  expect((await ok(danaBeta.get('/_matrix/client/v3/joined_rooms'))).joined_rooms).toEqual([open]);
  const profile = await ok(danaBeta.get(`/_matrix/client/v3/profile/${enc(danaBeta.userId!)}`));
  expect(profile.displayname).toBe('Dana');
  expect(profile.avatar_url).toMatch(new RegExp(`^mxc://${BETA_NAME.replace('.', '\\.')}/`));
  const [, mediaId] = /^mxc:\/\/[^/]+\/(.+)$/.exec(profile.avatar_url)!;
  const file = await fetch(`${beta.baseUrl}/_matrix/client/v1/media/download/${enc(BETA_NAME)}/${enc(mediaId!)}`, {
    headers: { Authorization: `Bearer ${danaBeta.accessToken}` },
  });
  expect(Buffer.from(await file.arrayBuffer()).equals(png)).toBe(true);
  // The profile step ran after the rooms, so the room shows the new file too, not alpha's.
  const state = (await ok(danaBeta.get(`/_matrix/client/v3/rooms/${enc(open)}/state`))) as any[];
  const member = state.find((e) => e.type === 'm.room.member' && e.content?.localpart === 'dana' && e.content?.domain === BETA_NAME);
  expect(member?.content.avatar_url).toBe(profile.avatar_url);
  await page.context().close();
});
