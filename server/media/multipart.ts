// The multipart/mixed answer of federation media (spec v1.11, Server-Server "Content Repository"): exactly two
// parts, JSON metadata (`{}` for now) then either the media's bytes or a `Location` header to fetch them from.
import { randomBytes } from 'node:crypto';

export interface MediaPart {
  metadata: unknown;
  headers: Record<string, string>;
  body: Buffer;
}

export function buildMultipart(metadata: unknown, headers: Record<string, string>, body: Buffer): { contentType: string; body: Buffer } {
  const boundary = randomBytes(16).toString('hex');
  const head = (h: Record<string, string>) =>
    Object.entries(h)
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
  return {
    contentType: `multipart/mixed; boundary=${boundary}`,
    body: Buffer.concat([
      Buffer.from(
        `--${boundary}\r\n${head({ 'Content-Type': 'application/json' })}\r\n${JSON.stringify(metadata)}\r\n--${boundary}\r\n${head(headers)}\r\n`,
      ),
      body,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]),
  };
}

export class MultipartError extends Error {}

/** The boundary from a `multipart/mixed; boundary=…` Content-Type (RFC 2046: 1–70 characters). */
export function boundaryOf(contentType: string | undefined): string {
  const match = /^\s*multipart\/mixed\s*;(.*)$/i.exec(contentType ?? '');
  if (!match) throw new MultipartError(`not multipart/mixed (${JSON.stringify((contentType ?? '').slice(0, 60))})`);
  const param = /(?:^|;)\s*boundary\s*=\s*(?:"([^"]{1,70})"|([^\s;"]{1,70}))\s*(?:;|$)/i.exec(match[1]!);
  if (!param) throw new MultipartError('multipart/mixed without a valid boundary');
  return (param[1] ?? param[2])!;
}

/** The two parts of a federation media answer; MultipartError when the body is not that shape. */
export function parseMediaMultipart(contentType: string | undefined, body: Buffer): MediaPart {
  const boundary = boundaryOf(contentType);
  const delimiter = Buffer.from(`--${boundary}`);
  const first = body.indexOf(delimiter);
  if (first === -1) throw new MultipartError('no boundary in the body');
  const parts: Buffer[] = [];
  let start = first + delimiter.length;
  for (;;) {
    if (body.subarray(start, start + 2).toString('latin1') === '--') break; // close delimiter
    if (body.subarray(start, start + 2).toString('latin1') !== '\r\n') {
      // transport padding (spaces/tabs) is allowed before the line break
      const eol = body.indexOf('\r\n', start);
      if (eol === -1 || !/^[ \t]*$/.test(body.subarray(start, eol).toString('latin1'))) throw new MultipartError('malformed boundary line');
      start = eol;
    }
    start += 2;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), start);
    if (next === -1) throw new MultipartError('unterminated part');
    parts.push(body.subarray(start, next));
    if (parts.length > 2) throw new MultipartError('more than two parts');
    start = next + 2 + delimiter.length;
  }
  if (parts.length !== 2) throw new MultipartError(`expected two parts, got ${parts.length}`);
  const [meta, media] = parts.map(splitPart) as [ReturnType<typeof splitPart>, ReturnType<typeof splitPart>];
  if (!/^application\/json\s*(;|$)/i.test(meta.headers['content-type'] ?? ''))
    throw new MultipartError('the first part is not application/json');
  let metadata: unknown;
  try {
    metadata = JSON.parse(meta.body.toString('utf8'));
  } catch {
    throw new MultipartError('the first part is not JSON');
  }
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata))
    throw new MultipartError('the metadata part is not a JSON object');
  return { metadata, headers: media.headers, body: media.body };
}

function splitPart(part: Buffer): { headers: Record<string, string>; body: Buffer } {
  const end = part.indexOf('\r\n\r\n');
  // A part with no headers starts directly with the blank line.
  const headerText =
    end === -1 ? (part.subarray(0, 2).toString('latin1') === '\r\n' ? '' : undefined) : part.subarray(0, end).toString('latin1');
  if (headerText === undefined) throw new MultipartError('a part without a header block');
  if (headerText.length > 8192) throw new MultipartError('part headers too long');
  const headers: Record<string, string> = {};
  for (const line of headerText.split('\r\n')) {
    if (!line) continue;
    const colon = line.indexOf(':');
    if (colon < 1) throw new MultipartError('malformed part header');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body: end === -1 ? part.subarray(2) : part.subarray(end + 4) };
}

/** filename from a Content-Disposition (filename*=utf-8'' or filename="…"), when present and sane. */
export function filenameOf(disposition: string | undefined): string | undefined {
  if (!disposition) return undefined;
  const star = /filename\*\s*=\s*utf-8''([^;\s]+)/i.exec(disposition);
  let name: string | undefined;
  if (star) {
    try {
      name = decodeURIComponent(star[1]!);
    } catch {
      name = undefined;
    }
  } else name = /filename\s*=\s*"([^"]*)"/i.exec(disposition)?.[1] ?? /filename\s*=\s*([^;\s]+)/i.exec(disposition)?.[1];
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what the filename check refuses
  if (name === undefined || name.length > 255 || /[\u0000-\u001f/\\]/.test(name)) return undefined;
  return name;
}
