// Knocking (issue 17's "join rules: public, invite or knock"): POST /knock/{roomIdOrAlias} on the room's own server
// and across two (federation make_knock/send_knock, checked against the spec's OpenAPI), the /sync knock section
// with knock_state, and accept = invite, deny = kick, rescind = leave, in classic and member-key rooms. Hostile:
// a knock on a room whose join rule is not knock is 403, a send_knock that is not a knock is 400, and one for
// another server's user is 403.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEMBER_KEYS_ROOM_VERSION } from '../../src/protocol';
import { enc, type TestClient } from '../testing/http-client';
import { startServers, user, waitFor, say, bodies } from '../testing/federation-harness';
import { HostileServer } from '../testing/hostile-server';
import { assertMatchesSpec, SERVER_SERVER_API_DIR } from '../testing/openapi';
import type { RunningHomeserver } from '../testing/spawn';

let alpha: RunningHomeserver;
let beta: RunningHomeserver;
let evil: HostileServer;
let alice: TestClient;
let eve: TestClient;
let bob: TestClient;
let carol: TestClient;

beforeAll(async () => {
  [alpha, beta] = await startServers(['alpha.localhost:24512', 'beta.localhost:24513'] as const);
  evil = await HostileServer.start(24514);
  [alice, eve, bob, carol] = await Promise.all([user(alpha, 'alice'), user(alpha, 'eve'), user(beta, 'bob'), user(beta, 'carol')]);
  await bob.setDisplayName('Bob Knocker');
}, 60_000);

afterAll(async () => {
  await Promise.all([alpha?.dispose(), beta?.dispose(), evil?.close()]);
});

const ok = (reply: { status: number; body: any }) => {
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return reply.body;
};

async function sync(client: TestClient): Promise<any> {
  const filter = enc(JSON.stringify({ room: { include_leave: true } }));
  const body = ok(await client.get(`/_matrix/client/v3/sync?timeout=0&filter=${filter}`));
  assertMatchesSpec('/sync', 'get', 200, body);
  return body;
}

/** The room's member events as alice sees them, by the ID a client acts on (stable ID in member-key rooms). */
async function members(roomId: string): Promise<Array<{ id: string; userId: string; membership: string; content: any }>> {
  const reply = ok(await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/members`));
  return (reply.chunk as any[]).map((e) => ({
    id: e.unsigned?.['org.matrix.msc4428.stable_id_state_key'] ?? e.state_key,
    userId: e.state_key,
    membership: e.content.membership,
    content: e.content,
  }));
}

const memberOf = async (roomId: string, userId: string) => (await members(roomId)).find((m) => m.userId === userId);

for (const [kind, version] of [
  ['member-key', MEMBER_KEYS_ROOM_VERSION],
  ['classic', '11'],
] as const) {
  describe(`knocking in a ${kind} room`, () => {
    let roomId: string;

    it('a knock on a room whose join rule is not knock is refused, here and over federation', async () => {
      roomId = ok(
        await alice.post('/_matrix/client/v3/createRoom', { preset: 'private_chat', name: `Porch ${kind}`, room_version: version }),
      ).room_id;
      const local = await eve.post(`/_matrix/client/v3/knock/${enc(roomId)}`, {});
      expect(local.status, JSON.stringify(local.body)).toBe(403);
      assertMatchesSpec('/knock/{roomIdOrAlias}', 'post', 403, local.body);
      const remote = await bob.post(`/_matrix/client/v3/knock/${enc(roomId)}?via=${enc(alpha.serverName)}`, {});
      expect(remote.status, JSON.stringify(remote.body)).toBe(403);
      const id = version === '11' ? `@mallory:${evil.serverName}` : HostileServer.memberKey().id;
      const made = await evil.fed(alpha, 'GET', `/_matrix/federation/v1/make_knock/${enc(roomId)}/${enc(id)}?ver=${enc(version)}`);
      expect(made.status, JSON.stringify(made.body)).toBe(403);
      ok(await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.join_rules/`, { join_rule: 'knock' }));
    });

    it('a local knock shows in the knocker’s sync; rescind is a leave, deny a kick, accept an invite', async () => {
      const knocked = ok(await eve.post(`/_matrix/client/v3/knock/${enc(roomId)}`, { reason: 'let me in' }));
      assertMatchesSpec('/knock/{roomIdOrAlias}', 'post', 200, knocked);
      expect(knocked.room_id).toBe(roomId);
      const knockState = (await sync(eve)).rooms.knock[roomId]?.knock_state.events as any[];
      expect(knockState.map((e) => e.type)).toEqual(expect.arrayContaining(['m.room.create', 'm.room.join_rules', 'm.room.name']));
      expect(knockState.find((e) => e.type === 'm.room.member')?.content.membership).toBe('knock');
      expect((await memberOf(roomId, eve.userId!))?.content).toMatchObject({ membership: 'knock', reason: 'let me in' });
      // Rescind.
      ok(await eve.post(`/_matrix/client/v3/rooms/${enc(roomId)}/leave`, {}));
      expect((await memberOf(roomId, eve.userId!))?.membership).toBe('leave');
      // Deny.
      ok(await eve.post(`/_matrix/client/v3/knock/${enc(roomId)}`, {}));
      const knock = (await memberOf(roomId, eve.userId!))!;
      expect(knock.membership).toBe('knock');
      ok(await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/kick`, { user_id: knock.id }));
      expect((await memberOf(roomId, eve.userId!))?.membership).toBe('leave');
      // Accept.
      ok(await eve.post(`/_matrix/client/v3/knock/${enc(roomId)}`, {}));
      ok(await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: knock.id }));
      ok(await eve.post(`/_matrix/client/v3/join/${enc(roomId)}`, {}));
      expect((await memberOf(roomId, eve.userId!))?.membership).toBe('join');
      // Joined: knocking again is refused.
      expect((await eve.post(`/_matrix/client/v3/knock/${enc(roomId)}`, {})).status).toBe(403);
    });

    it('a remote knock denied (kick) and one rescinded (leave), while no user of the knocker’s server is in the room', async () => {
      ok(await carol.post(`/_matrix/client/v3/knock/${enc(roomId)}?via=${enc(alpha.serverName)}`, {}));
      const knock = await waitFor('alice sees carol’s knock', async () => {
        const m = await memberOf(roomId, carol.userId!);
        return m?.membership === 'knock' && m;
      });
      ok(await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/kick`, { user_id: knock.id }));
      await waitFor('carol hears the denial', async () => {
        const rooms = (await sync(carol)).rooms;
        return rooms.leave[roomId] && !rooms.knock[roomId];
      });
      ok(await carol.post(`/_matrix/client/v3/knock/${enc(roomId)}?via=${enc(alpha.serverName)}`, {}));
      await waitFor('alice sees the second knock', async () => (await memberOf(roomId, carol.userId!))?.membership === 'knock');
      ok(await carol.post(`/_matrix/client/v3/rooms/${enc(roomId)}/leave`, {}));
      expect((await memberOf(roomId, carol.userId!))?.membership).toBe('leave');
      expect((await sync(carol)).rooms.knock[roomId]).toBeUndefined();
    });

    it('a user of another server knocks through make_knock/send_knock, is let in, and chats', async () => {
      const knocked = ok(await bob.post(`/_matrix/client/v3/knock/${enc(roomId)}?via=${enc(alpha.serverName)}`, { reason: 'hi' }));
      assertMatchesSpec('/knock/{roomIdOrAlias}', 'post', 200, knocked);
      const knockState = (await sync(bob)).rooms.knock[roomId]?.knock_state.events as any[];
      expect(knockState.map((e) => e.type)).toEqual(expect.arrayContaining(['m.room.create', 'm.room.join_rules', 'm.room.name']));
      expect(knockState.find((e) => e.type === 'm.room.name')?.content.name).toBe(`Porch ${kind}`);
      const knock = await waitFor('alice sees bob’s knock', async () => {
        const m = await memberOf(roomId, bob.userId!);
        return m?.membership === 'knock' && m;
      });
      // Member-key rooms: the knock is bob's member key, its link verified (the identity the client shows).
      expect(knock.content).toMatchObject({ displayname: 'Bob Knocker', reason: 'hi' });
      if (version !== '11') expect(knock.id).not.toBe(bob.userId);
      ok(await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: knock.id }));
      await waitFor('bob is invited', async () => (await sync(bob)).rooms.invite[roomId]);
      ok(await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`, {}));
      // Bob's server reads the room in its order: its creation first, the knocks refused and withdrawn before (carol's,
      // held by beta from outside the room), his knock before his join.
      const history = ok(await bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=500`)).chunk.reverse() as any[];
      expect(history[0]?.type).toBe('m.room.create');
      const lastKnock = history.findLastIndex((e) => e.content.membership === 'knock');
      expect(lastKnock).toBeGreaterThan(0);
      expect(lastKnock).toBeLessThan(history.findLastIndex((e) => e.content.membership === 'join'));
      await say(bob, roomId, 'thanks for letting me in');
      await waitFor('alice reads bob', async () => (await bodies(alice, roomId)).includes('thanks for letting me in'));
    });

    it('federation: make_knock is spec-shaped; send_knock of a non-knock is 400, of another server’s user 403', async () => {
      const key = HostileServer.memberKey();
      const id = version === '11' ? `@mallory:${evil.serverName}` : key.id;
      const made = await evil.fed(alpha, 'GET', `/_matrix/federation/v1/make_knock/${enc(roomId)}/${enc(id)}?ver=${enc(version)}`);
      expect(made.status, JSON.stringify(made.body)).toBe(200);
      assertMatchesSpec('/make_knock/{roomId}/{userId}', 'get', 200, made.body, { dir: SERVER_SERVER_API_DIR });
      expect(made.body.event.content.membership).toBe('knock');
      const memberKeys = version !== '11';
      const content = (domain: string, membership = 'knock') => ({ membership, ...(memberKeys ? { localpart: 'mallory', domain } : {}) });
      const send = (pdu: any, eventId: string) =>
        evil.fed(alpha, 'PUT', `/_matrix/federation/v1/send_knock/${enc(roomId)}/${enc(eventId)}`, pdu);
      // Not a knock.
      const join = evil.sign({ ...made.body.event, content: content(evil.serverName, 'join') }, version, key.seed);
      expect((await send(join.pdu, join.eventId)).status).toBe(400);
      // Another server's user: classic, a user ID of beta; member-key, a key claiming beta's domain.
      const foreignId = `@victim:${beta.serverName}`;
      const foreign = memberKeys
        ? evil.sign({ ...made.body.event, content: content(beta.serverName) }, version, key.seed)
        : evil.sign({ ...made.body.event, sender: foreignId, state_key: foreignId, content: content(beta.serverName) }, version);
      const refused = await send(foreign.pdu, foreign.eventId);
      expect(refused.status, JSON.stringify(refused.body)).toBe(403);
      expect((await memberOf(roomId, foreignId))?.membership).toBeUndefined();
      // A real knock of evil's own user is accepted, and answered with the room's state.
      const real = evil.sign({ ...made.body.event, content: content(evil.serverName) }, version, key.seed);
      const accepted = await send(real.pdu, real.eventId);
      expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
      assertMatchesSpec('/send_knock/{roomId}/{eventId}', 'put', 200, accepted.body, { dir: SERVER_SERVER_API_DIR });
      expect((accepted.body as any).knock_room_state.map((e: any) => e.type)).toContain('m.room.create');
    });
  });
}
