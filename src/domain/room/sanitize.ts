// Message HTML (`formatted_body`) cut down to what the Matrix spec allows, with safe links.
import DOMPurify from 'dompurify';
import { inAppHrefForMatrixTo } from '../routes';

/** The spec's suggested tags for `org.matrix.custom.html` (Client-Server API, m.room.message msgtypes). */
export const allowedTags = [
  'font',
  'del',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'blockquote',
  'p',
  'a',
  'ul',
  'ol',
  'sup',
  'sub',
  'li',
  'b',
  'i',
  'u',
  'strong',
  'em',
  's',
  'code',
  'hr',
  'br',
  'div',
  'table',
  'thead',
  'tbody',
  'tr',
  'th',
  'td',
  'caption',
  'pre',
  'span',
  'details',
  'summary',
];
// `img` is allowed by the spec only with mxc:// sources, which a browser cannot load without auth: dropped.

export const allowedAttributes = ['data-mx-bg-color', 'data-mx-color', 'color', 'data-mx-spoiler', 'href', 'start', 'class'];

const safeLinkSchemes = /^(https?|ftp|mailto|magnet):/i;
const colour = /^#[0-9a-fA-F]{6}$/;

let purifier: ReturnType<typeof DOMPurify> | undefined;

function getPurifier(): ReturnType<typeof DOMPurify> {
  if (purifier) return purifier;
  const p = DOMPurify(window);
  p.addHook('uponSanitizeAttribute', (node, data) => {
    const name = data.attrName;
    if (name === 'class') {
      // Only code language hints, as the spec allows.
      const keep = data.attrValue.split(/\s+/).filter((c) => node.nodeName === 'CODE' && /^language-[\w+-]+$/.test(c));
      data.attrValue = keep.join(' ');
      if (!data.attrValue) data.keepAttr = false;
    } else if (name === 'color' || name === 'data-mx-color' || name === 'data-mx-bg-color') {
      if (!colour.test(data.attrValue)) data.keepAttr = false;
    } else if (name === 'href') {
      if (node.nodeName !== 'A' || !safeLinkSchemes.test(data.attrValue.trim())) data.keepAttr = false;
    } else if (name === 'start' && node.nodeName !== 'OL') {
      data.keepAttr = false;
    }
  });
  p.addHook('afterSanitizeAttributes', (node) => {
    const el = node as Element;
    if (el.nodeName === 'A' && el.hasAttribute('href')) {
      // A matrix.to link to a room or an event opens here, in this tab; every other link in a new one.
      const inApp = inAppHrefForMatrixTo(el.getAttribute('href') ?? '');
      if (inApp) el.setAttribute('href', inApp);
      else {
        el.setAttribute('target', '_blank');
        el.setAttribute('rel', 'noopener noreferrer nofollow');
      }
    }
    // Colours become inline styles here, so stored HTML never carries a style attribute.
    const fg = el.getAttribute?.('data-mx-color') ?? el.getAttribute?.('color');
    const bg = el.getAttribute?.('data-mx-bg-color');
    if (fg && colour.test(fg)) (el as HTMLElement).style.color = fg;
    if (bg && colour.test(bg)) (el as HTMLElement).style.backgroundColor = bg;
  });
  purifier = p;
  return p;
}

/** Reply fallbacks (`<mx-reply>`) are dropped: the client renders the quoted message itself. */
export function stripReplyFallbackHtml(html: string): string {
  return html.replace(/<mx-reply>[\s\S]*?<\/mx-reply>/gi, '');
}

export function stripReplyFallbackBody(body: string): string {
  const lines = body.split('\n');
  let i = 0;
  if (!lines[0]?.startsWith('> <')) return body;
  while (i < lines.length && lines[i]!.startsWith('>')) i++;
  if (lines[i] === '') i++;
  return lines.slice(i).join('\n');
}

/** Sanitises message HTML for display. Needs a DOM (browser or jsdom). */
export function sanitizeMessageHtml(html: string): string {
  return getPurifier().sanitize(stripReplyFallbackHtml(html), {
    ALLOWED_TAGS: allowedTags,
    // style, target and rel are set by the hook above, never taken from the message.
    ALLOWED_ATTR: allowedAttributes,
    ALLOWED_URI_REGEXP: /^(?:https?|ftp|mailto|magnet):/i,
    KEEP_CONTENT: true,
  }) as string;
}

/** One-line text of a message for previews (replies): the formatted body's text, else the body. */
export function previewText(content: Record<string, unknown>): string {
  const html =
    content.format === 'org.matrix.custom.html' && typeof content.formatted_body === 'string' ? content.formatted_body : undefined;
  if (html !== undefined) {
    const doc = new DOMParser().parseFromString(sanitizeMessageHtml(html), 'text/html');
    return (doc.body.textContent ?? '').replace(/\s+/g, ' ').trim();
  }
  const body = typeof content.body === 'string' ? stripReplyFallbackBody(content.body) : '';
  return body.replace(/\s+/g, ' ').trim();
}
