// Upgrading a real homeserver: the data directory the previous release left (fixtures/previous-release, made by
// server/testing/make-upgrade-fixture.ts) is migrated at start and served with nothing lost: sessions and password
// logins, both rooms (one of each room version, federated) with every message in order, the redaction, the thread,
// search, account data, tags, push rules, a filter, an alias, media, unread counts, member-key links and a portable
// account. A database from a newer release is refused at start with a clear error, and left as it was.
import Database from 'better-sqlite3';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ACCOUNT_KEY_LOGIN_TYPE, deriveAccountKey, signAccountKeyProof } from '../../src/protocol';
import { startHomeserver, type RunningHomeserver } from '../testing/spawn';
import { enc, ok, TestClient } from '../testing/http-client';
import { bodies, memberInfo, say } from '../testing/federation-harness';
import { SCHEMA_VERSION } from '../storage/migrations';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 150_000 });

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'previous-release');
const manifest = JSON.parse(readFileSync(path.join(FIXTURE, 'manifest.json'), 'utf8'));
const VERSIONS = ['11', 'org.matrix.12.4430'] as const;
const room = (version: (typeof VERSIONS)[number]) =>
  manifest.rooms[version] as {
    room_id: string;
    name: string;
    bodies: string[];
    redacted: string;
    thread_root: string;
    event_ids: string[];
  };

/** The room's message bodies as the release left them: the redacted one (sent before the last) has none. */
const timelineOf = (version: (typeof VERSIONS)[number]) => {
  const said = room(version).bodies;
  return [...said.slice(0, -1), undefined, said.at(-1)];
};

const dirs: string[] = [];
function fixtureCopy(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'schema-upgrade-'));
  dirs.push(dir);
  cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}

let server: RunningHomeserver;
let alice: TestClient;
let bob: TestClient;
/** Unread counts per room and user as the release left them. */
let unreadBefore: Map<string, { notifications: number; highlights: number }>;

async function login(user: string): Promise<TestClient> {
  const client = new TestClient(server.baseUrl);
  const reply = await ok(
    client.post('/_matrix/client/v3/login', {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user },
      password: manifest.password,
    }),
  );
  client.accessToken = reply.access_token;
  client.userId = reply.user_id;
  return client;
}

beforeAll(async () => {
  const dir = fixtureCopy();
  const old = new Database(path.join(dir, 'homeserver.sqlite'), { readonly: true });
  const counts = old
    .prepare('SELECT room_id, user_id, COUNT(*) AS n, SUM(highlight) AS h FROM push_actions GROUP BY room_id, user_id')
    .all() as { room_id: string; user_id: string; n: number; h: number }[];
  unreadBefore = new Map(counts.map((c) => [`${c.room_id} ${c.user_id}`, { notifications: c.n, highlights: c.h }]));
  expect(old.pragma('user_version', { simple: true })).toBeLessThan(SCHEMA_VERSION);
  old.close();
  server = await startHomeserver({ serverName: manifest.server_name, dataDir: dir });
  [alice, bob] = await Promise.all([login('alice'), login('bob')]);
});
afterAll(async () => {
  await server?.dispose();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const unreadOf = async (client: TestClient, roomId: string) => {
  const sync = await ok(client.get('/_matrix/client/v3/sync?timeout=0'));
  const unread = sync.rooms.join[roomId].unread_notifications;
  return { notifications: unread.notification_count, highlights: unread.highlight_count };
};

describe('a homeserver started on the previous release’s data', () => {
  it('migrated the database to the latest schema version', () => {
    const db = new Database(path.join(server.dataDir, 'homeserver.sqlite'), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
  });

  it('keeps sessions, password logins, the profile and the portable account', async () => {
    const old = new TestClient(server.baseUrl);
    old.accessToken = manifest.alice_access_token;
    expect((await ok(old.get('/_matrix/client/v3/account/whoami'))).user_id).toBe(manifest.users.alice);
    expect(alice.userId).toBe(manifest.users.alice);
    expect((await ok(alice.get(`/_matrix/client/v3/profile/${enc(alice.userId!)}/displayname`))).displayname).toBe('Alice Upgrade');

    const account = deriveAccountKey(Uint8Array.from(Buffer.from(manifest.account_secret, 'hex')));
    const client = new TestClient(server.baseUrl);
    const { challenge } = await ok(
      client.post('/_matrix/client/unstable/dev.wayfarer/account_key/challenge', { account_key: manifest.account_key }),
    );
    const signature = signAccountKeyProof({ challenge, homeserver: manifest.server_name, account_key: manifest.account_key }, account.seed);
    const dana = await ok(
      client.post('/_matrix/client/v3/login', { type: ACCOUNT_KEY_LOGIN_TYPE, account_key: manifest.account_key, challenge, signature }),
    );
    expect(dana.user_id).toBe(manifest.users.dana);
  });

  it.each(VERSIONS)(
    'serves room version %s: /sync, every message in order, the redaction, the thread, the members and their links',
    async (version) => {
      const { room_id: roomId, name, bodies: said, redacted, thread_root: root } = room(version);
      const sync = await ok(alice.get('/_matrix/client/v3/sync?timeout=0'));
      const joined = sync.rooms.join[roomId];
      expect(joined).toBeDefined();
      const timeline = (joined.timeline.events as any[]).filter((e) => e.type === 'm.room.message').map((e) => e.content.body);
      expect(timeline.at(-1)).toBe(said.at(-1));
      expect((await ok(alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.name/`))).name).toBe(name);
      expect(await bodies(alice, roomId)).toEqual(timelineOf(version));
      expect((await ok(bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(redacted)}`))).content).toEqual({});
      const thread = await ok(alice.get(`/_matrix/client/v1/rooms/${enc(roomId)}/relations/${enc(root)}/m.thread`));
      expect(thread.chunk.map((e: any) => e.content.body)).toEqual([`bob replies in a thread in ${version}`]);
      const members = await ok(alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/members?membership=join`));
      expect(members.chunk.map((e: any) => e.content.displayname ?? e.state_key).length).toBe(3);
      if (version !== '11') {
        // Carol's link (checked against beta, which is not running now) is still the verified one the release stored.
        const links = Object.values(await memberInfo(alice, roomId)).map((info: any) => [
          JSON.stringify(info).includes(manifest.users.carol),
          info?.['dev.wayfarer.link']?.status,
        ]);
        expect(links).toContainEqual([true, 'verified']);
      }
    },
  );

  it('keeps account data, tags, push rules, the filter, the alias and media', async () => {
    expect(await ok(alice.get(`/_matrix/client/v3/user/${enc(alice.userId!)}/account_data/dev.wayfarer.fixture`))).toEqual({
      kept: 'across the upgrade',
    });
    for (const version of VERSIONS) {
      expect((await ok(alice.get(`/_matrix/client/v3/user/${enc(alice.userId!)}/rooms/${enc(room(version).room_id)}/tags`))).tags).toEqual({
        'u.upgrade': { order: 0.5 },
      });
    }
    const rule = await ok(alice.get('/_matrix/client/v3/pushrules/global/content/upgrade-zebra'));
    expect(rule.pattern).toBe('zebra');
    expect((await ok(alice.get(`/_matrix/client/v3/user/${enc(alice.userId!)}/filter/${manifest.filter_id}`))).room.timeline.limit).toBe(7);
    expect((await ok(alice.get(`/_matrix/client/v3/directory/room/${enc(manifest.alias)}`))).room_id).toBe(room('11').room_id);
    const [, serverName, mediaId] = /^mxc:\/\/([^/]+)\/(.+)$/.exec(manifest.media_uri)!;
    const media = await fetch(`${server.baseUrl}/_matrix/client/v1/media/download/${enc(serverName!)}/${enc(mediaId!)}`, {
      headers: { Authorization: `Bearer ${alice.accessToken}` },
    });
    expect(media.status).toBe(200);
    expect(await media.text()).toBe('media kept across the upgrade');
  });

  it('finds the old messages with /search', async () => {
    const search = async (term: string) => {
      const reply = await ok(
        alice.post('/_matrix/client/v3/search', { search_categories: { room_events: { search_term: term, order_by: 'recent' } } }),
      );
      return (reply.search_categories.room_events.results as any[]).map((r) => r.result.event_id).sort();
    };
    expect(await search('zebra')).toEqual(VERSIONS.map((v) => room(v).thread_root).sort());
    expect(await search('carol writes')).toEqual(VERSIONS.map((v) => room(v).event_ids[2]).sort());
    // The redacted message stays out of the index.
    expect(await search('secret')).toEqual([]);
  });

  it('keeps unread counts, and stores, notifies and indexes new messages after the old ones', async () => {
    expect([...unreadBefore.values()].some((u) => u.notifications > 0)).toBe(true);
    for (const version of VERSIONS) {
      const roomId = room(version).room_id;
      for (const [client, userId] of [
        [alice, manifest.users.alice],
        [bob, manifest.users.bob],
      ] as const) {
        expect(await unreadOf(client, roomId), `${userId} in ${version}`).toEqual(
          unreadBefore.get(`${roomId} ${userId}`) ?? { notifications: 0, highlights: 0 },
        );
      }
      const before = await unreadOf(alice, roomId);
      const body = `bob mentions a zebra after the upgrade in ${version}`;
      const eventId = await say(bob, roomId, body);
      expect(await bodies(alice, roomId)).toEqual([...timelineOf(version), body]);
      // Alice's push rule from the release still highlights.
      expect(await unreadOf(alice, roomId)).toEqual({ notifications: before.notifications + 1, highlights: before.highlights + 1 });
      const found = await ok(
        alice.post('/_matrix/client/v3/search', {
          search_categories: { room_events: { search_term: 'upgrade', filter: { rooms: [roomId] } } },
        }),
      );
      expect(found.search_categories.room_events.results.map((r: any) => r.result.event_id)).toContain(eventId);
    }
  });
});

describe('a database from a newer release', () => {
  it('is refused at start with a clear error, and left as it was', async () => {
    const dir = fixtureCopy();
    const file = path.join(dir, 'homeserver.sqlite');
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    // (A server that did start is stopped again, so a failing test leaves no process behind.)
    const start = startHomeserver({ serverName: 'alpha.localhost:20852', dataDir: dir }).then(async (started) => {
      await started.dispose();
      return 'started';
    });
    await expect(start).rejects.toThrow(
      new RegExp(
        `exited with 1 before it was ready:[^]*homeserver\\.sqlite is at schema version ${SCHEMA_VERSION + 1}, but this homeserver knows versions up to ${SCHEMA_VERSION}`,
      ),
    );
    const after = new Database(file, { readonly: true });
    expect(after.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION + 1);
    expect((after.prepare('SELECT COUNT(*) AS n FROM component_versions').get() as { n: number }).n).toBe(1);
    after.close();
  });
});
