// Matrix identifiers (spec appendix "Identifier Grammar"): server names, user IDs, room IDs and aliases, event IDs,
// and member IDs (MSC4430), which stand where user IDs do. Pure string work: parse once here, not with indexOf(':').

/** A parsed server name: hostname (IPv4, [IPv6] or DNS name) and optional port. */
export interface ServerName {
  /** The host as written; an IPv6 literal without its brackets. */
  host: string;
  port: number | undefined;
  kind: 'ipv4' | 'ipv6' | 'dns';
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const DNS_NAME = /^[A-Za-z0-9.-]{1,255}$/;

/** The spec's server-name grammar, with IP literals that must really be addresses and a port that fits in 16 bits. */
export function parseServerName(name: string): ServerName | undefined {
  if (typeof name !== 'string' || name.length === 0 || name.length > 261) return undefined;
  const match = /^(\[[0-9A-Fa-f:.]{2,45}\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(name);
  if (!match) return undefined;
  const rawHost = match[1]!;
  const port = match[2] === undefined ? undefined : Number(match[2]);
  if (port !== undefined && (port < 1 || port > 65535)) return undefined;
  if (rawHost.startsWith('[')) {
    const host = rawHost.slice(1, -1);
    return isIPv6(host) ? { host, port, kind: 'ipv6' } : undefined;
  }
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(rawHost)) return isIPv4(rawHost) ? { host: rawHost, port, kind: 'ipv4' } : undefined;
  return DNS_NAME.test(rawHost) ? { host: rawHost, port, kind: 'dns' } : undefined;
}

export const isServerName = (name: string): boolean => parseServerName(name) !== undefined;

/** The host part of a server name as written in a URL: without its port, an IPv6 literal in brackets. */
export function hostOfServerName(name: string): string | undefined {
  const parsed = parseServerName(name);
  if (!parsed) return undefined;
  return parsed.kind === 'ipv6' ? `[${parsed.host}]` : parsed.host;
}

export function isIPv4(text: string): boolean {
  const match = IPV4.exec(text);
  return match?.slice(1).every((octet) => Number(octet) <= 255 && (octet === '0' || !octet.startsWith('0'))) === true;
}

/** RFC 4291 text form: eight groups of 1–4 hex digits, one `::` for a run of zeros, an IPv4 tail for the last two. */
export function isIPv6(text: string): boolean {
  if (text.length < 2 || text.length > 45) return false;
  let groups = text;
  let tailGroups = 0;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    if (!isIPv4(text.slice(lastColon + 1))) return false;
    groups = text.slice(0, lastColon + 1) + '0';
    tailGroups = 1;
  }
  const halves = groups.split('::');
  if (halves.length > 2) return false;
  const parse = (half: string) => (half === '' ? [] : half.split(':'));
  const parts = halves.flatMap(parse);
  if (!parts.every((part) => /^[0-9A-Fa-f]{1,4}$/.test(part))) return false;
  const count = parts.length + tailGroups;
  return halves.length === 2 ? count <= 7 : count === 8;
}

/** The sigil of each kind of ID. */
export type IdKind = 'user' | 'member' | 'room' | 'alias' | 'event';
const SIGILS: Record<string, IdKind> = { '@': 'user', '!': 'room', '#': 'alias', $: 'event' };

/** The spec's limit on every ID, sigil and server name included. */
export const MAX_ID_LENGTH = 255;

/** `@localpart:server`, `#localpart:server` and room IDs with a server: split at the first colon, the server checked. */
function splitId(id: string, sigil: string): { localpart: string; serverName: string } | undefined {
  if (typeof id !== 'string' || !id.startsWith(sigil) || id.length > MAX_ID_LENGTH) return undefined;
  const colon = id.indexOf(':');
  if (colon < 0) return undefined;
  const localpart = id.slice(1, colon);
  const serverName = id.slice(colon + 1);
  return isServerName(serverName) ? { localpart, serverName } : undefined;
}

/** The localparts the spec allows in new user IDs: `a-z 0-9 . _ = - / +`. */
export const isStrictLocalpart = (localpart: string): boolean => /^[a-z0-9._=\-/+]+$/.test(localpart);
/** Historical user IDs: any printable ASCII but `:` (spec: clients must accept them). */
const isHistoricalLocalpart = (localpart: string): boolean => /^[\x21-\x39\x3b-\x7e]+$/.test(localpart);

export interface UserId {
  localpart: string;
  serverName: string;
}

/** A user ID `@localpart:server`; historical localparts are accepted unless `strict`. Undefined when it is none. */
export function parseUserId(id: string, { strict = false }: { strict?: boolean } = {}): UserId | undefined {
  const parts = splitId(id, '@');
  if (!parts) return undefined;
  return (strict ? isStrictLocalpart : isHistoricalLocalpart)(parts.localpart) ? parts : undefined;
}

export const isUserId = (id: string): boolean => parseUserId(id) !== undefined;

/** `@alice:example.org` → `alice`; undefined for what is not a user ID. */
export const localpartOf = (userId: string): string | undefined => parseUserId(userId)?.localpart;

/** `@alice:example.org:8448` → `example.org:8448`; undefined for what is not a user ID. */
export const serverNameOf = (userId: string): string | undefined => parseUserId(userId)?.serverName;

export const userIdOf = (localpart: string, serverName: string): string => `@${localpart}:${serverName}`;

/** A room alias `#localpart:server`. */
export function parseRoomAlias(alias: string): { localpart: string; serverName: string } | undefined {
  const parts = splitId(alias, '#');
  return parts && parts.localpart !== '' && !/\s/.test(parts.localpart) ? parts : undefined;
}

export const isRoomAlias = (alias: string): boolean => parseRoomAlias(alias) !== undefined;

/** A room ID: `!opaque:server`, or from room version 12 on `!` and the create event's hash, with no server. */
export function isRoomId(id: string): boolean {
  if (typeof id !== 'string' || id.length < 2 || id.length > MAX_ID_LENGTH || !id.startsWith('!') || /\s/.test(id)) return false;
  return !id.includes(':') || (splitId(id, '!')?.localpart ?? '') !== '';
}

/** The server a room ID names (`!opaque:example.org` → `example.org`); room version 12 IDs name none. */
export function roomIdServer(roomId: string): string | undefined {
  return splitId(roomId, '!')?.serverName;
}

/** The first characters of a room ID's opaque part, enough to tell two rooms apart at a glance. */
export function shortRoomId(roomId: string): string {
  const colon = roomId.indexOf(':');
  const opaque = colon < 0 ? roomId : roomId.slice(0, colon);
  return opaque.length > 9 ? `${opaque.slice(0, 9)}…` : opaque;
}

/** An event ID: `$` and an opaque part (room versions 1 and 2 add `:server`). */
export function isEventId(id: string): boolean {
  if (typeof id !== 'string' || id.length < 2 || id.length > MAX_ID_LENGTH || !id.startsWith('$') || /\s/.test(id)) return false;
  return !id.includes(':') || splitId(id, '$') !== undefined;
}

/** What kind of ID a string is by its sigil and grammar; undefined when it is none of them. */
export function idKind(id: string): IdKind | undefined {
  const kind = typeof id === 'string' ? SIGILS[id.charAt(0)] : undefined;
  if (kind === 'user') return isUserId(id) ? kind : isMemberId(id) ? 'member' : undefined;
  if (kind === 'room') return isRoomId(id) ? kind : undefined;
  if (kind === 'alias') return isRoomAlias(id) ? kind : undefined;
  if (kind === 'event') return isEventId(id) ? kind : undefined;
  return undefined;
}

/** A member ID (MSC4430): `@` and a member key, with no `:server`, which is what tells it from a user ID. */
export const isMemberId = (id: string): boolean => typeof id === 'string' && MEMBER_ID.test(id);
// What keys.ts's isMemberKey accepts after the `@`: 32 bytes of unpadded or padded base64, one alphabet, not mixed.
// A pattern rather than a decode, so the first screen (which parses server names here) carries no base64 library.
const MEMBER_ID = /^@(?:[A-Za-z0-9+/]{43}|[A-Za-z0-9_-]{43})=?$/;
