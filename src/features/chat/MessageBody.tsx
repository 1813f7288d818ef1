import { memo, useEffect, useMemo } from 'react';
import { t } from '../../i18n';
import { sanitizeMessageHtml, stripReplyFallbackBody } from '../../domain/room/sanitize';
import { splitLinks } from './linkify';
import { inAppHrefForMatrixTo } from '../../domain/routes';
import { useAuthedMedia } from '../../ui/useAuthedMedia';
import { localImagePreview, releaseLocalPreview } from '../../domain/room/imageUpload';

function PlainText({ text }: { text: string }) {
  return (
    <>
      {splitLinks(text).map((part, i) =>
        part.kind === 'text' ? (
          <span key={i}>{part.text}</span>
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
  const info = (content.info ?? {}) as { w?: number; h?: number };
  const mxc = typeof content.url === 'string' ? content.url : undefined;
  const box = imageBox(info);
  const media = useAuthedMedia(mxc, thumbnailSize(box));
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

/** The body of a message: sanitised HTML, linkified text, or an image. */
export const MessageBody = memo(function MessageBody({ content, senderName }: { content: Record<string, unknown>; senderName: string }) {
  const msgtype = content.msgtype;
  const body = typeof content.body === 'string' ? stripReplyFallbackBody(content.body) : '';
  const html =
    content.format === 'org.matrix.custom.html' && typeof content.formatted_body === 'string' ? content.formatted_body : undefined;
  const safeHtml = useMemo(() => (html !== undefined ? sanitizeMessageHtml(html) : undefined), [html]);
  if (msgtype === 'm.image') return <ImageBody content={content} />;
  const tone = msgtype === 'm.notice' ? 'text-subtle' : '';
  const text =
    safeHtml !== undefined ? (
      // biome-ignore lint/security/noDangerouslySetInnerHtml: sanitizeMessageHtml (DOMPurify, an allow-list of the spec's tags) made it safe
      <div className="message-html" dangerouslySetInnerHTML={{ __html: safeHtml }} />
    ) : (
      <PlainText text={body} />
    );
  if (msgtype === 'm.emote') {
    return (
      <div className={`whitespace-pre-wrap break-words italic ${tone}`}>
        * {senderName} {text}
      </div>
    );
  }
  if (msgtype === 'm.file' || msgtype === 'm.audio' || msgtype === 'm.video') {
    return <div className="break-words text-muted">{t('chat.attachment', { body })}</div>;
  }
  return <div className={`whitespace-pre-wrap break-words ${tone}`}>{text}</div>;
});
