// Contested identities over real processes (issue 6, PROTOCOL.md §7's known limit): alice's member key moves
// alpha → beta, yet alpha (never told of the move with account/moved, so it still holds the seed) keeps signing
// as the key when its local alice sends.
// Gamma sees the transaction's origin and reports `contested.by = alpha` in member_info; beta's messages do not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveMemberKey, deriveMemberRoot, encodeBase64, generateRecoverySecret, memberIdFromPublicKey } from '../../src/protocol';
import { proveAccountKey } from '../../src/features/portable/accountKeyAuth';
import { joinSeedFields } from '../../src/features/portable/memberSeeds';
import type { TestClient } from '../testing/http-client';
import { bodies, enc, memberInfo, say, waitFor } from '../testing/federation-harness';
import { startMoveCast, type MoveCast } from '../testing/move-cast';

const PREFIX = '/_matrix/client/unstable/dev.wayfarer';
const secret = generateRecoverySecret();
const memberRoot = deriveMemberRoot(secret);
// Filled in by beforeAll.
let { alpha, beta, gamma, bob, aliceAlpha, aliceBeta } = {} as MoveCast;

const memberEvent = async (client: TestClient, roomId: string, memberKey: string) =>
  (await client.get(`${PREFIX}/rooms/${enc(roomId)}/member_event/${enc(memberKey)}`)).body;

/** Gamma's room, alice joined from alpha, then her key adopted by beta (the move): gamma sees the key verified on beta. */
async function roomWithMovedAlice(): Promise<{ roomId: string; memberKey: string }> {
  const created = await bob.post('/_matrix/client/v3/createRoom', { preset: 'public_chat' });
  expect(created.status).toBe(200);
  const roomId: string = created.body.room_id;
  const joined = await aliceAlpha.post(
    `/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(gamma.serverName)}`,
    joinSeedFields(memberRoot, roomId),
  );
  expect(joined.status, JSON.stringify(joined.body)).toBe(200);
  const memberKey = memberIdFromPublicKey(deriveMemberKey(memberRoot, roomId).publicKey);
  await say(aliceAlpha, roomId, 'from alpha, before the move');
  await waitFor('gamma to have alpha’s message', async () => (await bodies(bob, roomId)).includes('from alpha, before the move'));

  const adopted = await aliceBeta.post(`${PREFIX}/migrate/adopt`, {
    room_id: roomId,
    seed: encodeBase64(deriveMemberKey(memberRoot, roomId).seed),
    via: [gamma.serverName],
  });
  expect(adopted.status, JSON.stringify(adopted.body)).toBe(200);
  await waitFor('gamma to verify alice on beta', async () => (await memberInfo(bob, roomId))[memberKey]?.user_id === aliceBeta.userId);
  // Alpha is not told: with no member left on alpha, the room no longer sends to it. Its next event follows
  // its own, older view of the room, where the key is still on alpha.
  expect((await memberEvent(aliceAlpha, roomId, memberKey))?.content?.domain).toBe(alpha.serverName);
  return { roomId, memberKey };
}

beforeAll(async () => {
  ({ alpha, beta, gamma, bob, aliceAlpha, aliceBeta } = await startMoveCast(
    ['alpha.localhost:19501', 'beta.localhost:19502', 'gamma.localhost:19503'],
    secret,
  ));
});

afterAll(async () => {
  await Promise.all([alpha, beta, gamma].filter(Boolean).map((s) => s.dispose()));
});

describe('a key whose old server keeps signing after a move', () => {
  it('an ordinary message from beta after the move does not contest the key', async () => {
    const { roomId, memberKey } = await roomWithMovedAlice();
    await say(aliceBeta, roomId, 'from beta, after the move');
    await waitFor('gamma to have beta’s message', async () => (await bodies(bob, roomId)).includes('from beta, after the move'));
    const info = (await memberInfo(bob, roomId))[memberKey];
    expect(info['dev.wayfarer.link'].status).toBe('verified');
    expect(info['dev.wayfarer.link'].contested).toBeUndefined();
  });

  it('alpha signing as the moved key is reported as contested by alpha, in the next incremental /sync', async () => {
    const { roomId, memberKey } = await roomWithMovedAlice();
    const since = (await bob.get('/_matrix/client/v3/sync?timeout=0')).body.next_batch as string;
    expect((await memberInfo(bob, roomId))[memberKey]['dev.wayfarer.link'].contested).toBeUndefined();

    // Never told of the move (no account/moved), alpha still holds the seed and signs for its local alice.
    const sentId = await say(aliceAlpha, roomId, 'alpha still signing');

    const contested = await waitFor(
      'gamma to report the key contested',
      async () => (await memberInfo(bob, roomId))[memberKey]?.['dev.wayfarer.link']?.contested,
    );
    expect(contested).toMatchObject({ by: alpha.serverName, event_id: sentId });
    expect(typeof contested.since_ts).toBe('number');
    // The handle itself is still beta's, verified: contested is a warning on top, not a new claim.
    const info = (await memberInfo(bob, roomId))[memberKey];
    expect(info.user_id).toBe(aliceBeta.userId);

    // An incremental /sync from before carries the change though no member event changed.
    const incremental = (await bob.get(`/_matrix/client/v3/sync?timeout=0&since=${enc(since)}`)).body;
    const entry = incremental.rooms?.join?.[roomId]?.['org.matrix.msc4428.member_info']?.[memberKey];
    expect(entry?.['dev.wayfarer.link']?.contested?.by).toBe(alpha.serverName);

    // A second message changes nothing; the record outlives a restart.
    await say(aliceAlpha, roomId, 'alpha signing again');
    await waitFor('gamma to have the second message', async () => (await bodies(bob, roomId)).includes('alpha signing again'));
    await gamma.restart();
    expect((await memberInfo(bob, roomId))[memberKey]['dev.wayfarer.link'].contested).toEqual(contested);
  });

  it('once told of the move (account/moved), alpha refuses to sign as the key, so nothing is contested', async () => {
    const { roomId, memberKey } = await roomWithMovedAlice();
    const auth = { ...(await proveAccountKey({ baseUrl: alpha.baseUrl, serverName: alpha.serverName }, secret)), session: 'x' };
    const moved = await aliceAlpha.post(`${PREFIX}/account/moved`, { moved_to: aliceBeta.userId, auth });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    const refused = await aliceAlpha.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/after-moved`, {
      msgtype: 'm.text',
      body: 'should not be signed',
    });
    expect(refused.status).toBe(403);
    await say(aliceBeta, roomId, 'beta after account/moved');
    await waitFor('gamma to have beta’s message', async () => (await bodies(bob, roomId)).includes('beta after account/moved'));
    expect(await bodies(bob, roomId)).not.toContain('should not be signed');
    expect((await memberInfo(bob, roomId))[memberKey]['dev.wayfarer.link'].contested).toBeUndefined();
  });
});
