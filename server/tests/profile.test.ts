// A profile change posts a member event only in the rooms where the member event does not show it yet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHomeserver, type RunningHomeserver } from '../testing/spawn';
import { enc, TestClient } from '../testing/http-client';
import { memberContentWithProfile } from '../client-api/profile';

let alpha: RunningHomeserver;
let alice: TestClient;
const rooms: string[] = [];

beforeAll(async () => {
  alpha = await startHomeserver({ serverName: 'alpha.localhost:19205' });
  alice = await new TestClient(alpha.baseUrl).register('alice');
  // One member-key room and one classic room.
  for (const version of [undefined, '11']) {
    const reply = await alice.post('/_matrix/client/v3/createRoom', {
      preset: 'private_chat',
      ...(version ? { room_version: version } : {}),
    });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    rooms.push(reply.body.room_id);
  }
});

afterAll(async () => {
  await alpha?.dispose();
});

/** Member events in each room, oldest first. */
const memberEvents = async () =>
  Promise.all(
    rooms.map(async (roomId) => {
      const reply = await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=100`);
      return (reply.body.chunk as any[]).filter((e) => e.type === 'm.room.member').reverse();
    }),
  );
const setName = async (name: string) =>
  expect((await alice.put(`/_matrix/client/v3/profile/${enc(alice.userId!)}/displayname`, { displayname: name })).status).toBe(200);

describe('profile changes and member events', () => {
  it('a new name is posted in every joined room; the same name again posts nothing', async () => {
    const before = (await memberEvents()).map((events) => events.length);
    await setName('Alice A.');
    const after = await memberEvents();
    expect(after.map((events) => events.length)).toEqual(before.map((n) => n + 1));
    for (const events of after) expect(events.at(-1).content.displayname).toBe('Alice A.');
    await setName('Alice A.');
    expect((await memberEvents()).map((events) => events.length)).toEqual(after.map((events) => events.length));
  });

  it('only the room whose member event shows something else gets a new event', async () => {
    const [memberKeyRoom, classicRoom] = rooms as [string, string];
    const reply = await alice.put(`/_matrix/client/v3/rooms/${enc(classicRoom)}/state/m.room.member/${enc(alice.userId!)}`, {
      membership: 'join',
      displayname: 'Ali (classic only)',
    });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    const before = (await memberEvents()).map((events) => events.length);
    await setName('Alice A.');
    const after = await memberEvents();
    expect(after.map((events) => events.length)).toEqual([before[0], before[1]! + 1]);
    expect(after[1]!.at(-1).content.displayname).toBe('Alice A.');
    expect(memberKeyRoom).toBeDefined();
  });
});

describe('memberContentWithProfile', () => {
  it('keeps other fields (the member-key claim) and drops cleared ones', () => {
    const current = { membership: 'join', displayname: 'a', avatar_url: 'mxc://x/y', localpart: 'alice', domain: 'alpha' };
    expect(memberContentWithProfile(current, { displayname: 'a', avatar_url: 'mxc://x/y' })).toBeUndefined();
    expect(memberContentWithProfile(current, { displayname: 'b', avatar_url: null })).toEqual({
      membership: 'join',
      displayname: 'b',
      localpart: 'alice',
      domain: 'alpha',
    });
    expect(memberContentWithProfile({ membership: 'join' }, { displayname: null, avatar_url: null })).toBeUndefined();
  });
});
