// Issue 17, Start a DM and Room directory: the user directory (local users, and remote users you share a room with),
// the published room directory of this and another server (client `server` parameter → federation /publicRooms,
// under a deadline and a size cap, against a hostile server too), and the account endpoints behind Settings
// (change password, deactivate). Every answer is checked against the spec's OpenAPI.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proveAccountKey } from '../../src/features/portable/accountKeyAuth';
import { enc, TestClient } from '../testing/http-client';
import { devAdmin, startServers, user, waitFor } from '../testing/federation-harness';
import { HostileServer } from '../testing/hostile-server';
import { portableClient } from '../testing/move-cast';
import { assertMatchesSpec, SERVER_SERVER_API_DIR } from '../testing/openapi';
import type { RunningHomeserver } from '../testing/spawn';

let alpha: RunningHomeserver;
let beta: RunningHomeserver;
let evil: HostileServer;
let alice: TestClient;
let carol: TestClient;
let bob: TestClient;
let publicRoom: string;

beforeAll(async () => {
  [alpha, beta] = await startServers(['alpha.localhost:24201', 'beta.localhost:24202'], ['--remote-directory-timeout-ms', '1500']);
  evil = await HostileServer.start(24203);
  [alice, carol, bob] = await Promise.all([user(alpha, 'alice'), user(alpha, 'carol'), user(beta, 'bob')]);
  await carol.setDisplayName('Carol Danvers');
  await bob.setDisplayName('Bobby Tables');
  const created = await alice.post('/_matrix/client/v3/createRoom', {
    preset: 'public_chat',
    visibility: 'public',
    name: 'Lobby of Alpha',
    topic: 'Say hello',
    room_alias_name: 'lobby',
  });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  publicRoom = created.body.room_id;
}, 60_000);

afterAll(async () => {
  await evil?.close();
  await Promise.all([alpha, beta].filter(Boolean).map((s) => s.dispose()));
});

const search = async (client: TestClient, term: string, limit?: number) => {
  const reply = await client.post('/_matrix/client/v3/user_directory/search', { search_term: term, ...(limit ? { limit } : {}) });
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  assertMatchesSpec('/user_directory/search', 'POST', 200, reply.body);
  return reply.body as { limited: boolean; results: { user_id: string; display_name?: string }[] };
};

describe('user directory', () => {
  it('finds local users by user ID and by display name, and says when the page was limited', async () => {
    expect((await search(alice, 'danvers')).results).toEqual([{ user_id: carol.userId, display_name: 'Carol Danvers' }]);
    expect((await search(alice, 'carol')).results.map((r) => r.user_id)).toEqual([carol.userId]);
    const both = await search(alice, 'alpha.localhost');
    expect(both.results.map((r) => r.user_id).sort()).toEqual([alice.userId, carol.userId].sort());
    expect(both.limited).toBe(false);
    const one = await search(alice, 'alpha.localhost', 1);
    expect(one.results).toHaveLength(1);
    expect(one.limited).toBe(true);
  });

  it('finds a remote user only once you share a room (member-key and classic rooms), with the name the room shows', async () => {
    expect((await search(alice, 'bobby')).results).toEqual([]);
    for (const version of [undefined, '11']) {
      const created = await alice.post('/_matrix/client/v3/createRoom', {
        preset: 'private_chat',
        invite: [bob.userId],
        ...(version ? { room_version: version } : {}),
      });
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      const joined = await bob.post(`/_matrix/client/v3/join/${enc(created.body.room_id)}?server_name=${enc(alpha.serverName)}`, {});
      expect(joined.status, JSON.stringify(joined.body)).toBe(200);
      const found = await waitFor(`bob in alice's directory (${version ?? 'member keys'})`, async () => {
        const { results } = await search(alice, 'bobby');
        return results.length > 0 && results;
      });
      expect(found).toEqual([{ user_id: bob.userId, display_name: 'Bobby Tables' }]);
      // Once found, leave again so the classic room proves itself on its own.
      expect((await bob.post(`/_matrix/client/v3/rooms/${enc(created.body.room_id)}/leave`, {})).status).toBe(200);
      await waitFor('bob gone from the directory', async () => (await search(alice, 'bobby')).results.length === 0);
    }
    // Carol shares no room with bob: he stays hidden from her, while alice finds herself and carol across servers never.
    expect((await search(carol, 'bobby')).results).toEqual([]);
  });

  it('never lists a handle a member-key claim does not prove (a forged claim names no one)', async () => {
    const mallory = await user(beta, 'mallory');
    await mallory.setDisplayName('Victim Impersonator');
    const room = await alice.post('/_matrix/client/v3/createRoom', { preset: 'public_chat' });
    expect(room.status, JSON.stringify(room.body)).toBe(200);
    const roomId = room.body.room_id as string;
    expect((await mallory.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(alpha.serverName)}`, {})).status).toBe(200);
    // Mallory's server claims, in her member event, that she is @victim on a third server that never co-signed it.
    await devAdmin(beta, 'forge_member', {
      room_id: roomId,
      user_id: mallory.userId,
      claimed_domain: 'gamma.localhost:24209',
      localpart: 'victim',
    });
    await waitFor('the forged claim on alpha', async () => {
      const members = await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/members`);
      return (members.body.chunk as any[]).some((e) => e.content.localpart === 'victim');
    });
    for (const term of ['victim', 'impersonator', 'gamma']) expect((await search(alice, term)).results, term).toEqual([]);
  });

  it('refuses a request without a session or without a search term', async () => {
    const anonymous = new TestClient(alpha.baseUrl);
    expect((await anonymous.post('/_matrix/client/v3/user_directory/search', { search_term: 'carol' })).status).toBe(401);
    const missing = await alice.post('/_matrix/client/v3/user_directory/search', {});
    expect(missing.status).toBe(400);
    expect(missing.body.errcode).toBe('M_MISSING_PARAM');
  });
});

describe('room directory', () => {
  it("lists this server's published rooms, filtered by a search term", async () => {
    const all = await alice.get('/_matrix/client/v3/publicRooms');
    expect(all.status, JSON.stringify(all.body)).toBe(200);
    assertMatchesSpec('/publicRooms', 'GET', 200, all.body);
    expect(all.body.chunk.map((r: any) => r.room_id)).toContain(publicRoom);
    const filtered = await alice.post('/_matrix/client/v3/publicRooms', { filter: { generic_search_term: 'no such room' } });
    assertMatchesSpec('/publicRooms', 'POST', 200, filtered.body);
    expect(filtered.body.chunk).toEqual([]);
  });

  it("lists another server's rooms through the federation /publicRooms (GET, and POST with a filter)", async () => {
    const listed = await bob.get(`/_matrix/client/v3/publicRooms?server=${enc(alpha.serverName)}`);
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    assertMatchesSpec('/publicRooms', 'GET', 200, listed.body);
    expect(listed.body.chunk).toContainEqual(
      expect.objectContaining({
        room_id: publicRoom,
        name: 'Lobby of Alpha',
        topic: 'Say hello',
        canonical_alias: `#lobby:${alpha.serverName}`,
        num_joined_members: 1,
        join_rule: 'public',
      }),
    );
    const hit = await bob.post(`/_matrix/client/v3/publicRooms?server=${enc(alpha.serverName)}`, {
      filter: { generic_search_term: 'LOBBY' },
      limit: 5,
    });
    expect(hit.status, JSON.stringify(hit.body)).toBe(200);
    assertMatchesSpec('/publicRooms', 'POST', 200, hit.body);
    expect(hit.body.chunk.map((r: any) => r.room_id)).toEqual([publicRoom]);
    const miss = await bob.post(`/_matrix/client/v3/publicRooms?server=${enc(alpha.serverName)}`, {
      filter: { generic_search_term: 'nothing like it' },
    });
    expect(miss.body.chunk).toEqual([]);
    // And bob joins from there.
    const joined = await bob.post(`/_matrix/client/v3/join/${enc(publicRoom)}?server_name=${enc(alpha.serverName)}`, {});
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
  });

  it('the federation endpoint answers signed requests only, in the spec shape', async () => {
    const unsigned = await evil.fed(alpha, 'GET', '/_matrix/federation/v1/publicRooms', undefined, { signer: null });
    expect(unsigned.status).toBe(401);
    const signed = await evil.fed(alpha, 'GET', '/_matrix/federation/v1/publicRooms?limit=10');
    expect(signed.status, JSON.stringify(signed.body)).toBe(200);
    assertMatchesSpec('/publicRooms', 'GET', 200, signed.body, { dir: SERVER_SERVER_API_DIR });
    const posted = await evil.fed(alpha, 'POST', '/_matrix/federation/v1/publicRooms', { filter: { generic_search_term: 'hello' } });
    expect(posted.status, JSON.stringify(posted.body)).toBe(200);
    assertMatchesSpec('/publicRooms', 'POST', 200, posted.body, { dir: SERVER_SERVER_API_DIR });
    expect(posted.body.chunk.map((r: any) => r.room_id)).toEqual([publicRoom]);
  });

  it('asks another server only for a signed-in user, and only for a server name', async () => {
    const anonymous = await new TestClient(beta.baseUrl).get(`/_matrix/client/v3/publicRooms?server=${enc(alpha.serverName)}`);
    expect(anonymous.status).toBe(401);
    const bad = await bob.get(`/_matrix/client/v3/publicRooms?server=${enc('http://alpha/')}`);
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe('M_INVALID_PARAM');
  });

  it("passes on only well-formed rooms of a hostile server's answer, at most the page asked for", async () => {
    let mode: 'junk' | 'huge' | 'hang' | 'nonsense' = 'junk';
    evil.on(({ path }) => {
      if (path !== '/_matrix/federation/v1/publicRooms') return undefined;
      if (mode === 'hang') return new Promise(() => undefined);
      if (mode === 'nonsense') return { status: 200, body: { rooms: 'none' } };
      if (mode === 'huge') return { status: 200, body: { chunk: [], padding: 'x'.repeat(2 * 1024 * 1024) } };
      const good = (i: number) => ({ room_id: `!room${i}:evil`, num_joined_members: i, world_readable: false, guest_can_join: false });
      return {
        status: 200,
        body: {
          chunk: [
            { ...good(1), name: 'x'.repeat(5000), avatar_url: 'https://tracker.example/pixel.gif', extra: { html: '<script>' } },
            { room_id: 42 },
            'not a room',
            { ...good(2), num_joined_members: -5, canonical_alias: 'not an alias', topic: 'fine' },
            ...Array.from({ length: 500 }, (_, i) => good(i + 3)),
          ],
          next_batch: { not: 'a string' },
          total_room_count_estimate: 'lots',
        },
      };
    });
    const ask = () => bob.get(`/_matrix/client/v3/publicRooms?server=${enc(evil.serverName)}&limit=3`);

    const junk = await ask();
    expect(junk.status, JSON.stringify(junk.body)).toBe(200);
    assertMatchesSpec('/publicRooms', 'GET', 200, junk.body);
    expect(junk.body).toEqual({
      chunk: [
        { room_id: '!room1:evil', num_joined_members: 1, world_readable: false, guest_can_join: false },
        { room_id: '!room2:evil', num_joined_members: 0, world_readable: false, guest_can_join: false, topic: 'fine' },
        { room_id: '!room3:evil', num_joined_members: 3, world_readable: false, guest_can_join: false },
      ],
    });

    for (const next of ['huge', 'hang', 'nonsense'] as const) {
      mode = next;
      const refused = await ask();
      expect(refused.status, `${next}: ${JSON.stringify(refused.body)}`).toBe(502);
      expect(refused.body.errcode).toBe('M_UNKNOWN');
    }
  });
});

describe('account: change password and deactivate', () => {
  it('changing the password needs the old one, keeps this session and signs out the others', async () => {
    const dave = await user(alpha, 'dave');
    const other = await new TestClient(alpha.baseUrl).request('POST', '/_matrix/client/v3/login', {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'dave' },
      password: 'correct horse battery staple',
    });
    expect(other.status).toBe(200);
    const otherClient = Object.assign(new TestClient(alpha.baseUrl), { accessToken: other.body.access_token });

    const noAuth = await dave.post('/_matrix/client/v3/account/password', { new_password: 'a much better passphrase 42' });
    expect(noAuth.status).toBe(401);
    assertMatchesSpec('/account/password', 'POST', 401, noAuth.body);
    expect(noAuth.body.flows).toEqual([{ stages: ['m.login.password'] }]);
    const wrong = await dave.post('/_matrix/client/v3/account/password', {
      new_password: 'a much better passphrase 42',
      auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: dave.userId }, password: 'wrong' },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.errcode).toBe('M_FORBIDDEN');

    const changed = await dave.post('/_matrix/client/v3/account/password', {
      new_password: 'a much better passphrase 42',
      auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: dave.userId }, password: 'correct horse battery staple' },
    });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    assertMatchesSpec('/account/password', 'POST', 200, changed.body);
    expect((await dave.get('/_matrix/client/v3/account/whoami')).status).toBe(200);
    expect((await otherClient.get('/_matrix/client/v3/account/whoami')).status).toBe(401);
    const login = (password: string) =>
      new TestClient(alpha.baseUrl).post('/_matrix/client/v3/login', {
        type: 'm.login.password',
        identifier: { type: 'm.id.user', user: 'dave' },
        password,
      });
    expect((await login('correct horse battery staple')).status).toBe(403);
    expect((await login('a much better passphrase 42')).status).toBe(200);
  });

  it('a portable account has no password to change, and says so in its capabilities', async () => {
    const portable = await portableClient(alpha, new Uint8Array(randomBytes(32)), 'erin');
    const capabilities = await portable.get('/_matrix/client/v3/capabilities');
    expect(capabilities.body.capabilities['m.change_password']).toEqual({ enabled: false });
    expect((await alice.get('/_matrix/client/v3/capabilities')).body.capabilities['m.change_password']).toEqual({ enabled: true });
    const refused = await portable.post('/_matrix/client/v3/account/password', { new_password: 'anything at all 123' });
    expect(refused.status).toBe(403);
  });

  it('deactivation needs the password, leaves every room, ends every session and hides the user', async () => {
    const frank = await user(alpha, 'frank');
    await frank.setDisplayName('Frank Findable');
    const room = await alice.post('/_matrix/client/v3/createRoom', { preset: 'private_chat', invite: [frank.userId] });
    expect((await frank.post(`/_matrix/client/v3/join/${enc(room.body.room_id)}`, {})).status).toBe(200);
    expect((await search(alice, 'findable')).results).toHaveLength(1);

    const noAuth = await frank.post('/_matrix/client/v3/account/deactivate', {});
    expect(noAuth.status).toBe(401);
    assertMatchesSpec('/account/deactivate', 'POST', 401, noAuth.body);
    expect((await frank.get('/_matrix/client/v3/account/whoami')).status).toBe(200);

    const done = await frank.post('/_matrix/client/v3/account/deactivate', {
      auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: frank.userId }, password: 'correct horse battery staple' },
    });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    assertMatchesSpec('/account/deactivate', 'POST', 200, done.body);
    expect((await frank.get('/_matrix/client/v3/account/whoami')).status).toBe(401);
    const members = await alice.get(`/_matrix/client/v3/rooms/${enc(room.body.room_id)}/joined_members`);
    // Keyed by user ID in both room versions (PROTOCOL.md §5).
    expect(Object.keys(members.body.joined)).toEqual([alice.userId]);
    expect((await search(alice, 'findable')).results).toEqual([]);
    const login = await new TestClient(alpha.baseUrl).post('/_matrix/client/v3/login', {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'frank' },
      password: 'correct horse battery staple',
    });
    expect(login.status).toBe(403);
  });

  it('a portable account deactivates with a fresh account-key proof, not a password', async () => {
    const secret = new Uint8Array(randomBytes(32));
    const portable = await portableClient(alpha, secret, 'gina');
    const withPassword = await portable.post('/_matrix/client/v3/account/deactivate', {
      auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: portable.userId }, password: 'guess' },
    });
    expect(withPassword.status).toBe(401);
    const proof = await proveAccountKey({ baseUrl: alpha.baseUrl, serverName: alpha.serverName }, secret);
    const done = await portable.post('/_matrix/client/v3/account/deactivate', { auth: proof });
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect((await portable.get('/_matrix/client/v3/account/whoami')).status).toBe(401);
  });
});
