// Authenticated media (Matrix 1.11+): the browser cannot put a bearer token on <img src>, so media is
// fetched with the header and shown through a blob URL, cached per URL for the page's life.
import type { MatrixClient } from 'matrix-js-sdk';
import { logger } from '../platform/logger';
import { homeserverResponse } from './http';
import { decryptAttachment, type EncryptedFile } from './encryptedAttachment';

const log = logger('http:media');
const cache = new Map<string, Promise<string>>();

// Types a blob URL may keep (Element's list, src/utils/blobs.ts): a blob URL lives in this page's origin, and "Open
// image/video in new tab" would open it there, so anything that could run script (HTML, SVG, XML…) is typed
// application/octet-stream instead, which the browser will only download.
const SAFE_BLOB_TYPES = new Set([
  'image/jpeg',
  'image/gif',
  'image/png',
  'image/apng',
  'image/webp',
  'image/avif',
  'video/mp4',
  'video/webm',
  'video/ogg',
  'video/quicktime',
  'audio/mp4',
  'audio/webm',
  'audio/aac',
  'audio/mpeg',
  'audio/ogg',
  'audio/wave',
  'audio/wav',
  'audio/x-wav',
  'audio/x-pn-wav',
  'audio/flac',
  'audio/x-flac',
]);

/** The type a media blob may carry in this origin: its own when it is a plain image, video or audio type. */
export function safeBlobType(type: string): string {
  const bare = type.split(';')[0]!.trim().toLowerCase();
  return SAFE_BLOB_TYPES.has(bare) ? bare : 'application/octet-stream';
}

async function fetchBlobUrl(client: MatrixClient, url: string): Promise<string> {
  const response = await homeserverResponse(url, { accessToken: client.getAccessToken() ?? undefined });
  const blob = await response.blob();
  const type = safeBlobType(blob.type);
  return URL.createObjectURL(type === blob.type ? blob : new Blob([blob], { type }));
}

export function mediaUrl(client: MatrixClient, mxc: string, size?: { width: number; height: number }): string | null {
  if (!mxc.startsWith('mxc://')) return null;
  return size
    ? client.mxcUrlToHttp(mxc, size.width, size.height, 'scale', false, true, true)
    : client.mxcUrlToHttp(mxc, undefined, undefined, undefined, false, true, true);
}

/** A blob URL of the media at `url` (from mediaUrl), fetched once per page with the session's token. */
export function authedBlobUrl(client: MatrixClient, url: string): Promise<string> {
  let promise = cache.get(url);
  if (!promise) {
    promise = fetchBlobUrl(client, url);
    promise.catch((error: unknown) => {
      cache.delete(url); // failed fetches may be retried later
      log.debug(`media not shown: ${url}`, error);
    });
    cache.set(url, promise);
  }
  return promise;
}

/**
 * The media's bytes, for saving as a file. Typed application/octet-stream whatever the server said: a blob URL
 * lives in this page's origin, so an HTML or SVG file must never be something the browser could open and run here.
 */
export async function authedDownload(client: MatrixClient, mxc: string, file?: EncryptedFile): Promise<Blob> {
  const url = mediaUrl(client, mxc);
  if (!url) throw new Error(`not an mxc:// URI: ${mxc}`);
  const response = await homeserverResponse(url, { accessToken: client.getAccessToken() ?? undefined });
  // An encrypted attachment (`file` of an encrypted room's event) is checked against its hash and decrypted first.
  const bytes = file ? await decryptAttachment(await response.arrayBuffer(), file) : await response.blob();
  return new Blob([bytes], { type: 'application/octet-stream' });
}

/**
 * A blob URL of an encrypted attachment: the whole ciphertext is downloaded (the server can't make thumbnails of
 * what it can't read), checked against its hash and decrypted; once per file for the page's life.
 */
export function decryptedBlobUrl(client: MatrixClient, file: EncryptedFile, mimetype?: string): Promise<string> {
  const url = mediaUrl(client, file.url);
  if (!url) return Promise.reject(new Error(`not an mxc URI: ${file.url}`));
  const cacheKey = `${url}#${file.hashes.sha256}`;
  let promise = cache.get(cacheKey);
  if (!promise) {
    promise = (async () => {
      const response = await homeserverResponse(url, { accessToken: client.getAccessToken() ?? undefined });
      const clear = await decryptAttachment(await response.arrayBuffer(), file);
      // Only pictures and players may be typed as what they are: an HTML or SVG blob of this origin could run here.
      const type =
        mimetype && /^(image\/(png|jpeg|gif|webp)|video\/[\w.+-]+|audio\/[\w.+-]+)$/.test(mimetype) ? mimetype : 'application/octet-stream';
      return URL.createObjectURL(new Blob([clear], { type }));
    })();
    promise.catch((error: unknown) => {
      cache.delete(cacheKey);
      log.debug(`encrypted media not shown: ${url}`, error);
    });
    cache.set(cacheKey, promise);
  }
  return promise;
}
