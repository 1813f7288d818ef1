// Account migration over real processes (PROTOCOL.md §5, §7): beta adopts alice's memberships from alpha for the
// same member keys — joining over federation when it is not in the room, even with alpha offline — and the old
// server, once told the account moved, forgets the keys and refuses to sign as them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deriveMemberRoot,
  encodeBase64,
  generateRecoverySecret,
  deriveMemberKey,
  deriveCreatorMemberKey,
  memberIdFromPublicKey,
  encodeBase64Url,
} from '../../src/protocol';
import { proveAccountKey } from '../../src/features/portable/accountKeyAuth';
import { createRoomSeedFields, joinSeedFields } from '../../src/features/portable/memberSeeds';
import { TestClient } from '../testing/http-client';
import { bodies, devAdmin, enc, memberInfo, say, user, waitFor } from '../testing/federation-harness';
import { startMoveCast, type MoveCast } from '../testing/move-cast';

const PREFIX = '/_matrix/client/unstable/dev.wayfarer';
const secret = generateRecoverySecret();
const memberRoot = deriveMemberRoot(secret);
// Filled in by beforeAll.
let { alpha, beta, gamma, bob, aliceAlpha, aliceBeta } = {} as MoveCast;
let carol: TestClient;

const adopt = (client: TestClient, body: unknown) => client.post(`${PREFIX}/migrate/adopt`, body);
const memberEvent = async (client: TestClient, roomId: string, memberKey: string) =>
  (await client.get(`${PREFIX}/rooms/${enc(roomId)}/member_event/${enc(memberKey)}`)).body;

beforeAll(async () => {
  ({ alpha, beta, gamma, bob, aliceAlpha, aliceBeta } = await startMoveCast(
    ['alpha.localhost:19001', 'beta.localhost:19002', 'gamma.localhost:19003'],
    secret,
  ));
  carol = await user(beta, 'carol');
  await aliceAlpha.put(`/_matrix/client/v3/profile/${enc(aliceAlpha.userId!)}/displayname`, { displayname: 'Alice A.' });
});

afterAll(async () => {
  await Promise.all([alpha, beta, gamma].filter(Boolean).map((s) => s.dispose()));
});

/** A member-key room on gamma (bob's) that alice joins from alpha with her derived key; optionally carol (beta) too. */
async function gammaRoomWithAlice(withCarol: boolean): Promise<{ roomId: string; memberKey: string }> {
  const created = await bob.post('/_matrix/client/v3/createRoom', { preset: 'public_chat' });
  expect(created.status).toBe(200);
  const roomId: string = created.body.room_id;
  const joined = await aliceAlpha.post(
    `/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(gamma.serverName)}`,
    joinSeedFields(memberRoot, roomId),
  );
  expect(joined.status, JSON.stringify(joined.body)).toBe(200);
  if (withCarol)
    expect((await carol.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(gamma.serverName)}`, {})).status).toBe(200);
  return { roomId, memberKey: memberIdFromPublicKey(deriveMemberKey(memberRoot, roomId).publicKey) };
}

describe('migrate/adopt', () => {
  it('joins over federation for the same key (alice created the room on alpha), keeps name and power, and is idempotent', async () => {
    const nonceFields = createRoomSeedFields(memberRoot);
    const created = await aliceAlpha.post('/_matrix/client/v3/createRoom', { preset: 'public_chat', ...nonceFields });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const roomId: string = created.body.room_id;
    const seed = deriveCreatorMemberKey(memberRoot, nonceFields['dev.wayfarer.creator_nonce']).seed;
    const memberKey = memberIdFromPublicKey(deriveCreatorMemberKey(memberRoot, nonceFields['dev.wayfarer.creator_nonce']).publicKey);
    expect((await bob.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(alpha.serverName)}`, {})).status).toBe(200);
    await say(aliceAlpha, roomId, 'before the move');

    const first = await adopt(aliceBeta, { room_id: roomId, seed: encodeBase64(seed), via: [alpha.serverName, gamma.serverName] });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toMatchObject({ room_id: roomId, member_key: memberKey, changed: true });

    // Gamma sees the same key, now claiming beta, co-signed by beta, with the name carried over, and verified.
    const onGamma = await waitFor('the adopted member event on gamma', async () => {
      const event = await memberEvent(bob, roomId, memberKey);
      return event?.content?.domain === beta.serverName && event.content.displayname !== undefined && event;
    });
    expect(onGamma.content).toMatchObject({ membership: 'join', localpart: 'alice', displayname: 'Alice A.' });
    expect(Object.keys(onGamma.signatures)).toContain(beta.serverName);
    const info = await waitFor('alice verified as @alice:beta on gamma', async () => {
      const entry = (await memberInfo(bob, roomId))[memberKey];
      return entry?.user_id === aliceBeta.userId && entry;
    });
    expect(info['dev.wayfarer.link'].status).toBe('verified');

    // Same key, same messages: alice on beta speaks as the member bob already knew.
    await say(aliceBeta, roomId, 'after the move');
    const seenByBob = await waitFor('both messages on gamma', async () => {
      const got = await bodies(bob, roomId);
      return got.includes('after the move') && got;
    });
    expect(seenByBob).toContain('before the move');
    const chunk = (await bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=50`)).body.chunk as any[];
    const keysOf = (body: string) => chunk.find((e) => e.content?.body === body)?.unsigned?.['org.matrix.msc4428.stable_id'];
    expect(keysOf('before the move')).toBe(memberKey);
    expect(keysOf('after the move')).toBe(memberKey);

    // The creator stays the creator: alice on beta may still change the power levels.
    const levels = (await aliceBeta.get(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.power_levels/`)).body;
    expect(
      (await aliceBeta.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.power_levels/`, { ...levels, events_default: 0 })).status,
    ).toBe(200);

    // Twice: nothing new.
    const again = await adopt(aliceBeta, { room_id: roomId, seed: encodeBase64(seed), via: [alpha.serverName] });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ room_id: roomId, member_key: memberKey, changed: false });
    expect((await memberEvent(aliceBeta, roomId, memberKey)).content.domain).toBe(beta.serverName);
  });

  it('in a room beta is already in: sends join → join at once, carrying the room’s power level for the key', async () => {
    const { roomId, memberKey } = await gammaRoomWithAlice(true);
    const levels = (await bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.power_levels/`)).body;
    expect(
      (
        await bob.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.power_levels/`, {
          ...levels,
          users: { ...levels.users, [memberKey]: 50 },
        })
      ).status,
    ).toBe(200);
    await waitFor(
      'beta to know alice’s key',
      async () => (await memberEvent(carol, roomId, memberKey))?.content?.domain === alpha.serverName,
    );

    const reply = await adopt(aliceBeta, {
      room_id: roomId,
      seed: encodeBase64(deriveMemberKey(memberRoot, roomId).seed),
      via: [gamma.serverName],
      displayname: 'Alice on beta',
    });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.body.changed).toBe(true);
    const onGamma = await waitFor('gamma to see the new claim', async () => {
      const event = await memberEvent(bob, roomId, memberKey);
      return event?.content?.domain === beta.serverName && event;
    });
    expect(onGamma.content.displayname).toBe('Alice on beta');
    // The level belongs to the key, so alice on beta may do what needs 50 (and carol, at 0, may not).
    const rename = (client: TestClient) => client.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.name/`, { name: 'moved' });
    expect((await rename(carol)).status).toBe(403);
    const renamed = await rename(aliceBeta);
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
  });

  it('works with alpha offline: beta joins through gamma', async () => {
    const { roomId, memberKey } = await gammaRoomWithAlice(false);
    await alpha.stop();
    try {
      const reply = await adopt(aliceBeta, {
        room_id: roomId,
        seed: encodeBase64(deriveMemberKey(memberRoot, roomId).seed),
        via: [alpha.serverName, gamma.serverName],
      });
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      const event = await waitFor('gamma to see beta’s claim', async () => {
        const e = await memberEvent(bob, roomId, memberKey);
        return e?.content?.domain === beta.serverName && e;
      });
      expect(event.content.membership).toBe('join');
    } finally {
      await alpha.restart();
    }
  });

  it('refuses bad requests with typed errors', async () => {
    const { roomId } = await gammaRoomWithAlice(true);
    const classic = await bob.post('/_matrix/client/v3/createRoom', { room_version: '11', preset: 'public_chat' });
    expect((await carol.post(`/_matrix/client/v3/join/${enc(classic.body.room_id)}?server_name=${enc(gamma.serverName)}`, {})).status).toBe(
      200,
    );
    const cases: [unknown, number, string][] = [
      [{ room_id: roomId }, 400, 'M_MISSING_PARAM'],
      [{ room_id: roomId, seed: 'not base64!' }, 400, 'M_INVALID_PARAM'],
      [{ room_id: roomId, seed: encodeBase64(new Uint8Array(16)) }, 400, 'M_INVALID_PARAM'],
      [{ room_id: '#alias:x', seed: encodeBase64(new Uint8Array(32)) }, 400, 'M_INVALID_PARAM'],
      [{ room_id: roomId, seed: encodeBase64(new Uint8Array(32)).slice(0, 43), via: 'gamma' }, 400, 'M_BAD_JSON'],
      [
        { room_id: classic.body.room_id, seed: encodeBase64(deriveMemberKey(memberRoot, classic.body.room_id).seed) },
        400,
        'M_INVALID_PARAM',
      ],
      // A key that never joined: nothing to take over.
      [{ room_id: roomId, seed: encodeBase64(new Uint8Array(32).fill(7)) }, 403, 'M_FORBIDDEN'],
      // A room nobody here is in, and no via.
      [{ room_id: '!nowhere', seed: encodeBase64(new Uint8Array(32).fill(7)) }, 404, 'M_NOT_FOUND'],
    ];
    for (const [body, status, errcode] of cases) {
      const reply = await adopt(aliceBeta, body);
      expect([reply.status, reply.body.errcode], JSON.stringify(body)).toEqual([status, errcode]);
    }
    // Carol (another beta account) cannot take over alice's key once alice holds it here.
    const seed = encodeBase64(deriveMemberKey(memberRoot, roomId).seed);
    expect((await adopt(aliceBeta, { room_id: roomId, seed, via: [gamma.serverName] })).status).toBe(200);
    const stolen = await adopt(carol, { room_id: roomId, seed, via: [gamma.serverName] });
    expect(stolen.status).toBe(400);
    expect(stolen.body.error).toMatch(/member key/);
    expect((await adopt(new TestClient(beta.baseUrl), { room_id: roomId, seed })).status).toBe(401);
  });
});

describe('hostile bodies', () => {
  it('200 random bodies to migrate/adopt and account/moved each get a typed 4xx, never a 500', async () => {
    const fc = (await import('fast-check')).default;
    const bodies = fc.sample(
      fc.oneof(
        fc.anything(),
        fc.record(
          {
            room_id: fc.oneof(fc.string(), fc.constant('!x'), fc.integer()),
            seed: fc.oneof(fc.string(), fc.base64String(), fc.constant(null)),
            via: fc.anything(),
          },
          { requiredKeys: [] },
        ),
        fc.record({ moved_to: fc.oneof(fc.string(), fc.constant('@a:b'), fc.integer()), auth: fc.anything() }, { requiredKeys: [] }),
      ),
      200,
    );
    for (const body of bodies) {
      for (const path of [`${PREFIX}/migrate/adopt`, `${PREFIX}/account/moved`]) {
        const reply = await carol.request('POST', path, undefined, { raw: JSON.stringify(body) ?? 'null' });
        expect(reply.status, `${path} ${JSON.stringify(body)}`).toBeGreaterThanOrEqual(400);
        expect(reply.status, `${path} ${JSON.stringify(body)}`).toBeLessThan(500);
        expect(typeof reply.body.errcode, JSON.stringify(reply.body)).toBe('string');
      }
    }
  });
});

describe('account/moved on the old server', () => {
  it('needs an account-key proof, then forgets the member keys and refuses to sign as them; other servers see its old links stop verifying', async () => {
    const { roomId, memberKey: aliceKey } = await gammaRoomWithAlice(false);
    // Dora, another alpha account in the same room, must stay verified.
    const dora = await user(alpha, 'dora');
    expect((await dora.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(gamma.serverName)}`, {})).status).toBe(200);
    const linkOf = async (userIdOrKey: string) => {
      const info = await memberInfo(bob, roomId);
      const entry =
        info[userIdOrKey] ??
        Object.values(info).find((e: any) => e.user_id === userIdOrKey || e['dev.wayfarer.link']?.localpart === userIdOrKey);
      return entry?.['dev.wayfarer.link']?.status as string | undefined;
    };
    await waitFor('both verified on gamma', async () => (await linkOf(aliceKey)) === 'verified' && (await linkOf('dora')) === 'verified');
    await waitFor('alpha to be back in federation', async () => (await say(aliceAlpha, roomId, 'still on alpha')) !== undefined);
    const body = { moved_to: aliceBeta.userId };
    const bare = await aliceAlpha.post(`${PREFIX}/account/moved`, body);
    expect(bare.status).toBe(401);
    expect(bare.body.flows).toContainEqual({ stages: ['dev.wayfarer.login.account_key'] });
    expect((await aliceAlpha.post(`${PREFIX}/account/moved`, { moved_to: 'nonsense' })).body.errcode).toBe('M_BAD_JSON');
    expect((await aliceAlpha.post(`${PREFIX}/account/moved`, { moved_to: `@x:${alpha.serverName}` })).body.errcode).toBe('M_INVALID_PARAM');
    expect((await bob.post(`${PREFIX}/account/moved`, body)).body.errcode).toBe('M_INVALID_PARAM');

    const auth = { ...(await proveAccountKey({ baseUrl: alpha.baseUrl, serverName: alpha.serverName }, secret)), session: 'x' };
    const moved = await aliceAlpha.post(`${PREFIX}/account/moved`, { ...body, auth });
    expect(moved.status, JSON.stringify(moved.body)).toBe(200);
    expect(moved.body.moved_to).toBe(aliceBeta.userId);
    expect(moved.body.forgotten_keys).toBeGreaterThan(0);
    expect(moved.body.disowned_links).toBeGreaterThan(0);
    expect(moved.body.resigned_links).toBeGreaterThan(0);
    await devAdmin(gamma, 'recheck_links');
    await waitFor('alice’s old link unverified on gamma', async () => (await linkOf(aliceKey)) === 'unverified');
    expect(await linkOf('dora')).toBe('verified');
    // Alpha itself goes on serving its other users after the rotation.
    const afterSync = await dora.get('/_matrix/client/v3/sync?timeout=0');
    expect(afterSync.status, JSON.stringify(afterSync.body).slice(0, 500)).toBe(200);
    const newcomer = await user(alpha, 'newcomer');
    expect((await newcomer.get('/_matrix/client/v3/sync?timeout=0')).status).toBe(200);
    // …and its links settle: incremental syncs with nothing new keep the same position (no endless link "changes").
    const second = await dora.get(`/_matrix/client/v3/sync?timeout=0&since=${enc(afterSync.body.next_batch)}`);
    const third = await dora.get(`/_matrix/client/v3/sync?timeout=0&since=${enc(second.body.next_batch)}`);
    expect(third.body.next_batch).toBe(second.body.next_batch);
    expect((await aliceAlpha.get(`${PREFIX}/account/portable`)).body).toEqual({
      account_key: encodeBase64Url(await accountKeyBytes()),
      moved_to: aliceBeta.userId,
    });

    const send = await aliceAlpha.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/after-moved`, {
      msgtype: 'm.text',
      body: 'should not be sent',
    });
    expect(send.status).toBe(403);
    expect(send.body.error).toMatch(/moved to/);
    const fresh = await bob.post('/_matrix/client/v3/createRoom', { preset: 'public_chat' });
    const join = await aliceAlpha.post(`/_matrix/client/v3/join/${enc(fresh.body.room_id)}?server_name=${enc(gamma.serverName)}`, {});
    expect(join.status).toBe(403);
    // Marking again with the same target is a no-op.
    expect((await aliceAlpha.post(`${PREFIX}/account/moved`, body)).status).toBe(200);
  });
});

async function accountKeyBytes(): Promise<Uint8Array> {
  const { deriveAccountKey } = await import('../../src/protocol');
  return deriveAccountKey(secret).publicKey;
}
