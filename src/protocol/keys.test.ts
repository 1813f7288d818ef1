import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeBase64,
  encodeBase64,
  encodeBase64Url,
  isMemberKey,
  memberIdFromPublicKey,
  normaliseKey,
  ProtocolError,
  publicKeyFromMemberId,
  senderKeyFromPublicKey,
} from './index';

describe('base64', () => {
  it('encodes unpadded standard and URL-safe', () => {
    const bytes = new Uint8Array([0xfb, 0xff, 0xfe, 0x01]);
    expect(encodeBase64(bytes)).toBe('+//+AQ');
    expect(encodeBase64Url(bytes)).toBe('-__-AQ');
  });

  it('decodes both alphabets, padded or not', () => {
    for (const text of ['+//+AQ', '+//+AQ==', '-__-AQ', '-__-AQ==']) {
      expect(Array.from(decodeBase64(text))).toEqual([0xfb, 0xff, 0xfe, 0x01]);
    }
    expect(decodeBase64('')).toEqual(new Uint8Array());
  });

  it("accepts non-zero unused bits, as the spec's test seed has them", () => {
    expect(decodeBase64('YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1')).toHaveLength(32);
  });

  for (const bad of ['abcde', 'ab=c', 'a===', 'ab c', 'ab+-', 'é', 'ab=']) {
    it(`rejects ${JSON.stringify(bad)} with a typed error`, () => {
      expect(() => decodeBase64(bad)).toThrow(ProtocolError);
    });
  }

  it('round-trips any bytes in both alphabets (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(decodeBase64(encodeBase64(bytes))).toEqual(bytes);
        expect(decodeBase64(encodeBase64Url(bytes))).toEqual(bytes);
      }),
    );
  });
});

describe('keys', () => {
  const key = Uint8Array.from({ length: 32 }, (_, i) => i * 8 + 3);
  const urlSafe = encodeBase64Url(key);

  it('normalises every wire form of a key to one string', () => {
    const forms = [
      urlSafe,
      `@${urlSafe}`,
      encodeBase64(key),
      `${encodeBase64(key)}=`,
      senderKeyFromPublicKey(key),
      memberIdFromPublicKey(key),
    ];
    for (const form of forms) expect(normaliseKey(form)).toBe(urlSafe);
    expect(urlSafe).toMatch(/[-_]/); // the test key exercises the alphabet difference
  });

  it('maps member IDs and public keys both ways', () => {
    expect(memberIdFromPublicKey(key)).toBe(`@${urlSafe}`);
    expect(publicKeyFromMemberId(`@${urlSafe}`)).toEqual(key);
  });

  it('rejects user IDs, wrong lengths and junk with typed errors', () => {
    expect(() => normaliseKey('@alice:example.org')).toThrow(/user ID/);
    expect(() => normaliseKey('AAAA')).toThrow(/32 bytes/);
    expect(() => normaliseKey('not base64!')).toThrow(ProtocolError);
    expect(() => publicKeyFromMemberId(urlSafe)).toThrow(/starts with "@"/);
    expect(() => normaliseKey(42 as unknown as string)).toThrow(ProtocolError);
    expect(() => memberIdFromPublicKey(new Uint8Array(31))).toThrow(ProtocolError);
    expect(isMemberKey('@alice:example.org')).toBe(false);
    expect(isMemberKey(urlSafe)).toBe(true);
  });
});
