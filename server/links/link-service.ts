// Is member key K really @localpart:domain? (PROTOCOL.md §4, checked by src/protocol's verifyLinkWithKeys.)
// Each claimed domain's current keys are fetched once and cached until the next re-check (`--link-recheck-seconds`),
// never once per member. Verdicts are cached per member event and persisted per member (with the key last verified,
// for failing open across restarts); a change of status gets a stream position, so /sync reports it in member_info.
import {
  erasedUserId,
  LINK_FIELD,
  normaliseKey,
  unverifiedUserId,
  type KnownLinkKey,
  type LinkInfo,
  type LinkVerdict,
  type MemberInfo,
} from '../../src/protocol';
import type { Homeserver } from '../homeserver';
import type { Pdu } from '../rooms/pdu';
import { usesMemberKeys } from '../rooms/room-versions';
import type { Db } from '../storage/database';
import type { StoredEvent } from '../storage/events';
import { ContestedStore, signedAfterMove } from './contested';
import { checkLinks, createDomainKeyCache, type DomainKeyCache, type LinkCheckItem } from './recheck';

/** Verdicts that a re-signed copy of the event (MSC4430: after a key rotation) may turn around. */
const RESIGNABLE = new Set(['key_moved_to_old', 'key_missing', 'key_changed', 'bad_co_signature']);
/** An unreachable domain is asked again after this long, not only at the next scheduled re-check. */
const UNREACHABLE_RETRY_MS = 60_000;

interface LinkRow {
  room_id: string;
  member_key: string;
  event_id: string;
  info: string;
  known_key: string | null;
  stream_id: number;
}

class LinkStore {
  private readonly s;
  constructor(db: Db) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS link_state (
        room_id TEXT NOT NULL,
        member_key TEXT NOT NULL,
        event_id TEXT NOT NULL,
        info TEXT NOT NULL,
        known_key TEXT,
        stream_id INTEGER NOT NULL,
        PRIMARY KEY (room_id, member_key)
      );
      CREATE INDEX IF NOT EXISTS link_state_stream ON link_state (room_id, stream_id);
    `);
    this.s = {
      get: db.prepare('SELECT room_id, member_key, event_id, info, known_key, stream_id FROM link_state WHERE room_id = ? AND member_key = ?'),
      put: db.prepare(
        `INSERT INTO link_state (room_id, member_key, event_id, info, known_key, stream_id) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (room_id, member_key) DO UPDATE SET event_id = excluded.event_id, info = excluded.info, known_key = excluded.known_key, stream_id = excluded.stream_id`,
      ),
      changed: db.prepare('SELECT member_key FROM link_state WHERE room_id = ? AND stream_id > ? AND stream_id <= ?'),
      maxStream: db.prepare('SELECT MAX(stream_id) AS m FROM link_state'),
    };
  }
  get(roomId: string, memberKey: string): LinkRow | undefined {
    return this.s.get.get(roomId, memberKey) as LinkRow | undefined;
  }
  put(row: LinkRow): void {
    this.s.put.run(row.room_id, row.member_key, row.event_id, row.info, row.known_key, row.stream_id);
  }
  changed(roomId: string, from: number, to: number): string[] {
    return (this.s.changed.all(roomId, from, to) as { member_key: string }[]).map((r) => r.member_key);
  }
  maxStream(): number {
    return (this.s.maxStream.get() as { m: number | null }).m ?? 0;
  }
}

export interface RecheckReport {
  members: number;
  /** Domains claimed (ours included, which needs no fetch). */
  domains: number;
  /** HTTP fetches of other servers' keys in this pass: one per remote domain. */
  key_fetches: number;
  changed: number;
}

export class LinkService {
  private readonly byEvent = new Map<string, LinkInfo>();
  private readonly store: LinkStore;
  private readonly contested: ContestedStore;
  private cache: DomainKeyCache | undefined;
  /** Our signing key when our own entry of `cache` was filled. */
  private cachedOwnKeyId: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly soon = new Set<string>();
  private stopped = false;

  constructor(private readonly hs: Homeserver) {
    this.store = new LinkStore(hs.db);
    this.contested = new ContestedStore(hs.db);
    // Link changes take stream positions too: never hand out a position twice after a restart.
    const highest = Math.max(this.store.maxStream(), this.contested.maxStream());
    while (hs.stream.current() < highest) hs.stream.next();
  }

  /** Our own key response, as another server would fetch it. */
  ownKeyResponse() {
    return this.hs.federation.ownKeys.response();
  }

  /** Re-checks every link every `seconds` (one key fetch per domain per pass). */
  startSchedule(seconds: number): void {
    let running = false;
    this.timer = setInterval(() => {
      // Passes never overlap: a slow domain (fail-open timeout) must not pile them up.
      if (running) return;
      running = true;
      this.recheck()
        .catch((error: unknown) => console.error('link re-check failed:', error))
        .finally(() => (running = false));
    }, seconds * 1000);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
  }

  private domainKeys(): DomainKeyCache {
    const now = Date.now();
    if (!this.cache || now - this.cache.createdTs > this.hs.config.linkRecheckSeconds * 1000) this.cache = this.newCache(now);
    // Our own keys need no fetch and must never be stale: after a rotation, members co-signed with the new key
    // would otherwise read as unverified on their own server until the next scheduled re-check.
    if (this.cachedOwnKeyId !== this.hs.signingKey.keyId) {
      this.cache.forget(this.hs.config.serverName);
      this.cachedOwnKeyId = this.hs.signingKey.keyId;
    }
    return this.cache;
  }

  private newCache(now: number): DomainKeyCache {
    const cache: DomainKeyCache = createDomainKeyCache(async (domain) => {
      const outcome = await this.hs.federation.keyRing.fetchKeys(domain);
      if (outcome.kind === 'unreachable') setTimeout(() => cache.forget(domain), UNREACHABLE_RETRY_MS).unref();
      return outcome;
    }, now);
    return cache;
  }

  /** Checks (once) every member event that is current state in these rooms, so formatting can read the cache. */
  async ensureRooms(roomIds: Iterable<string>): Promise<void> {
    const pending: StoredEvent[] = [];
    for (const roomId of roomIds) {
      const room = this.hs.events.room(roomId);
      if (!room || !usesMemberKeys(room.room_version)) continue;
      for (const event of this.hs.events.currentState(roomId).values()) {
        if (event.pdu.type === 'm.room.member' && !this.byEvent.has(event.eventId)) pending.push(event);
      }
    }
    await this.check(pending);
  }

  /**
   * A member event became current state: check its link right away (in the background), so clients see the
   * verdict soon instead of "not checked yet" until their next request that checks. Passes per room never pile up.
   */
  checkSoon(roomId: string): void {
    if (this.soon.has(roomId)) return;
    this.soon.add(roomId);
    setImmediate(() => {
      this.soon.delete(roomId);
      if (this.stopped) return;
      // A check still running at shutdown may meet a closed database: nothing to report then.
      this.ensureRooms([roomId]).catch((error: unknown) => this.stopped || console.error(`link check of ${roomId} failed:`, error));
    });
  }

  /** Checks specific member events (e.g. historical ones a response includes). */
  async ensureEvents(events: StoredEvent[]): Promise<void> {
    await this.check(events.filter((e) => e.pdu.type === 'm.room.member' && !this.byEvent.has(e.eventId)));
  }

  /** The link of the member who sent an event, checked now if it never was. */
  async linkOfSender(roomId: string, memberKey: string): Promise<LinkInfo> {
    const eventId = this.hs.events.currentStateEventId(roomId, 'm.room.member', memberKey);
    const event = eventId ? this.hs.events.event(eventId) : undefined;
    if (event && !this.byEvent.has(event.eventId)) await this.check([event]);
    const link = this.linkOfMember(roomId, memberKey);
    // Soft-failing is for good: never decide it on a stale "unreachable" (the domain may be back by now).
    if (event && link.status !== 'verified' && link.domain) {
      const cache = this.domainKeys();
      if ((await cache.keysFor(link.domain)).kind === 'unreachable') {
        cache.forget(link.domain);
        this.byEvent.delete(event.eventId);
        await this.check([event]);
        return this.linkOfMember(roomId, memberKey);
      }
    }
    return link;
  }

  /** Re-checks every link now: fresh keys for each domain (one fetch each), verdicts recomputed, changes recorded. */
  async recheck(): Promise<RecheckReport> {
    this.cache = this.newCache(Date.now());
    const fetchesBefore = this.hs.federation.keyRing.fetchCount;
    const events: StoredEvent[] = [];
    for (const { room_id: roomId, room_version: version } of this.hs.federation.store.allRooms()) {
      if (!usesMemberKeys(version)) continue;
      for (const event of this.hs.events.currentState(roomId).values()) if (event.pdu.type === 'm.room.member') events.push(event);
    }
    const changed = await this.check(events);
    return { members: events.length, domains: this.cache.fetches(), key_fetches: this.hs.federation.keyRing.fetchCount - fetchesBefore, changed };
  }

  /** Returns how many members' link status changed. */
  private async check(events: StoredEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    const now = Date.now();
    const cache = this.domainKeys();
    const items: LinkCheckItem[] = events.map((event) => ({
      id: event.eventId,
      memberEvent: this.claimEvent(event).pdu as unknown as Record<string, unknown>,
      roomVersion: this.hs.events.room(event.roomId)!.room_version,
      previous: this.knownKey(event.roomId, event.pdu.state_key!),
    }));
    const verdicts = await checkLinks(items, cache, now);
    let changed = 0;
    let moved = false;
    await Promise.all(
      events.map(async (event, i) => {
        let verdict = verdicts.get(event.eventId)!;
        if (RESIGNABLE.has(verdict.code) && verdict.domain && verdict.domain !== this.hs.config.serverName) {
          verdict = (await this.tryResignedCopy(this.claimEvent(event), items[i]!, cache, now)) ?? verdict;
        }
        const outcome = this.record(event, verdict, now);
        if (outcome.statusChanged) changed++;
        if (outcome.newPosition) moved = true;
      }),
    );
    // A new position is something /sync reports (member_info): wake the long-polls that wait for it.
    if (moved) this.hs.notifier.notify();
    return changed;
  }

  /**
   * The member event that carries the member's claim: a kick or ban by someone else has no `domain` of its own
   * (the kicker cannot claim for the kicked), so the claim stays the one of the member's previous event.
   */
  private claimEvent(event: StoredEvent): StoredEvent {
    let current = event;
    for (let hops = 0; hops < 20 && current.pdu.content.domain === undefined && current.pdu.sender !== current.pdu.state_key && current.replacesState; hops++) {
      const previous = this.hs.events.event(current.replacesState);
      if (!previous) break;
      current = previous;
    }
    return current;
  }

  /** MSC4430: ask the claimed domain for the event again; a copy re-signed with its current key keeps the link. */
  private async tryResignedCopy(claim: StoredEvent, item: LinkCheckItem, cache: DomainKeyCache, now: number): Promise<LinkVerdict | undefined> {
    const event = claim;
    const domain = String(event.pdu.content.domain);
    let fresh: Pdu | undefined;
    try {
      const reply = await this.hs.federation.client.request<{ pdus?: Pdu[] }>(domain, 'GET', `/_matrix/federation/v1/event/${encodeURIComponent(event.eventId)}`, { timeoutMs: 4000 });
      fresh = reply.pdus?.[0];
    } catch {
      return undefined;
    }
    if (!fresh || typeof fresh !== 'object' || typeof fresh.signatures !== 'object' || fresh.signatures === null) return undefined;
    // Only the signatures may differ: take theirs onto our copy, so nothing hashed can change.
    const candidate: Pdu = { ...event.pdu, signatures: { ...event.pdu.signatures, [domain]: (fresh.signatures as Record<string, Record<string, string>>)[domain] ?? {} } };
    const [verdict] = (await checkLinks([{ ...item, memberEvent: candidate as unknown as Record<string, unknown> }], cache, now)).values();
    if (verdict?.status !== 'verified') return undefined;
    this.hs.federation.store.updatePdu(event.eventId, candidate);
    return verdict;
  }

  private knownKey(roomId: string, memberKey: string): KnownLinkKey | null {
    const row = this.store.get(roomId, memberKey);
    return row?.known_key ? (JSON.parse(row.known_key) as KnownLinkKey) : null;
  }

  /**
   * Caches and persists a verdict. `statusChanged`: the member's link status (or the key behind it) changed for the
   * same member event; `newPosition`: the verdict took a stream position, so /sync has something to report.
   */
  private record(event: StoredEvent, verdict: LinkVerdict, now: number): { statusChanged: boolean; newPosition: boolean } {
    const unchanged = { statusChanged: false, newPosition: false };
    // A check that started before the last recorded one (a slow pass finishing late) must not undo it.
    const latest = this.byEvent.get(event.eventId);
    if (latest && latest.checked_ts > now) return unchanged;
    const info: LinkInfo = { status: verdict.status, checked_ts: now, reason: verdict.reason };
    if (verdict.localpart !== undefined) info.localpart = verdict.localpart;
    if (verdict.domain !== undefined) info.domain = verdict.domain;
    if (verdict.keyId !== undefined) info.key_id = verdict.keyId;
    this.byEvent.set(event.eventId, info);
    const memberKey = event.pdu.state_key!;
    const current = this.hs.events.currentStateEventId(event.roomId, 'm.room.member', memberKey);
    if (current !== event.eventId) return unchanged;
    const row = this.store.get(event.roomId, memberKey);
    const before = row ? (JSON.parse(row.info) as LinkInfo) : undefined;
    const knownKey = verdict.knownKey ? JSON.stringify(verdict.knownKey) : (row?.known_key ?? null);
    // Only a change clients act on takes a stream position (a reworded reason must not wake every /sync).
    const same = row && row.event_id === event.eventId && before?.status === info.status && before?.key_id === info.key_id;
    const streamId = same ? row.stream_id : this.hs.stream.next();
    this.store.put({ room_id: event.roomId, member_key: memberKey, event_id: event.eventId, info: JSON.stringify(info), known_key: knownKey, stream_id: streamId });
    // Never verified and unreachable: look again on the next read (the domain is retried after a minute).
    if (verdict.code === 'never_verified') this.byEvent.delete(event.eventId);
    return { statusChanged: !same && before !== undefined && row!.event_id === event.eventId, newPosition: !same };
  }

  /** A redacted or re-signed member event must be checked again. */
  forgetEvent(eventId: string): void {
    this.byEvent.delete(eventId);
  }

  /** Members of a room whose link changed (or became contested) in (from, to]: /sync sends their member_info again. */
  changedMembers(roomId: string, from: number, to: number): string[] {
    return [...new Set([...this.store.changed(roomId, from, to), ...this.contested.changed(roomId, from, to)])];
  }

  /**
   * A PDU signed by `memberKey` arrived in a transaction from `origin`, with `memberBefore` the key's member event
   * in the state before it: if the key had moved away from `origin`, record that `origin` contests it.
   */
  noteSigner(roomId: string, memberKey: string, origin: string, eventId: string, pduTs: number, memberBefore: Pdu | undefined): boolean {
    const memberChain: Pdu[] = [];
    let id = this.hs.events.currentStateEventId(roomId, 'm.room.member', memberKey);
    // The common case, a key's own server sending: no history walk.
    const current = id ? this.hs.events.event(id) : undefined;
    if (!current || current.pdu.content.domain === origin) return false;
    for (let hops = 0; id && hops < 50; hops++) {
      const event = this.hs.events.event(id);
      if (!event) break;
      memberChain.push(event.pdu);
      id = event.replacesState ?? undefined;
    }
    if (!signedAfterMove({ origin, memberChain, memberBefore, pduTs })) return false;
    const added = this.contested.record(roomId, memberKey, origin, Date.now(), eventId, () => this.hs.stream.next());
    if (added) {
      console.warn(`${origin} signed ${eventId} as member ${memberKey} of ${roomId}, a key that moved away from it`);
      this.hs.notifier.notify();
    }
    return added;
  }

  /** The link of a member key from its current member event (call ensureRooms first). */
  linkOfMember(roomId: string, memberKey: string): LinkInfo {
    const eventId = this.hs.events.currentStateEventId(roomId, 'm.room.member', memberKey);
    const cached = eventId ? this.byEvent.get(eventId) : undefined;
    if (cached) return cached;
    const row = eventId ? this.store.get(roomId, memberKey) : undefined;
    if (row && row.event_id === eventId) return JSON.parse(row.info) as LinkInfo;
    const event = eventId ? this.hs.events.event(eventId) : undefined;
    if (!event) return { status: 'unverified', checked_ts: Date.now(), reason: 'no member event for this key' };
    return uncheckedLink(this.claimEvent(event));
  }

  memberInfo(roomId: string, memberKey: string): MemberInfo {
    const found = this.linkOfMember(roomId, memberKey);
    const contested = this.contested.current(roomId, memberKey, this.currentClaimDomain(roomId, memberKey));
    const link = contested ? { ...found, contested } : found;
    return { user_id: link.status === 'verified' ? `@${link.localpart}:${link.domain}` : null, [LINK_FIELD]: link };
  }

  private currentClaimDomain(roomId: string, memberKey: string): string | undefined {
    const eventId = this.hs.events.currentStateEventId(roomId, 'm.room.member', memberKey);
    const event = eventId ? this.hs.events.event(eventId) : undefined;
    const domain = event ? this.claimEvent(event).pdu.content.domain : undefined;
    return typeof domain === 'string' ? domain : undefined;
  }

  /** What a client sees as `sender` / member `state_key` (PROTOCOL.md §5). */
  displayId(roomId: string, memberKey: string): string {
    return displayIdOf(this.linkOfMember(roomId, memberKey), memberKey, this.hs.config.serverName);
  }
}

/**
 * PROTOCOL.md §5's mapping of a link to a user ID. Erased is only a redacted `localpart`; any other link that is
 * not verified is unverified, named by its claim (or, lacking a readable claim, by its key).
 */
export function displayIdOf(link: LinkInfo, memberKey: string, serverName: string): string {
  if (link.status === 'verified') return `@${link.localpart}:${link.domain}`;
  if (link.status === 'erased') return erasedUserId(memberKey, serverName);
  return unverifiedUserId(link.localpart ?? `key_${normaliseKey(memberKey).slice(0, 8)}`, link.domain ?? 'unknown', serverName);
}

/** A member event whose link has not been checked yet: unverified, by what it claims (erased when redacted). */
function uncheckedLink(claim: StoredEvent): LinkInfo {
  const { localpart, domain } = claim.pdu.content;
  if (claim.redactedBy && typeof localpart !== 'string') return { status: 'erased', checked_ts: Date.now(), reason: 'the member event was redacted: its localpart is gone' };
  const info: LinkInfo = { status: 'unverified', checked_ts: Date.now(), reason: 'not checked yet' };
  if (typeof localpart === 'string' && localpart !== '') info.localpart = localpart;
  if (typeof domain === 'string' && domain !== '') info.domain = domain;
  return info;
}
