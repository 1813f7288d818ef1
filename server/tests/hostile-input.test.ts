// Bad input never crashes the server or yields a 500: arbitrary JSON bodies, query strings and path segments
// against every writing endpoint, with a clear errcode on every refusal.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startHomeserver, type RunningHomeserver } from '../testing/spawn';
import { enc, TestClient } from '../testing/http-client';

// Real server processes and real clients: under `npm test` every file runs at once on two cores, so allow time.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

let server: RunningHomeserver;
let alice: TestClient;
let roomId: string;

beforeAll(async () => {
  server = await startHomeserver({ serverName: 'alpha.localhost:18508' });
  alice = await new TestClient(server.baseUrl).register('alice');
  roomId = (await alice.post('/_matrix/client/v3/createRoom', { name: 'target' })).body.room_id;
});
afterAll(() => server?.dispose());

const endpoints = (segment: string): Array<[string, string]> => [
  ['POST', '/_matrix/client/v3/createRoom'],
  ['POST', '/_matrix/client/v3/login'],
  ['POST', '/_matrix/client/v3/register'],
  ['POST', `/_matrix/client/v3/join/${segment}`],
  ['POST', `/_matrix/client/v3/rooms/${enc(roomId)}/invite`],
  ['POST', `/_matrix/client/v3/rooms/${enc(roomId)}/kick`],
  ['POST', `/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${segment}`],
  ['POST', `/_matrix/client/v3/rooms/${enc(roomId)}/read_markers`],
  ['POST', `/_matrix/client/v3/user/${enc(alice.userId!)}/filter`],
  ['POST', '/_matrix/client/v3/publicRooms'],
  ['PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/${segment}`],
  ['PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.power_levels/`],
  ['PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${segment}`],
  ['PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/redact/${segment}/${segment}`],
  ['PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(alice.userId!)}`],
  ['PUT', `/_matrix/client/v3/profile/${enc(alice.userId!)}/displayname`],
  ['PUT', `/_matrix/client/v3/devices/${segment}`],
  ['PUT', `/_matrix/client/v3/directory/room/${segment}`],
  ['PUT', `/_matrix/client/v3/user/${enc(alice.userId!)}/account_data/${segment}`],
  ['GET', `/_matrix/client/v3/rooms/${segment}/messages?dir=${segment}&from=${segment}&filter=${segment}`],
  ['GET', `/_matrix/client/v3/sync?since=${segment}&filter=${segment}&timeout=${segment}`],
  ['GET', `/_matrix/client/v3/rooms/${enc(roomId)}/context/${segment}?limit=${segment}`],
];

describe('hostile input', () => {
  it('answers arbitrary bodies and parameters with 2xx or a spec error, never a 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue({ maxDepth: 4 }),
        fc.string({ maxLength: 30 }),
        fc.nat({ max: 21 }),
        async (body, rawSegment, index) => {
          const segment = enc(rawSegment || 'x');
          const [method, path] = endpoints(segment)[index]!;
          const reply = await alice.request(method, path, method === 'GET' ? undefined : body);
          expect(reply.status, `${method} ${path} ${JSON.stringify(body)}`).toBeLessThan(500);
          // A user-interactive-auth challenge (401 with flows) is the one refusal the spec sends without errcode.
          const uiaChallenge = reply.status === 401 && Array.isArray(reply.body?.flows);
          if (reply.status >= 400 && !uiaChallenge) expect(reply.body?.errcode, `${method} ${path}`).toMatch(/^M_[A-Z_]+$/);
        },
      ),
      { numRuns: 400 },
    );
    // Still alive and well.
    expect((await alice.get('/_matrix/client/v3/account/whoami')).status).toBe(200);
  }, 120_000);

  it('refuses raw garbage, wrong content types and truncated bodies cleanly', async () => {
    for (const raw of ['', '{', 'null', '"text"', '[]', '{"a":', '\u0000\u0001', '{"name": "x"}{"y": 1}', 'NaN']) {
      const reply = await alice.request('POST', '/_matrix/client/v3/createRoom', undefined, { raw });
      expect(reply.status, raw).toBeLessThan(500);
    }
    const lying = await fetch(`${server.baseUrl}/_matrix/client/v3/createRoom`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${alice.accessToken}`, 'Content-Type': 'application/json', 'Content-Length': '999999999' },
      body: '{}',
    }).catch(() => undefined);
    expect(lying === undefined || lying.status < 500).toBe(true);
    expect((await alice.get('/_matrix/client/v3/account/whoami')).status).toBe(200);
  });
});
