import { decodeBase64, encodeBase64 } from './base64';
import { canonicalJsonBytes } from './canonical-json';
import { signBytes, verifyBytes } from './ed25519';
import { ACCOUNT_KEY_PROOF_TYPE } from './identity';
import { decodePublicKey } from './keys';

export type AccountKeyProofFields = { challenge: string; homeserver: string; account_key: string };

/** PROTOCOL.md §5: the account key signs canonical JSON of {type, challenge, homeserver, account_key}. */
export function accountKeyProofBytes(fields: AccountKeyProofFields): Uint8Array {
  return canonicalJsonBytes({
    type: ACCOUNT_KEY_PROOF_TYPE,
    challenge: fields.challenge,
    homeserver: fields.homeserver,
    account_key: fields.account_key,
  });
}

/** Unpadded standard base64 signature for the login / register body. */
export function signAccountKeyProof(fields: AccountKeyProofFields, accountSeed: Uint8Array): string {
  return encodeBase64(signBytes(accountKeyProofBytes(fields), accountSeed));
}

/** Server side: does `signature` prove the account key? False (never a throw) for malformed input. */
export async function verifyAccountKeyProof(fields: AccountKeyProofFields, signature: string): Promise<boolean> {
  try {
    return await verifyBytes(decodeBase64(signature), accountKeyProofBytes(fields), decodePublicKey(fields.account_key));
  } catch {
    return false;
  }
}
