// Hostile servers and signing keys: retired keys, key rotation, and what the server fetches when told to.
// Alpha is a real homeserver; evil servers are scripted (server/testing/hostile-server.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostileServer, type SigningKeyPair } from '../testing/hostile-server';
import type { RunningHomeserver } from '../testing/spawn';
import type { TestClient } from '../testing/http-client';
import { bodies, devAdmin, enc, memberInfo, say, startServers, user, waitFor } from '../testing/federation-harness';
import { computeEventId, MEMBER_KEYS_ROOM_VERSION } from '../../src/protocol';
import { startHomeserver } from '../testing/spawn';

let alpha: RunningHomeserver;
let alice: TestClient;
const hostiles: HostileServer[] = [];

const statusOf = async (server: RunningHomeserver, eventId: string) =>
  (await devAdmin(server, 'event_status', { event_id: eventId })).status;

/** Runs `build` with `server` signing as `key` (its current key is put back afterwards). */
function signedWith<T>(server: HostileServer, key: SigningKeyPair, build: () => T): T {
  const current = server.key;
  server.key = key;
  try {
    return build();
  } finally {
    server.key = current;
  }
}

beforeAll(async () => {
  [alpha] = await startServers(['alpha.localhost:20300']);
  alice = await user(alpha, 'alice');
});

afterAll(async () => {
  await Promise.all(hostiles.map((h) => h.close()));
  await alpha?.dispose();
});

describe('retired server keys (old_verify_keys)', () => {
  let evil: HostileServer;
  let roomId: string;
  let old: SigningKeyPair;
  let expiredTs: number;

  beforeAll(async () => {
    evil = await HostileServer.start(20301, 'evil');
    hostiles.push(evil);
    const created = await alice.post('/_matrix/client/v3/createRoom', { preset: 'public_chat', room_version: '11' });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    roomId = created.body.room_id;
  });

  it('a request signed with a key the origin lists only under old_verify_keys is refused (401), the current key works', async () => {
    const member = await evil.join(alpha, roomId, 'eve', '11');
    old = evil.key;
    expiredTs = Date.now() - 10_000;
    evil.rotateKey(expiredTs);
    // A request signed with the new key makes alpha fetch evil's keys again (it learns that the first key retired).
    const first = evil.event(member, 'm.room.message', { msgtype: 'm.text', body: 'signed with the new key' });
    const sent = await evil.sendTxn(alpha, [first.pdu]);
    expect(sent.status, JSON.stringify(sent.body)).toBe(200);
    expect(await statusOf(alpha, first.eventId)).toBe('stored');
    // The same kind of request, signed with the retired key: refused, whatever it carries.
    const path = `/_matrix/federation/v1/state_ids/${enc(roomId)}?event_id=${enc(first.eventId)}`;
    const withOld = await evil.fed(alpha, 'GET', path, undefined, { signer: old });
    expect(withOld.status, JSON.stringify(withOld.body)).toBe(401);
    expect(withOld.body.errcode).toBe('M_UNAUTHORIZED');
    const withCurrent = await evil.fed(alpha, 'GET', path);
    expect(withCurrent.status, JSON.stringify(withCurrent.body)).toBe(200);
  });

  it('an old key verifies an event sent before its expired_ts, and no event sent after it (classic room 11)', async () => {
    const member = await evil.join(alpha, roomId, 'eve2', '11');
    const before = signedWith(evil, old, () =>
      evil.event(member, 'm.room.message', { msgtype: 'm.text', body: 'old key, in time' }, { origin_server_ts: expiredTs - 5_000 }),
    );
    const sentBefore = await evil.sendTxn(alpha, [before.pdu]);
    expect(sentBefore.body.pdus[before.eventId], JSON.stringify(sentBefore.body)).toEqual({});
    expect(await statusOf(alpha, before.eventId)).toBe('stored');

    const after = signedWith(evil, old, () =>
      evil.event(member, 'm.room.message', { msgtype: 'm.text', body: 'old key, too late' }, { origin_server_ts: expiredTs + 5_000 }),
    );
    const sentAfter = await evil.sendTxn(alpha, [after.pdu]);
    expect(sentAfter.status).toBe(200);
    expect(sentAfter.body.pdus[after.eventId]?.error, JSON.stringify(sentAfter.body)).toMatch(/not validly signed/);
    expect(await statusOf(alpha, after.eventId)).toBe('unknown');
  });
});

describe('what the server fetches when told to', () => {
  let target: HostileServer;
  let secure: RunningHomeserver;

  beforeAll(async () => {
    target = await HostileServer.start(20311, 'target');
    hostiles.push(target);
    // Production mode: no --insecure-http (HTTPS out, and no private or loopback targets).
    secure = await startHomeserver({ serverName: 'gamma.localhost:20310', insecureHttp: false });
  });
  afterAll(async () => {
    await secure?.dispose();
  });

  it('key queries for names that are not server names are refused with 400 M_INVALID_PARAM (GET and POST notary)', async () => {
    for (const name of ['user@evil.localhost:20311', 'evil.localhost:20311/x', 'evil.localhost:99999', 'a b', 'x:1:2']) {
      const got = await fetch(`${alpha.baseUrl}/_matrix/key/v2/query/${enc(name)}`);
      expect(got.status, name).toBe(400);
      expect((await got.json()).errcode).toBe('M_INVALID_PARAM');
      const posted = await fetch(`${alpha.baseUrl}/_matrix/key/v2/query`, {
        method: 'POST',
        body: JSON.stringify({ server_keys: { [name]: {} } }),
      });
      expect(posted.status, name).toBe(400);
      expect((await posted.json()).errcode).toBe('M_INVALID_PARAM');
    }
  });

  it('outside --insecure-http, loopback and private targets are refused before any connection (IP literals and names)', async () => {
    for (const name of [
      `127.0.0.1:${target.port}`,
      `target.localhost:${target.port}`,
      `localhost:${target.port}`,
      `[::ffff:127.0.0.1]:${target.port}`,
    ]) {
      const got = await fetch(`${secure.baseUrl}/_matrix/key/v2/query/${enc(name)}`);
      expect(got.status, name).toBe(200);
      expect((await got.json()).server_keys, name).toEqual([]);
    }
    expect(target.connections).toBe(0);
    expect(target.requests).toEqual([]);
    // The production server is still well: its own keys through its own notary.
    const own = await (await fetch(`${secure.baseUrl}/_matrix/key/v2/query/${enc(secure.serverName)}`)).json();
    expect(own.server_keys[0].server_name).toBe(secure.serverName);
  });

  it('in development mode (--insecure-http) the same loopback target is reachable', async () => {
    const got = await (await fetch(`${alpha.baseUrl}/_matrix/key/v2/query/${enc(target.serverName)}`)).json();
    expect(got.server_keys.map((k: any) => k.server_name)).toEqual([target.serverName]);
    expect(target.requests.length).toBeGreaterThan(0);
  });

  it('invites, joins and profile lookups naming a non-server-name are refused (400) before anything is resolved', async () => {
    const roomId = (await alice.post('/_matrix/client/v3/createRoom', { preset: 'private_chat' })).body.room_id;
    for (const userId of ['@x:bad_host', '@x:evil.localhost:99999', '@x:a b']) {
      const invited = await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: userId });
      expect(invited.status, `${userId}: ${JSON.stringify(invited.body)}`).toBe(400);
      expect(invited.body.errcode).toBe('M_INVALID_PARAM');
      const profile = await alice.get(`/_matrix/client/v3/profile/${enc(userId)}`);
      expect(profile.status, `${userId}: ${JSON.stringify(profile.body)}`).toBe(400);
      const created = await alice.post('/_matrix/client/v3/createRoom', { invite: [userId] });
      expect(created.status, `${userId}: ${JSON.stringify(created.body)}`).toBe(400);
    }
    const joined = await alice.post(`/_matrix/client/v3/join/${enc('!nowhere:elsewhere.localhost')}?server_name=${enc('bad_host/x')}`, {});
    expect(joined.status, JSON.stringify(joined.body)).toBe(400);
    expect(joined.body.errcode).toBe('M_INVALID_PARAM');
  });

  it('an X-Matrix origin that is not a server name is refused (401) without fetching anything', async () => {
    const before = target.requests.length;
    const asked = await target.fed(alpha, 'GET', `/_matrix/federation/v1/query/profile?user_id=${enc(alice.userId!)}`, undefined, {
      origin: `user@target.localhost:${target.port}`,
    });
    expect(asked.status, JSON.stringify(asked.body)).toBe(401);
    expect(target.requests.length).toBe(before);
  });

  it('an oversized answer is refused cleanly and the server stays up', async () => {
    const huge = await HostileServer.start(20312, 'huge');
    hostiles.push(huge);
    huge.keyMode = 'oversized';
    const got = await fetch(`${alpha.baseUrl}/_matrix/key/v2/query/${enc(huge.serverName)}`);
    expect(got.status).toBe(200);
    expect((await got.json()).server_keys).toEqual([]);
    expect(huge.requests.length).toBeGreaterThan(0);
    // Still answering, and still fetching well-behaved servers.
    huge.keyMode = 'normal';
    const again = await (await fetch(`${alpha.baseUrl}/_matrix/key/v2/query/${enc(huge.serverName)}`)).json();
    expect(again.server_keys.map((k: any) => k.server_name)).toEqual([huge.serverName]);
  });
});

describe('after a signing-key rotation, new members are verified at once', () => {
  const MKV = MEMBER_KEYS_ROOM_VERSION;
  const linkOf = async (viewer: TestClient, roomId: string, memberKey: string) =>
    (await memberInfo(viewer, roomId))[memberKey]?.['dev.wayfarer.link'];

  it('a member co-signed with the new key is verified promptly and its message reaches /sync (default settings)', async () => {
    const evil = await HostileServer.start(20302, 'rotating');
    hostiles.push(evil);
    const roomId = (await alice.post('/_matrix/client/v3/createRoom', { preset: 'public_chat' })).body.room_id;
    const first = await evil.join(alpha, roomId, 'first', MKV);
    await waitFor(
      'the first member verified with evil’s first key',
      async () => (await linkOf(alice, roomId, first.id))?.status === 'verified',
    );

    evil.rotateKey();
    const second = await evil.join(alpha, roomId, 'second', MKV);
    const message = evil.event(second, 'm.room.message', { msgtype: 'm.text', body: 'hello from the second member' });
    expect((await evil.sendTxn(alpha, [message.pdu])).status).toBe(200);

    const link = await waitFor('the second member verified with evil’s new key', async () => {
      const found = await linkOf(alice, roomId, second.id);
      return found?.status === 'verified' && found;
    });
    expect(link.key_id).toBe(evil.key.keyId);
    await waitFor('the second member’s message in alice’s timeline', async () =>
      (await bodies(alice, roomId)).includes('hello from the second member'),
    );
    const sync = await alice.get('/_matrix/client/v3/sync?timeout=0');
    const timeline = sync.body.rooms.join[roomId].timeline.events as any[];
    expect(timeline.map((e) => e.event_id)).toContain(message.eventId);
  });

  describe('a message soft-failed only because the key was not published yet', () => {
    let delta: RunningHomeserver;
    let dora: TestClient;

    beforeAll(async () => {
      [delta] = await startServers(['delta.localhost:20320'], ['--key-refetch-seconds', '2']);
      dora = await user(delta, 'dora');
    });
    afterAll(async () => {
      await delta?.dispose();
    });

    it('is released (stored, in /sync) once delta finds the key and the link verifies, unless it fails the checks against the current state', async () => {
      const evil = await HostileServer.start(20321, 'lagging');
      hostiles.push(evil);
      const roomId = (await dora.post('/_matrix/client/v3/createRoom', { preset: 'public_chat' })).body.room_id;
      // Evil rotates, but its key endpoint still serves the answer from before (a stale cache in front of it): the
      // new key co-signs the member, requests are still signed with the published key.
      const published = evil.key;
      const stale = evil.keyResponse();
      evil.rotateKey();
      evil.keyResponse = () => stale;
      const key = HostileServer.memberKey();
      const made = await evil.fed(
        delta,
        'GET',
        `/_matrix/federation/v1/make_join/${enc(roomId)}/${enc(key.id)}?ver=${enc(MKV)}`,
        undefined,
        { signer: published },
      );
      expect(made.status, JSON.stringify(made.body)).toBe(200);
      const join = evil.sign(
        { ...made.body.event, content: { membership: 'join', localpart: 'late', domain: evil.serverName }, origin_server_ts: Date.now() },
        MKV,
        key.seed,
      );
      const sent = await evil.fed(delta, 'PUT', `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc(join.eventId)}`, join.pdu, {
        signer: published,
      });
      expect(sent.status, JSON.stringify(sent.body)).toBe(200);

      const powerLevels = (sent.body.state as any[]).find((e) => e.type === 'm.room.power_levels');
      const plId = computeEventId(powerLevels, MKV);
      const base = {
        room_id: roomId,
        sender: key.id,
        depth: join.pdu.depth + 1,
        prev_events: [join.eventId],
        auth_events: [plId, join.eventId],
      };
      // Held the same way, but it may not do what it does (redact dora's message): never released.
      const dorasId = await say(dora, roomId, 'dora was here');
      const redaction = evil.sign(
        { ...base, type: 'm.room.redaction', redacts: dorasId, content: { redacts: dorasId }, origin_server_ts: Date.now() },
        MKV,
        key.seed,
      );
      const message = evil.sign(
        {
          ...base,
          type: 'm.room.message',
          content: { msgtype: 'm.text', body: 'sent before the key was published' },
          origin_server_ts: Date.now(),
        },
        MKV,
        key.seed,
      );
      const txn = await evil.fed(
        delta,
        'PUT',
        `/_matrix/federation/v1/send/held${Date.now()}`,
        { origin: evil.serverName, origin_server_ts: Date.now(), pdus: [redaction.pdu, message.pdu], edus: [] },
        { signer: published },
      );
      expect(txn.status, JSON.stringify(txn.body)).toBe(200);
      const held = await devAdmin(delta, 'event_status', { event_id: message.eventId });
      expect(held.status, JSON.stringify(held)).toBe('soft_failed');
      expect(held.reason).toMatch(/link/);
      expect(await statusOf(delta, redaction.eventId)).toBe('soft_failed');

      // The key endpoint catches up: delta looks again on its own (rate-limited), verifies, and releases the message.
      delete (evil as { keyResponse?: unknown }).keyResponse;
      await waitFor('the late member verified', async () => (await linkOf(dora, roomId, key.id))?.status === 'verified');
      await waitFor('the held message in dora’s timeline', async () =>
        (await bodies(dora, roomId)).includes('sent before the key was published'),
      );
      expect(await statusOf(delta, message.eventId)).toBe('stored');
      // Held events are re-checked in arrival order: the redaction was decided before the message was stored.
      expect(await statusOf(delta, redaction.eventId)).toBe('soft_failed');
      expect(await bodies(dora, roomId)).toContain('dora was here');
      const sync = await dora.get('/_matrix/client/v3/sync?timeout=0');
      expect((sync.body.rooms.join[roomId].timeline.events as any[]).map((e) => e.event_id)).toContain(message.eventId);
    });
  });
});
