// A moved account (PROTOCOL.md §7 step 6): once marked moved, every authenticated Client-Server endpoint the server
// registers (taken from the router's own route table, so a new endpoint is covered without touching this file)
// answers 403 M_FORBIDDEN with `dev.wayfarer.moved_to` — /sync and /send included — so a session still signed in
// elsewhere can say where the account went. Only signing out, asking where it went and marking it again still work;
// a new recovery-key sign-in is refused with the same field.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { generateRecoverySecret } from '../../src/protocol';
import { proveAccountKey } from '../../src/features/portable/accountKeyAuth';
import { loginPortable, portableAccount } from '../../e2e/support/portable';
import { parseConfig } from '../config';
import { createHomeserver } from '../homeserver';
import { buildRouter } from '../server';
import { startHomeserver, type RunningHomeserver } from '../testing/spawn';
import { enc, TestClient } from '../testing/http-client';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 60_000 });

const NAME = 'alpha.localhost:21501';
const MOVED_TO = '@dana:beta.localhost:21502';
const PREFIX = '/_matrix/client/unstable/dev.wayfarer';
const secret = generateRecoverySecret();

let alpha: RunningHomeserver;
let dana: TestClient;
let otherTab: TestClient;
let roomId: string;
let eventId: string;

beforeAll(async () => {
  alpha = await startHomeserver({ serverName: NAME });
  dana = await portableAccount(alpha, 'dana', secret);
  otherTab = await loginPortable(alpha, secret);
  roomId = (await dana.post('/_matrix/client/v3/createRoom', { preset: 'public_chat', name: 'Lobby' })).body.room_id;
  eventId = (await dana.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/before`, { msgtype: 'm.text', body: 'hi' })).body
    .event_id;
  expect(roomId && eventId).toBeTruthy();
});

afterAll(() => alpha?.dispose());

/** The Client-Server routes the server registers: the same router, built in this process. */
function clientRoutes(): Array<{ method: string; path: string }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'wayfarer-routes-'));
  const hs = createHomeserver(
    parseConfig(['--server-name', NAME, '--port', '21500', '--data', dataDir, '--open-registration', '--insecure-http']),
  );
  try {
    return buildRouter(hs)
      .routeTable()
      .filter((r) => r.path.startsWith('~') || r.path.startsWith('/_matrix/client/') || r.path.startsWith('/_matrix/media/'));
  } finally {
    hs.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function fillPath(route: string): string {
  const values: Record<string, string> = {
    roomId,
    roomIdOrAlias: roomId,
    eventId,
    userId: dana.userId!,
    deviceId: dana.deviceId!,
    txnId: 'moved-txn',
    type: 'm.room.message',
    stateKey: '',
    receiptType: 'm.read',
    alias: `#moved:${NAME}`,
    kind: 'override',
    ruleId: 'org.example.rule',
    tag: 'u.tag',
    serverName: NAME,
    mediaId: 'nothing',
    fileName: 'x.png',
    filterId: '0',
    memberKey: '@x',
    relType: 'm.annotation',
    eventType: 'm.reaction',
    memberId: '@x',
    targetUserId: dana.userId!,
    aliasName: `#moved:${NAME}`,
    keyId: 'ed25519:x',
    field: 'displayname',
    version: '1',
    sessionId: 's',
  };
  return route.replace(/^~/, '/_matrix/client/v3').replace(/\{([a-zA-Z]+)\*?\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`no test value for {${name}} in ${route}: add one to fillPath in moved-account.test.ts`);
    return enc(value);
  });
}

/** Still answered for a moved account: signing out, where it went, and marking it again. */
const ALLOWED = new Set(['POST ~/logout', 'POST ~/logout/all', `GET ${PREFIX}/account/portable`, `POST ${PREFIX}/account/moved`]);

describe('an account marked moved', () => {
  it('answers every authenticated endpoint of its other sessions with 403 and dev.wayfarer.moved_to; a new sign-in is told the same', async () => {
    const routes = clientRoutes();
    const anonymous = new TestClient(alpha.baseUrl);
    // Which routes need a token: they refuse a request without one (before the account moves, nothing else differs).
    const authenticated: Array<{ method: string; path: string; url: string }> = [];
    for (const route of routes) {
      const url = fillPath(route.path);
      const reply = await anonymous.request(route.method, url, route.method === 'GET' ? undefined : {});
      if (reply.status === 401 && reply.body?.errcode === 'M_MISSING_TOKEN') authenticated.push({ ...route, url });
    }
    const names = authenticated.map((r) => `${r.method} ${r.path}`);
    for (const expected of ['GET ~/sync', 'PUT ~/rooms/{roomId}/send/{type}/{txnId}', 'GET ~/account/whoami', ...ALLOWED])
      expect(names).toContain(expected);

    // The move is marked from the tab that ran it, with a recovery-key proof.
    const first = await dana.post(`${PREFIX}/account/moved`, { moved_to: MOVED_TO });
    expect(first.status).toBe(401);
    const auth = { ...(await proveAccountKey({ baseUrl: alpha.baseUrl, serverName: NAME }, secret)), session: first.body.session };
    expect((await dana.post(`${PREFIX}/account/moved`, { moved_to: MOVED_TO, auth })).status).toBe(200);

    for (const route of authenticated) {
      const key = `${route.method} ${route.path}`;
      if (ALLOWED.has(key)) continue;
      const reply = await otherTab.request(route.method, route.url, route.method === 'GET' ? undefined : {});
      expect(reply.status, `${key}: ${JSON.stringify(reply.body)}`).toBe(403);
      expect(reply.body, key).toMatchObject({ errcode: 'M_FORBIDDEN', 'dev.wayfarer.moved_to': MOVED_TO });
    }
    const send = await otherTab.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/after`, { msgtype: 'm.text', body: 'x' });
    expect(send.body['dev.wayfarer.moved_to']).toBe(MOVED_TO);

    // Where it went, marking again (a retry whose first answer was lost), and signing out still work.
    expect((await otherTab.get(`${PREFIX}/account/portable`)).body.moved_to).toBe(MOVED_TO);
    expect((await otherTab.post(`${PREFIX}/account/moved`, { moved_to: MOVED_TO })).status).toBe(200);
    const signIn = await loginPortable(alpha, secret).catch((error: Error) => error.message);
    expect(signIn).toMatch(/403/);
    expect(signIn).toContain(MOVED_TO);
    expect((await otherTab.post('/_matrix/client/v3/logout', {})).status).toBe(200);
    expect((await otherTab.get('/_matrix/client/v3/account/whoami')).body.errcode).toBe('M_UNKNOWN_TOKEN');
  });
});
