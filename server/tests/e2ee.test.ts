// End-to-end encryption on the reference homeserver, over real HTTP between two federating servers (alpha, beta)
// and a scripted hostile one: device, one-time and fallback keys; key query and claim, local and remote; to-device
// messages (idempotent, in order, kept until acknowledged, exactly once across restarts); device lists
// (device_lists.changed/left, m.device_list_update with prev_id and resync, deleted devices); cross-signing with
// user-interactive auth (password and account-key proof); signatures; key backup with its etag and count rules.
// Every response is validated against the spec's OpenAPI (and every EDU we send against its schema).
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ACCOUNT_KEY_LOGIN_TYPE,
  deriveAccountKey,
  encodeBase64,
  encodeBase64Url,
  generateRecoverySecret,
  keyPairFromSeed,
  signAccountKeyProof,
  signJson,
} from '../../src/protocol';
import { enc, startServers, user, waitFor } from '../testing/federation-harness';
import { HostileServer } from '../testing/hostile-server';
import { TestClient } from '../testing/http-client';
import { assertMatchesSchemaFile, assertMatchesSpec, SERVER_SERVER_API_DIR } from '../testing/openapi';
import type { RunningHomeserver } from '../testing/spawn';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const ALPHA = 'alpha.localhost:23611';
const BETA = 'beta.localhost:23612';
const PASSWORD = 'correct horse battery staple';
const FED = { dir: SERVER_SERVER_API_DIR };
const EDU_SCHEMA = (type: string) => path.join(SERVER_SERVER_API_DIR, 'definitions', 'event-schemas', `${type}.yaml`);

let alpha: RunningHomeserver;
let beta: RunningHomeserver;
let evil: HostileServer;
let alice: TestClient;
let carol: TestClient;
let bob: TestClient;
let roomId: string;
/** A classic room (room version 11) the hostile server joins. */
let classicRoomId: string;
/** EDUs alpha sent to the hostile server. */
const evilEdus: { edu_type: string; content: any }[] = [];

type Json = Record<string, any>;

/** A device's signing key and the device keys it signs (as a real client uploads them). */
function deviceKeysOf(client: TestClient, deviceId = client.deviceId!) {
  const seed = new Uint8Array(randomBytes(32));
  const publicKey = encodeBase64(keyPairFromSeed(seed).publicKey);
  const keys = signJson(
    {
      user_id: client.userId!,
      device_id: deviceId,
      algorithms: ['m.olm.v1.curve25519-aes-sha2', 'm.megolm.v1.aes-sha2'],
      keys: { [`ed25519:${deviceId}`]: publicKey, [`curve25519:${deviceId}`]: encodeBase64(randomBytes(32)) },
    },
    client.userId!,
    `ed25519:${deviceId}`,
    seed,
  );
  return { seed, publicKey, keys };
}

/** A signed one-time (or fallback) key, as olm makes them. */
function otk(client: TestClient, seed: Uint8Array, extra: Json = {}) {
  return signJson({ key: encodeBase64(randomBytes(32)), ...extra }, client.userId!, `ed25519:${client.deviceId}`, seed);
}

async function sync(client: TestClient, since?: string, timeout = 0): Promise<Json> {
  const reply = await client.get(`/_matrix/client/v3/sync?timeout=${timeout}${since ? `&since=${enc(since)}` : ''}`);
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  assertMatchesSpec('/sync', 'get', 200, reply.body);
  return reply.body;
}

/** Syncs from `since` until `check` finds what it wants in a response; returns that response. */
async function syncUntil(client: TestClient, since: string, what: string, check: (body: Json) => boolean): Promise<Json> {
  let token = since;
  return waitFor(what, async () => {
    const body = await sync(client, token, 500);
    token = body.next_batch;
    return check(body) ? body : undefined;
  });
}

async function login(server: RunningHomeserver, userId: string): Promise<TestClient> {
  const client = new TestClient(server.baseUrl);
  const reply = await client.post('/_matrix/client/v3/login', {
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user: userId },
    password: PASSWORD,
  });
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  Object.assign(client, { accessToken: reply.body.access_token, userId: reply.body.user_id, deviceId: reply.body.device_id });
  return client;
}

async function upload(client: TestClient, body: Json): Promise<Json> {
  const reply = await client.post('/_matrix/client/v3/keys/upload', body);
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  assertMatchesSpec('/keys/upload', 'post', 200, reply.body);
  return reply.body;
}

async function query(client: TestClient, users: Record<string, string[]>): Promise<Json> {
  const reply = await client.post('/_matrix/client/v3/keys/query', { device_keys: users });
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  assertMatchesSpec('/keys/query', 'post', 200, reply.body);
  expect(reply.body.failures).toBeDefined(); // matrix-nio 0.20 refuses a response without it
  return reply.body;
}

async function claim(client: TestClient, wanted: Record<string, Record<string, string>>): Promise<Json> {
  const reply = await client.post('/_matrix/client/v3/keys/claim', { one_time_keys: wanted });
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  assertMatchesSpec('/keys/claim', 'post', 200, reply.body);
  expect(reply.body.failures).toBeDefined();
  return reply.body;
}

async function sendToDevice(client: TestClient, type: string, txnId: string, messages: Json) {
  const reply = await client.put(`/_matrix/client/v3/sendToDevice/${enc(type)}/${enc(txnId)}`, { messages });
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  assertMatchesSpec('/sendToDevice/{eventType}/{txnId}', 'put', 200, reply.body);
}

beforeAll(async () => {
  [alpha, beta] = await startServers([ALPHA, BETA] as const);
  evil = await HostileServer.start(23613);
  evil.on(({ method, path: p, body }) => {
    if (method === 'PUT' && p.startsWith('/_matrix/federation/v1/send/')) {
      evilEdus.push(...(((body as Json)?.edus ?? []) as Json[]).map((e) => e as { edu_type: string; content: any }));
      return { status: 200, body: { pdus: {} } };
    }
    return undefined;
  });
  alice = await user(alpha, 'alice');
  carol = await user(alpha, 'carol');
  bob = await user(beta, 'bob');
  const created = await alice.post('/_matrix/client/v3/createRoom', { preset: 'public_chat', invite: [bob.userId, carol.userId] });
  const classic = await alice.post('/_matrix/client/v3/createRoom', { preset: 'public_chat', room_version: '11' });
  expect(classic.status).toBe(200);
  classicRoomId = classic.body.room_id;
  expect(created.status).toBe(200);
  roomId = created.body.room_id;
  await waitFor('the invite on beta', async () => (await bob.get('/_matrix/client/v3/sync?timeout=0')).body.rooms?.invite?.[roomId]);
  expect((await bob.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(ALPHA)}`, {})).status).toBe(200);
  expect((await carol.post(`/_matrix/client/v3/join/${enc(roomId)}`, {})).status).toBe(200);
});

afterAll(async () => {
  await evil?.close();
  await Promise.all([alpha?.dispose(), beta?.dispose()]);
});

describe('device, one-time and fallback keys', () => {
  it('uploads keys, queries and claims them locally and across servers; failures is always there', async () => {
    const aliceDevice = deviceKeysOf(alice);
    const bobDevice = deviceKeysOf(bob);
    const counts = await upload(alice, {
      device_keys: aliceDevice.keys,
      one_time_keys: { 'signed_curve25519:A1': otk(alice, aliceDevice.seed), 'signed_curve25519:A2': otk(alice, aliceDevice.seed) },
    });
    expect(counts.one_time_key_counts).toEqual({ signed_curve25519: 2 });
    await upload(bob, {
      device_keys: bobDevice.keys,
      one_time_keys: { 'signed_curve25519:B1': otk(bob, bobDevice.seed) },
      fallback_keys: { 'signed_curve25519:BF': otk(bob, bobDevice.seed, { fallback: true }) },
    });

    // Refused: device keys not signed by the device, or for another device; a one-time key ID reused with other content.
    const unsigned = { ...aliceDevice.keys, signatures: {} };
    expect((await alice.post('/_matrix/client/v3/keys/upload', { device_keys: unsigned })).status).toBe(400);
    const otherDevice = deviceKeysOf(alice, 'NOTMINE').keys;
    expect((await alice.post('/_matrix/client/v3/keys/upload', { device_keys: otherDevice })).status).toBe(400);
    const clash = await alice.post('/_matrix/client/v3/keys/upload', {
      one_time_keys: { 'signed_curve25519:A1': otk(alice, aliceDevice.seed) },
    });
    expect(clash.status).toBe(400);

    // Local and remote, in one query; a server that does not answer is a failure, not an error.
    const result = await query(alice, { [alice.userId!]: [], [bob.userId!]: [], '@ghost:nowhere.localhost:23699': [] });
    expect(result.device_keys[alice.userId!][alice.deviceId!]).toMatchObject({ ...aliceDevice.keys, unsigned: {} });
    expect(result.device_keys[bob.userId!][bob.deviceId!]).toMatchObject(bobDevice.keys);
    expect(Object.keys(result.failures)).toEqual(['nowhere.localhost:23699']);
    expect((await query(bob, { [alice.userId!]: [alice.deviceId!] })).device_keys[alice.userId!]).toHaveProperty(alice.deviceId!);

    // Claims: each one-time key once; then the fallback key (and again), which the owner's sync reports as used.
    const before = await sync(bob);
    expect(before.device_one_time_keys_count).toEqual({ signed_curve25519: 1 });
    expect(before.device_unused_fallback_key_types).toEqual(['signed_curve25519']);
    const first = await claim(alice, { [bob.userId!]: { [bob.deviceId!]: 'signed_curve25519' } });
    expect(Object.keys(first.one_time_keys[bob.userId!][bob.deviceId!])).toEqual(['signed_curve25519:B1']);
    const second = await claim(alice, { [bob.userId!]: { [bob.deviceId!]: 'signed_curve25519' } });
    expect(Object.keys(second.one_time_keys[bob.userId!][bob.deviceId!])).toEqual(['signed_curve25519:BF']);
    const third = await claim(alice, { [bob.userId!]: { [bob.deviceId!]: 'signed_curve25519' } });
    expect(Object.keys(third.one_time_keys[bob.userId!][bob.deviceId!])).toEqual(['signed_curve25519:BF']);
    const after = await sync(bob, before.next_batch);
    expect(after.device_one_time_keys_count).toEqual({ signed_curve25519: 0 });
    expect(after.device_unused_fallback_key_types).toEqual([]);
    const local = await claim(bob, {
      [alice.userId!]: { [alice.deviceId!]: 'signed_curve25519' },
      '@ghost:nowhere.localhost:23699': { X: 'signed_curve25519' },
    });
    expect(Object.keys(local.one_time_keys[alice.userId!][alice.deviceId!])).toHaveLength(1);
    expect(Object.keys(local.failures)).toEqual(['nowhere.localhost:23699']);
  });

  it('answers other servers: /user/keys/query, /user/keys/claim and /user/devices, for its own users only', async () => {
    const queried = await evil.fed(alpha, 'POST', '/_matrix/federation/v1/user/keys/query', {
      device_keys: { [alice.userId!]: [], [bob.userId!]: [] },
    });
    expect(queried.status).toBe(200);
    assertMatchesSpec('/user/keys/query', 'post', 200, queried.body, FED);
    expect(Object.keys(queried.body.device_keys)).toEqual([alice.userId]);
    const devices = await evil.fed(alpha, 'GET', `/_matrix/federation/v1/user/devices/${enc(alice.userId!)}`);
    expect(devices.status).toBe(200);
    assertMatchesSpec('/user/devices/{userId}', 'get', 200, devices.body, FED);
    expect(devices.body.devices.map((d: Json) => d.device_id)).toContain(alice.deviceId);
    expect((await evil.fed(alpha, 'GET', `/_matrix/federation/v1/user/devices/${enc(bob.userId!)}`)).status).toBe(404);
    const claimed = await evil.fed(alpha, 'POST', '/_matrix/federation/v1/user/keys/claim', {
      one_time_keys: { [alice.userId!]: { [alice.deviceId!]: 'signed_curve25519' } },
    });
    expect(claimed.status).toBe(200);
    assertMatchesSpec('/user/keys/claim', 'post', 200, claimed.body, FED);
    // Unsigned requests are refused.
    expect(
      (await evil.fed(alpha, 'GET', `/_matrix/federation/v1/user/devices/${enc(alice.userId!)}`, undefined, { signer: null })).status,
    ).toBe(401);
  });
});

describe('to-device messages', () => {
  it('delivers locally and across servers, in order, once per transaction ID, until the next token acknowledges them', async () => {
    const start = await sync(bob);
    const carolStart = await sync(carol);
    await sendToDevice(alice, 'org.example.test', 'txn-1', {
      [bob.userId!]: { [bob.deviceId!]: { n: 1 } },
      [carol.userId!]: { '*': { n: 1 } },
    });
    await sendToDevice(alice, 'org.example.test', 'txn-1', {
      [bob.userId!]: { [bob.deviceId!]: { n: 1 } },
      [carol.userId!]: { '*': { n: 1 } },
    });
    await sendToDevice(alice, 'org.example.test', 'txn-2', {
      [bob.userId!]: { [bob.deviceId!]: { n: 2 } },
      [carol.userId!]: { [carol.deviceId!]: { n: 2 } },
    });

    const carolGot = await sync(carol, carolStart.next_batch);
    expect(carolGot.to_device.events).toEqual([
      { type: 'org.example.test', sender: alice.userId, content: { n: 1 } },
      { type: 'org.example.test', sender: alice.userId, content: { n: 2 } },
    ]);
    expect(carolGot.next_batch).not.toBe(carolStart.next_batch);
    // Not acknowledged yet (the same token again): delivered again. Acknowledged (the new token): gone.
    expect((await sync(carol, carolStart.next_batch)).to_device.events).toHaveLength(2);
    expect((await sync(carol, carolGot.next_batch)).to_device.events).toEqual([]);

    const bobGot = await syncUntil(bob, start.next_batch, 'both messages on beta', (b) => b.to_device.events.length >= 2);
    expect(bobGot.to_device.events.map((e: Json) => e.content.n)).toEqual([1, 2]);
    expect(bobGot.to_device.events[0]).toEqual({ type: 'org.example.test', sender: alice.userId, content: { n: 1 } });
    expect((await sync(bob, bobGot.next_batch)).to_device.events).toEqual([]);
  });

  it('queued messages reach a server that was down, in order and exactly once, across restarts of both servers', async () => {
    const start = await sync(bob);
    await beta.stop();
    for (const n of [3, 4, 5]) await sendToDevice(alice, 'org.example.queued', `q-${n}`, { [bob.userId!]: { [bob.deviceId!]: { n } } });
    await alpha.restart();
    await beta.restart();
    const got: number[] = [];
    let token = start.next_batch;
    await waitFor('the queued messages on beta', async () => {
      const body = await sync(bob, token, 500);
      token = body.next_batch;
      got.push(...body.to_device.events.filter((e: Json) => e.type === 'org.example.queued').map((e: Json) => e.content.n));
      return got.length >= 3;
    });
    // A few more rounds: nothing arrives twice.
    await sendToDevice(alice, 'org.example.queued', 'q-6', { [bob.userId!]: { [bob.deviceId!]: { n: 6 } } });
    await waitFor('the next message', async () => {
      const body = await sync(bob, token, 500);
      token = body.next_batch;
      got.push(...body.to_device.events.filter((e: Json) => e.type === 'org.example.queued').map((e: Json) => e.content.n));
      return got.includes(6);
    });
    expect(got).toEqual([3, 4, 5, 6]);
  });

  it('takes to-device EDUs only for senders of the sending server, and each message_id once', async () => {
    const start = await sync(alice);
    const edu = (sender: string, messageId: string, n: number) => ({
      edu_type: 'm.direct_to_device',
      content: { sender, type: 'org.example.evil', message_id: messageId, messages: { [alice.userId!]: { '*': { n } } } },
    });
    const mallory = `@mallory:${evil.serverName}`;
    for (const e of [edu(bob.userId!, 'forged', 0), edu(mallory, 'm1', 1)]) expect((await evil.sendTxn(alpha, [], [e])).status).toBe(200);
    expect((await evil.sendTxn(alpha, [], [edu(mallory, 'm1', 1), edu(mallory, 'm2', 2)])).status).toBe(200);
    const got = await syncUntil(alice, start.next_batch, 'the hostile messages', (b) => b.to_device.events.length > 0);
    expect(got.to_device.events).toEqual([
      { type: 'org.example.evil', sender: mallory, content: { n: 1 } },
      { type: 'org.example.evil', sender: mallory, content: { n: 2 } },
    ]);
  });
});

describe('device lists', () => {
  it('a new device on one server shows in device_lists.changed on the other (m.device_list_update), and in /keys/changes', async () => {
    const start = await sync(alice);
    const bob2 = await login(beta, bob.userId!);
    await upload(bob2, { device_keys: deviceKeysOf(bob2).keys });
    const changed = await syncUntil(alice, start.next_batch, 'bob in device_lists.changed', (b) =>
      b.device_lists.changed.includes(bob.userId),
    );
    expect(changed.next_batch).not.toBe(start.next_batch);
    const changes = await alice.get(`/_matrix/client/v3/keys/changes?from=${enc(start.next_batch)}&to=${enc(changed.next_batch)}`);
    expect(changes.status).toBe(200);
    assertMatchesSpec('/keys/changes', 'get', 200, changes.body);
    expect(changes.body.changed).toContain(bob.userId);
    expect(Object.keys((await query(alice, { [bob.userId!]: [] })).device_keys[bob.userId!]).sort()).toEqual(
      [bob.deviceId, bob2.deviceId].sort(),
    );

    // Deleting the device (user-interactive auth by password) removes its keys and tells the others.
    const since = changed.next_batch;
    const uia = await bob.post('/_matrix/client/v3/delete_devices', { devices: [bob2.deviceId] });
    expect(uia.status).toBe(401);
    const deleted = await bob.post('/_matrix/client/v3/delete_devices', {
      devices: [bob2.deviceId],
      auth: {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: bob.userId },
        password: PASSWORD,
        session: uia.body.session,
      },
    });
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    await syncUntil(alice, since, 'bob changed again', (b) => b.device_lists.changed.includes(bob.userId));
    expect(Object.keys((await query(alice, { [bob.userId!]: [] })).device_keys[bob.userId!])).toEqual([bob.deviceId]);
  });

  it('a member who leaves the last shared room is in device_lists.left; one who joins is in changed', async () => {
    const dave = await user(alpha, 'dave');
    const start = await sync(alice);
    expect((await dave.post(`/_matrix/client/v3/join/${enc(roomId)}`, {})).status).toBe(200);
    const joined = await sync(alice, start.next_batch);
    expect(joined.device_lists.changed).toContain(dave.userId);
    expect((await dave.post(`/_matrix/client/v3/rooms/${enc(roomId)}/leave`, {})).status).toBe(200);
    const left = await sync(alice, joined.next_batch);
    expect(left.device_lists.left).toEqual([dave.userId]);
    expect(left.device_lists.changed).not.toContain(dave.userId);
  });

  it('sends m.device_list_update with prev_id; takes updates in order, resyncs through /user/devices on a gap, drops forgeries', async () => {
    const mallory = await evil.join(alpha, classicRoomId, 'mallory', '11');
    const malloryId = mallory.id;
    let devicesServed = 0;
    evil.on(({ method, path: p }) => {
      if (method === 'GET' && decodeURIComponent(p) === `/_matrix/federation/v1/user/devices/${malloryId}`) {
        devicesServed++;
        return { status: 200, body: { user_id: malloryId, stream_id: 10, devices: [{ device_id: 'M1' }] } };
      }
      return undefined;
    });
    // Alpha tells the hostile server (now in the room) about alice's devices, chained by prev_id.
    const aliceNew = await login(alpha, alice.userId!);
    await upload(aliceNew, { device_keys: deviceKeysOf(aliceNew).keys });
    const updates = await waitFor('device list updates at the hostile server', () => {
      const found = evilEdus.filter((e) => e.edu_type === 'm.device_list_update' && e.content.device_id === aliceNew.deviceId);
      return found.length > 0 && found;
    });
    for (const e of updates) assertMatchesSchemaFile(EDU_SCHEMA('m.device_list_update'), e);
    const update = updates[0]!.content;
    expect(update.user_id).toBe(alice.userId);
    expect(update.keys.device_id).toBe(aliceNew.deviceId);
    expect(update.prev_id).toHaveLength(1);
    expect(update.prev_id[0]).toBeLessThan(update.stream_id);

    // To-device messages and cross-signing keys reach it as m.direct_to_device and m.signing_key_update.
    await sendToDevice(alice, 'org.example.hello', 'to-mallory', { [malloryId]: { M1: { hi: true } } });
    const { seeds: _s, masterId: _m, selfId: _si, userId: _u, ...signingKeys } = crossSigningKeys(alice.userId!);
    expect((await alice.post('/_matrix/client/v3/keys/device_signing/upload', signingKeys)).status).toBe(200);
    const toDevice = await waitFor('m.direct_to_device at the hostile server', () =>
      evilEdus.find((e) => e.edu_type === 'm.direct_to_device'),
    );
    assertMatchesSchemaFile(EDU_SCHEMA('m.direct_to_device'), toDevice);
    expect(toDevice.content).toMatchObject({
      sender: alice.userId,
      type: 'org.example.hello',
      messages: { [malloryId]: { M1: { hi: true } } },
    });
    const signing = await waitFor('m.signing_key_update at the hostile server', () =>
      evilEdus.find((e) => e.edu_type === 'm.signing_key_update'),
    );
    assertMatchesSchemaFile(EDU_SCHEMA('m.signing_key_update'), signing);
    expect(signing.content.master_key.keys).toEqual(signingKeys.master_key.keys);

    const dlu = (userId: string, streamId: number, prev: number[], deviceId = 'M2') => ({
      edu_type: 'm.device_list_update',
      content: { user_id: userId, device_id: deviceId, stream_id: streamId, prev_id: prev, deleted: true },
    });
    // The first we hear of mallory (and a gap): resync.
    const start = await sync(alice);
    await evil.sendTxn(alpha, [], [dlu(malloryId, 7, [6])]);
    await syncUntil(alice, start.next_batch, 'mallory changed after the resync', (b) => b.device_lists.changed.includes(malloryId));
    expect(devicesServed).toBe(1);
    // In order (prev_id = what we hold): applied with no resync.
    const next = await sync(alice);
    await evil.sendTxn(alpha, [], [dlu(malloryId, 11, [10])]);
    await syncUntil(alice, next.next_batch, 'mallory changed in order', (b) => b.device_lists.changed.includes(malloryId));
    expect(devicesServed).toBe(1);
    // A gap again: resync again.
    await evil.sendTxn(alpha, [], [dlu(malloryId, 20, [15])]);
    await waitFor('a second resync', () => devicesServed === 2);
    // Forged: an update about bob (of beta) from the hostile server never reaches alice.
    const before = await sync(alice);
    await evil.sendTxn(alpha, [], [dlu(bob.userId!, 1_000_000, [], bob.deviceId)]);
    await say(alice, 'marker');
    const after = await syncUntil(alice, before.next_batch, 'the marker', (b) =>
      JSON.stringify(b.rooms.join[roomId]?.timeline ?? {}).includes('marker'),
    );
    expect(after.device_lists.changed).not.toContain(bob.userId);
    expect(Object.keys((await query(alice, { [bob.userId!]: [] })).device_keys[bob.userId!])).toEqual([bob.deviceId]);
  });
});

async function say(client: TestClient, body: string) {
  const reply = await client.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/${randomBytes(4).toString('hex')}`, {
    msgtype: 'm.text',
    body,
  });
  expect(reply.status).toBe(200);
}

/** A cross-signing key set for `userId`: master, and self- and user-signing keys signed by it. */
function crossSigningKeys(userId: string) {
  const seeds = { master: new Uint8Array(randomBytes(32)), self: new Uint8Array(randomBytes(32)), user: new Uint8Array(randomBytes(32)) };
  const pub = (seed: Uint8Array) => encodeBase64(keyPairFromSeed(seed).publicKey);
  const masterId = `ed25519:${pub(seeds.master)}`;
  const key = (usage: string, seed: Uint8Array) => ({ user_id: userId, usage: [usage], keys: { [`ed25519:${pub(seed)}`]: pub(seed) } });
  return {
    seeds,
    masterId,
    selfId: `ed25519:${pub(seeds.self)}`,
    userId: `ed25519:${pub(seeds.user)}`,
    master_key: key('master', seeds.master),
    self_signing_key: signJson(key('self_signing', seeds.self), userId, masterId, seeds.master),
    user_signing_key: signJson(key('user_signing', seeds.user), userId, masterId, seeds.master),
  };
}

describe('cross-signing', () => {
  it('uploads keys without auth the first time, needs the password to replace them, and serves signatures', async () => {
    const erin = await user(alpha, 'erin');
    const erinDevice = deviceKeysOf(erin);
    await upload(erin, { device_keys: erinDevice.keys });
    const keys = crossSigningKeys(erin.userId!);
    const { seeds: _s, masterId: _m, selfId: _si, userId: _u, ...body } = keys;
    const first = await erin.post('/_matrix/client/v3/keys/device_signing/upload', body);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    assertMatchesSpec('/keys/device_signing/upload', 'post', 200, first.body);
    // The same keys again: no auth needed. New keys: user-interactive auth, m.login.password.
    expect((await erin.post('/_matrix/client/v3/keys/device_signing/upload', body)).status).toBe(200);
    const replacement = crossSigningKeys(erin.userId!);
    const { seeds: _s2, masterId: _m2, selfId: _si2, userId: _u2, ...newBody } = replacement;
    const uia = await erin.post('/_matrix/client/v3/keys/device_signing/upload', newBody);
    expect(uia.status).toBe(401);
    expect(uia.body.flows).toEqual([{ stages: ['m.login.password'] }]);
    const wrong = await erin.post('/_matrix/client/v3/keys/device_signing/upload', {
      ...newBody,
      auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: erin.userId }, password: 'nope', session: uia.body.session },
    });
    expect(wrong.status).toBe(401);
    // A self-signing key not signed by the master key is refused.
    const unsignedSelf = { ...newBody, self_signing_key: { ...newBody.self_signing_key, signatures: {} } };
    const auth = {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: erin.userId },
      password: PASSWORD,
      session: uia.body.session,
    };
    expect((await erin.post('/_matrix/client/v3/keys/device_signing/upload', { ...unsignedSelf, auth })).status).toBe(400);
    expect((await erin.post('/_matrix/client/v3/keys/device_signing/upload', { ...newBody, auth })).status).toBe(200);

    // Signatures: erin's self-signing key signs her device; the device signs her master key.
    const { seeds, masterId, selfId } = replacement;
    const signedDevice = signJson(erinDevice.keys, erin.userId!, selfId, seeds.self);
    const masterPub = masterId.slice('ed25519:'.length);
    const signedMaster = signJson(replacement.master_key, erin.userId!, `ed25519:${erin.deviceId}`, erinDevice.seed);
    const badDevice = signJson(erinDevice.keys, erin.userId!, selfId, seeds.master); // signed by the wrong key
    const signatures = await erin.post('/_matrix/client/v3/keys/signatures/upload', {
      [erin.userId!]: { [erin.deviceId!]: signedDevice, [masterPub]: signedMaster },
    });
    expect(signatures.status, JSON.stringify(signatures.body)).toBe(200);
    assertMatchesSpec('/keys/signatures/upload', 'post', 200, signatures.body);
    expect(signatures.body.failures).toEqual({});
    const refused = await erin.post('/_matrix/client/v3/keys/signatures/upload', { [erin.userId!]: { [erin.deviceId!]: badDevice } });
    expect(Object.keys(refused.body.failures[erin.userId!])).toEqual([erin.deviceId]);

    // bob, on beta, sees erin's keys with those signatures (no user-signing key: that is erin's own).
    await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: erin.userId });
    expect((await erin.post(`/_matrix/client/v3/join/${enc(roomId)}`, {})).status).toBe(200);
    const seen = await query(bob, { [erin.userId!]: [] });
    expect(seen.master_keys[erin.userId!].keys).toEqual(replacement.master_key.keys);
    expect(seen.master_keys[erin.userId!].signatures[erin.userId!][`ed25519:${erin.deviceId}`]).toBeTypeOf('string');
    expect(seen.self_signing_keys[erin.userId!].keys).toEqual(replacement.self_signing_key.keys);
    expect(seen.device_keys[erin.userId!][erin.deviceId!].signatures[erin.userId!][selfId]).toBeTypeOf('string');
    expect(seen.user_signing_keys[erin.userId!]).toBeUndefined();
    expect((await query(erin, { [erin.userId!]: [] })).user_signing_keys[erin.userId!].keys).toEqual(replacement.user_signing_key.keys);

    // A new key reaches the other server as m.signing_key_update: bob's client hears erin changed.
    const start = await sync(bob);
    const third = crossSigningKeys(erin.userId!);
    const { seeds: _s3, masterId: _m3, selfId: _si3, userId: _u3, ...thirdBody } = third;
    const again = await erin.post('/_matrix/client/v3/keys/device_signing/upload', thirdBody);
    expect(
      (await erin.post('/_matrix/client/v3/keys/device_signing/upload', { ...thirdBody, auth: { ...auth, session: again.body.session } }))
        .status,
    ).toBe(200);
    await syncUntil(bob, start.next_batch, 'erin changed on beta', (b) => b.device_lists.changed.includes(erin.userId));
    expect((await query(bob, { [erin.userId!]: [] })).master_keys[erin.userId!].keys).toEqual(third.master_key.keys);
  });

  it("a signature on another user's master key: the signer's devices hear that user changed, and see the signature", async () => {
    // Without this, a client that verified someone (SAS) never re-queries them and never sees them verified.
    const gina = await user(alpha, 'gina');
    const hal = await user(alpha, 'hal');
    const room = await gina.post('/_matrix/client/v3/createRoom', { preset: 'private_chat', invite: [hal.userId] });
    expect(room.status).toBe(200);
    expect((await hal.post(`/_matrix/client/v3/join/${enc(room.body.room_id)}`, {})).status).toBe(200);
    const keysOf = async (client: TestClient) => {
      const keys = crossSigningKeys(client.userId!);
      const { seeds: _s, masterId: _m, selfId: _si, userId: _u, ...body } = keys;
      expect((await client.post('/_matrix/client/v3/keys/device_signing/upload', body)).status).toBe(200);
      return keys;
    };
    const ginaKeys = await keysOf(gina);
    const halKeys = await keysOf(hal);
    const start = await sync(gina);
    const halMasterPub = halKeys.masterId.slice('ed25519:'.length);
    const signed = signJson(halKeys.master_key, gina.userId!, ginaKeys.userId, ginaKeys.seeds.user);
    const upload = await gina.post('/_matrix/client/v3/keys/signatures/upload', { [hal.userId!]: { [halMasterPub]: signed } });
    expect(upload.body.failures).toEqual({});
    await syncUntil(gina, start.next_batch, 'gina hears hal changed', (b) => b.device_lists?.changed?.includes(hal.userId));
    const seen = await query(gina, { [hal.userId!]: [] });
    expect(seen.master_keys[hal.userId!].signatures[gina.userId!][ginaKeys.userId]).toBeTypeOf('string');
  });

  it('a portable account replaces its keys with an account-key proof (dev.wayfarer.login.account_key)', async () => {
    const secret = generateRecoverySecret();
    const account = deriveAccountKey(secret);
    const accountKey = encodeBase64Url(account.publicKey);
    const client = new TestClient(alpha.baseUrl);
    const proof = async () => {
      const { challenge } = (await client.post('/_matrix/client/unstable/dev.wayfarer/account_key/challenge', { account_key: accountKey }))
        .body;
      const signature = signAccountKeyProof({ challenge, homeserver: ALPHA, account_key: accountKey }, account.seed);
      return { type: ACCOUNT_KEY_LOGIN_TYPE, account_key: accountKey, challenge, signature };
    };
    const uia = await client.post('/_matrix/client/v3/register', { username: 'pia' });
    const registered = await client.post('/_matrix/client/v3/register', {
      username: 'pia',
      auth: { ...(await proof()), session: uia.body.session },
    });
    expect(registered.status, JSON.stringify(registered.body)).toBe(200);
    Object.assign(client, {
      accessToken: registered.body.access_token,
      userId: registered.body.user_id,
      deviceId: registered.body.device_id,
    });
    const { seeds: _s, masterId: _m, selfId: _si, userId: _u, ...body } = crossSigningKeys(client.userId!);
    expect((await client.post('/_matrix/client/v3/keys/device_signing/upload', body)).status).toBe(200);
    const { seeds: _s2, masterId: _m2, selfId: _si2, userId: _u2, ...newBody } = crossSigningKeys(client.userId!);
    const needs = await client.post('/_matrix/client/v3/keys/device_signing/upload', newBody);
    expect(needs.status).toBe(401);
    expect(needs.body.flows).toEqual([{ stages: [ACCOUNT_KEY_LOGIN_TYPE] }]);
    const password = await client.post('/_matrix/client/v3/keys/device_signing/upload', {
      ...newBody,
      auth: { type: 'm.login.password', password: 'x', session: needs.body.session },
    });
    expect(password.status).toBe(401);
    const proven = await client.post('/_matrix/client/v3/keys/device_signing/upload', {
      ...newBody,
      auth: { ...(await proof()), session: needs.body.session },
    });
    expect(proven.status, JSON.stringify(proven.body)).toBe(200);
    expect((await query(client, { [client.userId!]: [] })).master_keys[client.userId!].keys).toEqual(newBody.master_key.keys);
  });
});

describe('key backup', () => {
  const algorithm = 'm.megolm_backup.v1.curve25519-aes-sha2';
  const key = (index: number, forwarded: number, verified: boolean, tag: string) => ({
    first_message_index: index,
    forwarded_count: forwarded,
    is_verified: verified,
    session_data: { ephemeral: tag, ciphertext: tag, mac: tag },
  });

  it('versions, keys at three granularities, the spec etag and count rules, and the current-version check', async () => {
    const frank = await user(alpha, 'frank');
    const none = await frank.get('/_matrix/client/v3/room_keys/version');
    expect(none.status).toBe(404);
    expect(none.body.errcode).toBe('M_NOT_FOUND');
    const created = await frank.post('/_matrix/client/v3/room_keys/version', { algorithm, auth_data: { public_key: 'abc' } });
    expect(created.status).toBe(200);
    assertMatchesSpec('/room_keys/version', 'post', 200, created.body);
    const version: string = created.body.version;
    const current = await frank.get('/_matrix/client/v3/room_keys/version');
    assertMatchesSpec('/room_keys/version', 'get', 200, current.body);
    expect(current.body).toMatchObject({ algorithm, auth_data: { public_key: 'abc' }, version, count: 0 });
    const etag0 = current.body.etag;

    const q = `?version=${enc(version)}`;
    const put = await frank.put(`/_matrix/client/v3/room_keys/keys${q}`, {
      rooms: { '!r1:x': { sessions: { s1: key(5, 1, false, 'a'), s2: key(0, 0, false, 'b') } } },
    });
    assertMatchesSpec('/room_keys/keys', 'put', 200, put.body);
    expect(put.body.count).toBe(2);
    expect(put.body.etag).not.toBe(etag0);
    const room = await frank.put(`/_matrix/client/v3/room_keys/keys/${enc('!r2:x')}${q}`, { sessions: { s3: key(0, 0, true, 'c') } });
    assertMatchesSpec('/room_keys/keys/{roomId}', 'put', 200, room.body);
    expect(room.body.count).toBe(3);
    // A worse key (unverified over verified; higher index) does not replace what is stored, and the etag stays.
    const worse = await frank.put(`/_matrix/client/v3/room_keys/keys/${enc('!r2:x')}/s3${q}`, key(0, 0, false, 'worse'));
    assertMatchesSpec('/room_keys/keys/{roomId}/{sessionId}', 'put', 200, worse.body);
    expect(worse.body).toEqual(room.body);
    // A better one (lower first_message_index) does, and the etag moves.
    const better = await frank.put(`/_matrix/client/v3/room_keys/keys/${enc('!r1:x')}/s1${q}`, key(2, 1, false, 'better'));
    expect(better.body.count).toBe(3);
    expect(better.body.etag).not.toBe(room.body.etag);

    const all = await frank.get(`/_matrix/client/v3/room_keys/keys${q}`);
    assertMatchesSpec('/room_keys/keys', 'get', 200, all.body);
    expect(all.body.rooms['!r1:x'].sessions.s1.session_data.ciphertext).toBe('better');
    expect(all.body.rooms['!r2:x'].sessions.s3.session_data.ciphertext).toBe('c');
    const one = await frank.get(`/_matrix/client/v3/room_keys/keys/${enc('!r1:x')}${q}`);
    assertMatchesSpec('/room_keys/keys/{roomId}', 'get', 200, one.body);
    expect(Object.keys(one.body.sessions).sort()).toEqual(['s1', 's2']);
    expect((await frank.get(`/_matrix/client/v3/room_keys/keys/${enc('!none:x')}${q}`)).body).toEqual({ sessions: {} });
    const session = await frank.get(`/_matrix/client/v3/room_keys/keys/${enc('!r1:x')}/s2${q}`);
    assertMatchesSpec('/room_keys/keys/{roomId}/{sessionId}', 'get', 200, session.body);
    expect(session.body).toEqual(key(0, 0, false, 'b'));
    expect((await frank.get(`/_matrix/client/v3/room_keys/keys/${enc('!r1:x')}/nope${q}`)).status).toBe(404);

    // Deletes at each granularity move the count and the etag.
    const delSession = await frank.request('DELETE', `/_matrix/client/v3/room_keys/keys/${enc('!r1:x')}/s2${q}`);
    assertMatchesSpec('/room_keys/keys/{roomId}/{sessionId}', 'delete', 200, delSession.body);
    expect(delSession.body.count).toBe(2);
    const delRoom = await frank.request('DELETE', `/_matrix/client/v3/room_keys/keys/${enc('!r2:x')}${q}`);
    assertMatchesSpec('/room_keys/keys/{roomId}', 'delete', 200, delRoom.body);
    expect(delRoom.body.count).toBe(1);
    const delAll = await frank.request('DELETE', `/_matrix/client/v3/room_keys/keys${q}`);
    assertMatchesSpec('/room_keys/keys', 'delete', 200, delAll.body);
    expect(delAll.body.count).toBe(0);

    // auth_data can change, the algorithm can't; a new version makes writes to the old one M_WRONG_ROOM_KEYS_VERSION.
    const update = await frank.put(`/_matrix/client/v3/room_keys/version/${enc(version)}`, { algorithm, auth_data: { public_key: 'def' } });
    expect(update.status).toBe(200);
    assertMatchesSpec('/room_keys/version/{version}', 'put', 200, update.body);
    expect((await frank.put(`/_matrix/client/v3/room_keys/version/${enc(version)}`, { algorithm: 'other', auth_data: {} })).status).toBe(
      400,
    );
    const byVersion = await frank.get(`/_matrix/client/v3/room_keys/version/${enc(version)}`);
    assertMatchesSpec('/room_keys/version/{version}', 'get', 200, byVersion.body);
    expect(byVersion.body.auth_data).toEqual({ public_key: 'def' });
    const second = (await frank.post('/_matrix/client/v3/room_keys/version', { algorithm, auth_data: { public_key: 'ghi' } })).body.version;
    expect(second).not.toBe(version);
    const stale = await frank.put(`/_matrix/client/v3/room_keys/keys${q}`, { rooms: {} });
    expect(stale.status).toBe(403);
    expect(stale.body).toMatchObject({ errcode: 'M_WRONG_ROOM_KEYS_VERSION', current_version: second });
    const removed = await frank.request('DELETE', `/_matrix/client/v3/room_keys/version/${enc(second)}`);
    expect(removed.status).toBe(200);
    assertMatchesSpec('/room_keys/version/{version}', 'delete', 200, removed.body);
    expect((await frank.get('/_matrix/client/v3/room_keys/version')).body.version).toBe(version);
    // Another user's backup is not yours.
    expect((await alice.get(`/_matrix/client/v3/room_keys/version/${enc(version)}`)).status).toBe(404);
  });
});

describe('encrypted events', () => {
  it('are stored and relayed untouched, never indexed for search, and notify by .m.rule.encrypted', async () => {
    const content = {
      algorithm: 'm.megolm.v1.aes-sha2',
      ciphertext: 'AwgAEnAC+findme',
      sender_key: 'sk',
      session_id: 'sid',
      device_id: alice.deviceId,
    };
    const start = await sync(bob);
    const sent = await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.encrypted/enc1`, content);
    expect(sent.status).toBe(200);
    const got = await syncUntil(bob, start.next_batch, 'the encrypted event on beta', (b) =>
      (b.rooms.join[roomId]?.timeline.events ?? []).some((e: Json) => e.event_id === sent.body.event_id),
    );
    const event = got.rooms.join[roomId].timeline.events.find((e: Json) => e.event_id === sent.body.event_id);
    expect(event.type).toBe('m.room.encrypted');
    expect(event.content).toEqual(content);
    const search = await alice.post('/_matrix/client/v3/search', { search_categories: { room_events: { search_term: 'findme' } } });
    expect(search.status).toBe(200);
    expect(search.body.search_categories.room_events.results).toEqual([]);
    const rules = (await bob.get('/_matrix/client/v3/pushrules/')).body.global.underride.map((r: Json) => r.rule_id);
    expect(rules).toContain('.m.rule.encrypted');
    expect(got.rooms.join[roomId].unread_notifications.notification_count).toBeGreaterThan(0);
  });
});
