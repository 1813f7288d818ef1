// This browser checks a member's link itself (PROTOCOL.md §4), trusting neither its own homeserver's verdict nor
// its relay: it fetches the member event in federation format from the homeserver, the claimed domain's keys
// straight from that domain, and checks the key response, the member-key signature, the content hash and the
// domain's co-signature with src/protocol (WebCrypto Ed25519 when the browser has it, @noble/ed25519 otherwise).
// Key responses are cached per domain (and the key bytes per (domain, key ID), to fail open and to notice changed
// bytes), verdicts per member event, all with expiry: a room's links cost one key fetch per domain.
import {
  checkContentHash,
  createLinkVerifier,
  isRecord,
  normaliseKey,
  WAYFARER_CLIENT_PREFIX,
  type KeyFetchOutcome,
  type KnownLinkKey,
  type LinkVerdict,
} from '../../protocol';
import { homeserverFetch, MatrixHttpError } from '../../matrix/http';
import { logger } from '../../platform/logger';
import type { BrowserCheck } from '../../domain/identity/badge';

const log = logger('identity:verify');

/** A small async key-value store: IndexedDB (idb-keyval) in the app, a Map in tests. */
export interface VerificationCache {
  get(key: string): Promise<unknown>;
  set(key: string, value: unknown): Promise<void>;
}

export function memoryCache(): VerificationCache & { entries: Map<string, unknown> } {
  const entries = new Map<string, unknown>();
  return { entries, get: async (key) => entries.get(key), set: async (key, value) => void entries.set(key, value) };
}

/** How long a fetched key response is trusted without fetching again (capped by its own valid_until_ts). */
export const KEY_RESPONSE_TTL_MS = 10 * 60 * 1000;
/** How long a verdict on one member event stands before the browser checks again. */
export const VERDICT_TTL_MS = 10 * 60 * 1000;

/** Keys are fetched over plain HTTP only from loopback development names (`*.localhost`, as PROTOCOL.md §6 allows). */
export function keyServerUrl(domain: string): string {
  const host = domain.replace(/:\d+$/, '');
  const local = host === 'localhost' || host.endsWith('.localhost') || host === '127.0.0.1' || host === '[::1]';
  return `${local ? 'http' : 'https'}://${domain}/_matrix/key/v2/server`;
}

/** One GET of a domain's keys, as the link rules need it: 2xx JSON → ok, 404 → not_found, anything else unreachable. */
export async function fetchDomainKeys(fetchFn: typeof fetch, domain: string): Promise<KeyFetchOutcome> {
  try {
    return { kind: 'ok', response: await homeserverFetch(keyServerUrl(domain), { fetch: fetchFn, cache: 'no-store' }) };
  } catch (error) {
    if (!(error instanceof MatrixHttpError)) throw error;
    if (error.kind === 'http' && error.httpStatus === 404) return { kind: 'not_found' };
    if (error.kind === 'not-json') return { kind: 'unreachable', detail: 'the key response is not JSON' };
    if (error.answered) return { kind: 'unreachable', detail: `HTTP ${error.httpStatus}` };
    return { kind: 'unreachable', detail: causeText(error) };
  }
}

/** Why no answer came, in the fetch's own words ("Failed to fetch"). */
function causeText(error: MatrixHttpError): string {
  return error.cause instanceof Error ? error.cause.message : error.cause !== undefined ? String(error.cause) : error.message;
}

type CachedKeys = { outcome: KeyFetchOutcome; expiresTs: number };
type CachedVerdict = { check: BrowserCheck; expiresTs: number };

export interface BrowserVerifierDeps {
  fetch: typeof fetch;
  homeserverUrl: string;
  accessToken: string;
  cache: VerificationCache;
  now?: () => number;
  /** Member events fetched at once: a browser refuses thousands of parallel requests (and a homeserver should not get them). */
  concurrency?: number;
}

export interface MemberToCheck {
  identity: string;
}

export interface VerifyOptions {
  /** "Verify now": fetch everything again, ignoring cached keys and verdicts. */
  force?: boolean;
}

/** Fetches a member event in federation format; throws an Error with words for people when it cannot. */
export async function fetchMemberEvent(
  deps: Pick<BrowserVerifierDeps, 'fetch' | 'homeserverUrl' | 'accessToken'>,
  roomId: string,
  identity: string,
): Promise<unknown> {
  return getMemberEvent(deps, roomId, identity, '');
}

/**
 * The homeserver's `{event, history}` for a key: its member events in this room, oldest first, in federation
 * format (see handleHistory.ts's parseMemberHistory). Throws an Error with words for people when it cannot.
 */
export async function fetchMemberHistory(
  deps: Pick<BrowserVerifierDeps, 'fetch' | 'homeserverUrl' | 'accessToken'>,
  roomId: string,
  identity: string,
): Promise<unknown> {
  return getMemberEvent(deps, roomId, identity, '?history=true');
}

async function getMemberEvent(
  deps: Pick<BrowserVerifierDeps, 'fetch' | 'homeserverUrl' | 'accessToken'>,
  roomId: string,
  identity: string,
  query: string,
): Promise<unknown> {
  const url = `${deps.homeserverUrl.replace(/\/$/, '')}${WAYFARER_CLIENT_PREFIX}/rooms/${encodeURIComponent(roomId)}/member_event/${encodeURIComponent(`@${normaliseKey(identity)}`)}${query}`;
  try {
    return await homeserverFetch(url, { accessToken: deps.accessToken, cache: 'no-store', fetch: deps.fetch });
  } catch (error) {
    if (!(error instanceof MatrixHttpError)) throw error;
    if (!error.answered) throw error.withMessage(`could not reach your homeserver for the member event (${causeText(error)})`);
    if (error.kind === 'not-json') throw error.withMessage('your homeserver answered with a member event that is not JSON');
    throw error.withMessage(
      `your homeserver did not hand over the member event: HTTP ${error.httpStatus}${error.data.error ? ` (${error.data.error})` : ''}`,
    );
  }
}

/** A member event whose content no longer matches its hash, yet still carries a localpart, was altered on the way. */
export function tamperedContent(memberEvent: unknown): boolean {
  if (!isRecord(memberEvent) || !isRecord(memberEvent.content) || !isRecord(memberEvent.hashes)) return false;
  // A redacted member event loses `localpart` and its hash no longer matches: that is erasure, not tampering.
  return typeof memberEvent.content.localpart === 'string' && !checkContentHash(memberEvent);
}

export function checkFromVerdict(verdict: LinkVerdict, nowMs: number, eventId?: string): BrowserCheck {
  const check: BrowserCheck = { state: 'done', status: verdict.status, code: verdict.code, reason: verdict.reason, checkedTs: nowMs };
  if (verdict.domain) check.domain = verdict.domain;
  if (verdict.keyId) check.keyId = verdict.keyId;
  if (eventId) check.eventId = eventId;
  return check;
}

/**
 * Verifies members' links of one room from this browser. Every claimed domain's keys are fetched at most once
 * per call (and not at all while a cached response is fresh); `keyFetches` counts the real fetches.
 */
export function createBrowserVerifier(deps: BrowserVerifierDeps) {
  const now = deps.now ?? Date.now;
  let keyFetches = 0;

  // The cache only saves work: one that can't be read or written (IndexedDB gone, quota) means fetching again.
  async function cached<T>(key: string): Promise<T | undefined> {
    try {
      return (await deps.cache.get(key)) as T | undefined;
    } catch (error) {
      log.debug(`link-check cache unreadable (${key}); checking afresh`, error);
      return undefined;
    }
  }
  async function remember(key: string, value: unknown): Promise<void> {
    try {
      await deps.cache.set(key, value);
    } catch (error) {
      log.debug(`link-check cache not written (${key}); the next check fetches again`, error);
    }
  }

  async function keysOf(domain: string, force: boolean): Promise<KeyFetchOutcome> {
    const cacheKey = `keys ${domain}`;
    if (!force) {
      const keys = await cached<CachedKeys>(cacheKey);
      if (keys && keys.expiresTs > now()) return keys.outcome;
    }
    keyFetches++;
    const outcome = await fetchDomainKeys(deps.fetch, domain);
    if (outcome.kind === 'ok') {
      const validUntil =
        isRecord(outcome.response) && typeof outcome.response.valid_until_ts === 'number' ? outcome.response.valid_until_ts : 0;
      await remember(cacheKey, { outcome, expiresTs: Math.min(validUntil, now() + KEY_RESPONSE_TTL_MS) } satisfies CachedKeys);
    }
    return outcome;
  }

  async function knownKey(domain: string, keyId: string | undefined): Promise<KnownLinkKey | null> {
    if (!keyId) return null;
    return (await cached<KnownLinkKey>(`key ${domain} ${keyId}`)) ?? null;
  }

  async function verifyRoom(
    roomId: string,
    roomVersion: string,
    members: readonly MemberToCheck[],
    options: VerifyOptions = {},
  ): Promise<Map<string, BrowserCheck>> {
    const force = options.force ?? false;
    const startedTs = now();
    const verifier = createLinkVerifier((domain) => keysOf(domain, force), startedTs);
    const results = new Map<string, BrowserCheck>();
    let next = 0;
    const worker = async () => {
      while (next < members.length) {
        const { identity } = members[next++]!;
        results.set(identity, await verifyOne(verifier, roomId, roomVersion, identity, force, startedTs));
      }
    };
    await Promise.all(Array.from({ length: Math.min(deps.concurrency ?? 16, members.length) }, worker));
    return results;
  }

  async function verifyOne(
    verifier: ReturnType<typeof createLinkVerifier>,
    roomId: string,
    roomVersion: string,
    identity: string,
    force: boolean,
    startedTs: number,
  ): Promise<BrowserCheck> {
    let memberEvent: unknown;
    try {
      memberEvent = await fetchMemberEvent(deps, roomId, identity);
    } catch (error) {
      return {
        state: 'done',
        status: 'unverified',
        code: 'fetch_failed',
        reason: error instanceof Error ? error.message : String(error),
        checkedTs: startedTs,
      };
    }
    const eventId =
      typeof (memberEvent as { event_id?: unknown })?.event_id === 'string'
        ? String((memberEvent as { event_id: string }).event_id)
        : undefined;
    const verdictKey = `verdict ${roomId} ${identity} ${fingerprint(memberEvent)}`;
    if (!force) {
      const earlier = await cached<CachedVerdict>(verdictKey);
      if (earlier && earlier.expiresTs > now()) return earlier.check;
    }
    if (tamperedContent(memberEvent)) {
      return {
        state: 'done',
        status: 'unverified',
        code: 'malformed_event',
        reason: 'the member event’s content does not match its content hash: it was altered after it was signed',
        checkedTs: startedTs,
        ...(eventId ? { eventId } : {}),
      };
    }
    const verdict = await verifyWithKnownKey(verifier, memberEvent, roomVersion);
    const check = checkFromVerdict(verdict, startedTs, eventId);
    await remember(verdictKey, { check, expiresTs: startedTs + VERDICT_TTL_MS } satisfies CachedVerdict);
    return check;
  }

  /** One member event, with the key it was last verified with (to notice changed bytes); remembers a verifying key. */
  async function verifyWithKnownKey(
    verifier: ReturnType<typeof createLinkVerifier>,
    memberEvent: unknown,
    roomVersion: string,
  ): Promise<LinkVerdict> {
    const content = isRecord(memberEvent) && isRecord(memberEvent.content) ? memberEvent.content : {};
    const domain = typeof content.domain === 'string' ? content.domain : '';
    const signedKeyIds =
      isRecord(memberEvent) && isRecord(memberEvent.signatures) && isRecord(memberEvent.signatures[domain])
        ? Object.keys(memberEvent.signatures[domain] as object)
        : [];
    const previous = await knownKey(domain, signedKeyIds[0]);
    const verdict = await verifier.verify(memberEvent, roomVersion, previous);
    if (verdict.knownKey) await remember(`key ${verdict.knownKey.domain} ${verdict.knownKey.keyId}`, verdict.knownKey);
    return verdict;
  }

  /**
   * Verdicts on given member events (a key's handle history), in order: each claimed domain's keys fetched at
   * most once per call, none while a cached response is fresh unless `force`.
   */
  async function verifyEvents(roomVersion: string, memberEvents: readonly unknown[], options: VerifyOptions = {}): Promise<LinkVerdict[]> {
    const force = options.force ?? false;
    const verifier = createLinkVerifier((domain) => keysOf(domain, force), now());
    const verdicts: LinkVerdict[] = [];
    for (const memberEvent of memberEvents) verdicts.push(await verifyWithKnownKey(verifier, memberEvent, roomVersion));
    return verdicts;
  }

  return { verifyRoom, verifyEvents, keyFetches: () => keyFetches };
}

export type BrowserVerifier = ReturnType<typeof createBrowserVerifier>;

// Member events in federation format carry no event ID: the content hash and signatures identify the version checked.
function fingerprint(memberEvent: unknown): string {
  if (!isRecord(memberEvent)) return 'invalid';
  const hash = isRecord(memberEvent.hashes) && typeof memberEvent.hashes.sha256 === 'string' ? memberEvent.hashes.sha256 : '';
  return `${hash} ${JSON.stringify(memberEvent.signatures ?? null)}`;
}
