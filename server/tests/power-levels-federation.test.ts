// Power levels in a member-key room across two servers (PROTOCOL.md §5): clients read `users` keyed like
// `sender` (verified user ID, else the unverified/erased forms), and may write those same IDs back, for members
// of either server; the server stores member keys. An ID that names no member is refused with a clear error.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CREATOR_POWER_LEVEL } from '../rooms/client-format';
import type { RunningHomeserver } from '../testing/spawn';
import type { TestClient } from '../testing/http-client';
import { devAdmin, enc, roomState, startServers, user, waitFor } from '../testing/federation-harness';

let alpha: RunningHomeserver;
let beta: RunningHomeserver;
let alice: TestClient;
let carl: TestClient;
let mallory: TestClient;
let bob: TestClient;
let roomId: string;

const keyOf = async (viewer: TestClient, userId: string) => {
  const reply = await viewer.get(`/_matrix/client/v3/rooms/${enc(roomId)}/members`);
  const event = (reply.body.chunk as any[]).find((e) => e.state_key === userId);
  return event?.unsigned['org.matrix.msc4428.stable_id_state_key'] as string | undefined;
};
const putLevels = (client: TestClient, users: Record<string, number>) =>
  roomState(client, roomId, 'm.room.power_levels').then((current) =>
    client.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.power_levels/`, { ...current, users }),
  );

beforeAll(async () => {
  [alpha, beta] = await startServers(['alpha.localhost:19203', 'beta.localhost:19204']);
  [alice, carl, mallory, bob] = await Promise.all([user(alpha, 'alice'), user(alpha, 'carl'), user(alpha, 'mallory'), user(beta, 'bob')]);
  roomId = (await alice.post('/_matrix/client/v3/createRoom', { preset: 'public_chat' })).body.room_id;
  for (const member of [carl, mallory]) expect((await member.post(`/_matrix/client/v3/join/${enc(roomId)}`, {})).status).toBe(200);
  const joined = await bob.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(alpha.serverName)}`, {});
  expect(joined.status, JSON.stringify(joined.body)).toBe(200);
});

afterAll(async () => {
  await Promise.all([alpha, beta].filter(Boolean).map((s) => s.dispose()));
});

describe('power levels in a member-key room over federation', () => {
  it('the other server shows the creator by user ID, never as erased', async () => {
    const levels = await waitFor('power levels on beta', () => roomState(bob, roomId, 'm.room.power_levels'));
    expect(levels.users[alice.userId!]).toBe(CREATOR_POWER_LEVEL);
    expect(Object.keys(levels.users).filter((id) => id.startsWith('@_erased_'))).toEqual([]);
  });

  it('alpha writes a level for beta’s member by user ID; both servers read it back by user ID', async () => {
    const reply = await putLevels(alice, { [bob.userId!]: 100 });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    const bobKey = await keyOf(alice, bob.userId!);
    const stored = (await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(reply.body.event_id)}`)).body;
    expect(stored.content.users).toEqual({ [bob.userId!]: 100, [alice.userId!]: CREATOR_POWER_LEVEL });
    expect(bobKey).toBeDefined();
    await waitFor('bob at 100 on beta', async () => (await roomState(bob, roomId, 'm.room.power_levels'))?.users?.[bob.userId!] === 100);
  });

  it('beta writes a level for alpha’s member by user ID (translated to the member key on beta)', async () => {
    const reply = await putLevels(bob, { [bob.userId!]: 100, [carl.userId!]: 50 });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    await waitFor('carl at 50 on alpha', async () => (await roomState(alice, roomId, 'm.room.power_levels'))?.users?.[carl.userId!] === 50);
    expect((await roomState(bob, roomId, 'm.room.power_levels')).users).toEqual({
      [bob.userId!]: 100,
      [carl.userId!]: 50,
      [alice.userId!]: CREATOR_POWER_LEVEL,
    });
  });

  it('an unverified member is read and written in its MSC4014 form', async () => {
    await devAdmin(alpha, 'forge_member', {
      room_id: roomId,
      user_id: mallory.userId,
      claimed_domain: beta.serverName,
      localpart: 'mallory',
    });
    const forgedId = `@_unverified_mallory_${beta.serverName.replace(':', '=3a')}:${alpha.serverName}`;
    const reply = await putLevels(alice, { [bob.userId!]: 100, [carl.userId!]: 50, [forgedId]: 10 });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect((await roomState(alice, roomId, 'm.room.power_levels')).users[forgedId]).toBe(10);
  });

  it('a user ID that names no member of the room is refused with M_INVALID_PARAM, on either server', async () => {
    for (const [client, stranger] of [
      [alice, `@nobody:${beta.serverName}`],
      [bob, `@nobody:${alpha.serverName.replace('alpha', 'gamma')}`],
    ] as const) {
      const reply = await putLevels(client, { [bob.userId!]: 100, [stranger]: 50 });
      expect(reply.status).toBe(400);
      expect(reply.body.errcode).toBe('M_INVALID_PARAM');
      expect(reply.body.error).toContain(stranger);
    }
  });
});
