// Sending images: size check against the server's m.upload.size, upload through matrix-js-sdk's uploadContent
// with progress, then an m.image message whose local echo behaves like a text one. While the bytes travel there
// is no event yet, so the upload itself is view state here (uploading / failed, with retry and discard).
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { MatrixClient } from 'matrix-js-sdk';
import { describeMatrixError } from '../../matrix/errors';

export type UploadStatus = 'uploading' | 'failed';

export interface PendingUpload {
  id: string;
  roomId: string;
  file: File;
  loaded: number;
  total: number;
  status: UploadStatus;
  error?: string;
}

export interface ImageInfo {
  mimetype: string;
  size: number;
  w?: number;
  h?: number;
}

/** Whether a file (picked, pasted or dropped) is an image this client sends as m.image. */
export function isImageFile(file: { type: string }): boolean {
  return file.type.startsWith('image/');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;
}

/** Why a file cannot be sent to a server with this upload limit, or undefined when it can. */
export function uploadRefusal(file: { name: string; size: number }, limit: number | undefined): string | undefined {
  if (file.size === 0) return `${file.name} is empty`;
  if (limit !== undefined && file.size > limit) {
    // Sizes that round alike ("4.0 KB … up to 4.0 KB") are given in bytes.
    const [size, max] = formatBytes(file.size) === formatBytes(limit) ? [`${file.size} bytes`, `${limit} bytes`] : [formatBytes(file.size), formatBytes(limit)];
    return `${file.name} is ${size}; your homeserver accepts files up to ${max}`;
  }
  return undefined;
}

/** The m.image content for an uploaded file (spec: m.image with info.mimetype, size, w, h). */
export function imageContent(name: string, url: string, info: ImageInfo): Record<string, unknown> {
  const out: ImageInfo = { mimetype: info.mimetype, size: info.size };
  if (info.w !== undefined && info.h !== undefined) {
    out.w = info.w;
    out.h = info.h;
  }
  return { msgtype: 'm.image', body: name, url, info: out };
}

/** The server's m.upload.size: the authenticated media endpoint first (Matrix 1.11), then the legacy one. */
export async function uploadLimit(client: MatrixClient): Promise<number | undefined> {
  for (const authenticated of [true, false]) {
    try {
      const size = (await client.getMediaConfig(authenticated))['m.upload.size'];
      return typeof size === 'number' && size > 0 ? size : undefined;
    } catch {
      // try the other endpoint; a server with neither simply has no announced limit
    }
  }
  return undefined;
}

/** Pixel size of an image file; undefined when the browser cannot decode it (the message still goes out). */
async function imageDimensions(file: File): Promise<{ w: number; h: number } | undefined> {
  try {
    const bitmap = await createImageBitmap(file);
    const size = { w: bitmap.width, h: bitmap.height };
    bitmap.close();
    return size;
  } catch {
    return undefined;
  }
}

interface UploadState {
  uploads: PendingUpload[];
}

export const uploadStore = createStore<UploadState>()(() => ({ uploads: [] }));

// useStore compares by reference: the filtered list stays the same array between unrelated updates.
const roomCache = new Map<string, PendingUpload[]>();
function selectRoomUploads(state: UploadState, roomId: string): PendingUpload[] {
  const mine = state.uploads.filter((u) => u.roomId === roomId);
  const previous = roomCache.get(roomId);
  if (previous && previous.length === mine.length && previous.every((u, i) => u === mine[i])) return previous;
  roomCache.set(roomId, mine);
  return mine;
}

export function useRoomUploads(roomId: string): PendingUpload[] {
  return useStore(uploadStore, (s) => selectRoomUploads(s, roomId));
}

function update(id: string, patch: Partial<PendingUpload>): void {
  uploadStore.setState((s) => ({ uploads: s.uploads.map((u) => (u.id === id ? { ...u, ...patch } : u)) }));
}

function remove(id: string): void {
  uploadStore.setState((s) => ({ uploads: s.uploads.filter((u) => u.id !== id) }));
}

let counter = 0;

/**
 * Checks the size, uploads with progress and sends m.image. Returns a refusal in words when the file is not
 * sent at all (not an image, too large); upload failures stay in the store as 'failed' with a retry.
 */
export async function sendImage(client: MatrixClient, roomId: string, file: File): Promise<string | undefined> {
  if (!isImageFile(file)) return `${file.name || 'That file'} is not an image`;
  const refusal = uploadRefusal(file, await uploadLimit(client));
  if (refusal) return refusal;
  const id = `upload-${Date.now()}-${counter++}`;
  uploadStore.setState((s) => ({ uploads: [...s.uploads, { id, roomId, file, loaded: 0, total: file.size, status: 'uploading' }] }));
  void runUpload(client, id);
  return undefined;
}

async function runUpload(client: MatrixClient, id: string): Promise<void> {
  const upload = uploadStore.getState().uploads.find((u) => u.id === id);
  if (!upload) return;
  update(id, { status: 'uploading', loaded: 0, error: undefined });
  const { file, roomId } = upload;
  try {
    const [dimensions, response] = await Promise.all([
      imageDimensions(file),
      client.uploadContent(file, { name: file.name, type: file.type, progressHandler: ({ loaded, total }) => update(id, { loaded, total: total || file.size }) }),
    ]);
    if (!uploadStore.getState().uploads.some((u) => u.id === id)) return; // discarded meanwhile
    remove(id);
    // From here the SDK's local echo shows sending / not sent with its own retry, as for text.
    await client.sendMessage(roomId, imageContent(file.name || 'image', response.content_uri, { mimetype: file.type, size: file.size, ...dimensions }) as never).catch(() => undefined);
  } catch (err) {
    // No automatic retry for uploads (unlike the SDK's message queue): say so plainly; Retry is the user's.
    const answered = typeof (err as { httpStatus?: unknown })?.httpStatus === 'number';
    update(id, { status: 'failed', error: answered ? describeMatrixError(err, 'Upload refused') : 'the upload could not reach your homeserver.' });
  }
}

export function retryUpload(client: MatrixClient, id: string): void {
  void runUpload(client, id);
}

export function discardUpload(id: string): void {
  remove(id);
}
