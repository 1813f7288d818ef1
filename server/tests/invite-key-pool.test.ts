// The invite-key pool (PROTOCOL.md §5 "Invites to portable accounts"), over real HTTP on two federating servers: a
// portable account uploads public keys derived from K; an invite that needs a member key for it (local, or through
// MSC4430's federation member_key lookup) takes one, once only; the invitee sees the nonce in unsigned, accepts with
// the seed derived from it (a wrong seed or none is refused), and the join's member event carries the nonce, which
// survives redaction. With the pool empty the server makes the key itself, as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  deriveInviteMemberKey,
  deriveMemberKey,
  deriveMemberRoot,
  encodeBase64,
  generateInviteKeyNonce,
  generateRecoverySecret,
  memberIdFromPublicKey,
} from '../../src/protocol';
import { registerWithAccountKey } from '../../src/features/portable/accountKeyAuth';
import type { RunningHomeserver } from '../testing/spawn';
import { enc, ok, TestClient } from '../testing/http-client';
import { startServers, waitFor } from '../testing/federation-harness';
import { portableClient } from '../testing/move-cast';
import { HostileServer } from '../testing/hostile-server';
import { snapshotFromSync } from '../../src/features/migration/snapshot';
import { buildPlan } from '../../src/features/migration/plan';
import { createJournal, progressOf } from '../../src/features/migration/journal';
import { createExecutor, memberSeedFor } from '../../src/features/migration/executor';
import { runMigration } from '../../src/features/migration/runner';

const ALPHA = 'alpha.localhost:21101';
const BETA = 'beta.localhost:21102';
const GAMMA = 'gamma.localhost:21103';
const PREFIX = '/_matrix/client/unstable/dev.wayfarer';
const NONCE = 'dev.wayfarer.member_key_nonce';
const KEY_NONCE = 'dev.wayfarer.key_nonce';
const COUNT = 'dev.wayfarer.member_keys_count';
const STABLE_STATE_KEY = 'org.matrix.msc4428.stable_id_state_key';

let alpha: RunningHomeserver;
let beta: RunningHomeserver;
let gamma: RunningHomeserver;
let carol: TestClient; // password account on alpha
let bob: TestClient; // password account on beta

beforeAll(async () => {
  [alpha, beta, gamma] = await startServers([ALPHA, BETA, GAMMA]);
  carol = await new TestClient(alpha.baseUrl).register('carol');
  bob = await new TestClient(beta.baseUrl).register('bob');
}, 120_000);
afterAll(async () => {
  await Promise.all([alpha?.dispose(), beta?.dispose(), gamma?.dispose()]);
});

let accounts = 0;
/** A fresh portable account on alpha, with its member-key root. */
async function portable(secret = generateRecoverySecret()): Promise<{ client: TestClient; root: Uint8Array }> {
  const session = await registerWithAccountKey({ baseUrl: alpha.baseUrl, serverName: ALPHA }, secret, `portable${++accounts}`);
  const client = Object.assign(new TestClient(alpha.baseUrl), {
    accessToken: session.accessToken,
    userId: session.userId,
    deviceId: session.deviceId,
  });
  return { client, root: deriveMemberRoot(secret) };
}

/** Uploads `n` pool keys derived from K, as a client does; returns their nonces. */
async function upload(client: TestClient, root: Uint8Array, n: number): Promise<string[]> {
  const nonces = Array.from({ length: n }, () => generateInviteKeyNonce());
  const keys = Object.fromEntries(nonces.map((nonce) => [nonce, encodeBase64(deriveInviteMemberKey(root, nonce).publicKey)]));
  const reply = await ok(client.post(`${PREFIX}/member_keys/upload`, { keys }));
  expect(typeof reply.count).toBe('number');
  return nonces;
}

async function poolCount(client: TestClient): Promise<number> {
  return (await ok(client.get('/_matrix/client/v3/sync?timeout=0')))[COUNT];
}

/** The invite's member event as the invitee's /sync shows it (invite_state), once it is there. */
async function inviteSeenBy(client: TestClient, roomId: string): Promise<any> {
  return waitFor(`the invite to ${roomId} in ${client.userId}'s sync`, async () => {
    const sync = await ok(client.get('/_matrix/client/v3/sync?timeout=0'));
    const events: any[] = sync.rooms?.invite?.[roomId]?.invite_state?.events ?? [];
    return events.find((e) => e.type === 'm.room.member' && e.content?.membership === 'invite');
  });
}

/** The member key an invite named, from the inviter's view of the room state. */
async function invitedKey(inviter: TestClient, roomId: string, userId: string): Promise<string> {
  const localpart = userId.slice(1, userId.indexOf(':'));
  return waitFor(`${userId}'s invite in ${roomId}`, async () => {
    const state: any[] = await ok(inviter.get(`/_matrix/client/v3/rooms/${enc(roomId)}/state`));
    const member = state.find((e) => e.type === 'm.room.member' && e.content.membership === 'invite' && e.content.localpart === localpart);
    return member?.unsigned?.[STABLE_STATE_KEY];
  });
}

async function privateRoom(client: TestClient, name: string): Promise<string> {
  return (await ok(client.post('/_matrix/client/v3/createRoom', { name, preset: 'private_chat' }))).room_id;
}

describe('invite-key pool: upload and count', () => {
  it('stores public keys, reports the unused count in /sync, accepts a repeat and refuses bad or conflicting keys', async () => {
    const { client, root } = await portable();
    expect(await poolCount(client)).toBe(0);
    const nonces = await upload(client, root, 3);
    expect(await poolCount(client)).toBe(3);
    // The same upload again (a retry) changes nothing.
    const again = { [nonces[0]!]: encodeBase64(deriveInviteMemberKey(root, nonces[0]!).publicKey) };
    expect((await ok(client.post(`${PREFIX}/member_keys/upload`, { keys: again }))).count).toBe(3);
    const conflicting = { [nonces[0]!]: encodeBase64(deriveInviteMemberKey(root, 'another-nonce-000').publicKey) };
    const refused = await client.post(`${PREFIX}/member_keys/upload`, { keys: conflicting });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatch(/uploaded before with another key/);
    for (const keys of [
      { short: encodeBase64(new Uint8Array(32)) },
      { [generateInviteKeyNonce()]: 'not base64!' },
      { [generateInviteKeyNonce()]: encodeBase64(new Uint8Array(31)) },
    ]) {
      const bad = await client.post(`${PREFIX}/member_keys/upload`, { keys });
      expect(bad.status).toBe(400);
      expect(bad.body.errcode).toBe('M_INVALID_PARAM');
    }
    expect((await client.post(`${PREFIX}/member_keys/upload`, { keys: [1, 2] })).status).toBe(400);
    expect(await poolCount(client)).toBe(3);
  });

  it('a password account has no pool: upload is 403 and /sync has no count', async () => {
    const reply = await carol.post(`${PREFIX}/member_keys/upload`, { keys: {} });
    expect(reply.status).toBe(403);
    expect((await ok(carol.get('/_matrix/client/v3/sync?timeout=0')))[COUNT]).toBeUndefined();
  });
});

describe('invite-key pool: a local invite', () => {
  it('takes one pool key once only; the invitee sees its nonce, joins with its seed (wrong or missing seed refused), and the nonce survives redaction', async () => {
    const { client: alice, root } = await portable();
    const nonces = await upload(alice, root, 3);
    const first = await privateRoom(carol, 'First');
    const second = await privateRoom(carol, 'Second');
    await ok(carol.post(`/_matrix/client/v3/rooms/${enc(first)}/invite`, { user_id: alice.userId }));
    await ok(carol.post(`/_matrix/client/v3/rooms/${enc(second)}/invite`, { user_id: alice.userId }));

    const firstKey = await invitedKey(carol, first, alice.userId!);
    const secondKey = await invitedKey(carol, second, alice.userId!);
    const poolKeys = new Map(nonces.map((n) => [memberIdFromPublicKey(deriveInviteMemberKey(root, n).publicKey), n]));
    // Each invite took a different key from the pool; two are gone.
    expect(poolKeys.has(firstKey)).toBe(true);
    expect(poolKeys.has(secondKey)).toBe(true);
    expect(firstKey).not.toBe(secondKey);
    expect(await poolCount(alice)).toBe(1);

    // Only the invitee learns the nonce.
    const seen = await inviteSeenBy(alice, first);
    const nonce = seen.unsigned?.[NONCE];
    expect(nonce).toBe(poolKeys.get(firstKey));
    const carolsView: any[] = await ok(carol.get(`/_matrix/client/v3/rooms/${enc(first)}/state`));
    expect(carolsView.some((e) => e.unsigned?.[NONCE] !== undefined)).toBe(false);

    // Accepting needs the seed of the invited key.
    const noSeed = await alice.post(`/_matrix/client/v3/join/${enc(first)}`, {});
    expect(noSeed.status).toBe(400);
    expect(noSeed.body.errcode).toBe('M_MISSING_PARAM');
    expect(noSeed.body.error).toContain(nonce);
    const wrongSeed = await alice.post(`/_matrix/client/v3/join/${enc(first)}`, {
      'dev.wayfarer.member_seed': encodeBase64(deriveMemberKey(root, first).seed),
    });
    expect(wrongSeed.status).toBe(400);
    expect(wrongSeed.body.errcode).toBe('M_INVALID_PARAM');
    expect(wrongSeed.body.error).toMatch(/invite-key pool/);
    const otherPoolSeed = await alice.post(`/_matrix/client/v3/join/${enc(first)}`, {
      'dev.wayfarer.member_seed': encodeBase64(deriveInviteMemberKey(root, poolKeys.get(secondKey)!).seed),
    });
    expect(otherPoolSeed.status).toBe(400);
    await ok(
      alice.post(`/_matrix/client/v3/join/${enc(first)}`, {
        'dev.wayfarer.member_seed': encodeBase64(deriveInviteMemberKey(root, nonce).seed),
      }),
    );

    // The join carries the nonce; the server now holds the seed and signs as the key.
    const join = await ok(alice.get(`/_matrix/client/v3/rooms/${enc(first)}/state/m.room.member/${enc(alice.userId!)}`));
    expect(join).toMatchObject({ membership: 'join', [KEY_NONCE]: nonce });
    await ok(alice.put(`/_matrix/client/v3/rooms/${enc(first)}/send/m.room.message/t1`, { msgtype: 'm.text', body: 'hi' }));
    // A profile change keeps it (the client does not have to send it).
    await ok(
      alice.put(`/_matrix/client/v3/rooms/${enc(first)}/state/m.room.member/${enc(alice.userId!)}`, {
        membership: 'join',
        displayname: 'Al',
      }),
    );
    const renamed = await ok(alice.get(`/_matrix/client/v3/rooms/${enc(first)}/state/m.room.member/${enc(alice.userId!)}`));
    expect(renamed).toMatchObject({ displayname: 'Al', [KEY_NONCE]: nonce });

    // Redacting the member event keeps the nonce (and domain), drops the rest.
    const state: any[] = await ok(carol.get(`/_matrix/client/v3/rooms/${enc(first)}/state`));
    const memberEvent = state.find((e) => e.type === 'm.room.member' && e.unsigned?.[STABLE_STATE_KEY] === firstKey);
    await ok(carol.put(`/_matrix/client/v3/rooms/${enc(first)}/redact/${enc(memberEvent.event_id)}/r1`, { reason: 'test' }));
    const redacted = await ok(carol.get(`/_matrix/client/v3/rooms/${enc(first)}/event/${enc(memberEvent.event_id)}`));
    expect(redacted.content).toEqual({ membership: 'join', domain: ALPHA, [KEY_NONCE]: nonce });
    // The federation form (what any server or browser verifies) keeps it too.
    const fed = await ok(alice.get(`${PREFIX}/rooms/${enc(first)}/member_event/${enc(firstKey)}`));
    expect(fed.content[KEY_NONCE]).toBe(nonce);
  });

  it('declining a pool-keyed invite brings the seed too (the server holds only the public key)', async () => {
    const { client: alice, root } = await portable();
    await upload(alice, root, 1);
    const room = await privateRoom(carol, 'Declined');
    await ok(carol.post(`/_matrix/client/v3/rooms/${enc(room)}/invite`, { user_id: alice.userId }));
    const nonce = (await inviteSeenBy(alice, room)).unsigned[NONCE];
    const noSeed = await alice.post(`/_matrix/client/v3/rooms/${enc(room)}/leave`, {});
    expect(noSeed.status).toBe(400);
    expect(noSeed.body.errcode).toBe('M_MISSING_PARAM');
    await ok(
      alice.post(`/_matrix/client/v3/rooms/${enc(room)}/leave`, {
        'dev.wayfarer.member_seed': encodeBase64(deriveInviteMemberKey(root, nonce).seed),
      }),
    );
    const state: any[] = await ok(carol.get(`/_matrix/client/v3/rooms/${enc(room)}/state`));
    const member = state.find(
      (e) => e.type === 'm.room.member' && e.content.localpart === alice.userId!.slice(1, alice.userId!.indexOf(':')),
    );
    expect(member.content.membership).toBe('leave');
  });

  it('with the pool empty the server makes the key: no nonce, a join without seed works', async () => {
    const { client: alice, root } = await portable();
    const room = await privateRoom(carol, 'Empty pool');
    await ok(carol.post(`/_matrix/client/v3/rooms/${enc(room)}/invite`, { user_id: alice.userId }));
    const seen = await inviteSeenBy(alice, room);
    expect(seen.unsigned?.[NONCE]).toBeUndefined();
    const key = await invitedKey(carol, room, alice.userId!);
    expect(key).not.toBe(memberIdFromPublicKey(deriveMemberKey(root, room).publicKey));
    await ok(alice.post(`/_matrix/client/v3/join/${enc(room)}`, {}));
    const join = await ok(alice.get(`/_matrix/client/v3/rooms/${enc(room)}/state/m.room.member/${enc(alice.userId!)}`));
    expect(join.membership).toBe('join');
    expect(join[KEY_NONCE]).toBeUndefined();
  });

  it('a pool key that already names a member of the room is spent, never handed out for it', async () => {
    const { client: alice, root } = await portable();
    const room = await privateRoom(carol, 'Copied key');
    // Alice uploads carol's member key in that room as if it were hers (public keys are public), then a real one.
    const carolsKey = await waitFor('carol in the room', async () => {
      const state: any[] = await ok(carol.get(`/_matrix/client/v3/rooms/${enc(room)}/state`));
      return state.find((e) => e.type === 'm.room.member' && e.content.localpart === 'carol')?.unsigned?.[STABLE_STATE_KEY];
    });
    const copied = generateInviteKeyNonce();
    await ok(alice.post(`${PREFIX}/member_keys/upload`, { keys: { [copied]: carolsKey.slice(1) } }));
    const [own] = await upload(alice, root, 1);
    await ok(carol.post(`/_matrix/client/v3/rooms/${enc(room)}/invite`, { user_id: alice.userId }));
    expect(await invitedKey(carol, room, alice.userId!)).toBe(memberIdFromPublicKey(deriveInviteMemberKey(root, own!).publicKey));
    expect(await poolCount(alice)).toBe(0);
  });
});

describe('invite-key pool: an invite from another server', () => {
  it("beta's member_key lookup takes a pool key once only; alice accepts with its seed and beta's room state carries the nonce", async () => {
    const { client: alice, root } = await portable();
    const nonces = await upload(alice, root, 2);
    const room = await privateRoom(bob, 'Beta room');
    await ok(bob.post(`/_matrix/client/v3/rooms/${enc(room)}/invite`, { user_id: alice.userId }));
    const key = await invitedKey(bob, room, alice.userId!);
    const nonce = nonces.find((n) => memberIdFromPublicKey(deriveInviteMemberKey(root, n).publicKey) === key);
    expect(nonce).toBeDefined();
    expect(await poolCount(alice)).toBe(1);

    const seen = await inviteSeenBy(alice, room);
    expect(seen.unsigned?.[NONCE]).toBe(nonce);
    await ok(
      alice.post(`/_matrix/client/v3/join/${enc(room)}?server_name=${enc(BETA)}`, {
        'dev.wayfarer.member_seed': encodeBase64(deriveInviteMemberKey(root, nonce!).seed),
      }),
    );
    const join = await waitFor("alice's join on beta", async () => {
      const state: any[] = await ok(bob.get(`/_matrix/client/v3/rooms/${enc(room)}/state`));
      return state.find((e) => e.type === 'm.room.member' && e.unsigned?.[STABLE_STATE_KEY] === key && e.content.membership === 'join');
    });
    expect(join.content[KEY_NONCE]).toBe(nonce);
    // A second invite (another room) takes the other key; asking again for the same room gives the same key.
    const other = await privateRoom(bob, 'Beta room 2');
    await ok(bob.post(`/_matrix/client/v3/rooms/${enc(other)}/invite`, { user_id: alice.userId }));
    const otherKey = await invitedKey(bob, other, alice.userId!);
    expect(otherKey).not.toBe(key);
    expect(await poolCount(alice)).toBe(0);
  });
});

describe('invite-key pool: a hostile server', () => {
  it('asking member_key for made-up rooms takes at most 5 pool keys; after that it gets server-made keys, and the pool stays for honest invites', async () => {
    const evil = await HostileServer.start(21104, 'evil');
    try {
      const { client: alice, root } = await portable();
      const nonces = await upload(alice, root, 8);
      const poolKeys = new Set(nonces.map((n) => memberIdFromPublicKey(deriveInviteMemberKey(root, n).publicKey)));
      const handed: string[] = [];
      for (let i = 0; i < 7; i++) handed.push(await evil.memberKeyOf(alpha, `!made-up-room-${i}-${accounts}`, alice.userId!));
      expect(handed.filter((k) => poolKeys.has(k))).toHaveLength(5);
      expect(await poolCount(alice)).toBe(3);
      // Asking again for a room it already asked about gives the same key (once only, no new one).
      expect(await evil.memberKeyOf(alpha, `!made-up-room-0-${accounts}`, alice.userId!)).toBe(handed[0]);
      // An honest invite from beta still gets a pool key.
      const room = await privateRoom(bob, 'After the drain');
      await ok(bob.post(`/_matrix/client/v3/rooms/${enc(room)}/invite`, { user_id: alice.userId }));
      expect(poolKeys.has(await invitedKey(bob, room, alice.userId!))).toBe(true);
      expect(await poolCount(alice)).toBe(2);
    } finally {
      await evil.close();
    }
  });
});

/** Node does not resolve `*.localhost` everywhere: send those names to loopback, as Chromium does. */
const loopbackFetch: typeof fetch = (input, init) => {
  const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
  if (url.hostname.endsWith('.localhost')) url.hostname = '127.0.0.1';
  return fetch(url, init);
};

describe('invite-key pool: a migration', () => {
  it('adopts a room alice was invited to (same key, re-derived from K and the nonce in room state) instead of re-inviting; the nonce stays', async () => {
    const secret = generateRecoverySecret();
    const { client: alice, root } = await portable(secret);
    await upload(alice, root, 2);
    const room = await privateRoom(bob, 'Invited');
    await ok(bob.post(`/_matrix/client/v3/rooms/${enc(room)}/invite`, { user_id: alice.userId }));
    const nonce = (await inviteSeenBy(alice, room)).unsigned[NONCE];
    await ok(
      alice.post(`/_matrix/client/v3/join/${enc(room)}?server_name=${enc(BETA)}`, {
        'dev.wayfarer.member_seed': encodeBase64(deriveInviteMemberKey(root, nonce).seed),
      }),
    );
    const sync = await ok(alice.get('/_matrix/client/v3/sync?timeout=0'));
    const snapshot = snapshotFromSync(sync, { userId: alice.userId!, serverName: ALPHA, baseUrl: alpha.baseUrl, portable: true });
    const snap = snapshot.rooms.find((r) => r.roomId === room)!;
    expect(snap.keyNonce).toBe(nonce);
    const aliceGamma = await portableClient(gamma, secret, `mover${accounts}`);
    const items = buildPlan({
      snapshot,
      path: 'portable',
      targetUserId: aliceGamma.userId!,
      keyIsDerivable: (r) => memberSeedFor(root, r) !== undefined,
    });
    expect(items.find((i) => i.roomId === room)?.action).toBe('adopt');
    const journal = createJournal({
      id: 'pool-move',
      path: 'portable',
      source: { userId: alice.userId!, serverName: ALPHA, baseUrl: alpha.baseUrl },
      target: {
        userId: aliceGamma.userId!,
        serverName: GAMMA,
        baseUrl: gamma.baseUrl,
        accessToken: aliceGamma.accessToken!,
        deviceId: aliceGamma.deviceId!,
      },
      options: { notice: false, leaveOld: false },
      snapshot,
      items,
    });
    const execute = createExecutor({
      fetch: loopbackFetch,
      source: { baseUrl: alpha.baseUrl, accessToken: alice.accessToken! },
      memberRoot: root,
    });
    const done = await runMigration(journal, execute, { save: async () => undefined });
    expect(
      progressOf(done)
        // The plan's "your files stay on alpha" line is never run: skipped, not failed.
        .items.filter((i) => i.state !== 'done' && !(i.state === 'skipped' && !i.item.movable))
        .map((i) => i.error),
    ).toEqual([]);
    expect(progressOf(done).items.find((i) => i.item.roomId === room)?.state).toBe('done');
    // Beta sees the same key, now claimed by gamma, and its member event still names the nonce.
    const moved = await waitFor('the key claimed by gamma on beta', async () => {
      const state: any[] = await ok(bob.get(`/_matrix/client/v3/rooms/${enc(room)}/state`));
      return state.find(
        (e) => e.type === 'm.room.member' && e.unsigned?.[STABLE_STATE_KEY] === snap.memberKey && e.content.domain === GAMMA,
      );
    });
    expect(moved.content[KEY_NONCE]).toBe(nonce);
    expect(moved.content.membership).toBe('join');
    expect(snap.memberKey).toBe(memberIdFromPublicKey(deriveInviteMemberKey(root, nonce).publicKey));
  });
});
