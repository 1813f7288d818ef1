import { decodeBase64, encodeBase64 } from './base64';
import { keyPairFromSeed } from './ed25519';
import { ProtocolError } from './errors';
import { isRecord, signJson, verifyJsonSignature } from './signing';

/** `GET /_matrix/key/v2/server` response body (Server-Server API). */
export type ServerKeyResponse = {
  server_name: string;
  valid_until_ts: number;
  verify_keys: Record<string, { key: string }>;
  old_verify_keys: Record<string, { key: string; expired_ts: number }>;
  signatures: Record<string, Record<string, string>>;
};

export type VerifiedServerKeys = {
  ok: true;
  serverName: string;
  /** keyId → unpadded standard base64 public key. */
  verifyKeys: Record<string, string>;
  oldVerifyKeys: Record<string, { key: string; expiredTs: number }>;
  validUntilTs: number;
};

export type ServerKeyCheck = VerifiedServerKeys | { ok: false; reason: string };

const KEY_ID = /^ed25519:[a-zA-Z0-9_]+$/;

/**
 * Checks a key response the way a receiving server must: it names the expected server, every listed verify key
 * has signed the response, keys decode to 32 bytes, and `valid_until_ts` has not passed. Never throws.
 */
export async function verifyServerKeyResponse(response: unknown, expectedServerName: string, nowMs: number): Promise<ServerKeyCheck> {
  const shape = checkShape(response, expectedServerName);
  if (!shape.ok) return shape;
  const body = response as Record<string, unknown>;
  for (const [keyId, key] of Object.entries(shape.verifyKeys)) {
    const signed = await verifyJsonSignature(body, expectedServerName, keyId, decodeBase64(key));
    if (!signed) return { ok: false, reason: `the response is not validly signed by its own key ${keyId}` };
  }
  if (shape.validUntilTs < nowMs) {
    return { ok: false, reason: `the keys expired at ${new Date(shape.validUntilTs).toISOString()} (valid_until_ts is in the past)` };
  }
  return shape;
}

function checkShape(response: unknown, expectedServerName: string): ServerKeyCheck {
  if (!isRecord(response)) return { ok: false, reason: 'the key response is not a JSON object' };
  if (response.server_name !== expectedServerName) {
    return {
      ok: false,
      reason: `the key response is for ${JSON.stringify(response.server_name)}, not ${JSON.stringify(expectedServerName)}`,
    };
  }
  if (!Number.isSafeInteger(response.valid_until_ts)) return { ok: false, reason: 'valid_until_ts is missing or not an integer' };
  if (!isRecord(response.verify_keys)) return { ok: false, reason: 'verify_keys is missing or not an object' };
  const verifyKeys: Record<string, string> = {};
  for (const [keyId, entry] of Object.entries(response.verify_keys)) {
    const key = readKey(keyId, entry);
    if (typeof key !== 'string' || !isValidKey(key)) return { ok: false, reason: `verify key ${JSON.stringify(keyId)} is malformed` };
    verifyKeys[keyId] = encodeBase64(decodeBase64(key));
  }
  if (Object.keys(verifyKeys).length === 0) return { ok: false, reason: 'the key response lists no verify_keys' };
  const oldVerifyKeys: Record<string, { key: string; expiredTs: number }> = {};
  if (response.old_verify_keys !== undefined) {
    if (!isRecord(response.old_verify_keys)) return { ok: false, reason: 'old_verify_keys is not an object' };
    for (const [keyId, entry] of Object.entries(response.old_verify_keys)) {
      const key = readKey(keyId, entry);
      const expiredTs = isRecord(entry) ? entry.expired_ts : undefined;
      if (typeof key !== 'string' || !isValidKey(key) || !Number.isSafeInteger(expiredTs)) {
        return { ok: false, reason: `old verify key ${JSON.stringify(keyId)} is malformed` };
      }
      oldVerifyKeys[keyId] = { key: encodeBase64(decodeBase64(key)), expiredTs: expiredTs as number };
    }
  }
  return { ok: true, serverName: expectedServerName, verifyKeys, oldVerifyKeys, validUntilTs: response.valid_until_ts as number };
}

function readKey(keyId: string, entry: unknown): unknown {
  if (!KEY_ID.test(keyId) || !isRecord(entry)) return undefined;
  return entry.key;
}

function isValidKey(key: string): boolean {
  try {
    return decodeBase64(key).length === 32;
  } catch {
    return false;
  }
}

/** What a homeserver publishes at `/_matrix/key/v2/server`, self-signed with its current key. */
export function buildServerKeyResponse(
  serverName: string,
  keyId: string,
  seed: Uint8Array,
  validUntilTs: number,
  oldVerifyKeys: Record<string, { key: string; expired_ts: number }> = {},
): ServerKeyResponse {
  if (!KEY_ID.test(keyId))
    throw new ProtocolError('invalid_argument', `a server key ID looks like "ed25519:abc", not ${JSON.stringify(keyId)}`);
  if (!Number.isSafeInteger(validUntilTs)) throw new ProtocolError('invalid_argument', 'valid_until_ts must be an integer');
  const publicKey = keyPairFromSeed(seed).publicKey;
  const body = {
    server_name: serverName,
    valid_until_ts: validUntilTs,
    verify_keys: { [keyId]: { key: encodeBase64(publicKey) } },
    old_verify_keys: oldVerifyKeys,
  };
  return signJson(body, serverName, keyId, seed);
}
