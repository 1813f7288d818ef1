import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MatrixError } from './errors';
import { jsonDepthExceeds, MAX_CLIENT_JSON_DEPTH, parseRequestBody, parseStoredJson } from './json';

const nested = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
const nestedArrays = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

/** The real depth, by walking the parsed value (only for values shallow enough to recurse over). */
function depthOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

describe('jsonDepthExceeds', () => {
  it('counts objects and arrays, and nothing inside strings', () => {
    expect(jsonDepthExceeds(nested(64), 64)).toBe(false);
    expect(jsonDepthExceeds(nested(65), 64)).toBe(true);
    expect(jsonDepthExceeds(nestedArrays(3), 2)).toBe(true);
    expect(jsonDepthExceeds(JSON.stringify({ a: '[[[[[[{{{{{{' }), 1)).toBe(false);
    // Escaped quotes and backslashes do not end the string early.
    expect(jsonDepthExceeds(JSON.stringify({ a: 'x\\"[[[[[[[[\\' }), 1)).toBe(false);
    expect(jsonDepthExceeds(JSON.stringify({ a: 'x\\', b: [[[]]] }), 3)).toBe(true);
  });

  it('agrees with the parsed value on any JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 12 }), fc.nat({ max: 12 }), (value, limit) => {
        expect(jsonDepthExceeds(JSON.stringify(value), limit)).toBe(depthOf(value) > limit);
      }),
      { numRuns: 500 },
    );
  });

  it('checks a million levels without overflowing the stack', () => {
    expect(jsonDepthExceeds(nestedArrays(1_000_000), 64)).toBe(true);
  });
});

describe('parseRequestBody', () => {
  const refusal = (text: string): MatrixError => {
    try {
      parseRequestBody(text, MAX_CLIENT_JSON_DEPTH);
    } catch (error) {
      return error as MatrixError;
    }
    throw new Error(`accepted ${text.slice(0, 40)}`);
  };

  it('takes objects up to the limit', () => {
    expect(depthOf(parseRequestBody(nested(MAX_CLIENT_JSON_DEPTH), MAX_CLIENT_JSON_DEPTH))).toBe(MAX_CLIENT_JSON_DEPTH);
  });

  it('refuses deeper nesting, other top-level types and non-JSON with 400 and the right errcode', () => {
    const deep = refusal(nested(5000));
    expect([deep.status, deep.errcode]).toEqual([400, 'M_BAD_JSON']);
    expect(deep.message).toMatch(/deeper than 64 levels/);
    for (const text of ['[]', '"text"', 'null', '42', 'true'])
      expect([refusal(text).status, refusal(text).errcode]).toEqual([400, 'M_BAD_JSON']);
    for (const text of ['{', '{"a":1}{"b":2}', "{'a':1}", 'NaN']) expect(refusal(text).errcode).toBe('M_NOT_JSON');
  });
});

describe('parseStoredJson', () => {
  it('gives undefined for a stored value too deep to serve, instead of a value that breaks JSON.stringify', () => {
    expect(parseStoredJson(nested(100_000))).toBeUndefined();
    expect(parseStoredJson('{"a":[1]}')).toEqual({ a: [1] });
  });
});
