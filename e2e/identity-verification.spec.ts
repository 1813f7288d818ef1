// Other users' encryption identities (issue 18), as Element does them, in two browsers against a real homeserver:
// Bob verifies Alice by comparing emoji from her identity inspector (an in-room request); Alice resets her identity
// from Settings → Encryption; Bob's room shows the warning a verified identity's change gets, with "Withdraw
// verification", which he presses: the action goes, and stays gone after a reload. Alice resets once more: now
// only pinned, Bob's notice offers "OK", which pins the new identity.
import { expect, test, type Page } from '@playwright/test';
import { startHomeserver, type RunningHomeserver } from '../server/testing/spawn';
import { compareEmojiAndConfirm, inviteAndAccept, message, screenshot, sendMessage, signedUpPage, timeline } from './support/chat';

const ALPHA = 'alpha.localhost:25431';
let alpha: RunningHomeserver;

test.describe.configure({ mode: 'serial', timeout: 90_000 });

test.beforeAll(async () => {
  alpha = await startHomeserver({ serverName: ALPHA });
});
test.afterAll(async () => {
  await alpha?.dispose();
});

async function openEncryptionSettings(page: Page) {
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name: 'Encryption' }).click();
  const settings = page.getByRole('region', { name: 'Settings' });
  await expect(settings.getByRole('heading', { name: 'Encryption' })).toBeVisible();
  return settings;
}

/** Settings → Encryption → Set up recovery: cross-signing, which verifying someone needs (it signs their identity). */
async function setUpRecovery(page: Page, password: string) {
  const settings = await openEncryptionSettings(page);
  await settings.getByRole('button', { name: 'Set up recovery' }).click();
  await settings.getByLabel('I have saved my recovery key').check();
  await settings.getByLabel('Your password (to confirm)').fill(password);
  await settings.getByRole('button', { name: 'Set up recovery' }).click();
  await expect(settings.getByText('Recovery is set up: your message keys are backed up.')).toBeVisible({ timeout: 30_000 });
}

async function resetIdentity(page: Page, password: string) {
  const settings = await openEncryptionSettings(page);
  await settings.getByRole('button', { name: 'Reset your identity' }).click();
  await settings.getByLabel('Your password (to confirm)').fill(password);
  await settings.getByRole('button', { name: 'Reset identity' }).click();
  await expect(settings.getByText(/^Your identity was reset/)).toBeVisible({ timeout: 30_000 });
}

async function openRoom(page: Page, name: string) {
  await page.getByRole('navigation', { name: 'Rooms' }).getByText(name, { exact: true }).click();
  await expect(page.getByRole('heading', { name })).toBeVisible();
}

test('Bob verifies Alice by emoji; her reset warns him, Withdraw verification clears it; the next reset asks only OK', async ({
  browser,
}) => {
  const alice = await signedUpPage(browser, ALPHA, 'alice');
  const bob = await signedUpPage(browser, ALPHA, 'bob', { colorScheme: 'dark' });
  await Promise.all([setUpRecovery(alice, 'alice-password'), setUpRecovery(bob, 'bob-password')]);

  // An encrypted room they share.
  await alice.getByRole('button', { name: 'New room' }).click();
  const create = alice.getByRole('dialog', { name: 'Create a room' });
  await create.getByLabel('Room name').fill('Trust');
  await create.getByLabel('Encrypt messages end to end').check();
  await create.getByRole('button', { name: 'Create room' }).click();
  await expect(alice.getByRole('heading', { name: 'Trust' })).toBeVisible({ timeout: 20_000 });
  await inviteAndAccept(alice, bob, 'Trust', `@bob:${ALPHA}`);
  await sendMessage(alice, 'hello bob');
  await expect(message(bob, 'hello bob')).toBeVisible({ timeout: 30_000 });
  await expect(timeline(bob).getByText('is requesting to verify')).toHaveCount(0);

  // 1. Bob opens Alice's identity from the member list and verifies her by emoji; she accepts in her room.
  await bob.getByRole('button', { name: 'Members' }).click();
  const members = bob.getByRole('complementary', { name: 'Members' });
  const aliceRow = members.getByRole('listitem').filter({ has: bob.getByRole('button', { name: 'alice: show identity' }) });
  await expect(aliceRow).toBeVisible();
  await expect(aliceRow.getByText('✓ Verified')).toHaveCount(0);
  await members.getByRole('button', { name: 'alice: show identity' }).click();
  const inspector = bob.getByRole('dialog', { name: 'Identity' });
  const trust = inspector.getByTestId('encryption-trust');
  await expect(trust).toHaveText('alice’s identity is not verified', { timeout: 20_000 });
  await inspector.getByRole('button', { name: 'Verify by emoji' }).click();
  const asking = bob.getByRole('dialog', { name: 'Verify alice' });
  const incoming = alice.getByRole('dialog', { name: 'bob wants to verify you' });
  await incoming.getByRole('button', { name: 'Accept' }).click();
  await compareEmojiAndConfirm(asking, incoming, async () => {
    await screenshot(alice, 'identity-verification-1-incoming-light');
    await screenshot(bob, 'identity-verification-1-emoji-dark');
  });
  await asking.getByRole('button', { name: 'Close' }).click();
  await incoming.getByRole('button', { name: 'Close' }).click();
  await expect(trust).toHaveText('✓ You verified alice’s identity', { timeout: 30_000 });
  // The member list marks her as verified too.
  await expect(aliceRow.getByText('✓ Verified')).toBeVisible();
  // The request is a line in the room, not its fallback text ("your client does not support in-chat verification").
  await expect(timeline(bob).getByText('bob asked alice to verify their identity by comparing emoji')).toBeVisible();
  await expect(timeline(bob).getByText(/is requesting to verify your key/)).toHaveCount(0);
  await inspector.getByRole('button', { name: 'Close identity' }).click();
  // After a reload the list reads her identity's status from the crypto when it opens: still verified.
  await bob.reload();
  await openRoom(bob, 'Trust');
  await bob.getByRole('button', { name: 'Members' }).click();
  await expect(aliceRow.getByText('✓ Verified')).toBeVisible({ timeout: 20_000 });
  // A reload replays the room's request with its answers: it is over, so Alice is not asked again (that dialog came
  // up before the room list could be used).
  await alice.reload();
  await openRoom(alice, 'Trust');
  await expect(timeline(alice).getByText('bob asked alice to verify their identity by comparing emoji')).toBeVisible({ timeout: 20_000 });
  await expect(alice.getByRole('dialog', { name: 'bob wants to verify you' })).toHaveCount(0);

  // 2. Alice resets her identity; Bob, who verified it, gets the warning in the room, with Element's action.
  await resetIdentity(alice, 'alice-password');
  const warning = timeline(bob).locator('[data-notice]').filter({ hasText: 'alice’s verified identity was reset' });
  await expect(warning).toBeVisible({ timeout: 30_000 });
  await expect(warning).toHaveAttribute('data-warning', '');
  await expect(aliceRow).toBeVisible();
  await expect(aliceRow.getByText('✓ Verified')).toHaveCount(0); // her new identity is not the one he verified
  const withdraw = warning.getByRole('button', { name: 'Withdraw verification' });
  await expect(withdraw).toHaveAccessibleDescription(/alice’s verified identity was reset/);
  await screenshot(bob, 'identity-verification-2-warning-dark');
  await withdraw.focus();
  await bob.keyboard.press('Enter');
  // Done, not only under way: while it is, the button says so under another name, and a reload then would cut it off.
  await expect(warning.locator('[data-identity-action]')).toHaveCount(0, { timeout: 20_000 });
  await expect(warning).toBeVisible(); // the notice stays where it was seen; only its action is done
  await bob.reload();
  await openRoom(bob, 'Trust');
  await expect(warning).toBeVisible({ timeout: 20_000 });
  await expect(warning.getByRole('button')).toHaveCount(1); // only "show identity"

  // 3. Reset again: Bob's identity of her is only pinned now, so the notice is the plain one, with OK.
  await resetIdentity(alice, 'alice-password');
  const notice = timeline(bob)
    .locator('[data-notice]')
    .filter({ hasText: /^alice’s identity was reset/ });
  await expect(notice).toBeVisible({ timeout: 30_000 });
  const ok = notice.getByRole('button', { name: 'OK' });
  await ok.click();
  await expect(notice.locator('[data-identity-action]')).toHaveCount(0, { timeout: 20_000 });
  await screenshot(bob, 'identity-verification-3-done-dark');
});
