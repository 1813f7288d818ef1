// Media across servers (issue 14): two real homeservers. An image uploaded on alpha reaches a beta user through
// beta's authenticated client endpoint (fetched over federation as multipart/mixed, checked byte for byte, then
// cached: still served with alpha stopped); thumbnails are really scaled or cropped and never larger than the
// original; unknown media is 404; a hostile origin's oversized or malformed answer is refused cleanly; the
// legacy unauthenticated endpoints are frozen (404 M_NOT_FOUND).
import { Jimp } from 'jimp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signXMatrixRequest } from '../../src/protocol';
import type { TestClient } from '../testing/http-client';
import { enc, startServers, user } from '../testing/federation-harness';
import { HostileServer } from '../testing/hostile-server';
import { assertMatchesSpec } from '../testing/openapi';
import type { RunningHomeserver } from '../testing/spawn';

const LIMIT = 2_000_000;
const AUTHED = { file: 'authed-content-repo.yaml' };

let alpha: RunningHomeserver;
let beta: RunningHomeserver;
let evil: HostileServer;
let alice: TestClient;
let bob: TestClient;
let png: Buffer; // 400 × 300
let pngId: string;

async function image(width: number, height: number, type: 'image/png' | 'image/jpeg' = 'image/png'): Promise<Buffer> {
  const img = new Jimp({ width, height, color: 0xffffffff });
  for (let x = 0; x < width; x++)
    for (let y = 0; y < height; y++) img.setPixelColor(((x * 255) / width) * 0x1000000 + ((y * 255) / height) * 0x10000 + 0x80ff, x, y);
  return type === 'image/jpeg' ? img.getBuffer('image/jpeg') : img.getBuffer('image/png');
}

async function upload(
  client: TestClient,
  server: RunningHomeserver,
  bytes: Buffer,
  contentType: string,
  filename: string,
): Promise<string> {
  const response = await fetch(`${server.baseUrl}/_matrix/media/v3/upload?filename=${enc(filename)}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${client.accessToken}`, 'Content-Type': contentType },
    body: new Uint8Array(bytes),
  });
  const body = (await response.json()) as { content_uri: string };
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body.content_uri.split('/').pop()!;
}

async function get(
  client: TestClient | undefined,
  server: RunningHomeserver,
  path: string,
): Promise<{ status: number; type: string; bytes: Buffer; json: any }> {
  const response = await fetch(`${server.baseUrl}${path}`, { headers: client ? { Authorization: `Bearer ${client.accessToken}` } : {} });
  const bytes = Buffer.from(await response.arrayBuffer());
  const type = response.headers.get('content-type') ?? '';
  return {
    status: response.status,
    type,
    bytes,
    json: type.startsWith('application/json') ? JSON.parse(bytes.toString('utf8')) : undefined,
  };
}

const remote = (kind: 'download' | 'thumbnail', mediaId: string, query = '') =>
  `/_matrix/client/v1/media/${kind}/${enc(alpha.serverName)}/${enc(mediaId)}${query}`;

async function size(bytes: Buffer): Promise<{ width: number; height: number }> {
  const img = await Jimp.read(bytes);
  return { width: img.width, height: img.height };
}

/** A federation GET signed by the hostile server (alpha fetches its key from it), answer kept as bytes. */
async function fedGet(path: string, signed = true): Promise<{ status: number; type: string; bytes: Buffer }> {
  const headers: Record<string, string> = {};
  if (signed)
    headers.Authorization = signXMatrixRequest(
      { method: 'GET', uri: path, origin: evil.serverName, destination: alpha.serverName },
      evil.key.keyId,
      evil.key.seed,
    );
  const response = await fetch(`${alpha.baseUrl}${path}`, { headers });
  return { status: response.status, type: response.headers.get('content-type') ?? '', bytes: Buffer.from(await response.arrayBuffer()) };
}

/** An independent reading of RFC 2046 multipart/mixed: the boundary parameter and each part's headers and body. */
function parts(type: string, body: Buffer): { headers: Record<string, string>; body: Buffer }[] {
  const boundary = /boundary="?([^";]+)"?/.exec(type)?.[1];
  expect(boundary, type).toBeTruthy();
  const text = body.toString('latin1');
  const pieces = text.split(`--${boundary}`);
  expect(pieces.at(-1)!.startsWith('--')).toBe(true); // close delimiter
  return pieces.slice(1, -1).map((piece) => {
    expect(piece.startsWith('\r\n') && piece.endsWith('\r\n')).toBe(true);
    const [head, ...rest] = piece.slice(2, -2).split('\r\n\r\n');
    const headers = Object.fromEntries(
      head!
        .split('\r\n')
        .filter(Boolean)
        .map((line) => [line.split(':')[0]!.toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
    );
    return { headers, body: Buffer.from(rest.join('\r\n\r\n'), 'latin1') };
  });
}

beforeAll(async () => {
  evil = await HostileServer.start(20960, 'evil');
  [alpha, beta] = await startServers(['alpha.localhost:20951', 'beta.localhost:20952'], ['--max-upload-bytes', String(LIMIT)]);
  [alice, bob] = await Promise.all([user(alpha, 'alice'), user(beta, 'bob')]);
  png = await image(400, 300);
  pngId = await upload(alice, alpha, png, 'image/png', 'sunset.png');
}, 90_000);

afterAll(async () => {
  await Promise.all([alpha, beta].filter(Boolean).map((s) => s.dispose()));
  await evil?.close();
});

describe('federation media endpoints on the origin', () => {
  it('download answers multipart/mixed: JSON metadata {}, then the bytes with their type and name', async () => {
    const answer = await fedGet(`/_matrix/federation/v1/media/download/${pngId}`);
    expect(answer.status).toBe(200);
    expect(answer.type).toMatch(/^multipart\/mixed;\s*boundary=/);
    const [meta, media, ...more] = parts(answer.type, answer.bytes);
    expect(more).toEqual([]);
    expect(meta!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(meta!.body.toString('utf8'))).toEqual({});
    expect(media!.headers['content-type']).toBe('image/png');
    expect(media!.headers['content-disposition']).toContain('sunset.png');
    expect(media!.body.equals(png)).toBe(true);
  });

  it('thumbnail answers multipart/mixed with a scaled image', async () => {
    const answer = await fedGet(`/_matrix/federation/v1/media/thumbnail/${pngId}?width=40&height=40&method=scale`);
    expect(answer.status).toBe(200);
    const [meta, media] = parts(answer.type, answer.bytes);
    expect(JSON.parse(meta!.body.toString('utf8'))).toEqual({});
    expect(media!.headers['content-type']).toBe('image/png');
    expect(await size(media!.body)).toEqual({ width: 40, height: 30 });
  });

  it('refuses unsigned requests and answers 404 for unknown media', async () => {
    expect((await fedGet(`/_matrix/federation/v1/media/download/${pngId}`, false)).status).toBe(401);
    const unknown = await fedGet('/_matrix/federation/v1/media/download/nosuchmedia');
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.bytes.toString('utf8')).errcode).toBe('M_NOT_FOUND');
  });
});

describe('remote media through the client API', () => {
  it('a beta user downloads the image uploaded on alpha, byte for byte', async () => {
    const answer = await get(bob, beta, remote('download', pngId));
    expect(answer.status, answer.bytes.toString('utf8').slice(0, 300)).toBe(200);
    expect(answer.type).toBe('image/png');
    expect(answer.bytes.equals(png)).toBe(true);
    const named = await get(bob, beta, remote('download', pngId, '/holiday.png'));
    expect(named.status).toBe(200);
    expect(named.bytes.equals(png)).toBe(true);
    expect((await get(undefined, beta, remote('download', pngId))).status).toBe(401);
  });

  it('thumbnails: scale fits the box, crop is exact, neither larger than the original', async () => {
    const cases: [number, number, string, { width: number; height: number }][] = [
      [100, 100, 'scale', { width: 100, height: 75 }],
      [100, 40, 'scale', { width: 53, height: 40 }],
      [100, 100, 'crop', { width: 100, height: 100 }],
      [120, 60, 'crop', { width: 120, height: 60 }],
      [1000, 1000, 'scale', { width: 400, height: 300 }],
      [800, 600, 'crop', { width: 400, height: 300 }],
      [1200, 600, 'crop', { width: 400, height: 200 }],
    ];
    for (const [width, height, method, expected] of cases) {
      for (const [client, server] of [
        [bob, beta],
        [alice, alpha],
      ] as const) {
        const answer = await get(client, server, remote('thumbnail', pngId, `?width=${width}&height=${height}&method=${method}`));
        expect(answer.status, `${server.serverName} ${width}x${height} ${method}: ${answer.bytes.toString('utf8').slice(0, 200)}`).toBe(
          200,
        );
        expect(answer.type).toBe('image/png');
        expect(await size(answer.bytes), `${server.serverName} ${width}x${height} ${method}`).toEqual(expected);
      }
    }
    const jpeg = await image(300, 600, 'image/jpeg');
    const jpegId = await upload(alice, alpha, jpeg, 'image/jpeg', 'tall.jpg');
    const thumb = await get(bob, beta, remote('thumbnail', jpegId, '?width=64&height=64&method=scale'));
    expect(thumb.type).toBe('image/jpeg');
    expect(await size(thumb.bytes)).toEqual({ width: 32, height: 64 });
    expect(thumb.bytes.length).toBeLessThan(jpeg.length);
  });

  it('animated images come back as the original; non-images and bad sizes get a clear 400', async () => {
    // A two-frame GIF (NETSCAPE2.0 loop): not scaled, served as it is.
    const gif = Buffer.from(
      'R0lGODlhAgACAPAAAP8AAAAA/yH/C05FVFNDQVBFMi4wAwEAAAAh+QQACgAAACwAAAAAAgACAAACAoRRACH5BAAKAAAALAAAAAACAAIAAAIChFEAOw==',
      'base64',
    );
    const gifId = await upload(alice, alpha, gif, 'image/gif', 'blink.gif');
    const animated = await get(bob, beta, remote('thumbnail', gifId, '?width=1&height=1&method=crop'));
    expect(animated.status).toBe(200);
    expect(animated.type).toBe('image/gif');
    expect(animated.bytes.equals(gif)).toBe(true);

    const textId = await upload(alice, alpha, Buffer.from('just words'), 'text/plain', 'notes.txt');
    const notImage = await get(bob, beta, remote('thumbnail', textId, '?width=32&height=32'));
    expect(notImage.status).toBe(400);
    expect(notImage.json.error).toMatch(/not an image/);
    assertMatchesSpec('/media/thumbnail/{serverName}/{mediaId}', 'GET', 400, notImage.json, AUTHED);

    for (const query of ['?width=0&height=10', '?width=-3&height=10', '?width=1.5&height=10', '?width=10&height=10&method=stretch']) {
      const bad = await get(bob, beta, remote('thumbnail', pngId, query));
      expect(bad.status, query).toBe(400);
      assertMatchesSpec('/media/thumbnail/{serverName}/{mediaId}', 'GET', 400, bad.json, AUTHED);
    }
  });

  it('unknown media is 404 M_NOT_FOUND, locally and across servers', async () => {
    for (const [client, server] of [
      [bob, beta],
      [alice, alpha],
    ] as const) {
      const answer = await get(client, server, remote('download', 'nosuchmedia'));
      expect(answer.status).toBe(404);
      expect(answer.json.errcode).toBe('M_NOT_FOUND');
    }
  });

  it('a remote answer over the size limit, or malformed, is refused cleanly (502)', async () => {
    const multipart = (body: Buffer, type = 'image/png') => {
      const b = 'xyzBOUNDARYzyx';
      return Buffer.concat([
        Buffer.from(`--${b}\r\nContent-Type: application/json\r\n\r\n{}\r\n--${b}\r\nContent-Type: ${type}\r\n\r\n`),
        body,
        Buffer.from(`\r\n--${b}--\r\n`),
      ]);
    };
    evil.on((request) => {
      const id = request.path.split('/').pop();
      if (!request.path.startsWith('/_matrix/federation/v1/media/download/')) return undefined;
      if (id === 'huge')
        return {
          status: 200,
          body: null,
          raw: {
            headers: { 'Content-Type': 'multipart/mixed; boundary=xyzBOUNDARYzyx' },
            body: multipart(Buffer.alloc(LIMIT + 200_000, 7)),
          },
        };
      if (id === 'noboundary')
        return { status: 200, body: null, raw: { headers: { 'Content-Type': 'multipart/mixed' }, body: multipart(Buffer.from('hi')) } };
      if (id === 'threeparts')
        return {
          status: 200,
          body: null,
          raw: {
            headers: { 'Content-Type': 'multipart/mixed; boundary=q' },
            body: Buffer.from('--q\r\nContent-Type: application/json\r\n\r\n{}\r\n--q\r\n\r\nA\r\n--q\r\n\r\nB\r\n--q--\r\n'),
          },
        };
      if (id === 'pdf')
        return {
          status: 200,
          body: null,
          raw: {
            headers: { 'Content-Type': 'multipart/mixed; boundary=xyzBOUNDARYzyx' },
            body: multipart(Buffer.from('%PDF-1.4'), 'application/pdf'),
          },
        };
      return undefined;
    });
    const at = (kind: 'download' | 'thumbnail', id: string, query = '') =>
      `/_matrix/client/v1/media/${kind}/${enc(evil.serverName)}/${id}${query}`;
    const huge = await get(bob, beta, at('download', 'huge'));
    expect(huge.status).toBe(502);
    expect(huge.json.errcode).toBe('M_TOO_LARGE');
    assertMatchesSpec('/media/download/{serverName}/{mediaId}', 'GET', 502, huge.json, AUTHED);
    for (const id of ['noboundary', 'threeparts']) {
      const bad = await get(bob, beta, at('download', id));
      expect(bad.status, id).toBe(502);
      expect(bad.json.error, id).toMatch(/malformed media/);
    }
    const pdf = await get(bob, beta, at('thumbnail', 'pdf', '?width=32&height=32'));
    expect(pdf.status).toBe(400);
    expect(pdf.json.error).toMatch(/application\/pdf, not an image/);
    // Uploads over the limit are refused on the uploading side too.
    const tooBig = await fetch(`${alpha.baseUrl}/_matrix/media/v3/upload`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${alice.accessToken}`, 'Content-Type': 'image/png' },
      body: new Uint8Array(LIMIT + 1),
    });
    expect(tooBig.status).toBe(413);
    expect((await get(bob, beta, '/_matrix/client/v1/media/config')).json['m.upload.size']).toBe(LIMIT);
  });

  it('the legacy unauthenticated endpoints are frozen: 404 M_NOT_FOUND even for media that exists', async () => {
    for (const path of [
      `/_matrix/media/v3/download/${enc(alpha.serverName)}/${pngId}`,
      `/_matrix/media/v3/thumbnail/${enc(alpha.serverName)}/${pngId}?width=32&height=32`,
    ]) {
      for (const client of [undefined, alice]) {
        const answer = await get(client, alpha, path);
        expect(answer.status, path).toBe(404);
        expect(answer.json.errcode).toBe('M_NOT_FOUND');
      }
    }
  });

  it('with alpha stopped, beta still serves its cached copy (and new thumbnails of it)', async () => {
    const jpeg = await image(64, 64, 'image/jpeg');
    const neverFetched = await upload(alice, alpha, jpeg, 'image/jpeg', 'later.jpg');
    await alpha.stop();
    try {
      const cached = await get(bob, beta, remote('download', pngId));
      expect(cached.status).toBe(200);
      expect(cached.bytes.equals(png)).toBe(true);
      const thumb = await get(bob, beta, remote('thumbnail', pngId, '?width=20&height=20&method=crop'));
      expect(thumb.status).toBe(200);
      expect(await size(thumb.bytes)).toEqual({ width: 20, height: 20 });
      const missing = await get(bob, beta, remote('download', neverFetched));
      expect(missing.status).toBe(502);
      expect(missing.json.error).toMatch(/Could not fetch the media from alpha/);
    } finally {
      await alpha.restart();
    }
  });
});
