// Hostile servers and membership (issue 12, items 2, 5 and 9): invites over /v2/invite are checked against the room
// (sender's server = origin, auth rules against the room's state, no invite for a joined member); typing and
// receipts count only from a joined member's own server; kick/ban by user ID refuse a user ID that several member
// keys claim. Alpha and beta are real homeservers; `evil` is a scripted server with a member in the rooms,
// `outsider` one with none.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHomeserver } from '../testing/spawn';
import { ok, type TestClient } from '../testing/http-client';
import { enc, memberInfo, say, startServers, user, waitFor } from '../testing/federation-harness';
import { HostileServer, type FedReply, type HostileMember } from '../testing/hostile-server';

const VERSIONS = ['org.matrix.12.4430', '11'] as const;
const MEMBER_KEYS = 'org.matrix.12.4430';

let alpha: RunningHomeserver;
let beta: RunningHomeserver;
let evil: HostileServer;
let outsider: HostileServer;
let alice: TestClient;
let bob: TestClient;
let carol: TestClient;

beforeAll(async () => {
  [evil, outsider] = await Promise.all([HostileServer.start(20203, 'evil'), HostileServer.start(20204, 'outsider')]);
  [alpha, beta] = await startServers(['alpha.localhost:20201', 'beta.localhost:20202']);
  [alice, bob, carol] = await Promise.all([user(alpha, 'alice'), user(beta, 'bob'), user(alpha, 'carol')]);
}, 60_000);

afterAll(async () => {
  if (process.env.FED_DEBUG) for (const s of [alpha, beta]) console.log(`---- ${s?.serverName}\n${s?.output().slice(-6000)}`);
  await Promise.all([alpha, beta].filter(Boolean).map((s) => s.dispose()));
  await Promise.all([evil, outsider].filter(Boolean).map((s) => s.close()));
});

const sync = async (client: TestClient) => ok(client.get('/_matrix/client/v3/sync?timeout=0'));
const ephemeral = async (client: TestClient, roomId: string, type: string): Promise<any> =>
  ((await sync(client)).rooms?.join?.[roomId]?.ephemeral?.events as any[] | undefined)?.find((e) => e.type === type);
/** Who is typing in the room, as alice's /sync says. */
const typers = async (roomId: string): Promise<string[]> => (await ephemeral(alice, roomId, 'm.typing'))?.content.user_ids ?? [];
/** Who has read `eventId`, as alice's /sync says. */
const readers = async (roomId: string, eventId: string): Promise<string[]> =>
  Object.keys((await ephemeral(alice, roomId, 'm.receipt'))?.content[eventId]?.['m.read'] ?? {});
/** A transaction the target took (200). */
const sent = async (reply: Promise<FedReply>) => {
  const r = await reply;
  if (r.status !== 200) throw new Error(`send: ${r.status} ${JSON.stringify(r.body)}`);
};
const joinedRooms = async (client: TestClient): Promise<string[]> => (await ok(client.get('/_matrix/client/v3/joined_rooms'))).joined_rooms;

const typing = (roomId: string, userId: string) => ({ edu_type: 'm.typing', content: { room_id: roomId, user_id: userId, typing: true } });
const receipt = (roomId: string, userId: string, eventId: string) => ({
  edu_type: 'm.receipt',
  content: { [roomId]: { 'm.read': { [userId]: { event_ids: [eventId], data: { ts: Date.now() } } } } },
});

/** A public room of alice's on alpha (invite power 50), with bob of beta joined. */
async function roomWithBob(version: string): Promise<string> {
  const created = await ok(alice.post('/_matrix/client/v3/createRoom', { room_version: version, preset: 'public_chat' }));
  const roomId: string = created.room_id;
  await ok(bob.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(alpha.serverName)}`, {}));
  return roomId;
}

describe.each(VERSIONS)('room version %s', (version) => {
  const memberKeys = version === MEMBER_KEYS;
  let roomId: string;
  let otherRoomEventId: string;
  let eve: HostileMember;

  beforeAll(async () => {
    roomId = await roomWithBob(version);
    eve = await evil.join(alpha, roomId, 'eve', version);
    evil.serveEventsOf(eve);
    // Bob gets the room's invite level (50); eve keeps 0.
    const levels = await ok(alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.power_levels`));
    await ok(
      alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.power_levels`, {
        ...levels,
        users: { ...levels.users, [bob.userId!]: 50 },
      }),
    );
    const other = (await ok(alice.post('/_matrix/client/v3/createRoom', { room_version: version }))).room_id as string;
    otherRoomEventId = await say(alice, other, 'an event of another room');
  }, 60_000);

  /** The invitee's member ID: its member key (alpha's member_key lookup) or its user ID. */
  const memberIdOf = (client: TestClient) =>
    memberKeys ? outsider.memberKeyOf(alpha, roomId, client.userId!) : Promise.resolve(client.userId!);
  const inviteContent = (client: TestClient) => ({
    membership: 'invite',
    ...(memberKeys ? { localpart: client.userId!.slice(1, client.userId!.indexOf(':')), domain: alpha.serverName } : {}),
  });
  const invited = async (client: TestClient) => (await sync(client)).rooms?.invite?.[roomId];

  it('refuses an invite from a server with no member in the room; alice stays joined and can send', async () => {
    const mallory = memberKeys ? HostileServer.memberKey() : { id: `@mallory:${outsider.serverName}`, seed: undefined };
    // Built on the room's real events (the outsider learnt their IDs somewhere), signed by the outsider as the sender.
    const authEvents = evil.authEventsFor(eve, 'm.room.member', '', 'invite').filter((id) => id !== eve.joinId);
    const build = async (target: TestClient) =>
      outsider.sign(
        {
          type: 'm.room.member',
          room_id: roomId,
          sender: mallory.id,
          state_key: await memberIdOf(target),
          content: inviteContent(target),
          origin_server_ts: Date.now(),
          depth: eve.depth + 1,
          prev_events: [eve.latest],
          auth_events: authEvents,
        },
        version,
        mallory.seed,
      );
    for (const target of [alice, carol]) {
      const reply = await outsider.invite(alpha, version, await build(target));
      expect(reply.status, JSON.stringify(reply.body)).toBe(403);
      expect(reply.body.errcode).toBe('M_FORBIDDEN');
    }
    expect(await invited(carol)).toBeUndefined();
    expect(await joinedRooms(alice)).toContain(roomId);
    await say(alice, roomId, `alice can still talk (${version})`);
  }, 60_000);

  it('an invite to a room beta is not in can be withdrawn only by a server that invited beta', async () => {
    const dora = await user(beta, `dora${memberKeys ? 'k' : 'c'}`);
    const room = (await ok(alice.post('/_matrix/client/v3/createRoom', { room_version: version, preset: 'public_chat' })))
      .room_id as string;
    const eveThere = await evil.join(alpha, room, 'eve', version);
    await ok(alice.post(`/_matrix/client/v3/rooms/${enc(room)}/invite`, { user_id: dora.userId }));
    await waitFor('dora’s invite', async () => (await sync(dora)).rooms?.invite?.[room]);
    const members = (await ok(alice.get(`/_matrix/client/v3/rooms/${enc(room)}/members`))).chunk as any[];
    const invite = members.find((e) => e.content.membership === 'invite');
    const doraId: string = memberKeys ? invite.unsigned['org.matrix.msc4428.stable_id_state_key'] : invite.state_key;
    // Evil is in the room (alpha told beta nothing of it) and names the very invite, but did not send it.
    const kick = evil.event(
      eveThere,
      'm.room.member',
      { membership: 'leave' },
      { state_key: doraId, auth_events: [...evil.authEventsFor(eveThere, 'm.room.member', doraId, 'leave'), invite.event_id] },
      false,
    );
    const reply = await evil.sendTxn(beta, [kick.pdu]);
    expect(reply.status).toBe(200);
    expect(reply.body.pdus[kick.eventId]?.error).toMatch(/did not invite us/);
    expect((await sync(dora)).rooms?.invite?.[room]).toBeDefined();
  }, 60_000);

  it('refuses an invite by a member without the power to invite', async () => {
    const invite = evil.event(eve, 'm.room.member', inviteContent(carol), { state_key: await memberIdOf(carol) }, false);
    const reply = await evil.invite(alpha, version, invite);
    expect(reply.status, JSON.stringify(reply.body)).toBe(403);
    expect(reply.body.error).toMatch(/not allowed to invite/);
    expect(await invited(carol)).toBeUndefined();
  }, 60_000);

  it('refuses an invite for a local user who is already joined, from a real server whose member may invite', async () => {
    // Bob may invite; beta sends alpha the invite for alice (already joined) over /v2/invite; alpha refuses it.
    const reply = await bob.post(`/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: alice.userId });
    expect(reply.status, JSON.stringify(reply.body)).toBe(403);
    expect(reply.body.error).toMatch(/already joined/);
    expect(await joinedRooms(alice)).toContain(roomId);
    await say(alice, roomId, `alice is still joined (${version})`);
  }, 60_000);

  it('takes a legitimate invite from beta: carol is invited, joins and talks', async () => {
    await ok(bob.post(`/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: carol.userId }));
    expect(await invited(carol)).toBeDefined();
    await ok(carol.post(`/_matrix/client/v3/join/${enc(roomId)}`, {}));
    await say(carol, roomId, `carol joins in (${version})`);
    expect(await joinedRooms(carol)).toContain(roomId);
  }, 60_000);

  it('drops typing and receipts from a server with no member in the room', async () => {
    const mallory = `@mallory:${outsider.serverName}`;
    const eventId = await say(alice, roomId, 'something to read');
    const reply = await outsider.sendTxn(alpha, [], [typing(roomId, mallory), receipt(roomId, mallory, eventId)]);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(await typers(roomId)).not.toContain(mallory);
    expect(await readers(roomId, eventId)).not.toContain(mallory);
  }, 60_000);

  it('drops typing and receipts from a member’s server about anyone but its member, and receipts for another room’s event', async () => {
    const eveUserId = `@eve:${evil.serverName}`;
    const stranger = `@mallory:${evil.serverName}`;
    const eventId = await say(alice, roomId, 'read by eve');
    // About another server's user, about a user of its own who is not in the room, and a receipt naming another room's event.
    await sent(
      evil.sendTxn(
        alpha,
        [],
        [
          typing(roomId, bob.userId!),
          typing(roomId, stranger),
          receipt(roomId, stranger, eventId),
          receipt(roomId, eveUserId, otherRoomEventId),
        ],
      ),
    );
    const typing1 = await typers(roomId);
    expect(typing1).not.toContain(bob.userId);
    expect(typing1).not.toContain(stranger);
    expect(await readers(roomId, eventId)).not.toContain(stranger);
    expect(await readers(roomId, otherRoomEventId)).toEqual([]);
    // Its own member, about an event of the room: taken.
    await sent(evil.sendTxn(alpha, [], [typing(roomId, eveUserId), receipt(roomId, eveUserId, eventId)]));
    expect(await typers(roomId)).toContain(eveUserId);
    expect(await readers(roomId, eventId)).toContain(eveUserId);
    await sent(evil.sendTxn(alpha, [], [{ edu_type: 'm.typing', content: { room_id: roomId, user_id: eveUserId, typing: false } }]));
  }, 60_000);

  it('takes typing and receipts from beta for its own member', async () => {
    const eventId = await say(alice, roomId, 'read by bob');
    await waitFor('the message on beta', async () =>
      ((await ok(bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=5`))).chunk as any[]).some(
        (e) => e.event_id === eventId,
      ),
    );
    await ok(bob.put(`/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(bob.userId!)}`, { typing: true, timeout: 20_000 }));
    await waitFor('bob typing on alpha', async () => (await typers(roomId)).includes(bob.userId!));
    await ok(bob.post(`/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`, {}));
    await waitFor('bob’s receipt on alpha', async () => (await readers(roomId, eventId)).includes(bob.userId!));
  }, 60_000);
});

describe('membership actions in a member-key room where an impostor claims bob', () => {
  let roomId: string;
  let impostor: HostileMember;
  let bobKey: string;
  const membershipOf = async (key: string) =>
    (await ok(alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.member/${enc(key)}`))).membership;

  beforeAll(async () => {
    roomId = await roomWithBob(MEMBER_KEYS);
    // A member key on evil claiming `bob` of beta (beta never co-signed it).
    impostor = await evil.join(alpha, roomId, 'bob', MEMBER_KEYS, { domain: beta.serverName });
    bobKey = await waitFor(
      'bob’s verified key in alice’s member info',
      async () => Object.entries(await memberInfo(alice, roomId)).find(([, info]) => info.user_id === bob.userId)?.[0],
    );
    expect(bobKey).not.toBe(impostor.id);
  }, 60_000);

  it('refuses kick and ban by a user ID that two member keys claim, and says to use the member key', async () => {
    for (const action of ['kick', 'ban']) {
      const reply = await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/${action}`, { user_id: bob.userId });
      expect(reply.status, JSON.stringify(reply.body)).toBe(400);
      expect(reply.body.errcode).toBe('M_INVALID_PARAM');
      expect(reply.body.error).toMatch(/claimed by 2 member keys.*member key \(stable ID\)/);
    }
    expect(await membershipOf(bobKey)).toBe('join');
    expect(await membershipOf(impostor.id)).toBe('join');
  }, 60_000);

  it('kicks the impostor by its key, and bob by his stable ID', async () => {
    await ok(alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/kick`, { user_id: impostor.id }));
    expect(await membershipOf(impostor.id)).toBe('leave');
    expect(await membershipOf(bobKey)).toBe('join');
    await ok(alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/kick`, { user_id: bobKey }));
    expect(await membershipOf(bobKey)).toBe('leave');
    await waitFor('bob out of the room on beta', async () => !(await joinedRooms(bob)).includes(roomId));
  }, 60_000);
});
