import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readSharedVectors } from './testing/vectors';
import { canonicalJson, canonicalJsonBytes, compareCodePoints, MAX_JSON_DEPTH, parseJson, ProtocolError } from './index';

type Vector = { name: string; input: string; expected: string };
const vectors = readSharedVectors<Vector[]>('canonical-json.json');

describe('canonical JSON: spec vectors', () => {
  it('has vectors', () => expect(vectors.length).toBeGreaterThan(5));
  for (const vector of vectors) {
    it(vector.name, () => expect(canonicalJson(parseJson(vector.input))).toBe(vector.expected));
  }
});

describe('canonical JSON', () => {
  it('sorts keys by code point, not UTF-16 unit', () => {
    // U+FF21 (fullwidth A) sorts before U+1F600 (emoji) by code point, after it by UTF-16 unit.
    expect(canonicalJson({ '😀': 1, Ａ: 2 })).toBe('{"Ａ":2,"😀":1}');
    expect(compareCodePoints('a', 'ab')).toBeLessThan(0);
  });

  it('escapes control characters and keeps other characters raw', () => {
    expect(canonicalJson({ a: '\u0000\n"\\/é' })).toBe('{"a":"\\u0000\\n\\"\\\\/é"}');
  });

  it('writes UTF-8 bytes', () => {
    expect(Array.from(canonicalJsonBytes('日'))).toEqual([0x22, 0xe6, 0x97, 0xa5, 0x22]);
  });

  it('accepts the safe integer range and normalises -0', () => {
    expect(canonicalJson([Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, -0])).toBe('[9007199254740991,-9007199254740991,0]');
  });

  const rejected: [string, unknown][] = [
    ['a float', { a: 1.5 }],
    ['2^53', { a: 2 ** 53 }],
    ['-(2^53)', [-(2 ** 53)]],
    ['NaN', NaN],
    ['Infinity', [Infinity]],
    ['undefined member', { a: undefined }],
    ['a function', { f: () => 1 }],
    ['a bigint', 1n],
    ['a symbol', Symbol('x')],
    ['a Date', new Date(0)],
    ['a Map', new Map()],
    ['a lone surrogate', '\ud800'],
    ['a lone surrogate key', { '\udc00': 1 }],
  ];
  for (const [name, value] of rejected) {
    it(`rejects ${name} with a ProtocolError`, () => {
      expect(() => canonicalJson(value)).toThrow(ProtocolError);
    });
  }

  it('rejects deep nesting and cycles with a typed error, not a stack overflow', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => canonicalJson(deep)).toThrow(/nested deeper/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(ProtocolError);
    let ok: unknown = 1;
    for (let i = 0; i < MAX_JSON_DEPTH; i++) ok = [ok];
    expect(canonicalJson(ok)).toHaveLength(MAX_JSON_DEPTH * 2 + 1);
  });

  it('names the path of the bad value', () => {
    expect(() => canonicalJson({ content: { list: [1, 0.5] } })).toThrow(/content\.list\[1\]/);
  });

  it('handles huge strings', () => {
    const huge = 'x'.repeat(5_000_000);
    expect(canonicalJson({ huge })).toHaveLength(5_000_000 + 11);
  });

  it('gives a typed error for bad JSON text', () => {
    expect(() => parseJson('{"a":')).toThrow(ProtocolError);
  });

  it('round-trips through JSON.parse and is idempotent (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        let once: string;
        try {
          once = canonicalJson(value);
        } catch (error) {
          // fast-check's JSON values include floats, which canonical JSON must refuse.
          expect(error).toBeInstanceOf(ProtocolError);
          return;
        }
        expect(canonicalJson(JSON.parse(once))).toBe(once);
      }),
    );
  });
});
