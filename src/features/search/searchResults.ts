// Room search as view state: the request body for one room, the server's answer turned into plain rows (sender
// fields, time, text, the message before and after), and the matched words split out of a text for highlighting.
// Pure: no SDK objects, no DOM; the panel renders these rows.
import { senderIdentity, type SenderFields } from '../../domain/identity/sender';

export interface SearchLine {
  eventId: string;
  /** A message, or a change of the room's name or topic (searched too). */
  kind: 'message' | 'name' | 'topic';
  /** Who sent it, as the identity feature reads it (key first, then user ID). */
  sender: { identity: string; sender: string };
  ts: number;
  text: string;
}

export interface SearchHitRow extends SearchLine {
  before?: SearchLine;
  after?: SearchLine;
}

export interface SearchPage {
  rows: SearchHitRow[];
  count: number;
  highlights: string[];
  nextBatch?: string;
}

/** The body of POST /search for one room, newest first, with one message of context each side. */
export function roomSearchBody(roomId: string, term: string) {
  return {
    search_categories: {
      room_events: {
        search_term: term,
        order_by: 'recent' as const,
        filter: { rooms: [roomId], limit: 20 },
        event_context: { before_limit: 1, after_limit: 1, include_profile: false },
      },
    },
  };
}

type RawEvent = SenderFields & { event_id?: unknown; type?: unknown; origin_server_ts?: unknown; content?: Record<string, unknown> };

/** What an event says in words: a message's body, a room name or topic; undefined for anything else. */
export function textOf(event: RawEvent): string | undefined {
  const content = event.content ?? {};
  const value = event.type === 'm.room.name' ? content.name : event.type === 'm.room.topic' ? content.topic : content.body;
  return typeof value === 'string' ? value : undefined;
}

function lineOf(event: unknown): SearchLine | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const raw = event as RawEvent;
  const text = textOf(raw);
  if (typeof raw.event_id !== 'string' || text === undefined) return undefined;
  return {
    eventId: raw.event_id,
    kind: raw.type === 'm.room.name' ? 'name' : raw.type === 'm.room.topic' ? 'topic' : 'message',
    sender: { identity: senderIdentity(raw), sender: typeof raw.sender === 'string' ? raw.sender : '' },
    ts: typeof raw.origin_server_ts === 'number' ? raw.origin_server_ts : 0,
    text,
  };
}

/** The message nearest the result (events_before is newest first, events_after oldest first); state events are skipped. */
function nearest(events: unknown): SearchLine | undefined {
  if (!Array.isArray(events)) return undefined;
  for (const event of events) {
    const line = lineOf(event);
    if (line?.kind === 'message') return line;
  }
  return undefined;
}

/** The room_events part of a /search answer as rows; a malformed result is skipped, not fatal. */
export function toSearchPage(response: unknown): SearchPage {
  const roomEvents =
    (response as { search_categories?: { room_events?: Record<string, unknown> } } | undefined)?.search_categories?.room_events ?? {};
  const results = Array.isArray(roomEvents.results) ? roomEvents.results : [];
  const rows: SearchHitRow[] = [];
  for (const result of results as { result?: unknown; context?: { events_before?: unknown; events_after?: unknown } }[]) {
    const line = lineOf(result?.result);
    if (!line) continue;
    const before = nearest(result.context?.events_before);
    const after = nearest(result.context?.events_after);
    rows.push({ ...line, ...(before ? { before } : {}), ...(after ? { after } : {}) });
  }
  const highlights = Array.isArray(roomEvents.highlights) ? roomEvents.highlights.filter((h): h is string => typeof h === 'string') : [];
  return {
    rows,
    count: typeof roomEvents.count === 'number' ? roomEvents.count : rows.length,
    highlights,
    ...(typeof roomEvents.next_batch === 'string' ? { nextBatch: roomEvents.next_batch } : {}),
  };
}

/** Adds a later page: rows already shown (same event) are not repeated. */
export function appendPage(shown: SearchPage, next: SearchPage): SearchPage {
  const seen = new Set(shown.rows.map((r) => r.eventId));
  return {
    rows: [...shown.rows, ...next.rows.filter((r) => !seen.has(r.eventId))],
    count: next.count,
    highlights: [...new Set([...shown.highlights, ...next.highlights])],
    ...(next.nextBatch ? { nextBatch: next.nextBatch } : {}),
  };
}

export interface TextSegment {
  text: string;
  match: boolean;
}

const fold = (word: string) => word.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();
const WORD = /[\p{L}\p{N}\p{M}\p{Co}]+/gu;

/**
 * Splits `text` into plain and matched runs: a word matches when it starts with one of `words` (the server
 * matches words by prefix, ignoring case and accents). Joined back, the segments give `text` unchanged.
 */
export function highlightSegments(text: string, words: readonly string[]): TextSegment[] {
  const prefixes = words
    .flatMap((w) => w.match(WORD) ?? [])
    .map(fold)
    .filter((w) => w !== '');
  const segments: TextSegment[] = [];
  const push = (part: string, match: boolean) => {
    if (part === '') return;
    const last = segments.at(-1);
    if (last && last.match === match && !match) last.text += part;
    else segments.push({ text: part, match });
  };
  let at = 0;
  for (const found of text.matchAll(WORD)) {
    const word = found[0];
    if (!prefixes.some((p) => fold(word).startsWith(p))) continue;
    push(text.slice(at, found.index), false);
    push(word, true);
    at = found.index + word.length;
  }
  push(text.slice(at), false);
  return segments;
}

/**
 * Search in an encrypted room: the server can't read its messages, so the words are looked for in what this browser
 * decrypted (the loaded timeline, as clear events, oldest first). A message matches when each searched word starts
 * one of its words (as the server matches); newest first, with the message before and after, like the server's.
 */
export function searchDecrypted(events: readonly unknown[], term: string): SearchPage {
  const words = (term.match(WORD) ?? []).map(fold).filter((w) => w !== '');
  const lines = events.map(lineOf);
  const messages = lines.filter((l): l is SearchLine => l?.kind === 'message');
  const rows: SearchHitRow[] = [];
  for (let i = messages.length - 1; i >= 0; i--) {
    const line = messages[i]!;
    const own = (line.text.match(WORD) ?? []).map(fold);
    if (words.length === 0 || !words.every((w) => own.some((o) => o.startsWith(w)))) continue;
    const before = messages[i - 1];
    const after = messages[i + 1];
    rows.push({ ...line, ...(before ? { before } : {}), ...(after ? { after } : {}) });
  }
  return { rows, count: rows.length, highlights: words };
}
