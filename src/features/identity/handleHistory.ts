// The inspector's handle history: every member event of one key in one room, as the homeserver hands them over
// in federation format (`member_event/{key}?history=true`), each with its date, its handle claim under the badge
// rules (an unverified claim is never shown as a handle) and who co-signed it. Pure: fetching and verifying live
// in browserVerify.ts, rendering in IdentityInspector.tsx.
import { computeEventId, isRecord, normaliseKey, type LinkVerdict } from '../../protocol';
import { handleOf } from '../../domain/identity/badge';
import { t } from '../../i18n';

/** The homeserver's history answer is not what PROTOCOL.md and our server promise. */
export class MemberHistoryError extends Error {
  override name = 'MemberHistoryError';
}

export type SignedMemberEvent = Record<string, unknown> & {
  content: Record<string, unknown>;
  signatures: Record<string, unknown>;
  origin_server_ts: number;
};

function isSignedMemberEvent(value: unknown): value is SignedMemberEvent {
  return (
    isRecord(value) &&
    value.type === 'm.room.member' &&
    isRecord(value.content) &&
    isRecord(value.signatures) &&
    typeof value.origin_server_ts === 'number' &&
    Number.isFinite(value.origin_server_ts)
  );
}

/** `{event, history}` → the history's member events, oldest first; throws MemberHistoryError on any other shape. */
export function parseMemberHistory(body: unknown): SignedMemberEvent[] {
  if (!isRecord(body) || !Array.isArray(body.history))
    throw new MemberHistoryError('the homeserver’s answer has no handle history (is it a Wayfarer homeserver?)');
  body.history.forEach((event, index) => {
    if (!isSignedMemberEvent(event)) throw new MemberHistoryError(`entry ${index + 1} of the handle history is not a signed member event`);
  });
  return (body.history as SignedMemberEvent[]).slice().sort((a, b) => a.origin_server_ts - b.origin_server_ts);
}

function sameKey(a: string, b: string): boolean {
  try {
    return normaliseKey(a) === normaliseKey(b);
  } catch {
    // Server names are not keys.
    return false;
  }
}

/** The server names that signed a member event besides the member key itself, in signature order. */
export function coSignersOf(event: SignedMemberEvent, memberKey: string): string[] {
  return Object.keys(event.signatures).filter((name) => !sameKey(name, memberKey));
}

/** "co-signed by beta", or for a forged event "co-signed by gamma, not by the claimed beta". */
export function coSignatureText(coSigners: readonly string[], domain: string | undefined, verdict?: LinkVerdict): string {
  const by = coSigners.join(', ');
  if (!domain) return coSigners.length > 0 ? t('identity.history.coSignedNoDomain', { by }) : t('identity.history.notCoSignedNoDomain');
  if (!coSigners.includes(domain))
    return coSigners.length > 0 ? t('identity.history.coSignedByOther', { by, domain }) : t('identity.history.notCoSigned', { domain });
  const others = coSigners.filter((name) => name !== domain);
  const text =
    others.length > 0
      ? t('identity.history.coSignedAlso', { domain, others: others.join(', ') })
      : t('identity.history.coSigned', { domain });
  // Vouched for by the homeserver while the domain is unreachable from here (verifyInBrowser's fail open).
  if (verdict?.status === 'verified' && verdict.code === 'never_verified')
    return t('identity.history.notRechecked', { text, reason: verdict.reason });
  if (verdict?.status === 'verified')
    return verdict.keyId ? t('identity.history.checkedKey', { text, keyId: verdict.keyId }) : t('identity.history.checked', { text });
  if (verdict?.status === 'unverified') return t('identity.history.notValid', { text, reason: verdict.reason });
  return text;
}

export type HandleHistoryEntry = {
  /** The event ID (reference hash), or a position when the event cannot be hashed. */
  key: string;
  ts: number;
  membership?: string;
  /** Where a handle would stand: the handle when verified, else '⚠ Unverified handle' or 'Erased'. */
  label: string;
  verified: boolean;
  /** The claim itself, for a tooltip only when `verified` is false. */
  claim?: string;
  domain?: string;
  coSigners: string[];
  coSignedByClaimedDomain: boolean;
  coSignature: string;
};

const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

function eventKey(event: SignedMemberEvent, roomVersion: string, index: number): string {
  try {
    return computeEventId(event, roomVersion);
  } catch {
    return `#${index}`; // an event too malformed to have an ID: its place in the history names it
  }
}

/**
 * One member event of `memberKey` for display. `verdict` is this browser's check of that very event (undefined
 * while not checked yet: the claim then reads as unverified, as elsewhere).
 */
export function historyEntry(
  event: SignedMemberEvent,
  memberKey: string,
  roomVersion: string,
  verdict: LinkVerdict | undefined,
  index = 0,
): HandleHistoryEntry {
  const localpart = text(event.content.localpart);
  const domain = text(event.content.domain);
  const claim = handleOf(localpart, domain);
  const coSigners = coSignersOf(event, memberKey);
  const erased = !localpart || verdict?.status === 'erased';
  const verified = !erased && verdict?.status === 'verified' && verdict.domain === domain && claim !== undefined;
  const entry: HandleHistoryEntry = {
    key: eventKey(event, roomVersion, index),
    ts: event.origin_server_ts,
    label: erased ? t('identity.history.erased') : verified ? claim : t('identity.badge.unverified'),
    verified,
    coSigners,
    coSignedByClaimedDomain: domain !== undefined && coSigners.includes(domain),
    coSignature: coSignatureText(coSigners, domain, verdict),
  };
  const membership = text(event.content.membership);
  if (membership) entry.membership = membership;
  if (domain) entry.domain = domain;
  if (claim && !verified && !erased) entry.claim = claim;
  return entry;
}

/** The whole history, oldest first; `verdicts[i]` belongs to `events[i]`. */
export function describeHandleHistory(
  events: readonly SignedMemberEvent[],
  memberKey: string,
  roomVersion: string,
  verdicts: readonly (LinkVerdict | undefined)[] = [],
): HandleHistoryEntry[] {
  return events.map((event, index) => historyEntry(event, memberKey, roomVersion, verdicts[index], index));
}
