// Encrypted attachments (spec: "Sending encrypted attachments", v2): the file is encrypted with AES-256-CTR under a
// fresh key and a 64-bit random IV (counter half zero) before upload; the event carries `file` (url, key as a JWK,
// iv, the ciphertext's SHA-256) instead of `url`, inside the encrypted event, so the server holds only ciphertext.
import { decodeBase64, encodeBase64, encodeBase64Url } from '../protocol/base64';

export interface EncryptedFile {
  url: string;
  key: { kty: 'oct'; key_ops: string[]; alg: 'A256CTR'; k: string; ext: true };
  iv: string;
  hashes: { sha256: string };
  v: 'v2';
}

const unpadded = (text: string) => text.replace(/=+$/, '');

/** Encrypts `data`; `file` lacks only the `url` the upload of `ciphertext` gives. */
export async function encryptAttachment(data: ArrayBuffer): Promise<{ ciphertext: ArrayBuffer; file: Omit<EncryptedFile, 'url'> }> {
  const rawKey = crypto.getRandomValues(new Uint8Array(32));
  const iv = new Uint8Array(16);
  crypto.getRandomValues(iv.subarray(0, 8));
  const key = await crypto.subtle.importKey('raw', rawKey, 'AES-CTR', false, ['encrypt']);
  const ciphertext = await crypto.subtle.encrypt({ name: 'AES-CTR', counter: iv, length: 64 }, key, data);
  const hash = new Uint8Array(await crypto.subtle.digest('SHA-256', ciphertext));
  return {
    ciphertext,
    file: {
      key: { kty: 'oct', key_ops: ['encrypt', 'decrypt'], alg: 'A256CTR', k: encodeBase64Url(rawKey), ext: true },
      iv: unpadded(encodeBase64(iv)),
      hashes: { sha256: unpadded(encodeBase64(hash)) },
      v: 'v2',
    },
  };
}

export function isEncryptedFile(value: unknown): value is EncryptedFile {
  const f = value as Partial<EncryptedFile> | null;
  return (
    !!f && typeof f.url === 'string' && typeof f.iv === 'string' && typeof f.key?.k === 'string' && typeof f.hashes?.sha256 === 'string'
  );
}

/** Checks the ciphertext's hash (a swapped or damaged download is refused, never shown) and decrypts it. */
export async function decryptAttachment(ciphertext: ArrayBuffer, file: EncryptedFile): Promise<ArrayBuffer> {
  const hash = unpadded(encodeBase64(new Uint8Array(await crypto.subtle.digest('SHA-256', ciphertext))));
  if (hash !== unpadded(file.hashes.sha256)) throw new Error('the attachment does not match its hash');
  if (file.key.alg !== 'A256CTR') throw new Error(`unsupported attachment key algorithm ${String(file.key.alg)}`);
  const key = await crypto.subtle.importKey('jwk', { ...file.key, key_ops: ['encrypt', 'decrypt'] }, 'AES-CTR', false, ['decrypt']);
  const iv = new Uint8Array(decodeBase64(file.iv));
  return crypto.subtle.decrypt({ name: 'AES-CTR', counter: iv, length: 64 }, key, ciphertext);
}
