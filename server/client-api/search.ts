// POST /search (Client-Server API, "Server Side Search"): the `room_events` category over the FTS5 index, limited to
// what the caller may read: rooms they are in (or left, up to their leave) and, event by event, the history visibility.
import type { Homeserver } from '../homeserver';
import { requireSession } from '../http/auth';
import { invalidParam, missingParam } from '../http/errors';
import type { Router } from '../http/router';
import { asObject, isObject, type JsonObject } from '../http/validate';
import { ClientFormatter, type ClientEvent } from '../rooms/client-format';
import type { StoredEvent } from '../storage/events';
import { SEARCH_KEYS, searchWords, type SearchHit, type SearchKey, type SearchOrder } from '../storage/search-index';
import { eventMatches, parseEventFilter, roomAllowed, type EventFilter } from '../sync/filter';
import { formatPaginationToken, NO_HISTORY_FLOOR } from '../sync/tokens';
import { userHistoryView, type HistoryView } from './room-access';

const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 100;
const DEFAULT_CONTEXT = 5;
const MAX_CONTEXT = 50;
const MAX_TERM_LENGTH = 1000;

export interface RoomEventsCriteria {
  words: string[];
  keys: SearchKey[];
  filter: EventFilter;
  limit: number;
  order: SearchOrder;
  context?: { before: number; after: number; includeProfile: boolean };
  includeState: boolean;
  groupBy: ('room_id' | 'sender')[];
  /** Where this page starts: how many results came before (rank), or below which position (recent). */
  batch?: number;
}

/** Reads the request body and `next_batch`; undefined when no category is asked for. Bad input: 400 with the reason. */
export function parseSearchRequest(body: unknown, nextBatch: string | null): RoomEventsCriteria | undefined {
  const categories = asObject(body).search_categories;
  if (categories === undefined) throw missingParam("'search_categories' is required");
  if (!isObject(categories)) throw invalidParam("'search_categories' must be an object");
  const unknown = Object.keys(categories).filter((name) => name !== 'room_events');
  if (unknown.length > 0) throw invalidParam(`Unknown search category: ${unknown.join(', ')} (only room_events is supported)`);
  if (categories.room_events === undefined) return undefined;
  if (!isObject(categories.room_events)) throw invalidParam("'room_events' must be an object");
  const criteria = categories.room_events;

  const term = criteria.search_term;
  if (term === undefined) throw missingParam("'search_term' is required");
  if (typeof term !== 'string') throw invalidParam("'search_term' must be a string");
  if (term.length > MAX_TERM_LENGTH) throw invalidParam(`'search_term' is longer than ${MAX_TERM_LENGTH} characters`);
  const words = searchWords(term);
  if (words.length === 0) throw invalidParam("'search_term' must contain at least one word (letters or digits)");

  const order = criteria.order_by ?? 'rank';
  if (order !== 'rank' && order !== 'recent') throw invalidParam("'order_by' must be 'rank' or 'recent'");
  const filter = parseEventFilter(criteria.filter, 'filter');
  return {
    words,
    keys: parseKeys(criteria.keys),
    filter,
    limit: Math.min(filter.limit ?? DEFAULT_LIMIT, MAX_LIMIT),
    order,
    ...(criteria.event_context !== undefined ? { context: parseContext(criteria.event_context) } : {}),
    includeState: parseBoolean(criteria.include_state, 'include_state'),
    groupBy: parseGroupings(criteria.groupings),
    ...(nextBatch !== null ? { batch: parseBatch(nextBatch, order) } : {}),
  };
}

function parseKeys(value: unknown): SearchKey[] {
  if (value === undefined) return [...SEARCH_KEYS];
  if (!Array.isArray(value) || value.length === 0) throw invalidParam("'keys' must be a non-empty array");
  for (const key of value) {
    if (!(SEARCH_KEYS as readonly unknown[]).includes(key))
      throw invalidParam(`Unknown search key ${JSON.stringify(key)}: expected one of ${SEARCH_KEYS.join(', ')}`);
  }
  return value as SearchKey[];
}

function parseBoolean(value: unknown, name: string): boolean {
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw invalidParam(`'${name}' must be a boolean`);
  return value;
}

function parseCount(value: unknown, name: string): number {
  if (value === undefined) return DEFAULT_CONTEXT;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw invalidParam(`'${name}' must be a non-negative integer`);
  return Math.min(value, MAX_CONTEXT);
}

function parseContext(value: unknown): NonNullable<RoomEventsCriteria['context']> {
  if (!isObject(value)) throw invalidParam("'event_context' must be an object");
  return {
    before: parseCount(value.before_limit, 'event_context.before_limit'),
    after: parseCount(value.after_limit, 'event_context.after_limit'),
    includeProfile: parseBoolean(value.include_profile, 'event_context.include_profile'),
  };
}

function parseGroupings(value: unknown): ('room_id' | 'sender')[] {
  if (value === undefined) return [];
  if (!isObject(value)) throw invalidParam("'groupings' must be an object");
  const groups = value.group_by ?? [];
  if (!Array.isArray(groups)) throw invalidParam("'groupings.group_by' must be an array");
  return groups.map((group) => {
    const key = isObject(group) ? group.key : undefined;
    if (key !== 'room_id' && key !== 'sender') throw invalidParam("each 'groupings.group_by' entry needs key 'room_id' or 'sender'");
    return key;
  });
}

/** `rank:<results before>` or `recent:<position>`; a token of the other order, or any other text, is refused. */
export function formatBatch(order: SearchOrder, value: number): string {
  return `${order}:${value}`;
}

export function parseBatch(text: string, order: SearchOrder): number {
  const match = /^(rank|recent):(-?\d{1,16})$/.exec(text);
  if (!match) throw invalidParam('next_batch is not a token this server gave out');
  if (match[1] !== order) throw invalidParam(`next_batch belongs to order_by '${match[1]}', not '${order}'`);
  const value = Number(match[2]);
  if (order === 'rank' && value < 0) throw invalidParam('next_batch is not a token this server gave out');
  return value;
}

/** One room the caller may search: up to where they may read, and which events of it. */
interface SearchableRoom {
  ceiling: number;
  history: HistoryView;
}

/** Rooms the user is in, or left (up to the leave), within the filter's rooms / not_rooms; forgotten rooms are out. */
function searchableRooms(hs: Homeserver, userId: string, filter: EventFilter): Map<string, SearchableRoom> {
  const rooms = new Map<string, SearchableRoom>();
  for (const membership of hs.events.membershipsOf(userId)) {
    const { room_id: roomId } = membership;
    if (membership.forgotten || !['join', 'leave', 'ban'].includes(membership.membership) || !roomAllowed(filter, roomId)) continue;
    const ceiling = membership.membership === 'join' ? hs.stream.current() : membership.stream_ordering;
    rooms.set(roomId, { ceiling, history: userHistoryView(hs, roomId, userId, hs.rooms.versionOf(roomId)) });
  }
  return rooms;
}

const needsEvent = (filter: EventFilter) =>
  filter.senders !== undefined ||
  filter.notSenders.length > 0 ||
  filter.types !== undefined ||
  filter.notTypes.length > 0 ||
  filter.containsUrl !== undefined;

/** Text that matched, for highlights: the searched keys' values. */
function searchedText(event: StoredEvent, keys: SearchKey[]): string[] {
  return keys.map((key) => event.pdu.content[key.slice('content.'.length)]).filter((v): v is string => typeof v === 'string');
}

const fold = (word: string) => word.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

/** The words to highlight: the searched words and the words of the results they matched as prefixes ("mart" → "martians"). */
export function highlightWords(words: string[], texts: string[]): string[] {
  const prefixes = words.map(fold);
  const found = new Set(words);
  for (const text of texts) {
    for (const word of searchWords(text, Infinity)) {
      if (prefixes.some((p) => fold(word).startsWith(p))) found.add(word);
    }
  }
  return [...found];
}

export function registerSearch(router: Router, hs: Homeserver): void {
  router.post('~/search', async (ctx) => {
    const session = requireSession(hs, ctx);
    const criteria = parseSearchRequest(await ctx.json(), ctx.query.get('next_batch'));
    if (!criteria) return { search_categories: {} };
    const rooms = searchableRooms(hs, session.userId, criteria.filter);
    // Senders are shown by their links (member-key rooms): have them checked first, as the history endpoints do.
    await hs.links.ensureRooms([...rooms.keys()]);
    const formatter = new ClientFormatter(hs, session);

    const hits = hs.search.hits(criteria.words, criteria.keys, [...rooms.keys()], criteria.order);
    const events = new Map<number, StoredEvent>();
    const load = (hit: SearchHit) => {
      let event = events.get(hit.streamOrdering);
      if (!event) {
        event = hs.events.event(hit.eventId)!;
        events.set(hit.streamOrdering, event);
      }
      return event;
    };
    const readable = hits.filter((hit) => {
      const room = rooms.get(hit.roomId)!;
      if (hit.streamOrdering > room.ceiling || !room.history.canSeeAt(hit.streamOrdering)) return false;
      // An erased account's words are not the viewer's to find, when its events are served to them redacted.
      if (hs.accounts.anyErased() && formatter.erasedForViewer(load(hit))) return false;
      return !needsEvent(criteria.filter) || eventMatches(criteria.filter, formatter.event(load(hit)));
    });

    const start =
      criteria.order === 'rank'
        ? (criteria.batch ?? 0)
        : readable.findIndex((h) => criteria.batch === undefined || h.streamOrdering < criteria.batch);
    const from = start < 0 ? readable.length : start;
    const page = readable.slice(from, from + criteria.limit);
    const more = from + page.length < readable.length && page.length > 0;
    const nextBatch = more
      ? formatBatch(criteria.order, criteria.order === 'rank' ? from + page.length : page.at(-1)!.streamOrdering)
      : undefined;

    const pageEvents = page.map(load);
    const results = page.map((hit, i) => {
      const event = pageEvents[i]!;
      const room = rooms.get(hit.roomId)!;
      return {
        rank: hit.rank,
        result: formatter.event(event),
        ...(criteria.context ? { context: eventContext(hs, formatter, event, room, criteria.context) } : {}),
      };
    });
    const body: JsonObject = {
      count: readable.length,
      highlights: highlightWords(
        criteria.words,
        pageEvents.flatMap((e) => searchedText(e, criteria.keys)),
      ),
      results,
      ...(nextBatch ? { next_batch: nextBatch } : {}),
    };
    if (criteria.includeState) body.state = roomStates(hs, formatter, page, rooms);
    if (criteria.groupBy.length > 0)
      body.groups = groups(
        criteria.groupBy,
        results.map((r) => r.result),
        nextBatch,
      );
    return { search_categories: { room_events: body } };
  });
}

/** The events around a result that the reader may see (newest first before, oldest first after, as /context). */
function eventContext(
  hs: Homeserver,
  formatter: ClientFormatter,
  event: StoredEvent,
  room: SearchableRoom,
  limits: NonNullable<RoomEventsCriteria['context']>,
) {
  const before =
    limits.before === 0 ? [] : take(room.history.backward(event.streamOrdering - 1, NO_HISTORY_FLOOR, limits.before), limits.before);
  const after = limits.after === 0 ? [] : take(room.history.forward(event.streamOrdering, room.ceiling, limits.after), limits.after);
  const context: JsonObject = {
    start: formatPaginationToken((before.at(-1)?.streamOrdering ?? event.streamOrdering) - 1),
    end: formatPaginationToken(after.at(-1)?.streamOrdering ?? event.streamOrdering),
    events_before: before.map((e) => formatter.event(e)),
    events_after: after.map((e) => formatter.event(e)),
  };
  if (limits.includeProfile) context.profile_info = profiles(hs, formatter, [event, ...before, ...after]);
  return context;
}

function take(events: Iterable<StoredEvent>, count: number): StoredEvent[] {
  const out: StoredEvent[] = [];
  for (const event of events) {
    out.push(event);
    if (out.length === count) break;
  }
  return out;
}

/** Each sender's display name and avatar as their member event had them at the time of the event (historic profile). */
function profiles(hs: Homeserver, formatter: ClientFormatter, events: StoredEvent[]): Record<string, JsonObject> {
  const info: Record<string, JsonObject> = {};
  for (const event of events) {
    const userId = formatter.displayId(event.roomId, event.pdu.sender);
    if (info[userId]) continue;
    const member = hs.events.memberEvents(event.roomId, event.pdu.sender, event.streamOrdering, 1)[0]?.pdu.content ?? {};
    info[userId] = {
      ...(typeof member.displayname === 'string' ? { displayname: member.displayname } : {}),
      ...(typeof member.avatar_url === 'string' && member.avatar_url.startsWith('mxc://') ? { avatar_url: member.avatar_url } : {}),
    };
  }
  return info;
}

/** The state of every room in the page, as the reader may see it (now, or when they left). */
function roomStates(hs: Homeserver, formatter: ClientFormatter, page: SearchHit[], rooms: Map<string, SearchableRoom>) {
  const state: Record<string, unknown[]> = {};
  for (const roomId of new Set(page.map((h) => h.roomId))) {
    state[roomId] = [...hs.events.stateAt(roomId, rooms.get(roomId)!.ceiling).values()].map((e) => formatter.event(e));
  }
  return state;
}

/** The page's results grouped by room or sender; `order` is where the group first appears. */
function groups(keys: ('room_id' | 'sender')[], events: ClientEvent[], nextBatch: string | undefined) {
  const out: Record<string, Record<string, JsonObject>> = {};
  for (const key of keys) {
    const byValue: Record<string, { results: string[]; order: number; next_batch?: string }> = {};
    for (const event of events) {
      const value = String(event[key]);
      byValue[value] ??= { results: [], order: Object.keys(byValue).length + 1, ...(nextBatch ? { next_batch: nextBatch } : {}) };
      byValue[value].results.push(event.event_id);
    }
    out[key] = byValue;
  }
  return out;
}
