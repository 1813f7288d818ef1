// Invites and the membership transitions that follow them, across servers and within one, in both room versions,
// as a spec client sees them (issue 14; PROTOCOL.md §5): an invite's member event names the invitee by user ID on
// the invitee's server and on the inviter's, with the inviter's member event in the stripped state, and a link
// still being made is `pending`, never an impostor.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHomeserver } from '../testing/spawn';
import type { TestClient } from '../testing/http-client';
import { bodies, devAdmin, enc, say, startServers, user, waitFor } from '../testing/federation-harness';

const VERSIONS = ['org.matrix.12.4430', '11'] as const;
const SYNC = '/_matrix/client/v3/sync?timeout=0';
const MEMBER_INFO = 'org.matrix.msc4428.member_info';

let alpha: RunningHomeserver;
let beta: RunningHomeserver;
let gamma: RunningHomeserver;
let alice: TestClient;
let amy: TestClient;
let bob: TestClient;
let gina: TestClient;

beforeAll(async () => {
  [alpha, beta, gamma] = await startServers(['alpha.localhost:21011', 'beta.localhost:21012', 'gamma.localhost:21013']);
  [alice, amy, bob, gina] = await Promise.all([user(alpha, 'alice'), user(alpha, 'amy'), user(beta, 'bob'), user(gamma, 'gina')]);
  await alice.put(`/_matrix/client/v3/profile/${enc(alice.userId!)}/displayname`, { displayname: 'Alice Liddell' });
}, 180_000);

afterAll(async () => {
  if (process.env.FED_DEBUG) for (const s of [alpha, beta, gamma]) console.log(`---- ${s?.serverName}\n${s?.output().slice(-6000)}`);
  await Promise.all([alpha, beta, gamma].filter(Boolean).map((s) => s.dispose()));
});

const sync = async (client: TestClient) => (await client.get(SYNC)).body;
const invitedTo = (client: TestClient, roomId: string) =>
  waitFor(`the invite to ${roomId} in ${client.userId}’s sync`, async () => (await sync(client)).rooms?.invite?.[roomId]);
const inviteEventOf = (invite: any, userId: string) =>
  (invite.invite_state.events as any[]).find(
    (e) => e.type === 'm.room.member' && e.content.membership === 'invite' && e.state_key === userId,
  );

async function post(client: TestClient, path: string, body: unknown = {}): Promise<any> {
  const reply = await client.post(path, body);
  expect(reply.status, `${path}: ${JSON.stringify(reply.body)}`).toBe(200);
  return reply.body;
}
const act = (client: TestClient, roomId: string, action: string, body: unknown = {}) =>
  post(client, `/_matrix/client/v3/rooms/${enc(roomId)}/${action}`, body);

/** The membership of `userId` as `viewer` sees it in the room's member list (state_key by user ID). */
async function membershipSeen(viewer: TestClient, roomId: string, userId: string): Promise<string | undefined> {
  const reply = await viewer.get(`/_matrix/client/v3/rooms/${enc(roomId)}/members`);
  if (reply.status !== 200) return undefined;
  return (reply.body.chunk as any[]).find((e) => e.state_key === userId)?.content.membership;
}
const waitMembership = (viewer: TestClient, roomId: string, userId: string, membership: string) =>
  waitFor(`${viewer.userId} to see ${userId} ${membership}`, async () => (await membershipSeen(viewer, roomId, userId)) === membership);

/** The link status `viewer` gets for the member shown as `userId` (member-key rooms). */
async function linkOf(viewer: TestClient, roomId: string, userId: string): Promise<string | undefined> {
  const members = (await viewer.get(`/_matrix/client/v3/rooms/${enc(roomId)}/members`)).body.chunk as any[];
  const event = members.find((e) => e.state_key === userId);
  const stable = event?.unsigned?.['org.matrix.msc4428.stable_id_state_key'];
  const body = await sync(viewer);
  const room = body.rooms?.join?.[roomId];
  return room?.[MEMBER_INFO]?.[stable]?.['dev.wayfarer.link']?.status;
}

describe.each(VERSIONS)('invites in room version %s', (version) => {
  const memberKeys = version !== '11';

  it('a cross-server invite reaches the invitee by user ID, with stripped state and the inviter by name; accepting joins with the invited key', async () => {
    const { room_id: roomId } = await post(alice, '/_matrix/client/v3/createRoom', { room_version: version, name: `Tea ${version}` });
    await act(alice, roomId, 'invite', { user_id: bob.userId });
    // The inviter's server names bob by user ID (its member_key lookup returned that key for him), never as an impostor.
    expect(await membershipSeen(alice, roomId, bob.userId!)).toBe('invite');
    if (memberKeys) expect(['pending', 'verified']).toContain(await linkOf(alice, roomId, bob.userId!));

    const invite = await invitedTo(bob, roomId);
    const inviteEvent = inviteEventOf(invite, bob.userId!);
    expect(inviteEvent, JSON.stringify(invite.invite_state.events)).toBeDefined();
    expect(inviteEvent.sender).toBe(alice.userId);
    const stripped = invite.invite_state.events as any[];
    expect(stripped.find((e) => e.type === 'm.room.name')?.content.name).toBe(`Tea ${version}`);
    expect(stripped.find((e) => e.type === 'm.room.join_rules')).toBeDefined();
    expect(stripped.find((e) => e.type === 'm.room.create')).toBeDefined();
    // The inviter's member event: clients show "Alice Liddell invited you", not a user ID.
    const inviter = stripped.find((e) => e.type === 'm.room.member' && e.state_key === alice.userId);
    expect(inviter?.content.displayname, JSON.stringify(stripped)).toBe('Alice Liddell');
    expect(inviter.sender).toBe(alice.userId);

    await post(bob, `/_matrix/client/v3/join/${enc(roomId)}`);
    await waitMembership(alice, roomId, bob.userId!, 'join');
    if (memberKeys) {
      // The join is by the very key the invite named.
      const invitedKey = inviteEvent.unsigned['org.matrix.msc4428.stable_id_state_key'];
      const members = (await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/members`)).body.chunk as any[];
      const joined = members.find((e) => e.state_key === bob.userId);
      expect(joined.unsigned['org.matrix.msc4428.stable_id_state_key']).toBe(invitedKey);
      expect(members.filter((e) => e.content.membership === 'join')).toHaveLength(2);
      await waitFor('bob verified on alpha', async () => (await linkOf(alice, roomId, bob.userId!)) === 'verified');
    }
    // Bob's own server shows his join under his user ID.
    const room = (await sync(bob)).rooms?.join?.[roomId];
    const ownJoin = (room.state.events as any[])
      .concat(room.timeline.events)
      .findLast((e: any) => e.type === 'm.room.member' && e.state_key === bob.userId);
    expect(ownJoin?.content.membership).toBe('join');
    // Bob's timeline tells the story in order: the room was made, then he was invited, then he joined (the invite
    // his server held before the join takes its place in the history, not before the room's creation).
    const story = ((await bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=50`)).body.chunk as any[])
      .reverse()
      .filter((e) => e.type === 'm.room.create' || (e.type === 'm.room.member' && e.state_key === bob.userId))
      .map((e) => (e.type === 'm.room.create' ? 'create' : e.content.membership));
    expect(story).toEqual(['create', 'invite', 'join']);
    await say(bob, roomId, `hello from beta ${version}`);
    await waitFor('alice to read bob', async () => (await bodies(alice, roomId)).includes(`hello from beta ${version}`));
  }, 90_000);

  it('a third server in the room sees the invitee by user ID, not as an impostor', async () => {
    const { room_id: roomId } = await post(alice, '/_matrix/client/v3/createRoom', { room_version: version, preset: 'public_chat' });
    await post(gina, `/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(alpha.serverName)}`);
    await act(alice, roomId, 'invite', { user_id: bob.userId });
    await waitMembership(gina, roomId, bob.userId!, 'invite');
    if (memberKeys) expect(['pending', 'verified']).toContain(await linkOf(gina, roomId, bob.userId!));
    // An invite to a server already in the room is a PDU of the room there: the invitee sees it the same way.
    const gus = await user(gamma, `gus${version.replace(/\W/g, '')}`);
    await act(alice, roomId, 'invite', { user_id: gus.userId });
    const invite = await invitedTo(gus, roomId);
    expect(inviteEventOf(invite, gus.userId!)?.sender, JSON.stringify(invite)).toBe(alice.userId);
    const inviter = (invite.invite_state.events as any[]).find((e) => e.type === 'm.room.member' && e.state_key === alice.userId);
    expect(inviter?.content.displayname).toBe('Alice Liddell');
    await post(gus, `/_matrix/client/v3/join/${enc(roomId)}`);
    await waitMembership(alice, roomId, gus.userId!, 'join');
  }, 90_000);

  it('decline, leave, kick, ban, unban and re-join across servers', async () => {
    const { room_id: roomId } = await post(alice, '/_matrix/client/v3/createRoom', { room_version: version });
    // Decline.
    await act(alice, roomId, 'invite', { user_id: bob.userId });
    await invitedTo(bob, roomId);
    await act(bob, roomId, 'leave');
    await waitMembership(alice, roomId, bob.userId!, 'leave');
    expect((await sync(bob)).rooms?.invite?.[roomId]).toBeUndefined();
    // An invite withdrawn (a kick of the invitee) reaches the invitee's server: the invite goes from bob's list.
    await act(alice, roomId, 'invite', { user_id: bob.userId });
    await waitFor('the invite to withdraw', async () =>
      inviteEventOf((await sync(bob)).rooms?.invite?.[roomId] ?? { invite_state: { events: [] } }, bob.userId!),
    );
    await act(alice, roomId, 'kick', { user_id: bob.userId, reason: 'sent by mistake' });
    await waitFor('the withdrawn invite to leave bob’s list', async () => (await sync(bob)).rooms?.invite?.[roomId] === undefined);
    // Invited again after declining; accept.
    await act(alice, roomId, 'invite', { user_id: bob.userId });
    await waitFor('the second invite', async () =>
      inviteEventOf((await sync(bob)).rooms?.invite?.[roomId] ?? { invite_state: { events: [] } }, bob.userId!),
    );
    await post(bob, `/_matrix/client/v3/join/${enc(roomId)}`);
    await waitMembership(alice, roomId, bob.userId!, 'join');
    // Leave, then re-invited and re-join.
    await act(bob, roomId, 'leave');
    await waitMembership(alice, roomId, bob.userId!, 'leave');
    await act(alice, roomId, 'invite', { user_id: bob.userId });
    await invitedTo(bob, roomId);
    await post(bob, `/_matrix/client/v3/join/${enc(roomId)}`);
    await waitMembership(alice, roomId, bob.userId!, 'join');
    await waitMembership(bob, roomId, bob.userId!, 'join');
    // Kick: bob's server sees him out.
    await act(alice, roomId, 'kick', { user_id: bob.userId, reason: 'out' });
    await waitFor(
      'the kick on beta',
      async () => (await sync(bob)).rooms?.leave?.[roomId] !== undefined || !(await joinedRooms(bob)).includes(roomId),
    );
    await waitMembership(alice, roomId, bob.userId!, 'leave');
    // Ban, then a join is refused.
    await act(alice, roomId, 'ban', { user_id: bob.userId, reason: 'banned' });
    await waitMembership(alice, roomId, bob.userId!, 'ban');
    expect((await bob.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(alpha.serverName)}`, {})).status).toBe(403);
    // Unban, re-invite, re-join.
    await act(alice, roomId, 'unban', { user_id: bob.userId });
    await waitMembership(alice, roomId, bob.userId!, 'leave');
    await act(alice, roomId, 'invite', { user_id: bob.userId });
    await invitedTo(bob, roomId);
    await post(bob, `/_matrix/client/v3/join/${enc(roomId)}`);
    await waitMembership(alice, roomId, bob.userId!, 'join');
    await say(bob, roomId, `back again ${version}`);
    await waitFor('alice to read bob again', async () => (await bodies(alice, roomId)).includes(`back again ${version}`));
  }, 120_000);

  it('within one server: invite, is_direct DMs and createRoom invite lists name the invitee by user ID', async () => {
    const { room_id: roomId } = await post(alice, '/_matrix/client/v3/createRoom', { room_version: version, name: 'local' });
    await act(alice, roomId, 'invite', { user_id: amy.userId });
    const invite = await invitedTo(amy, roomId);
    expect(inviteEventOf(invite, amy.userId!)).toBeDefined();
    expect(
      (invite.invite_state.events as any[]).find((e) => e.type === 'm.room.member' && e.state_key === alice.userId)?.content.displayname,
    ).toBe('Alice Liddell');
    await post(amy, `/_matrix/client/v3/join/${enc(roomId)}`);
    await waitMembership(alice, roomId, amy.userId!, 'join');

    for (const invitee of [amy, bob]) {
      const { room_id: dm } = await post(alice, '/_matrix/client/v3/createRoom', {
        room_version: version,
        is_direct: true,
        preset: 'trusted_private_chat',
        invite: [invitee.userId],
      });
      const dmInvite = await invitedTo(invitee, dm);
      const event = inviteEventOf(dmInvite, invitee.userId!);
      expect(event?.content.is_direct, JSON.stringify(dmInvite)).toBe(true);
      expect(event.sender).toBe(alice.userId);
      expect(await membershipSeen(alice, dm, invitee.userId!)).toBe('invite');
      await post(invitee, `/_matrix/client/v3/join/${enc(dm)}`);
      await waitMembership(alice, dm, invitee.userId!, 'join');
    }
  }, 120_000);
});

async function joinedRooms(client: TestClient): Promise<string[]> {
  return (await client.get('/_matrix/client/v3/joined_rooms')).body.joined_rooms as string[];
}

describe('a member whose link other servers do not believe', () => {
  it('still sees its own rooms, under its own user ID (the demo’s mallory)', async () => {
    const { room_id: roomId } = await post(alice, '/_matrix/client/v3/createRoom', { preset: 'public_chat' });
    await post(gina, `/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(alpha.serverName)}`);
    await devAdmin(gamma, 'forge_member', { room_id: roomId, user_id: gina.userId, claimed_domain: beta.serverName, localpart: 'bob' });
    const room = (await sync(gina)).rooms?.join?.[roomId];
    expect(room).toBeDefined();
    const members = (await gina.get(`/_matrix/client/v3/rooms/${enc(roomId)}/members`)).body.chunk as any[];
    expect(members.find((e) => e.state_key === gina.userId)?.content.membership, JSON.stringify(members.map((e) => e.state_key))).toBe(
      'join',
    );
    const everything = [...(room.state.events as any[]), ...(room.timeline.events as any[])];
    expect(everything.some((e) => e.type === 'm.room.member' && e.state_key === gina.userId && e.content.membership === 'join')).toBe(true);
    // Others still see the forged claim for what it is.
    await waitFor('alice to see the forged claim as unverified', async () => {
      const list = (await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/members`)).body.chunk as any[];
      return list.some((e) => String(e.state_key).startsWith('@_unverified_bob_'));
    });
  }, 90_000);
});
