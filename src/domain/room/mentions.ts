// Intentional mentions (spec: m.mentions, Matrix 1.7): what the composer's text mentions, the m.mentions it sends,
// a readable plain body, and whether a message mentions you. Pure, so every rule is unit-tested.
import { parseMatrixTo } from '../routes';

export interface Mentions {
  user_ids?: string[];
  room?: true;
}

/** A Markdown link to matrix.to, as the mention autocomplete inserts it: `[label](https://matrix.to/#/…)`. */
const mentionLink = /\[((?:\\.|[^\]\\])*)\]\((https:\/\/matrix\.to\/#\/[^\s)]+)\)/g;
/** `@room` as a word of its own (not inside an address such as `@roomba:x`). */
const atRoom = /(^|[\s(])@room(?![\w:.-])/;

/** The users the text links to (in order, once each), and whether it says `@room`. */
export function mentionsInText(text: string): { userIds: string[]; room: boolean } {
  const userIds: string[] = [];
  for (const match of text.matchAll(mentionLink)) {
    const target = parseMatrixTo(match[2]!);
    if (target?.kind === 'user' && !userIds.includes(target.userId)) userIds.push(target.userId);
  }
  // @room inside a link label is a name, not a mention: look at the text with the links taken out.
  return { userIds, room: atRoom.test(text.replace(mentionLink, '')) };
}

/**
 * The m.mentions of a message: its linked users (never yourself, so sending cannot notify you) and the room when
 * the text says @room and your power level allows it (`notifications.room`). Empty when nobody is mentioned:
 * that too tells servers not to guess from the body (the legacy display-name rules).
 */
export function messageMentions(text: string, opts: { me: string; canMentionRoom: boolean; alsoUsers?: readonly string[] }): Mentions {
  const found = mentionsInText(text);
  const users = [...found.userIds, ...(opts.alsoUsers ?? [])].filter((id, i, all) => id !== opts.me && all.indexOf(id) === i);
  const out: Mentions = {};
  if (users.length > 0) out.user_ids = users;
  if (found.room && opts.canMentionRoom) out.room = true;
  return out;
}

/** An edit notifies only who it newly mentions (spec: the replacement's top-level m.mentions). */
export function newlyMentioned(next: Mentions, before: unknown): Mentions {
  const old = (typeof before === 'object' && before !== null ? before : {}) as { user_ids?: unknown; room?: unknown };
  const had = new Set(Array.isArray(old.user_ids) ? old.user_ids : []);
  const out: Mentions = {};
  const users = (next.user_ids ?? []).filter((id) => !had.has(id));
  if (users.length > 0) out.user_ids = users;
  if (next.room && old.room !== true) out.room = true;
  return out;
}

/** The plain body reads as people see the pills: `[Bob](https://matrix.to/#/@bob:x)` becomes `Bob`. */
export function plainMentionBody(body: string): string {
  return body.replace(mentionLink, (_all, label: string) => label.replace(/\\(.)/g, '$1'));
}

/** Whether a message mentions `userId`: by name in m.mentions, or the whole room. */
export function mentionsUser(content: Record<string, unknown>, userId: string): boolean {
  const mentions = content['m.mentions'];
  if (typeof mentions !== 'object' || mentions === null) return false;
  const { user_ids, room } = mentions as { user_ids?: unknown; room?: unknown };
  return room === true || (Array.isArray(user_ids) && user_ids.includes(userId));
}

/**
 * The composer text to edit a message with: its plain body with the mention links put back (from formatted_body,
 * in order), so an edit keeps its pills and its m.mentions.
 */
export function restoreMentionLinks(body: string, formattedBody: string | undefined): string {
  if (!formattedBody) return body;
  let out = '';
  let at = 0;
  for (const match of formattedBody.matchAll(/<a href="(https:\/\/matrix\.to\/#\/[^"]+)">([^<]*)<\/a>/g)) {
    const href = match[1]!.replace(/&amp;/g, '&');
    const label = match[2]!
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&');
    const found = body.indexOf(label, at);
    if (found < 0 || label === '') continue;
    out += `${body.slice(at, found)}[${label.replace(/[[\]\\]/g, '\\$&')}](${href})`;
    at = found + label.length;
  }
  return out + body.slice(at);
}
