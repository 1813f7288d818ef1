import { decodeBase64, encodeBase64 } from './base64';
import { checkContentHash, verifyEventSignature } from './events';
import { decodePublicKey, normaliseKey } from './keys';
import { redactEvent } from './redaction';
import { getRoomVersion, type RoomVersion } from './room-versions';
import { verifyServerKeyResponse, type VerifiedServerKeys } from './server-keys';
import { isRecord } from './signing';

export type LinkStatus = 'verified' | 'unverified' | 'erased';

/** Outcome of `GET https://<domain>/_matrix/key/v2/server`, as the caller's I/O saw it. */
export type KeyFetchOutcome = { kind: 'ok'; response: unknown } | { kind: 'not_found' } | { kind: 'unreachable'; detail?: string };

/** The domain key a link was last verified with: remember it to fail open while the domain is unreachable. */
export type KnownLinkKey = { domain: string; keyId: string; key: string; validUntilTs: number; verifiedTs: number };

export type LinkVerdictCode =
  | 'verified'
  | 'verified_with_last_known_key'
  | 'erased'
  | 'malformed_event'
  | 'unsupported_room_version'
  | 'bad_member_signature'
  | 'domain_not_found'
  | 'invalid_key_response'
  | 'no_co_signature'
  | 'key_missing'
  | 'key_moved_to_old'
  | 'key_changed'
  | 'bad_co_signature'
  | 'never_verified';

export type LinkVerdict = {
  status: LinkStatus;
  code: LinkVerdictCode;
  reason: string;
  /** The member whose link this is (the event's state_key), normalised as `normaliseKey` does; '' if unreadable. */
  memberKey: string;
  localpart?: string;
  domain?: string;
  keyId?: string;
  /** Present when verified: what to pass as `previous` next time. */
  knownKey?: KnownLinkKey;
};

/** One domain's key fetch, checked once and reused for every member event that claims that domain. */
export type DomainKeys =
  | { domain: string; kind: 'ok'; keys: VerifiedServerKeys }
  | { domain: string; kind: 'invalid'; reason: string }
  | { domain: string; kind: 'not_found' }
  | { domain: string; kind: 'unreachable'; detail?: string };

export async function prepareDomainKeys(domain: string, fetch: KeyFetchOutcome, nowMs: number): Promise<DomainKeys> {
  if (fetch.kind === 'not_found') return { domain, kind: 'not_found' };
  if (fetch.kind === 'unreachable')
    return fetch.detail === undefined ? { domain, kind: 'unreachable' } : { domain, kind: 'unreachable', detail: fetch.detail };
  const checked = await verifyServerKeyResponse(fetch.response, domain, nowMs);
  return checked.ok ? { domain, kind: 'ok', keys: checked } : { domain, kind: 'invalid', reason: checked.reason };
}

export type LinkInput = {
  memberEvent: unknown;
  roomVersion: string;
  fetch: KeyFetchOutcome;
  previous?: KnownLinkKey | null;
  nowMs: number;
};

/** PROTOCOL.md §4 for one member event (federation format) and its domain's key fetch. Never throws. */
export async function verifyLink(input: LinkInput): Promise<LinkVerdict> {
  const domain = claimedDomain(input.memberEvent);
  const keys = await prepareDomainKeys(domain ?? '', input.fetch, input.nowMs);
  return verifyLinkWithKeys(input, keys);
}

/**
 * The same, against a DomainKeys prepared once per domain: checking 2,000 members of 40 domains costs 40
 * key-response checks, then one member signature and one co-signature per member.
 */
export async function verifyLinkWithKeys(
  input: { memberEvent: unknown; roomVersion: string; previous?: KnownLinkKey | null; nowMs: number },
  keys: DomainKeys,
): Promise<LinkVerdict> {
  const parsed = parseMemberEvent(input.memberEvent, input.roomVersion);
  if ('verdict' in parsed) return parsed.verdict;
  const { event, version, memberKey, sender, domain } = parsed;
  const base = { memberKey, domain };

  if (!(await verifyEventSignature(event, version, sender, version.memberKeyId!, decodePublicKey(sender)))) {
    return {
      ...base,
      status: 'unverified',
      code: 'bad_member_signature',
      reason: 'the member event is not validly signed by its sender’s member key',
    };
  }
  // A content hash that does not match means the event was redacted (or tampered with): use the redacted form.
  const effective = checkContentHash(event) ? event : redactEvent(event, version);
  const content = effective.content as Record<string, unknown>;
  if (typeof content.localpart !== 'string' || content.localpart === '') {
    return { ...base, status: 'erased', code: 'erased', reason: 'the member event was redacted: its localpart is gone' };
  }
  const claim = { ...base, localpart: content.localpart };
  if (keys.domain !== domain) {
    return { ...claim, status: 'unverified', code: 'malformed_event', reason: `keys of ${keys.domain} cannot verify a claim on ${domain}` };
  }
  const coSignatures = event.signatures as Record<string, unknown>;
  const byDomain = isRecord(coSignatures[domain]) ? Object.keys(coSignatures[domain] as object) : [];
  if (byDomain.length === 0) {
    return { ...claim, status: 'unverified', code: 'no_co_signature', reason: `${domain} has not co-signed this member event` };
  }
  if (keys.kind === 'unreachable') return failOpen(event, version, claim, domain, input.previous ?? null, keys.detail);
  if (keys.kind === 'not_found') {
    return { ...claim, status: 'unverified', code: 'domain_not_found', reason: `${domain} answered 404 for its signing keys` };
  }
  if (keys.kind === 'invalid') {
    return {
      ...claim,
      status: 'unverified',
      code: 'invalid_key_response',
      reason: `${domain}’s key response is not usable: ${keys.reason}`,
    };
  }
  return checkCoSignature(event, version, claim, byDomain, keys.keys, input.previous ?? null, input.nowMs);
}

/** Each claimed domain's keys, fetched and checked at most once for as long as the cache is kept (one pass). */
export interface DomainKeyCache {
  keysFor(domain: string): Promise<DomainKeys>;
  /** Domains fetched so far. */
  fetches(): number;
  domainsFetched(): string[];
  /** Drops a domain's result so the next lookup fetches again (e.g. it was unreachable). */
  forget(domain: string): void;
  readonly createdTs: number;
}

export function createDomainKeyCache(fetchKeys: (domain: string) => Promise<KeyFetchOutcome>, nowMs: number): DomainKeyCache {
  const byDomain = new Map<string, Promise<DomainKeys>>();
  return {
    createdTs: nowMs,
    fetches: () => byDomain.size,
    domainsFetched: () => [...byDomain.keys()],
    forget: (domain: string) => void byDomain.delete(domain),
    keysFor(domain: string) {
      let keys = byDomain.get(domain);
      if (!keys) {
        keys = fetchKeys(domain)
          .catch((error: unknown): KeyFetchOutcome => ({ kind: 'unreachable', detail: String(error) }))
          .then((outcome) => prepareDomainKeys(domain, outcome, nowMs));
        byDomain.set(domain, keys);
      }
      return keys;
    },
  };
}

/** Verifies many member events, fetching each claimed domain's keys once (through the caller's `fetchKeys`). */
export function createLinkVerifier(fetchKeys: (domain: string) => Promise<KeyFetchOutcome>, nowMs: number) {
  const cache = createDomainKeyCache(fetchKeys, nowMs);
  return {
    async verify(memberEvent: unknown, roomVersion: string, previous?: KnownLinkKey | null): Promise<LinkVerdict> {
      const domain = claimedDomain(memberEvent) ?? '';
      return verifyLinkWithKeys({ memberEvent, roomVersion, previous: previous ?? null, nowMs }, await cache.keysFor(domain));
    },
    domainsFetched: cache.domainsFetched,
  };
}

type Claim = { memberKey: string; domain: string; localpart: string };

async function checkCoSignature(
  event: Record<string, unknown>,
  version: RoomVersion,
  claim: Claim,
  signedKeyIds: string[],
  keys: VerifiedServerKeys,
  previous: KnownLinkKey | null,
  nowMs: number,
): Promise<LinkVerdict> {
  let failure: LinkVerdict | undefined;
  const worse = (verdict: LinkVerdict) => {
    if (!failure || FAILURE_RANK[verdict.code]! > FAILURE_RANK[failure.code]!) failure = verdict;
  };
  for (const keyId of signedKeyIds) {
    const key = keys.verifyKeys[keyId];
    if (key === undefined) {
      if (keys.oldVerifyKeys[keyId]) {
        worse({
          ...claim,
          keyId,
          status: 'unverified',
          code: 'key_moved_to_old',
          reason: `${claim.domain} has retired the key ${keyId} that co-signed this member (it is now in old_verify_keys)`,
        });
      } else {
        worse({
          ...claim,
          keyId,
          status: 'unverified',
          code: 'key_missing',
          reason: `${claim.domain} no longer publishes the key ${keyId} that co-signed this member`,
        });
      }
      continue;
    }
    if (previous && previous.domain === claim.domain && previous.keyId === keyId && !sameKey(previous.key, key)) {
      worse({
        ...claim,
        keyId,
        status: 'unverified',
        code: 'key_changed',
        reason: `${claim.domain}’s key ${keyId} has different bytes than when this link was last verified`,
      });
      continue;
    }
    if (!(await verifyEventSignature(event, version, claim.domain, keyId, decodeBase64(key)))) {
      worse({
        ...claim,
        keyId,
        status: 'unverified',
        code: 'bad_co_signature',
        reason: `the co-signature by ${claim.domain} (${keyId}) is not valid`,
      });
      continue;
    }
    return {
      ...claim,
      keyId,
      status: 'verified',
      code: 'verified',
      reason: `co-signed by ${claim.domain}’s current key ${keyId}`,
      knownKey: { domain: claim.domain, keyId, key, validUntilTs: keys.validUntilTs, verifiedTs: nowMs },
    };
  }
  return failure!;
}

const FAILURE_RANK: Partial<Record<LinkVerdictCode, number>> = { key_missing: 1, key_moved_to_old: 2, key_changed: 3, bad_co_signature: 4 };

async function failOpen(
  event: Record<string, unknown>,
  version: RoomVersion,
  claim: Claim,
  domain: string,
  previous: KnownLinkKey | null,
  detail: string | undefined,
): Promise<LinkVerdict> {
  const why = `${domain} is unreachable${detail ? ` (${detail})` : ''}`;
  if (!previous || previous.domain !== domain) {
    return { ...claim, status: 'unverified', code: 'never_verified', reason: `${why} and this link was never verified` };
  }
  const valid = await verifyEventSignature(event, version, domain, previous.keyId, decodeBase64(previous.key)).catch(() => false);
  if (!valid) {
    return {
      ...claim,
      keyId: previous.keyId,
      status: 'unverified',
      code: 'bad_co_signature',
      reason: `${why} and the member event is not co-signed by its last known key ${previous.keyId}`,
    };
  }
  return {
    ...claim,
    keyId: previous.keyId,
    status: 'verified',
    code: 'verified_with_last_known_key',
    reason: `${why}; the last known key ${previous.keyId} still stands (fail open)`,
    knownKey: previous,
  };
}

type ParsedMemberEvent = { event: Record<string, unknown>; version: RoomVersion; memberKey: string; sender: string; domain: string };

function parseMemberEvent(memberEvent: unknown, roomVersion: string): ParsedMemberEvent | { verdict: LinkVerdict } {
  const malformed = (reason: string, memberKey = ''): { verdict: LinkVerdict } => ({
    verdict: { status: 'unverified', code: 'malformed_event', reason: `malformed member event: ${reason}`, memberKey },
  });
  const version = knownVersion(roomVersion);
  if (!version?.usesMemberKeys) {
    return {
      verdict: {
        status: 'unverified',
        code: 'unsupported_room_version',
        reason: `room version ${JSON.stringify(roomVersion)} has no member-key links`,
        memberKey: '',
      },
    };
  }
  if (!isRecord(memberEvent)) return malformed('not a JSON object');
  if (memberEvent.type !== 'm.room.member') return malformed(`type is ${JSON.stringify(memberEvent.type)}, not m.room.member`);
  const memberKey = safeNormalise(memberEvent.state_key);
  if (memberKey === undefined) return malformed('state_key is not a member key');
  const sender = memberEvent.sender;
  if (typeof sender !== 'string' || !sender.startsWith('@') || safeNormalise(sender) === undefined)
    return malformed('sender is not a member key', memberKey);
  if (!isRecord(memberEvent.content)) return malformed('content is not an object', memberKey);
  if (!isRecord(memberEvent.signatures)) return malformed('signatures are missing', memberKey);
  const domain = memberEvent.content.domain;
  if (typeof domain !== 'string' || domain === '') return malformed('content.domain is missing', memberKey);
  return { event: memberEvent, version, memberKey, sender, domain };
}

function claimedDomain(memberEvent: unknown): string | undefined {
  if (!isRecord(memberEvent) || !isRecord(memberEvent.content)) return undefined;
  const domain = memberEvent.content.domain;
  return typeof domain === 'string' ? domain : undefined;
}

function knownVersion(id: string): RoomVersion | undefined {
  try {
    return getRoomVersion(id);
  } catch {
    return undefined;
  }
}

function safeNormalise(key: unknown): string | undefined {
  if (typeof key !== 'string' || !key.startsWith('@')) return undefined;
  try {
    return normaliseKey(key);
  } catch {
    return undefined;
  }
}

function sameKey(a: string, b: string): boolean {
  try {
    return encodeBase64(decodeBase64(a)) === encodeBase64(decodeBase64(b));
  } catch {
    return false;
  }
}
