// The full PDU as stored and (next issue) sent over federation, and the steps that seal one: content hash,
// signatures, event ID. The algorithms are src/protocol's; this file only decides who signs.
import { computeEventId, MEMBER_KEY_ID, signEvent } from '../../src/protocol';
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
 */
export function sealPdu(
  unsealed: Pdu,
  roomVersion: string,
  serverName: string,
  serverKey: SigningKey,
  memberSeed: Uint8Array | undefined,
): { pdu: Pdu; eventId: string } {
  let pdu: Pdu;
  if (usesMemberKeys(roomVersion)) {
    if (!memberSeed) throw new Error('a member key seed is needed to sign in a member-key room');
    // Signer name as src/protocol verifies it: the sender's member ID (see the report on PROTOCOL.md's wording).
    pdu = signEvent(unsealed, roomVersion, unsealed.sender, MEMBER_KEY_ID, memberSeed);
    if (pdu.type === 'm.room.member' && pdu.content.domain === serverName) {
      pdu = signEvent(pdu, roomVersion, serverName, serverKey.keyId, serverKey.seed);
    }
  } else {
    pdu = signEvent(unsealed, roomVersion, serverName, serverKey.keyId, serverKey.seed);
  }
  return { pdu, eventId: computeEventId(pdu, roomVersion) };
}
