// Sync/messages filters (the spec's Filter and RoomEventFilter), parsed once into a typed shape.
import { badJson, MatrixError } from '../http/errors';
import { JsonTooDeepError, MAX_CLIENT_JSON_DEPTH, parseBoundedJson } from '../http/json';
import { isObject, type JsonObject } from '../http/validate';

export interface EventFilter {
  limit?: number;
  types?: string[];
  notTypes: string[];
  senders?: string[];
  notSenders: string[];
  rooms?: string[];
  notRooms: string[];
  containsUrl?: boolean;
  lazyLoadMembers: boolean;
  includeRedundantMembers: boolean;
  /** Per-thread notification counts in /sync (spec v1.4; the timeline filter's). */
  unreadThreadNotifications: boolean;
}

export interface Filter {
  room: {
    rooms?: string[];
    notRooms: string[];
    includeLeave: boolean;
    timeline: EventFilter;
    state: EventFilter;
    ephemeral: EventFilter;
    accountData: EventFilter;
  };
  accountData: EventFilter;
  presence: EventFilter;
}

function stringList(value: unknown, name: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string'))
    throw badJson(`filter field ${name} must be an array of strings`);
  return value as string[];
}

/** The JSON object of a `filter` query parameter given inline (not as a stored filter's id). */
export function parseInlineFilter(text: string): JsonObject {
  let json: unknown;
  try {
    json = parseBoundedJson(text, MAX_CLIENT_JSON_DEPTH);
  } catch (error) {
    if (error instanceof JsonTooDeepError) throw badJson(`filter is nested deeper than ${MAX_CLIENT_JSON_DEPTH} levels`);
    throw new MatrixError(400, 'M_NOT_JSON', 'filter is not valid JSON');
  }
  if (!isObject(json)) throw badJson('filter must be a JSON object');
  return json;
}

export function parseEventFilter(value: unknown, name = 'filter'): EventFilter {
  if (value === undefined) value = {};
  if (!isObject(value)) throw badJson(`${name} must be an object`);
  const limit = value.limit;
  if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0))
    throw badJson(`${name}.limit must be a non-negative integer`);
  const bool = (key: string) => {
    const v = value[key];
    if (v !== undefined && typeof v !== 'boolean') throw badJson(`${name}.${key} must be a boolean`);
    return v as boolean | undefined;
  };
  return {
    limit: limit as number | undefined,
    types: stringList(value.types, `${name}.types`),
    notTypes: stringList(value.not_types, `${name}.not_types`) ?? [],
    senders: stringList(value.senders, `${name}.senders`),
    notSenders: stringList(value.not_senders, `${name}.not_senders`) ?? [],
    rooms: stringList(value.rooms, `${name}.rooms`),
    notRooms: stringList(value.not_rooms, `${name}.not_rooms`) ?? [],
    containsUrl: bool('contains_url'),
    lazyLoadMembers: bool('lazy_load_members') ?? false,
    includeRedundantMembers: bool('include_redundant_members') ?? false,
    unreadThreadNotifications: bool('unread_thread_notifications') ?? false,
  };
}

export function parseFilter(json: JsonObject): Filter {
  const room = json.room === undefined ? {} : json.room;
  if (!isObject(room)) throw badJson('filter.room must be an object');
  const includeLeave = room.include_leave;
  if (includeLeave !== undefined && typeof includeLeave !== 'boolean') throw badJson('filter.room.include_leave must be a boolean');
  return {
    room: {
      rooms: stringList(room.rooms, 'room.rooms'),
      notRooms: stringList(room.not_rooms, 'room.not_rooms') ?? [],
      includeLeave: includeLeave ?? false,
      timeline: parseEventFilter(room.timeline, 'room.timeline'),
      state: parseEventFilter(room.state, 'room.state'),
      ephemeral: parseEventFilter(room.ephemeral, 'room.ephemeral'),
      accountData: parseEventFilter(room.account_data, 'room.account_data'),
    },
    accountData: parseEventFilter(json.account_data, 'account_data'),
    presence: parseEventFilter(json.presence, 'presence'),
  };
}

function globMatch(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return regex.test(value);
}

/** Does an event (client format: sender already mapped) pass the filter? */
export function eventMatches(filter: EventFilter, event: { type: string; sender?: unknown; content?: Record<string, unknown> }): boolean {
  if (filter.notTypes.some((p) => globMatch(p, event.type))) return false;
  if (filter.types && !filter.types.some((p) => globMatch(p, event.type))) return false;
  const sender = typeof event.sender === 'string' ? event.sender : '';
  if (filter.notSenders.includes(sender)) return false;
  if (filter.senders && !filter.senders.includes(sender)) return false;
  if (filter.containsUrl !== undefined && (typeof event.content?.url === 'string') !== filter.containsUrl) return false;
  return true;
}

export function roomAllowed(filter: { rooms?: string[]; notRooms: string[] }, roomId: string): boolean {
  if (filter.notRooms.includes(roomId)) return false;
  return !filter.rooms || filter.rooms.includes(roomId);
}
