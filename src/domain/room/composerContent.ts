// What the composer sends: pure, so replies, edits and emotes are unit-tested without a server.
import { composeMessageText } from './markdown';

export type ComposerIntent = { kind: 'normal' } | { kind: 'reply'; eventId: string } | { kind: 'edit'; eventId: string };

export type MessageContent = Record<string, unknown> & { msgtype: string; body: string };

/** `/me waves` is an emote; `//me` sends a literal `/me`. */
function splitCommand(text: string): { msgtype: 'm.text' | 'm.emote'; text: string } {
  if (/^\/me(\s|$)/.test(text)) return { msgtype: 'm.emote', text: text.slice(3).trimStart() };
  if (text.startsWith('//')) return { msgtype: 'm.text', text: text.slice(1) };
  return { msgtype: 'm.text', text };
}

/** Message content for the composer's text, or undefined when there is nothing to send. */
export function buildMessageContent(rawText: string, intent: ComposerIntent): MessageContent | undefined {
  const { msgtype, text } = splitCommand(rawText.trim());
  const rendered = composeMessageText(text);
  if (!rendered.body) return undefined;
  const base: MessageContent = { msgtype, ...rendered };
  if (intent.kind === 'reply') return { ...base, 'm.relates_to': { 'm.in_reply_to': { event_id: intent.eventId } } };
  if (intent.kind === 'edit') {
    // Clients that do not understand edits show the fallback "* new text".
    const fallback: MessageContent = { msgtype, body: `* ${rendered.body}` };
    if (rendered.formatted_body) Object.assign(fallback, { format: rendered.format, formatted_body: `* ${rendered.formatted_body}` });
    return { ...fallback, 'm.new_content': base, 'm.relates_to': { rel_type: 'm.replace', event_id: intent.eventId } };
  }
  return base;
}

/** The text to put back in the composer when editing a message. */
export function editableText(content: Record<string, unknown>): string {
  const body = typeof content.body === 'string' ? content.body : '';
  return content.msgtype === 'm.emote' ? `/me ${body}` : body;
}
