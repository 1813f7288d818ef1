// Composer text → `body` + optional `formatted_body`, the way mature clients do it:
// HTML is only sent when the Markdown actually formats something.
import { Marked } from 'marked';

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Markdown to HTML, with raw HTML in the source escaped (what you type is text, not markup). */
const markdown = new Marked({ gfm: true, breaks: true, async: false });
markdown.use({ renderer: { html: ({ text: raw }) => escapeHtml(raw) } });

export function markdownToHtml(text: string): string {
  return (markdown.parse(text) as string).trim();
}

/** What plain text would render as, to tell whether Markdown changed anything. */
function plainHtml(text: string): string {
  return `<p>${escapeHtml(text).replace(/\n/g, '<br>')}</p>`;
}

export interface MessageText {
  body: string;
  format?: 'org.matrix.custom.html';
  formatted_body?: string;
}

export function composeMessageText(text: string): MessageText {
  const body = text.trim();
  if (body === '') return { body };
  const html = markdownToHtml(body);
  if (html === plainHtml(body)) return { body };
  // One paragraph needs no <p> wrapper; keeps formatted_body small like other clients.
  const single = /^<p>([\s\S]*)<\/p>$/.exec(html);
  const formatted = single && !single[1]!.includes('<p>') ? single[1]! : html;
  return { body, format: 'org.matrix.custom.html', formatted_body: formatted };
}
