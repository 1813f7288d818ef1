// Is member key K really @localpart:domain? (PROTOCOL.md §4, checked by src/protocol's verifyLinkWithKeys.)
// Each claimed domain's current keys are fetched once and cached until the next re-check (`--link-recheck-seconds`),
// never once per member. Verdicts are cached per member event and persisted per member (with the key last verified,
// for failing open across restarts); a change of status gets a stream position, so /sync reports it in member_info.
import {
  erasedUserId,
  LINK_FIELD,
  normaliseKey,
  unverifiedUserId,
  type KeyFetchOutcome,
  type KnownLinkKey,
  type LinkInfo,
  type LinkVerdict,
  type MemberInfo,
} from '../../src/protocol';
import type { Config } from '../config';
import type { FederationClient } from '../federation/client';
import type { KeyRing, OwnKeys } from '../federation/keys';
import type { FederationStore } from '../federation/store';
import type { CurrentSigningKey } from '../signing-key';
import type { Pdu } from '../rooms/pdu';
import { usesMemberKeys } from '../rooms/room-versions';
import type { Db, StreamCounter } from '../storage/database';
import type { EventStore, StoredEvent } from '../storage/events';
import type { MemberKeyStore } from '../storage/member-keys';
import type { Notifier } from '../sync/notifier';
import { roomStateDigest } from '../sync/room-state-cache';
import { ContestedStore, signedAfterMove } from './contested';
import { checkLinks, createDomainKeyCache, type DomainKeyCache, type LinkCheckItem } from './recheck';

/** Verdicts that a re-signed copy of the event (MSC4430: after a key rotation) may turn around. */
const RESIGNABLE = new Set(['key_moved_to_old', 'key_missing', 'key_changed', 'bad_co_signature']);
/** An unreachable domain is asked again after this long, not only at the next scheduled re-check. */
const UNREACHABLE_RETRY_MS = 60_000;
/**
 * Verdicts that mean only "we lack the domain's current keys": the co-signing key is not in the answer we hold, or
 * the domain was never reachable. A message held for one of these is released once the link verifies (see `hold`).
 */
const AWAITING_KEYS = new Set(['key_missing', 'never_verified']);
/**
 * Verdicts that leave an invite's link `pending` (PROTOCOL.md §5): the invitee's server has not co-signed anything for
 * the key yet, or could not be asked. An invite's target has not said anything yet, so it is not an impostor.
 */
const PENDING_FOR_INVITES = new Set(['no_co_signature', 'never_verified', 'key_missing']);
/** Retries for a co-signing key the domain does not list yet: the refetch interval, doubling, this many times. */
const KEY_RETRY_ATTEMPTS = 8;

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
    this.s = {
      get: db.prepare(
        'SELECT room_id, member_key, event_id, info, known_key, stream_id FROM link_state WHERE room_id = ? AND member_key = ?',
      ),
      put: db.prepare(
        `INSERT INTO link_state (room_id, member_key, event_id, info, known_key, stream_id) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (room_id, member_key) DO UPDATE SET event_id = excluded.event_id, info = excluded.info, known_key = excluded.known_key, stream_id = excluded.stream_id`,
      ),
      changed: db.prepare('SELECT member_key FROM link_state WHERE room_id = ? AND stream_id > ? AND stream_id <= ?'),
      maxStream: db.prepare('SELECT MAX(stream_id) AS m FROM link_state'),
      hold: db.prepare(
        'INSERT OR IGNORE INTO link_held_events (event_id, room_id, member_key, member_event_id, key_ids) VALUES (?, ?, ?, ?, ?)',
      ),
      held: db.prepare(
        'SELECT event_id, member_event_id, key_ids FROM link_held_events WHERE room_id = ? AND member_key = ? ORDER BY rowid',
      ),
      unhold: db.prepare('DELETE FROM link_held_events WHERE event_id = ?'),
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
  hold(eventId: string, roomId: string, memberKey: string, memberEventId: string, keyIds: string[]): void {
    this.s.hold.run(eventId, roomId, memberKey, memberEventId, JSON.stringify(keyIds));
  }
  held(roomId: string, memberKey: string): { event_id: string; member_event_id: string; key_ids: string[] }[] {
    return (this.s.held.all(roomId, memberKey) as { event_id: string; member_event_id: string; key_ids: string }[]).map((r) => ({
      ...r,
      key_ids: JSON.parse(r.key_ids) as string[],
    }));
  }
  unhold(eventId: string): void {
    this.s.unhold.run(eventId);
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

export interface LinkServiceDeps {
  config: Pick<Config, 'serverName' | 'keyRefetchSeconds' | 'linkRecheckSeconds'>;
  db: Db;
  stream: StreamCounter;
  notifier: Notifier;
  events: EventStore;
  /** Our users' member keys: a pending link of our own user, or of an invite our user sent, keeps its user ID. */
  memberKeys: MemberKeyStore;
  signingKey: CurrentSigningKey;
  fedStore: FederationStore;
  client: FederationClient;
  keyRing: KeyRing;
  ownKeys: OwnKeys;
}

export class LinkService {
  private readonly byEvent = new Map<string, LinkInfo>();
  /** Rooms whose current member events all had a verdict in byEvent, at this state version (ensureRooms); emptied whenever a verdict is dropped. */
  private readonly checkedRooms = new Map<string, string>();
  private verdicts = 0;

  /** Moves whenever a link verdict is recorded or dropped: what was derived from verdicts (display IDs) still holds while it stays. */
  verdictVersion(): number {
    return this.verdicts;
  }
  private readonly store: LinkStore;
  private readonly contested: ContestedStore;
  private cache: DomainKeyCache | undefined;
  /** Our signing key when our own entry of `cache` was filled. */
  private cachedOwnKeyId: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly soon = new Set<string>();
  private stopped = false;
  /** Member events whose link waits only for the domain's keys (AWAITING_KEYS): event ID → domain and co-signing key IDs. */
  private readonly awaiting = new Map<string, { roomId: string; domain: string; keyIds: string[] }>();
  /** Key answers fetched for a key ID the current cache did not know, to put into it (see `renewDomains`). */
  private readonly renewed = new Map<string, KeyFetchOutcome>();
  /** Scheduled retries per domain for a co-signing key the domain does not list yet. */
  private readonly keyRetries = new Map<string, { attempt: number; timer?: NodeJS.Timeout }>();

  private readonly config: LinkServiceDeps['config'];
  private readonly db: Db;
  private readonly stream: StreamCounter;
  private readonly notifier: Notifier;
  private readonly events: EventStore;
  private readonly memberKeys: MemberKeyStore;
  private readonly signingKey: CurrentSigningKey;
  private readonly fedStore: FederationStore;
  private readonly client: FederationClient;
  private readonly keyRing: KeyRing;
  private readonly ownKeys: OwnKeys;
  /** Stores a soft-failed event held for its sender's link once that link verifies (Federation sets it: releaseHeldWith). */
  private releaseSoftFailed: (eventId: string) => Promise<boolean> = async () => false;

  constructor(deps: LinkServiceDeps) {
    ({
      config: this.config,
      db: this.db,
      stream: this.stream,
      notifier: this.notifier,
      events: this.events,
      memberKeys: this.memberKeys,
      signingKey: this.signingKey,
      fedStore: this.fedStore,
      client: this.client,
      keyRing: this.keyRing,
      ownKeys: this.ownKeys,
    } = deps);
    this.store = new LinkStore(this.db);
    this.contested = new ContestedStore(this.db);
    // Link changes take stream positions too: never hand out a position twice after a restart.
    const highest = Math.max(this.store.maxStream(), this.contested.maxStream());
    while (this.stream.current() < highest) this.stream.next();
  }

  /** How a held event is released (Federation's inbound PDUs: stored if it still passes the auth rules). */
  releaseHeldWith(release: (eventId: string) => Promise<boolean>): void {
    this.releaseSoftFailed = release;
  }

  /** Our own key response, as another server would fetch it. */
  ownKeyResponse() {
    return this.ownKeys.response();
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
    for (const retry of this.keyRetries.values()) clearTimeout(retry.timer);
  }

  private domainKeys(): DomainKeyCache {
    const now = Date.now();
    if (!this.cache || now - this.cache.createdTs > this.config.linkRecheckSeconds * 1000) this.cache = this.newCache(now);
    // Our own keys need no fetch and must never be stale: after a rotation, members co-signed with the new key
    // would otherwise read as unverified on their own server until the next scheduled re-check.
    if (this.cachedOwnKeyId !== this.signingKey.current.keyId) {
      this.cache.forget(this.config.serverName);
      this.cachedOwnKeyId = this.signingKey.current.keyId;
    }
    return this.cache;
  }

  private newCache(now: number): DomainKeyCache {
    this.renewed.clear();
    const cache: DomainKeyCache = createDomainKeyCache(async (domain) => {
      const renewed = this.renewed.get(domain);
      if (renewed) {
        this.renewed.delete(domain);
        return renewed;
      }
      const outcome = await this.keyRing.fetchKeys(domain);
      if (outcome.kind === 'unreachable') setTimeout(() => cache.forget(domain), UNREACHABLE_RETRY_MS).unref();
      return outcome;
    }, now);
    return cache;
  }

  /** Checks (once) every member event that is current state in these rooms, so formatting can read the cache. */
  async ensureRooms(roomIds: Iterable<string>): Promise<void> {
    const pending: StoredEvent[] = [];
    for (const roomId of roomIds) {
      const room = this.events.room(roomId);
      if (!room || !usesMemberKeys(room.room_version)) continue;
      // Every /sync of every member asks: a room whose member events were all checked at this state is not walked again.
      const stateVersion = this.events.stateVersion(roomId);
      if (this.checkedRooms.get(roomId) === stateVersion) continue;
      let unchecked = 0;
      for (const eventId of roomStateDigest({ db: this.db, events: this.events }, roomId).memberEvents.values()) {
        if (this.byEvent.has(eventId)) continue;
        unchecked++;
        const event = this.events.event(eventId);
        if (event) pending.push(event);
      }
      if (unchecked === 0 && !this.db.inTransaction) {
        if (this.checkedRooms.size >= 10_000) this.checkedRooms.clear();
        this.checkedRooms.set(roomId, stateVersion);
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
    const eventId = this.events.currentStateEventId(roomId, 'm.room.member', memberKey);
    const event = eventId ? this.events.event(eventId) : undefined;
    if (event && !this.byEvent.has(event.eventId)) await this.check([event]);
    const link = this.linkOfMember(roomId, memberKey);
    // Soft-failing is for good: never decide it on a stale "unreachable" (the domain may be back by now).
    if (event && link.status !== 'verified' && link.domain) {
      const cache = this.domainKeys();
      if ((await cache.keysFor(link.domain)).kind === 'unreachable') {
        cache.forget(link.domain);
        this.uncheck(event.eventId);
        await this.check([event]);
        return this.linkOfMember(roomId, memberKey);
      }
    }
    return link;
  }

  /** Re-checks every link now: fresh keys for each domain (one fetch each), verdicts recomputed, changes recorded. */
  async recheck(): Promise<RecheckReport> {
    this.cache = this.newCache(Date.now());
    const fetchesBefore = this.keyRing.fetchCount;
    const events: StoredEvent[] = [];
    for (const { room_id: roomId, room_version: version } of this.fedStore.allRooms()) {
      if (!usesMemberKeys(version)) continue;
      for (const event of this.events.currentState(roomId).values()) if (event.pdu.type === 'm.room.member') events.push(event);
    }
    const changed = await this.check(events);
    return { members: events.length, domains: this.cache.fetches(), key_fetches: this.keyRing.fetchCount - fetchesBefore, changed };
  }

  /** Returns how many members' link status changed. */
  private async check(events: StoredEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    const now = Date.now();
    const cache = this.domainKeys();
    const items: LinkCheckItem[] = events.map((event) => ({
      id: event.eventId,
      memberEvent: this.claimEvent(event).pdu as unknown as Record<string, unknown>,
      roomVersion: this.events.room(event.roomId)!.room_version,
      previous: this.knownKey(event.roomId, event.pdu.state_key!),
    }));
    const verdicts = await checkLinks(items, cache, now);
    // A co-signing key this pass's keys do not list: the domain may have rotated since we fetched. Fetch its keys
    // at once (rate-limited per domain by the key ring) and check those members again, instead of waiting for the
    // next scheduled re-check.
    const renewedDomains = await this.renewDomains(items, verdicts, cache);
    if (renewedDomains.size > 0) {
      const again = items.filter((item) => renewedDomains.has(verdicts.get(item.id)?.domain ?? ''));
      for (const [id, verdict] of await checkLinks(again, cache, now)) verdicts.set(id, verdict);
    }
    for (const domain of new Set(
      items
        .map((item) => verdicts.get(item.id))
        .filter((v) => v?.code === 'key_missing' && v.domain !== this.config.serverName)
        .map((v) => v!.domain!),
    )) {
      this.scheduleKeyRetry(domain);
    }
    let changed = 0;
    const moved = new Set<string>();
    await Promise.all(
      events.map(async (event, i) => {
        let verdict = verdicts.get(event.eventId)!;
        if (RESIGNABLE.has(verdict.code) && verdict.domain && verdict.domain !== this.config.serverName) {
          verdict = (await this.tryResignedCopy(this.claimEvent(event), items[i]!, cache, now)) ?? verdict;
        }
        const outcome = this.record(event, verdict, now);
        if (outcome.statusChanged) changed++;
        if (outcome.newPosition) moved.add(event.roomId);
      }),
    );
    // A new position is something /sync reports (member_info): wake the long-polls of those rooms' members.
    for (const roomId of moved) this.notifier.notifyRoom(roomId);
    return changed;
  }

  /**
   * The member event that carries the member's claim: a kick or ban by someone else has no `domain` of its own
   * (the kicker cannot claim for the kicked), so the claim stays the one of the member's previous event.
   */
  private claimEvent(event: StoredEvent): StoredEvent {
    let current = event;
    for (
      let hops = 0;
      hops < 20 && current.pdu.content.domain === undefined && current.pdu.sender !== current.pdu.state_key && current.replacesState;
      hops++
    ) {
      const previous = this.events.event(current.replacesState);
      if (!previous) break;
      current = previous;
    }
    return current;
  }

  /**
   * For each domain whose keys (as this pass holds them) lack a key that co-signed one of these members: the domain's
   * keys as they list that key, fetched now unless the key ring's per-domain rate limit holds the fetch back. Returns
   * the domains whose cache entry was replaced.
   */
  private async renewDomains(items: LinkCheckItem[], verdicts: Map<string, LinkVerdict>, cache: DomainKeyCache): Promise<Set<string>> {
    const missing = new Map<string, string>();
    for (const item of items) {
      const verdict = verdicts.get(item.id);
      if (verdict?.code === 'key_missing' && verdict.domain && verdict.keyId && verdict.domain !== this.config.serverName)
        missing.set(verdict.domain, verdict.keyId);
    }
    const renewed = new Set<string>();
    await Promise.all(
      [...missing].map(async ([domain, keyId]) => {
        const outcome = await this.keyRing.keysListing(domain, keyId).catch(() => undefined);
        if (outcome?.kind !== 'ok') return;
        this.renewed.set(domain, outcome);
        cache.forget(domain);
        renewed.add(domain);
      }),
    );
    return renewed;
  }

  /**
   * A member co-signed by a key its domain does not list (yet): look again when the key ring allows the next fetch,
   * then at doubling intervals, a few times; after that the scheduled re-check takes over.
   */
  private scheduleKeyRetry(domain: string): void {
    const retry = this.keyRetries.get(domain) ?? { attempt: 0 };
    if (retry.timer || retry.attempt >= KEY_RETRY_ATTEMPTS || this.stopped) return;
    const keyRing = this.keyRing;
    const base = this.config.keyRefetchSeconds * 1000;
    const delay = Math.min(
      Math.max(keyRing.nextRefetchAt(domain) - Date.now(), base * 2 ** retry.attempt),
      this.config.linkRecheckSeconds * 1000,
    );
    retry.timer = setTimeout(() => {
      retry.timer = undefined;
      retry.attempt++;
      if (this.stopped) return;
      const events: StoredEvent[] = [];
      for (const [eventId, waiting] of this.awaiting) {
        if (waiting.domain !== domain) continue;
        const event = this.events.event(eventId);
        if (event) {
          this.uncheck(eventId);
          events.push(event);
        }
      }
      this.check(events).catch((error: unknown) => this.stopped || console.error(`key retry for ${domain} failed:`, error));
    }, delay);
    retry.timer.unref();
    this.keyRetries.set(domain, retry);
  }

  /**
   * Federation soft-failed `eventId` (a PDU of `memberKey`) for its sender's link alone (it passed the auth rules
   * against the current state). If that link waits only for the domain's keys (AWAITING_KEYS), the event is held:
   * it is released (stored as a normal event) when the same member event verifies with a key that co-signed it,
   * i.e. the claim was valid all along and only our key cache was behind. Returns whether it was held.
   */
  hold(roomId: string, memberKey: string, eventId: string): boolean {
    const memberEventId = this.events.currentStateEventId(roomId, 'm.room.member', memberKey);
    const waiting = memberEventId ? this.awaiting.get(memberEventId) : undefined;
    if (!memberEventId || !waiting || waiting.keyIds.length === 0) return false;
    this.store.hold(eventId, roomId, memberKey, memberEventId, waiting.keyIds);
    return true;
  }

  /** The member's link verified with `keyId` for `memberEventId`: release the events held for it (see `hold`). */
  private releaseHeld(roomId: string, memberKey: string, memberEventId: string, keyId: string | undefined): void {
    const held = this.store
      .held(roomId, memberKey)
      .filter((row) => row.member_event_id === memberEventId && keyId !== undefined && row.key_ids.includes(keyId));
    if (held.length === 0) return;
    setImmediate(async () => {
      let released = 0;
      for (const row of held) {
        if (this.stopped) return;
        try {
          // Released only if it still passes the auth rules against the room's current state; held no longer either way.
          if (await this.releaseSoftFailed(row.event_id)) released++;
          this.store.unhold(row.event_id);
        } catch (error) {
          if (!this.stopped) console.error(`releasing ${row.event_id} failed:`, error);
        }
      }
      if (released > 0)
        console.log(`released ${released} event(s) of ${memberKey} in ${roomId}: its link verified once we had its domain's keys`);
    });
  }

  /** The key IDs with which `domain` co-signed a member event. */
  private coSigningKeyIds(pdu: Pdu, domain: string): string[] {
    const byDomain = (pdu.signatures as Record<string, Record<string, string>> | undefined)?.[domain];
    return byDomain && typeof byDomain === 'object' ? Object.keys(byDomain) : [];
  }

  /** MSC4430: ask the claimed domain for the event again; a copy re-signed with its current key keeps the link. */
  private async tryResignedCopy(
    claim: StoredEvent,
    item: LinkCheckItem,
    cache: DomainKeyCache,
    now: number,
  ): Promise<LinkVerdict | undefined> {
    const event = claim;
    const domain = String(event.pdu.content.domain);
    let fresh: Pdu | undefined;
    try {
      const reply = await this.client.request<{ pdus?: Pdu[] }>(
        domain,
        'GET',
        `/_matrix/federation/v1/event/${encodeURIComponent(event.eventId)}`,
        { timeoutMs: 4000 },
      );
      fresh = reply.pdus?.[0];
    } catch {
      return undefined;
    }
    if (!fresh || typeof fresh !== 'object' || typeof fresh.signatures !== 'object' || fresh.signatures === null) return undefined;
    // Only the signatures may differ: take theirs onto our copy, so nothing hashed can change.
    const candidate: Pdu = {
      ...event.pdu,
      signatures: { ...event.pdu.signatures, [domain]: (fresh.signatures as Record<string, Record<string, string>>)[domain] ?? {} },
    };
    const [verdict] = (await checkLinks([{ ...item, memberEvent: candidate as unknown as Record<string, unknown> }], cache, now)).values();
    if (verdict?.status !== 'verified') return undefined;
    this.fedStore.updatePdu(event.eventId, candidate);
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
    const claim = this.claimEvent(event).pdu;
    const invitePending = claim.content.membership === 'invite' && PENDING_FOR_INVITES.has(verdict.code);
    const info: LinkInfo = { status: invitePending ? 'pending' : verdict.status, checked_ts: now, reason: verdict.reason };
    if (verdict.localpart !== undefined) info.localpart = verdict.localpart;
    if (verdict.domain !== undefined) info.domain = verdict.domain;
    if (verdict.keyId !== undefined) info.key_id = verdict.keyId;
    this.byEvent.set(event.eventId, info);
    this.verdicts++;
    const memberKey = event.pdu.state_key!;
    if (AWAITING_KEYS.has(verdict.code) && verdict.domain && verdict.domain !== this.config.serverName) {
      this.awaiting.set(event.eventId, {
        roomId: event.roomId,
        domain: verdict.domain,
        keyIds: this.coSigningKeyIds(this.claimEvent(event).pdu, verdict.domain),
      });
    } else {
      this.awaiting.delete(event.eventId);
    }
    if (info.status === 'verified') {
      if (verdict.domain) this.keyRetries.delete(verdict.domain);
      this.releaseHeld(event.roomId, memberKey, event.eventId, verdict.keyId);
    }
    const current = this.events.currentStateEventId(event.roomId, 'm.room.member', memberKey);
    if (current !== event.eventId) return unchanged;
    const row = this.store.get(event.roomId, memberKey);
    const before = row ? (JSON.parse(row.info) as LinkInfo) : undefined;
    const knownKey = verdict.knownKey ? JSON.stringify(verdict.knownKey) : (row?.known_key ?? null);
    // Only a change clients act on takes a stream position (a reworded reason must not wake every /sync).
    const same = row && row.event_id === event.eventId && before?.status === info.status && before?.key_id === info.key_id;
    const streamId = same ? row.stream_id : this.stream.next();
    this.store.put({
      room_id: event.roomId,
      member_key: memberKey,
      event_id: event.eventId,
      info: JSON.stringify(info),
      known_key: knownKey,
      stream_id: streamId,
    });
    // Never verified and unreachable: look again on the next read (the domain is retried after a minute).
    if (verdict.code === 'never_verified') this.uncheck(event.eventId);
    return { statusChanged: !same && before !== undefined && row!.event_id === event.eventId, newPosition: !same };
  }

  /** A redacted or re-signed member event must be checked again. */
  forgetEvent(eventId: string): void {
    this.uncheck(eventId);
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
    let id = this.events.currentStateEventId(roomId, 'm.room.member', memberKey);
    // The common case, a key's own server sending: no history walk.
    const current = id ? this.events.event(id) : undefined;
    if (!current || current.pdu.content.domain === origin) return false;
    for (let hops = 0; id && hops < 50; hops++) {
      const event = this.events.event(id);
      if (!event) break;
      memberChain.push(event.pdu);
      id = event.replacesState ?? undefined;
    }
    if (!signedAfterMove({ origin, memberChain, memberBefore, pduTs })) return false;
    const added = this.contested.record(roomId, memberKey, origin, Date.now(), eventId, () => this.stream.next());
    if (added) {
      console.warn(`${origin} signed ${eventId} as member ${memberKey} of ${roomId}, a key that moved away from it`);
      this.notifier.notify();
    }
    return added;
  }

  /** Drops an event's verdict (it is checked again when next needed). */
  private uncheck(eventId: string): void {
    this.byEvent.delete(eventId);
    this.verdicts++;
    this.checkedRooms.clear();
  }

  /** The link of a member key from its current member event (call ensureRooms first). */
  linkOfMember(roomId: string, memberKey: string): LinkInfo {
    const eventId = this.events.currentStateEventId(roomId, 'm.room.member', memberKey);
    const cached = eventId ? this.byEvent.get(eventId) : undefined;
    if (cached) return cached;
    const row = eventId ? this.store.get(roomId, memberKey) : undefined;
    if (row && row.event_id === eventId) return JSON.parse(row.info) as LinkInfo;
    const event = eventId ? this.events.event(eventId) : undefined;
    if (!event) return { status: 'unverified', checked_ts: Date.now(), reason: 'no member event for this key' };
    return uncheckedLink(this.claimEvent(event));
  }

  memberInfo(roomId: string, memberKey: string): MemberInfo {
    const found = this.linkOfMember(roomId, memberKey);
    const contested = this.contested.current(roomId, memberKey, this.currentClaimDomain(roomId, memberKey));
    const link = contested ? { ...found, contested } : found;
    const userId = link.status === 'verified' ? `@${link.localpart}:${link.domain}` : (this.vouchedUserId(roomId, memberKey, link) ?? null);
    return { user_id: userId, [LINK_FIELD]: link };
  }

  /**
   * The user ID a `pending` link still goes by here (PROTOCOL.md §5): this server vouches for it when the key is its
   * own user's key for that very claim, or when the current member event is an invite one of its users sent, built
   * after the invitee's server answered the member_key lookup with this key for `@localpart:domain`.
   */
  private vouchedUserId(roomId: string, memberKey: string, link: LinkInfo): string | undefined {
    if (link.status !== 'pending' || !link.localpart || !link.domain) return undefined;
    const userId = `@${link.localpart}:${link.domain}`;
    if (link.domain === this.config.serverName) return this.memberKeys.forKey(roomId, memberKey)?.user_id === userId ? userId : undefined;
    const eventId = this.events.currentStateEventId(roomId, 'm.room.member', memberKey);
    const invite = eventId ? this.events.event(eventId)?.pdu : undefined;
    if (invite?.content.membership !== 'invite' || invite.content.localpart !== link.localpart || invite.content.domain !== link.domain)
      return undefined;
    return this.memberKeys.forKey(roomId, invite.sender) ? userId : undefined;
  }

  /**
   * The link of a member event that is in no room state we hold (an invite's stripped state, for a room this server
   * is not in): checked once, now. A domain that cannot be asked leaves it `pending`.
   */
  async checkDetached(pdu: Pdu, roomVersion: string): Promise<LinkInfo> {
    const now = Date.now();
    const item: LinkCheckItem = { id: 'detached', memberEvent: pdu as unknown as Record<string, unknown>, roomVersion };
    const verdict = (await checkLinks([item], this.domainKeys(), now)).get('detached')!;
    const info: LinkInfo = {
      status: AWAITING_KEYS.has(verdict.code) ? 'pending' : verdict.status,
      checked_ts: now,
      reason: verdict.reason,
    };
    if (verdict.localpart !== undefined) info.localpart = verdict.localpart;
    if (verdict.domain !== undefined) info.domain = verdict.domain;
    if (verdict.keyId !== undefined) info.key_id = verdict.keyId;
    return info;
  }

  private currentClaimDomain(roomId: string, memberKey: string): string | undefined {
    const eventId = this.events.currentStateEventId(roomId, 'm.room.member', memberKey);
    const event = eventId ? this.events.event(eventId) : undefined;
    const domain = event ? this.claimEvent(event).pdu.content.domain : undefined;
    return typeof domain === 'string' ? domain : undefined;
  }

  /** What a client sees as `sender` / member `state_key` (PROTOCOL.md §5). */
  displayId(roomId: string, memberKey: string): string {
    const link = this.linkOfMember(roomId, memberKey);
    return this.vouchedUserId(roomId, memberKey, link) ?? displayIdOf(link, memberKey, this.config.serverName);
  }
}

/**
 * PROTOCOL.md §5's mapping of a link to a user ID. Erased is only a redacted `localpart`; any other link that is
 * not verified (pending included) is named by its claim in MSC4014's form (or, lacking a readable claim, by its key).
 */
export function displayIdOf(link: LinkInfo, memberKey: string, serverName: string): string {
  if (link.status === 'verified') return `@${link.localpart}:${link.domain}`;
  if (link.status === 'erased') return erasedUserId(memberKey, serverName);
  return unverifiedUserId(link.localpart ?? `key_${normaliseKey(memberKey).slice(0, 8)}`, link.domain ?? 'unknown', serverName);
}

/** A member event whose link has not been checked yet: pending, by what it claims (erased when redacted). */
function uncheckedLink(claim: StoredEvent): LinkInfo {
  const { localpart, domain } = claim.pdu.content;
  if (claim.redactedBy && typeof localpart !== 'string')
    return { status: 'erased', checked_ts: Date.now(), reason: 'the member event was redacted: its localpart is gone' };
  const info: LinkInfo = { status: 'pending', checked_ts: Date.now(), reason: 'not checked yet' };
  if (typeof localpart === 'string' && localpart !== '') info.localpart = localpart;
  if (typeof domain === 'string' && domain !== '') info.domain = domain;
  return info;
}
