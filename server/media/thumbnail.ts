// Thumbnails (spec "Thumbnails"): `scale` fits the image inside width × height keeping its aspect ratio; `crop`
// fills exactly width × height (centred crop). Neither is ever larger than the original: a box larger than the
// image shrinks (keeping its shape for crop) until it fits. Made with jimp (pure JavaScript: PNG, JPEG, BMP, static
// GIF), in a worker thread so a large image never stalls the server's event loop (one image at a time, with a
// deadline). Animated images (GIF with more than one frame, APNG) and formats jimp cannot decode (WebP, AVIF…) come back
// as the original, if it is small enough. Dimensions are read from the header before decoding, so a small file that
// claims a huge image (a decompression bomb) is refused without allocating its pixels.
import { Worker } from 'node:worker_threads';
import { MatrixError } from '../http/errors';

export type ThumbnailMethod = 'scale' | 'crop';
export interface Thumbnail {
  contentType: string;
  bytes: Buffer;
  width?: number;
  height?: number;
}

/** Largest image (in pixels) decoded for a thumbnail: 4 bytes per pixel in memory. */
export const MAX_THUMBNAIL_SOURCE_PIXELS = 24_000_000;
/** A thumbnail not made by then is given up (the worker is stopped and started afresh for the next). */
export const THUMBNAIL_DEADLINE_MS = 60_000;
/** Largest original sent back as its own "thumbnail" when it can't be scaled (animated, or a format not decoded here). */
export const MAX_PASSTHROUGH_BYTES = 4 * 1024 * 1024;
/** Largest width or height asked for. */
export const MAX_THUMBNAIL_SIDE = 2048;

const DECODED = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/bmp']);
const IMAGE = /^image\/[a-z0-9.+-]+$/;

export function isImage(contentType: string): boolean {
  return IMAGE.test(contentType) && contentType !== 'image/svg+xml';
}

/** width, height and method from a thumbnail request's query; 400 M_INVALID_PARAM when not sensible. */
export function thumbnailParams(query: URLSearchParams): { width: number; height: number; method: ThumbnailMethod } {
  const side = (name: string) => {
    const text = query.get(name);
    if (text === null) throw new MatrixError(400, 'M_MISSING_PARAM', `${name} is required`);
    if (!/^\d{1,6}$/.test(text) || Number(text) < 1) throw new MatrixError(400, 'M_INVALID_PARAM', `${name} must be a positive integer`);
    return Math.min(Number(text), MAX_THUMBNAIL_SIDE);
  };
  const width = side('width');
  const height = side('height');
  const method = query.get('method') ?? 'scale';
  if (method !== 'scale' && method !== 'crop') throw new MatrixError(400, 'M_INVALID_PARAM', 'method must be scale or crop');
  return { width, height, method };
}

/** The size of the result for an original of ow × oh. */
export function thumbnailSize(
  ow: number,
  oh: number,
  width: number,
  height: number,
  method: ThumbnailMethod,
): { width: number; height: number } {
  if (method === 'scale') {
    const factor = Math.min(1, width / ow, height / oh);
    return { width: Math.max(1, Math.round(ow * factor)), height: Math.max(1, Math.round(oh * factor)) };
  }
  const factor = Math.min(1, ow / width, oh / height);
  return { width: Math.max(1, Math.round(width * factor)), height: Math.max(1, Math.round(height * factor)) };
}

export async function makeThumbnail(
  bytes: Buffer,
  contentType: string,
  width: number,
  height: number,
  method: ThumbnailMethod,
): Promise<Thumbnail> {
  if (!isImage(contentType)) throw new MatrixError(400, 'M_UNKNOWN', `Cannot generate thumbnails for ${contentType} content: not an image`);
  const dims = imageDimensions(bytes);
  const animated = isAnimated(bytes);
  if (!DECODED.has(contentType) || animated || !dims) {
    if (bytes.length > MAX_PASSTHROUGH_BYTES)
      throw new MatrixError(
        413,
        'M_TOO_LARGE',
        `This image can't be scaled here and is too large (${bytes.length} bytes) to serve as its own thumbnail`,
      );
    return { contentType, bytes };
  }
  if (dims.width * dims.height > MAX_THUMBNAIL_SOURCE_PIXELS)
    throw new MatrixError(413, 'M_TOO_LARGE', `Content is too large to thumbnail (${dims.width}×${dims.height})`);
  const size = thumbnailSize(dims.width, dims.height, width, height, method);
  return render({ bytes, contentType, width: size.width, height: size.height, method });
}

// ---- the worker: one job at a time, in order -------------------------------------------------------------

export interface RenderJob {
  bytes: Buffer;
  contentType: string;
  width: number;
  height: number;
  method: ThumbnailMethod;
}
type RenderReply = { ok: true; contentType: string; bytes: Uint8Array; width: number; height: number } | { ok: false; message: string };

let worker: Worker | undefined;
let queue: Promise<unknown> = Promise.resolve();

function render(job: RenderJob): Promise<Thumbnail> {
  const run = queue.then(() => renderNow(job));
  queue = run.catch(() => undefined);
  return run;
}

function renderNow(job: RenderJob): Promise<Thumbnail> {
  worker ??= new Worker(new URL('./thumbnail-worker.mjs', import.meta.url));
  worker.unref();
  const current = worker;
  return new Promise<Thumbnail>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      current.off('message', onMessage);
      current.off('error', onError);
    };
    const restart = () => {
      if (worker === current) worker = undefined;
      void current.terminate();
    };
    const timer = setTimeout(() => {
      done();
      restart();
      reject(new MatrixError(504, 'M_UNKNOWN', `Thumbnailing took longer than ${THUMBNAIL_DEADLINE_MS} ms`));
    }, THUMBNAIL_DEADLINE_MS);
    const onMessage = (reply: RenderReply) => {
      done();
      if (reply.ok) resolve({ contentType: reply.contentType, bytes: Buffer.from(reply.bytes), width: reply.width, height: reply.height });
      else reject(new MatrixError(400, 'M_UNKNOWN', `Cannot generate thumbnails for the requested content: ${reply.message}`));
    };
    const onError = (error: Error) => {
      done();
      restart();
      reject(new MatrixError(500, 'M_UNKNOWN', `The thumbnailer failed: ${error.message}`));
    };
    current.on('message', onMessage);
    current.on('error', onError);
    current.postMessage({ ...job, bytes: new Uint8Array(job.bytes) });
  });
}

/** Width and height from a PNG, GIF, BMP or JPEG header; undefined when not found. */
export function imageDimensions(b: Buffer): { width: number; height: number } | undefined {
  if (b.length >= 24 && b.readUInt32BE(0) === 0x89504e47 && b.toString('latin1', 12, 16) === 'IHDR')
    return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
  if (b.length >= 10 && b.toString('latin1', 0, 3) === 'GIF') return { width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
  if (b.length >= 26 && b.toString('latin1', 0, 2) === 'BM')
    return { width: Math.abs(b.readInt32LE(18)), height: Math.abs(b.readInt32LE(22)) };
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
    let i = 2;
    while (i + 9 < b.length) {
      if (b[i] !== 0xff) return undefined;
      const marker = b[i + 1]!;
      if (marker === 0xff) {
        i++;
        continue;
      }
      const length = b.readUInt16BE(i + 2);
      // SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC)
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc)
        return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
      i += 2 + length;
    }
  }
  return undefined;
}

/** An APNG (acTL chunk) or a GIF with more than one image. */
export function isAnimated(b: Buffer): boolean {
  if (b.length >= 8 && b.readUInt32BE(0) === 0x89504e47) {
    let i = 8;
    while (i + 8 <= b.length) {
      const length = b.readUInt32BE(i);
      const type = b.toString('latin1', i + 4, i + 8);
      if (type === 'acTL') return true;
      if (type === 'IDAT') return false;
      i += 12 + length;
    }
    return false;
  }
  if (b.length >= 6 && b.toString('latin1', 0, 3) === 'GIF') return b.includes('NETSCAPE2.0', 0, 'latin1') || countGifFrames(b) > 1;
  return false;
}

function countGifFrames(b: Buffer): number {
  // Image separators after graphic control extensions: a cheap over-count is harmless (the original is served).
  let frames = 0;
  for (let i = b.indexOf(Buffer.from([0x21, 0xf9])); i !== -1 && frames < 2; i = b.indexOf(Buffer.from([0x21, 0xf9]), i + 2)) frames++;
  return frames;
}
