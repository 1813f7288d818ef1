// Portable identity end to end, in real Chromium against two real homeservers: create an identity on alpha,
// sign out, sign back in with the recovery key (typos caught as typed), bring the same identity to beta.
import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
// Single protocol modules, not the index: Playwright's Node loader refuses the index's JSON import (confusables).
import { signAccountKeyProof } from '../src/protocol/account-key-login';
import { encodeBase64Url } from '../src/protocol/base64';
import { deriveAccountKey, deriveCreatorMemberKey, deriveMemberKey, deriveMemberRoot } from '../src/protocol/derivation';
import { memberIdFromPublicKey } from '../src/protocol/keys';
import { decodeRecoveryKey } from '../src/protocol/recovery-key';
import type { Session } from '../src/matrix/session';
import { startHomeserver, type RunningHomeserver } from '../server/testing/spawn';
import { clientUrl, newUserPage, screenshot } from './support/chat';

const ALPHA = 'alpha.localhost:18811';
const BETA = 'beta.localhost:18812';
const PREFIX = '/_matrix/client/unstable/dev.wayfarer';
let alpha: RunningHomeserver;
let beta: RunningHomeserver;

test.describe.configure({ mode: 'serial', timeout: 180_000 });

test.beforeAll(async () => {
  [alpha, beta] = await Promise.all([startHomeserver({ serverName: ALPHA }), startHomeserver({ serverName: BETA })]);
});
test.afterAll(async () => {
  await Promise.all([alpha?.dispose(), beta?.dispose()]);
});

async function api(session: Session, method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${session.baseUrl}${path}`, {
    method,
    headers: { Authorization: `Bearer ${session.accessToken}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return response.json();
}

/** Signs in over HTTP with the recovery secret (challenge → signature → login), to inspect the account from outside. */
async function loginWithAccountKey(server: { baseUrl: string; serverName: string }, secret: Uint8Array): Promise<Session> {
  const account = deriveAccountKey(secret);
  const account_key = encodeBase64Url(account.publicKey);
  const post = (path: string, body: unknown) =>
    fetch(`${server.baseUrl}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }).then(
      (r) => r.json(),
    );
  const { challenge } = await post(`${PREFIX}/account_key/challenge`, { account_key });
  const signature = signAccountKeyProof({ challenge, homeserver: server.serverName, account_key }, account.seed);
  const reply = await post('/_matrix/client/v3/login', { type: 'dev.wayfarer.login.account_key', account_key, challenge, signature });
  if (!reply.access_token) throw new Error(`login failed: ${JSON.stringify(reply)}`);
  return { baseUrl: server.baseUrl, userId: reply.user_id, accessToken: reply.access_token, deviceId: reply.device_id };
}

const fetchPortableAccount = (session: Session): Promise<{ account_key?: string }> => api(session, 'GET', `${PREFIX}/account/portable`);

async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('dialog', { name: 'Sign out?' }).getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in to Wayfarer' })).toBeVisible({ timeout: 20_000 });
}

/** Types into the recovery-key field the way a person does, so the field checks as it goes. */
async function typeRecoveryKey(page: Page, text: string) {
  const field = page.getByLabel('Recovery key', { exact: true });
  await field.fill('');
  await field.pressSequentially(text, { delay: 0 });
}

test('create a portable identity on alpha, sign back in with the recovery key, bring it to beta', async ({ browser }) => {
  const page = await newUserPage(browser);
  // The client's own origin, wherever the config serves it (WAYFARER_E2E_CLIENT_PORT moves it off 8480).
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(clientUrl()).origin });
  const alphaBase = { baseUrl: alpha.baseUrl, serverName: ALPHA };

  // A password account takes a name, to see the availability check refuse it.
  await fetch(`${alpha.baseUrl}/_matrix/client/v3/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'taken', password: 'pw', auth: { type: 'm.login.dummy' } }),
  });

  // 1. Create: the key is shown in groups of 4, copied, downloaded.
  await page.goto('/');
  await page.getByLabel('Homeserver').fill(ALPHA);
  await screenshot(page, 'portable-0-sign-in-screen');
  await page.getByRole('button', { name: 'Create a portable identity' }).click();
  await expect(page.getByRole('heading', { name: 'Create a portable identity' })).toBeVisible();
  const groups = await page.getByRole('status', { name: 'Your recovery key' }).locator('span').allTextContents();
  expect(groups).toHaveLength(12);
  for (const group of groups) expect(group).toMatch(/^[1-9A-HJ-NP-Za-km-z]{4}$/);
  const recoveryKey = groups.join(' ');
  const secret = decodeRecoveryKey(recoveryKey);
  await screenshot(page, 'portable-1-recovery-key');

  await page.getByRole('button', { name: 'Copy recovery key' }).click();
  await expect(page.getByText('Copied to the clipboard.')).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(recoveryKey);
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download as a text file' }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('wayfarer-recovery-key.txt');
  expect(readFileSync((await download.path())!, 'utf8')).toContain(recoveryKey);

  // 2. Confirm two random groups: a wrong one is refused, the right ones pass.
  await page.getByRole('button', { name: 'I have saved my recovery key' }).click();
  const groupInputs = page.getByLabel(/^Group \d+$/);
  await expect(groupInputs).toHaveCount(2);
  const positions: number[] = [];
  for (const label of await page
    .locator('label')
    .filter({ hasText: /^Group \d+$/ })
    .allTextContents())
    positions.push(Number(label.replace('Group ', '')) - 1);
  await groupInputs.nth(0).fill('zzzz');
  await groupInputs.nth(1).fill(groups[positions[1]!]!);
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByRole('alert')).toContainText(`Group ${positions[0]! + 1} doesn't match`);
  await groupInputs.nth(0).fill(groups[positions[0]!]!);
  await screenshot(page, 'portable-2-confirm');
  await page.getByRole('button', { name: 'Confirm' }).click();

  // 3. Register on alpha; the username is checked as it is typed.
  await expect(page.getByLabel('Homeserver')).toHaveValue(ALPHA);
  await page.getByLabel('Username').fill('taken');
  await expect(page.getByText('That username is taken.')).toBeVisible();
  await page.getByLabel('Username').fill('wanda');
  await expect(page.getByText('✓ Available')).toBeVisible();
  await screenshot(page, 'portable-3-register');
  await page.getByRole('button', { name: 'Create portable identity' }).click();
  await expect(page.getByRole('navigation', { name: 'Rooms' })).toBeVisible({ timeout: 20_000 });
  await expect(page.getByText(`@wanda:${ALPHA}`)).toBeVisible();

  // 4. A member-key room: K is remembered by default (wrapped), so creating a room doesn't ask for the recovery key.
  await page.getByRole('button', { name: 'New room' }).click();
  const create = page.getByRole('dialog', { name: 'Create a room' });
  await create.getByLabel('Room name').fill('Keys');
  await create.getByRole('button', { name: 'Create room' }).click();
  await expect(page.getByRole('heading', { name: 'Keys' })).toBeVisible({ timeout: 20_000 });
  await expect(page.getByText(/makes your key for this room from your recovery key/)).toHaveCount(0);

  // The creator's member key is the one derived from the recovery key and the create event's nonce.
  const alphaSession = await loginWithAccountKey(alphaBase, secret);
  const { joined_rooms } = await api(alphaSession, 'GET', '/_matrix/client/v3/joined_rooms');
  expect(joined_rooms).toHaveLength(1);
  const keysRoom = joined_rooms[0] as string;
  const createContent = await api(alphaSession, 'GET', `/_matrix/client/v3/rooms/${encodeURIComponent(keysRoom)}/state/m.room.create/`);
  const creatorKey = memberIdFromPublicKey(
    deriveCreatorMemberKey(deriveMemberRoot(secret), createContent['dev.wayfarer.creator_nonce']).publicKey,
  );
  const creatorEvent = await api(
    alphaSession,
    'GET',
    `${PREFIX}/rooms/${encodeURIComponent(keysRoom)}/member_event/${encodeURIComponent(creatorKey)}`,
  );
  expect(creatorEvent.sender).toBe(creatorKey);
  expect(creatorEvent.content).toMatchObject({ membership: 'join', localpart: 'wanda', domain: ALPHA });

  // Remembered on this browser (wrapped): one root in IndexedDB.
  const storedRoots = () =>
    page.evaluate(
      () =>
        new Promise<number>((resolve, reject) => {
          const open = indexedDB.open('wayfarer-keys');
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const db = open.result;
            if (!db.objectStoreNames.contains('member-roots')) return resolve(0);
            const count = db.transaction('member-roots').objectStore('member-roots').count();
            count.onsuccess = () => resolve(count.result);
            count.onerror = () => reject(count.error);
          };
        }),
    );
  expect(await storedRoots()).toBe(1);

  // 5. Sign out (which wipes the remembered K), then back in with the recovery key: mistakes are explained as they
  // are typed, and dashes between groups are fine.
  await signOut(page);
  expect(await storedRoots()).toBe(0);
  await page.getByLabel('Homeserver').fill(ALPHA);
  await page.getByRole('button', { name: 'Use a recovery key' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in with your recovery key' })).toBeVisible();
  await typeRecoveryKey(page, `${recoveryKey.slice(0, 5)}0`);
  await expect(page.getByRole('alert')).toContainText('never use 0 (zero), O (capital o), I (capital i) or l');
  const compact = recoveryKey.replace(/ /g, '');
  const last = compact.at(-1)!;
  const mistyped = compact.slice(0, -1) + (last === 'a' ? 'b' : 'a');
  await typeRecoveryKey(page, mistyped);
  await expect(page.getByRole('alert')).toContainText('probably mistyped');
  await screenshot(page, 'portable-5-parity');
  await page.getByLabel("This is a shared computer: don't remember").check();
  await typeRecoveryKey(page, ` ${recoveryKey.replace(/ /g, '-')}. `);
  await expect(page.getByText('✓ This recovery key checks out.')).toBeVisible();
  await page.getByLabel('Recovery key', { exact: true }).press('Enter'); // keyboard only: Enter submits
  await expect(page.getByRole('navigation', { name: 'Rooms' })).toBeVisible({ timeout: 20_000 });
  await expect(page.getByRole('navigation', { name: 'Rooms' }).getByText('Keys')).toBeVisible();

  // 6. A shared computer: K is held in this tab only. Joining asks nothing until a reload; after one, the client
  // asks for the recovery key (offering the same choice), and nothing is ever written to IndexedDB.
  const owner = await fetch(`${alpha.baseUrl}/_matrix/client/v3/register`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: 'owner', password: 'pw', auth: { type: 'm.login.dummy' } }),
  }).then((r) => r.json());
  const ownerSession = { baseUrl: alpha.baseUrl, userId: owner.user_id, accessToken: owner.access_token, deviceId: owner.device_id };
  const joinByUi = async (roomId: string) => {
    await page.getByRole('button', { name: 'Join room' }).click();
    const join = page.getByRole('dialog', { name: 'Join a room' });
    await join.getByLabel('Room ID or alias').fill(roomId);
    await join.getByRole('button', { name: 'Join' }).click();
    return join;
  };
  const { room_id: plaza } = await api(ownerSession, 'POST', '/_matrix/client/v3/createRoom', { name: 'Plaza', preset: 'public_chat' });
  await joinByUi(plaza);
  await expect(page.getByRole('heading', { name: 'Plaza' })).toBeVisible({ timeout: 20_000 });
  const expected = memberIdFromPublicKey(deriveMemberKey(deriveMemberRoot(secret), plaza).publicKey);
  const joinedEvent = await api(
    ownerSession,
    'GET',
    `${PREFIX}/rooms/${encodeURIComponent(plaza)}/member_event/${encodeURIComponent(expected)}`,
  );
  expect(joinedEvent.content).toMatchObject({ membership: 'join', localpart: 'wanda' });
  expect(await storedRoots()).toBe(0);

  await page.reload();
  await expect(page.getByRole('navigation', { name: 'Rooms' }).getByText('Plaza')).toBeVisible({ timeout: 20_000 });
  const { room_id: market } = await api(ownerSession, 'POST', '/_matrix/client/v3/createRoom', { name: 'Market', preset: 'public_chat' });
  const join = await joinByUi(market);
  await expect(join.getByText(/makes your key for this room from your recovery key/)).toBeVisible();
  await expect(join.getByLabel("This is a shared computer: don't remember")).toBeChecked();
  await screenshot(page, 'portable-4-recovery-key-needed');
  await join.getByLabel('Recovery key', { exact: true }).fill(recoveryKey);
  await join.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'Market' })).toBeVisible({ timeout: 20_000 });
  expect(await storedRoots()).toBe(0);

  // 7. Sign-out leaves nothing behind.
  await signOut(page);
  expect(await storedRoots()).toBe(0);

  // 8. Beta has never seen this identity: the client says so and offers another server first; an account is made
  // only on the explicit second choice (dark theme this time).
  const dark = await newUserPage(browser, { colorScheme: 'dark' });
  await dark.goto('/');
  await dark.getByLabel('Homeserver').fill(BETA);
  await dark.getByRole('button', { name: 'Use a recovery key' }).click();
  await screenshot(dark, 'portable-6-sign-in-dark');
  await dark.getByLabel('Recovery key', { exact: true }).fill(recoveryKey.replace(/ /g, '\n'));
  await dark.getByRole('button', { name: 'Sign in with recovery key' }).click();
  await expect(dark.getByRole('heading', { name: `No account for this identity on ${BETA}` })).toBeVisible({ timeout: 20_000 });
  await expect(dark.getByRole('button', { name: 'Try another server' })).toBeFocused();
  await screenshot(dark, 'portable-6b-no-account-dark');
  await expect(loginWithAccountKey({ baseUrl: beta.baseUrl, serverName: BETA }, secret)).rejects.toThrow();
  await dark.keyboard.press('Enter'); // "Try another server": back to the form, the server field to type in
  await expect(dark.getByLabel('Homeserver')).toBeFocused();
  await expect(dark.getByLabel('Recovery key', { exact: true })).not.toHaveValue('');
  await dark.getByRole('button', { name: 'Sign in with recovery key' }).click();
  await dark.getByRole('button', { name: 'Create an account for this identity here' }).click();
  await expect(dark.getByRole('heading', { name: `Bring this identity to ${BETA}` })).toBeVisible();
  await dark.getByLabel('Username').fill('wanda');
  await expect(dark.getByText('✓ Available')).toBeVisible();
  await screenshot(dark, 'portable-7-bring-dark');
  await dark.getByRole('button', { name: `Bring this identity to ${BETA}` }).click();
  await expect(dark.getByRole('navigation', { name: 'Rooms' })).toBeVisible({ timeout: 20_000 });
  await expect(dark.getByText(`@wanda:${BETA}`)).toBeVisible();

  // Both servers report the same account key.
  const betaSession = await loginWithAccountKey({ baseUrl: beta.baseUrl, serverName: BETA }, secret);
  const onAlpha = await fetchPortableAccount(alphaSession);
  const onBeta = await fetchPortableAccount(betaSession);
  expect(onAlpha?.account_key).toBeTruthy();
  expect(onBeta?.account_key).toBe(onAlpha?.account_key);
});
