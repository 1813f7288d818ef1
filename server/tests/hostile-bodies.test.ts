// Hostile request bodies against every body-accepting endpoint the server registers (Client-Server and
// Server-Server, taken from the router's own route table, so a new endpoint is covered without touching this
// file): JSON nested thousands of levels deep, text that is not JSON, the wrong top-level type, huge strings, and
// numbers canonical JSON forbids. No 5xx anywhere, refusals carry a spec errcode, and the server keeps answering.
// Then /sync after hostile account data, including a value stored before bodies had a depth limit.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { canonicalJson } from '../../src/protocol';
import { parseConfig } from '../config';
import { createHomeserver } from '../homeserver';
import { buildRouter } from '../server';
import { MAX_CLIENT_JSON_DEPTH, MAX_FEDERATION_JSON_DEPTH } from '../http/json';
import { startHomeserver, type RunningHomeserver } from '../testing/spawn';
import { enc, TestClient, type Reply } from '../testing/http-client';
import { HostileServer } from '../testing/hostile-server';

vi.setConfig({ testTimeout: 240_000, hookTimeout: 120_000 });

const NAME = 'alpha.localhost:23850';
const SERVER_ARGS = ['--auth-rate-limit', '1000000,1000000'];
const PASSWORD = 'correct horse battery staple';

let server: RunningHomeserver;
let evil: HostileServer;
let alice: TestClient;

beforeAll(async () => {
  evil = await HostileServer.start(23851);
  server = await startHomeserver({ serverName: NAME, extraArgs: SERVER_ARGS });
  alice = await new TestClient(server.baseUrl).register('alice', PASSWORD);
});
afterAll(async () => {
  await Promise.all([server?.dispose(), evil?.close()]);
});

/** The routes a server started with these arguments registers: the same router, built in this process. */
function registeredRoutes(): Array<{ method: string; path: string }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'wayfarer-routes-'));
  const hs = createHomeserver(
    parseConfig(['--server-name', NAME, '--port', '23850', '--data', dataDir, '--open-registration', '--insecure-http', ...SERVER_ARGS]),
  );
  try {
    return buildRouter(hs).routeTable();
  } finally {
    hs.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const nestedObject = (depth: number, leaf = '1') => '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);
const nestedArray = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

/**
 * `refused`: the errcode of the 400 that every endpoint reading a JSON body must answer; `clientOnly`: refused by
 * the Client-Server API only (Server-Server documents wrap whole PDUs and may nest deeper, see server/http/json.ts).
 */
interface HostileBody {
  name: string;
  raw: string;
  refused?: 'M_BAD_JSON' | 'M_NOT_JSON';
  clientOnly?: boolean;
}
const HOSTILE_BODIES: HostileBody[] = [
  { name: 'object nested 5,000 deep', raw: nestedObject(5000), refused: 'M_BAD_JSON' },
  { name: 'array nested 20,000 deep', raw: nestedArray(20_000), refused: 'M_BAD_JSON' },
  {
    name: 'plausible body with a 5,000-deep field',
    raw: `{"msgtype":"m.text","body":"x","membership":"join","user_id":"@x:y","deep":${nestedObject(5000)}}`,
    refused: 'M_BAD_JSON',
  },
  {
    name: `one level over the client limit (${MAX_CLIENT_JSON_DEPTH + 1})`,
    raw: nestedObject(MAX_CLIENT_JSON_DEPTH + 1),
    refused: 'M_BAD_JSON',
    clientOnly: true,
  },
  { name: `exactly at the client limit (${MAX_CLIENT_JSON_DEPTH})`, raw: nestedObject(MAX_CLIENT_JSON_DEPTH) },
  {
    name: `one level over the federation limit (${MAX_FEDERATION_JSON_DEPTH + 1})`,
    raw: nestedObject(MAX_FEDERATION_JSON_DEPTH + 1),
    refused: 'M_BAD_JSON',
  },
  {
    name: `exactly at the federation limit (${MAX_FEDERATION_JSON_DEPTH})`,
    raw: nestedObject(MAX_FEDERATION_JSON_DEPTH),
    refused: 'M_BAD_JSON',
    clientOnly: true,
  },
  { name: 'truncated', raw: '{"a":', refused: 'M_NOT_JSON' },
  { name: 'open brace', raw: '{', refused: 'M_NOT_JSON' },
  { name: 'two objects', raw: '{"a":1}{"b":2}', refused: 'M_NOT_JSON' },
  { name: 'single quotes', raw: "{'a':1}", refused: 'M_NOT_JSON' },
  { name: 'trailing comma', raw: '{"a":[1,]}', refused: 'M_NOT_JSON' },
  { name: 'control bytes', raw: '\u0000\u0001\u0002', refused: 'M_NOT_JSON' },
  { name: 'NaN', raw: 'NaN', refused: 'M_NOT_JSON' },
  { name: 'top-level array', raw: '[]', refused: 'M_BAD_JSON' },
  { name: 'top-level array of objects', raw: '[{"msgtype":"m.text","body":"x"}]', refused: 'M_BAD_JSON' },
  { name: 'top-level string', raw: '"text"', refused: 'M_BAD_JSON' },
  { name: 'top-level null', raw: 'null', refused: 'M_BAD_JSON' },
  { name: 'top-level number', raw: '42', refused: 'M_BAD_JSON' },
  { name: 'top-level float', raw: '-1.5', refused: 'M_BAD_JSON' },
  { name: 'top-level boolean', raw: 'true', refused: 'M_BAD_JSON' },
  // Huge: over the spec's 65,536-byte limit for a whole event, and (last) over the server's 1 MiB body limit.
  { name: 'huge top-level string', raw: JSON.stringify('x'.repeat(100_000)), refused: 'M_BAD_JSON' },
  { name: 'huge string field', raw: JSON.stringify({ msgtype: 'm.text', body: 'x'.repeat(100_000), displayname: 'y'.repeat(1000) }) },
  { name: 'huge key', raw: JSON.stringify({ ['k'.repeat(100_000)]: 1 }) },
  { name: 'many keys', raw: JSON.stringify(Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]))) },
  { name: 'over the size limit', raw: JSON.stringify({ body: 'x'.repeat(1024 * 1024) }) },
  { name: 'float', raw: '{"msgtype":"m.text","body":"x","n":1.5,"pdus":[],"enabled":true,"actions":["notify"]}' },
  { name: 'exponent out of range', raw: '{"msgtype":"m.text","body":"x","n":1e400}' },
  { name: 'integer above 2^53', raw: '{"msgtype":"m.text","body":"x","n":9007199254740993}' },
  { name: 'integer below -2^53', raw: '{"msgtype":"m.text","body":"x","n":-9007199254740993}' },
  { name: '30-digit integer', raw: '{"msgtype":"m.text","body":"x","n":123456789012345678901234567890}' },
  { name: 'negative zero', raw: '{"msgtype":"m.text","body":"x","n":-0}' },
  { name: 'lone surrogate', raw: '{"msgtype":"m.text","body":"\\ud800"}' },
];

/** Endpoints that take no JSON body at all (the spec gives them none, or raw bytes): they may ignore it. */
const BODY_IGNORED = new Set([
  'POST ~/logout',
  'POST ~/logout/all',
  'POST ~/rooms/{roomId}/forget',
  'POST /_matrix/media/v3/upload',
  'POST /_matrix/media/r0/upload',
]);
/** The development API answers 404 to everything unless the server runs with --dev-admin. */
const isDevAdmin = (route: string) => route.includes('/_wayfarer/dev/');
const isFederation = (route: string) => route.startsWith('/_matrix/federation/') || route.startsWith('/_matrix/key/');

/** A 5xx fails; any other refusal must carry a spec errcode (a user-interactive-auth challenge is the one exception). */
function expectNoServerError(reply: Reply, what: string): void {
  expect(reply.status, `${what}: ${JSON.stringify(reply.body)?.slice(0, 300)}`).toBeLessThan(500);
  const uiaChallenge = reply.status === 401 && Array.isArray(reply.body?.flows);
  if (reply.status >= 400 && !uiaChallenge) expect(reply.body?.errcode, what).toMatch(/^M_[A-Z_]+$/);
}

/** A room of alice's with a message in it, so every path parameter names something real. */
async function freshRoom(): Promise<{ roomId: string; eventId: string }> {
  const roomId = (await alice.post('/_matrix/client/v3/createRoom', { preset: 'public_chat' })).body.room_id as string;
  const eventId = (
    await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/${randomBytes(6).toString('hex')}`, {
      msgtype: 'm.text',
      body: 'hi',
    })
  ).body.event_id as string;
  expect(roomId && eventId).toBeTruthy();
  return { roomId, eventId };
}

/** Alice's session may have ended (a logout endpoint takes no body): sign in again if so. */
async function ensureAliceSignedIn(): Promise<void> {
  if ((await alice.get('/_matrix/client/v3/account/whoami')).status === 200) return;
  const login = await new TestClient(server.baseUrl).post('/_matrix/client/v3/login', {
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user: 'alice' },
    password: PASSWORD,
  });
  expect(login.status, JSON.stringify(login.body)).toBe(200);
  alice.accessToken = login.body.access_token;
  alice.deviceId = login.body.device_id;
}

function fillPath(route: string, values: Record<string, string>): string {
  return route.replace(/^~/, '/_matrix/client/v3').replace(/\{([a-zA-Z]+)\*?\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no test value for {${name}} in ${route}: add one to the values in hostile-bodies.test.ts`);
    return enc(value);
  });
}

/** What the hostile server can sign of a body: the parsed value if canonical JSON can encode it, else nothing. */
function signableContent(raw: string): unknown {
  try {
    const value = JSON.parse(raw);
    canonicalJson(value);
    return value;
  } catch {
    return undefined;
  }
}

describe('hostile bodies against every body-accepting endpoint', () => {
  it('lists the Client-Server and Server-Server endpoints it covers from the router itself', () => {
    const routes = registeredRoutes().filter((r) => r.method === 'PUT' || r.method === 'POST');
    const names = routes.map((r) => `${r.method} ${r.path}`);
    // A sanity check that the table is the real one: the endpoints of the issue, on both APIs.
    for (const expected of [
      'PUT ~/rooms/{roomId}/send/{type}/{txnId}',
      'PUT ~/user/{userId}/account_data/{type}',
      'POST ~/user/{userId}/filter',
      'PUT /_matrix/federation/v1/send/{txnId}',
      'POST /_matrix/key/v2/query',
    ]) {
      expect(names).toContain(expected);
    }
    expect(routes.some((r) => isFederation(r.path))).toBe(true);
  });

  it('answers every hostile body without a 5xx, refuses what is not a JSON object of sane depth with 400, and keeps answering', async () => {
    const routes = registeredRoutes().filter((r) => r.method === 'PUT' || r.method === 'POST');
    for (const route of routes) {
      const key = `${route.method} ${route.path}`;
      await ensureAliceSignedIn();
      const { roomId, eventId } = await freshRoom();
      for (const body of HOSTILE_BODIES) {
        const values: Record<string, string> = {
          roomId,
          roomIdOrAlias: roomId,
          eventId,
          userId: alice.userId!,
          deviceId: alice.deviceId!,
          txnId: `fuzz${randomBytes(6).toString('hex')}`,
          type: 'org.example.fuzz',
          stateKey: 'fuzz',
          receiptType: 'm.read',
          alias: `#fuzz${randomBytes(4).toString('hex')}:${NAME}`,
          kind: 'override',
          ruleId: 'org.example.fuzz',
          tag: 'u.fuzz',
          eventType: 'org.example.fuzz',
          version: '1',
          sessionId: 'fuzz',
        };
        const url = fillPath(route.path, values);
        const what = `${key} with ${body.name}`;
        const reply = isFederation(route.path)
          ? await evil.fed(server, route.method, url, signableContent(body.raw), { raw: body.raw })
          : await alice.request(route.method, url, undefined, { raw: body.raw });
        expectNoServerError(reply as Reply, what);
        const mustRefuse = body.refused && !(body.clientOnly && isFederation(route.path));
        if (mustRefuse && !BODY_IGNORED.has(key) && !isDevAdmin(route.path)) {
          expect(reply.status, `${what}: ${JSON.stringify(reply.body)?.slice(0, 300)}`).toBe(400);
          expect(reply.body.errcode, what).toBe(body.refused);
        }
      }
      // Still alive and well after each endpoint's share.
      expect((await new TestClient(server.baseUrl).get('/_matrix/client/versions')).status, key).toBe(200);
    }
    await ensureAliceSignedIn();
    expect((await alice.get('/_matrix/client/v3/sync?timeout=0')).status).toBe(200);
  });

  it('refuses deeply nested inline filters on /sync and /messages with 400 M_BAD_JSON', async () => {
    const { roomId } = await freshRoom();
    for (const path of ['/_matrix/client/v3/sync?timeout=0&filter=', `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&filter=`]) {
      // The filter rides in the query string: keep it under the header size limit, yet far over the depth limit.
      const reply = await alice.get(path + enc(nestedObject(500)));
      expect(reply.status, path).toBe(400);
      expect(reply.body.errcode, path).toBe('M_BAD_JSON');
    }
  });
});

describe('/sync after hostile account data', () => {
  const put = (client: TestClient, roomId: string | undefined, raw: string) =>
    client.request(
      'PUT',
      roomId
        ? `/_matrix/client/v3/user/${enc(client.userId!)}/rooms/${enc(roomId)}/account_data/org.example.deep`
        : `/_matrix/client/v3/user/${enc(client.userId!)}/account_data/org.example.deep`,
      undefined,
      { raw },
    );

  it('the deepest account data the server accepts, global and per room, still syncs', async () => {
    const bob = await new TestClient(server.baseUrl).register('bob-deep');
    const roomId = (await bob.post('/_matrix/client/v3/createRoom', {})).body.room_id as string;
    for (const scope of [undefined, roomId]) {
      // Find the deepest value the server takes (it must take some: the limit is not zero).
      let accepted = 0;
      let low = 1;
      let high = 20_000;
      while (low <= high) {
        const depth = Math.floor((low + high) / 2);
        const reply = await put(bob, scope, nestedObject(depth));
        expectNoServerError(reply, `account data nested ${depth} deep`);
        if (reply.status === 200) {
          accepted = depth;
          low = depth + 1;
        } else {
          high = depth - 1;
        }
      }
      expect(accepted).toBeGreaterThanOrEqual(MAX_CLIENT_JSON_DEPTH - 1);
      expect((await put(bob, scope, nestedObject(accepted))).status).toBe(200);
      const initial = await bob.get('/_matrix/client/v3/sync?timeout=0');
      expectNoServerError(initial, `initial /sync after account data nested ${accepted} deep`);
      expect(initial.status).toBe(200);
      const incremental = await bob.get(`/_matrix/client/v3/sync?timeout=0&since=${enc(initial.body.next_batch)}`);
      expect(incremental.status).toBe(200);
    }
  });

  it('a value stored before the limit existed (far too deep to serialise) does not fail /sync', async () => {
    const carol = await new TestClient(server.baseUrl).register('carol-deep');
    const roomId = (await carol.post('/_matrix/client/v3/createRoom', {})).body.room_id as string;
    expect((await carol.put(`/_matrix/client/v3/user/${enc(carol.userId!)}/account_data/org.example.fine`, { ok: true })).status).toBe(200);
    // Written straight into the database, as an older server would have stored it.
    const db = new Database(path.join(server.dataDir, 'homeserver.sqlite'));
    try {
      db.pragma('busy_timeout = 5000');
      const insert = db.prepare('INSERT INTO account_data (user_id, room_id, type, content, stream_id) VALUES (?, ?, ?, ?, ?)');
      insert.run(carol.userId, '', 'org.example.legacy', nestedObject(100_000), 1);
      insert.run(carol.userId, roomId, 'org.example.legacy', nestedObject(100_000), 1);
    } finally {
      db.close();
    }
    const sync = await carol.get('/_matrix/client/v3/sync?timeout=0');
    expectNoServerError(sync, '/sync with legacy deep account data');
    expect(sync.status).toBe(200);
    const globalTypes = (sync.body.account_data.events as Array<{ type: string }>).map((e) => e.type);
    expect(globalTypes).toContain('org.example.fine');
    expect(globalTypes).not.toContain('org.example.legacy');
    expect(sync.body.rooms.join[roomId]).toBeDefined();
    // Reading it directly is a clean refusal too, and setting it again repairs it.
    expectNoServerError(
      await carol.get(`/_matrix/client/v3/user/${enc(carol.userId!)}/account_data/org.example.legacy`),
      'GET legacy account data',
    );
    expect(
      (await carol.put(`/_matrix/client/v3/user/${enc(carol.userId!)}/account_data/org.example.legacy`, { repaired: true })).status,
    ).toBe(200);
    expect((await carol.get(`/_matrix/client/v3/user/${enc(carol.userId!)}/account_data/org.example.legacy`)).body).toEqual({
      repaired: true,
    });
  });
});
