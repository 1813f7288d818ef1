// Server ACLs (m.room.server_acl): which servers may take part in a room at the federation level. Pure: parse the
// event's content once into matchers, then judge server names. The order of the rules is the spec's.
import { isIPv4, isIPv6 } from 'node:net';

export interface ServerAcl {
  readonly allow: readonly RegExp[];
  readonly deny: readonly RegExp[];
  readonly allowIpLiterals: boolean;
}

/** A glob with `*` (any run, even empty) and `?` (exactly one character), whole-name and case-insensitive. */
export function globToRegExp(glob: string): RegExp {
  const body = [...glob].map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[\\^$.+()[\]{}|/]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`, 'isu');
}

/** Robust to bad content: a non-list `allow`/`deny` counts as empty, non-string entries are skipped. */
export function parseServerAcl(content: unknown): ServerAcl {
  const fields = typeof content === 'object' && content !== null && !Array.isArray(content) ? (content as Record<string, unknown>) : {};
  const globs = (value: unknown) => (Array.isArray(value) ? value.filter((g): g is string => typeof g === 'string').map(globToRegExp) : []);
  return {
    allow: globs(fields.allow),
    deny: globs(fields.deny),
    // "Defaults to true if missing or otherwise not a boolean."
    allowIpLiterals: fields.allow_ip_literals !== false,
  };
}

/** The host part of a server name: without its port; an IPv6 literal keeps its brackets (`[::1]:8448` → `[::1]`). */
export function hostOfServerName(serverName: string): string {
  if (serverName.startsWith('[')) {
    const close = serverName.indexOf(']');
    return close > 0 ? serverName.slice(0, close + 1) : serverName;
  }
  const colon = serverName.lastIndexOf(':');
  return colon >= 0 ? serverName.slice(0, colon) : serverName;
}

export function isIpLiteral(host: string): boolean {
  if (host.startsWith('[') && host.endsWith(']')) return isIPv6(host.slice(1, -1));
  return isIPv4(host);
}

/** The spec's order: no ACL allows; IP literal when not allowed denies; deny wins over allow; no match denies. */
export function isServerAllowed(acl: ServerAcl | undefined, serverName: string): boolean {
  if (!acl) return true;
  const host = hostOfServerName(serverName);
  if (!acl.allowIpLiterals && isIpLiteral(host)) return false;
  if (acl.deny.some((glob) => glob.test(host))) return false;
  return acl.allow.some((glob) => glob.test(host));
}

/**
 * Compiled ACLs per room, keyed by the ACL event's ID: a new ACL state event (a different ID) recompiles, so a
 * change of the room's ACL is picked up at once, and an unchanged one is compiled once.
 */
export class ServerAclCache {
  private readonly compiled = new Map<string, { eventId: string; acl: ServerAcl }>();

  constructor(private readonly currentAcl: (roomId: string) => { eventId: string; content: unknown } | undefined) {}

  aclOf(roomId: string): ServerAcl | undefined {
    const current = this.currentAcl(roomId);
    if (!current) {
      this.compiled.delete(roomId);
      return undefined;
    }
    const cached = this.compiled.get(roomId);
    if (cached?.eventId === current.eventId) return cached.acl;
    const acl = parseServerAcl(current.content);
    this.compiled.set(roomId, { eventId: current.eventId, acl });
    return acl;
  }

  allows(roomId: string, serverName: string): boolean {
    return isServerAllowed(this.aclOf(roomId), serverName);
  }
}
