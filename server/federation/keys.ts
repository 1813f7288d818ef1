// Server signing keys: our own (published at /_matrix/key/v2/server, rotated by the dev API with the old key kept
// under old_verify_keys) and other servers' (fetched directly, checked, cached in SQLite for signature checks).
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  buildServerKeyResponse,
  decodeBase64,
  encodeBase64,
  verifyServerKeyResponse,
  type KeyFetchOutcome,
  type ServerKeyResponse,
} from '../../src/protocol';
import { type CurrentSigningKey, loadOrCreateSigningKey } from '../signing-key';
import { FederationError, type FederationClient } from './client';
import type { FederationStore } from './store';

const KEY_VALIDITY_MS = 24 * 3600 * 1000;
export const KEY_FETCH_TIMEOUT_MS = 4_000;
/** A key answer is a few hundred bytes; a server answering more is refused. */
export const MAX_KEY_RESPONSE_BYTES = 64 * 1024;
/**
 * Refetches of a server's keys for key IDs its latest answer does not list: this many at once (a server may rotate
 * twice in a row, e.g. when a migration disowns links), then one per `--key-refetch-seconds`.
 */
const REFETCH_BURST = 3;

type OldKeys = Record<string, { key: string; expired_ts: number }>;

/** Our keys: the current one lives in `signing.key`; retired ones in `old_signing.keys` ("ed25519 <id> <public key> <expired_ts>"). */
export interface OwnKeysDeps {
  serverName: string;
  dataDir: string;
  signingKey: CurrentSigningKey;
}

export class OwnKeys {
  private old: OldKeys;
  private readonly serverName: string;
  private readonly dataDir: string;
  private readonly signingKey: CurrentSigningKey;
  constructor(deps: OwnKeysDeps) {
    ({ serverName: this.serverName, dataDir: this.dataDir, signingKey: this.signingKey } = deps);
    this.old = readOldKeys(this.oldKeysFile());
  }
  private oldKeysFile() {
    return path.join(this.dataDir, 'old_signing.keys');
  }

  response(nowMs = Date.now()): ServerKeyResponse {
    const key = this.signingKey.current;
    return buildServerKeyResponse(this.serverName, key.keyId, key.seed, nowMs + KEY_VALIDITY_MS, this.old);
  }

  oldKeys(): OldKeys {
    return { ...this.old };
  }

  /** A new signing key; the current one moves to old_verify_keys. Returns the new key ID. */
  rotate(): string {
    const previous = this.signingKey.current;
    const now = Date.now();
    appendFileSync(this.oldKeysFile(), `ed25519 ${previous.keyId.slice('ed25519:'.length)} ${previous.publicKeyBase64} ${now}\n`, {
      mode: 0o600,
    });
    this.old[previous.keyId] = { key: previous.publicKeyBase64, expired_ts: now };
    let id: string;
    do id = `a_${randomBytes(3).toString('base64url').replace(/-/g, '_')}`;
    while (`ed25519:${id}` === previous.keyId || this.old[`ed25519:${id}`]);
    const file = path.join(this.dataDir, 'signing.key');
    writeFileSync(file, `ed25519 ${id} ${encodeBase64(randomBytes(32))}\n`, { mode: 0o600 });
    this.signingKey.current = loadOrCreateSigningKey(this.dataDir);
    return this.signingKey.current.keyId;
  }
}

function readOldKeys(file: string): OldKeys {
  if (!existsSync(file)) return {};
  const keys: OldKeys = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [algorithm, id, key, expired] = line.trim().split(/\s+/);
    if (algorithm === 'ed25519' && id && key && Number.isSafeInteger(Number(expired)))
      keys[`ed25519:${id}`] = { key, expired_ts: Number(expired) };
  }
  return keys;
}

/** A key of another server as we hold it: `expiredTs` is null for a current key, else when it was retired. */
interface HeldKey {
  key: Uint8Array;
  expiredTs: number | null;
}

/**
 * Other servers' keys, for checking event signatures and X-Matrix requests. Only a server's current keys
 * (`verify_keys`) authenticate its requests; a key it lists under `old_verify_keys` only verifies its events sent
 * before the key's `expired_ts`. At most one fetch per server is in flight; a key ID that the server's latest answer
 * (less than `--key-refetch-seconds` old) does not list makes us fetch again, REFETCH_BURST times in a row and then
 * at most once per `--key-refetch-seconds`, so a stream of made-up key IDs cannot make us hammer a server.
 */
export class KeyRing {
  /** Key fetches per domain, for tests and benches (one per domain per re-check). */
  fetchCount = 0;
  private readonly inFlight = new Map<string, Promise<KeyFetchOutcome>>();
  /** Each server's latest answer, and when it came. */
  private readonly latest = new Map<string, { outcome: KeyFetchOutcome; ts: number }>();
  /** Per server: refetches for key IDs its latest answer did not list (a token bucket, see REFETCH_BURST). */
  private readonly refetchTokens = new Map<string, { tokens: number; ts: number }>();
  constructor(
    private readonly config: { serverName: string; keyRefetchSeconds: number; signingKey: CurrentSigningKey },
    private readonly own: OwnKeys,
    private readonly client: FederationClient,
    private readonly store: FederationStore,
  ) {}

  private get refetchMs(): number {
    return this.config.keyRefetchSeconds * 1000;
  }

  /** GET /_matrix/key/v2/server on `domain`, as PROTOCOL.md §4 classifies outcomes (200 / 404 / unreachable). One at a time per domain. */
  fetchKeys(domain: string): Promise<KeyFetchOutcome> {
    if (domain === this.config.serverName) return Promise.resolve({ kind: 'ok', response: this.own.response() });
    let pending = this.inFlight.get(domain);
    if (!pending) {
      pending = this.fetchOnce(domain).finally(() => this.inFlight.delete(domain));
      this.inFlight.set(domain, pending);
    }
    return pending;
  }

  private async fetchOnce(domain: string): Promise<KeyFetchOutcome> {
    this.fetchCount++;
    let outcome: KeyFetchOutcome;
    try {
      const { status, body } = await this.client.raw(domain, 'GET', '/_matrix/key/v2/server', {
        unsigned: true,
        timeoutMs: KEY_FETCH_TIMEOUT_MS,
        maxBytes: MAX_KEY_RESPONSE_BYTES,
      });
      if (status === 404) outcome = { kind: 'not_found' };
      else if (status !== 200) outcome = { kind: 'unreachable', detail: `HTTP ${status}` };
      else {
        await this.remember(domain, body);
        outcome = { kind: 'ok', response: body };
      }
    } catch (error) {
      if (!(error instanceof FederationError)) throw error;
      outcome = { kind: 'unreachable', detail: error.message };
    }
    this.latest.set(domain, { outcome, ts: Date.now() });
    return outcome;
  }

  /**
   * `domain`'s keys, when they should list `keyId`: its latest answer if that lists the key (current or old), else a
   * new fetch, unless the rate limit above holds it back (then undefined: try again at `nextRefetchAt`).
   */
  async keysListing(domain: string, keyId: string): Promise<KeyFetchOutcome | undefined> {
    if (domain === this.config.serverName) return this.fetchKeys(domain);
    const pending = this.inFlight.get(domain);
    if (pending) {
      const outcome = await pending;
      if (listsKey(outcome, keyId)) return outcome;
    }
    const latest = this.latest.get(domain);
    if (latest && listsKey(latest.outcome, keyId)) return latest.outcome;
    const now = Date.now();
    const recent = latest !== undefined && now - latest.ts < this.refetchMs;
    if (recent) {
      const bucket = this.bucket(domain, now);
      if (bucket.tokens < 1) return undefined;
      bucket.tokens -= 1;
    }
    return this.fetchKeys(domain);
  }

  private bucket(domain: string, now: number): { tokens: number; ts: number } {
    const bucket = this.refetchTokens.get(domain) ?? { tokens: REFETCH_BURST, ts: now };
    bucket.tokens = Math.min(REFETCH_BURST, bucket.tokens + (now - bucket.ts) / this.refetchMs);
    bucket.ts = now;
    this.refetchTokens.set(domain, bucket);
    return bucket;
  }

  /** For the notary: `domain`'s latest answer when it came less than `--key-refetch-seconds` ago, else a fetch. */
  recentKeys(domain: string): Promise<KeyFetchOutcome> {
    const latest = this.latest.get(domain);
    if (latest && latest.outcome.kind === 'ok' && Date.now() - latest.ts < this.refetchMs) return Promise.resolve(latest.outcome);
    return this.fetchKeys(domain);
  }

  /** When `keysListing` may fetch `domain`'s keys again for an unknown key ID. */
  nextRefetchAt(domain: string): number {
    const now = Date.now();
    const latest = this.latest.get(domain)?.ts ?? 0;
    const bucket = this.bucket(domain, now);
    if (bucket.tokens >= 1 || latest + this.refetchMs <= now) return now;
    return Math.min(latest + this.refetchMs, now + (1 - bucket.tokens) * this.refetchMs);
  }

  private async remember(domain: string, response: unknown): Promise<void> {
    const checked = await verifyServerKeyResponse(response, domain, Date.now());
    if (!checked.ok) return;
    for (const [keyId, key] of Object.entries(checked.verifyKeys)) {
      this.store.putRemoteKey({ server_name: domain, key_id: keyId, key, valid_until_ts: checked.validUntilTs, expired_ts: null });
    }
    for (const [keyId, old] of Object.entries(checked.oldVerifyKeys)) {
      this.store.putRemoteKey({
        server_name: domain,
        key_id: keyId,
        key: old.key,
        valid_until_ts: old.expiredTs,
        expired_ts: old.expiredTs,
      });
    }
  }

  /** The key `server` holds under `keyId`, current or old, fetching when unknown or expired; undefined when unobtainable. */
  private async heldKey(server: string, keyId: string): Promise<HeldKey | undefined> {
    if (server === this.config.serverName) {
      if (keyId === this.config.signingKey.current.keyId) return { key: this.config.signingKey.current.publicKey, expiredTs: null };
      const old = this.own.oldKeys()[keyId];
      return old ? { key: decodeBase64(old.key), expiredTs: old.expired_ts } : undefined;
    }
    const cached = this.store.remoteKey(server, keyId);
    // A retired key never comes back: no fetch for it (a request signed with one must not make us fetch).
    if (cached && cached.expired_ts !== null) return { key: decodeBase64(cached.key), expiredTs: cached.expired_ts };
    if (cached && cached.valid_until_ts > Date.now()) return { key: decodeBase64(cached.key), expiredTs: null };
    await this.keysListing(server, keyId);
    const fresh = this.store.remoteKey(server, keyId) ?? cached;
    return fresh ? { key: decodeBase64(fresh.key), expiredTs: fresh.expired_ts } : undefined;
  }

  /** A current key of `server`: what may authenticate its requests (X-Matrix). An old key never does. */
  async requestKey(server: string, keyId: string): Promise<Uint8Array | undefined> {
    const held = await this.heldKey(server, keyId);
    return held && held.expiredTs === null ? held.key : undefined;
  }

  /** A key that may verify an event of `server` sent at `originServerTs`: a current key, or an old one it used before `expired_ts`. */
  async eventKey(server: string, keyId: string, originServerTs: number): Promise<Uint8Array | undefined> {
    const held = await this.heldKey(server, keyId);
    if (!held) return undefined;
    return held.expiredTs === null || originServerTs < held.expiredTs ? held.key : undefined;
  }

  /** Notary view (`/_matrix/key/v2/query`): the key responses we hold for a server, as we last saw them. */
  cachedResponse(server: string): ServerKeyResponse | undefined {
    if (server === this.config.serverName) return this.own.response();
    return undefined;
  }
}

/** Does a key answer list `keyId`, current or old? */
function listsKey(outcome: KeyFetchOutcome, keyId: string): boolean {
  if (outcome.kind !== 'ok') return false;
  const body = outcome.response as { verify_keys?: Record<string, unknown>; old_verify_keys?: Record<string, unknown> } | null;
  return (
    typeof body === 'object' &&
    body !== null &&
    (Object.hasOwn(body.verify_keys ?? {}, keyId) || Object.hasOwn(body.old_verify_keys ?? {}, keyId))
  );
}
