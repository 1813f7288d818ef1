// Multi-process federation: real homeserver processes on loopback share rooms in both room versions.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHomeserver } from '../testing/spawn';
import type { TestClient } from '../testing/http-client';
import { bodies, devAdmin, enc, roomState, say, startServers, user, waitFor } from '../testing/federation-harness';
import { assertMatchesSpec } from '../testing/openapi';

const VERSIONS = ['org.matrix.12.4430', '11'] as const;

let alpha: RunningHomeserver;
let beta: RunningHomeserver;
let gamma: RunningHomeserver;
let alice: TestClient;
let bob: TestClient;
let gina: TestClient;

beforeAll(async () => {
  [alpha, beta, gamma] = await startServers(['alpha.localhost:18711', 'beta.localhost:18712', 'gamma.localhost:18713']);
  [alice, bob, gina] = await Promise.all([user(alpha, 'alice'), user(beta, 'bob'), user(gamma, 'gina')]);
});

afterAll(async () => {
  // FED_DEBUG=1 prints the servers' logs (federation failures are logged there).
  if (process.env.FED_DEBUG) for (const s of [alpha, beta, gamma]) console.log(`---- ${s?.serverName}\n${s?.output().slice(-4000)}`);
  await Promise.all([alpha, beta, gamma].filter(Boolean).map((s) => s.dispose()));
});

async function sharedRoom(version: string, options: Record<string, unknown> = {}): Promise<string> {
  const created = await alice.post('/_matrix/client/v3/createRoom', { room_version: version, ...options });
  expect(created.status).toBe(200);
  const roomId: string = created.body.room_id;
  const invite = await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: bob.userId });
  expect(invite.status, JSON.stringify(invite.body)).toBe(200);
  // The invite reaches bob's server and shows in his sync before he joins.
  await waitFor('the invite in bob’s sync', async () => (await bob.get('/_matrix/client/v3/sync?timeout=0')).body.rooms?.invite?.[roomId]);
  const join = await bob.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(alpha.serverName)}`, {});
  expect(join.status, JSON.stringify(join.body)).toBe(200);
  return roomId;
}

const seen = (client: TestClient, roomId: string, wanted: string[]) =>
  waitFor(`${client.userId} to see ${wanted.join(', ')}`, async () => {
    const got = await bodies(client, roomId);
    return wanted.every((w) => got.includes(w)) && got;
  });

describe.each(VERSIONS)('federation in room version %s', (version) => {
  it('invites across servers, joins, and chats both ways; senders keep their identity', async () => {
    const roomId = await sharedRoom(version);
    await say(alice, roomId, `alpha says hi (${version})`);
    await seen(bob, roomId, [`alpha says hi (${version})`]);
    await say(bob, roomId, `beta answers (${version})`);
    const onAlpha = await seen(alice, roomId, [`alpha says hi (${version})`, `beta answers (${version})`]);
    expect(onAlpha.indexOf(`alpha says hi (${version})`)).toBeLessThan(onAlpha.indexOf(`beta answers (${version})`));

    const messages = (await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=50`)).body.chunk as any[];
    const fromBob = messages.find((e) => e.content?.body === `beta answers (${version})`);
    expect(fromBob.sender).toBe(bob.userId);
    if (version !== '11') expect(typeof fromBob.sender_key).toBe('string');
    // joined_members keeps the spec's shape in both room versions, keyed by user ID (PROTOCOL.md §5: matrix-nio shares
    // room keys with exactly these); member-key rooms add the stable ID, and give the MSC4428 form when asked.
    const joinedMembers = await bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/joined_members`);
    assertMatchesSpec('/rooms/{roomId}/joined_members', 'get', 200, joinedMembers.body);
    const members = joinedMembers.body.joined as Record<string, Record<string, unknown>>;
    expect(Object.keys(members).sort()).toEqual([alice.userId, bob.userId].sort());
    if (version !== '11') {
      expect(typeof members[alice.userId!]!['org.matrix.msc4428.stable_id']).toBe('string');
      const byKey = (await bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/joined_members?org.matrix.msc4428.stable_ids=true`)).body
        .joined as Record<string, { user_id?: string }>;
      expect(Object.keys(byKey).sort()).toEqual(
        Object.values(members)
          .map((m) => m['org.matrix.msc4428.stable_id'])
          .sort(),
      );
      expect(
        Object.values(byKey)
          .map((m) => m.user_id)
          .sort(),
      ).toEqual([alice.userId, bob.userId].sort());
    }

    // A kick by user ID reaches the kicked member's server (member-key rooms find bob's key from his claim).
    const kick = await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/kick`, { user_id: bob.userId, reason: 'bye' });
    expect(kick.status, JSON.stringify(kick.body)).toBe(200);
    await waitFor(
      'bob to be out of the room on beta',
      async () =>
        (await bob.get('/_matrix/client/v3/sync?timeout=0')).body.rooms?.leave?.[roomId] ??
        !((await bob.get('/_matrix/client/v3/joined_rooms')).body.joined_rooms as string[]).includes(roomId),
    );
    expect(await say(bob, roomId, 'still here?').catch((e: Error) => e.message)).toMatch(/403/);
    // The kick carries no claim of its own: bob keeps his verified handle in the member list.
    const memberEvents = (await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/members`)).body.chunk as any[];
    expect(memberEvents.find((e) => e.content.membership === 'leave')?.state_key).toBe(bob.userId);
  }, 60_000);

  it('rejecting an invite to a room on another server goes through make_leave/send_leave', async () => {
    const roomId = (await alice.post('/_matrix/client/v3/createRoom', { room_version: version })).body.room_id as string;
    expect((await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: bob.userId })).status).toBe(200);
    await waitFor('the invite on beta', async () => (await bob.get('/_matrix/client/v3/sync?timeout=0')).body.rooms?.invite?.[roomId]);
    const rejected = await bob.post(`/_matrix/client/v3/rooms/${enc(roomId)}/leave`, {});
    expect(rejected.status, JSON.stringify(rejected.body)).toBe(200);
    const leave = await waitFor('the rejection on alpha', async () => {
      const members = (await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/members`)).body.chunk as any[];
      return members.find((e) => e.state_key === bob.userId && e.content.membership === 'leave');
    });
    expect(leave.sender).toBe(bob.userId);
    expect((await bob.get('/_matrix/client/v3/sync?timeout=0')).body.rooms?.invite?.[roomId]).toBeUndefined();
  }, 60_000);

  it('a third server joins late by alias and backfills the history', async () => {
    const alias = `#late-${version.replace(/\W/g, '')}:${alpha.serverName}`;
    const created = await alice.post('/_matrix/client/v3/createRoom', {
      room_version: version,
      preset: 'public_chat',
      room_alias_name: alias.slice(1, alias.indexOf(':')),
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const roomId: string = created.body.room_id;
    const history = Array.from({ length: 12 }, (_, i) => `history ${i} (${version})`);
    for (const line of history) await say(alice, roomId, line);
    const join = await gina.post(`/_matrix/client/v3/join/${enc(alias)}`, {});
    expect(join.status, JSON.stringify(join.body)).toBe(200);
    expect(join.body.room_id).toBe(roomId);
    expect(await bodies(gina, roomId)).toEqual(history);
    await say(gina, roomId, `gamma arrives (${version})`);
    await seen(alice, roomId, [`gamma arrives (${version})`]);
  }, 60_000);
});

describe('direct messages and ephemeral events', () => {
  it('creates a DM with a user of another server; typing and read receipts cross over', async () => {
    const created = await alice.post('/_matrix/client/v3/createRoom', {
      is_direct: true,
      preset: 'trusted_private_chat',
      invite: [bob.userId],
    });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const roomId: string = created.body.room_id;
    const invite = await waitFor(
      'the DM invite on beta',
      async () => (await bob.get('/_matrix/client/v3/sync?timeout=0')).body.rooms?.invite?.[roomId],
    );
    const inviteEvent = (invite.invite_state.events as any[]).find((e) => e.type === 'm.room.member' && e.content.membership === 'invite');
    expect(inviteEvent.content.is_direct).toBe(true);
    expect((await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`, {})).status).toBe(200);
    const ephemeral = async (client: TestClient, type: string) =>
      ((await client.get('/_matrix/client/v3/sync?timeout=0')).body.rooms?.join?.[roomId]?.ephemeral?.events as any[] | undefined)?.find(
        (e) => e.type === type,
      );

    expect(
      (await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(alice.userId!)}`, { typing: true, timeout: 20_000 })).status,
    ).toBe(200);
    await waitFor('alice typing on beta', async () => (await ephemeral(bob, 'm.typing'))?.content.user_ids.includes(alice.userId));

    const eventId = await say(bob, roomId, 'read me');
    await seen(alice, roomId, ['read me']);
    expect((await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`, {})).status).toBe(200);
    await waitFor(
      'alice’s receipt on beta',
      async () => (await ephemeral(bob, 'm.receipt'))?.content[eventId]?.['m.read']?.[alice.userId!],
    );

    // Profiles of users of other servers come from their server (federation query/profile).
    expect((await bob.put(`/_matrix/client/v3/profile/${enc(bob.userId!)}/displayname`, { displayname: 'Bob of Beta' })).status).toBe(200);
    expect((await alice.get(`/_matrix/client/v3/profile/${enc(bob.userId!)}`)).body).toMatchObject({ displayname: 'Bob of Beta' });
    expect((await alice.get(`/_matrix/client/v3/profile/${enc(`@nobody:${beta.serverName}`)}`)).status).toBe(404);
  }, 60_000);
});

describe('resilience', () => {
  it('a server that stops and restarts catches up with no lost message, both ways', async () => {
    const roomId = await sharedRoom('org.matrix.12.4430');
    await say(alice, roomId, 'before the outage');
    await seen(bob, roomId, ['before the outage']);
    await beta.stop();
    const during = ['during 1', 'during 2', 'during 3'];
    for (const line of during) await say(alice, roomId, line);
    // Another destination is not held up by beta being down.
    await beta.restart();
    await seen(bob, roomId, ['before the outage', ...during]);
    await say(bob, roomId, 'back again');
    const onAlpha = await seen(alice, roomId, ['back again']);
    const onBeta = await seen(bob, roomId, ['back again']);
    expect(onBeta).toEqual(onAlpha);
  }, 90_000);

  it('the outgoing queue is persisted: it survives a restart of the sender while the receiver is down', async () => {
    const roomId = await sharedRoom('11');
    await say(alice, roomId, 'queue base');
    await seen(bob, roomId, ['queue base']);
    await beta.stop();
    await say(alice, roomId, 'queued while beta is down');
    await alpha.restart();
    await beta.restart();
    await seen(bob, roomId, ['queue base', 'queued while beta is down']);
  }, 90_000);

  it('a destination that is down does not block the others', async () => {
    const created = await alice.post('/_matrix/client/v3/createRoom', { room_version: 'org.matrix.12.4430', preset: 'public_chat' });
    const roomId: string = created.body.room_id;
    expect((await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: bob.userId })).status).toBe(200);
    const bobJoin = await bob.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(alpha.serverName)}`, {});
    expect(bobJoin.status, JSON.stringify(bobJoin.body)).toBe(200);
    expect((await gina.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(alpha.serverName)}`, {})).status).toBe(200);
    await devAdmin(beta, 'federation', { enabled: false });
    try {
      await say(alice, roomId, 'while beta is offline');
      await seen(gina, roomId, ['while beta is offline']);
      expect(await bodies(bob, roomId)).not.toContain('while beta is offline');
    } finally {
      await devAdmin(beta, 'federation', { enabled: true });
    }
    // Delivered once beta is back, and not soft-failed for a link beta could not check while it was offline.
    await seen(bob, roomId, ['while beta is offline']);
  }, 60_000);

  it.each(VERSIONS)(
    'concurrent state changes on two servers converge to the same state (%s)',
    async (version) => {
      const roomId = await sharedRoom(version, {
        power_level_content_override: { events: { 'm.room.name': 0, 'm.room.power_levels': 100 } },
      });
      await say(alice, roomId, 'fork base');
      await seen(bob, roomId, ['fork base']);
      await devAdmin(beta, 'federation', { enabled: false });
      try {
        expect((await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.name/`, { name: 'named on alpha' })).status).toBe(
          200,
        );
        expect((await bob.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.name/`, { name: 'named on beta' })).status).toBe(200);
        await say(alice, roomId, 'alpha side of the fork');
        await say(bob, roomId, 'beta side of the fork');
      } finally {
        await devAdmin(beta, 'federation', { enabled: true });
      }
      await seen(alice, roomId, ['beta side of the fork']);
      await seen(bob, roomId, ['alpha side of the fork']);
      const names = await waitFor('both servers to agree on the name', async () => {
        const [a, b] = await Promise.all([roomState(alice, roomId, 'm.room.name'), roomState(bob, roomId, 'm.room.name')]);
        return a?.name === b?.name && [a?.name, b?.name];
      });
      expect(['named on alpha', 'named on beta']).toContain(names[0]);
      // The whole state agrees, event for event.
      const stateIds = async (client: TestClient) =>
        ((await client.get(`/_matrix/client/v3/rooms/${enc(roomId)}/state`)).body as any[]).map((e) => e.event_id).sort();
      expect(await stateIds(alice)).toEqual(await stateIds(bob));
    },
    60_000,
  );
});
