// Accounts over real HTTP: register, login, whoami, devices, profile, account data, filters, push rules,
// capabilities, CORS, and bad input (M_NOT_JSON, M_BAD_JSON, 429), each checked against the spec's OpenAPI.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startHomeserver, type RunningHomeserver } from '../testing/spawn';
import { enc, TestClient } from '../testing/http-client';
import { assertMatchesSpec } from '../testing/openapi';

// Real server processes and real clients: under `npm test` every file runs at once on two cores, so allow time.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

let server: RunningHomeserver;
let alice: TestClient;

beforeAll(async () => {
  server = await startHomeserver({ serverName: 'alpha.localhost:18501' });
  alice = await new TestClient(server.baseUrl).register('alice', 'alice-password');
});
afterAll(() => server?.dispose());

describe('discovery', () => {
  it('serves /versions and .well-known per the spec, with the portable identity flag', async () => {
    const versions = await alice.get('/_matrix/client/versions');
    assertMatchesSpec('/versions', 'get', 200, versions.body);
    expect(versions.body.versions).toContain('v1.1');
    expect(versions.body.unstable_features['dev.wayfarer.portable_identity']).toBe(true);
    const wellKnown = await alice.get('/.well-known/matrix/client');
    expect(wellKnown.body['m.homeserver'].base_url).toBe('http://alpha.localhost:18501');
  });

  it('answers CORS preflights and puts CORS headers on every /_matrix response, errors included', async () => {
    const preflight = await fetch(`${server.baseUrl}/_matrix/client/v3/sync`, {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://127.0.0.1:8480',
        'Access-Control-Request-Method': 'GET',
        'Access-Control-Request-Headers': 'authorization',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    const error = await fetch(`${server.baseUrl}/_matrix/client/v3/account/whoami`);
    expect(error.status).toBe(401);
    expect(error.headers.get('access-control-allow-origin')).toBe('*');
    const key = await fetch(`${server.baseUrl}/_matrix/key/v2/server`);
    expect(key.headers.get('access-control-allow-origin')).toBe('*');
    const keyBody = await key.json();
    expect(keyBody.server_name).toBe('alpha.localhost:18501');
    expect(Object.keys(keyBody.verify_keys)[0]).toMatch(/^ed25519:/);
  });

  it('serves capabilities with both room versions, the member-key one as default', async () => {
    const caps = await alice.get('/_matrix/client/v3/capabilities');
    assertMatchesSpec('/capabilities', 'get', 200, caps.body);
    expect(caps.body.capabilities['m.room_versions']).toEqual({
      default: 'org.matrix.12.4430',
      available: { '11': 'stable', 'org.matrix.12.4430': 'unstable' },
    });
  });
});

describe('registration and login', () => {
  it('offers the dummy flow with a UIA session when no auth is given', async () => {
    const reply = await new TestClient(server.baseUrl).post('/_matrix/client/v3/register', { username: 'uia', password: 'pw' });
    expect(reply.status).toBe(401);
    assertMatchesSpec('/register', 'post', 401, reply.body);
    expect(reply.body.flows).toEqual([{ stages: ['m.login.dummy'] }, { stages: ['dev.wayfarer.login.account_key'] }]);
    expect(typeof reply.body.session).toBe('string');
  });

  it('registers, refuses taken and invalid names, and reports availability', async () => {
    const client = new TestClient(server.baseUrl);
    const registered = await client.post('/_matrix/client/v3/register', {
      username: 'bob',
      password: 'pw',
      auth: { type: 'm.login.dummy' },
    });
    assertMatchesSpec('/register', 'post', 200, registered.body);
    expect(registered.body.user_id).toBe('@bob:alpha.localhost:18501');
    expect(registered.body.access_token).toMatch(/^wf_[A-Za-z0-9_-]{43}$/);
    const taken = await client.post('/_matrix/client/v3/register', { username: 'bob', password: 'pw', auth: { type: 'm.login.dummy' } });
    expect(taken.status).toBe(400);
    expect(taken.body.errcode).toBe('M_USER_IN_USE');
    const invalid = await client.post('/_matrix/client/v3/register', {
      username: 'Bad Name!',
      password: 'pw',
      auth: { type: 'm.login.dummy' },
    });
    expect(invalid.body.errcode).toBe('M_INVALID_USERNAME');
    expect((await client.get('/_matrix/client/v3/register/available?username=carol')).body).toEqual({ available: true });
    expect((await client.get('/_matrix/client/v3/register/available?username=bob')).body.errcode).toBe('M_USER_IN_USE');
  });

  it('logs in with a password (identifier or legacy user field) and refuses a wrong one', async () => {
    const client = new TestClient(server.baseUrl);
    const flows = await client.get('/_matrix/client/v3/login');
    assertMatchesSpec('/login', 'get', 200, flows.body);
    expect(flows.body.flows).toContainEqual({ type: 'm.login.password' });
    const ok = await client.post('/_matrix/client/v3/login', {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user: 'alice' },
      password: 'alice-password',
      initial_device_display_name: 'Laptop',
    });
    expect(ok.status).toBe(200);
    assertMatchesSpec('/login', 'post', 200, ok.body);
    const legacy = await client.post('/_matrix/client/v3/login', {
      type: 'm.login.password',
      user: '@alice:alpha.localhost:18501',
      password: 'alice-password',
    });
    expect(legacy.status).toBe(200);
    const wrong = await client.post('/_matrix/client/v3/login', { type: 'm.login.password', user: 'alice', password: 'nope' });
    expect(wrong.status).toBe(403);
    expect(wrong.body.errcode).toBe('M_FORBIDDEN');
    const nobody = await client.post('/_matrix/client/v3/login', { type: 'm.login.password', user: 'nobody', password: 'nope' });
    expect(nobody.body.errcode).toBe('M_FORBIDDEN');
  });

  it('whoami, then logout invalidates exactly that token', async () => {
    const client = new TestClient(server.baseUrl);
    const login = await client.post('/_matrix/client/v3/login', { type: 'm.login.password', user: 'alice', password: 'alice-password' });
    client.accessToken = login.body.access_token;
    const whoami = await client.get('/_matrix/client/v3/account/whoami');
    assertMatchesSpec('/account/whoami', 'get', 200, whoami.body);
    expect(whoami.body).toMatchObject({ user_id: '@alice:alpha.localhost:18501', device_id: login.body.device_id });
    expect((await client.post('/_matrix/client/v3/logout')).status).toBe(200);
    const after = await client.get('/_matrix/client/v3/account/whoami');
    expect(after.status).toBe(401);
    expect(after.body.errcode).toBe('M_UNKNOWN_TOKEN');
    expect((await alice.get('/_matrix/client/v3/account/whoami')).status).toBe(200);
  });

  it('a long-polling /sync answers 401 as soon as its session ends elsewhere, not when the poll runs out', async () => {
    const phone = new TestClient(server.baseUrl);
    phone.accessToken = (
      await phone.post('/_matrix/client/v3/login', {
        type: 'm.login.password',
        user: 'alice',
        password: 'alice-password',
        device_id: 'POLLER',
      })
    ).body.access_token;
    const since = (await phone.get('/_matrix/client/v3/sync')).body.next_batch as string;
    // Without the wake-up this poll would answer 200 (empty) after 50 s, beyond the test's time limit.
    const poll = phone.get(`/_matrix/client/v3/sync?since=${since}&timeout=50000`);
    await new Promise((resolve) => setTimeout(resolve, 300)); // let the poll start waiting
    const challenge = await alice.request('DELETE', '/_matrix/client/v3/devices/POLLER', {});
    const done = await alice.request('DELETE', '/_matrix/client/v3/devices/POLLER', {
      auth: {
        type: 'm.login.password',
        session: challenge.body.session,
        identifier: { type: 'm.id.user', user: 'alice' },
        password: 'alice-password',
      },
    });
    expect(done.status).toBe(200);
    const ended = await poll;
    expect(ended.status).toBe(401);
    expect(ended.body.errcode).toBe('M_UNKNOWN_TOKEN');
  }, 30_000);

  it('logout/all ends every session of the user', async () => {
    const carol = await new TestClient(server.baseUrl).register('carol');
    const second = new TestClient(server.baseUrl);
    second.accessToken = (
      await second.post('/_matrix/client/v3/login', { type: 'm.login.password', user: 'carol', password: 'correct horse battery staple' })
    ).body.access_token;
    expect((await carol.post('/_matrix/client/v3/logout/all')).status).toBe(200);
    expect((await carol.get('/_matrix/client/v3/account/whoami')).status).toBe(401);
    expect((await second.get('/_matrix/client/v3/account/whoami')).status).toBe(401);
  });
});

describe('devices, profile, account data, filters, push rules', () => {
  it('lists, renames and deletes devices (delete needs the password)', async () => {
    const other = new TestClient(server.baseUrl);
    const login = await other.post('/_matrix/client/v3/login', {
      type: 'm.login.password',
      user: 'alice',
      password: 'alice-password',
      device_id: 'PHONE',
    });
    other.accessToken = login.body.access_token;
    const list = await alice.get('/_matrix/client/v3/devices');
    assertMatchesSpec('/devices', 'get', 200, list.body);
    expect(list.body.devices.map((d: { device_id: string }) => d.device_id)).toContain('PHONE');
    expect((await alice.put('/_matrix/client/v3/devices/PHONE', { display_name: 'My phone' })).status).toBe(200);
    const one = await alice.get('/_matrix/client/v3/devices/PHONE');
    assertMatchesSpec('/devices/{deviceId}', 'get', 200, one.body);
    expect(one.body.display_name).toBe('My phone');
    const challenge = await alice.request('DELETE', '/_matrix/client/v3/devices/PHONE', {});
    expect(challenge.status).toBe(401);
    expect(challenge.body.flows).toEqual([{ stages: ['m.login.password'] }]);
    const deleted = await alice.request('DELETE', '/_matrix/client/v3/devices/PHONE', {
      auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: alice.userId }, password: 'alice-password' },
    });
    expect(deleted.status).toBe(200);
    expect((await other.get('/_matrix/client/v3/account/whoami')).status).toBe(401);
    expect((await alice.get('/_matrix/client/v3/devices/PHONE')).status).toBe(404);
  });

  it("sets and reads the profile, and refuses to edit someone else's", async () => {
    const me = enc(alice.userId!);
    expect((await alice.put(`/_matrix/client/v3/profile/${me}/displayname`, { displayname: 'Alice A.' })).status).toBe(200);
    expect((await alice.put(`/_matrix/client/v3/profile/${me}/avatar_url`, { avatar_url: 'mxc://alpha.localhost:18501/abc' })).status).toBe(
      200,
    );
    const profile = await alice.get(`/_matrix/client/v3/profile/${me}`);
    assertMatchesSpec('/profile/{userId}', 'get', 200, profile.body);
    expect(profile.body).toEqual({ displayname: 'Alice A.', avatar_url: 'mxc://alpha.localhost:18501/abc' });
    expect((await alice.get(`/_matrix/client/v3/profile/${me}/displayname`)).body).toEqual({ displayname: 'Alice A.' });
    const other = await alice.put(`/_matrix/client/v3/profile/${enc('@bob:alpha.localhost:18501')}/displayname`, { displayname: 'x' });
    expect(other.status).toBe(403);
    expect((await alice.get(`/_matrix/client/v3/profile/${enc('@ghost:alpha.localhost:18501')}`)).status).toBe(404);
  });

  it('stores account data and filters', async () => {
    const me = enc(alice.userId!);
    expect(
      (await alice.put(`/_matrix/client/v3/user/${me}/account_data/m.direct`, { '@bob:alpha.localhost:18501': ['!x:y'] })).status,
    ).toBe(200);
    expect((await alice.get(`/_matrix/client/v3/user/${me}/account_data/m.direct`)).body).toEqual({
      '@bob:alpha.localhost:18501': ['!x:y'],
    });
    expect((await alice.get(`/_matrix/client/v3/user/${me}/account_data/nothing.here`)).status).toBe(404);
    const filter = await alice.post(`/_matrix/client/v3/user/${me}/filter`, {
      room: { timeline: { limit: 5 }, state: { lazy_load_members: true } },
    });
    assertMatchesSpec('/user/{userId}/filter', 'post', 200, filter.body);
    const back = await alice.get(`/_matrix/client/v3/user/${me}/filter/${filter.body.filter_id}`);
    expect(back.body.room.timeline.limit).toBe(5);
    const bad = await alice.post(`/_matrix/client/v3/user/${me}/filter`, { room: { timeline: { limit: 'many' } } });
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe('M_BAD_JSON');
  });

  it("serves the spec's default push rules and lets a rule be disabled", async () => {
    const rules = await alice.get('/_matrix/client/v3/pushrules/');
    assertMatchesSpec('/pushrules/', 'get', 200, rules.body);
    const ids = rules.body.global.override.map((r: { rule_id: string }) => r.rule_id);
    expect(ids).toEqual(
      expect.arrayContaining([
        '.m.rule.master',
        '.m.rule.suppress_notices',
        '.m.rule.invite_for_me',
        '.m.rule.member_event',
        '.m.rule.is_user_mention',
      ]),
    );
    expect(rules.body.global.underride.map((r: { rule_id: string }) => r.rule_id)).toContain('.m.rule.message');
    expect((await alice.put('/_matrix/client/v3/pushrules/global/underride/.m.rule.message/enabled', { enabled: false })).status).toBe(200);
    expect((await alice.get('/_matrix/client/v3/pushrules/global/underride/.m.rule.message/enabled')).body).toEqual({ enabled: false });
  });
});

describe('bad input', () => {
  it('answers malformed JSON with M_NOT_JSON and wrong shapes with M_BAD_JSON, never a 500', async () => {
    const notJson = await alice.request('POST', '/_matrix/client/v3/createRoom', undefined, { raw: '{"name": ' });
    expect(notJson.status).toBe(400);
    expect(notJson.body.errcode).toBe('M_NOT_JSON');
    const array = await alice.request('POST', '/_matrix/client/v3/createRoom', undefined, { raw: '[1,2]' });
    expect(array.body.errcode).toBe('M_BAD_JSON');
    const wrongType = await alice.post('/_matrix/client/v3/createRoom', { name: 42 });
    expect(wrongType.body.errcode).toBe('M_BAD_JSON');
    const badVersion = await alice.post('/_matrix/client/v3/createRoom', { room_version: '999' });
    expect(badVersion.body.errcode).toBe('M_UNSUPPORTED_ROOM_VERSION');
    const unknown = await alice.get('/_matrix/client/v3/no/such/endpoint');
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe('M_UNRECOGNIZED');
    const badPercent = await alice.get('/_matrix/client/v3/profile/%E0%A4%A');
    expect(badPercent.status).toBe(400);
    const badToken = await alice.get('/_matrix/client/v3/sync?since=garbage');
    expect(badToken.body.errcode).toBe('M_INVALID_PARAM');
    const noToken = await new TestClient(server.baseUrl).get('/_matrix/client/v3/joined_rooms');
    expect(noToken.body.errcode).toBe('M_MISSING_TOKEN');
  });

  it('limits request body size', async () => {
    const huge = JSON.stringify({ name: 'x'.repeat(2 * 1024 * 1024) });
    const reply = await alice.request('POST', '/_matrix/client/v3/createRoom', undefined, { raw: huge });
    expect(reply.status).toBe(413);
    expect(reply.body.errcode).toBe('M_TOO_LARGE');
  });

  it('rate-limits login with 429 M_LIMIT_EXCEEDED and retry_after_ms', async () => {
    const client = new TestClient(server.baseUrl);
    let limited: { status: number; body: any } | undefined;
    for (let i = 0; i < 100 && !limited; i++) {
      const reply = await client.post('/_matrix/client/v3/login', { type: 'm.login.password', user: 'alice', password: 'wrong' });
      if (reply.status === 429) limited = reply;
    }
    expect(limited?.body.errcode).toBe('M_LIMIT_EXCEEDED');
    expect(limited?.body.retry_after_ms).toBeGreaterThan(0);
  });
});
