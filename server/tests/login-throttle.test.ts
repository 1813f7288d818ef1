// Login throttling that an attacker cannot turn against an account's owner (issue 12, item 8), over real HTTP
// against a server with the default limits: junk account-key proofs never stop the owner's valid proof, and wrong
// passwords make only their own account back off, exponentially, with 429 M_LIMIT_EXCEEDED and retry_after_ms.
// (Many source addresses can't be simulated here, the server reads only the socket's: see account-key-proof.test.ts.)
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ACCOUNT_KEY_LOGIN_TYPE, deriveAccountKey, encodeBase64Url, generateRecoverySecret, signAccountKeyProof } from '../../src/protocol';
import { loginWithAccountKey, registerWithAccountKey } from '../../src/features/portable/accountKeyAuth';
import { startHomeserver, type RunningHomeserver } from '../testing/spawn';
import { TestClient, type Reply } from '../testing/http-client';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const NAME = 'alpha.localhost:20460';
const PREFIX = '/_matrix/client/unstable/dev.wayfarer';
const PASSWORD = 'correct horse battery staple';
let server: RunningHomeserver;

beforeAll(async () => {
  // Default limits, except a short password back-off (2 failures free, then 0.5 s doubling) so the test is quick.
  server = await startHomeserver({ serverName: NAME, extraArgs: ['--password-backoff', '2,500,60000'] });
});
afterAll(() => server?.dispose());

const anonymous = () => new TestClient(server.baseUrl);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('account-key login cannot be locked by others', () => {
  it('20 junk proofs for alice’s key, some on challenges issued for her key, then her valid proof logs in', async () => {
    const secret = generateRecoverySecret();
    const accountKey = encodeBase64Url(deriveAccountKey(secret).publicKey);
    const address = { baseUrl: server.baseUrl, serverName: NAME };
    const registered = await registerWithAccountKey(address, secret, 'alice');

    const statuses: number[] = [];
    for (let i = 0; i < 15; i++) {
      const reply = await anonymous().post('/_matrix/client/v3/login', {
        type: ACCOUNT_KEY_LOGIN_TYPE,
        account_key: accountKey,
        challenge: `junk${i}`,
        signature: 'junk',
      });
      statuses.push(reply.status);
    }
    // The attacker may ask for challenges for her key too (issuance is not limited per key) and sign them badly.
    const attacker = deriveAccountKey(generateRecoverySecret());
    for (let i = 0; i < 5; i++) {
      const issued = await anonymous().post(`${PREFIX}/account_key/challenge`, { account_key: accountKey });
      expect(issued.status).toBe(200);
      const signature = signAccountKeyProof({ challenge: issued.body.challenge, homeserver: NAME, account_key: accountKey }, attacker.seed);
      const reply = await anonymous().post('/_matrix/client/v3/login', {
        type: ACCOUNT_KEY_LOGIN_TYPE,
        account_key: accountKey,
        challenge: issued.body.challenge,
        signature,
      });
      statuses.push(reply.status);
    }
    // Refused throughout, and past the key's failure limit with 429: the key is throttled...
    expect(statuses.every((s) => s === 403 || s === 429)).toBe(true);
    expect(statuses).toContain(429);

    // ...yet her own proof, from the same address, passes.
    const session = await loginWithAccountKey(address, secret);
    expect(session.userId).toBe(registered.userId);
    const whoami = await new TestClient(server.baseUrl).request('GET', '/_matrix/client/v3/account/whoami', undefined, {
      headers: { Authorization: `Bearer ${session.accessToken}` },
    });
    expect(whoami.body.user_id).toBe(registered.userId);
  });
});

describe('password guesses back off per account', () => {
  const passwordLogin = (user: string, password: string) =>
    anonymous().post('/_matrix/client/v3/login', { type: 'm.login.password', identifier: { type: 'm.id.user', user }, password });

  it('wrong passwords for bob get 429 with growing retry_after_ms; other accounts are unaffected; the right password works after the back-off', async () => {
    await anonymous().register('bob', PASSWORD);
    await anonymous().register('carol', PASSWORD);

    // Two failures cost nothing; each further one is still answered (403) but makes bob back off, twice as long
    // each time.
    expect((await passwordLogin('bob', 'wrong 1')).status).toBe(403);
    expect((await passwordLogin('bob', 'wrong 2')).status).toBe(403);
    expect((await passwordLogin('bob', 'wrong 3')).status).toBe(403);
    const waits: number[] = [];
    for (let round = 0; round < 3; round++) {
      const limited: Reply = await passwordLogin('bob', `guess ${round}`);
      expect(limited.status, JSON.stringify(limited.body)).toBe(429);
      expect(limited.body.errcode).toBe('M_LIMIT_EXCEEDED');
      expect(limited.body.retry_after_ms).toBeGreaterThan(0);
      waits.push(limited.body.retry_after_ms);
      // While bob backs off even his right password is refused unchecked (else guessing would go on)...
      expect((await passwordLogin('bob', PASSWORD)).status).toBe(429);
      // ...but nobody else is touched.
      expect((await passwordLogin('carol', PASSWORD)).status).toBe(200);
      await sleep(limited.body.retry_after_ms + 50);
      if (round < 2) expect((await passwordLogin('bob', `wrong again ${round}`)).status).toBe(403);
    }
    expect(waits[1]).toBeGreaterThan(waits[0]!);
    expect(waits[2]).toBeGreaterThan(waits[1]!);

    // After the back-off, the right password logs in, and clears the failures.
    const ok = await passwordLogin('bob', PASSWORD);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.user_id).toBe(`@bob:${NAME}`);
    expect((await passwordLogin('bob', 'one typo')).status).toBe(403);
  });

  it('an account that does not exist backs off the same way (the answer does not reveal which accounts exist)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await passwordLogin('nobody-here', `guess ${i}`)).status);
    expect(statuses).toEqual([403, 403, 403, 429, 429]);
  });
});
