import { decodeBase64, encodeBase64 } from './base64';
import { canonicalJsonBytes } from './canonical-json';
import { signBytes, verifyBytes, verifyBytesSync } from './ed25519';
import { ProtocolError } from './errors';

export type Signatures = Record<string, Record<string, string>>;

/** The bytes a JSON signature covers: canonical JSON without `signatures` and `unsigned`. */
export function signedJsonBytes(object: object): Uint8Array {
  if (object === null || typeof object !== 'object' || Array.isArray(object)) {
    throw new ProtocolError('invalid_argument', 'only JSON objects can be signed');
  }
  const { signatures: _signatures, unsigned: _unsigned, ...rest } = object as Record<string, unknown>;
  return canonicalJsonBytes(rest);
}

/** Signs per the spec's "Signing JSON": returns a copy with the signature added beside any existing ones. */
export function signJson<T extends object>(object: T, signer: string, keyId: string, seed: Uint8Array): T & { signatures: Signatures } {
  const signature = encodeBase64(signBytes(signedJsonBytes(object), seed));
  const existing = readSignatures(object);
  return {
    ...object,
    signatures: { ...existing, [signer]: { ...(existing[signer] ?? {}), [keyId]: signature } },
  };
}

/** The base64 signature by `signer` with `keyId`, or undefined when absent or not a string. */
export function getSignature(object: unknown, signer: string, keyId: string): string | undefined {
  if (!isRecord(object) || !isRecord(object.signatures)) return undefined;
  const bySigner = object.signatures[signer];
  if (!isRecord(bySigner)) return undefined;
  const signature = bySigner[keyId];
  return typeof signature === 'string' ? signature : undefined;
}

export async function verifyJsonSignature(object: unknown, signer: string, keyId: string, publicKey: Uint8Array): Promise<boolean> {
  const prepared = prepareVerification(object, signer, keyId);
  return prepared ? verifyBytes(prepared.signature, prepared.message, publicKey) : false;
}

export function verifyJsonSignatureSync(object: unknown, signer: string, keyId: string, publicKey: Uint8Array): boolean {
  const prepared = prepareVerification(object, signer, keyId);
  return prepared ? verifyBytesSync(prepared.signature, prepared.message, publicKey) : false;
}

function prepareVerification(object: unknown, signer: string, keyId: string): { signature: Uint8Array; message: Uint8Array } | null {
  const encoded = getSignature(object, signer, keyId);
  if (encoded === undefined) return null;
  try {
    return { signature: decodeBase64(encoded), message: signedJsonBytes(object as object) };
  } catch (error) {
    if (error instanceof ProtocolError) return null; // undecodable signature or non-canonical content cannot verify
    throw error;
  }
}

function readSignatures(object: object): Signatures {
  const signatures = (object as { signatures?: unknown }).signatures;
  if (signatures === undefined) return {};
  if (!isRecord(signatures)) throw new ProtocolError('invalid_argument', '`signatures` must be an object');
  return signatures as Signatures;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
