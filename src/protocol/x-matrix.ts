// The Server-Server API's request authentication: the `X-Matrix` Authorization header (spec "Request
// Authentication"). Pure: the caller supplies method, URI, origin, destination and the parsed JSON body.
import { decodeBase64 } from './base64';
import { ProtocolError } from './errors';
import { signJson, verifyJsonSignature } from './signing';

export type XMatrixRequest = {
  method: string;
  /** Path and query exactly as sent, e.g. `/_matrix/federation/v1/send/123?x=1`. */
  uri: string;
  origin: string;
  destination: string;
  /** The parsed JSON body; omitted for requests without one. */
  content?: unknown;
};

export type XMatrixAuth = { origin: string; destination?: string; key: string; sig: string };

/** The JSON object whose signature authenticates a request. */
export function xMatrixSigningObject(request: XMatrixRequest): Record<string, unknown> {
  const object: Record<string, unknown> = {
    method: request.method.toUpperCase(),
    uri: request.uri,
    origin: request.origin,
    destination: request.destination,
  };
  if (request.content !== undefined) object.content = request.content;
  return object;
}

/** Signs a request with the origin server's key and returns the whole `Authorization` header value. */
export function signXMatrixRequest(request: XMatrixRequest, keyId: string, seed: Uint8Array): string {
  const signed = signJson(xMatrixSigningObject(request), request.origin, keyId, seed);
  const sig = signed.signatures[request.origin]![keyId]!;
  return `X-Matrix origin="${request.origin}",destination="${request.destination}",key="${keyId}",sig="${sig}"`;
}

const PARAM = /^\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^",\s]*))\s*$/;

/** Parses an `X-Matrix` Authorization header; throws ProtocolError('invalid_argument') when malformed. */
export function parseXMatrixHeader(header: string): XMatrixAuth {
  const match = /^X-Matrix\s+(.+)$/i.exec(header.trim());
  if (!match) throw new ProtocolError('invalid_argument', 'the Authorization header does not use the X-Matrix scheme');
  const params: Record<string, string> = {};
  for (const part of splitParams(match[1]!)) {
    const param = PARAM.exec(part);
    if (!param) throw new ProtocolError('invalid_argument', `malformed X-Matrix parameter ${JSON.stringify(part.slice(0, 60))}`);
    const value = param[2] !== undefined ? param[2].replace(/\\(.)/g, '$1') : param[3]!;
    params[param[1]!.toLowerCase()] = value;
  }
  const { origin, destination, key, sig } = params;
  if (!origin || !key || !sig) throw new ProtocolError('invalid_argument', 'X-Matrix needs origin, key and sig');
  if (!/^ed25519:[A-Za-z0-9_]+$/.test(key))
    throw new ProtocolError('invalid_argument', `X-Matrix key ${JSON.stringify(key)} is not an ed25519 key ID`);
  return destination === undefined ? { origin, key, sig } : { origin, destination, key, sig };
}

/** Splits on commas outside double quotes. */
function splitParams(text: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === '\\' && quoted) {
      current += char + (text[i + 1] ?? '');
      i++;
      continue;
    }
    if (char === '"') quoted = !quoted;
    if (char === ',' && !quoted) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  if (current.trim() !== '') parts.push(current);
  return parts;
}

/** True when `auth.sig` is the origin's valid signature over this request. Never throws. */
export async function verifyXMatrixRequest(
  auth: XMatrixAuth,
  request: Omit<XMatrixRequest, 'origin'>,
  originPublicKey: Uint8Array,
): Promise<boolean> {
  if (auth.destination !== undefined && auth.destination !== request.destination) return false;
  try {
    decodeBase64(auth.sig);
  } catch {
    return false;
  }
  const object = { ...xMatrixSigningObject({ ...request, origin: auth.origin }), signatures: { [auth.origin]: { [auth.key]: auth.sig } } };
  return verifyJsonSignature(object, auth.origin, auth.key, originPublicKey).catch(() => false);
}
