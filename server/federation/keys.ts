// Server signing keys: our own (published at /_matrix/key/v2/server, rotated by the dev API with the old key kept
// under old_verify_keys) and other servers' (fetched directly, checked, cached in SQLite for signature checks).
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildServerKeyResponse, decodeBase64, encodeBase64, verifyServerKeyResponse, type KeyFetchOutcome, type ServerKeyResponse } from '../../src/protocol';
import type { Homeserver } from '../homeserver';
import { loadOrCreateSigningKey } from '../signing-key';
import { FederationError, type FederationClient } from './client';
import type { FederationStore } from './store';

const KEY_VALIDITY_MS = 24 * 3600 * 1000;
export const KEY_FETCH_TIMEOUT_MS = 4_000;

type OldKeys = Record<string, { key: string; expired_ts: number }>;

/** Our keys: the current one lives in `signing.key`; retired ones in `old_signing.keys` ("ed25519 <id> <public key> <expired_ts>"). */
export class OwnKeys {
  private old: OldKeys;
  constructor(private readonly hs: Homeserver) {
    this.old = readOldKeys(this.oldKeysFile());
  }
  private oldKeysFile() {
    return path.join(this.hs.config.dataDir, 'old_signing.keys');
  }

  response(nowMs = Date.now()): ServerKeyResponse {
    const key = this.hs.signingKey;
    return buildServerKeyResponse(this.hs.config.serverName, key.keyId, key.seed, nowMs + KEY_VALIDITY_MS, this.old);
  }

  oldKeys(): OldKeys {
    return { ...this.old };
  }

  /** A new signing key; the current one moves to old_verify_keys. Returns the new key ID. */
  rotate(): string {
    const previous = this.hs.signingKey;
    const now = Date.now();
    appendFileSync(this.oldKeysFile(), `ed25519 ${previous.keyId.slice('ed25519:'.length)} ${previous.publicKeyBase64} ${now}\n`, { mode: 0o600 });
    this.old[previous.keyId] = { key: previous.publicKeyBase64, expired_ts: now };
    let id: string;
    do id = `a_${randomBytes(3).toString('base64url').replace(/-/g, '_')}`;
    while (`ed25519:${id}` === previous.keyId || this.old[`ed25519:${id}`]);
    const file = path.join(this.hs.config.dataDir, 'signing.key');
    writeFileSync(file, `ed25519 ${id} ${encodeBase64(randomBytes(32))}\n`, { mode: 0o600 });
    this.hs.signingKey = loadOrCreateSigningKey(this.hs.config.dataDir);
    return this.hs.signingKey.keyId;
  }
}

function readOldKeys(file: string): OldKeys {
  if (!existsSync(file)) return {};
  const keys: OldKeys = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const [algorithm, id, key, expired] = line.trim().split(/\s+/);
    if (algorithm === 'ed25519' && id && key && Number.isSafeInteger(Number(expired))) keys[`ed25519:${id}`] = { key, expired_ts: Number(expired) };
  }
  return keys;
}

/** Other servers' keys, for checking event signatures and X-Matrix requests. */
export class KeyRing {
  /** Key fetches per domain, for tests and benches (one per domain per re-check). */
  fetchCount = 0;
  constructor(
    private readonly hs: Homeserver,
    private readonly own: OwnKeys,
    private readonly client: FederationClient,
    private readonly store: FederationStore,
  ) {}

  /** GET /_matrix/key/v2/server on `domain`, as PROTOCOL.md §4 classifies outcomes (200 / 404 / unreachable). */
  async fetchKeys(domain: string): Promise<KeyFetchOutcome> {
    if (domain === this.hs.config.serverName) return { kind: 'ok', response: this.own.response() };
    this.fetchCount++;
    try {
      const { status, body } = await this.client.raw(domain, 'GET', '/_matrix/key/v2/server', { unsigned: true, timeoutMs: KEY_FETCH_TIMEOUT_MS });
      if (status === 404) return { kind: 'not_found' };
      if (status !== 200) return { kind: 'unreachable', detail: `HTTP ${status}` };
      await this.remember(domain, body);
      return { kind: 'ok', response: body };
    } catch (error) {
      if (error instanceof FederationError) return { kind: 'unreachable', detail: error.message };
      throw error;
    }
  }

  private async remember(domain: string, response: unknown): Promise<void> {
    const checked = await verifyServerKeyResponse(response, domain, Date.now());
    if (!checked.ok) return;
    for (const [keyId, key] of Object.entries(checked.verifyKeys)) {
      this.store.putRemoteKey({ server_name: domain, key_id: keyId, key, valid_until_ts: checked.validUntilTs, expired_ts: null });
    }
    for (const [keyId, old] of Object.entries(checked.oldVerifyKeys)) {
      this.store.putRemoteKey({ server_name: domain, key_id: keyId, key: old.key, valid_until_ts: old.expiredTs, expired_ts: old.expiredTs });
    }
  }

  /** The public key `server` signs with under `keyId`, fetching when unknown or expired; undefined when unobtainable. */
  async verifyKey(server: string, keyId: string): Promise<Uint8Array | undefined> {
    if (server === this.hs.config.serverName) {
      if (keyId === this.hs.signingKey.keyId) return this.hs.signingKey.publicKey;
      const old = this.own.oldKeys()[keyId];
      return old ? decodeBase64(old.key) : undefined;
    }
    const cached = this.store.remoteKey(server, keyId);
    if (cached && (cached.expired_ts !== null || cached.valid_until_ts > Date.now())) return decodeBase64(cached.key);
    await this.fetchKeys(server);
    const fresh = this.store.remoteKey(server, keyId) ?? cached;
    return fresh ? decodeBase64(fresh.key) : undefined;
  }

  /** Notary view (`/_matrix/key/v2/query`): the key responses we hold for a server, as we last saw them. */
  cachedResponse(server: string): ServerKeyResponse | undefined {
    if (server === this.hs.config.serverName) return this.own.response();
    return undefined;
  }
}
