import { describe, expect, it } from 'vitest';
import { decryptAttachment, encryptAttachment, isEncryptedFile } from './encryptedAttachment';
import { decodeBase64 } from '../protocol/base64';

describe('encrypted attachments (spec v2)', () => {
  const data = new TextEncoder().encode('a picture, really').buffer as ArrayBuffer;

  it('round-trips, and the ciphertext is not the file', async () => {
    const { ciphertext, file } = await encryptAttachment(data);
    expect(new Uint8Array(ciphertext)).not.toEqual(new Uint8Array(data));
    const full = { ...file, url: 'mxc://alpha/x' };
    expect(isEncryptedFile(full)).toBe(true);
    expect(new TextDecoder().decode(await decryptAttachment(ciphertext, full))).toBe('a picture, really');
  });

  it('has the spec shape: A256CTR JWK, a 16-byte IV whose counter half is zero, unpadded base64', async () => {
    const { file } = await encryptAttachment(data);
    expect(file).toMatchObject({ v: 'v2', key: { kty: 'oct', alg: 'A256CTR', ext: true } });
    expect(file.key.key_ops).toEqual(expect.arrayContaining(['encrypt', 'decrypt']));
    const iv = decodeBase64(file.iv);
    expect(iv).toHaveLength(16);
    expect([...iv.subarray(8)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(file.iv).not.toMatch(/=/);
    expect(file.hashes.sha256).not.toMatch(/=/);
  });

  it('refuses a download that does not match its hash', async () => {
    const { ciphertext, file } = await encryptAttachment(data);
    const tampered = new Uint8Array(ciphertext);
    tampered[0]! ^= 1;
    await expect(decryptAttachment(tampered.buffer, { ...file, url: 'mxc://alpha/x' })).rejects.toThrow(/hash/);
  });
});
