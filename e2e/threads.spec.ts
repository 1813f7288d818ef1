// Threads (issue 17) as two people meet them, in a member-key room and a classic one: Alice replies in a thread from
// a message's "Thread" action; Bob sees the summary under the root update (count, last reply, participants), and
// the reply counted unread in his room list, the Threads button and the summary; he opens the thread by keyboard,
// which reads it (the counts clear), and replies; Alice sees his reply. The thread list shows all threads or only
// the ones you took part in; the thread's URL opens it again after a reload. Replies stay out of the room's timeline.
// The thread's message box is the room's composer: Alice mentions Bob (he sees his pill, the reply highlighted) and
// attaches a file (he sees its card), both as thread replies.
import { expect, test, type Page } from '@playwright/test';
import { homeserverForSpec } from './support/homeserver';
import { createRoom, inviteAndAccept, message, screenshot, sendMessage, signedUpPage, timeline } from './support/chat';

const serverName = 'alpha.localhost:24810';
homeserverForSpec(serverName);

test.describe.configure({ mode: 'serial', timeout: 240_000 });

const roomButton = (page: Page, name: string) =>
  page.getByRole('navigation', { name: 'Rooms' }).getByRole('button', { name: new RegExp(`^${name}(,|$)`) });

async function openRoom(page: Page, name: string): Promise<void> {
  await roomButton(page, name).click();
  await expect(page.getByRole('heading', { name, level: 1 })).toBeVisible();
}

const threadPanel = (page: Page) => page.getByRole('complementary', { name: /^Thread of / });
const summaryOf = (page: Page, rootText: string) => message(page, rootText).locator('[data-thread-summary]');

async function replyInThread(page: Page, rootText: string, reply: string): Promise<void> {
  const root = message(page, rootText);
  await root.hover();
  await root.getByRole('button', { name: /^Reply in thread to / }).click();
  const panel = threadPanel(page);
  await expect(panel).toBeVisible();
  await expect(panel.getByRole('log')).toContainText(rootText);
  await panel.getByRole('textbox', { name: 'Reply in thread' }).fill(reply);
  await panel.getByRole('textbox', { name: 'Reply in thread' }).press('Enter');
  await expect(panel.locator('article').filter({ hasText: reply })).toBeVisible();
}

for (const [kind, version] of [
  ['member-key', undefined],
  ['classic', '11'],
] as const) {
  test(`${kind} room: a thread reply shows on the root and as unread, reading the thread clears it, and both reply`, async ({
    browser,
  }) => {
    const room = kind === 'classic' ? 'Studio' : 'Porch';
    const alice = await signedUpPage(browser, serverName, `alice${kind === 'classic' ? 'c' : 'm'}`);
    const bob = await signedUpPage(browser, serverName, `bob${kind === 'classic' ? 'c' : 'm'}`, { colorScheme: 'dark' });
    await createRoom(alice, room, version ? { version } : {});
    await inviteAndAccept(alice, bob, room, `@bob${kind === 'classic' ? 'c' : 'm'}:${serverName}`);
    await openRoom(bob, room);

    await sendMessage(alice, 'Shall we plan the trip?');
    await sendMessage(alice, 'Also: who has the map?');
    await expect(message(bob, 'Also: who has the map?')).toBeVisible();
    await expect(roomButton(bob, room)).toHaveAccessibleName(room);

    // Alice answers in a thread: its panel has its own URL.
    await replyInThread(alice, 'Shall we plan the trip?', 'I can drive');
    await expect(alice).toHaveURL(/#\/room\/![^/]+\/thread\/\$/);
    // Beside the panel the room's header keeps its name whole: its actions become named icons, as at phone width.
    const heading = alice.getByRole('heading', { level: 1, name: room });
    await expect(heading).toBeVisible();
    expect(await heading.evaluate((h) => h.clientWidth > 0 && h.scrollWidth <= h.clientWidth)).toBe(true);
    await expect(alice.getByRole('button', { name: 'Room settings', exact: true })).toHaveText('', { useInnerText: true });
    await screenshot(alice, `threads-${kind}-panel-light`);

    // Bob, with the room open: the summary under the root, the reply unread there, on the Threads button and in the list.
    const summary = summaryOf(bob, 'Shall we plan the trip?');
    await expect(summary).toContainText('1 reply');
    await expect(summary).toContainText('I can drive');
    await expect(summary).toHaveAccessibleName(/^Open thread: 1 reply, 1 unread, last from alice/);
    await expect(summary.locator('[data-badge]')).toBeVisible(); // the last replier's handle or badge, as the timeline shows it
    await expect(bob.getByRole('button', { name: 'Threads, 1 unread' })).toBeVisible();
    await expect(roomButton(bob, room)).toHaveAccessibleName(`${room}, 1 unread`);
    // The reply lives in its thread, not in the room's timeline.
    await expect(
      timeline(bob)
        .locator('article')
        .filter({ hasText: 'I can drive' })
        .filter({ hasNot: bob.locator('[data-thread-summary]') }),
    ).toHaveCount(0);
    await screenshot(bob, `threads-${kind}-summary-dark`);

    // He opens it from the keyboard: reading it clears the counts.
    await summary.focus();
    await bob.keyboard.press('Enter');
    const panel = threadPanel(bob);
    await expect(panel.locator('article').filter({ hasText: 'I can drive' })).toBeVisible();
    await expect(summary).not.toHaveAccessibleName(/unread/);
    await expect(bob.getByRole('button', { name: 'Threads', exact: true })).toBeVisible();
    await expect(roomButton(bob, room)).toHaveAccessibleName(room);

    // He replies; Alice, with the thread open, sees it, and the summary counts two replies by two people.
    await panel.getByRole('textbox', { name: 'Reply in thread' }).fill('Great, I will bring snacks');
    await panel.getByRole('button', { name: 'Send reply' }).click();
    await expect(threadPanel(alice).locator('article').filter({ hasText: 'Great, I will bring snacks' })).toBeVisible();
    const aliceSummary = summaryOf(alice, 'Shall we plan the trip?');
    await expect(aliceSummary).toContainText('2 replies');
    await expect(aliceSummary).toContainText('Great, I will bring snacks');
    await expect(aliceSummary.locator('[data-sender-name]').first()).toBeVisible();
    await expect(summaryOf(bob, 'Shall we plan the trip?')).toContainText('2 replies');
    await screenshot(bob, `threads-${kind}-replied-dark`);

    // The thread's message box is the room's: Alice mentions Bob from the autocomplete there, and attaches a file.
    const aliceThread = threadPanel(alice);
    const aliceBox = aliceThread.getByRole('textbox', { name: 'Reply in thread' });
    await aliceBox.pressSequentially('@bo');
    const suggestions = aliceThread.getByRole('listbox', { name: 'Mention someone' });
    await expect(suggestions.getByRole('option', { name: /bob/ })).toBeVisible();
    await aliceBox.press('Enter');
    await expect(suggestions).toHaveCount(0);
    await aliceBox.pressSequentially('bring the tent?');
    await aliceBox.press('Enter');
    // Bob, in the thread: his pill (through the identity function) on a reply that stands out as mentioning him.
    const mentioned = threadPanel(bob).locator('article').filter({ hasText: 'bring the tent?' });
    await expect(mentioned).toHaveAttribute('data-mentions-me', 'true');
    await expect(mentioned.locator('a[data-pill="user"]').getByText(`bob${kind === 'classic' ? 'c' : 'm'}`, { exact: true })).toBeVisible();
    await expect(mentioned.locator('a[data-pill="user"] [data-pill-me]')).toBeVisible();
    const chooser = alice.waitForEvent('filechooser');
    await aliceThread.getByRole('button', { name: 'Attach file' }).click();
    await (await chooser).setFiles({ name: 'route.txt', mimeType: 'text/plain', buffer: Buffer.from('north, then east at the lake\n') });
    await expect(threadPanel(bob).getByTestId('file-card').filter({ hasText: 'route.txt' })).toBeVisible();
    // Both are thread replies: counted on the root, not in the room's timeline.
    await expect(summaryOf(bob, 'Shall we plan the trip?')).toContainText('4 replies');
    await expect(timeline(bob).getByTestId('file-card')).toHaveCount(0);
    await expect(timeline(bob).locator('[data-mentions-me]')).toHaveCount(0);
    await screenshot(bob, `threads-${kind}-mention-file-dark`);

    // A second thread, Alice's alone: the list shows both under "All threads", only the first under "My threads" for Bob.
    await replyInThread(alice, 'Also: who has the map?', 'I have it');
    await expect(summaryOf(bob, 'Also: who has the map?')).toContainText('1 reply');
    await bob.getByRole('button', { name: /^Threads/ }).click();
    const list = bob.getByRole('complementary', { name: 'Threads' });
    await expect(list.locator('[data-thread-item]')).toHaveCount(2);
    await expect(list.locator('[data-thread-item]').first()).toContainText('Also: who has the map?');
    await expect(list.locator('[data-thread-item]').first().locator('[data-thread-unread]')).toHaveText(/1/);
    await list.getByRole('button', { name: 'My threads' }).click();
    await expect(list.locator('[data-thread-item]')).toHaveCount(1);
    await expect(list.locator('[data-thread-item]')).toContainText('Shall we plan the trip?');
    await screenshot(bob, `threads-${kind}-list-dark`);
    await list.getByRole('button', { name: 'All threads' }).click();
    await list.locator('[data-thread-item]').filter({ hasText: 'Also: who has the map?' }).click();
    await expect(threadPanel(bob).locator('article').filter({ hasText: 'I have it' })).toBeVisible();
    await expect(roomButton(bob, room)).toHaveAccessibleName(room);

    // The URL is the selection: a reload opens the same thread.
    await bob.reload();
    await expect(threadPanel(bob).locator('article').filter({ hasText: 'I have it' })).toBeVisible({ timeout: 20_000 });
    // At phone width the thread covers the room, its controls named.
    await bob.setViewportSize({ width: 375, height: 740 });
    const dialog = bob.getByRole('dialog', { name: /^Thread of / });
    await expect(dialog.getByRole('button', { name: 'Close thread' })).toBeVisible();
    await expect(dialog.locator(':focus')).toHaveCount(1); // a modal dialog: the keyboard is in it
    await screenshot(bob, `threads-${kind}-phone-dark`);
    await bob.setViewportSize({ width: 1200, height: 800 });
    // Escape closes the panel and the room stays.
    await threadPanel(bob).getByRole('textbox', { name: 'Reply in thread' }).press('Escape');
    await expect(threadPanel(bob)).toHaveCount(0);
    await expect(bob).toHaveURL(/#\/room\/![^/]+$/);
    await alice.context().close();
    await bob.context().close();
  });
}
