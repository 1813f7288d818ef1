import { ProtocolError } from './errors';

/** Deeper than any real event; stops cycles and hostile nesting before the stack does. */
export const MAX_JSON_DEPTH = 128;

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

const textEncoder = new TextEncoder();

/**
 * Canonical JSON as the Matrix spec defines it: keys sorted by code point, no insignificant whitespace,
 * UTF-8 strings, integers only in [-(2^53)+1, (2^53)-1]. Anything else throws a ProtocolError.
 */
export function canonicalJson(value: unknown): string {
  return encodeValue(value, 0, '');
}

export function canonicalJsonBytes(value: unknown): Uint8Array {
  return textEncoder.encode(canonicalJson(value));
}

/** Parses JSON text with a typed error on bad syntax (JSON.parse alone throws a bare SyntaxError). */
export function parseJson(text: string): unknown {
  if (typeof text !== 'string') throw new ProtocolError('invalid_json', 'JSON input must be a string');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ProtocolError('invalid_json', `not valid JSON: ${(error as Error).message}`);
  }
}

function fail(path: string, problem: string): never {
  throw new ProtocolError('canonical_json', `cannot encode ${path || 'the value'} as canonical JSON: ${problem}`);
}

function encodeValue(value: unknown, depth: number, path: string): string {
  switch (typeof value) {
    case 'string':
      return encodeString(value, path);
    case 'number':
      return encodeNumber(value, path);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value === null) return 'null';
      if (depth >= MAX_JSON_DEPTH) fail(path, `nested deeper than ${MAX_JSON_DEPTH} levels`);
      if (Array.isArray(value)) return encodeArray(value, depth, path);
      if (!isPlainObject(value)) fail(path, `${describe(value)} is not a plain JSON object`);
      return encodeObject(value as Record<string, unknown>, depth, path);
    default:
      return fail(path, `${typeof value} is not a JSON type`);
  }
}

function encodeNumber(value: number, path: string): string {
  if (!Number.isFinite(value)) fail(path, `${value} is not a finite number`);
  if (!Number.isInteger(value)) fail(path, `${value} is not an integer (floats are not allowed)`);
  if (!Number.isSafeInteger(value)) fail(path, `${value} is outside the range ±(2^53 - 1)`);
  return Object.is(value, -0) ? '0' : String(value);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function encodeString(value: string, path: string): string {
  if (LONE_SURROGATE.test(value)) fail(path, 'the string contains a lone UTF-16 surrogate, which is not valid UTF-8');
  // JSON.stringify escapes exactly what the spec requires (", \, control characters) and nothing else.
  return JSON.stringify(value);
}

function encodeArray(items: unknown[], depth: number, path: string): string {
  const parts: string[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) parts[i] = encodeValue(items[i], depth + 1, `${path}[${i}]`);
  return `[${parts.join(',')}]`;
}

function encodeObject(object: Record<string, unknown>, depth: number, path: string): string {
  const keys = Object.keys(object).sort(compareCodePoints);
  const parts: string[] = [];
  for (const key of keys) {
    const member = object[key];
    if (member === undefined) fail(`${path}.${key}`, 'undefined is not a JSON value');
    parts.push(`${encodeString(key, path)}:${encodeValue(member, depth + 1, path ? `${path}.${key}` : key)}`);
  }
  return `{${parts.join(',')}}`;
}

/** Code-point order (= UTF-8 byte order). Plain `<` compares UTF-16 units, which puts U+E000–U+FFFF after astral characters' surrogates wrongly. */
export function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codeUnitRank(x) - codeUnitRank(y);
  }
  return a.length - b.length;
}

function codeUnitRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000; // surrogates encode code points above U+FFFF
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: object): string {
  return value.constructor?.name ? `a ${value.constructor.name}` : 'this object';
}
