// Attachments beyond images (issue 17), as two people meet them: Alice on alpha sends a file, an audio clip and a
// video (picked, dropped on the room) into a member-key room with Bob on beta; Bob sees a file card, an audio and a
// video player fed by authenticated media, and downloads the file with the same bytes. A pasted image goes too; a
// file over alpha's m.upload.size is refused in words before any upload; a file upload is cancelled and retried.
// In a classic room it is the same, the other way round.
import { readFile } from 'node:fs/promises';
import { expect, test, type Page } from '@playwright/test';
import { startServers } from '../server/testing/federation-harness';
import type { RunningHomeserver } from '../server/testing/spawn';
import { apiLogin, createRoom, inviteAndAccept, screenshot, signedUpPage, testPng, timeline } from './support/chat';

const UPLOAD_LIMIT = 256 * 1024;
let alpha: RunningHomeserver;
let beta: RunningHomeserver;

test.describe.configure({ timeout: 240_000 });

test.beforeAll(async () => {
  [alpha, beta] = await startServers(['alpha.localhost:25101', 'beta.localhost:25102'], ['--max-upload-bytes', String(UPLOAD_LIMIT)]);
});

test.afterAll(async () => {
  await Promise.all([alpha, beta].filter(Boolean).map((s) => s.dispose()));
});

type FileSpec = { name: string; mimeType: string; buffer: Buffer };

async function attachThroughButton(page: Page, file: FileSpec) {
  const chooser = page.waitForEvent('filechooser');
  await page.getByRole('button', { name: 'Attach file' }).click();
  await (await chooser).setFiles(file);
}

/** Half a second of a 440 Hz tone, 8 kHz mono 16-bit PCM WAV. */
function toneWav(): Buffer {
  const rate = 8000;
  const samples = rate / 2;
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) data.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / rate) * 12000), i * 2);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** A short 64 × 48 WebM video, recorded in the page from a canvas (no video file ships with the repository). */
async function recordWebm(page: Page): Promise<number[]> {
  return page.evaluate(async () => {
    const canvas = document.createElement('canvas');
    canvas.width = 64;
    canvas.height = 48;
    const ctx = canvas.getContext('2d')!;
    const recorder = new MediaRecorder(canvas.captureStream(15), { mimeType: 'video/webm' });
    const chunks: Blob[] = [];
    recorder.ondataavailable = (e) => chunks.push(e.data);
    const stopped = new Promise((resolve) => (recorder.onstop = resolve));
    recorder.start();
    for (let frame = 0; frame < 12; frame++) {
      ctx.fillStyle = `hsl(${frame * 30}, 80%, 50%)`;
      ctx.fillRect(0, 0, 64, 48);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    recorder.stop();
    await stopped;
    return [...new Uint8Array(await new Blob(chunks, { type: 'video/webm' }).arrayBuffer())];
  });
}

/** What arrived in the member's joined room `roomName`, newest first, through the Client-Server API. */
async function sentContents(hs: RunningHomeserver, user: string): Promise<Record<string, any>[]> {
  const token = await apiLogin(hs.baseUrl, user, `${user}-password`);
  const headers = { Authorization: `Bearer ${token}` };
  const { joined_rooms } = await (await fetch(`${hs.baseUrl}/_matrix/client/v3/joined_rooms`, { headers })).json();
  const out: Record<string, any>[] = [];
  for (const roomId of joined_rooms) {
    const page = await (
      await fetch(`${hs.baseUrl}/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=50`, { headers })
    ).json();
    for (const event of page.chunk) if (event.type === 'm.room.message') out.push(event.content);
  }
  return out;
}

async function downloadAndRead(page: Page, name: string): Promise<{ bytes: Buffer; filename: string }> {
  const download = page.waitForEvent('download');
  await timeline(page)
    .getByRole('button', { name: `Download ${name}` })
    .click();
  const done = await download;
  return { bytes: await readFile((await done.path())!), filename: done.suggestedFilename() };
}

test('files, audio and video: sent picked, dropped or pasted; the other person plays and downloads them; too large is refused', async ({
  browser,
}) => {
  const alice = await signedUpPage(browser, alpha.serverName, 'alice');
  const bob = await signedUpPage(browser, beta.serverName, 'bob', { colorScheme: 'dark' });
  await createRoom(alice, 'Files');
  await inviteAndAccept(alice, bob, 'Files', `@bob:${beta.serverName}`);
  await expect(bob.getByRole('heading', { name: 'Files' })).toBeVisible();
  const aliceLog = timeline(alice);
  const bobLog = timeline(bob);

  // Any file: held on its way, its row shows a file card with progress and Cancel; cancelled, nothing is sent.
  const report = Buffer.from(`%PDF-1.4\n${'quarterly figures '.repeat(400)}\n%%EOF\n`);
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  await alice.route('**/_matrix/media/v3/upload**', async (route) => {
    if (route.request().method() === 'POST') await held;
    await route.continue().catch(() => undefined); // the page may have aborted it meanwhile
  });
  await attachThroughButton(alice, { name: 'draft.pdf', mimeType: 'application/pdf', buffer: report });
  await expect(aliceLog.getByRole('progressbar', { name: /^Uploading draft\.pdf, \d+%$/ })).toBeVisible();
  await expect(aliceLog.getByTestId('file-card').filter({ hasText: 'draft.pdf' })).toBeVisible();
  await screenshot(alice, 'attachments-uploading');
  await aliceLog.getByRole('button', { name: 'Cancel sending draft.pdf' }).click();
  await expect(aliceLog.getByText('draft.pdf')).toHaveCount(0);
  release();
  await alice.unroute('**/_matrix/media/v3/upload**');

  // A failed upload of a file says so, and Retry sends it: Bob sees the card and downloads the same bytes.
  await alice.route('**/_matrix/media/v3/upload**', (route) => route.abort('connectionfailed'));
  await attachThroughButton(alice, { name: 'report.pdf', mimeType: 'application/pdf', buffer: report });
  const failed = aliceLog.getByRole('alert').filter({ hasText: 'Not sent' });
  await expect(failed).toBeVisible();
  await alice.unroute('**/_matrix/media/v3/upload**');
  await failed.getByRole('button', { name: 'Retry' }).click();
  const card = bobLog.getByTestId('file-card').filter({ hasText: 'report.pdf' });
  await expect(card).toBeVisible();
  await expect(card).toContainText(/\d+(\.\d)? KB/);
  const downloaded = await downloadAndRead(bob, 'report.pdf');
  expect(downloaded.filename).toBe('report.pdf');
  expect(downloaded.bytes.equals(report)).toBe(true);

  // Audio: Bob gets a player on the authenticated media, which the browser can read to its length.
  const wav = toneWav();
  await attachThroughButton(alice, { name: 'tone.wav', mimeType: 'audio/wav', buffer: wav });
  const audio = bobLog.locator('audio[aria-label="tone.wav"]');
  await expect(audio).toHaveAttribute('src', /^blob:/);
  await expect.poll(() => audio.evaluate((el: HTMLAudioElement) => el.duration)).toBeCloseTo(0.5, 1);

  // Video, dropped on the timeline (not the composer): the room shows where to drop, and Bob gets a player.
  const webm = await recordWebm(alice);
  await aliceLog.evaluate((log, bytes) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(bytes)], 'clip.webm', { type: 'video/webm' }));
    log.dispatchEvent(new DragEvent('dragenter', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, webm);
  await expect(alice.getByText('Drop files here to send them')).toBeVisible();
  await screenshot(alice, 'attachments-drop');
  await aliceLog.evaluate((log, bytes) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([new Uint8Array(bytes)], 'clip.webm', { type: 'video/webm' }));
    log.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, webm);
  await expect(alice.getByText('Drop files here to send them')).toHaveCount(0);
  const video = bobLog.locator('video[aria-label="clip.webm"]');
  await expect(video).toHaveAttribute('src', /^blob:/);
  await expect(video).toHaveAttribute('poster', /^blob:/); // the sender's still, shown until it plays
  await expect.poll(() => video.evaluate((el: HTMLVideoElement) => el.videoWidth)).toBe(64);

  // An image pasted into the composer (a screenshot from the clipboard) is sent as an image.
  const png = testPng();
  await alice.getByRole('textbox', { name: 'Message' }).evaluate(
    (textarea, bytes) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([new Uint8Array(bytes)], 'pasted.png', { type: 'image/png' }));
      textarea.dispatchEvent(new ClipboardEvent('paste', { clipboardData: transfer, bubbles: true, cancelable: true }));
    },
    [...png],
  );
  await expect(bobLog.getByRole('img', { name: 'pasted.png' })).toBeVisible();

  // Over alpha's m.upload.size: refused in words before a byte is uploaded.
  const uploads: string[] = [];
  alice.on('request', (request) => {
    if (request.url().includes('/media/v3/upload') && request.method() === 'POST') uploads.push(request.url());
  });
  await attachThroughButton(alice, { name: 'huge.zip', mimeType: 'application/zip', buffer: Buffer.alloc(UPLOAD_LIMIT + 50 * 1024, 7) });
  await expect(alice.getByRole('alert')).toContainText('Not sent: huge.zip is 306 KB; your homeserver accepts files up to 256 KB.');
  await expect(aliceLog.getByRole('progressbar')).toHaveCount(0);
  expect(uploads).toEqual([]);
  await screenshot(alice, 'attachments-too-large');

  await expect(bobLog.getByTestId('file-card').filter({ hasText: 'clip.webm' })).toBeVisible();
  await screenshot(bob, 'attachments-received-dark');
  await bob.emulateMedia({ colorScheme: 'light' });
  await screenshot(bob, 'attachments-received-light');

  // What went over the wire: each msgtype with the info the browser could measure.
  const contents = await sentContents(beta, 'bob');
  const byName = (name: string) => contents.find((c) => c.body === name);
  expect(byName('report.pdf')).toMatchObject({
    msgtype: 'm.file',
    url: expect.stringMatching(/^mxc:\/\//),
    info: { mimetype: 'application/pdf', size: report.length },
  });
  expect(byName('tone.wav')).toMatchObject({ msgtype: 'm.audio', info: { mimetype: 'audio/wav', size: wav.length, duration: 500 } });
  expect(byName('clip.webm')).toMatchObject({
    msgtype: 'm.video',
    info: {
      mimetype: 'video/webm',
      size: webm.length,
      w: 64,
      h: 48,
      thumbnail_url: expect.stringMatching(/^mxc:\/\//),
      thumbnail_info: { mimetype: 'image/jpeg', w: 64, h: 48, size: expect.any(Number) },
    },
  });
  expect(byName('pasted.png')).toMatchObject({ msgtype: 'm.image' });
  expect(byName('draft.pdf')).toBeUndefined();
  expect(byName('huge.zip')).toBeUndefined();

  // A classic room, the other way round: Bob on beta sends a file, Alice on alpha downloads it.
  await createRoom(bob, 'Classic files', { version: '11' });
  await inviteAndAccept(bob, alice, 'Classic files', `@alice:${alpha.serverName}`);
  await expect(alice.getByRole('heading', { name: 'Classic files' })).toBeVisible();
  const notes = Buffer.from('minutes of the meeting\n');
  await attachThroughButton(bob, { name: 'notes.txt', mimeType: 'text/plain', buffer: notes });
  await expect(aliceLog.getByTestId('file-card').filter({ hasText: 'notes.txt' })).toBeVisible();
  const got = await downloadAndRead(alice, 'notes.txt');
  expect(got.filename).toBe('notes.txt');
  expect(got.bytes.equals(notes)).toBe(true);
});
