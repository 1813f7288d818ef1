// The recovery-key field and, under 10,000 random and mutated strings, the parser behind it: no crash, and
// every rejection comes with a message.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRecoveryKey, encodeRecoveryKey, generateRecoverySecret, RecoveryKeyError } from '../../protocol';
import { pickConfirmationGroups, readRecoveryKeyField, recoveryKeyGroups } from './recoveryKeyInput';

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function replaceAt(text: string, index: number, character: string): string {
  return text.slice(0, index) + character + text.slice(index + 1);
}

describe('readRecoveryKeyField', () => {
  const secret = generateRecoverySecret();
  const key = encodeRecoveryKey(secret);

  it('accepts the key with extra spaces, line breaks, or no spaces at all', () => {
    for (const typed of [key, `  ${key.replace(/ /g, '   ')}  `, key.replace(/ /g, ''), key.replace(/ /g, '\n'), key.replace(/ /g, '\t')]) {
      const field = readRecoveryKeyField(typed);
      expect(field.state).toBe('valid');
      if (field.state === 'valid') expect(field.secret).toEqual(secret);
    }
  });

  it('names a character base58 does not use, and explains 0/O/I/l', () => {
    const field = readRecoveryKeyField(replaceAt(key, 6, '0'));
    expect(field).toMatchObject({ state: 'invalid', kind: 'bad_character' });
    if (field.state === 'invalid') {
      expect(field.message).toContain('"0"');
      expect(field.message).toMatch(/never use 0 \(zero\), O \(capital o\), I \(capital i\) or l/);
    }
    expect(readRecoveryKeyField(`${key}!`)).toMatchObject({ state: 'invalid', kind: 'bad_character' });
  });

  it('says how far along a short key is, and rejects a long one', () => {
    expect(readRecoveryKeyField('')).toEqual({ state: 'empty' });
    expect(readRecoveryKeyField('   ')).toEqual({ state: 'empty' });
    const partial = readRecoveryKeyField(key.slice(0, 14));
    expect(partial).toMatchObject({ state: 'incomplete', typed: 12 });
    if (partial.state === 'incomplete') expect(partial.message).toMatch(/^12 of 48 characters\./);
    expect(readRecoveryKeyField(`${key}A`)).toMatchObject({ state: 'invalid', kind: 'too_long' });
  });

  it('a mistyped character gives the parity message', () => {
    // Change the last character to another base58 digit: the 35 bytes no longer check out.
    const fixed = encodeRecoveryKey(new Uint8Array(32).fill(7));
    const last = fixed.length - 1;
    const field = readRecoveryKeyField(replaceAt(fixed, last, fixed[last] === 'a' ? 'b' : 'a'));
    expect(field).toMatchObject({ state: 'invalid', kind: 'bad_parity' });
    if (field.state === 'invalid') expect(field.message).toMatch(/one character is probably mistyped/);
  });
});

describe('confirmation groups', () => {
  it('splits into 12 groups of 4 and picks two different ones', () => {
    const key = encodeRecoveryKey(generateRecoverySecret());
    expect(recoveryKeyGroups(key)).toEqual(key.split(' '));
    expect(recoveryKeyGroups(key)).toHaveLength(12);
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 40 }), fc.nat(), fc.nat(), (count, a, b) => {
        const picks = [a % count, b % (count - 1)];
        let call = 0;
        const [first, second] = pickConfirmationGroups(count, () => picks[call++]!);
        return first < second && first >= 0 && second < count;
      }),
    );
  });
});

describe('fuzz: 10,000 random and mutated strings', () => {
  const validKey = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => encodeRecoveryKey(bytes));
  const mutation = fc.tuple(
    validKey,
    fc.nat(),
    fc.constantFrom(...BASE58, '0', 'O', 'I', 'l', ' ', '\n', 'é', '\u0000', '😀', '-'),
    fc.constantFrom('replace', 'insert', 'delete', 'swap', 'truncate', 'double'),
  );
  const mutated = mutation.map(([key, at, character, kind]) => {
    const i = at % key.length;
    switch (kind) {
      case 'replace':
        return replaceAt(key, i, character);
      case 'insert':
        return key.slice(0, i) + character + key.slice(i);
      case 'delete':
        return key.slice(0, i) + key.slice(i + 1);
      case 'swap':
        return i + 1 < key.length ? key.slice(0, i) + key[i + 1] + key[i] + key.slice(i + 2) : key;
      case 'truncate':
        return key.slice(0, i);
      default:
        return key + key;
    }
  });
  const anything = fc.oneof(
    fc.string(),
    fc.string({ unit: 'grapheme', maxLength: 80 }),
    fc.string({ unit: fc.constantFrom(...BASE58, ' '), maxLength: 70 }),
    mutated,
    mutated,
  );

  it('never crashes; a rejection is a RecoveryKeyError with a message; separators never change the secret', () => {
    let rejected = 0;
    fc.assert(
      fc.property(anything, (text) => {
        let secret: Uint8Array | undefined;
        try {
          secret = decodeRecoveryKey(text);
        } catch (error) {
          rejected += 1;
          expect(error).toBeInstanceOf(RecoveryKeyError);
          expect((error as RecoveryKeyError).message.length).toBeGreaterThan(10);
          const field = readRecoveryKeyField(text);
          expect(field.state).not.toBe('valid');
          if (field.state === 'invalid' || field.state === 'incomplete') expect(field.message.length).toBeGreaterThan(10);
          return;
        }
        expect(secret).toHaveLength(32);
        expect(decodeRecoveryKey(` ${text.split('').join(' ')}\n`)).toEqual(secret);
        expect(decodeRecoveryKey(text.split('').join('-'))).toEqual(secret);
        expect(encodeRecoveryKey(secret).replace(/ /g, '')).toBe(text.replace(/[\s\-_.]/gu, ''));
      }),
      { numRuns: 10_000 },
    );
    expect(rejected).toBeGreaterThan(5_000);
  });
});
