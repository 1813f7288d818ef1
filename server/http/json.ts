// Bounded JSON parsing for everything that arrives from outside: request bodies, inline filters, federation
// responses, and values read back from storage that may predate these limits. JSON.parse itself copes with any
// depth, but JSON.stringify and every recursive walk over the value (canonical JSON, redaction, sync) overflow the
// stack at a few thousand levels, so depth is refused before parsing, by a loop that cannot overflow itself.
import { MAX_JSON_DEPTH } from '../../src/protocol';
import { MatrixError } from './errors';

/**
 * Client-Server request bodies (and inline filters): 64 levels. Real bodies (event content with relations and
 * edits, push rules, filters, device keys) stay under 10. 64 leaves room for what wraps a body later: an event's
 * content sits one level into its PDU, the PDU two levels into a transaction, and the whole stays under the 128
 * levels that canonical JSON (src/protocol) signs and serde_json-based servers (Conduit, ruma) parse.
 */
export const MAX_CLIENT_JSON_DEPTH = 64;

/**
 * Server-Server bodies and responses: the 128 levels a PDU may have (canonical JSON's limit, so the most any
 * signed event can have), plus the two levels that carry PDUs (`{pdus: [pdu]}`, `{state: [pdu]}`). A document
 * is then never refused whole for an event that could be valid; a deeper event is refused on its own.
 */
export const MAX_FEDERATION_JSON_DEPTH = MAX_JSON_DEPTH + 2;

/**
 * True when `text` nests arrays and objects deeper than `maxDepth`. One pass over the characters, tracking only
 * whether it is inside a string; it does not validate (JSON.parse does that afterwards), so on invalid text the
 * answer is only an upper bound, which is all a refusal needs.
 */
export function jsonDepthExceeds(text: string, maxDepth: number): boolean {
  // Each level costs at least one character: short texts cannot be too deep.
  if (text.length <= maxDepth) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > maxDepth) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}

export class JsonTooDeepError extends Error {
  constructor(readonly maxDepth: number) {
    super(`JSON nested deeper than ${maxDepth} levels`);
  }
}

/** JSON.parse with a depth limit: JsonTooDeepError when too deep, SyntaxError when not JSON. */
export function parseBoundedJson(text: string, maxDepth: number): unknown {
  if (jsonDepthExceeds(text, maxDepth)) throw new JsonTooDeepError(maxDepth);
  return JSON.parse(text);
}

/**
 * A request body: a JSON object no deeper than `maxDepth`, else 400 (M_NOT_JSON for text that is not JSON,
 * M_BAD_JSON for JSON nested too deeply or not an object: every Matrix request body is an object).
 */
export function parseRequestBody(text: string, maxDepth: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = parseBoundedJson(text, maxDepth);
  } catch (error) {
    if (error instanceof JsonTooDeepError)
      throw new MatrixError(400, 'M_BAD_JSON', `Request body is nested deeper than ${maxDepth} levels`);
    throw new MatrixError(400, 'M_NOT_JSON', 'Request body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MatrixError(
      400,
      'M_BAD_JSON',
      `Request body must be a JSON object, not ${value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`}`,
    );
  }
  return value as Record<string, unknown>;
}

/**
 * A value read back from storage, or undefined when it is too deep to serve (written before these limits
 * existed): one such value must not fail a whole response such as /sync.
 */
export function parseStoredJson<T = unknown>(text: string, maxDepth = MAX_FEDERATION_JSON_DEPTH): T | undefined {
  if (jsonDepthExceeds(text, maxDepth)) return undefined;
  return JSON.parse(text) as T;
}
