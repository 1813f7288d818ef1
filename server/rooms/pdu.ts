// The full PDU as stored and (next issue) sent over federation, and the steps that seal one: content hash,
// signatures, event ID. The algorithms are src/protocol's; this file only decides who signs.
import { createHash } from 'node:crypto';
import {
  canonicalJsonBytes,
  computeEventId,
  MEMBER_KEY_ID,
  redactEvent,
  resolveRoomVersion,
  signBytes,
  signEvent,
} from '../../src/protocol';
import type { SigningKey } from '../signing-key';
import { usesMemberKeys } from './room-versions';

export interface Pdu {
  type: string;
  room_id?: string;
  sender: string;
  state_key?: string;
  content: Record<string, unknown>;
  origin_server_ts: number;
  depth: number;
  prev_events: string[];
  auth_events: string[];
  redacts?: string;
  hashes?: { sha256: string };
  signatures?: Record<string, Record<string, string>>;
  unsigned?: Record<string, unknown>;
}

/**
 * Hashes and signs a PDU: in classic rooms with the server key; in member-key rooms with the member key
 * (`signatures[<sender>]["ed25519:1"]`), member events also co-signed by the server that `content.domain` names (us).
 *
 * The spec's steps (src/protocol's signEvent, then computeEventId) done in one pass: every signature and the
 * reference hash cover the same bytes (the redacted event without signatures and unsigned), so they are made
 * once, and SHA-256 is Node's. pdu.test.ts proves the result is the one those steps give.
 */
export function sealPdu(
  unsealed: Pdu,
  roomVersion: string,
  serverName: string,
  serverKey: SigningKey,
  memberSeed: Uint8Array | undefined,
): { pdu: Pdu; eventId: string } {
  const signers: Array<{ signer: string; keyId: string; seed: Uint8Array }> = [];
  if (usesMemberKeys(roomVersion)) {
    if (!memberSeed) throw new Error('a member key seed is needed to sign in a member-key room');
    // Signer name as src/protocol verifies it: the sender's member ID (see the report on PROTOCOL.md's wording).
    signers.push({ signer: unsealed.sender, keyId: MEMBER_KEY_ID, seed: memberSeed });
    if (unsealed.type === 'm.room.member' && unsealed.content.domain === serverName)
      signers.push({ signer: serverName, keyId: serverKey.keyId, seed: serverKey.seed });
  } else {
    signers.push({ signer: serverName, keyId: serverKey.keyId, seed: serverKey.seed });
  }
  const version = resolveRoomVersion(roomVersion);
  if (version.eventIdFormat === 'server' || unsealed.hashes || unsealed.signatures || unsealed.unsigned)
    return sealStepByStep(unsealed, roomVersion, signers);
  const pdu: Pdu = { ...unsealed, hashes: { sha256: unpadded(sha256(canonicalJsonBytes(unsealed)).toString('base64')) } };
  const { signatures: _s, unsigned: _u, ...redacted } = redactEvent(pdu, version) as Record<string, unknown>;
  const signed = canonicalJsonBytes(redacted);
  const signatures: Record<string, Record<string, string>> = {};
  for (const { signer, keyId, seed } of signers) {
    const signature = Buffer.from(signBytes(signed, seed)).toString('base64');
    signatures[signer] = { ...signatures[signer], [keyId]: unpadded(signature) };
  }
  pdu.signatures = signatures;
  const hash = sha256(signed);
  const eventId = `$${version.eventIdFormat === 'hash_base64' ? unpadded(hash.toString('base64')) : hash.toString('base64url')}`;
  return { pdu, eventId };
}

/** The spec's steps one by one (room versions whose events carry their own ID, or a PDU that is already hashed or signed). */
export function sealStepByStep(
  unsealed: Pdu,
  roomVersion: string,
  signers: Array<{ signer: string; keyId: string; seed: Uint8Array }>,
): { pdu: Pdu; eventId: string } {
  let pdu = unsealed;
  for (const { signer, keyId, seed } of signers) pdu = signEvent(pdu, roomVersion, signer, keyId, seed);
  return { pdu, eventId: computeEventId(pdu, roomVersion) };
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest();
const unpadded = (base64: string) => base64.replace(/=+$/, '');
