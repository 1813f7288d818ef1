// Sending attachments (images, videos, audio, any file): size check against the server's m.upload.size, upload
// through matrix-js-sdk's uploadContent with progress, then an m.image / m.video / m.audio / m.file message (with
// the info the browser can measure: mimetype, size, pixel size, duration) whose local echo behaves like a text one. While the bytes travel there
// is no event yet, so the upload itself is view state here (uploading / failed, with retry, cancel and remove);
// the timeline shows it as the user's own pending message (timeline.ts withPendingUploads). Nothing here
// survives a reload: the File lives only in this page.
import { createStore } from 'zustand/vanilla';
import type { MatrixClient, UploadResponse } from 'matrix-js-sdk';
import { describeMatrixError } from '../../matrix/errors';
import { encryptAttachment, type EncryptedFile } from '../../matrix/encryptedAttachment';
import type { PendingImage } from './timeline';
import { logger } from '../../platform/logger';
import { t } from '../../i18n';

const log = logger('chat:upload');

export interface PendingUpload extends PendingImage {
  roomId: string;
  /** The thread root it is sent into (a thread reply), or none: the room's timeline. */
  threadId?: string;
  file: File;
  /** A video's first frame, sent as its thumbnail (what other clients show before it plays). */
  still?: VideoStill;
}

/** A still of a video, as a JPEG of at most 800 × 600 pixels (Element's thumbnail size). */
export interface VideoStill {
  blob: Blob;
  w: number;
  h: number;
}

/** Where a thumbnail went: its URL, or (in an encrypted room) its encrypted file, and what it is. */
export interface UploadedThumbnail {
  url?: string;
  file?: EncryptedFile;
  info: ImageInfo;
}

export interface ImageInfo {
  mimetype: string;
  size: number;
  w?: number;
  h?: number;
}

/** What the browser measured of a file: pixel size (images, videos) and duration in ms (videos, audio). */
export interface MediaInfo extends ImageInfo {
  duration?: number;
}

export type AttachmentMsgtype = 'm.image' | 'm.video' | 'm.audio' | 'm.file';

/** Whether a file (picked, pasted or dropped) is an image this client sends as m.image. */
export function isImageFile(file: { type: string }): boolean {
  return file.type.startsWith('image/');
}

/** The msgtype a file goes out as, from its MIME type (Element's rule); anything else is an m.file. */
export function attachmentMsgtype(file: { type: string }): AttachmentMsgtype {
  if (isImageFile(file)) return 'm.image';
  if (file.type.startsWith('video/')) return 'm.video';
  if (file.type.startsWith('audio/')) return 'm.audio';
  return 'm.file';
}

/**
 * The content of an attachment message: the spec's info for its msgtype (m.image: w, h; m.video: duration, w, h;
 * m.audio: duration; m.file: mimetype and size only). Values the browser could not measure are left out.
 */
export function attachmentContent(
  msgtype: AttachmentMsgtype,
  name: string,
  url: string,
  info: MediaInfo,
  thumbnail?: UploadedThumbnail,
): Record<string, unknown> {
  if (msgtype === 'm.image') return imageContent(name, url, info);
  const out: MediaInfo & { thumbnail_url?: string; thumbnail_file?: EncryptedFile; thumbnail_info?: ImageInfo } = {
    mimetype: info.mimetype || 'application/octet-stream',
    size: info.size,
  };
  // A video's thumbnail (spec: info.thumbnail_url, or thumbnail_file when encrypted, with thumbnail_info).
  if (msgtype === 'm.video' && thumbnail && (thumbnail.url || thumbnail.file)) {
    if (thumbnail.file) out.thumbnail_file = thumbnail.file;
    else out.thumbnail_url = thumbnail.url;
    out.thumbnail_info = thumbnail.info;
  }
  const positive = (n: number | undefined): n is number => n !== undefined && Number.isFinite(n) && n > 0;
  if ((msgtype === 'm.video' || msgtype === 'm.audio') && positive(info.duration)) out.duration = Math.round(info.duration);
  if (msgtype === 'm.video' && positive(info.w) && positive(info.h)) {
    out.w = info.w;
    out.h = info.h;
  }
  const content: Record<string, unknown> = { msgtype, body: name, url, info: out };
  if (msgtype === 'm.file') content.filename = name;
  return content;
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
    const [size, max] =
      formatBytes(file.size) === formatBytes(limit)
        ? [`${file.size} bytes`, `${limit} bytes`]
        : [formatBytes(file.size), formatBytes(limit)];
    return `${file.name} is ${size}; your homeserver accepts files up to ${max}`;
  }
  return undefined;
}

/** An attachment's content in an encrypted room: `file` (key, iv, hash) instead of `url`. */
export function withEncryptedFile(content: Record<string, unknown>, file: EncryptedFile): Record<string, unknown> {
  const { url: _url, ...rest } = content;
  return { ...rest, file };
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
    } catch (error) {
      // try the other endpoint; a server with neither simply has no announced limit
      log.debug(`no upload limit from the ${authenticated ? 'authenticated' : 'legacy'} media config`, error);
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
  } catch (error) {
    log.debug(`cannot decode ${file.name} for its size; it is sent without one`, error);
    return undefined;
  }
}

/**
 * Pixel size and duration of a video or audio file, from its metadata, and a video's first frame as its still; empty
 * when the browser cannot read it.
 */
function mediaMetadata(file: File, kind: 'video' | 'audio'): Promise<{ w?: number; h?: number; duration?: number; still?: VideoStill }> {
  return new Promise((resolve) => {
    const element = document.createElement(kind);
    const url = URL.createObjectURL(file);
    let figures: { w?: number; h?: number; duration?: number } = {};
    let settled = false;
    const done = (info: { w?: number; h?: number; duration?: number; still?: VideoStill }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      element.removeAttribute('src');
      element.load(); // lets go of the decoder
      URL.revokeObjectURL(url);
      resolve(info);
    };
    // A file the browser cannot play never fires these events: it goes out without the figures (or without a still
    // when only its first frame never comes).
    const timer = setTimeout(() => done(figures), 5000);
    element.preload = kind === 'video' ? 'auto' : 'metadata';
    element.muted = true;
    element.onloadedmetadata = () => {
      const seconds = element.duration;
      const video = kind === 'video' ? (element as HTMLVideoElement) : undefined;
      figures = {
        duration: Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined,
        w: video?.videoWidth || undefined,
        h: video?.videoHeight || undefined,
      };
      if (!video) done(figures);
    };
    // The first frame is decoded: a video's still, then the figures with it.
    element.onloadeddata = () => {
      if (kind !== 'video') return;
      stillOf(element as HTMLVideoElement).then(
        (still) => done(still ? { ...figures, still } : figures),
        (error: unknown) => {
          log.debug(`cannot draw a still of ${file.name}; it is sent without a thumbnail`, error);
          done(figures);
        },
      );
    };
    element.onerror = () => {
      log.debug(`cannot read the metadata of ${file.name}; it is sent without duration or size`);
      done(figures);
    };
    element.src = url;
  });
}

/** The largest thumbnail side lengths (Element's 800 × 600). */
const STILL_MAX = { w: 800, h: 600 };

/** The frame a video element shows now, scaled to fit STILL_MAX, as a JPEG; undefined when it cannot be drawn. */
async function stillOf(video: HTMLVideoElement): Promise<VideoStill | undefined> {
  const { videoWidth, videoHeight } = video;
  if (!videoWidth || !videoHeight) return undefined;
  const scale = Math.min(1, STILL_MAX.w / videoWidth, STILL_MAX.h / videoHeight);
  const w = Math.max(1, Math.round(videoWidth * scale));
  const h = Math.max(1, Math.round(videoHeight * scale));
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  const context = canvas.getContext('2d');
  if (!context) return undefined;
  context.drawImage(video, 0, 0, w, h);
  const blob = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.8));
  return blob ? { blob, w, h } : undefined;
}

async function measure(file: File, msgtype: AttachmentMsgtype): Promise<{ w?: number; h?: number; duration?: number; still?: VideoStill }> {
  if (msgtype === 'm.image') return (await imageDimensions(file)) ?? {};
  if (msgtype === 'm.video') return mediaMetadata(file, 'video');
  if (msgtype === 'm.audio') return mediaMetadata(file, 'audio');
  return {};
}

interface UploadState {
  uploads: PendingUpload[];
}

export const uploadStore = createStore<UploadState>()(() => ({ uploads: [] }));

function update(id: string, patch: Partial<PendingUpload>): void {
  uploadStore.setState((s) => ({ uploads: s.uploads.map((u) => (u.id === id ? { ...u, ...patch } : u)) }));
}

/** Drops the upload; its preview URL is revoked unless it was handed on to the sent message. */
function remove(id: string, revokePreview: boolean): void {
  const upload = uploadStore.getState().uploads.find((u) => u.id === id);
  if (!upload) return;
  uploadStore.setState((s) => ({ uploads: s.uploads.filter((u) => u.id !== id) }));
  if (revokePreview) URL.revokeObjectURL(upload.previewUrl);
}

// The SDK's upload promises, for cancelling one that is on its way.
const inFlight = new Map<string, Promise<UploadResponse>>();

// Previews of images just uploaded, by mxc URL: the sent message shows the local file until the server's copy
// has loaded (no blank box between the pending row and the message), then the URL is revoked.
const localPreviews = new Map<string, string>();

export function localImagePreview(mxc: string | undefined): string | undefined {
  return mxc === undefined ? undefined : localPreviews.get(mxc);
}

export function releaseLocalPreview(mxc: string): void {
  const url = localPreviews.get(mxc);
  if (url === undefined) return;
  localPreviews.delete(mxc);
  URL.revokeObjectURL(url);
}

/**
 * Checks the size, uploads with progress and sends the file as m.image, m.video, m.audio or m.file. Returns a
 * refusal in words when the file is not sent at all (too large, empty): nothing is uploaded then. Upload failures
 * stay in the store as 'failed' with a retry.
 */
export async function sendAttachment(client: MatrixClient, roomId: string, file: File, threadId?: string): Promise<string | undefined> {
  const msgtype = attachmentMsgtype(file);
  // The pixel size is known before the row shows, so the preview gets its final box at once.
  const [limit, measured] = await Promise.all([uploadLimit(client), measure(file, msgtype)]);
  const refusal = uploadRefusal({ name: file.name || t('chat.upload.unnamed'), size: file.size }, limit);
  if (refusal) return refusal;
  // The transaction ID the message will be sent with: the message's row takes over this upload's row.
  const id = client.makeTxnId();
  const upload: PendingUpload = {
    id,
    roomId,
    threadId,
    file,
    msgtype,
    name: file.name || (msgtype === 'm.image' ? 'image' : 'file'),
    ts: Date.now(),
    previewUrl: URL.createObjectURL(file),
    ...measured,
    loaded: 0,
    total: file.size,
    status: 'uploading',
  };
  uploadStore.setState((s) => ({ uploads: [...s.uploads, upload] }));
  void runUpload(client, id);
  return undefined;
}

async function runUpload(client: MatrixClient, id: string): Promise<void> {
  const upload = uploadStore.getState().uploads.find((u) => u.id === id);
  if (!upload || inFlight.has(id)) return;
  update(id, { status: 'uploading', loaded: 0, error: undefined });
  const { file, roomId } = upload;
  try {
    // In an encrypted room the server gets only ciphertext; the key travels inside the encrypted event.
    const encrypted = client.getRoom(roomId)?.hasEncryptionStateEvent() ? await encryptAttachment(await file.arrayBuffer()) : undefined;
    const body = encrypted ? new Blob([encrypted.ciphertext], { type: 'application/octet-stream' }) : file;
    const request = client.uploadContent(body, {
      name: encrypted ? undefined : file.name,
      type: encrypted ? 'application/octet-stream' : file.type || 'application/octet-stream',
      progressHandler: ({ loaded, total }) => update(id, { loaded, total: total || file.size }),
    });
    inFlight.set(id, request);
    const response = await request;
    if (!uploadStore.getState().uploads.some((u) => u.id === id)) return; // removed meanwhile
    const thumbnail = upload.still ? await uploadStill(client, upload.still, !!encrypted) : undefined;
    if (!uploadStore.getState().uploads.some((u) => u.id === id)) return; // removed meanwhile
    const plain = attachmentContent(
      upload.msgtype,
      upload.name,
      response.content_uri,
      { mimetype: file.type, size: file.size, w: upload.w, h: upload.h, duration: upload.duration },
      thumbnail,
    );
    const content = encrypted ? withEncryptedFile(plain, { ...encrypted.file, url: response.content_uri }) : plain;
    const isImage = upload.msgtype === 'm.image';
    if (isImage) localPreviews.set(response.content_uri, upload.previewUrl);
    // sendMessage adds its local echo synchronously, with this upload's ID as its transaction ID: the echo's row
    // replaces the pending one in the same render. From here the echo shows sending / not sent with its own retry.
    // Into a thread: the SDK adds the m.thread relation (with its reply fallback), as for a text reply there.
    const sent = client.sendMessage(roomId, upload.threadId ?? null, content as never, id);
    remove(id, !isImage);
    await sent.catch(log.ignored('the attachment message was not sent; its echo shows not sent with a Retry'));
  } catch (err) {
    if (!uploadStore.getState().uploads.some((u) => u.id === id)) return; // cancelled
    // No automatic retry for uploads (unlike the SDK's message queue): say so plainly; Retry is the user's.
    const answered = typeof (err as { httpStatus?: unknown })?.httpStatus === 'number';
    update(id, {
      status: 'failed',
      error: answered ? describeMatrixError(err, t('chat.upload.refused')) : t('chat.upload.unreachable'),
    });
  } finally {
    inFlight.delete(id);
  }
}

/**
 * Uploads a video's still as its thumbnail (encrypted in an encrypted room, like the video). A still that fails to
 * upload leaves the video without a thumbnail rather than unsent.
 */
async function uploadStill(client: MatrixClient, still: VideoStill, encrypt: boolean): Promise<UploadedThumbnail | undefined> {
  const info: ImageInfo = { mimetype: 'image/jpeg', size: still.blob.size, w: still.w, h: still.h };
  try {
    if (!encrypt) return { url: (await client.uploadContent(still.blob, { type: 'image/jpeg' })).content_uri, info };
    const encrypted = await encryptAttachment(await still.blob.arrayBuffer());
    const body = new Blob([encrypted.ciphertext], { type: 'application/octet-stream' });
    const { content_uri } = await client.uploadContent(body, { type: 'application/octet-stream' });
    return { file: { ...encrypted.file, url: content_uri }, info };
  } catch (error) {
    log.warn('the video’s thumbnail was not uploaded; the video goes without one', error);
    return undefined;
  }
}

export function retryUpload(client: MatrixClient, id: string): void {
  void runUpload(client, id);
}

/** Cancels an upload on its way, or removes a failed one. */
export function removeUpload(client: MatrixClient, id: string): void {
  remove(id, true);
  const request = inFlight.get(id);
  if (request) client.cancelUpload(request);
}
