// Fuzzing the account-key login endpoint over real HTTP: thousands of random and mutated bodies (and raw
// non-JSON text). No 500, never a session, and every refusal carries an errcode and a readable error.
import Database from 'better-sqlite3';
import fc from 'fast-check';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ACCOUNT_KEY_LOGIN_TYPE, deriveAccountKey, encodeBase64Url, generateRecoverySecret, signAccountKeyProof } from '../../src/protocol';
import { registerWithAccountKey } from '../../src/features/portable/accountKeyAuth';
import { startHomeserver, type RunningHomeserver } from '../testing/spawn';
import { TestClient } from '../testing/http-client';

const NAME = 'fuzz.localhost:18805';
const REQUESTS = 3_000;
let server: RunningHomeserver;

beforeAll(async () => {
  server = await startHomeserver({
    serverName: NAME,
    extraArgs: ['--auth-rate-limit', '1000000,1000000', '--account-key-rate-limit', '1000000,1000000'],
  });
});
afterAll(() => server?.dispose());

function tokenCount(): number {
  const db = new Database(path.join(server.dataDir, 'homeserver.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT COUNT(*) AS n FROM access_tokens').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

function mutate(text: string, at: number, character: string): string {
  if (text.length === 0) return character;
  const i = at % text.length;
  return text.slice(0, i) + character + text.slice(i + 1);
}

it(`${REQUESTS} random and mutated login bodies: no 500, no session, every refusal explained`, async () => {
  const secret = generateRecoverySecret();
  const account = deriveAccountKey(secret);
  const accountKey = encodeBase64Url(account.publicKey);
  await registerWithAccountKey({ baseUrl: server.baseUrl, serverName: NAME }, secret, 'fuzzed');
  const before = tokenCount();
  const client = new TestClient(server.baseUrl);
  // Real challenges, so mutated proofs get as far as the signature check.
  const challenges: string[] = [];
  for (let i = 0; i < 200; i++)
    challenges.push(
      (await client.post('/_matrix/client/unstable/dev.wayfarer/account_key/challenge', { account_key: accountKey })).body.challenge,
    );
  const validProof = (challenge: string) => ({
    type: ACCOUNT_KEY_LOGIN_TYPE,
    account_key: accountKey,
    challenge,
    signature: signAccountKeyProof({ challenge, homeserver: NAME, account_key: accountKey }, account.seed),
  });

  const json = fc.jsonValue({ maxDepth: 3 });
  const field = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), json, fc.constant(accountKey), fc.constant(null));
  const randomBody = fc.record(
    { type: fc.oneof(fc.constant(ACCOUNT_KEY_LOGIN_TYPE), fc.string()), account_key: field, challenge: field, signature: field },
    { requiredKeys: ['type'] },
  );
  const mutatedProof = fc
    .tuple(
      fc.nat({ max: challenges.length - 1 }),
      fc.constantFrom('account_key', 'challenge', 'signature'),
      fc.nat(),
      fc.constantFrom('A', 'b', '/', '+', '-', '_', '=', ' ', 'é', '\u0000'),
    )
    .map(([c, key, at, character]) => {
      const proof = validProof(challenges[c]!) as Record<string, string>;
      proof[key] = mutate(proof[key]!, at, character);
      return proof;
    });
  const rawText = fc.oneof(fc.string(), fc.constant('{'), fc.constant('[]'), fc.constant('null'), fc.constant('"x"'));
  const bodies = fc.sample(
    fc.oneof(
      randomBody,
      mutatedProof,
      mutatedProof,
      rawText.map((raw) => ({ raw })),
    ),
    { numRuns: REQUESTS, seed: 4430 },
  );

  const statuses = new Map<number, number>();
  let next = 0;
  const worker = async () => {
    while (next < bodies.length) {
      const body = bodies[next++]!;
      const raw =
        typeof body === 'object' && body !== null && 'raw' in body && Object.keys(body).length === 1
          ? String((body as { raw: unknown }).raw)
          : undefined;
      const reply = await client.request(
        'POST',
        '/_matrix/client/v3/login',
        raw === undefined ? body : undefined,
        raw === undefined ? {} : { raw },
      );
      statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
      if (reply.status === 200) {
        // A mutation that leaves a valid proof intact (e.g. an unused trailing base64 bit) may log in; that is correct.
        expect(reply.body.user_id).toBe(`@fuzzed:${NAME}`);
        continue;
      }
      expect([400, 403, 429]).toContain(reply.status);
      expect(typeof reply.body?.errcode).toBe('string');
      expect(typeof reply.body?.error).toBe('string');
      expect(reply.body.error.length).toBeGreaterThan(5);
      expect(reply.body.access_token).toBeUndefined();
    }
  };
  await Promise.all(Array.from({ length: 12 }, worker));
  expect(statuses.get(500)).toBeUndefined();
  expect(statuses.get(403)).toBeGreaterThan(REQUESTS / 4); // most bodies reach the proof checks, not just the JSON parser
  expect(tokenCount()).toBe(before + (statuses.get(200) ?? 0));
  expect(server.output()).not.toMatch(/internal error|unhandled request error/);
}, 180_000);
