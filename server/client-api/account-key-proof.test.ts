// Account-key proofs under attack, at the unit level (the server reads only the socket's address, so many
// attacking addresses are simulated here, in the order the login route applies its checks).
import { describe, expect, it } from 'vitest';
import { deriveAccountKey, encodeBase64Url, generateRecoverySecret, signAccountKeyProof } from '../../src/protocol';
import { MatrixError } from '../http/errors';
import { RateLimiter } from '../http/rate-limit';
import { AccountKeyProofs } from './account-key-proof';

const SERVER = 'alpha.localhost:1';

function setup() {
  const clock = { now: 1_000_000 };
  const proofs = new AccountKeyProofs({
    serverName: SERVER,
    challengeTtlMs: 120_000,
    perKeyLimit: { burst: 10, perSecond: 0.2 },
    now: () => clock.now,
  });
  // As registerAuth does: every login attempt takes a token of its address first (the defaults: 30, 3/s).
  const perAddress = new RateLimiter({ burst: 30, perSecond: 3 }, () => clock.now);
  const login = async (address: string, fields: Record<string, unknown>) => {
    perAddress.take(`login:${address}`);
    return proofs.prove(fields);
  };
  const owner = deriveAccountKey(generateRecoverySecret());
  const accountKey = encodeBase64Url(owner.publicKey);
  const validProof = () => {
    const { challenge } = proofs.issueChallenge({ account_key: accountKey });
    return {
      account_key: accountKey,
      challenge,
      signature: signAccountKeyProof({ challenge, homeserver: SERVER, account_key: accountKey }, owner.seed),
    };
  };
  return { clock, proofs, login, accountKey, validProof };
}

async function refusal(attempt: Promise<unknown>): Promise<MatrixError> {
  try {
    await attempt;
  } catch (error) {
    expect(error).toBeInstanceOf(MatrixError);
    return error as MatrixError;
  }
  throw new Error('accepted');
}

describe('account-key proofs cannot be locked by others', () => {
  it('junk from 200 addresses, 15 proofs each, then the owner’s valid proof passes', async () => {
    const { login, accountKey, validProof, proofs } = setup();
    const attacker = deriveAccountKey(generateRecoverySecret());
    const codes = new Set<number>();
    for (let a = 0; a < 200; a++) {
      for (let i = 0; i < 15; i++) {
        // Some junk names a real challenge for her key (anyone may ask for one) signed by another key.
        const challenge = i % 5 === 0 ? proofs.issueChallenge({ account_key: accountKey }).challenge : `junk-${a}-${i}`;
        const signature = signAccountKeyProof({ challenge, homeserver: SERVER, account_key: accountKey }, attacker.seed);
        codes.add((await refusal(login(`198.51.100.${a}`, { account_key: accountKey, challenge, signature }))).status);
      }
    }
    // The key's failures went over their limit (429), and yet:
    expect([...codes].sort()).toEqual([403, 429]);
    expect(await login('203.0.113.5', validProof())).toBe(accountKey);
  });

  it('the attacker’s own address runs out after its burst; the owner, from hers, still passes', async () => {
    const { login, accountKey, validProof } = setup();
    const refusals: MatrixError[] = [];
    for (let i = 0; i < 40; i++)
      refusals.push(await refusal(login('198.51.100.1', { account_key: accountKey, challenge: `junk${i}`, signature: 'x' })));
    expect(refusals.slice(0, 10).map((r) => r.status)).toEqual(Array(10).fill(403));
    expect(refusals.slice(10, 30).every((r) => r.status === 429 && /failed proofs/.test(r.message))).toBe(true);
    expect(refusals.slice(30).every((r) => r.status === 429 && /Too many requests/.test(r.message))).toBe(true);
    expect(await login('203.0.113.5', validProof())).toBe(accountKey);
  });

  it('failed proofs answer 429 with retry_after_ms past the key’s limit, and the budget refills', async () => {
    const { clock, proofs, accountKey, validProof } = setup();
    for (let i = 0; i < 10; i++)
      expect((await refusal(proofs.prove({ account_key: accountKey, challenge: 'x', signature: 'y' }))).status).toBe(403);
    const limited = await refusal(proofs.prove({ account_key: accountKey, challenge: 'x', signature: 'y' }));
    expect([limited.status, limited.errcode]).toEqual([429, 'M_LIMIT_EXCEEDED']);
    expect(limited.message).toMatch(/Unknown challenge/);
    expect(limited.extra.retry_after_ms).toBe(5000);
    expect(await proofs.prove(validProof())).toBe(accountKey);
    clock.now += 5000;
    expect((await refusal(proofs.prove({ account_key: accountKey, challenge: 'x', signature: 'y' }))).status).toBe(403);
  });

  it('challenges for a key are never refused per key: 1,000 for the same key, then the owner’s proof passes', async () => {
    const { proofs, accountKey, validProof } = setup();
    for (let i = 0; i < 1000; i++) proofs.issueChallenge({ account_key: accountKey });
    expect(await proofs.prove(validProof())).toBe(accountKey);
  });
});
