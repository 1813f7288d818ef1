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
  type LinkInfo,
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

/** How long one check waits for one answer (a domain's keys, the member event) when the caller names no limit. */
export const CHECK_TIMEOUT_MS = 10_000;

/**
 * One GET of a domain's keys, as the link rules need it: 2xx JSON → ok, 404 → not_found, anything else (no answer
 * within `timeoutMs` included: a hung server must not leave "Verify now" checking for ever) unreachable.
 */
export async function fetchDomainKeys(fetchFn: typeof fetch, domain: string, timeoutMs = CHECK_TIMEOUT_MS): Promise<KeyFetchOutcome> {
  try {
    return { kind: 'ok', response: await homeserverFetch(keyServerUrl(domain), { fetch: fetchFn, cache: 'no-store', timeoutMs }) };
  } catch (error) {
    if (!(error instanceof MatrixHttpError)) throw error;
    if (error.kind === 'http' && error.httpStatus === 404) return { kind: 'not_found' };
    if (error.kind === 'not-json') return { kind: 'unreachable', detail: 'the key response is not JSON' };
    if (error.answered) return { kind: 'unreachable', detail: `HTTP ${error.httpStatus}` };
    return { kind: 'unreachable', detail: causeText(error, timeoutMs) };
  }
}

/** Why no answer came, in the fetch's own words ("Failed to fetch"), or that none came in time. */
function causeText(error: MatrixHttpError, timeoutMs: number): string {
  if (error.kind === 'timeout') return `no answer within ${Math.round(timeoutMs / 100) / 10} s`;
  return error.cause instanceof Error ? error.cause.message : error.cause !== undefined ? String(error.cause) : error.message;
}

type CachedKeys = { outcome: KeyFetchOutcome; expiresTs: number };
/** A verdict on one version of a member event (its `fingerprint`), standing until `expiresTs`. */
type CachedVerdict = { fingerprint: string; check: BrowserCheck; expiresTs: number };
/**
 * A room's verdicts by member identity, kept as one cache entry (`verdicts {roomId}`): IndexedDB charges per entry
 * read or written, so a 2,000-member pass reads one entry and writes one instead of 2,000 of each.
 */
type RoomVerdicts = Map<string, CachedVerdict>;
/** Known keys (`key {domain} {keyId}`) read and written during one pass: 40 domains cost 40 reads, not one per member. */
type KnownKeys = Map<string, Promise<KnownLinkKey | null>>;

export interface BrowserVerifierDeps {
  fetch: typeof fetch;
  homeserverUrl: string;
  accessToken: string;
  cache: VerificationCache;
  now?: () => number;
  /** Member events fetched at once: a browser refuses thousands of parallel requests (and a homeserver should not get them). */
  concurrency?: number;
  /** How long one request may go unanswered (CHECK_TIMEOUT_MS when omitted). */
  timeoutMs?: number;
  /**
   * The homeserver's own verdict on a member's link (member_info), for failing open: a link it verified stays
   * verified while the domain (or the homeserver) cannot be reached from here, marked as not re-checked.
   */
  homeserverSays?: (roomId: string, identity: string) => LinkInfo | undefined;
}

export interface MemberToCheck {
  identity: string;
}

export interface VerifyOptions {
  /** "Verify now": fetch everything again, ignoring cached keys and verdicts. */
  force?: boolean;
  /** How many members the room has (joined and invited): decides between pages of the room and one request each. */
  roomSize?: number;
}

/** The most `member_events` gives per page (PROTOCOL.md §5): a 2,000-member room comes in two requests. */
export const MEMBER_EVENTS_PAGE = 1000;
/** Checks run at once once the member events are in hand (no requests left but the domains' keys). */
const PAGED_CONCURRENCY = 64;

/** Pages of the whole room cost fewer requests than one per member: never for a single member. */
export function fewerRequestsInPages(members: number, roomSize = members): boolean {
  return members > 1 && Math.ceil(Math.max(roomSize, members) / MEMBER_EVENTS_PAGE) < members;
}

type PagedMemberEvents = { events?: Map<string, unknown>; error?: unknown };

/** A homeserver that does not know the endpoint: 404 or 405 `M_UNRECOGNIZED`, or a bare 404 (a proxy's). */
export function unsupportedEndpoint(error: MatrixHttpError): boolean {
  if (!error.answered) return false;
  if (error.errcode === 'M_UNRECOGNIZED') return true;
  return (error.httpStatus === 404 || error.httpStatus === 405) && error.errcode === undefined;
}

/** A room's page limit: nobody's member events page through for ever (100,000 members at 1,000 a page). */
const MAX_PAGES = 100;

/**
 * The room's current member events (federation format, PROTOCOL.md §5 `member_events`), every page, by normalised
 * member key (the event's own state_key). A key that comes twice is left out (asked for on its own instead).
 * Throws a MatrixHttpError with words for people when a page cannot be had.
 */
export async function fetchRoomMemberEvents(
  deps: Pick<BrowserVerifierDeps, 'fetch' | 'homeserverUrl' | 'accessToken' | 'timeoutMs'>,
  roomId: string,
): Promise<Map<string, unknown>> {
  const base = `${deps.homeserverUrl.replace(/\/$/, '')}${WAYFARER_CLIENT_PREFIX}/rooms/${encodeURIComponent(roomId)}/member_events`;
  const timeoutMs = deps.timeoutMs ?? CHECK_TIMEOUT_MS;
  const events = new Map<string, unknown>();
  const twice = new Set<string>();
  let from: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const url = `${base}?limit=${MEMBER_EVENTS_PAGE}${from === undefined ? '' : `&from=${encodeURIComponent(from)}`}`;
    let body: unknown;
    try {
      body = await homeserverFetch(url, { accessToken: deps.accessToken, cache: 'no-store', fetch: deps.fetch, timeoutMs });
    } catch (error) {
      if (!(error instanceof MatrixHttpError)) throw error;
      if (!error.answered)
        throw error.withMessage(`could not reach your homeserver for the room’s member events (${causeText(error, timeoutMs)})`);
      if (unsupportedEndpoint(error)) throw error;
      throw error.withMessage(
        `your homeserver did not hand over the room’s member events: HTTP ${error.httpStatus}${error.data.error ? ` (${error.data.error})` : ''}`,
      );
    }
    if (!isRecord(body) || !Array.isArray(body.chunk))
      throw new MatrixHttpError({
        kind: 'unexpected',
        url,
        httpStatus: 200,
        message: 'your homeserver answered member_events without a chunk',
      });
    for (const event of body.chunk) {
      const key = isRecord(event) ? memberKeyOf(event.state_key) : undefined;
      if (key === undefined) continue;
      if (events.has(key)) twice.add(key);
      events.set(key, event);
    }
    const nextBatch = body.next_batch;
    if (typeof nextBatch !== 'string' || nextBatch === '' || nextBatch === from) break;
    from = nextBatch;
  }
  for (const key of twice) events.delete(key);
  return events;
}

function memberKeyOf(stateKey: unknown): string | undefined {
  if (typeof stateKey !== 'string') return undefined;
  try {
    return normaliseKey(stateKey);
  } catch {
    return undefined;
  }
}

/** Fetches a member event in federation format; throws an Error with words for people when it cannot. */
export async function fetchMemberEvent(
  deps: Pick<BrowserVerifierDeps, 'fetch' | 'homeserverUrl' | 'accessToken' | 'timeoutMs'>,
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
  deps: Pick<BrowserVerifierDeps, 'fetch' | 'homeserverUrl' | 'accessToken' | 'timeoutMs'>,
  roomId: string,
  identity: string,
): Promise<unknown> {
  return getMemberEvent(deps, roomId, identity, '?history=true');
}

async function getMemberEvent(
  deps: Pick<BrowserVerifierDeps, 'fetch' | 'homeserverUrl' | 'accessToken' | 'timeoutMs'>,
  roomId: string,
  identity: string,
  query: string,
): Promise<unknown> {
  const url = `${deps.homeserverUrl.replace(/\/$/, '')}${WAYFARER_CLIENT_PREFIX}/rooms/${encodeURIComponent(roomId)}/member_event/${encodeURIComponent(`@${normaliseKey(identity)}`)}${query}`;
  const timeoutMs = deps.timeoutMs ?? CHECK_TIMEOUT_MS;
  try {
    return await homeserverFetch(url, { accessToken: deps.accessToken, cache: 'no-store', fetch: deps.fetch, timeoutMs });
  } catch (error) {
    if (!(error instanceof MatrixHttpError)) throw error;
    if (!error.answered) throw error.withMessage(`could not reach your homeserver for the member event (${causeText(error, timeoutMs)})`);
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
 * The domain did not answer (PROTOCOL.md §4): a link this browser verified before stands on its last known key; one
 * only the homeserver verified stands on the homeserver's word. Either is "verified, not re-checked", never
 * "unverified". Undefined when the domain answered, or when nobody ever verified the link.
 */
export function failOpenCheck(verdict: LinkVerdict, nowMs: number, eventId?: string, homeserver?: LinkInfo): BrowserCheck | undefined {
  const domain = verdict.domain ?? '';
  if (verdict.code === 'verified_with_last_known_key' && verdict.knownKey) {
    const check = checkFromVerdict(verdict, nowMs, eventId);
    if (check.state === 'done') check.unreachable = { domain, by: 'browser', lastVerifiedTs: verdict.knownKey.verifiedTs };
    return check;
  }
  if (verdict.code === 'never_verified' && homeserver?.status === 'verified' && homeserver.domain === verdict.domain) {
    const check: BrowserCheck = {
      state: 'done',
      status: 'verified',
      code: 'not_rechecked',
      reason: unreachableReason(verdict),
      checkedTs: nowMs,
      domain,
      unreachable: { domain, by: 'homeserver', lastVerifiedTs: homeserver.checked_ts },
    };
    if (homeserver.key_id) check.keyId = homeserver.key_id;
    if (eventId) check.eventId = eventId;
    return check;
  }
  return undefined;
}

/** "beta is unreachable (no answer within 2 s)", without "and this link was never verified" (the homeserver did). */
export function unreachableReason(verdict: LinkVerdict): string {
  return verdict.reason.replace(/ and this link was never verified$/, '');
}

/**
 * The homeserver's word for the current member event in a handle history (the last one, claiming the domain the
 * homeserver verified), where this browser could not reach that domain and never verified it: verified, marked as
 * not re-checked (handleHistory's coSignatureText). Other verdicts are returned as they are.
 */
export function vouchedHistory(verdicts: readonly LinkVerdict[], homeserver: LinkInfo | undefined): LinkVerdict[] {
  const out = [...verdicts];
  const last = out.at(-1);
  if (last?.code === 'never_verified' && homeserver?.status === 'verified' && homeserver.domain === last.domain)
    out[out.length - 1] = { ...last, status: 'verified', reason: unreachableReason(last) };
  return out;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
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
    const outcome = await fetchDomainKeys(deps.fetch, domain, deps.timeoutMs);
    if (outcome.kind === 'ok') {
      const validUntil =
        isRecord(outcome.response) && typeof outcome.response.valid_until_ts === 'number' ? outcome.response.valid_until_ts : 0;
      await remember(cacheKey, { outcome, expiresTs: Math.min(validUntil, now() + KEY_RESPONSE_TTL_MS) } satisfies CachedKeys);
    }
    return outcome;
  }

  async function knownKey(known: KnownKeys, domain: string, keyId: string | undefined): Promise<KnownLinkKey | null> {
    if (!keyId) return null;
    const cacheKey = `key ${domain} ${keyId}`;
    let key = known.get(cacheKey);
    if (!key) known.set(cacheKey, (key = cached<KnownLinkKey>(cacheKey).then((k) => k ?? null)));
    return key;
  }

  /** Remembers the key a link verified with; the members of one domain verified in one pass write it once. */
  async function rememberKnownKey(known: KnownKeys, key: KnownLinkKey): Promise<void> {
    const cacheKey = `key ${key.domain} ${key.keyId}`;
    const before = await known.get(cacheKey);
    if (before && sameKnownKey(before, key)) return;
    known.set(cacheKey, Promise.resolve(key));
    await remember(cacheKey, key);
  }

  /** The room's verdicts in the cache (an empty map when none, or unreadable). */
  async function roomVerdicts(roomId: string): Promise<RoomVerdicts> {
    const stored = await cached<unknown>(`verdicts ${roomId}`);
    return stored instanceof Map ? (stored as RoomVerdicts) : new Map();
  }

  /** Adds this pass's verdicts to the room's entry (read again: another pass may have written meanwhile), expired ones dropped. */
  async function saveVerdicts(roomId: string, fresh: RoomVerdicts): Promise<void> {
    if (fresh.size === 0) return;
    const nowMs = now();
    const merged: RoomVerdicts = new Map();
    for (const [identity, verdict] of await roomVerdicts(roomId)) if (verdict.expiresTs > nowMs) merged.set(identity, verdict);
    for (const [identity, verdict] of fresh) merged.set(identity, verdict);
    await remember(`verdicts ${roomId}`, merged);
  }

  // A homeserver without the member_events endpoint is asked one member at a time from then on.
  let pagesUnsupported = false;

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
    const paged = !pagesUnsupported && fewerRequestsInPages(members.length, options.roomSize) ? await roomMemberEvents(roomId) : undefined;
    const pass: Pass = { roomId, roomVersion, startedTs, paged, known: new Map(), fresh: new Map() };
    // "Verify now" reads no earlier verdict.
    if (!force) pass.earlier = await roomVerdicts(roomId);
    let next = 0;
    const worker = async () => {
      while (next < members.length) {
        const { identity } = members[next++]!;
        results.set(identity, await verifyOne(verifier, pass, identity));
      }
    };
    // With the events in hand only the checks are left: more of them at once keep WebCrypto busy.
    const concurrency = paged ? PAGED_CONCURRENCY : (deps.concurrency ?? 16);
    await Promise.all(Array.from({ length: Math.min(concurrency, members.length) }, worker));
    await saveVerdicts(roomId, pass.fresh);
    return results;
  }

  /**
   * The room's member events in pages, by normalised member key; undefined when the homeserver lacks the endpoint
   * (then per member, as before); a failure (no answer, a refusal) stands for every member's own request.
   */
  async function roomMemberEvents(roomId: string): Promise<PagedMemberEvents | undefined> {
    try {
      return { events: await fetchRoomMemberEvents(deps, roomId) };
    } catch (error) {
      if (error instanceof MatrixHttpError && unsupportedEndpoint(error)) {
        pagesUnsupported = true;
        log.info('the homeserver has no member_events endpoint; fetching member events one by one');
        return undefined;
      }
      return { error };
    }
  }

  async function verifyOne(verifier: ReturnType<typeof createLinkVerifier>, pass: Pass, identity: string): Promise<BrowserCheck> {
    const { roomId, roomVersion, startedTs, paged } = pass;
    let memberEvent: unknown;
    try {
      if (paged?.error !== undefined) throw paged.error;
      // Not among the pages (joined since, or the two views differ): asked for on its own, as before.
      memberEvent = paged?.events?.get(memberKeyOf(identity) ?? identity) ?? (await fetchMemberEvent(deps, roomId, identity));
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      // The homeserver itself did not answer: a link it verified before stays so (fail open), not re-checked.
      const earlier = deps.homeserverSays?.(roomId, identity);
      if (error instanceof MatrixHttpError && !error.answered && earlier?.status === 'verified') {
        return {
          state: 'done',
          status: 'verified',
          code: 'fetch_failed',
          reason,
          checkedTs: startedTs,
          unreachable: { domain: hostOf(deps.homeserverUrl), by: 'homeserver', lastVerifiedTs: earlier.checked_ts },
          ...(earlier.key_id ? { keyId: earlier.key_id } : {}),
        };
      }
      return { state: 'done', status: 'unverified', code: 'fetch_failed', reason, checkedTs: startedTs };
    }
    const eventId =
      typeof (memberEvent as { event_id?: unknown })?.event_id === 'string'
        ? String((memberEvent as { event_id: string }).event_id)
        : undefined;
    const print = fingerprint(memberEvent);
    const earlier = pass.earlier?.get(identity);
    if (earlier && earlier.fingerprint === print && earlier.expiresTs > now()) return earlier.check;
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
    const verdict = await verifyWithKnownKey(verifier, pass.known, memberEvent, roomVersion);
    const failedOpen = failOpenCheck(verdict, startedTs, eventId, deps.homeserverSays?.(roomId, identity));
    if (failedOpen) return failedOpen; // not cached: the next check tries the domain again
    const check = checkFromVerdict(verdict, startedTs, eventId);
    // Written with the pass's other verdicts, in one entry, when the pass ends.
    pass.fresh.set(identity, { fingerprint: print, check, expiresTs: startedTs + VERDICT_TTL_MS });
    return check;
  }

  /** One member event, with the key it was last verified with (to notice changed bytes); remembers a verifying key. */
  async function verifyWithKnownKey(
    verifier: ReturnType<typeof createLinkVerifier>,
    known: KnownKeys,
    memberEvent: unknown,
    roomVersion: string,
  ): Promise<LinkVerdict> {
    const content = isRecord(memberEvent) && isRecord(memberEvent.content) ? memberEvent.content : {};
    const domain = typeof content.domain === 'string' ? content.domain : '';
    const signedKeyIds =
      isRecord(memberEvent) && isRecord(memberEvent.signatures) && isRecord(memberEvent.signatures[domain])
        ? Object.keys(memberEvent.signatures[domain] as object)
        : [];
    const previous = await knownKey(known, domain, signedKeyIds[0]);
    const verdict = await verifier.verify(memberEvent, roomVersion, previous);
    if (verdict.knownKey) await rememberKnownKey(known, verdict.knownKey);
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
    const known: KnownKeys = new Map();
    for (const memberEvent of memberEvents) verdicts.push(await verifyWithKnownKey(verifier, known, memberEvent, roomVersion));
    return verdicts;
  }

  return { verifyRoom, verifyEvents, keyFetches: () => keyFetches };
}

export type BrowserVerifier = ReturnType<typeof createBrowserVerifier>;

/** One verifyRoom call: its room, the verdicts cached before it (none on "Verify now"), and the ones it reaches. */
interface Pass {
  roomId: string;
  roomVersion: string;
  startedTs: number;
  paged: PagedMemberEvents | undefined;
  earlier?: RoomVerdicts;
  fresh: RoomVerdicts;
  known: KnownKeys;
}

function sameKnownKey(a: KnownLinkKey, b: KnownLinkKey): boolean {
  return (
    a.domain === b.domain && a.keyId === b.keyId && a.key === b.key && a.validUntilTs === b.validUntilTs && a.verifiedTs === b.verifiedTs
  );
}

// Member events in federation format carry no event ID: the content hash and signatures identify the version checked.
function fingerprint(memberEvent: unknown): string {
  if (!isRecord(memberEvent)) return 'invalid';
  const hash = isRecord(memberEvent.hashes) && typeof memberEvent.hashes.sha256 === 'string' ? memberEvent.hashes.sha256 : '';
  return `${hash} ${JSON.stringify(memberEvent.signatures ?? null)}`;
}
