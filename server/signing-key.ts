// The server's Ed25519 signing key, kept in the data dir in Synapse's format: "ed25519 <id> <unpadded base64 seed>".
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decodeBase64, encodeBase64, keyPairFromSeed, type KeyPair } from '../src/protocol';

export interface SigningKey extends KeyPair {
  /** e.g. `ed25519:a_Xy12` */
  keyId: string;
  publicKeyBase64: string;
}

/** The server's signing key now: OwnKeys.rotate replaces `current`, so whatever signs reads it when it signs. */
export class CurrentSigningKey {
  constructor(public current: SigningKey) {}
}

export function loadOrCreateSigningKey(dataDir: string): SigningKey {
  const file = path.join(dataDir, 'signing.key');
  if (!existsSync(file)) {
    // Key IDs may only use [a-zA-Z0-9_] (spec; src/protocol and X-Matrix parsing refuse others): no '-'.
    const id = `a_${randomBytes(3).toString('base64url').replace(/-/g, '_')}`;
    writeFileSync(file, `ed25519 ${id} ${encodeBase64(randomBytes(32))}\n`, { mode: 0o600, flag: 'wx' });
  }
  const [algorithm, id, seedText] = readFileSync(file, 'utf8').trim().split(/\s+/);
  if (algorithm !== 'ed25519' || !id || !seedText) throw new Error(`${file} is not an "ed25519 <id> <seed>" signing key`);
  const pair = keyPairFromSeed(decodeBase64(seedText));
  return { ...pair, keyId: `ed25519:${id}`, publicKeyBase64: encodeBase64(pair.publicKey) };
}
