// Server ACLs (m.room.server_acl) on the receiving side: three real servers share a room; alpha's admin denies gamma,
// and alpha drops what gamma sends for that room while beta's messages still arrive; lifting the ACL restores
// delivery. Then an in-test server ("evil", X-Matrix-signed requests) checks every room-scoped endpoint answers 403.
import { createServer, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildServerKeyResponse,
  computeEventId,
  keyPairFromSeed,
  MEMBER_KEY_ID,
  MEMBER_KEYS_ROOM_VERSION,
  memberIdFromPublicKey,
  signEvent,
  signXMatrixRequest,
} from '../../src/protocol';
import type { RunningHomeserver } from '../testing/spawn';
import type { TestClient } from '../testing/http-client';
import { bodies, devAdmin, enc, roomState, say, startServers, user, waitFor } from '../testing/federation-harness';

const GAMMA_HOST = 'gamma.localhost';
const EVIL = 'evil.localhost:20610';
const EVIL_KEY = { keyId: 'ed25519:evil', seed: new Uint8Array(randomBytes(32)) };

let alpha: RunningHomeserver;
let beta: RunningHomeserver;
let gamma: RunningHomeserver;
let keyServer: Server;
let alice: TestClient;
let bob: TestClient;
let gina: TestClient;

beforeAll(async () => {
  keyServer = createServer((req, res) => {
    const known = req.url?.startsWith('/_matrix/key/v2/server');
    res.writeHead(known ? 200 : 404, { 'Content-Type': 'application/json' });
    res.end(
      known
        ? JSON.stringify(buildServerKeyResponse(EVIL, EVIL_KEY.keyId, EVIL_KEY.seed, Date.now() + 3_600_000))
        : '{"errcode":"M_UNRECOGNIZED","error":"no"}',
    );
  });
  await new Promise<void>((resolve) => keyServer.listen(20610, '127.0.0.1', () => resolve()));
  [alpha, beta, gamma] = await startServers(['alpha.localhost:20601', 'beta.localhost:20602', `${GAMMA_HOST}:20603`]);
  [alice, bob, gina] = await Promise.all([user(alpha, 'alice'), user(beta, 'bob'), user(gamma, 'gina')]);
}, 60_000);

afterAll(async () => {
  if (process.env.FED_DEBUG) for (const s of [alpha, beta, gamma]) console.log(`---- ${s?.serverName}\n${s?.output().slice(-4000)}`);
  await Promise.all([alpha, beta, gamma].filter(Boolean).map((s) => s.dispose()));
  await new Promise((resolve) => keyServer?.close(resolve));
});

async function publicRoom(extra: Record<string, unknown> = {}): Promise<string> {
  const created = await alice.post('/_matrix/client/v3/createRoom', { preset: 'public_chat', ...extra });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  return created.body.room_id;
}

async function join(client: TestClient, roomId: string) {
  return client.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(alpha.serverName)}`, {});
}

async function setAcl(roomId: string, content: Record<string, unknown>): Promise<string> {
  const reply = await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.server_acl/`, content);
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return reply.body.event_id;
}

const typingIn = async (client: TestClient, roomId: string): Promise<string[]> => {
  const reply = await client.get('/_matrix/client/v3/sync?timeout=0');
  const events = (reply.body.rooms?.join?.[roomId]?.ephemeral?.events ?? []) as any[];
  return events.find((e) => e.type === 'm.typing')?.content.user_ids ?? [];
};

const setTyping = (client: TestClient, roomId: string) =>
  client.put(`/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(client.userId!)}`, { typing: true, timeout: 30_000 });

describe('three servers, alpha denies gamma', () => {
  it.each(['org.matrix.12.4430', '11'])(
    'alpha drops gamma’s PDUs and typing for the room, keeps beta’s, and takes gamma back when the ACL is lifted (room version %s)',
    async (version) => {
      const roomId = await publicRoom({ room_version: version });
      const openRoomId = await publicRoom({ room_version: version });
      for (const [client, room] of [
        [bob, roomId],
        [gina, roomId],
        [gina, openRoomId],
      ] as const) {
        const joined = await join(client, room);
        expect(joined.status, JSON.stringify(joined.body)).toBe(200);
      }
      await say(gina, roomId, 'gamma before the ACL');
      await waitFor('alice to see gamma before the ACL', async () => (await bodies(alice, roomId)).includes('gamma before the ACL'));

      await setAcl(roomId, { allow: ['*'], deny: [GAMMA_HOST], allow_ip_literals: false });
      // Denied servers still hear about the room (spec: servers still send to residents), so gamma learns of its ACL.
      await waitFor('gamma to hold the ACL', async () => (await roomState(gina, roomId, 'm.room.server_acl'))?.deny?.[0] === GAMMA_HOST);

      const deniedId = await say(gina, roomId, `gamma during the ACL (${version})`);
      expect((await setTyping(gina, roomId)).status).toBe(200);
      // Gamma sends to alpha in order (one queue per destination): once alpha has gamma's later message and typing in
      // another room, it has handled the earlier ones for the ACL room.
      expect((await setTyping(gina, openRoomId)).status).toBe(200);
      await say(gina, openRoomId, 'gamma in an open room');
      await waitFor('alice to see gamma in the open room', async () => (await bodies(alice, openRoomId)).includes('gamma in an open room'));
      await waitFor('gina typing in the open room on alpha', async () => (await typingIn(alice, openRoomId)).includes(gina.userId!));
      await say(bob, roomId, 'beta during the ACL');
      await waitFor('alice to see beta during the ACL', async () => (await bodies(alice, roomId)).includes('beta during the ACL'));

      expect(await bodies(alice, roomId)).not.toContain(`gamma during the ACL (${version})`);
      expect((await devAdmin(alpha, 'event_status', { event_id: deniedId })).status).toBe('unknown');
      expect(await typingIn(alice, roomId)).not.toContain(gina.userId);
      // Beta honours the ACL too.
      expect((await devAdmin(beta, 'event_status', { event_id: deniedId })).status).toBe('unknown');

      await setAcl(roomId, { allow: ['*'] });
      await waitFor('gamma to hold the lifted ACL', async () => (await roomState(gina, roomId, 'm.room.server_acl'))?.deny === undefined);
      await say(gina, roomId, 'gamma after the ACL');
      await waitFor('alice to see gamma after the ACL', async () => (await bodies(alice, roomId)).includes('gamma after the ACL'));
      await waitFor('bob to see gamma after the ACL', async () => (await bodies(bob, roomId)).includes('gamma after the ACL'));
    },
    90_000,
  );

  it('a gamma user cannot join a room whose ACL denies gamma (403 from make_join), while beta can', async () => {
    const roomId = await publicRoom({
      initial_state: [{ type: 'm.room.server_acl', state_key: '', content: { allow: ['*'], deny: ['gamma.*'] } }],
    });
    const refused = await join(gina, roomId);
    expect(refused.status, JSON.stringify(refused.body)).toBe(403);
    expect(refused.body.errcode).toBe('M_FORBIDDEN');
    expect(refused.body.error).toMatch(/server ACL/);
    const joined = await join(bob, roomId);
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
  }, 60_000);
});

describe('every room-scoped federation endpoint refuses a denied origin', () => {
  let roomId: string;
  let eve: { id: string; seed: Uint8Array };
  let joinId: string;
  let powerLevelsId: string;
  let depth: number;

  async function fed(method: string, path: string, body?: unknown) {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    headers.Authorization = signXMatrixRequest(
      { method, uri: path, origin: EVIL, destination: alpha.serverName, ...(body !== undefined ? { content: body } : {}) },
      EVIL_KEY.keyId,
      EVIL_KEY.seed,
    );
    const response = await fetch(`${alpha.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as any };
  }

  const memberKey = () => {
    const seed = new Uint8Array(randomBytes(32));
    return { id: memberIdFromPublicKey(keyPairFromSeed(seed).publicKey), seed };
  };

  const eveEvent = (type: string, content: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    const unsigned = {
      type,
      room_id: roomId,
      sender: eve.id,
      content,
      origin_server_ts: Date.now(),
      depth: ++depth,
      prev_events: [joinId],
      auth_events: [powerLevelsId, joinId],
      ...extra,
    };
    const pdu = signEvent(unsigned, MEMBER_KEYS_ROOM_VERSION, eve.id, MEMBER_KEY_ID, eve.seed);
    return { pdu, eventId: computeEventId(pdu, MEMBER_KEYS_ROOM_VERSION) };
  };

  const sendTxn = (pdus: unknown[], edus: unknown[] = []) =>
    fed('PUT', `/_matrix/federation/v1/send/${Math.random().toString(36).slice(2)}`, {
      origin: EVIL,
      origin_server_ts: Date.now(),
      pdus,
      edus,
    });

  beforeAll(async () => {
    roomId = await publicRoom();
    eve = memberKey();
    const made = await fed('GET', `/_matrix/federation/v1/make_join/${enc(roomId)}/${enc(eve.id)}?ver=${enc(MEMBER_KEYS_ROOM_VERSION)}`);
    expect(made.status, JSON.stringify(made.body)).toBe(200);
    const template = made.body.event;
    const signedByEve = signEvent(
      { ...template, content: { membership: 'join', localpart: 'eve', domain: EVIL }, origin_server_ts: Date.now() },
      MEMBER_KEYS_ROOM_VERSION,
      eve.id,
      MEMBER_KEY_ID,
      eve.seed,
    );
    const joinEvent = signEvent(signedByEve, MEMBER_KEYS_ROOM_VERSION, EVIL, EVIL_KEY.keyId, EVIL_KEY.seed);
    joinId = computeEventId(joinEvent, MEMBER_KEYS_ROOM_VERSION);
    const sent = await fed('PUT', `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc(joinId)}`, joinEvent);
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    powerLevelsId = computeEventId(
      (sent.body.state as any[]).find((e) => e.type === 'm.room.power_levels'),
      MEMBER_KEYS_ROOM_VERSION,
    );
    depth = joinEvent.depth as number;
  }, 60_000);

  it('before the ACL evil is served; after it, 403 M_FORBIDDEN everywhere and its PDUs are ignored with an error', async () => {
    const stateIds = `/_matrix/federation/v1/state_ids/${enc(roomId)}?event_id=${enc(joinId)}`;
    expect((await fed('GET', stateIds)).status).toBe(200);
    const before = eveEvent('m.room.message', { msgtype: 'm.text', body: 'evil before the ACL' });
    expect((await sendTxn([before.pdu])).body.pdus[before.eventId]).toEqual({});

    // Denied by a case-insensitive glob; the port of evil's name is not considered.
    await setAcl(roomId, { allow: ['*'], deny: ['EVIL.*'] });

    const room = enc(roomId);
    const other = memberKey();
    const requests: [string, string, unknown?][] = [
      ['GET', `/_matrix/federation/v1/make_join/${room}/${enc(other.id)}?ver=${enc(MEMBER_KEYS_ROOM_VERSION)}`],
      ['PUT', `/_matrix/federation/v2/send_join/${room}/${enc('$whatever')}`, {}],
      ['GET', `/_matrix/federation/v1/make_leave/${room}/${enc(eve.id)}`],
      ['PUT', `/_matrix/federation/v2/send_leave/${room}/${enc('$whatever')}`, {}],
      ['PUT', `/_matrix/federation/v2/invite/${room}/${enc('$whatever')}`, {}],
      ['GET', stateIds],
      ['GET', `/_matrix/federation/v1/state/${room}?event_id=${enc(joinId)}`],
      ['GET', `/_matrix/federation/v1/backfill/${room}?v=${enc(joinId)}&limit=5`],
      ['POST', `/_matrix/federation/v1/get_missing_events/${room}`, { earliest_events: [], latest_events: [before.eventId], limit: 5 }],
      ['GET', `/_matrix/federation/v1/event/${enc(before.eventId)}`],
      ['GET', `/_matrix/federation/unstable/org.matrix.msc4430/member_key/${room}/${enc(alice.userId!)}`],
    ];
    for (const [method, path, body] of requests) {
      const reply = await fed(method, path, body);
      expect({ path, status: reply.status, errcode: reply.body.errcode }).toEqual({ path, status: 403, errcode: 'M_FORBIDDEN' });
    }

    // /send: the denied PDU is ignored with an error; a PDU for an unrelated room in the same transaction is not
    // blocked by this room's ACL (it fails for its own reason: alpha is not in that room).
    const during = eveEvent('m.room.message', { msgtype: 'm.text', body: 'evil during the ACL' });
    const stray = { ...during.pdu, room_id: '!elsewhere:evil.localhost' };
    const reply = await sendTxn([during.pdu, stray], [{ edu_type: 'm.receipt', content: { [roomId]: { 'm.read': {} } } }]);
    expect(reply.status).toBe(200);
    expect(reply.body.pdus[during.eventId].error).toMatch(/server ACL/);
    expect((await devAdmin(alpha, 'event_status', { event_id: during.eventId })).status).toBe('unknown');
    expect(await bodies(alice, roomId)).toEqual(['evil before the ACL']);

    // Lifted: the same origin is served again.
    await setAcl(roomId, { allow: ['*'] });
    expect((await fed('GET', stateIds)).status).toBe(200);
    const after = eveEvent('m.room.message', { msgtype: 'm.text', body: 'evil after the ACL' });
    expect((await sendTxn([after.pdu])).body.pdus[after.eventId]).toEqual({});
  }, 60_000);
});
