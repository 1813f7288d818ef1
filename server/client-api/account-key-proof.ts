// Proving an account key (PROTOCOL.md §5): single-use challenges, the signed proof, and a per-key limit on failures.
// Every refusal is 403 M_FORBIDDEN with a message that says what was wrong; floods get 429.
//
// Nobody but the key's owner can make a valid proof, so nothing anyone else does may stop one from passing: challenge
// issuance is limited per address only (server-wide, challenges are bounded by count and expiry, and evicting a
// live one takes ~100,000 issuances within the seconds a client needs to sign), and a proof is always checked before
// any per-key limit. Only failed proofs count against their key: past the limit they answer 429 instead of 403.
import { randomBytes } from 'node:crypto';
import { encodeBase64, isStrictPublicKey, normaliseKey, decodePublicKey, verifyAccountKeyProof } from '../../src/protocol';
import { forbidden, MatrixError } from '../http/errors';
import { RateLimiter, type RateLimitOptions } from '../http/rate-limit';
import { isObject } from '../http/validate';

export interface AccountKeyProofOptions {
  serverName: string;
  challengeTtlMs: number;
  /** Failed proofs per account key (a token bucket that only failures draw from). */
  perKeyLimit: RateLimitOptions;
  now?: () => number;
}

type ChallengeCheck = { ok: true } | { ok: false; reason: 'unknown' | 'expired' | 'other_key' };

/** Outstanding challenges: each is bound to one account key, expires, and can be used once. */
export class ChallengeBook {
  private readonly open = new Map<string, { accountKey: string; expiresTs: number }>();
  private static readonly MAX_OPEN = 100_000;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  issue(accountKey: string): { challenge: string; expires_ts: number } {
    if (this.open.size >= ChallengeBook.MAX_OPEN) this.prune();
    const challenge = encodeBase64(new Uint8Array(randomBytes(32)));
    const expiresTs = this.now() + this.ttlMs;
    this.open.set(challenge, { accountKey, expiresTs });
    return { challenge, expires_ts: expiresTs };
  }

  /** Removes the challenge whatever the outcome, so a challenge never gets a second try. */
  consume(challenge: string, accountKey: string): ChallengeCheck {
    const entry = this.open.get(challenge);
    if (!entry) return { ok: false, reason: 'unknown' };
    this.open.delete(challenge);
    if (entry.expiresTs <= this.now()) return { ok: false, reason: 'expired' };
    if (entry.accountKey !== accountKey) return { ok: false, reason: 'other_key' };
    return { ok: true };
  }

  get size(): number {
    return this.open.size;
  }

  private prune(): void {
    const now = this.now();
    for (const [challenge, entry] of this.open) if (entry.expiresTs <= now) this.open.delete(challenge);
    // Still full of live challenges: drop the oldest (Map keeps insertion order).
    for (const challenge of this.open.keys()) {
      if (this.open.size < ChallengeBook.MAX_OPEN) break;
      this.open.delete(challenge);
    }
  }
}

const CHALLENGE_MESSAGES: Record<'unknown' | 'expired' | 'other_key', string> = {
  unknown: 'Unknown challenge: it was already used or was never issued by this server. Request a new challenge.',
  expired: 'The challenge has expired. Request a new challenge and sign again.',
  other_key: 'The challenge was issued for a different account key.',
};

/**
 * The account key in canonical form (unpadded URL-safe base64), or 403 when `value` is not an Ed25519
 * public key a proof could be checked against.
 */
export function parseAccountKey(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0)
    throw forbidden("'account_key' must be the account's public key (unpadded URL-safe base64)");
  let bytes: Uint8Array;
  try {
    bytes = decodePublicKey(value);
  } catch (error) {
    throw forbidden(`'account_key' is not a public key: ${(error as Error).message}`);
  }
  if (value.startsWith('@')) throw forbidden("'account_key' is a bare key, without '@'");
  if (!isStrictPublicKey(bytes)) throw forbidden("'account_key' is not a usable Ed25519 public key");
  return normaliseKey(value);
}

export class AccountKeyProofs {
  readonly challenges: ChallengeBook;
  private readonly failuresPerKey: RateLimiter;

  constructor(private readonly options: AccountKeyProofOptions) {
    const now = options.now ?? Date.now;
    this.challenges = new ChallengeBook(options.challengeTtlMs, now);
    this.failuresPerKey = new RateLimiter(options.perKeyLimit, now);
  }

  /**
   * POST /account_key/challenge: a fresh challenge for a well-formed key. No per-key limit: anyone may ask for a
   * challenge for any key, and a per-key limit would let them use up the owner's (the caller limits per address).
   */
  issueChallenge(body: unknown): { challenge: string; expires_ts: number } {
    const accountKey = parseAccountKey(isObject(body) ? body.account_key : undefined);
    return this.challenges.issue(accountKey);
  }

  /**
   * Checks `{account_key, challenge, signature}` (a login body or a register `auth` dict) and returns the
   * proven account key in canonical form. The challenge is spent by any attempt that names it. The proof is
   * checked first: a valid one always passes; a failure counts against the key and, past its limit, is 429.
   */
  async prove(fields: Record<string, unknown>): Promise<string> {
    const accountKey = parseAccountKey(fields.account_key);
    const { challenge, signature } = fields;
    if (typeof challenge !== 'string' || challenge.length === 0)
      throw this.failure(accountKey, "'challenge' is required: request one from /account_key/challenge");
    if (typeof signature !== 'string' || signature.length === 0)
      throw this.failure(accountKey, "'signature' is required: the account key's signature over the proof");
    const check = this.challenges.consume(challenge, accountKey);
    if (!check.ok) throw this.failure(accountKey, CHALLENGE_MESSAGES[check.reason]);
    const verified = await verifyAccountKeyProof(
      { challenge, homeserver: this.options.serverName, account_key: fields.account_key as string },
      signature,
    );
    if (!verified) {
      throw this.failure(
        accountKey,
        `The signature does not prove this account key for ${this.options.serverName}: it was made with another key, for another server, or over other fields.`,
      );
    }
    return accountKey;
  }

  /** A failed proof for `accountKey`: 403 saying why, or 429 once the key's failures are over their limit. */
  private failure(accountKey: string, message: string): MatrixError {
    try {
      this.failuresPerKey.take(accountKey);
    } catch (error) {
      if (error instanceof MatrixError)
        return new MatrixError(429, 'M_LIMIT_EXCEEDED', `Too many failed proofs for this account key: ${message}`, error.extra);
      throw error;
    }
    return forbidden(message);
  }
}
