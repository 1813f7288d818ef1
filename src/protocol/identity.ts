import { normaliseKey } from './keys';
import { ProtocolError } from './errors';
import type { LinkStatus } from './links';

// Unstable field and endpoint names (PROTOCOL.md §5). One place, so client and server cannot drift apart.
export const STABLE_ID_FIELD = 'org.matrix.msc4428.stable_id';
export const STABLE_ID_STATE_KEY_FIELD = 'org.matrix.msc4428.stable_id_state_key';
export const MEMBER_INFO_FIELD = 'org.matrix.msc4428.member_info';
export const LINK_FIELD = 'dev.wayfarer.link';
export const ACCOUNT_KEY_LOGIN_TYPE = 'dev.wayfarer.login.account_key';
export const ACCOUNT_KEY_PROOF_TYPE = 'dev.wayfarer.login.account_key.v1';
export const MEMBER_SEED_FIELD = 'dev.wayfarer.member_seed';
export const CREATOR_NONCE_FIELD = 'dev.wayfarer.creator_nonce';
/** The invite-key pool (PROTOCOL.md §5): the nonce in a join's member event content, kept by redaction. */
export const KEY_NONCE_FIELD = 'dev.wayfarer.key_nonce';
/** The same nonce in `unsigned` of the invite member event its invitee sees. */
export const MEMBER_KEY_NONCE_UNSIGNED_FIELD = 'dev.wayfarer.member_key_nonce';
/** Top-level /sync field: how many unused keys the account's invite-key pool holds. */
export const MEMBER_KEYS_COUNT_FIELD = 'dev.wayfarer.member_keys_count';
export const PORTABLE_IDENTITY_FEATURE = 'dev.wayfarer.portable_identity';
export const WAYFARER_CLIENT_PREFIX = '/_matrix/client/unstable/dev.wayfarer';
export const MEMBER_KEY_FEDERATION_PREFIX = '/_matrix/federation/unstable/org.matrix.msc4430';

/**
 * `dev.wayfarer.link` inside a member_info entry. `pending`: not checked yet, or an invite whose target's server has
 * not co-signed anything for this key yet; neither verified nor an impostor (clients say "not yet verified").
 */
export type LinkInfo = {
  status: LinkStatus | 'pending';
  localpart?: string;
  domain?: string;
  key_id?: string;
  checked_ts: number;
  reason?: string;
  /** The key's old server `by` kept signing as it after the key moved to `domain` (seen by this homeserver). */
  contested?: ContestedInfo;
};

/** First event that showed a server signing as a member key after the key had moved away from it. */
export type ContestedInfo = { by: string; since_ts: number; event_id: string };

/** One entry of `org.matrix.msc4428.member_info`, keyed by stable ID (`@<member key, URL-safe>`). */
export type MemberInfo = {
  user_id: string | null;
  [LINK_FIELD]?: LinkInfo;
};

export type MemberInfoMap = Record<string, MemberInfo>;

/**
 * The client's rule: a sender is its key. `sender_key`, else `unsigned["org.matrix.msc4428.stable_id"]`
 * (both normalised to URL-safe base64 without `@`), else `sender` as it is (classic rooms).
 * A field that is present but not a valid key is skipped rather than trusted.
 */
export function senderIdentity(event: { sender?: unknown; sender_key?: unknown; unsigned?: unknown }): string {
  if (typeof event !== 'object' || event === null) throw new ProtocolError('invalid_event', 'an event must be a JSON object');
  const fromKey = tryNormalise(event.sender_key);
  if (fromKey !== undefined) return fromKey;
  const unsigned = event.unsigned;
  if (typeof unsigned === 'object' && unsigned !== null) {
    const stable = tryNormalise((unsigned as Record<string, unknown>)[STABLE_ID_FIELD]);
    if (stable !== undefined) return stable;
  }
  if (typeof event.sender === 'string' && event.sender !== '') return event.sender;
  throw new ProtocolError('invalid_event', 'the event has no sender, sender_key or stable ID');
}

/** True when an identity from senderIdentity is a member key (not a classic user ID). */
export function isKeyIdentity(identity: string): boolean {
  return !identity.startsWith('@');
}

function tryNormalise(key: unknown): string | undefined {
  if (typeof key !== 'string') return undefined;
  try {
    return normaliseKey(key);
  } catch {
    return undefined;
  }
}

/** MSC4014's placeholder user IDs for members without a verified link (PROTOCOL.md §5). */
export function unverifiedUserId(localpart: string, domain: string, serverName: string): string {
  return `@_unverified_${toLocalpartChars(localpart)}_${toLocalpartChars(domain)}:${serverName}`;
}

export function erasedUserId(memberKey: string, serverName: string): string {
  return `@_erased_${toLocalpartChars(normaliseKey(memberKey).slice(0, 8))}:${serverName}`;
}

// The spec's (non-bijective) mapping into user-ID localpart characters: lower-case, others as =xx.
function toLocalpartChars(text: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(text.toLowerCase())) {
    const char = String.fromCharCode(byte);
    out += /[a-z0-9._\-/+]/.test(char) ? char : `=${byte.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** The handle a link claims, `@localpart:domain`. */
export function claimedUserId(localpart: string, domain: string): string {
  return `@${localpart}:${domain}`;
}

/**
 * Handles claimed by more than one identity: two keys with one handle are two people, and a client must say so.
 * Returns handle → the distinct identities claiming it, only for handles with two or more.
 */
export function findSharedHandles(claims: Iterable<{ identity: string; handle: string | null | undefined }>): Map<string, string[]> {
  const byHandle = new Map<string, Set<string>>();
  for (const { identity, handle } of claims) {
    if (!handle) continue;
    let identities = byHandle.get(handle);
    if (!identities) byHandle.set(handle, (identities = new Set()));
    identities.add(identity);
  }
  const shared = new Map<string, string[]>();
  for (const [handle, identities] of byHandle) if (identities.size > 1) shared.set(handle, [...identities]);
  return shared;
}
