import { base64nopad, base64urlnopad } from '@scure/base';
import { ProtocolError } from './errors';

/** Unpadded standard base64, the encoding of signatures, hashes and `sender_key` in Matrix. */
export function encodeBase64(bytes: Uint8Array): string {
  return base64nopad.encode(bytes);
}

/** Unpadded URL-safe base64, the encoding of member keys in IDs and of v4+ event IDs. */
export function encodeBase64Url(bytes: Uint8Array): string {
  return base64urlnopad.encode(bytes);
}

const STANDARD = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const SEXTET = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) SEXTET[STANDARD.charCodeAt(i)] = i;
SEXTET['-'.charCodeAt(0)] = 62;
SEXTET['_'.charCodeAt(0)] = 63;

/**
 * Decodes standard or URL-safe base64, padded or not. Unused trailing bits are ignored, as Synapse and the
 * spec's own test seed ("…MW+3XA1") require; that is why this is not @scure/base's strict decoder.
 */
export function decodeBase64(text: string): Uint8Array {
  if (typeof text !== 'string') throw new ProtocolError('base64', 'base64 input must be a string');
  const body = stripPadding(text);
  if (body.length % 4 === 1) throw new ProtocolError('base64', `base64 text of ${body.length} characters cannot be complete`);
  checkAlphabet(body);
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let buffer = 0;
  let bits = 0;
  let written = 0;
  for (let i = 0; i < body.length; i++) {
    buffer = ((buffer << 6) | (SEXTET[body.charCodeAt(i)] as number)) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[written++] = (buffer >> bits) & 0xff;
    }
  }
  return out;
}

function stripPadding(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61 /* = */) end--;
  const padding = text.length - end;
  if (padding > 2 || (padding > 0 && text.length % 4 !== 0)) throw new ProtocolError('base64', 'base64 text has malformed "=" padding');
  return end === text.length ? text : text.slice(0, end);
}

function checkAlphabet(body: string): void {
  let standard = false;
  let urlSafe = false;
  for (let i = 0; i < body.length; i++) {
    const code = body.charCodeAt(i);
    if (code >= 128 || SEXTET[code] === -1) {
      throw new ProtocolError('base64', `character ${JSON.stringify(body[i])} at position ${i} is not base64`);
    }
    if (code === 43 || code === 47) standard = true;
    else if (code === 45 || code === 95) urlSafe = true;
  }
  if (standard && urlSafe) throw new ProtocolError('base64', 'base64 text mixes the standard (+/) and URL-safe (-_) alphabets');
}
