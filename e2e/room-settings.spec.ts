// Issue 17, Room settings, as two people on two servers meet them. Alice (alpha) renames a room, sets its topic,
// picture and address, makes it invite-only, lets guests in and narrows its history, from the keyboard; Bob (beta)
// sees each change and finds the controls he has no power for disabled. Alice makes Bob a moderator: in the member-key room by his member key (his row shows his verified
// handle), in the classic room by his user ID; Bob's controls open up and his topic reaches Alice. Bob's notification
// level for a room decides what counts in his room list: all, mentions and keywords, or nothing. Bob leaves and
// forgets a room. Screenshots at 1280 and 375 px, light and dark.
import { expect, test, type Page } from '@playwright/test';
import type { RunningHomeserver } from '../server/testing/spawn';
import { TestClient } from '../server/testing/http-client';
import { enc, startServers } from '../server/testing/federation-harness';
import { message, newUserPage, screenshot, sendMessage, signIn, testPng } from './support/chat';

const PASSWORD = 'room-settings-e2e-password';
let alpha: RunningHomeserver;
let beta: RunningHomeserver;
let aliceApi: TestClient;
let bobApi: TestClient;
let alicePage: Page;
let bobPage: Page;
const rooms: Record<'garden' | 'meadow', string> = { garden: '', meadow: '' };

test.describe.configure({ mode: 'serial', timeout: 150_000 });

test.beforeAll(async ({ browser }) => {
  test.setTimeout(150_000);
  [alpha, beta] = await startServers(['alpha.localhost:24510', 'beta.localhost:24511'], ['--link-recheck-seconds', '3600']);
  aliceApi = await new TestClient(alpha.baseUrl).register('alice', PASSWORD);
  bobApi = await new TestClient(beta.baseUrl).register('bob', PASSWORD);
  // Garden: a member-key room (the default version); Meadow: a classic room.
  for (const [room, name, version] of [
    ['garden', 'Garden', undefined],
    ['meadow', 'Meadow', '11'],
  ] as const) {
    const created = await aliceApi.post('/_matrix/client/v3/createRoom', {
      name,
      preset: 'public_chat',
      ...(version ? { room_version: version } : {}),
    });
    if (created.status !== 200) throw new Error(`createRoom: ${JSON.stringify(created.body)}`);
    rooms[room] = created.body.room_id;
    const joined = await bobApi.post(`/_matrix/client/v3/join/${enc(created.body.room_id)}?server_name=${enc(alpha.serverName)}`, {});
    if (joined.status !== 200) throw new Error(`join: ${JSON.stringify(joined.body)}`);
  }
  alicePage = await newUserPage(browser, { width: 1280 });
  await signIn(alicePage, alpha.serverName, 'alice', PASSWORD);
  bobPage = await newUserPage(browser, { width: 1280 });
  await signIn(bobPage, beta.serverName, 'bob', PASSWORD);
});

test.afterAll(async () => {
  await Promise.all([alpha, beta].filter(Boolean).map((s) => s.dispose()));
});

const roomList = (page: Page) => page.getByRole('navigation', { name: 'Rooms' });
const roomItem = (page: Page, name: string) => roomList(page).getByRole('button', { name: new RegExp(`^${name}\\b`) });
async function openRoom(page: Page, name: string) {
  await roomItem(page, name).click();
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
}
/** Opens the room's settings from the header with the keyboard. */
async function openSettings(page: Page, roomName: string) {
  const button = page.getByRole('button', { name: 'Room settings', exact: true });
  await button.focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: `${roomName}: settings` });
  await expect(dialog).toBeVisible();
  return dialog;
}
async function closeSettings(page: Page) {
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);
}

test('alice renames the room, sets its topic and makes it invite-only; bob sees it, with the controls he lacks power for disabled', async () => {
  await openRoom(alicePage, 'Garden');
  const dialog = await openSettings(alicePage, 'Garden');
  const general = dialog.getByRole('tab', { name: 'General' });
  await expect(general).toHaveAttribute('aria-selected', 'true');
  const nameField = dialog.getByRole('textbox', { name: 'Room name' });
  await expect(nameField).toHaveValue('Garden');
  await nameField.fill('Rose garden');
  await dialog.getByRole('textbox', { name: 'Topic' }).fill('Roses, and who tends them');
  await nameField.press('Enter');
  await expect(dialog.getByRole('status')).toHaveText('Saved.');
  await expect(alicePage.getByRole('heading', { level: 1, name: 'Rose garden' })).toBeVisible();
  await screenshot(alicePage, 'room-settings-general-1280');

  // The tabs go by arrow keys; the access choice is a radio group.
  await general.focus();
  await alicePage.keyboard.press('ArrowRight');
  const security = dialog.getByRole('tab', { name: 'Security & privacy' });
  await expect(security).toBeFocused();
  await expect(security).toHaveAttribute('aria-selected', 'true');
  const inviteOnly = dialog.getByRole('radio', { name: /Private \(invite only\)/ });
  await expect(dialog.getByRole('radio', { name: /^Public/ })).toBeChecked();
  await inviteOnly.focus();
  await alicePage.keyboard.press('Space');
  await expect(dialog.getByRole('status')).toHaveText('Saved.');
  await expect(inviteOnly).toBeChecked();
  const guests = dialog.getByRole('checkbox', { name: 'Allow guests to join' });
  await guests.focus();
  await alicePage.keyboard.press('Space');
  await expect(guests).toBeChecked();
  await expect(dialog.getByRole('status')).toHaveText('Saved.');
  await dialog.getByRole('radio', { name: 'Members only (since they joined)' }).check();
  await expect(dialog.getByRole('status')).toHaveText('Saved.');
  await screenshot(alicePage, 'room-settings-security-1280');
  await alicePage.setViewportSize({ width: 375, height: 800 });
  await screenshot(alicePage, 'room-settings-security-375');
  await alicePage.emulateMedia({ colorScheme: 'dark' });
  await screenshot(alicePage, 'room-settings-security-375-dark');
  await alicePage.emulateMedia({ colorScheme: 'light' });
  await alicePage.setViewportSize({ width: 1280, height: 800 });

  // A picture (cropped to a square before upload) and a local address, which becomes the main one.
  await dialog.getByRole('tab', { name: 'General' }).click();
  await dialog.getByLabel('Choose room picture').setInputFiles({ name: 'wide.png', mimeType: 'image/png', buffer: testPng() });
  await expect(dialog.getByRole('status')).toHaveText('Room picture saved.');
  await dialog.getByRole('textbox', { name: 'New local address' }).fill('rosegarden');
  await dialog.getByRole('button', { name: 'Add', exact: true }).click();
  const alias = `#rosegarden:${alpha.serverName}`;
  await expect(dialog.getByRole('list', { name: 'Local addresses' }).getByText(alias)).toBeVisible();
  await expect(dialog.getByRole('combobox', { name: 'Main address' })).toHaveValue(alias);
  await screenshot(alicePage, 'room-settings-addresses-1280');
  await closeSettings(alicePage);

  // Bob, on beta: the new name and topic in his list and header; the room's access as Alice set it, not his to change.
  await openRoom(bobPage, 'Rose garden');
  await expect(bobPage.getByText('Roses, and who tends them', { exact: true })).toBeVisible();
  const bobs = await openSettings(bobPage, 'Rose garden');
  await expect(bobs.getByRole('textbox', { name: 'Room name' })).toBeDisabled();
  await expect(bobs.getByText("You don't have the power in this room to change these.")).toBeVisible();
  await expect(bobs.getByRole('combobox', { name: 'Main address' })).toHaveValue(`#rosegarden:${alpha.serverName}`);
  await expect(bobs.getByRole('combobox', { name: 'Main address' })).toBeDisabled();
  await expect(roomItem(bobPage, 'Rose garden').locator('img')).toBeVisible();
  await bobs.getByRole('tab', { name: 'Security & privacy' }).click();
  await expect(bobs.getByRole('checkbox', { name: 'Allow guests to join' })).toBeChecked();
  await expect(bobs.getByRole('checkbox', { name: 'Allow guests to join' })).toBeDisabled();
  await expect(bobs.getByRole('radio', { name: 'Members only (since they joined)' })).toBeChecked();
  await expect(bobs.getByRole('radio', { name: /Private \(invite only\)/ })).toBeChecked();
  await expect(bobs.getByRole('radio', { name: /Private \(invite only\)/ })).toBeDisabled();
  await expect(bobs.getByRole('radio', { name: /^Public/ })).toBeDisabled();
  await bobs.getByRole('tab', { name: 'Roles' }).click();
  await expect(bobs.getByRole('combobox', { name: 'bob' })).toBeDisabled();
  await screenshot(bobPage, 'room-settings-bob-no-power');
  await closeSettings(bobPage);
});

for (const [roomName, kind] of [
  ['Rose garden', 'member-key'],
  ['Meadow', 'classic'],
] as const) {
  test(`${kind} room: alice makes bob a moderator (${kind === 'member-key' ? 'by his member key' : 'by his user ID'}); bob can now set the topic, and alice sees it`, async () => {
    await openRoom(alicePage, roomName);
    const dialog = await openSettings(alicePage, roomName);
    await dialog.getByRole('tab', { name: 'Roles' }).click();
    const row = dialog.getByRole('listitem').filter({ has: alicePage.getByRole('combobox', { name: 'bob' }) });
    // The person is the key: the row names bob's identity, and his handle's badge says it is verified.
    const identity = await row.getAttribute('data-identity');
    const badge = row.locator('[data-badge]');
    await expect(badge).toHaveAttribute('data-badge', kind === 'member-key' ? 'verified' : 'plain');
    await expect(badge).toContainText(`@bob:${beta.serverName}`);
    if (kind === 'member-key') expect(identity).not.toMatch(/^@/);
    else expect(identity).toBe(`@bob:${beta.serverName}`);
    const sent = alicePage.waitForRequest((r) => r.method() === 'PUT' && r.url().includes('/state/m.room.power_levels'));
    await row.getByRole('combobox', { name: 'bob' }).selectOption({ label: 'Moderator' });
    const users = (await sent).postDataJSON().users as Record<string, number>;
    expect(users[kind === 'member-key' ? `@${identity}` : `@bob:${beta.serverName}`]).toBe(50);
    if (kind === 'member-key') expect(users[`@bob:${beta.serverName}`]).toBeUndefined();
    await expect(dialog.getByRole('status')).toHaveText('bob is now Moderator.');
    await screenshot(alicePage, `room-settings-roles-${kind}`);
    await closeSettings(alicePage);

    // Bob's settings open up as the power level arrives (m.room.topic needs 50); his topic reaches alice.
    await openRoom(bobPage, roomName);
    const bobs = await openSettings(bobPage, roomName);
    const topic = bobs.getByRole('textbox', { name: 'Topic' });
    await expect(topic).toBeEnabled();
    await topic.fill(`Tended by bob (${kind})`);
    await bobs.getByRole('button', { name: 'Save' }).click();
    await expect(bobs.getByRole('status')).toHaveText('Saved.');
    await bobs.getByRole('tab', { name: 'Roles' }).click();
    await expect(bobs.getByRole('combobox', { name: 'bob' })).toHaveValue('50');
    await closeSettings(bobPage);
    await expect(alicePage.getByText(`Tended by bob (${kind})`).first()).toBeVisible();
  });
}

test('bob’s notification level decides what counts: all messages, then mentions only, then nothing', async () => {
  const meadow = () => roomItem(bobPage, 'Meadow');
  const mention = async (body: string) => {
    const reply = await aliceApi.put(`/_matrix/client/v3/rooms/${enc(rooms.meadow)}/send/m.room.message/${Date.now()}-${body.length}`, {
      msgtype: 'm.text',
      body: `bob: ${body}`,
      'm.mentions': { user_ids: [bobApi.userId] },
    });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  };
  const setLevel = async (label: RegExp) => {
    await openRoom(bobPage, 'Meadow');
    const dialog = await openSettings(bobPage, 'Meadow');
    await dialog.getByRole('tab', { name: 'Notifications' }).click();
    await dialog.getByRole('radio', { name: label }).check();
    await expect(dialog.getByRole('status')).toHaveText('Saved.');
    await expect(dialog.getByRole('radio', { name: label })).toBeChecked();
    await screenshot(bobPage, `room-settings-notifications-${label.source.replace(/\W+/g, '-')}`);
    await closeSettings(bobPage);
    await openRoom(bobPage, 'Rose garden');
  };

  // All messages (the default): a plain message counts.
  await openRoom(bobPage, 'Rose garden');
  await openRoom(alicePage, 'Meadow');
  await sendMessage(alicePage, 'plain one');
  await expect(meadow()).toHaveAccessibleName(/1 unread/);

  await expect(meadow()).not.toHaveAccessibleName(/muted|mentions and keywords/);
  await expect(meadow().locator('[data-notify]')).toHaveCount(0);

  await setLevel(/^Mentions and keywords/);
  // The list shows the level as an icon (an SVG, as the app's other icons), and the row's name says it.
  await expect(meadow()).toHaveAccessibleName(/, mentions and keywords only$/);
  await expect(meadow().locator('[data-notify="mentions"] svg')).toBeVisible();
  await expect(meadow()).not.toHaveAccessibleName(/unread/);
  await sendMessage(alicePage, 'plain two');
  await expect(meadow()).toContainText('plain two');
  await expect(meadow()).not.toHaveAccessibleName(/unread/);
  await mention('a mention');
  await expect(meadow()).toHaveAccessibleName(/1 unread, 1 mention/);

  await setLevel(/^Off/);
  await expect(meadow()).toHaveAccessibleName(/, muted$/);
  await expect(meadow().locator('[data-notify="mute"] svg')).toBeVisible();
  await expect(meadow().locator('[data-notify="mentions"]')).toHaveCount(0);
  await screenshot(bobPage, 'room-list-muted');
  await mention('muted mention');
  await expect(meadow()).toContainText('muted mention');
  await expect(meadow()).not.toHaveAccessibleName(/unread/);

  // Back to all messages: the reload shows the level read from the server's push rules.
  await bobPage.reload();
  await expect(meadow()).toHaveAccessibleName(/, muted$/);
  await setLevel(/^All messages/);
  await expect(meadow()).not.toHaveAccessibleName(/muted|mentions and keywords/);
  await expect(meadow().locator('[data-notify]')).toHaveCount(0);
  await sendMessage(alicePage, 'plain three');
  await expect(meadow()).toHaveAccessibleName(/1 unread/);
});

test('bob leaves and forgets the classic room after confirming; alice keeps it', async () => {
  await openRoom(bobPage, 'Meadow');
  const dialog = await openSettings(bobPage, 'Meadow');
  await dialog.getByRole('button', { name: 'Leave room…' }).click();
  const confirm = bobPage.getByRole('dialog', { name: 'Leave Meadow?' });
  // Keyboard: the forget choice comes first (Enter on it leaves nothing), then Stay, then the button that leaves.
  const forget = confirm.getByRole('checkbox', { name: /Also forget this room/ });
  await expect(forget).toBeFocused();
  await bobPage.keyboard.press('Space');
  await expect(forget).toBeChecked();
  await screenshot(bobPage, 'room-settings-leave-forget');
  const forgot = bobPage.waitForResponse((r) => r.request().method() === 'POST' && r.url().includes(`/rooms/${enc(rooms.meadow)}/forget`));
  await confirm.getByRole('button', { name: 'Leave and forget' }).click();
  expect((await forgot).status()).toBe(200);
  await expect(roomItem(bobPage, 'Meadow')).toHaveCount(0);
  // Forgotten: the server no longer gives bob the room, even among the rooms he left.
  const sync = await bobApi.get('/_matrix/client/v3/sync?timeout=0');
  expect(Object.keys(sync.body.rooms?.leave ?? {})).not.toContain(rooms.meadow);
  expect(Object.keys(sync.body.rooms?.join ?? {})).not.toContain(rooms.meadow);
  await expect(message(alicePage, 'plain three')).toBeVisible();
});
