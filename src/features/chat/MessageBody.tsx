import { Fragment, memo, useContext, useEffect, useMemo, useState } from 'react';
import { t } from '../../i18n';
import { sanitizeMessageHtml, stripReplyFallbackBody } from '../../domain/room/sanitize';
import { splitLinks } from './linkify';
import { inAppHrefForMatrixTo } from '../../domain/routes';
import { useAuthedMedia, useEncryptedMedia } from '../../ui/useAuthedMedia';
import { isEncryptedFile, type EncryptedFile } from '../../matrix/encryptedAttachment';
import { formatBytes, localImagePreview, releaseLocalPreview } from '../../domain/room/imageUpload';
import { ClientContext } from '../../ui/clientContext';
import { HtmlWithPills } from './Pills';
import { saveMedia } from '../../ui/saveFile';
import { logger } from '../../platform/logger';

const log = logger('chat:media');

function PlainText({ text }: { text: string }) {
  return (
    <>
      {splitLinks(text).map((part, i) =>
        part.kind === 'text' ? (
          <Fragment key={i}>{part.text}</Fragment>
        ) : inAppHrefForMatrixTo(part.href) ? (
          // A matrix.to link to a room or an event opens here, in this tab.
          <a key={i} href={inAppHrefForMatrixTo(part.href)} className="text-accent underline">
            {part.href}
          </a>
        ) : (
          <a key={i} href={part.href} target="_blank" rel="noopener noreferrer nofollow" className="text-accent underline">
            {part.href}
          </a>
        ),
      )}
    </>
  );
}

const maxImageWidth = 320;

/**
 * The box an image takes in the timeline from the sender's pixel size: at most 320 px wide, the sender's aspect
 * ratio, so it keeps its place while it decodes. Shared by pending uploads and sent images: same box, no jump.
 */
export function imageBox(info: { w?: unknown; h?: unknown }): { width: number; height: number; ratio?: string } {
  const w = typeof info.w === 'number' && info.w > 0 ? info.w : undefined;
  const h = typeof info.h === 'number' && info.h > 0 ? info.h : undefined;
  const width = w !== undefined ? Math.min(w, maxImageWidth) : maxImageWidth;
  const height = w !== undefined && h !== undefined ? Math.round((h * width) / w) : 200;
  return { width, height: Math.min(height, 320), ratio: w !== undefined && h !== undefined ? `${w} / ${h}` : undefined };
}

/** An image in its box, or the box with a word in it while there is nothing to show. */
export function ImageInBox({
  src,
  alt,
  box,
  note,
  className = '',
}: {
  src?: string;
  alt: string;
  box: ReturnType<typeof imageBox>;
  note?: string;
  className?: string;
}) {
  if (src)
    return (
      <img
        src={src}
        alt={alt}
        style={{ width: box.width, maxWidth: '100%', aspectRatio: box.ratio }}
        className={`mt-1 rounded-md ${className}`}
      />
    );
  return (
    <div
      style={{ width: box.width, height: box.height, maxWidth: '100%' }}
      className={`mt-1 flex items-center justify-center rounded-md bg-surface-strong text-sm text-subtle ${className}`}
    >
      {note ?? alt}
    </div>
  );
}

/**
 * The thumbnail size asked of the server for a box: the box in device pixels (at most 2×), so the timeline never
 * downloads the full image (the server scales it to fit and never enlarges it).
 */
export function thumbnailSize(
  box: { width: number; height: number },
  pixelRatio = globalThis.devicePixelRatio ?? 1,
): { width: number; height: number } {
  const ratio = Math.min(2, Math.max(1, Number.isFinite(pixelRatio) ? pixelRatio : 1));
  return { width: Math.round(box.width * ratio), height: Math.round(box.height * ratio) };
}

/** A failed image: one line in a bordered box no wider than the image's, the name cut short, and Retry. */
function ImageFailed({ alt, width, onRetry }: { alt: string; width: number; onRetry: () => void }) {
  return (
    <div
      data-testid="image-failed"
      style={{ width, maxWidth: '100%' }}
      className="mt-1 flex min-w-0 items-center gap-2 overflow-hidden rounded-md border border-line bg-surface-strong px-3 py-2 text-sm text-subtle"
    >
      <span className="min-w-0 flex-1 truncate" title={t('chat.image.failed', { name: alt })}>
        {t('chat.image.failed', { name: alt })}
      </span>
      <button
        type="button"
        className="shrink-0 rounded border border-line-strong px-2 py-0.5 text-xs hover:bg-surface-raised"
        aria-label={t('chat.image.retryLabel', { name: alt })}
        onClick={onRetry}
      >
        {t('chat.image.retry')}
      </button>
    </div>
  );
}

function ImageBody({ content }: { content: Record<string, unknown> }) {
  const info = (content.info ?? {}) as { w?: number; h?: number; mimetype?: string };
  // An encrypted room's image has `file` (its key and hash) instead of `url`.
  const file = isEncryptedFile(content.file) ? content.file : undefined;
  const mxc = file ? file.url : typeof content.url === 'string' ? content.url : undefined;
  const box = imageBox(info);
  const plain = useAuthedMedia(file ? undefined : mxc, thumbnailSize(box));
  const decrypted = useEncryptedMedia(file, info.mimetype);
  const media = file ? decrypted : plain;
  const alt = typeof content.body === 'string' ? content.body : 'image';
  // An image this page just uploaded shows from the local file until the server's copy is ready.
  const local = localImagePreview(mxc);
  useEffect(() => {
    if (media.status === 'ready' && mxc && local) releaseLocalPreview(mxc);
  }, [media.status, mxc, local]);
  const src = media.status === 'ready' ? media.url : local;
  if (!src && media.status === 'failed') return <ImageFailed alt={alt} width={box.width} onRetry={media.retry} />;
  const note = media.status === 'none' ? alt : t('chat.image.loading');
  return <ImageInBox src={src} alt={alt} box={box} note={note} />;
}

/** "1:05" for 65 000 ms; hours when there are any. */
export function formatDuration(ms: number): string {
  const total = Math.round(ms / 1000);
  const [h, m, sec] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  const ss = String(sec).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

function FileIcon() {
  return (
    <svg
      aria-hidden
      viewBox="0 0 24 24"
      width="24"
      height="24"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      <path d="M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8z" />
      <path d="M14 3v5h5" />
    </svg>
  );
}

/** Download: fetched with the session's token when asked (never before), saved under the sender's file name. */
function DownloadButton({ mxc, name, file }: { mxc: string | undefined; name: string; file?: EncryptedFile }) {
  const client = useContext(ClientContext);
  const [state, setState] = useState<'idle' | 'busy' | 'failed'>('idle');
  if (!mxc?.startsWith('mxc://') || !client) return null;
  return (
    <>
      <button
        type="button"
        className="shrink-0 rounded border border-line-strong px-2 py-0.5 text-xs font-medium hover:bg-surface-raised focus-visible:outline-2 focus-visible:outline-indigo-500 disabled:opacity-50"
        aria-label={t('chat.file.downloadLabel', { name })}
        disabled={state === 'busy'}
        onClick={() => {
          setState('busy');
          saveMedia(client, mxc, name, file).then(
            () => setState('idle'),
            (error: unknown) => {
              log.warn(`download of ${mxc} failed`, error);
              setState('failed');
            },
          );
        }}
      >
        {state === 'busy' ? t('chat.file.downloading') : t('chat.file.download')}
      </button>
      {state === 'failed' && (
        <span role="alert" className="text-xs text-danger">
          {t('chat.file.downloadFailed')}
        </span>
      )}
    </>
  );
}

/** A file card (Element's and Cinny's): icon, name, size and type, Download. */
export function FileCard({ content }: { content: Record<string, unknown> }) {
  const info = (content.info ?? {}) as { size?: unknown; mimetype?: unknown; duration?: unknown };
  const name = attachmentName(content);
  const file = isEncryptedFile(content.file) ? content.file : undefined;
  const mxc = file ? file.url : typeof content.url === 'string' ? content.url : undefined;
  const details = [
    typeof info.size === 'number' && info.size >= 0 ? formatBytes(info.size) : undefined,
    typeof info.duration === 'number' && info.duration > 0 ? formatDuration(info.duration) : undefined,
  ].filter(Boolean);
  return (
    <div
      data-testid="file-card"
      className="mt-1 flex w-fit max-w-full min-w-0 items-center gap-3 rounded-md border border-line bg-surface-muted px-3 py-2"
    >
      <span className="shrink-0 text-muted">
        <FileIcon />
      </span>
      <span className="min-w-0 flex-1">
        <span className="block truncate font-medium" title={name}>
          {name}
        </span>
        {details.length > 0 && <span className="block text-xs text-subtle">{details.join(' · ')}</span>}
      </span>
      <DownloadButton mxc={mxc} name={name} file={file} />
    </div>
  );
}

function attachmentName(content: Record<string, unknown>): string {
  if (typeof content.filename === 'string' && content.filename) return content.filename;
  return typeof content.body === 'string' && content.body ? content.body : t('chat.file.unnamed');
}

/** A video or audio message: the browser's player on the authenticated media (a blob URL), and its file card. */
function PlayerBody({ content, kind }: { content: Record<string, unknown>; kind: 'video' | 'audio' }) {
  const info = (content.info ?? {}) as { w?: number; h?: number; mimetype?: string };
  const file = isEncryptedFile(content.file) ? content.file : undefined;
  const plain = useAuthedMedia(file ? undefined : typeof content.url === 'string' ? content.url : undefined);
  const decrypted = useEncryptedMedia(file, info.mimetype);
  const media = file ? decrypted : plain;
  // A video's thumbnail shows until it plays (the sender's still; encrypted like the video in an encrypted room).
  const thumbInfo = (content.info ?? {}) as { thumbnail_url?: unknown; thumbnail_file?: unknown };
  const thumbFile = kind === 'video' && isEncryptedFile(thumbInfo.thumbnail_file) ? thumbInfo.thumbnail_file : undefined;
  const plainThumb = useAuthedMedia(
    kind === 'video' && !thumbFile && typeof thumbInfo.thumbnail_url === 'string' ? thumbInfo.thumbnail_url : undefined,
  );
  const decryptedThumb = useEncryptedMedia(thumbFile, 'image/jpeg');
  const thumb = thumbFile ? decryptedThumb : plainThumb;
  const poster = thumb.status === 'ready' ? thumb.url : undefined;
  const name = attachmentName(content);
  // A tiny video still gets room for its controls (Element's minimum), keeping the sender's aspect ratio.
  const box = imageBox(info);
  const videoWidth = Math.max(box.width, 240);
  return (
    <div className="min-w-0">
      {kind === 'video' ? (
        media.status === 'ready' ? (
          // biome-ignore lint/a11y/useMediaCaption: other people's videos come without captions
          <video
            src={media.url}
            poster={poster}
            controls
            preload="metadata"
            aria-label={name}
            style={{ width: videoWidth, maxWidth: '100%', aspectRatio: box.ratio }}
            className="mt-1 rounded-md bg-black"
          />
        ) : (
          <ImageInBox alt={name} box={box} note={media.status === 'failed' ? t('chat.media.failed', { name }) : t('chat.media.loading')} />
        )
      ) : media.status === 'ready' ? (
        // biome-ignore lint/a11y/useMediaCaption: other people's recordings come without captions
        <audio src={media.url} controls preload="metadata" aria-label={name} className="mt-1 w-72 max-w-full" />
      ) : (
        <div className="mt-1 text-sm text-subtle">
          {media.status === 'failed' ? t('chat.media.failed', { name }) : t('chat.media.loading')}
        </div>
      )}
      {media.status === 'failed' && (
        <button type="button" className="text-xs underline" aria-label={t('chat.image.retryLabel', { name })} onClick={media.retry}>
          {t('chat.image.retry')}
        </button>
      )}
      <FileCard content={content} />
    </div>
  );
}

/**
 * The body of a message: sanitised HTML, linkified text, an image, a player or a file card. Dimmed while it is being
 * sent: text on its own element (one element a line of text, not two), anything else in a wrapper that stays when it is
 * sent, so an image or a player is not made again.
 */
export const MessageBody = memo(function MessageBody({
  content,
  senderName,
  sending = false,
}: {
  content: Record<string, unknown>;
  senderName: string;
  sending?: boolean;
}) {
  const msgtype = content.msgtype;
  const html =
    content.format === 'org.matrix.custom.html' && typeof content.formatted_body === 'string' ? content.formatted_body : undefined;
  const safeHtml = useMemo(() => (html !== undefined ? sanitizeMessageHtml(html) : undefined), [html]);
  const dim = sending ? 'opacity-60' : '';
  if (msgtype === 'm.image' || msgtype === 'm.video' || msgtype === 'm.audio' || msgtype === 'm.file')
    return (
      <div className={dim}>
        <MediaBody content={content} />
      </div>
    );
  const tone = msgtype === 'm.notice' ? 'text-subtle' : '';
  const body = typeof content.body === 'string' ? stripReplyFallbackBody(content.body) : '';
  const text = safeHtml !== undefined ? <HtmlWithPills html={safeHtml} /> : <PlainText text={body} />;
  if (msgtype === 'm.emote') {
    return (
      <div className={`whitespace-pre-wrap break-words italic ${tone} ${dim}`}>
        * {senderName} {text}
      </div>
    );
  }
  return <div className={`whitespace-pre-wrap break-words ${tone} ${dim}`}>{text}</div>;
});

function MediaBody({ content }: { content: Record<string, unknown> }) {
  const msgtype = content.msgtype;
  if (msgtype === 'm.image') return <ImageBody content={content} />;
  if (msgtype === 'm.video' || msgtype === 'm.audio')
    return <PlayerBody content={content} kind={msgtype === 'm.video' ? 'video' : 'audio'} />;
  return <FileCard content={content} />;
}
