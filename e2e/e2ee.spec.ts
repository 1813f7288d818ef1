// End-to-end encryption with the one recovery key (issue 18), as people do it, in real Chromium against two real
// homeservers: Wanda creates a portable identity on alpha (which also sets up cross-signing, secret storage and key
// backup with the same recovery key), makes an encrypted room and chats with Bob (beta, another browser); she signs
// out, and on a fresh browser signs in with the recovery key: the old messages decrypt with no other prompt. Their
// keys come from the key backup: while it is held back the messages say why they can't be read, and they fill in
// when the keys arrive.
import { expect, test, type Page, type Route } from '@playwright/test';
import { startHomeserver, type RunningHomeserver } from '../server/testing/spawn';
import {
  compareEmojiAndConfirm,
  inviteAndAccept,
  message,
  newUserPage,
  screenshot,
  sendMessage,
  signedUpPage,
  signIn,
  timeline,
} from './support/chat';

const ALPHA = 'alpha.localhost:23901';
const BETA = 'beta.localhost:23902';
let alpha: RunningHomeserver;
let beta: RunningHomeserver;

test.describe.configure({ mode: 'serial', timeout: 300_000 });

test.beforeAll(async () => {
  [alpha, beta] = await Promise.all([startHomeserver({ serverName: ALPHA }), startHomeserver({ serverName: BETA })]);
});
test.afterAll(async () => {
  await Promise.all([alpha?.dispose(), beta?.dispose()]);
});

/** The create-a-portable-identity flow: the key shown, two of its groups confirmed, a username. Returns the key. */
async function createPortableIdentity(page: Page, server: string, username: string): Promise<string> {
  await page.goto('/');
  await page.getByLabel('Homeserver').fill(server);
  await page.getByRole('button', { name: 'Create a portable identity' }).click();
  const shown = page.getByRole('status', { name: 'Your recovery key' }).locator('span');
  await expect(shown).toHaveCount(12);
  const groups = await shown.allTextContents();
  await page.getByRole('button', { name: 'I have saved my recovery key' }).click();
  await expect(page.getByLabel(/^Group \d+$/)).toHaveCount(2);
  const labels = await page
    .locator('label')
    .filter({ hasText: /^Group \d+$/ })
    .allTextContents();
  const inputs = page.getByLabel(/^Group \d+$/);
  for (let i = 0; i < labels.length; i++) await inputs.nth(i).fill(groups[Number(labels[i]!.replace('Group ', '')) - 1]!);
  await page.getByRole('button', { name: 'Confirm' }).click();
  await page.getByLabel('Username').fill(username);
  await expect(page.getByText('✓ Available')).toBeVisible();
  await page.getByRole('button', { name: 'Create portable identity' }).click();
  await expect(page.getByRole('navigation', { name: 'Rooms' })).toBeVisible({ timeout: 30_000 });
  return groups.join(' ');
}

/** Settings → Encryption, as a person gets there from the room list. */
async function openEncryptionSettings(page: Page) {
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name: 'Encryption' }).click();
  const settings = page.getByRole('region', { name: 'Settings' });
  await expect(settings.getByRole('heading', { name: 'Encryption' })).toBeVisible();
  return settings;
}

async function signOut(page: Page) {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('dialog', { name: 'Sign out?' }).getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in to Wayfarer' })).toBeVisible({ timeout: 20_000 });
}

/** A JSON GET of the account's own state, with the session the page keeps (what the server holds, not what it shows). */
async function accountGet(page: Page, path: string): Promise<{ status: number; body: any }> {
  return page.evaluate(async (p) => {
    const session = await new Promise<any>((resolve, reject) => {
      const open = indexedDB.open('wayfarer-session');
      open.onerror = () => reject(open.error);
      open.onsuccess = () => {
        const get = open.result.transaction('keyval').objectStore('keyval').get('session');
        get.onsuccess = () => resolve(get.result);
        get.onerror = () => reject(get.error);
      };
    });
    const response = await fetch(`${session.baseUrl}${p}`, { headers: { Authorization: `Bearer ${session.accessToken}` } });
    return { status: response.status, body: await response.json() };
  }, path);
}

test('the one key: a portable identity chats encrypted, and a fresh browser reads the old messages with only the recovery key', async ({
  browser,
}) => {
  // 1. Wanda creates her identity on alpha: that also sets up encryption with the same key.
  const wanda = await newUserPage(browser);
  const recoveryKey = await createPortableIdentity(wanda, ALPHA, 'wanda');
  const wandaId = `@wanda:${ALPHA}`;
  await expect.poll(async () => (await accountGet(wanda, '/_matrix/client/v3/room_keys/version')).status, { timeout: 60_000 }).toBe(200);
  const defaultKey = await accountGet(
    wanda,
    `/_matrix/client/v3/user/${encodeURIComponent(wandaId)}/account_data/m.secret_storage.default_key`,
  );
  expect(defaultKey.status).toBe(200);
  const keyInfo = await accountGet(
    wanda,
    `/_matrix/client/v3/user/${encodeURIComponent(wandaId)}/account_data/m.secret_storage.key.${defaultKey.body.key}`,
  );
  expect(keyInfo.body.algorithm).toBe('m.secret_storage.v1.aes-hmac-sha2');
  for (const secret of ['m.cross_signing.master', 'm.megolm_backup.v1']) {
    const stored = await accountGet(wanda, `/_matrix/client/v3/user/${encodeURIComponent(wandaId)}/account_data/${secret}`);
    expect(Object.keys(stored.body.encrypted ?? {}), secret).toEqual([defaultKey.body.key]);
  }

  // 2. Bob, on beta in his own browser.
  const bob = await signedUpPage(browser, BETA, 'bob');

  // 3. Wanda makes an encrypted room and invites him. Until his handle is verified he would get no keys, and the room says so.
  await wanda.getByRole('button', { name: 'New room' }).click();
  const create = wanda.getByRole('dialog', { name: 'Create a room' });
  await create.getByLabel('Room name').fill('Secrets');
  await create.getByLabel('Encrypt messages end to end').check();
  await create.getByRole('button', { name: 'Create room' }).click();
  await expect(wanda.getByRole('heading', { name: 'Secrets' })).toBeVisible({ timeout: 20_000 });
  await expect(timeline(wanda).getByText(/turned on end-to-end encryption/)).toBeVisible();
  await inviteAndAccept(wanda, bob, 'Secrets', `@bob:${BETA}`);
  await expect(bob.getByRole('heading', { name: 'Secrets' })).toBeVisible({ timeout: 20_000 });
  await expect(wanda.getByTestId('withheld-keys')).toHaveCount(0, { timeout: 30_000 });

  // 4. They chat, encrypted, both ways.
  await sendMessage(wanda, 'the eagle has landed');
  await expect(message(bob, 'the eagle has landed')).toBeVisible({ timeout: 30_000 });
  await sendMessage(bob, 'roger that');
  await expect(message(wanda, 'roger that')).toBeVisible({ timeout: 30_000 });
  await screenshot(wanda, 'e2ee-1-chat');
  // What the server keeps is ciphertext.
  const roomId = decodeURIComponent(new URL(wanda.url()).hash.split('/')[2]!); // #/room/{roomId}
  const stored = await accountGet(wanda, `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=20`);
  const types = (stored.body.chunk as { type: string }[]).map((e) => e.type);
  expect(types).toContain('m.room.encrypted');
  expect(JSON.stringify(stored.body)).not.toContain('the eagle has landed');

  // 5. Wanda signs out (which deletes this browser's keys).
  await signOut(wanda);

  // 6. A fresh browser: only the recovery key. The key backup is held back at first, so the old messages say why
  // they can't be read; then the keys arrive and they fill in.
  const fresh = await newUserPage(browser);
  // The client's own warnings about encryption, in the test's output when something goes wrong.
  fresh.on('console', (m) => {
    if ((m.type() === 'error' || m.type() === 'warning') && /wayfarer:/.test(m.text())) console.log('[fresh]', m.text().slice(0, 300));
  });
  let releaseBackup!: () => void;
  const backupHeld = new Promise<void>((resolve) => {
    releaseBackup = resolve;
  });
  await fresh.route('**/_matrix/client/v3/room_keys/keys**', async (route: Route) => {
    await backupHeld;
    await route.continue();
  });
  await fresh.goto('/');
  await fresh.getByLabel('Homeserver').fill(ALPHA);
  await fresh.getByRole('button', { name: 'Use a recovery key' }).click();
  await fresh.getByLabel('Recovery key', { exact: true }).fill(recoveryKey);
  await fresh.getByLabel('Recovery key', { exact: true }).press('Enter');
  await expect(fresh.getByRole('navigation', { name: 'Rooms' })).toBeVisible({ timeout: 30_000 });
  await fresh.getByRole('navigation', { name: 'Rooms' }).getByText('Secrets').click();
  const unreadable = timeline(fresh).getByTestId('undecryptable');
  await expect(unreadable.first()).toBeVisible({ timeout: 30_000 });
  await expect(unreadable.first()).toContainText(/Can't read this message/);
  await screenshot(fresh, 'e2ee-2-waiting-for-keys');
  releaseBackup();
  await expect(message(fresh, 'the eagle has landed')).toBeVisible({ timeout: 60_000 });
  await expect(message(fresh, 'roger that')).toBeVisible();
  await expect(unreadable).toHaveCount(0);
  await screenshot(fresh, 'e2ee-3-history-restored');

  // 7. The new device is cross-signed by the identity's own key (signed in by proof, unlocked by the same key).
  const query = await fresh.evaluate(async (userId) => {
    const open = indexedDB.open('wayfarer-session');
    const session = await new Promise<any>((resolve) => {
      open.onsuccess = () => {
        const get = open.result.transaction('keyval').objectStore('keyval').get('session');
        get.onsuccess = () => resolve(get.result);
      };
    });
    const response = await fetch(`${session.baseUrl}/_matrix/client/v3/keys/query`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${session.accessToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ device_keys: { [userId]: [] } }),
    });
    return { body: await response.json(), deviceId: session.deviceId as string };
  }, wandaId);
  const selfSigning = Object.keys(query.body.self_signing_keys[wandaId].keys)[0]!;
  const device = query.body.device_keys[wandaId][query.deviceId];
  expect(Object.keys(device.signatures[wandaId])).toContain(selfSigning);

  // 8. Talking on from the new device: Bob reads it.
  await sendMessage(fresh, 'back on a new laptop');
  await expect(message(bob, 'back on a new laptop')).toBeVisible({ timeout: 30_000 });
});

test('a password account sets up recovery, reads its history on a new device with the recovery key, and verifies another by emoji', async ({
  browser,
}) => {
  // 1. Carol (a password account) sets up recovery from the Encryption dialog: a key shown once, her password confirms.
  const carol = await signedUpPage(browser, ALPHA, 'carol');
  const settings = await openEncryptionSettings(carol);
  await settings.getByRole('button', { name: 'Set up recovery' }).click();
  const shown = settings.getByRole('status', { name: 'Your new recovery key' }).locator('span');
  await expect(shown).toHaveCount(12);
  const recoveryKey = (await shown.allTextContents()).join(' ');
  await settings.getByLabel('I have saved my recovery key').check();
  await settings.getByLabel('Your password (to confirm)').fill('carol-password');
  await screenshot(carol, 'e2ee-4-set-up-recovery');
  await settings.getByRole('button', { name: 'Set up recovery' }).click();
  await expect(settings.getByText('Recovery is set up: your message keys are backed up.')).toBeVisible({ timeout: 60_000 });
  await expect(settings.getByText('✓ This device is verified')).toBeVisible();

  // 2. An encrypted room with a message in it.
  await carol.getByRole('button', { name: 'New room' }).click();
  const create = carol.getByRole('dialog', { name: 'Create a room' });
  await create.getByLabel('Room name').fill('Diary');
  await create.getByLabel('Encrypt messages end to end').check();
  await create.getByRole('button', { name: 'Create room' }).click();
  await expect(carol.getByRole('heading', { name: 'Diary' })).toBeVisible({ timeout: 20_000 });
  // Carol's device is slow to back the message's key up (the SDK waits up to 10 s at random, longer on a busy
  // machine): here, until the laptop has restored the backup without it. The server asks to come back in a second.
  let backupHeld = true;
  await carol.route('**/_matrix/client/v3/room_keys/keys**', (route) =>
    backupHeld && route.request().method() === 'PUT'
      ? route.fulfill({
          status: 429,
          contentType: 'application/json',
          body: JSON.stringify({ errcode: 'M_LIMIT_EXCEEDED', retry_after_ms: 1_000 }),
        })
      : route.fallback(),
  );
  await sendMessage(carol, 'dear diary, a secret');
  await expect(message(carol, 'dear diary, a secret')).toBeVisible();

  // 3. A second device, signed in with the password: the message can't be read until the recovery key is given.
  const laptop = await newUserPage(browser);
  await signIn(laptop, ALPHA, 'carol', 'carol-password');
  await laptop.getByRole('navigation', { name: 'Rooms' }).getByText('Diary', { exact: true }).click();
  await expect(timeline(laptop).getByTestId('undecryptable').first()).toBeVisible({ timeout: 30_000 });
  const laptopSettings = await openEncryptionSettings(laptop);
  await expect(laptopSettings.getByText('This device is not verified yet.')).toBeVisible();
  await laptopSettings.getByRole('button', { name: 'Verify with your recovery key' }).click();
  await laptopSettings.getByLabel('Recovery key', { exact: true }).fill(recoveryKey);
  await laptopSettings.getByRole('button', { name: 'Verify', exact: true }).click();
  await expect(laptopSettings.getByText('This device is verified and your encrypted messages are restored.')).toBeVisible({
    timeout: 60_000,
  });
  await laptop.getByRole('navigation', { name: 'Rooms' }).getByText('Diary', { exact: true }).click();
  // The backup had no key for it: the message says it waits for the backup, and fills in once the key gets there,
  // with no reload.
  await expect(timeline(laptop).getByTestId('undecryptable').first()).toBeVisible();
  backupHeld = false;
  await expect(message(laptop, 'dear diary, a secret')).toBeVisible({ timeout: 45_000 });

  // 4. A third device verifies by comparing emoji with the first.
  const phone = await newUserPage(browser);
  await signIn(phone, ALPHA, 'carol', 'carol-password');
  const phoneSettings = await openEncryptionSettings(phone);
  await phoneSettings.getByRole('button', { name: 'Verify with another session' }).click();
  const incoming = carol.getByRole('dialog', { name: 'Verify your other session' });
  await incoming.getByRole('button', { name: 'Accept' }).click();
  await compareEmojiAndConfirm(phoneSettings, incoming, () => screenshot(phone, 'e2ee-5-emoji'));
  await phoneSettings.getByRole('button', { name: 'Close' }).click();
  await expect(phoneSettings.getByText('✓ This device is verified')).toBeVisible({ timeout: 30_000 });
});
