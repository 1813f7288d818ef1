import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  confusableDomains,
  describeDifference,
  editDistance,
  findConfusableMembers,
  hasHiddenCharacters,
  mixedScripts,
  nameSkeleton,
  sanitiseDisplayName,
  visualOrder,
} from './confusables';

describe('nameSkeleton', () => {
  it('maps Unicode look-alikes, case and invisible characters to one form', () => {
    expect(nameSkeleton('аlice')).toBe(nameSkeleton('alice')); // Cyrillic а
    expect(nameSkeleton('ALICE')).toBe(nameSkeleton('alice'));
    expect(nameSkeleton('al\u200bice')).toBe(nameSkeleton('alice'));
    expect(nameSkeleton('paypal')).toBe(nameSkeleton('раyраl'));
    expect(nameSkeleton('modern')).toBe(nameSkeleton('rnodern')); // m looks like rn
    expect(nameSkeleton('alice')).not.toBe(nameSkeleton('alicia'));
  });
});

describe('mixedScripts', () => {
  it('flags Latin mixed with Cyrillic or Greek, not plain names or Latin with CJK', () => {
    expect(mixedScripts('аlice')).toEqual(['Cyrillic', 'Latin']);
    expect(mixedScripts('Αlice')).toEqual(['Greek', 'Latin']);
    expect(mixedScripts('alice')).toBeUndefined();
    expect(mixedScripts('Алиса')).toBeUndefined();
    expect(mixedScripts('Yuki 雪')).toBeUndefined();
    expect(mixedScripts('1234 !!')).toBeUndefined();
  });
});

describe('editDistance', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('martix', 'matrix')).toBe(1);
    expect(editDistance('alice', 'alicee')).toBe(1);
    expect(editDistance('alice', 'bob')).toBe(5);
    expect(editDistance('alice', 'bob', 1)).toBe(2); // stops early past the limit
  });
  it('is symmetric and zero only for equal strings', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b) => {
        expect(editDistance(a, b)).toBe(editDistance(b, a));
        expect(editDistance(a, b) === 0).toBe(a === b);
      }),
    );
  });
});

describe('findConfusableMembers', () => {
  const kinds = (result: ReturnType<typeof findConfusableMembers>, id: string) => (result.get(id) ?? []).map((m) => `${m.other}:${m.kind}`);

  it('warns both keys that claim the same handle, and nobody else', () => {
    const result = findConfusableMembers([
      { identity: 'K1', displayName: 'Bob', handle: '@bob:beta' },
      { identity: 'K2', displayName: 'Bob (really)', handle: '@bob:beta' },
      { identity: 'K3', displayName: 'Carol', handle: '@carol:gamma' },
    ]);
    expect(kinds(result, 'K1')).toEqual(['K2:same_handle']);
    expect(kinds(result, 'K2')).toEqual(['K1:same_handle']);
    expect(result.has('K3')).toBe(false);
  });

  it('warns on the same display name and on confusable ones', () => {
    const result = findConfusableMembers([
      { identity: 'K1', displayName: 'Alice', handle: '@alice:alpha' },
      { identity: 'K2', displayName: 'Alice', handle: '@alice2:beta' },
      { identity: 'K3', displayName: 'Аlice', handle: '@al:gamma' }, // Cyrillic А
    ]);
    expect(kinds(result, 'K1').sort()).toEqual(['K2:same_name', 'K3:confusable_name']);
    expect(result.get('K3')![0]!.detail).toContain('Cyrillic');
  });

  it('warns on handles one transposition apart (martix / matrix) and on Unicode look-alike handles', () => {
    const result = findConfusableMembers([
      { identity: 'K1', handle: '@alice:matrix.org' },
      { identity: 'K2', handle: '@alice:martix.org' },
      { identity: 'K3', handle: '@bob:matrix.org' },
      { identity: 'K4', handle: '@bоb:matrix.org' }, // Cyrillic о
    ]);
    expect(kinds(result, 'K1')).toEqual(['K2:similar_handle']);
    expect(kinds(result, 'K2')).toEqual(['K1:similar_handle']);
    expect(kinds(result, 'K3')).toEqual(['K4:confusable_handle']);
  });

  it('does not warn on short distinct localparts one letter apart, nor on one identity twice', () => {
    const result = findConfusableMembers([
      { identity: 'K1', displayName: 'Bob', handle: '@bob:beta' },
      { identity: 'K2', displayName: 'Rob', handle: '@rob:beta' },
      { identity: 'K1', displayName: 'Bob', handle: '@bob:beta' },
    ]);
    expect(result.size).toBe(0);
  });

  it('scales to thousands of members (bucketed, not pairwise)', () => {
    const claims = Array.from({ length: 5000 }, (_, i) => ({
      identity: `K${i}`,
      displayName: `Member ${i}`,
      handle: `@member${i}:server${i % 40}.example`,
    }));
    claims.push({ identity: 'X', displayName: 'Member 7', handle: '@member7:server7.example' });
    const result = findConfusableMembers(claims);
    expect(kinds(result, 'X')).toContain('K7:same_handle');
    expect(kinds(result, 'K7')).toContain('X:same_handle');
  });
});

describe('sanitiseDisplayName and visualOrder', () => {
  it('strips bidi controls and invisible characters as matrix-js-sdk does, keeping real letters and marks', () => {
    expect(sanitiseDisplayName('\u202Erotciv\u202C')).toBe('rotciv');
    expect(sanitiseDisplayName('vic\u200btor\u2066\u2069')).toBe('victor');
    expect(sanitiseDisplayName('  Zoë \u00a0 Ng ')).toBe('Zoë Ng');
    expect(sanitiseDisplayName('Zoe\u0308')).toBe('Zoë'); // NFC, the combining mark kept
    expect(sanitiseDisplayName('שלום')).toBe('שלום');
  });
  it('reads a right-to-left override the way a browser shows it', () => {
    expect(visualOrder('\u202Erotciv\u202C')).toBe('victor');
    expect(visualOrder('ab\u202Edc\u202Cef')).toBe('abcdef');
    expect(visualOrder('\u202Erotciv')).toBe('victor'); // unterminated: to the end
    expect(visualOrder('\u202Dvictor\u202C')).toBe('victor');
    expect(visualOrder('victor')).toBe('victor');
  });
  it('counts names that differ only by bidi or invisible characters as look-alikes', () => {
    const result = findConfusableMembers([
      { identity: 'V', displayName: 'victor', handle: '@victor:alpha' },
      { identity: 'R', displayName: '\u202Erotciv\u202C', handle: '@rlo:gamma' },
      { identity: 'Z', displayName: 'vic\u200btor', handle: '@zw:gamma' },
    ]);
    expect((result.get('V') ?? []).map((m) => m.other).sort()).toEqual(['R', 'Z']);
    const rlo = result.get('R')![0]!;
    expect(rlo.kind).toBe('confusable_name');
    expect(rlo.detail).toContain('“rotciv” is written with hidden or direction-changing characters to read “victor”');
    expect(hasHiddenCharacters('\u202Erotciv\u202C')).toBe(true);
    expect(hasHiddenCharacters('victor')).toBe(false);
  });
});

describe('look-alike domains', () => {
  it('flags a swap of neighbours, a doubled letter and skeleton twins; not ports, digits or unrelated letters', () => {
    const pairsOf = (domains: string[]) => confusableDomains(domains).map((p) => p.join(' ~ '));
    expect(pairsOf(['matrix.org', 'martix.org'])).toEqual(['matrix.org ~ martix.org']);
    expect(pairsOf(['matrix.localhost:21801', 'martix.localhost:21802'])).toEqual(['matrix.localhost:21801 ~ martix.localhost:21802']);
    expect(pairsOf(['matrix.org', 'matrrix.org'])).toHaveLength(1);
    expect(pairsOf(['matrix.org', 'rnatrix.org'])).toHaveLength(1);
    expect(pairsOf(['matrix.org', 'mаtrix.org'])).toHaveLength(1); // Cyrillic а
    expect(pairsOf(['alpha.localhost:1', 'alpha.localhost:2'])).toEqual([]);
    expect(pairsOf(['server1.example', 'server2.example', 'beta.localhost', 'zeta.localhost'])).toEqual([]);
  });
  it('matches every member of the look-alike domain with the first member of the other, and says what differs', () => {
    const result = findConfusableMembers([
      { identity: 'B', displayName: 'Bob', handle: '@bob:matrix.org' },
      { identity: 'C', displayName: 'Carol', handle: '@carol:matrix.org' },
      { identity: 'H', displayName: 'Helpdesk', handle: '@helpdesk:martix.org' },
    ]);
    const h = result.get('H')!;
    expect(h.map((m) => `${m.other}:${m.kind}`)).toEqual(['B:confusable_domain']);
    expect(h[0]!.detail).toBe('martix.org looks like matrix.org: “rt” at character 3 where matrix.org has “tr”');
    expect(result.has('C')).toBe(false);
  });
  it('describes the differing characters, naming those outside ASCII by code point', () => {
    expect(describeDifference('martix.org', 'matrix.org')).toBe('“rt” at character 3 where matrix.org has “tr”');
    expect(describeDifference('раypal', 'paypal')).toBe('“ра” (U+0440 U+0430) at character 1 where paypal has “pa”');
    expect(describeDifference('matrrix', 'matrix')).toBe('matrrix has “r” at character 5, matrix does not');
  });
});
