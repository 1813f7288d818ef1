// Deactivation with `erase` (Client-Server API, POST /account/deactivate): whoever joins afterwards is served the
// account's events redacted — in /messages, /context, /event, /sync and search — while whoever could see them
// before keeps seeing them whole; its profile and account data are gone. Without `erase`, nothing is withheld.
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunningHomeserver } from '../testing/spawn';
import { expectOk as ok, serverWithUsers } from '../testing/one-server';
import { enc, TestClient } from '../testing/http-client';
import { startServers, user } from '../testing/federation-harness';
import { HostileServer } from '../testing/hostile-server';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const SERVER = 'alpha.localhost:20471';
const fixture = serverWithUsers(SERVER, ['bob', 'carol', 'dave']);
let server: RunningHomeserver;
let bob: TestClient;
let carol: TestClient;
let dave: TestClient;
beforeAll(() => ({ server, bob, carol, dave } = fixture));

const PASSWORD = 'correct horse battery staple';
const send = async (client: TestClient, roomId: string, body: string) =>
  ok(await client.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/t${Math.random()}`, { msgtype: 'm.text', body }))
    .event_id as string;
const deactivate = (client: TestClient, erase?: boolean) =>
  client.post('/_matrix/client/v3/account/deactivate', {
    auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: client.userId }, password: PASSWORD },
    ...(erase === undefined ? {} : { erase }),
  });
const messages = async (client: TestClient, roomId: string) =>
  ok(await client.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=50`)).chunk.filter(
    (e: any) => e.type === 'm.room.message',
  );
const search = async (client: TestClient, term: string) =>
  ok(await client.post('/_matrix/client/v3/search', { search_categories: { room_events: { search_term: term } } })).search_categories
    .room_events.results as any[];

for (const version of ['11', 'org.matrix.12.4430']) {
  describe(`room version ${version}`, () => {
    let roomId: string;
    let erin: TestClient;
    let frank: TestClient;
    let secret: string;
    let kept: string;
    const tag = version === '11' ? 'v11' : 'mk';

    beforeAll(async () => {
      erin = await new TestClient(server.baseUrl).register(`erin${tag}`);
      frank = await new TestClient(server.baseUrl).register(`frank${tag}`);
      await erin.setDisplayName(`Erin ${tag}`);
      ok(await erin.put(`/_matrix/client/v3/user/${enc(erin.userId!)}/account_data/org.example.notes`, { private: 'notes' }));
      roomId = ok(await bob.post('/_matrix/client/v3/createRoom', { room_version: version, preset: 'public_chat' })).room_id;
      for (const member of [erin, frank]) ok(await member.post(`/_matrix/client/v3/join/${enc(roomId)}`, {}));
      secret = await send(erin, roomId, `erin's plans ${tag}`);
      kept = await send(frank, roomId, `frank's words ${tag}`);
      const erased = await deactivate(erin, true);
      expect(erased.status, JSON.stringify(erased.body)).toBe(200);
      expect((await deactivate(frank)).status).toBe(200);
      // Carol joins after both left: she could never see their messages before.
      ok(await carol.post(`/_matrix/client/v3/join/${enc(roomId)}`, {}));
    });

    it('bob, in the room all along, still reads the erased account’s message whole', async () => {
      const bodies = (await messages(bob, roomId)).map((e: any) => e.content.body);
      expect(bodies).toContain(`erin's plans ${tag}`);
      expect(ok(await bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(secret)}`)).content.body).toBe(`erin's plans ${tag}`);
      expect((await search(bob, 'plans')).map((r) => r.result.event_id)).toContain(secret);
    });

    it('carol, who joined after the erasure, is served it redacted everywhere; the unerased account’s is whole', async () => {
      const events = await messages(carol, roomId);
      const erased = events.find((e: any) => e.event_id === secret);
      expect(erased).toBeDefined();
      expect(erased.content).toEqual({});
      expect(events.find((e: any) => e.event_id === kept).content.body).toBe(`frank's words ${tag}`);
      expect(ok(await carol.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(secret)}`)).content).toEqual({});
      const context = ok(await carol.get(`/_matrix/client/v3/rooms/${enc(roomId)}/context/${enc(kept)}?limit=10`));
      expect(context.events_before.find((e: any) => e.event_id === secret).content).toEqual({});
      const sync = ok(await carol.get(`/_matrix/client/v3/sync?filter=${enc(JSON.stringify({ room: { timeline: { limit: 50 } } }))}`));
      const timeline = sync.rooms.join[roomId].timeline.events as any[];
      expect(timeline.find((e) => e.event_id === secret).content).toEqual({});
      // Erin's join, as served to carol, no longer names her.
      const join = timeline.find(
        (e) => e.type === 'm.room.member' && e.content.membership === 'join' && e.sender === erasedSender(timeline),
      );
      expect(join).toBeDefined();
      expect(join.content.displayname).toBeUndefined();
      // Nor can carol find the words.
      expect(await search(carol, 'plans')).toEqual([]);
      expect((await search(carol, 'words')).map((r) => r.result.event_id)).toContain(kept);
    });

    it('the erased account has no profile left', async () => {
      const profile = await dave.get(`/_matrix/client/v3/profile/${enc(erin.userId!)}`);
      expect(profile.body.displayname).toBeUndefined();
    });

    function erasedSender(timeline: any[]): string {
      return timeline.find((e) => e.event_id === secret).sender;
    }
  });
}

it('in a world-readable room, a reader who was never a member before the erasure gets the redacted copy too', async () => {
  const ivan = await new TestClient(server.baseUrl).register('ivan');
  const roomId = ok(await bob.post('/_matrix/client/v3/createRoom', { preset: 'public_chat' })).room_id;
  ok(await bob.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.history_visibility/`, { history_visibility: 'world_readable' }));
  ok(await ivan.post(`/_matrix/client/v3/join/${enc(roomId)}`, {}));
  const id = await send(ivan, roomId, 'ivan in public');
  expect((await deactivate(ivan, true)).status).toBe(200);
  // Dave reads the room without joining (world-readable), then joins: either way, the redacted copy.
  expect(ok(await dave.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(id)}`)).content).toEqual({});
  ok(await dave.post(`/_matrix/client/v3/join/${enc(roomId)}`, {}));
  expect(ok(await dave.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(id)}`)).content).toEqual({});
  expect(ok(await bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(id)}`)).content.body).toBe('ivan in public');
});

it('erasure is kept across a restart, and its account data is gone', async () => {
  const grace = await new TestClient(server.baseUrl).register('grace');
  ok(await grace.put(`/_matrix/client/v3/user/${enc(grace.userId!)}/account_data/org.example.notes`, { private: 'notes' }));
  const roomId = ok(await bob.post('/_matrix/client/v3/createRoom', { preset: 'public_chat' })).room_id;
  ok(await grace.post(`/_matrix/client/v3/join/${enc(roomId)}`, {}));
  const id = await send(grace, roomId, 'grace was here');
  expect((await deactivate(grace, true)).status).toBe(200);
  await server.restart();
  ok(await dave.post(`/_matrix/client/v3/join/${enc(roomId)}`, {}));
  expect(ok(await dave.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(id)}`)).content).toEqual({});
  expect(ok(await bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(id)}`)).content.body).toBe('grace was here');
  // Read beside the running server (WAL): nothing of grace's account data or filters is left.
  const db = new Database(path.join(server.dataDir, 'homeserver.sqlite'), { readonly: true });
  try {
    expect(db.prepare('SELECT COUNT(*) AS n FROM account_data WHERE user_id = ?').get(grace.userId)).toEqual({ n: 0 });
  } finally {
    db.close();
  }
});

describe('over federation', () => {
  let alpha: RunningHomeserver;
  let beta: RunningHomeserver;
  afterAll(async () => {
    await Promise.all([alpha?.dispose(), beta?.dispose()]);
  });

  it('a server that joins after the erasure gets the account’s events redacted: in the join’s state and by backfill', async () => {
    [alpha, beta] = await startServers(['alpha.localhost:20472', 'beta.localhost:20473']);
    for (const version of ['11', 'org.matrix.12.4430']) {
      const [host, ivy, judy] = await Promise.all([
        user(alpha, `host${version.length}`),
        user(alpha, `ivy${version.length}`),
        user(beta, `judy${version.length}`),
      ]);
      await ivy.setDisplayName('Ivy Erased');
      const roomId = ok(await host.post('/_matrix/client/v3/createRoom', { room_version: version, preset: 'public_chat' })).room_id;
      ok(await ivy.post(`/_matrix/client/v3/join/${enc(roomId)}`, {}));
      const secret = await send(ivy, roomId, 'ivy wrote this');
      for (let i = 0; i < 30; i++) await send(host, roomId, `filler ${i}`); // so the first sync's page leaves ivy's to backfill
      expect((await deactivate(ivy, true)).status).toBe(200);

      ok(await judy.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(alpha.serverName)}`, {}));
      const all: any[] = [];
      let from: string | undefined;
      for (let page = 0; page < 20; page++) {
        const reply = ok(await judy.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=10${from ? `&from=${from}` : ''}`));
        all.push(...reply.chunk);
        if (!reply.end) break;
        from = reply.end;
      }
      const served = all.find((e) => e.event_id === secret);
      expect(served, version).toBeDefined();
      expect(served.content).toEqual({});
      expect(all.find((e) => e.content?.body === 'filler 0')).toBeDefined();
      // Ivy's join, as beta holds it, no longer names her.
      const ivyJoin = all.find((e) => e.type === 'm.room.member' && e.sender === served.sender && e.content.membership === 'join');
      expect(ivyJoin).toBeDefined();
      expect(ivyJoin.content.displayname).toBeUndefined();
      // Alpha's own member in the room from the start still reads it whole.
      expect(ok(await host.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(secret)}`)).content.body).toBe('ivy wrote this');
    }
  });
});

describe('a server that joins after the erasure and walks the room’s graph itself', () => {
  let alpha: RunningHomeserver;
  let evil: HostileServer;
  afterAll(async () => {
    await Promise.all([alpha?.dispose(), evil?.close()]);
  });

  it('gets the account’s events redacted by /event, /backfill and /get_missing_events, as by its join', async () => {
    [alpha] = await startServers(['alpha.localhost:20475']);
    evil = await HostileServer.start(20476, 'evil');
    for (const version of ['11', 'org.matrix.12.4430']) {
      const tag = version.length;
      const [host, nina] = await Promise.all([user(alpha, `host${tag}`), user(alpha, `nina${tag}`)]);
      await nina.setDisplayName('Nina Erased');
      const roomId = ok(await host.post('/_matrix/client/v3/createRoom', { room_version: version, preset: 'public_chat' })).room_id;
      ok(await nina.post(`/_matrix/client/v3/join/${enc(roomId)}`, {}));
      const secret = await send(nina, roomId, 'nina wrote this');
      expect((await deactivate(nina, true)).status).toBe(200);

      const member = await evil.join(alpha, roomId, 'mallory', version);
      const ninaJoin = [...member.pdus.values()].find(
        (p) =>
          p.type === 'm.room.member' && p.content.membership === 'join' && p.sender !== member.id && p.content.displayname !== `host${tag}`,
      );
      expect(ninaJoin, version).toBeDefined();
      expect(ninaJoin!.content.displayname).toBeUndefined();

      const event = await evil.fed(alpha, 'GET', `/_matrix/federation/v1/event/${enc(secret)}`);
      expect(event.body.pdus[0].content).toEqual({});
      const backfill = await evil.fed(alpha, 'GET', `/_matrix/federation/v1/backfill/${enc(roomId)}?v=${enc(member.joinId)}&limit=50`);
      expect(backfill.body.pdus.find((p: any) => p.type === 'm.room.message').content).toEqual({});
      const missing = await evil.fed(alpha, 'POST', `/_matrix/federation/v1/get_missing_events/${enc(roomId)}`, {
        earliest_events: [],
        latest_events: [member.joinId],
        limit: 50,
      });
      expect(missing.status).toBe(200);
      const walked = (missing.body.events as any[]).find((p) => p.type === 'm.room.message');
      expect(walked, version).toBeDefined();
      expect(walked.content).toEqual({});
    }
  });
});
