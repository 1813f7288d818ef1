import { memo, useMemo } from 'react';
import { sanitizeMessageHtml, stripReplyFallbackBody } from './sanitize';
import { splitLinks } from './linkify';
import { useAuthedMedia } from '../../matrix/media';

function PlainText({ text }: { text: string }) {
  return (
    <>
      {splitLinks(text).map((part, i) =>
        part.kind === 'text' ? (
          <span key={i}>{part.text}</span>
        ) : (
          <a key={i} href={part.href} target="_blank" rel="noopener noreferrer nofollow" className="text-indigo-600 underline dark:text-indigo-400">
            {part.href}
          </a>
        ),
      )}
    </>
  );
}

function ImageBody({ content }: { content: Record<string, unknown> }) {
  const info = (content.info ?? {}) as { w?: number; h?: number };
  const mxc = typeof content.url === 'string' ? content.url : undefined;
  const maxW = 320;
  const w = typeof info.w === 'number' && info.w > 0 ? Math.min(info.w, maxW) : maxW;
  const h = typeof info.w === 'number' && typeof info.h === 'number' && info.w > 0 ? Math.round((info.h * w) / info.w) : 200;
  const media = useAuthedMedia(mxc, { width: 640, height: 640 });
  const alt = typeof content.body === 'string' ? content.body : 'image';
  // With the sender's dimensions the image keeps its box while it decodes: rows below don't jump.
  const ratio = typeof info.w === 'number' && typeof info.h === 'number' && info.w > 0 && info.h > 0 ? `${info.w} / ${info.h}` : undefined;
  if (media.status === 'ready') return <img src={media.url} alt={alt} style={{ width: w, maxWidth: '100%', aspectRatio: ratio }} className="mt-1 rounded-md" />;
  return (
    <div style={{ width: w, height: Math.min(h, 320), maxWidth: '100%' }} className="mt-1 flex items-center justify-center rounded-md bg-slate-200 text-sm text-slate-500 dark:bg-slate-800">
      {media.status === 'failed' ? `Image could not be loaded: ${alt}` : media.status === 'none' ? alt : 'Loading image…'}
    </div>
  );
}

/** The body of a message: sanitised HTML, linkified text, or an image. */
export const MessageBody = memo(function MessageBody({ content, senderName }: { content: Record<string, unknown>; senderName: string }) {
  const msgtype = content.msgtype;
  const body = typeof content.body === 'string' ? stripReplyFallbackBody(content.body) : '';
  const html = content.format === 'org.matrix.custom.html' && typeof content.formatted_body === 'string' ? content.formatted_body : undefined;
  const safeHtml = useMemo(() => (html !== undefined ? sanitizeMessageHtml(html) : undefined), [html]);
  if (msgtype === 'm.image') return <ImageBody content={content} />;
  const tone = msgtype === 'm.notice' ? 'text-slate-500 dark:text-slate-400' : '';
  const text =
    safeHtml !== undefined ? (
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
    return <div className="break-words text-slate-600 dark:text-slate-300">📎 {body} (attachments open in another client for now)</div>;
  }
  return <div className={`whitespace-pre-wrap break-words ${tone}`}>{text}</div>;
});
