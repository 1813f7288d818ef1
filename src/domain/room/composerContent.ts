// What the composer sends: pure, so replies, edits and emotes are unit-tested without a server.
import { composeMessageText } from './markdown';
import { messageMentions, newlyMentioned, plainMentionBody, restoreMentionLinks } from './mentions';

export type ComposerIntent = { kind: 'normal' } | { kind: 'reply'; eventId: string } | { kind: 'edit'; eventId: string };

export type MessageContent = Record<string, unknown> & { msgtype: string; body: string };

/** `/me waves` is an emote; `//me` sends a literal `/me`. */
function splitCommand(text: string): { msgtype: 'm.text' | 'm.emote'; text: string } {
  if (/^\/me(\s|$)/.test(text)) return { msgtype: 'm.emote', text: text.slice(3).trimStart() };
  if (text.startsWith('//')) return { msgtype: 'm.text', text: text.slice(1) };
  return { msgtype: 'm.text', text };
}

/** Who is sending, and what the mentions may include (see mentions.ts). */
export interface MentionContext {
  me: string;
  /** Your power level reaches the room's `notifications.room`: `@room` notifies everyone. */
  canMentionRoom: boolean;
  /** A reply mentions the sender of the message it answers (Element does, so they are notified). */
  replyToUser?: string;
  /** An edit's original content: only who the edit newly mentions is notified again. */
  previous?: Record<string, unknown>;
}

/** Message content for the composer's text, or undefined when there is nothing to send. */
export function buildMessageContent(
  rawText: string,
  intent: ComposerIntent,
  context: MentionContext = { me: '', canMentionRoom: false },
): MessageContent | undefined {
  const { msgtype, text } = splitCommand(rawText.trim());
  const rendered = composeMessageText(text);
  if (!rendered.body) return undefined;
  const mentions = messageMentions(text, {
    me: context.me,
    canMentionRoom: context.canMentionRoom,
    alsoUsers: intent.kind === 'reply' && context.replyToUser ? [context.replyToUser] : [],
  });
  // Mention links read as their names in the plain body; the HTML keeps the links (pills in every client).
  const body = rendered.formatted_body ? plainMentionBody(rendered.body) : rendered.body;
  const base: MessageContent = { msgtype, ...rendered, body, 'm.mentions': mentions };
  if (intent.kind === 'reply') return { ...base, 'm.relates_to': { 'm.in_reply_to': { event_id: intent.eventId } } };
  if (intent.kind === 'edit') {
    // Clients that do not understand edits show the fallback "* new text".
    const fallback: MessageContent = { msgtype, body: `* ${body}` };
    if (rendered.formatted_body) Object.assign(fallback, { format: rendered.format, formatted_body: `* ${rendered.formatted_body}` });
    return {
      ...fallback,
      'm.mentions': newlyMentioned(mentions, context.previous?.['m.mentions']),
      'm.new_content': base,
      'm.relates_to': { rel_type: 'm.replace', event_id: intent.eventId },
    };
  }
  return base;
}

/** The text to put back in the composer when editing a message. */
export function editableText(content: Record<string, unknown>): string {
  const plain = typeof content.body === 'string' ? content.body : '';
  const body = restoreMentionLinks(plain, typeof content.formatted_body === 'string' ? content.formatted_body : undefined);
  return content.msgtype === 'm.emote' ? `/me ${body}` : body;
}
