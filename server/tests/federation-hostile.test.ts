// A hostile or broken server talking to alpha: its requests must be authenticated, and every PDU it sends gets the
// spec's checks (signature, hash, auth). Evil is an in-test key server plus X-Matrix-signed requests.
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
import { devAdmin, enc, startServers, user } from '../testing/federation-harness';
import { assertMatchesSpec, SERVER_SERVER_API_DIR } from '../testing/openapi';

const EVIL = 'evil.localhost:18752';
const EVIL_KEY = { keyId: 'ed25519:evil', seed: new Uint8Array(randomBytes(32)) };

let alpha: RunningHomeserver;
let keyServer: Server;
let alice: TestClient;
let roomId: string;
let eve: { id: string; seed: Uint8Array };
let joinId: string;
let powerLevelsId: string;
let depth: number;
let madeJoin: unknown;
let sentJoin: unknown;

async function fed(method: string, path: string, body?: unknown, signer = EVIL_KEY, destination?: string) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json' };
  if (signer) {
    headers.Authorization = signXMatrixRequest(
      { method, uri: path, origin: EVIL, destination: destination ?? alpha.serverName, ...(body !== undefined ? { content: body } : {}) },
      signer.keyId,
      signer.seed,
    );
  }
  const response = await fetch(`${alpha.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as any };
}

const memberKey = () => {
  const seed = new Uint8Array(randomBytes(32));
  return { id: memberIdFromPublicKey(keyPairFromSeed(seed).publicKey), seed };
};

function eveEvent(type: string, content: Record<string, unknown>, extra: Record<string, unknown> = {}, signer = eve) {
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
  const pdu = signEvent(unsigned, MEMBER_KEYS_ROOM_VERSION, unsigned.sender as string, MEMBER_KEY_ID, signer.seed);
  return { pdu, eventId: computeEventId(pdu, MEMBER_KEYS_ROOM_VERSION) };
}

const sendTxn = (pdus: unknown[]) =>
  fed('PUT', `/_matrix/federation/v1/send/${Math.random().toString(36).slice(2)}`, {
    origin: EVIL,
    origin_server_ts: Date.now(),
    pdus,
    edus: [],
  });
const statusOf = async (eventId: string) => (await devAdmin(alpha, 'event_status', { event_id: eventId })).status;

beforeAll(async () => {
  keyServer = createServer((req, res) => {
    if (req.url?.startsWith('/_matrix/key/v2/server')) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(buildServerKeyResponse(EVIL, EVIL_KEY.keyId, EVIL_KEY.seed, Date.now() + 3_600_000)));
    } else {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end('{"errcode":"M_UNRECOGNIZED","error":"no"}');
    }
  });
  await new Promise<void>((resolve) => keyServer.listen(18752, '127.0.0.1', () => resolve()));
  [alpha] = await startServers(['alpha.localhost:18751']);
  alice = await user(alpha, 'alice');
  roomId = (await alice.post('/_matrix/client/v3/createRoom', { preset: 'public_chat' })).body.room_id;

  // Eve of evil joins properly: make_join, sign with her member key, co-sign as evil, send_join.
  eve = memberKey();
  const made = await fed('GET', `/_matrix/federation/v1/make_join/${enc(roomId)}/${enc(eve.id)}?ver=${enc(MEMBER_KEYS_ROOM_VERSION)}`);
  expect(made.status, JSON.stringify(made.body)).toBe(200);
  madeJoin = made.body;
  const template = made.body.event;
  const join = signEvent(
    signEvent(
      { ...template, content: { membership: 'join', localpart: 'eve', domain: EVIL }, origin_server_ts: Date.now() },
      MEMBER_KEYS_ROOM_VERSION,
      eve.id,
      MEMBER_KEY_ID,
      eve.seed,
    ),
    MEMBER_KEYS_ROOM_VERSION,
    EVIL,
    EVIL_KEY.keyId,
    EVIL_KEY.seed,
  );
  joinId = computeEventId(join, MEMBER_KEYS_ROOM_VERSION);
  const sent = await fed('PUT', `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc(joinId)}`, join);
  expect(sent.status, JSON.stringify(sent.body)).toBe(200);
  sentJoin = sent.body;
  powerLevelsId = computeEventId(
    (sent.body.state as any[]).find((e) => e.type === 'm.room.power_levels'),
    MEMBER_KEYS_ROOM_VERSION,
  );
  depth = join.depth;
});

afterAll(async () => {
  await alpha?.dispose();
  await new Promise((resolve) => keyServer?.close(resolve));
});

describe('requests from another server', () => {
  it('are refused without a valid X-Matrix signature for this destination', async () => {
    const path = `/_matrix/federation/v1/state_ids/${enc(roomId)}?event_id=${enc(joinId)}`;
    expect((await fed('GET', path, undefined, null as never)).status).toBe(401);
    expect((await fed('GET', path, undefined, { keyId: EVIL_KEY.keyId, seed: new Uint8Array(randomBytes(32)) })).status).toBe(401);
    expect((await fed('GET', path, undefined, EVIL_KEY, 'someone-else.localhost:1')).status).toBe(401);
    const ok = await fed('GET', path);
    expect(ok.status).toBe(200);
    expect(ok.body.pdu_ids.length).toBeGreaterThan(3);
  });
});

describe('responses match the spec’s Server-Server OpenAPI', () => {
  const spec = (file: string) => ({ dir: SERVER_SERVER_API_DIR, file });
  it('keys, notary and version', async () => {
    const keys = await fetch(`${alpha.baseUrl}/_matrix/key/v2/server`);
    expect(keys.headers.get('access-control-allow-origin')).toBe('*');
    assertMatchesSpec('/server', 'GET', 200, await keys.json(), spec('keys_server.yaml'));
    const query = await fetch(`${alpha.baseUrl}/_matrix/key/v2/query`, {
      method: 'POST',
      body: JSON.stringify({ server_keys: { [EVIL]: {} } }),
    });
    const notary = await query.json();
    assertMatchesSpec('/query', 'POST', 200, notary, spec('keys_query.yaml'));
    expect(notary.server_keys[0].server_name).toBe(EVIL);
    expect(Object.keys(notary.server_keys[0].signatures).sort()).toEqual([EVIL, alpha.serverName].sort());
    assertMatchesSpec(
      '/query/{serverName}',
      'GET',
      200,
      await (await fetch(`${alpha.baseUrl}/_matrix/key/v2/query/${enc(alpha.serverName)}`)).json(),
      spec('keys_query.yaml'),
    );
    assertMatchesSpec('/version', 'GET', 200, (await fed('GET', '/_matrix/federation/v1/version')).body, spec('version.yaml'));
  });

  it('joins, leaves, events, state and history', async () => {
    assertMatchesSpec('/make_join/{roomId}/{userId}', 'GET', 200, madeJoin, spec('joins-v1.yaml'));
    assertMatchesSpec('/send_join/{roomId}/{eventId}', 'PUT', 200, sentJoin, spec('joins-v2.yaml'));
    const leave = await fed('GET', `/_matrix/federation/v1/make_leave/${enc(roomId)}/${enc(eve.id)}`);
    assertMatchesSpec('/make_leave/{roomId}/{userId}', 'GET', 200, leave.body, spec('leaving-v1.yaml'));
    const query = `?event_id=${enc(joinId)}`;
    assertMatchesSpec(
      '/state_ids/{roomId}',
      'GET',
      200,
      (await fed('GET', `/_matrix/federation/v1/state_ids/${enc(roomId)}${query}`)).body,
      spec('events.yaml'),
    );
    assertMatchesSpec(
      '/state/{roomId}',
      'GET',
      200,
      (await fed('GET', `/_matrix/federation/v1/state/${enc(roomId)}${query}`)).body,
      spec('events.yaml'),
    );
    const event = (await fed('GET', `/_matrix/federation/v1/event/${enc(joinId)}`)).body;
    assertMatchesSpec('/event/{eventId}', 'GET', 200, event, spec('events.yaml'));
    expect(computeEventId(event.pdus[0], MEMBER_KEYS_ROOM_VERSION)).toBe(joinId);
    const backfill = (await fed('GET', `/_matrix/federation/v1/backfill/${enc(roomId)}?v=${enc(joinId)}&limit=5`)).body;
    assertMatchesSpec('/backfill/{roomId}', 'GET', 200, backfill, spec('backfill.yaml'));
    expect(backfill.pdus.length).toBe(5);
    const missing = (
      await fed('POST', `/_matrix/federation/v1/get_missing_events/${enc(roomId)}`, {
        earliest_events: [],
        latest_events: [joinId],
        limit: 3,
      })
    ).body;
    assertMatchesSpec('/get_missing_events/{roomId}', 'POST', 200, missing, spec('backfill.yaml'));
    expect(missing.events.length).toBe(3);
    assertMatchesSpec('/send/{txnId}', 'PUT', 200, (await sendTxn([])).body, spec('transactions.yaml'));
  });

  it('profile and directory queries', async () => {
    await alice.put(`/_matrix/client/v3/profile/${enc(alice.userId!)}/displayname`, { displayname: 'Alice A.' });
    const profile = await fed('GET', `/_matrix/federation/v1/query/profile?user_id=${enc(alice.userId!)}`);
    assertMatchesSpec('/query/profile', 'GET', 200, profile.body, spec('query.yaml'));
    expect(profile.body.displayname).toBe('Alice A.');
    expect((await fed('GET', `/_matrix/federation/v1/query/profile?user_id=${enc(`@nobody:${alpha.serverName}`)}`)).status).toBe(404);
    await alice.put(`/_matrix/client/v3/directory/room/${enc(`#hostile:${alpha.serverName}`)}`, { room_id: roomId });
    const directory = await fed('GET', `/_matrix/federation/v1/query/directory?room_alias=${enc(`#hostile:${alpha.serverName}`)}`);
    assertMatchesSpec('/query/directory', 'GET', 200, directory.body, spec('query.yaml'));
    expect(directory.body.room_id).toBe(roomId);
    expect(directory.body.servers).toEqual(expect.arrayContaining([alpha.serverName, EVIL]));
  });
});

describe('rooms that do not federate', () => {
  it('m.federate: false refuses joins and traffic from other servers (MSC4430)', async () => {
    const local = (await alice.post('/_matrix/client/v3/createRoom', { preset: 'public_chat', creation_content: { 'm.federate': false } }))
      .body.room_id;
    const someone = memberKey();
    const made = await fed('GET', `/_matrix/federation/v1/make_join/${enc(local)}/${enc(someone.id)}?ver=${enc(MEMBER_KEYS_ROOM_VERSION)}`);
    expect(made.status).toBe(403);
    expect((await fed('GET', `/_matrix/federation/v1/backfill/${enc(local)}?v=${enc('$x')}`)).status).toBe(403);
  });
});

describe('PDUs from another server', () => {
  it('a well-formed message from a verified member is accepted', async () => {
    const { pdu, eventId } = eveEvent('m.room.message', { msgtype: 'm.text', body: 'hello from evil' });
    const reply = await sendTxn([pdu]);
    expect(reply.body.pdus[eventId]).toEqual({});
    expect(await statusOf(eventId)).toBe('stored');
  });

  it('a content hash that does not match keeps only the redacted event', async () => {
    const { pdu, eventId } = eveEvent('m.room.message', { msgtype: 'm.text', body: 'original' });
    const tampered = { ...pdu, content: { msgtype: 'm.text', body: 'tampered after signing' } };
    await sendTxn([tampered]);
    expect(await statusOf(eventId)).toBe('stored');
    const seen = await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(eventId)}`);
    expect(seen.status).toBe(200);
    expect(seen.body.content).toEqual({});
  });

  it('a bad member-key signature is refused and never stored', async () => {
    const { pdu, eventId } = eveEvent('m.room.message', { msgtype: 'm.text', body: 'forged' }, {}, memberKey());
    const reply = await sendTxn([pdu]);
    expect(reply.body.pdus[eventId].error).toMatch(/not validly signed/);
    expect(await statusOf(eventId)).toBe('unknown');
  });

  it('events the auth rules forbid are rejected: a non-member speaking, a member raising her own power', async () => {
    const stranger = memberKey();
    const strangerMessage = eveEvent('m.room.message', { msgtype: 'm.text', body: 'not a member' }, { sender: stranger.id }, stranger);
    const grab = eveEvent('m.room.power_levels', { users: { [eve.id]: 100 } }, { state_key: '' });
    await sendTxn([strangerMessage.pdu, grab.pdu]);
    expect(await statusOf(strangerMessage.eventId)).toBe('rejected');
    expect(await statusOf(grab.eventId)).toBe('rejected');
  });

  it('malformed PDUs and transactions get errors, not crashes', async () => {
    const reply = await sendTxn([{ room_id: roomId, type: 'm.room.message' }, 'not an object', { nothing: true }]);
    expect(reply.status).toBe(200);
    const bad = await fed('PUT', '/_matrix/federation/v1/send/bad1', { origin: EVIL, origin_server_ts: 1, pdus: 'nope' });
    expect(bad.status).toBe(400);
    expect((await alice.get('/_matrix/client/v3/sync?timeout=0')).status).toBe(200);
  });
});
