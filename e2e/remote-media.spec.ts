// Media across servers (issue 14), as two people meet it: Alice on alpha sends an image into a room with Bob on beta;
// Bob's client asks beta for a thumbnail that fits the row, beta fetches it from alpha over federation, and Bob
// sees it loaded. A failed image is a compact placeholder inside its own row with Retry, which loads it.
import { expect, test } from '@playwright/test';
import { Jimp } from 'jimp';
import { startServers } from '../server/testing/federation-harness';
import type { RunningHomeserver } from '../server/testing/spawn';
import { createRoom, inviteAndAccept, screenshot, signedUpPage, timeline } from './support/chat';

let alpha: RunningHomeserver;
let beta: RunningHomeserver;

test.describe.configure({ timeout: 180_000 });

test.beforeAll(async () => {
  [alpha, beta] = await startServers(['alpha.localhost:20971', 'beta.localhost:20972']);
});

test.afterAll(async () => {
  await Promise.all([alpha, beta].filter(Boolean).map((s) => s.dispose()));
});

/** An 800 × 500 picture (a gradient with a band), larger than any timeline row. */
async function picture(hue: number): Promise<Buffer> {
  const img = new Jimp({ width: 800, height: 500, color: 0xffffffff });
  for (let x = 0; x < 800; x++)
    for (let y = 0; y < 500; y++) {
      const band = y > 200 && y < 300 ? 0 : 1;
      img.setPixelColor(
        ((((x * 255) / 800) & 0xff) * 0x1000000 + ((hue * band) & 0xff) * 0x10000 + (((y * 255) / 500) & 0xff) * 0x100 + 0xff) >>> 0,
        x,
        y,
      );
    }
  return img.getBuffer('image/png');
}

async function attach(page: import('@playwright/test').Page, name: string, buffer: Buffer) {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Attach file' }).click();
  await (await chooser).setFiles({ name, mimeType: 'image/png', buffer });
}

test('an image sent on alpha is seen loaded by Bob on beta, as a thumbnail that fits the row; a failed one can be retried', async ({
  browser,
}) => {
  const alice = await signedUpPage(browser, alpha.serverName, 'alice');
  const bob = await signedUpPage(browser, beta.serverName, 'bob', { width: 1280 });
  await createRoom(alice, 'Holiday', { version: '11' });
  await inviteAndAccept(alice, bob, 'Holiday', `@bob:${beta.serverName}`);
  await expect(bob.getByRole('heading', { name: 'Holiday' })).toBeVisible();

  const thumbnailRequests: URL[] = [];
  bob.on('request', (request) => {
    if (request.url().includes('/_matrix/client/v1/media/')) thumbnailRequests.push(new URL(request.url()));
  });

  await attach(alice, 'beach.png', await picture(200));
  const image = timeline(bob).getByRole('img', { name: 'beach.png' });
  await expect(image).toBeVisible({ timeout: 30_000 });
  // Loaded (decoded pixels), from beta's client endpoint for alpha's media: a thumbnail, scaled, no larger than the row.
  await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
  const asked = thumbnailRequests.find(
    (url) =>
      url.pathname.includes(`/thumbnail/${encodeURIComponent(alpha.serverName)}/`) ||
      url.pathname.includes(`/thumbnail/${alpha.serverName}/`),
  );
  expect(asked, thumbnailRequests.map(String).join('\n')).toBeDefined();
  expect(asked!.port).toBe(String(beta.port)); // asked of Bob's own server, beta
  expect(asked!.searchParams.get('method')).toBe('scale');
  const box = await image.boundingBox();
  const natural = await image.evaluate((img: HTMLImageElement) => ({ width: img.naturalWidth, height: img.naturalHeight }));
  expect(Number(asked!.searchParams.get('width'))).toBeLessThanOrEqual(Math.ceil(box!.width) * 2);
  expect(natural.width).toBeLessThan(800); // scaled by the server, not the original
  expect(natural.width).toBeLessThanOrEqual(Number(asked!.searchParams.get('width')));
  expect(natural.width / natural.height).toBeCloseTo(800 / 500, 1);
  await screenshot(bob, 'remote-image-1280');
  await bob.setViewportSize({ width: 375, height: 800 });
  await expect(image).toBeVisible();
  const narrow = await image.boundingBox();
  expect(narrow!.x + narrow!.width).toBeLessThanOrEqual(375);
  await screenshot(bob, 'remote-image-375');
  await bob.setViewportSize({ width: 1280, height: 800 });

  // A failed image (beta's answer refused on its way): a one-line placeholder inside its row, then Retry loads it.
  await bob.route('**/_matrix/client/v1/media/thumbnail/**', (route) => route.abort('connectionfailed'));
  await attach(alice, 'sunset.png', await picture(40));
  const failed = timeline(bob).getByTestId('image-failed').filter({ hasText: 'sunset.png' });
  await expect(failed).toBeVisible({ timeout: 30_000 });
  await expect(failed).toContainText("Image couldn't be loaded");
  const row = timeline(bob)
    .locator('[data-row-key]')
    .filter({ has: bob.getByTestId('image-failed').filter({ hasText: 'sunset.png' }) });
  const [placeholderBox, rowBox] = [await failed.boundingBox(), await row.boundingBox()];
  expect(placeholderBox!.height).toBeLessThan(60);
  expect(placeholderBox!.y).toBeGreaterThanOrEqual(rowBox!.y);
  expect(placeholderBox!.y + placeholderBox!.height).toBeLessThanOrEqual(rowBox!.y + rowBox!.height + 0.5);
  // No other row overlaps this one.
  const overlaps = await timeline(bob)
    .locator('[data-row-key]')
    .evaluateAll(
      (rows, key) => {
        const mine = rows.find((r) => (r as HTMLElement).dataset.rowKey === key)!.getBoundingClientRect();
        return rows
          .filter((r) => (r as HTMLElement).dataset.rowKey !== key)
          .some((r) => {
            const b = r.getBoundingClientRect();
            return b.height > 0 && b.top < mine.bottom - 0.5 && b.bottom > mine.top + 0.5;
          });
      },
      await row.getAttribute('data-row-key'),
    );
  expect(overlaps).toBe(false);
  await bob.setViewportSize({ width: 375, height: 800 });
  await expect(failed).toBeVisible();
  const narrowFailed = await failed.boundingBox();
  expect(narrowFailed!.x + narrowFailed!.width).toBeLessThanOrEqual(375);
  await screenshot(bob, 'remote-image-failed-375');
  await bob.setViewportSize({ width: 1280, height: 800 });
  await screenshot(bob, 'remote-image-failed-1280');

  await bob.unroute('**/_matrix/client/v1/media/thumbnail/**');
  await failed.getByRole('button', { name: 'Retry loading sunset.png' }).click();
  const retried = timeline(bob).getByRole('img', { name: 'sunset.png' });
  await expect(retried).toBeVisible({ timeout: 30_000 });
  await expect.poll(() => retried.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBeGreaterThan(0);
  await expect(timeline(bob).getByTestId('image-failed')).toHaveCount(0);
});
