// Portable identity over real HTTP (PROTOCOL.md §5): challenge → signed proof → login / register, account/portable,
// and every way a proof can be wrong (replayed, expired, for another server, by another key, malformed, too many):
// each is refused with the specified error and creates no session.
import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCOUNT_KEY_LOGIN_TYPE,
  deriveAccountKey,
  deriveMemberKey,
  deriveMemberRoot,
  encodeBase64Url,
  generateRecoverySecret,
  memberIdFromPublicKey,
  signAccountKeyProof,
  deriveCreatorMemberKey,
} from '../../src/protocol';
import { startHomeserver, type RunningHomeserver } from '../testing/spawn';
import { enc, TestClient } from '../testing/http-client';
import { assertMatchesSpec } from '../testing/openapi';
import {
  fetchPortableAccount,
  loginWithAccountKey,
  registerWithAccountKey,
  isUnknownAccountKey,
  type HomeserverAddress,
} from '../../src/features/portable/accountKeyAuth';
import { createRoomSeedFields, joinSeedFields } from '../../src/features/portable/memberSeeds';

const ALPHA = 'alpha.localhost:18801';
const TIGHT = 'tight.localhost:18803';
const PREFIX = '/_matrix/client/unstable/dev.wayfarer';

let alpha: RunningHomeserver;
let tight: RunningHomeserver;
let alphaAddress: HomeserverAddress;

beforeAll(async () => {
  [alpha, tight] = await Promise.all([
    // Loose limits so the semantic tests and the fuzz test are not throttled.
    startHomeserver({ serverName: ALPHA, extraArgs: ['--auth-rate-limit', '100000,100000', '--account-key-rate-limit', '100000,100000'] }),
    startHomeserver({
      serverName: TIGHT,
      extraArgs: ['--account-key-challenge-ttl-ms', '300', '--auth-rate-limit', '8,0.01', '--account-key-rate-limit', '3,0.01'],
    }),
  ]);
  alphaAddress = { baseUrl: alpha.baseUrl, serverName: ALPHA };
});
afterAll(async () => {
  await Promise.all([alpha?.dispose(), tight?.dispose()]);
});

/** Sessions in the server's own database: a refused proof must not add one. */
function sessionCount(server: RunningHomeserver): number {
  const db = new Database(path.join(server.dataDir, 'homeserver.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const tokens = (db.prepare('SELECT COUNT(*) AS n FROM access_tokens').get() as { n: number }).n;
    const devices = (db.prepare('SELECT COUNT(*) AS n FROM devices').get() as { n: number }).n;
    return tokens + devices;
  } finally {
    db.close();
  }
}

function identity() {
  const secret = generateRecoverySecret();
  const account = deriveAccountKey(secret);
  return { secret, account, accountKey: encodeBase64Url(account.publicKey) };
}

async function challengeFor(server: RunningHomeserver, accountKey: string) {
  const reply = await new TestClient(server.baseUrl).post(`${PREFIX}/account_key/challenge`, { account_key: accountKey });
  expect(reply.status).toBe(200);
  return reply.body as { challenge: string; expires_ts: number };
}

async function signedLogin(server: RunningHomeserver, serverName: string, id = identity()) {
  const { challenge } = await challengeFor(server, id.accountKey);
  const signature = signAccountKeyProof({ challenge, homeserver: serverName, account_key: id.accountKey }, id.account.seed);
  return { type: ACCOUNT_KEY_LOGIN_TYPE, account_key: id.accountKey, challenge, signature };
}

const login = (server: RunningHomeserver, body: unknown) => new TestClient(server.baseUrl).post('/_matrix/client/v3/login', body);

async function expectRefusedWithoutSession(
  server: RunningHomeserver,
  attempt: () => Promise<{ status: number; body: any }>,
  status: number,
  message: RegExp,
) {
  const before = sessionCount(server);
  const reply = await attempt();
  expect(reply.status).toBe(status);
  expect(reply.body.errcode).toBe(status === 429 ? 'M_LIMIT_EXCEEDED' : 'M_FORBIDDEN');
  expect(reply.body.error).toMatch(message);
  expect(reply.body.access_token).toBeUndefined();
  expect(sessionCount(server)).toBe(before);
  return reply;
}

describe('discovery', () => {
  it('lists the feature in /versions and the login type in GET /login', async () => {
    const client = new TestClient(alpha.baseUrl);
    const versions = await client.get('/_matrix/client/versions');
    assertMatchesSpec('/versions', 'get', 200, versions.body);
    expect(versions.body.unstable_features['dev.wayfarer.portable_identity']).toBe(true);
    const flows = await client.get('/_matrix/client/v3/login');
    assertMatchesSpec('/login', 'get', 200, flows.body);
    expect(flows.body.flows).toContainEqual({ type: ACCOUNT_KEY_LOGIN_TYPE });
  });

  it('issues 32-byte challenges valid for 120 s by default', async () => {
    const before = Date.now();
    const { challenge, expires_ts } = await challengeFor(alpha, identity().accountKey);
    expect(challenge).toMatch(/^[A-Za-z0-9+/]{43}$/);
    expect(expires_ts).toBeGreaterThanOrEqual(before + 120_000);
    expect(expires_ts).toBeLessThanOrEqual(Date.now() + 120_000);
  });
});

describe('register and sign in with an account key', () => {
  it('registers with the account-key stage, then logs in by proof; account/portable reports the key', async () => {
    const id = identity();
    const client = new TestClient(alpha.baseUrl);
    const uia = await client.post('/_matrix/client/v3/register', { username: 'pia' });
    expect(uia.status).toBe(401);
    expect(uia.body.flows).toContainEqual({ stages: [ACCOUNT_KEY_LOGIN_TYPE] });
    const proof = await signedLogin(alpha, ALPHA, id);
    const registered = await client.post('/_matrix/client/v3/register', { username: 'pia', auth: { ...proof, session: uia.body.session } });
    expect(registered.status).toBe(200);
    assertMatchesSpec('/register', 'post', 200, registered.body);
    expect(registered.body.user_id).toBe(`@pia:${ALPHA}`);

    const loggedIn = await login(alpha, await signedLogin(alpha, ALPHA, id));
    expect(loggedIn.status).toBe(200);
    assertMatchesSpec('/login', 'post', 200, loggedIn.body);
    expect(loggedIn.body.user_id).toBe(`@pia:${ALPHA}`);
    client.accessToken = loggedIn.body.access_token;
    expect((await client.get(`${PREFIX}/account/portable`)).body).toEqual({ account_key: id.accountKey });
  });

  it('refuses a second account for the same key, and a password login for a portable account', async () => {
    const id = identity();
    await registerWithAccountKey(alphaAddress, id.secret, 'once');
    const again = await new TestClient(alpha.baseUrl).post('/_matrix/client/v3/register', {
      username: 'twice',
      auth: await signedLogin(alpha, ALPHA, id),
    });
    expect(again.status).toBe(400);
    expect(again.body.errcode).toBe('M_USER_IN_USE');
    expect(again.body.error).toMatch(/already has an account here: @once:/);
    const password = await login(alpha, { type: 'm.login.password', user: 'once', password: '' });
    expect(password.status).toBe(403);
  });

  it('a password account is not portable: account/portable is 404', async () => {
    const bob = await new TestClient(alpha.baseUrl).register('bob-password');
    const reply = await bob.get(`${PREFIX}/account/portable`);
    expect(reply.status).toBe(404);
    expect(reply.body.error).toMatch(/not portable/);
  });

  it('a valid proof for a key without an account is 403 flagged as unknown, and the client turns it into a MatrixHttpError that says so', async () => {
    const id = identity();
    await expectRefusedWithoutSession(
      alpha,
      async () => {
        const reply = await login(alpha, await signedLogin(alpha, ALPHA, id));
        expect(reply.body['dev.wayfarer.unknown_account_key']).toBe(true);
        return reply;
      },
      403,
      /No account on alpha\.localhost:18801 belongs to this account key/,
    );
    const refused = await loginWithAccountKey(alphaAddress, id.secret).catch((error: unknown) => error);
    expect(isUnknownAccountKey(refused)).toBe(true);
    expect(refused).toMatchObject({
      httpStatus: 403,
      errcode: 'M_FORBIDDEN',
      message: 'alpha.localhost:18801 has no account for this identity yet.',
    });
  });

  it('the client module registers and signs in with the recovery secret alone', async () => {
    const id = identity();
    const registered = await registerWithAccountKey(alphaAddress, id.secret, 'client-made');
    const session = await loginWithAccountKey(alphaAddress, id.secret);
    expect(session.userId).toBe(registered.userId);
    expect(session.accessToken).not.toBe(registered.accessToken);
    expect(await fetchPortableAccount(session)).toEqual({ account_key: id.accountKey });
  });
});

describe('refused proofs create no session', () => {
  let id: ReturnType<typeof identity>;
  beforeAll(async () => {
    id = identity();
    await registerWithAccountKey(alphaAddress, id.secret, 'victim');
  });

  it('a replayed challenge', async () => {
    const proof = await signedLogin(alpha, ALPHA, id);
    expect((await login(alpha, proof)).status).toBe(200);
    await expectRefusedWithoutSession(alpha, () => login(alpha, proof), 403, /already used or was never issued/);
  });

  it('a proof made for another server name', async () => {
    const proof = await signedLogin(alpha, 'beta.localhost:18802', id);
    await expectRefusedWithoutSession(alpha, () => login(alpha, proof), 403, /does not prove this account key for alpha\.localhost:18801/);
  });

  it('a signature by another key', async () => {
    const other = identity();
    const proof = await signedLogin(alpha, ALPHA, id);
    const forged = {
      ...proof,
      signature: signAccountKeyProof({ challenge: proof.challenge, homeserver: ALPHA, account_key: id.accountKey }, other.account.seed),
    };
    await expectRefusedWithoutSession(alpha, () => login(alpha, forged), 403, /does not prove this account key/);
  });

  it('a challenge issued for another key', async () => {
    const other = identity();
    const { challenge } = await challengeFor(alpha, other.accountKey);
    const signature = signAccountKeyProof({ challenge, homeserver: ALPHA, account_key: id.accountKey }, id.account.seed);
    await expectRefusedWithoutSession(
      alpha,
      () => login(alpha, { type: ACCOUNT_KEY_LOGIN_TYPE, account_key: id.accountKey, challenge, signature }),
      403,
      /different account key/,
    );
  });

  it('malformed fields', async () => {
    const good = await signedLogin(alpha, ALPHA, id);
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ ...good, account_key: undefined }, /'account_key' must be/],
      [{ ...good, account_key: 42 }, /'account_key' must be/],
      [{ ...good, account_key: 'not a key!' }, /'account_key' is not a public key/],
      [{ ...good, account_key: encodeBase64Url(new Uint8Array(31)) }, /'account_key' is not a public key/],
      [{ ...good, account_key: encodeBase64Url(new Uint8Array(32)) }, /not a usable Ed25519 public key/],
      [{ ...good, account_key: `@${good.account_key}` }, /without '@'/],
      [{ ...good, challenge: undefined }, /'challenge' is required/],
      [{ ...good, challenge: ['x'] }, /'challenge' is required/],
      [{ ...good, signature: undefined }, /'signature' is required/],
      [{ ...good, signature: '!!!' }, /does not prove/],
    ];
    for (const [body, message] of cases) await expectRefusedWithoutSession(alpha, () => login(alpha, body), 403, message);
    // The valid proof's challenge was spent by the malformed-signature attempt: single use means single try.
    await expectRefusedWithoutSession(alpha, () => login(alpha, good), 403, /already used/);
  });

  it('malformed challenge requests', async () => {
    const client = new TestClient(alpha.baseUrl);
    for (const body of [{}, { account_key: 7 }, { account_key: 'x' }, { account_key: encodeBase64Url(new Uint8Array(32)) }]) {
      const reply = await client.post(`${PREFIX}/account_key/challenge`, body);
      expect(reply.status).toBe(403);
      expect(reply.body.errcode).toBe('M_FORBIDDEN');
      expect(reply.body.error).toMatch(/account_key/);
    }
    const notJson = await client.request('POST', `${PREFIX}/account_key/challenge`, undefined, { raw: '{nope' });
    expect(notJson.status).toBe(400);
    expect(notJson.body.errcode).toBe('M_NOT_JSON');
  });

  it('registration with a bad proof creates no account', async () => {
    const fresh = identity();
    const proof = await signedLogin(alpha, 'elsewhere.example', fresh);
    const client = new TestClient(alpha.baseUrl);
    await expectRefusedWithoutSession(
      alpha,
      () => client.post('/_matrix/client/v3/register', { username: 'never', auth: proof }),
      403,
      /does not prove/,
    );
    expect((await client.get('/_matrix/client/v3/register/available?username=never')).body).toEqual({ available: true });
  });
});

describe('expiry and rate limits (a server with a 300 ms challenge lifetime and tight limits)', () => {
  it('an expired challenge', async () => {
    const id = identity();
    const proof = await signedLogin(tight, TIGHT, id);
    await new Promise((resolve) => setTimeout(resolve, 400));
    await expectRefusedWithoutSession(tight, () => login(tight, proof), 403, /expired/);
  });

  it('failed proofs per account key, then challenges per address: 429 M_LIMIT_EXCEEDED with retry_after_ms; a valid proof still passes', async () => {
    const client = new TestClient(tight.baseUrl);
    const id = identity();
    // Failures count against their key: past the limit (3 on this server) they are 429 instead of 403.
    const junk = { type: ACCOUNT_KEY_LOGIN_TYPE, account_key: id.accountKey, challenge: 'x', signature: 'y' };
    for (let i = 0; i < 3; i++) await expectRefusedWithoutSession(tight, () => login(tight, junk), 403, /Unknown challenge/);
    const perKey = await expectRefusedWithoutSession(tight, () => login(tight, junk), 429, /Too many/);
    expect(perKey.body.retry_after_ms).toBeGreaterThan(0);
    // The owner's proof is checked first, so the failures of others cannot stop it (this key has no account on
    // this server, which is exactly what a valid proof is told).
    const valid = await login(tight, await signedLogin(tight, TIGHT, id));
    expect(valid.status).toBe(403);
    expect(valid.body['dev.wayfarer.unknown_account_key']).toBe(true);

    // Challenges are limited per address, never per key: the same key each time, until this address is refused.
    let perAddress: { status: number; body: any } | undefined;
    for (let i = 0; i < 12 && !perAddress; i++) {
      const reply = await client.post(`${PREFIX}/account_key/challenge`, { account_key: id.accountKey });
      if (reply.status === 429) perAddress = reply;
    }
    expect(perAddress?.body.errcode).toBe('M_LIMIT_EXCEEDED');
    expect(perAddress?.body.retry_after_ms).toBeGreaterThan(0);
  });
});

describe('member keys of a portable account come from the recovery key', () => {
  it('joining and creating with derived seeds gives exactly the member keys derived from the recovery secret', async () => {
    const id = identity();
    const session = await registerWithAccountKey(alphaAddress, id.secret, 'keyholder');
    const user = new TestClient(alpha.baseUrl);
    user.accessToken = session.accessToken;
    const root = deriveMemberRoot(id.secret);

    const createFields = createRoomSeedFields(root);
    const created = await user.post('/_matrix/client/v3/createRoom', { name: 'Mine', preset: 'public_chat', ...createFields });
    expect(created.status).toBe(200);
    const creatorKey = memberIdFromPublicKey(deriveCreatorMemberKey(root, createFields['dev.wayfarer.creator_nonce']).publicKey);
    const createEvent = (await user.get(`/_matrix/client/v3/rooms/${enc(created.body.room_id)}/state/m.room.create/`)).body;
    expect(createEvent['dev.wayfarer.creator_nonce']).toBe(createFields['dev.wayfarer.creator_nonce']);
    const creatorMember = await user.get(`${PREFIX}/rooms/${enc(created.body.room_id)}/member_event/${enc(creatorKey)}`);
    expect(creatorMember.status).toBe(200);
    expect(creatorMember.body.sender).toBe(creatorKey);

    // Someone else's public room, joined with the seed for that room ID.
    const owner = await new TestClient(alpha.baseUrl).register('room-owner');
    const roomId = (await owner.post('/_matrix/client/v3/createRoom', { name: 'Theirs', preset: 'public_chat' })).body.room_id as string;
    expect((await user.post(`/_matrix/client/v3/join/${enc(roomId)}`, joinSeedFields(root, roomId))).status).toBe(200);
    const expected = memberIdFromPublicKey(deriveMemberKey(root, roomId).publicKey);
    const member = await user.get(`${PREFIX}/rooms/${enc(roomId)}/member_event/${enc(expected)}`);
    expect(member.status).toBe(200);
    expect(member.body.content).toMatchObject({ membership: 'join', localpart: 'keyholder', domain: ALPHA });
  });

  it("a seed whose key is already another account's member in the room is 400 M_INVALID_PARAM", async () => {
    const owner = await new TestClient(alpha.baseUrl).register('owner2');
    const roomId = (await owner.post('/_matrix/client/v3/createRoom', { name: 'Shared', preset: 'public_chat' })).body.room_id as string;
    const first = identity();
    const firstSession = await registerWithAccountKey(alphaAddress, first.secret, 'first-holder');
    const firstClient = new TestClient(alpha.baseUrl);
    firstClient.accessToken = firstSession.accessToken;
    const seed = joinSeedFields(deriveMemberRoot(first.secret), roomId);
    expect((await firstClient.post(`/_matrix/client/v3/join/${enc(roomId)}`, seed)).status).toBe(200);
    const thief = await new TestClient(alpha.baseUrl).register('seed-thief');
    const reply = await thief.post(`/_matrix/client/v3/join/${enc(roomId)}`, seed);
    expect(reply.status).toBe(400);
    expect(reply.body.errcode).toBe('M_INVALID_PARAM');
    expect(reply.body.error).toMatch(/already belongs to another account/);
  });
});

describe('persistence', () => {
  it('the account-key binding survives a restart; open challenges do not (they live only in memory)', async () => {
    const id = identity();
    await registerWithAccountKey(alphaAddress, id.secret, 'durable');
    const pending = await signedLogin(alpha, ALPHA, id);
    await alpha.restart();
    await expectRefusedWithoutSession(alpha, () => login(alpha, pending), 403, /already used or was never issued/);
    const session = await loginWithAccountKey(alphaAddress, id.secret);
    expect(session.userId).toBe(`@durable:${ALPHA}`);
    expect(await fetchPortableAccount(session)).toEqual({ account_key: id.accountKey });
  }, 60_000);
});

describe('user-interactive auth for a portable account', () => {
  it('deleting a device asks for an account-key proof (no password exists) and refuses another key', async () => {
    const id = identity();
    const main = await registerWithAccountKey(alphaAddress, id.secret, 'device-owner');
    const second = await loginWithAccountKey(alphaAddress, id.secret);
    const client = new TestClient(alpha.baseUrl);
    client.accessToken = main.accessToken;
    const path = `/_matrix/client/v3/devices/${enc(second.deviceId)}`;
    const challenge = await client.request('DELETE', path, {});
    expect(challenge.status).toBe(401);
    expect(challenge.body.flows).toEqual([{ stages: [ACCOUNT_KEY_LOGIN_TYPE] }]);
    const password = await client.request('DELETE', path, { auth: { type: 'm.login.password', password: '' } });
    expect(password.status).toBe(401);
    expect(password.body.error).toMatch(/has no password/);
    const other = identity();
    await registerWithAccountKey(alphaAddress, other.secret, 'someone-else');
    const wrongKey = await client.request('DELETE', path, {
      auth: { ...(await signedLogin(alpha, ALPHA, other)), session: challenge.body.session },
    });
    expect(wrongKey.status).toBe(401);
    expect(wrongKey.body.error).toMatch(/different account key/);
    const replay = await signedLogin(alpha, ALPHA, id);
    const ok = await client.request('DELETE', path, { auth: { ...replay, session: challenge.body.session } });
    expect(ok.status).toBe(200);
    const secondClient = new TestClient(alpha.baseUrl);
    secondClient.accessToken = second.accessToken;
    expect((await secondClient.get('/_matrix/client/v3/account/whoami')).status).toBe(401);
    const again = await client.request('DELETE', `/_matrix/client/v3/devices/${enc(main.deviceId)}`, { auth: replay });
    expect(again.status).toBe(401);
    expect(again.body.error).toMatch(/already used/);
  });
});
