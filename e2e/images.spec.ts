// Sending images from the composer (attach button, paste, drop), with upload progress, a failed upload retried, and a
// file over the server's m.upload.size refused in words; the other member sees each image rendered.
import { expect, test, type Page } from '@playwright/test';
import { startHomeserver, type RunningHomeserver } from '../server/testing/spawn';
import { apiLogin, createRoom, inviteAndAccept, screenshot, signedUpPage, testPng, timeline } from './support/chat';

const serverName = 'alpha.localhost:19381';
const UPLOAD_LIMIT = 4096;
let hs: RunningHomeserver;

test.describe.configure({ timeout: 120_000 });

test.beforeAll(async () => {
  hs = await startHomeserver({ serverName, extraArgs: ['--max-upload-bytes', String(UPLOAD_LIMIT)] });
});

test.afterAll(async () => {
  await hs?.dispose();
});

async function attachThroughButton(page: Page, file: { name: string; mimeType: string; buffer: Buffer }) {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Attach file' }).click();
  await (await chooser).setFiles(file);
}

/** The key of the timeline's last row (the virtualiser renders the end while the view follows it). */
async function lastRowKey(page: Page): Promise<string | null> {
  return timeline(page)
    .locator('[data-row-key]')
    .evaluateAll(
      (rows) =>
        rows.reduce<HTMLElement | null>(
          (last, row) => (!last || Number((row as HTMLElement).dataset.index) > Number(last.dataset.index) ? (row as HTMLElement) : last),
          null,
        )?.dataset.rowKey ?? null,
    );
}

function renderedImage(page: Page, name: string) {
  return timeline(page).getByRole('img', { name });
}

test('images: attach, paste and drop, progress, a failed upload retried, too large refused; the other member sees them', async ({
  browser,
}) => {
  const alice = await signedUpPage(browser, serverName, 'alice');
  const bob = await signedUpPage(browser, serverName, 'bob', { colorScheme: 'dark' });
  await createRoom(alice, 'Pictures');
  await inviteAndAccept(alice, bob, 'Pictures', `@bob:${serverName}`);
  await expect(bob.getByRole('heading', { name: 'Pictures' })).toBeVisible();

  // The attach button: the upload is held on its way, so the pending image shows at the bottom of the timeline with
  // its progress; then it goes on, the sent message takes over the same row, and Bob sees it.
  const png = testPng();
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await alice.route('**/_matrix/media/v3/upload**', async (route) => {
    if (route.request().method() === 'POST') await held; // not the CORS preflight
    await route.continue();
  });
  await attachThroughButton(alice, { name: 'banner.png', mimeType: 'image/png', buffer: png });
  const log = timeline(alice);
  await expect(log.getByRole('progressbar', { name: /^Uploading banner\.png, \d+%$/ })).toBeVisible();
  await expect(log.getByRole('status').filter({ hasText: 'Uploading…' })).toBeVisible();
  const pendingRow = log.locator('[data-row-key]').filter({ has: alice.getByRole('progressbar') });
  await expect(pendingRow.getByRole('img', { name: 'banner.png' })).toHaveAttribute('src', /^blob:/); // the local file, before any upload
  const pendingKey = await pendingRow.getAttribute('data-row-key');
  expect(await lastRowKey(alice)).toBe(pendingKey);
  await expect(alice.getByRole('list', { name: 'Images being sent' })).toHaveCount(0); // no longer above the composer
  await screenshot(alice, 'images-uploading');
  await alice.emulateMedia({ colorScheme: 'dark' });
  await screenshot(alice, 'images-uploading-dark');
  await alice.emulateMedia({ colorScheme: 'light' });
  release();
  // The server's event, in the row the pending image had (same key, still last), and only one copy of it.
  const sentImage = log.locator('article[data-event-id^="$"]').getByRole('img', { name: 'banner.png' });
  await expect(sentImage).toBeVisible();
  await expect(log.getByRole('progressbar')).toHaveCount(0);
  await expect(renderedImage(alice, 'banner.png')).toHaveCount(1);
  await expect(log.locator(`[data-row-key="${pendingKey}"]`).getByRole('img', { name: 'banner.png' })).toBeVisible();
  expect(await lastRowKey(alice)).toBe(pendingKey);
  await alice.unroute('**/_matrix/media/v3/upload**');
  const seen = renderedImage(bob, 'banner.png');
  await expect(seen).toBeVisible();
  await expect(seen).toHaveAttribute('src', /^blob:/);
  expect(await seen.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(48);
  await expect(alice.getByRole('progressbar')).toHaveCount(0);

  // What went over the wire: m.image with mimetype, size and the pixel size the browser measured.
  const token = await apiLogin(hs.baseUrl, 'bob', 'bob-password');
  const roomId = (
    await (await fetch(`${hs.baseUrl}/_matrix/client/v3/joined_rooms`, { headers: { Authorization: `Bearer ${token}` } })).json()
  ).joined_rooms[0];
  const history = await (
    await fetch(`${hs.baseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=20`, {
      headers: { Authorization: `Bearer ${token}` },
    })
  ).json();
  const sent = history.chunk.find((e: any) => e.content?.body === 'banner.png');
  expect(sent.content).toMatchObject({
    msgtype: 'm.image',
    url: expect.stringMatching(/^mxc:\/\//),
    info: { mimetype: 'image/png', size: png.length, w: 48, h: 32 },
  });

  // The upload fails: its row in the timeline says so with Retry; Retry sends it, and it is then there once.
  await alice.route('**/_matrix/media/v3/upload**', (route) => route.abort('connectionfailed'));
  await attachThroughButton(alice, { name: 'retry-me.png', mimeType: 'image/png', buffer: png });
  const failed = log.getByRole('alert').filter({ hasText: 'Not sent' });
  await expect(failed).toBeVisible();
  await expect(log.locator('article[data-upload="failed"]').getByRole('img', { name: 'retry-me.png' })).toBeVisible();
  await screenshot(alice, 'images-upload-failed');
  await alice.emulateMedia({ colorScheme: 'dark' });
  await screenshot(alice, 'images-upload-failed-dark');
  await alice.emulateMedia({ colorScheme: 'light' });
  await alice.unroute('**/_matrix/media/v3/upload**');
  await failed.getByRole('button', { name: 'Retry' }).click();
  await expect(renderedImage(bob, 'retry-me.png')).toBeVisible();
  await expect(log.locator('article[data-event-id^="$"]').getByRole('img', { name: 'retry-me.png' })).toBeVisible();
  await expect(renderedImage(alice, 'retry-me.png')).toHaveCount(1);
  await expect(log.getByRole('alert')).toHaveCount(0);

  // Cancelled while on its way: the pending row goes, and nothing is sent (the next image arrives, this one never).
  let cancelled!: () => void;
  const cancel = new Promise<void>((resolve) => (cancelled = resolve));
  await alice.route('**/_matrix/media/v3/upload**', async (route) => {
    if (route.request().method() === 'POST') await cancel;
    await route.continue().catch(() => undefined); // the page aborted it meanwhile
  });
  await attachThroughButton(alice, { name: 'cancel-me.png', mimeType: 'image/png', buffer: png });
  await log.getByRole('button', { name: 'Cancel sending cancel-me.png' }).click();
  await expect(log.getByRole('img', { name: 'cancel-me.png' })).toHaveCount(0);
  cancelled();
  await alice.unroute('**/_matrix/media/v3/upload**');

  // Pasting an image into the composer sends it.
  await alice.getByRole('textbox', { name: 'Message' }).evaluate(
    (textarea, bytes) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(bytes)], 'pasted.png', { type: 'image/png' }));
      textarea.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
    },
    [...png],
  );
  await expect(renderedImage(bob, 'pasted.png')).toBeVisible();

  // Dropping one on the composer sends it too.
  await alice.getByRole('textbox', { name: 'Message' }).evaluate(
    (textarea, bytes) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(bytes)], 'dropped.png', { type: 'image/png' }));
      textarea.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    },
    [...png],
  );
  await expect(renderedImage(bob, 'dropped.png')).toBeVisible();
  await expect(renderedImage(bob, 'cancel-me.png')).toHaveCount(0);
  await expect(renderedImage(alice, 'cancel-me.png')).toHaveCount(0);

  // Over the server's limit: refused before any upload, with the sizes in words.
  const big = Buffer.concat([png, Buffer.alloc(UPLOAD_LIMIT)]);
  await attachThroughButton(alice, { name: 'huge.png', mimeType: 'image/png', buffer: big });
  await expect(alice.getByRole('alert')).toContainText(/huge\.png is [\d.]+ KB; your homeserver accepts files up to 4\.0 KB\./);
  await expect(alice.getByRole('progressbar')).toHaveCount(0);
  await screenshot(bob, 'images-received-dark');
});
