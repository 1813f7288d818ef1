// The app's URLs, as Cinny's paths.ts lays them out, in the hash so any static host serves them:
//   #/                                   the room list
//   #/room/{roomIdOrAlias}[/{eventId}]    a room, or one event in it (a permalink); ?via=server may follow
//   #/room/{roomIdOrAlias}/threads        the room with its list of threads beside it
//   #/room/{roomIdOrAlias}/thread/{root}  the room with one thread open beside it
//   #/settings[/{section}]               settings
// Each part is percent-encoded as a URI component, except the characters Matrix IDs are made of that a
// fragment may carry as they are (`!`, `:`, `@`, `$`), so a permalink still reads like the ID it names.
// Pure: no DOM, no history; src/state/navigation.ts applies these to the page. IDs are told apart by src/protocol/ids.ts.
import { isEventId, isRoomAlias, isRoomId, isUserId } from '../protocol/ids';

export type Route =
  | { kind: 'home' }
  | { kind: 'room'; roomIdOrAlias: string; eventId?: string; via?: string[]; panel?: RoomPanel }
  | { kind: 'settings'; section?: string }
  | { kind: 'unknown'; path: string };

/** What a room shows beside its timeline: the list of its threads, or one thread (by its root's event ID). */
export type RoomPanel = { kind: 'threads' } | { kind: 'thread'; rootId: string };

export const homeRoute: Route = { kind: 'home' };

/** A percent-encoded path segment: `/`, `#`, `?`, `%` and the rest escaped; `:@$!` kept for readability. */
export function encodeSegment(value: string): string {
  return encodeURIComponent(value).replace(/%3A/gi, ':').replace(/%40/gi, '@').replace(/%24/gi, '$');
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

const isRoomIdOrAlias = (value: string) => isRoomId(value) || isRoomAlias(value);

/** `#/room/!id:server/$event` and friends: the hash for a route (with its leading `#`). */
export function formatRoute(route: Route): string {
  switch (route.kind) {
    case 'home':
      return '#/';
    case 'room': {
      const panel =
        route.panel?.kind === 'threads' ? '/threads' : route.panel?.kind === 'thread' ? `/thread/${encodeSegment(route.panel.rootId)}` : '';
      const event = !panel && route.eventId ? `/${encodeSegment(route.eventId)}` : '';
      const path = `#/room/${encodeSegment(route.roomIdOrAlias)}${event}${panel}`;
      const via = route.via?.length ? `?${route.via.map((server) => `via=${encodeSegment(server)}`).join('&')}` : '';
      return path + via;
    }
    case 'settings':
      return route.section ? `#/settings/${encodeSegment(route.section)}` : '#/settings';
    case 'unknown':
      return `#${route.path}`;
  }
}

export const roomHref = (roomIdOrAlias: string, eventId?: string, via?: string[]) =>
  formatRoute({ kind: 'room', roomIdOrAlias, ...(eventId ? { eventId } : {}), ...(via?.length ? { via } : {}) });

export const threadHref = (roomIdOrAlias: string, rootId: string) =>
  formatRoute({ kind: 'room', roomIdOrAlias, panel: { kind: 'thread', rootId } });
export const threadsHref = (roomIdOrAlias: string) => formatRoute({ kind: 'room', roomIdOrAlias, panel: { kind: 'threads' } });

/** The route a location hash names (with or without its `#`); anything unreadable is `unknown`, never a throw. */
export function parseRoute(hash: string): Route {
  const raw = hash.replace(/^#/, '');
  const [pathPart = '', query = ''] = splitOnce(raw, '?');
  const path = pathPart.replace(/^\/+/, '').replace(/\/+$/, '');
  if (path === '') return homeRoute;
  const segments = path.split('/').map(decodeSegment);
  if (segments.some((s) => s === undefined || s === '')) return { kind: 'unknown', path: `/${pathPart.replace(/^\/+/, '')}` };
  const [head, ...rest] = segments as string[];
  if (head === 'room' && (rest.length === 1 || rest.length === 2)) {
    const [roomIdOrAlias, eventId] = rest as [string, string | undefined];
    if (isRoomIdOrAlias(roomIdOrAlias) && (eventId === undefined || isEventId(eventId))) {
      const via = viaServers(query);
      return { kind: 'room', roomIdOrAlias, ...(eventId ? { eventId } : {}), ...(via.length ? { via } : {}) };
    }
  }
  if (head === 'room' && rest.length >= 2 && isRoomIdOrAlias(rest[0]!)) {
    const [roomIdOrAlias, panel, rootId] = rest as [string, string, string | undefined];
    if (panel === 'threads' && rest.length === 2) return { kind: 'room', roomIdOrAlias, panel: { kind: 'threads' } };
    if (panel === 'thread' && rest.length === 3 && isEventId(rootId!))
      return { kind: 'room', roomIdOrAlias, panel: { kind: 'thread', rootId: rootId! } };
  }
  if (head === 'settings' && rest.length <= 1) return rest[0] ? { kind: 'settings', section: rest[0] } : { kind: 'settings' };
  return { kind: 'unknown', path: `/${path}` };
}

function splitOnce(value: string, separator: string): [string, string] {
  const at = value.indexOf(separator);
  return at < 0 ? [value, ''] : [value.slice(0, at), value.slice(at + 1)];
}

function viaServers(query: string): string[] {
  if (!query) return [];
  return new URLSearchParams(query).getAll('via').filter((server) => server !== '');
}

/** What a matrix.to link names: a room (by ID or alias, perhaps one event in it) or a user. */
export type MatrixToTarget = { kind: 'room'; roomIdOrAlias: string; eventId?: string; via?: string[] } | { kind: 'user'; userId: string };

/**
 * Reads `https://matrix.to/#/{id}[/{eventId}][?via=…]` (the spec's matrix.to URIs): IDs may come encoded
 * (`%23alias%3Aserver`) or raw (`#alias:server`). Anything else, or a malformed link, is undefined.
 */
export function parseMatrixTo(href: string): MatrixToTarget | undefined {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' || url.hostname !== 'matrix.to' || url.port !== '' || !url.hash.startsWith('#/')) return undefined;
  const [pathPart, query] = splitOnce(url.hash.slice(2), '?');
  const segments = pathPart.replace(/\/+$/, '').split('/').map(decodeSegment);
  if (segments.some((s) => s === undefined || s === '')) return undefined;
  const [id, eventId, ...extra] = segments as string[];
  if (!id || extra.length > 0) return undefined;
  if (isUserId(id)) return eventId === undefined ? { kind: 'user', userId: id } : undefined;
  if (!isRoomIdOrAlias(id) || (eventId !== undefined && !isEventId(eventId))) return undefined;
  const via = viaServers(query);
  return { kind: 'room', roomIdOrAlias: id, ...(eventId ? { eventId } : {}), ...(via.length ? { via } : {}) };
}

/** The in-app hash a matrix.to link opens, when it names a room or an event; users keep their matrix.to link. */
export function inAppHrefForMatrixTo(href: string): string | undefined {
  const target = parseMatrixTo(href);
  return target?.kind === 'room' ? roomHref(target.roomIdOrAlias, target.eventId, target.via) : undefined;
}
