// Hostile servers and signing keys: retired keys, key rotation, and what the server fetches when told to.
// Alpha is a real homeserver; evil servers are scripted (server/testing/hostile-server.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostileServer, type SigningKeyPair } from '../testing/hostile-server';
import type { RunningHomeserver } from '../testing/spawn';
import type { TestClient } from '../testing/http-client';
import { devAdmin, enc, startServers, user } from '../testing/federation-harness';

let alpha: RunningHomeserver;
let alice: TestClient;
const hostiles: HostileServer[] = [];

const statusOf = async (server: RunningHomeserver, eventId: string) => (await devAdmin(server, 'event_status', { event_id: eventId })).status;

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
    const before = signedWith(evil, old, () => evil.event(member, 'm.room.message', { msgtype: 'm.text', body: 'old key, in time' }, { origin_server_ts: expiredTs - 5_000 }));
    const sentBefore = await evil.sendTxn(alpha, [before.pdu]);
    expect(sentBefore.body.pdus[before.eventId], JSON.stringify(sentBefore.body)).toEqual({});
    expect(await statusOf(alpha, before.eventId)).toBe('stored');

    const after = signedWith(evil, old, () => evil.event(member, 'm.room.message', { msgtype: 'm.text', body: 'old key, too late' }, { origin_server_ts: expiredTs + 5_000 }));
    const sentAfter = await evil.sendTxn(alpha, [after.pdu]);
    expect(sentAfter.status).toBe(200);
    expect(sentAfter.body.pdus[after.eventId]?.error, JSON.stringify(sentAfter.body)).toMatch(/not validly signed/);
    expect(await statusOf(alpha, after.eventId)).toBe('unknown');
  });
});
