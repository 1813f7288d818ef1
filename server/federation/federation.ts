// The Server-Server side of one homeserver: receiving PDUs (checks, auth, state resolution, soft-fail), sending
// local events to the other servers of a room, and the membership dances (join, invite, leave) with remote servers.
import {
  checkContentHash,
  computeEventId,
  MEMBER_KEY_ID,
  MEMBER_KEYS_ROOM_VERSION,
  publicKeyFromMemberId,
  redactEvent,
  SERVED_ROOM_VERSIONS,
  verifyEventSignature,
} from '../../src/protocol';
import type { Homeserver } from '../homeserver';
import { localpartOf } from '../homeserver';
import { forbidden, MatrixError } from '../http/errors';
import { authKey, AuthError, checkAuth, mayRedact } from '../rooms/authorization';
import { sealPdu, type Pdu } from '../rooms/pdu';
import { hasRoomIdFromCreate, isSupportedRoomVersion, usesMemberKeys } from '../rooms/room-versions';
import type { StoredEvent } from '../storage/events';
import { FederationClient, FederationError, requireServerName } from './client';
import { KeyRing, OwnKeys } from './keys';
import { OutboundQueue } from './outbound';
import { ServerAclCache } from './server-acl';
import { resolveState, type StateIds } from './state-res';
import { FederationStore, OutlierStore } from './store';

const MAX_PDU_BYTES = 65_536;
const MISSING_EVENTS_LIMIT = 50;
export const BACKFILL_ON_JOIN = 100;
/** Servers one /messages page may ask for older history (then it answers with what is local). */
const BACKFILL_SERVERS_PER_PAGE = 2;
const BACKFILL_MAX_EVENTS = 200;
const BACKFILL_TIMEOUT_MS = 10_000;
/**
 * Above this many forward extremities a local member sends a dummy event that names the deepest of them (Synapse's
 * `dummy_events_threshold`, 10), so the set stays small however many siblings other servers send.
 */
export const EXTREMITIES_THRESHOLD = 10;
/** At most this many dummy events per burst of extremities (each ties up to MAX_PREV_EVENTS of them together). */
const DUMMY_EVENTS_PER_BURST = 6;
export const DUMMY_EVENT_TYPE = 'org.matrix.dummy_event';
/** How many of the oldest timeline events are looked at for prev_events we lack. */
const BACKWARD_EDGE_SCAN = 20;

export class PduError extends Error {}

type Json = Record<string, unknown>;

/** The domain a member event routes to: the user ID's server, or the claimed `domain` in member-key rooms. */
export function memberDomain(version: string, member: Pdu): string | undefined {
  if (usesMemberKeys(version)) return typeof member.content.domain === 'string' ? member.content.domain : undefined;
  const id = member.state_key ?? '';
  const colon = id.indexOf(':');
  return colon > 0 ? id.slice(colon + 1) : undefined;
}

export const serverOfUserId = (userId: string) => userId.slice(userId.indexOf(':') + 1);

/** Is the PDU in this room? The create event of a room whose ID derives from it carries no room_id. */
export function belongsToRoom(pdu: Pdu, roomId: string, version: string): boolean {
  if (pdu.room_id !== undefined) return pdu.room_id === roomId;
  return pdu.type === 'm.room.create' && hasRoomIdFromCreate(version) && computeEventId(pdu, version) === `$${roomId.slice(1)}`;
}

/**
 * Is the event we hold under `eventId` one of `roomId`'s? Every event names its room, except the create event of a
 * room whose ID derives from it (room version 12 line), whose own ID is the room's (`$` for `!`). `eventId` must be
 * the event's computed ID (as every store keys it), so this needs no hashing.
 */
export function pduInRoom(eventId: string, pdu: Pdu, roomId: string): boolean {
  if (pdu.room_id !== undefined) return pdu.room_id === roomId;
  return pdu.type === 'm.room.create' && eventId === `$${roomId.slice(1)}`;
}

/** Whom to ask for history: the room's origin first when it still has members here, then the other servers. */
export function backfillCandidates(origin: string | undefined, joinedServers: string[], self: string): string[] {
  const others = joinedServers.filter((s) => s !== self);
  return origin && others.includes(origin) ? [origin, ...others.filter((s) => s !== origin)] : others;
}

/**
 * The room state a resident server hands a joining one, keeping only events that pass the auth rules against
 * their own auth events (from the state and auth chain it sent): a resident cannot slip in unauthorised state.
 */
export function authorisedByTheirAuthEvents(state: Map<string, Pdu>, authChain: Map<string, Pdu>, version: string, createId: string): Map<string, Pdu> {
  const all = new Map([...authChain, ...state]);
  const kept = new Map<string, Pdu>();
  for (const [id, pdu] of state) {
    const authState = new Map<string, Pdu>();
    for (const authId of [...pdu.auth_events, ...(pdu.type === 'm.room.create' ? [] : [createId])]) {
      const auth = all.get(authId);
      if (auth && auth.state_key !== undefined) authState.set(authKey(auth.type, auth.state_key), auth);
    }
    try {
      checkAuth(pdu, authState, version, pdu.prev_events.length === 1 && pdu.prev_events[0] === createId);
      kept.set(id, pdu);
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
    }
  }
  return kept;
}

export class Federation {
  readonly store: FederationStore;
  readonly outliers: OutlierStore;
  readonly client: FederationClient;
  readonly ownKeys: OwnKeys;
  readonly keyRing: KeyRing;
  readonly outbound: OutboundQueue;
  readonly serverAcls: ServerAclCache;
  /** Dev switch for `/_matrix/key/v2/server`: answer, answer 404, or never answer. */
  keyEndpointMode: 'normal' | '404' | 'hang' = 'normal';
  private readonly roomLocks = new Map<string, Promise<unknown>>();
  /** One backfill per room at a time: concurrent pages share it. */
  private readonly backfills = new Map<string, Promise<number>>();
  /** Rooms with too many forward extremities, waiting for their dummy events. */
  private readonly extremityTrims = new Set<string>();

  constructor(private readonly hs: Homeserver) {
    this.store = new FederationStore(hs.db);
    this.outliers = new OutlierStore(hs.db);
    this.client = new FederationClient(hs);
    this.ownKeys = new OwnKeys(hs);
    this.keyRing = new KeyRing(hs, this.ownKeys, this.client, this.store);
    this.outbound = new OutboundQueue({
      serverName: hs.config.serverName,
      store: this.store,
      client: this.client,
      findPdu: (id) => this.findPdu(id)?.pdu,
      maxBackoffMs: hs.config.federationMaxBackoffMs,
    });
    this.serverAcls = new ServerAclCache((roomId) => {
      const eventId = hs.events.currentStateEventId(roomId, 'm.room.server_acl', '');
      const event = eventId ? hs.events.event(eventId) : undefined;
      return event ? { eventId: event.eventId, content: event.pdu.content } : undefined;
    });
    hs.rooms.onLocalEventStored((event, version) => this.onLocalEvent(event, version));
  }

  get serverName(): string {
    return this.hs.config.serverName;
  }

  /** Resumes the queues and tells every server we share a room with that we are back (an empty transaction). */
  start(): void {
    this.outbound.start();
    const peers = new Set<string>();
    for (const roomId of this.store.allRoomIds()) for (const server of this.serversInRoom(roomId)) peers.add(server);
    for (const peer of peers) {
      void this.client
        .request(peer, 'PUT', `/_matrix/federation/v1/send/hello-${Date.now()}`, { body: { origin: this.serverName, origin_server_ts: Date.now(), pdus: [], edus: [] } })
        .catch(() => undefined);
    }
  }

  stop(): void {
    this.outbound.stop();
  }

  // ---- lookups ------------------------------------------------------------------------------------------

  findPdu(eventId: string): { pdu: Pdu; roomId: string; stored?: StoredEvent } | undefined {
    const stored = this.hs.events.event(eventId);
    if (stored) return { pdu: stored.pdu, roomId: stored.roomId, stored };
    const soft = this.store.softFailed(eventId);
    if (soft) return { pdu: soft.pdu, roomId: soft.roomId };
    const outlier = this.outliers.get(eventId);
    return outlier ? { pdu: outlier, roomId: outlier.room_id ?? '' } : undefined;
  }

  /**
   * An event we hold, but only if it is one of `roomId`'s. Event IDs are global, and our stores are keyed by event
   * ID alone: every lookup that feeds a room's state, auth checks or DAG walks goes through here.
   */
  findInRoom(eventId: string, roomId: string): Pdu | undefined {
    const found = this.findPdu(eventId);
    if (!found || (found.roomId !== '' && found.roomId !== roomId) || !pduInRoom(eventId, found.pdu, roomId)) return undefined;
    return found.pdu;
  }

  /**
   * The first of `ids` that is an event of another room (or of no room we can tell): one we hold (stored, soft-failed,
   * held for auth, or rejected) for another room, or one a server handed us for another room (`foreign`).
   */
  foreignEvent(roomId: string, ids: readonly string[], foreign: ReadonlySet<string> = new Set()): string | undefined {
    return ids.find((id) => {
      if (foreign.has(id)) return true;
      const found = this.findPdu(id);
      if (found) return (found.roomId !== '' && found.roomId !== roomId) || !pduInRoom(id, found.pdu, roomId);
      const rejectedIn = this.store.rejectedRoom(id);
      return rejectedIn !== undefined && rejectedIn !== roomId;
    });
  }

  private have(eventId: string): boolean {
    return this.findPdu(eventId) !== undefined || this.store.isRejected(eventId);
  }

  createEventId(roomId: string, version: string): string | undefined {
    if (hasRoomIdFromCreate(version)) return `$${roomId.slice(1)}`;
    return this.hs.events.currentStateEventId(roomId, 'm.room.create', '');
  }

  currentStateIds(roomId: string): StateIds {
    const ids: StateIds = new Map();
    for (const [key, event] of this.hs.events.currentState(roomId)) ids.set(key, event.eventId);
    return ids;
  }

  /** Servers with joined members (never ourselves). */
  serversInRoom(roomId: string): string[] {
    const room = this.hs.events.room(roomId);
    if (!room) return [];
    const servers = new Set<string>();
    for (const event of this.hs.events.currentState(roomId).values()) {
      if (event.pdu.type !== 'm.room.member' || event.pdu.content.membership !== 'join') continue;
      const domain = memberDomain(room.room_version, event.pdu);
      if (domain) servers.add(domain);
    }
    servers.delete(this.serverName);
    return [...servers];
  }

  private async withRoomLock<T>(roomId: string, run: () => Promise<T>): Promise<T> {
    const previous = this.roomLocks.get(roomId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(run);
    this.roomLocks.set(roomId, next);
    try {
      return await next;
    } finally {
      if (this.roomLocks.get(roomId) === next) this.roomLocks.delete(roomId);
    }
  }

  // ---- outgoing -----------------------------------------------------------------------------------------

  /** Subscribed to RoomService's local events, inside the transaction that stored one: snapshot state, queue for peers. */
  onLocalEvent(event: StoredEvent, version: string): void {
    const { pdu: sent } = event;
    const shared = sent.state_key === undefined && sent.prev_events.length === 1 && this.store.shareStateGroup(event.roomId, sent.prev_events[0]!, event.eventId);
    if (!shared) this.store.setStateAfter(event.roomId, event.eventId, this.currentStateIds(event.roomId));
    if (this.federationForbidden(event.roomId)) return;
    const destinations = new Set(this.serversInRoom(event.roomId));
    const { pdu } = event;
    // A member leaving or being kicked/banned still hears about it (a kick carries no claim: use the previous one).
    if (pdu.type === 'm.room.member') {
      const previous = event.replacesState ? this.hs.events.event(event.replacesState)?.pdu : undefined;
      for (const member of [pdu, previous]) {
        const domain = member && memberDomain(version, member);
        if (domain && domain !== this.serverName) destinations.add(domain);
      }
    }
    if (destinations.size === 0) return;
    this.outbound.enqueuePdu(destinations, event.eventId);
    setImmediate(() => destinations.forEach((d) => this.outbound.kick(d)));
  }

  sendEdu(roomId: string, eduType: string, content: unknown): void {
    const destinations = this.serversInRoom(roomId);
    if (destinations.length === 0) return;
    this.outbound.enqueueEdu(destinations, { edu_type: eduType, content });
    setImmediate(() => destinations.forEach((d) => this.outbound.kick(d)));
  }

  // ---- incoming PDUs ------------------------------------------------------------------------------------

  /** Checks one PDU from `origin` and stores it (or soft-fails or rejects it). Returns its event ID. */
  async receivePdu(origin: string, raw: unknown, fetchMissing = true): Promise<string> {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new PduError('a PDU must be a JSON object');
    const roomId = (raw as Json).room_id;
    if (typeof roomId !== 'string') throw new PduError('room_id is missing');
    const room = this.hs.events.room(roomId);
    if (!room) throw new PduError(`this server is not in ${roomId}`);
    return this.withRoomLock(roomId, () => this.receiveInRoom(origin, raw as Pdu, room.room_version, fetchMissing));
  }

  /** MSC4430: with `m.federate: false` a member-key room accepts no federation traffic at all (classic: as the spec says). */
  federationForbidden(roomId: string): boolean {
    const createId = this.hs.events.currentStateEventId(roomId, 'm.room.create', '');
    const create = createId ? this.hs.events.event(createId) : undefined;
    return create?.pdu.content['m.federate'] === false;
  }

  private async receiveInRoom(origin: string, raw: Pdu, version: string, fetchMissing: boolean): Promise<string> {
    if (this.federationForbidden(raw.room_id!)) throw new PduError('this room does not federate (m.federate is false)');
    const checked = await this.checkPdu(raw, version);
    const { eventId } = checked;
    const pdu = checked.pdu;
    if (this.have(eventId)) return eventId;
    const roomId = pdu.room_id!;
    const createId = this.createEventId(roomId, version);

    // The DAG and the auth chain stay inside the room: an event that names another room's event (one we hold, or one
    // the origin hands us when we ask) as a prev or auth event is rejected, before any state is computed from it.
    const foreign = new Set<string>();
    for (const authId of pdu.auth_events) if (!this.have(authId)) await this.fetchOutlier(origin, authId, roomId, version, foreign).catch(() => undefined);
    const crossAuth = this.foreignEvent(roomId, pdu.auth_events, foreign);
    if (crossAuth) return this.reject(eventId, roomId, pdu, `auth event ${crossAuth} is not an event of this room`);
    const crossPrev = this.foreignEvent(roomId, pdu.prev_events);
    if (crossPrev) return this.reject(eventId, roomId, pdu, `prev event ${crossPrev} is not an event of this room`);
    const badAuth = this.authEventsProblem(pdu, roomId, version);
    if (badAuth) return this.reject(eventId, roomId, pdu, `auth events: ${badAuth}`);
    try {
      checkAuth(pdu, this.authStateFromAuthEvents(pdu, createId, (id) => this.findInRoom(id, roomId)), version, this.previousIsCreate(pdu, createId));
    } catch (error) {
      if (error instanceof AuthError) return this.reject(eventId, roomId, pdu, `auth events: ${error.message}`);
      throw error;
    }

    if (fetchMissing && pdu.prev_events.some((id) => !this.have(id))) {
      await this.fetchMissingEvents(origin, roomId, eventId, version, foreign);
      const crossFetched = this.foreignEvent(roomId, pdu.prev_events, foreign);
      if (crossFetched) return this.reject(eventId, roomId, pdu, `prev event ${crossFetched} is not an event of this room`);
    }

    const stateBefore = this.stateBefore(roomId, pdu, createId, version);
    try {
      checkAuth(pdu, this.authState(roomId, stateBefore), version, this.previousIsCreate(pdu, createId));
    } catch (error) {
      if (error instanceof AuthError) return this.reject(eventId, roomId, pdu, `state before the event: ${error.message}`);
      throw error;
    }

    // Pushed by the origin itself (not fetched as someone's missing event): the origin signed as the sender.
    if (fetchMissing && usesMemberKeys(version)) {
      const before = stateBefore.get(authKey('m.room.member', pdu.sender));
      this.hs.links.noteSigner(roomId, pdu.sender, origin, eventId, pdu.origin_server_ts, before ? this.findInRoom(before, roomId) : undefined);
    }

    let softFail: string | undefined;
    const current = this.currentStateIds(roomId);
    try {
      checkAuth(pdu, this.authState(roomId, current), version, this.previousIsCreate(pdu, createId));
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      softFail = `fails auth against the current state: ${error.message}`;
    }
    if (!softFail && usesMemberKeys(version) && pdu.state_key === undefined) {
      const link = await this.hs.links.linkOfSender(roomId, pdu.sender);
      if (link.status !== 'verified') {
        softFail = `the sender's link is ${link.status}: ${link.reason ?? ''}`;
        // Held for release if the link waits only for the domain's keys (LinkService.hold).
        this.hs.links.hold(roomId, pdu.sender, eventId);
      }
    }
    if (pdu.type === 'm.room.redaction' && !softFail) {
      const target = typeof pdu.content.redacts === 'string' ? this.hs.events.event(pdu.content.redacts) : undefined;
      if (target && target.roomId === roomId && !mayRedact(pdu.sender, target.pdu, this.authState(roomId, stateBefore), version)) {
        softFail = 'not allowed to redact that event';
      }
    }
    this.persistRemote(roomId, version, eventId, pdu, stateBefore, softFail);
    if (!softFail && this.hs.events.forwardExtremities(roomId).length > EXTREMITIES_THRESHOLD) this.scheduleExtremityTrim(roomId);
    return eventId;
  }

  /**
   * Keeps a room's forward extremities few (Synapse's approach): when remote events leave more than
   * EXTREMITIES_THRESHOLD, a local member who may send sends `org.matrix.dummy_event`s, each naming up to
   * MAX_PREV_EVENTS of the deepest extremities, until the set is back under the threshold. Deferred, so a whole
   * transaction of siblings is tied up at once; a room without such a member waits for its next local event.
   */
  private scheduleExtremityTrim(roomId: string): void {
    if (this.extremityTrims.has(roomId)) return;
    this.extremityTrims.add(roomId);
    setImmediate(() => {
      this.extremityTrims.delete(roomId);
      void this.withRoomLock(roomId, async () => this.trimExtremities(roomId)).catch((error: unknown) => {
        console.warn(`dummy events for ${roomId} failed: ${(error as Error).message}`);
      });
    });
  }

  /** Sends dummy events while the room has too many extremities; returns how many were sent. */
  trimExtremities(roomId: string): number {
    let sent = 0;
    while (sent < DUMMY_EVENTS_PER_BURST && this.hs.events.forwardExtremities(roomId).length > EXTREMITIES_THRESHOLD) {
      const sender = this.hs.events.localJoinedUsers(roomId).find((userId) => {
        try {
          this.hs.rooms.send(roomId, userId, { type: DUMMY_EVENT_TYPE, content: {} });
          return true;
        } catch (error) {
          if (error instanceof MatrixError) return false; // no power to send, or no server-held member key: the next member
          throw error;
        }
      });
      if (!sender) break;
      sent++;
    }
    return sent;
  }

  /**
   * A soft-failed event held only for its sender's link (LinkService.hold), whose link has since verified: stored as
   * a normal event if it still passes the auth rules against the room's current state (and, for a redaction, may
   * redact its target). Returns whether it was stored.
   */
  async releaseSoftFailed(eventId: string): Promise<boolean> {
    const soft = this.store.softFailed(eventId);
    const room = soft ? this.hs.events.room(soft.roomId) : undefined;
    if (!soft || !room) return false;
    const { roomId, pdu } = soft;
    const version = room.room_version;
    return this.withRoomLock(roomId, async () => {
      if (this.hs.events.event(eventId) || !this.store.softFailed(eventId)) return false;
      const createId = this.createEventId(roomId, version);
      try {
        checkAuth(pdu, this.authState(roomId, this.currentStateIds(roomId)), version, this.previousIsCreate(pdu, createId));
      } catch (error) {
        if (error instanceof AuthError) return false;
        throw error;
      }
      if (pdu.type === 'm.room.redaction') {
        const target = typeof pdu.content.redacts === 'string' ? this.hs.events.event(pdu.content.redacts) : undefined;
        if (target && target.roomId === roomId && !mayRedact(pdu.sender, target.pdu, this.authState(roomId, this.currentStateIds(roomId)), version)) return false;
      }
      const stateBefore = this.stateBefore(roomId, pdu, createId, version);
      this.persistRemote(roomId, version, eventId, pdu, stateBefore, undefined);
      this.store.deleteSoftFailed(eventId);
      if (this.hs.events.forwardExtremities(roomId).length > EXTREMITIES_THRESHOLD) this.scheduleExtremityTrim(roomId);
      return true;
    });
  }

  /** Format, signature and hash checks. A bad hash means a redacted copy is kept (spec: "Checks performed on receipt"). */
  async checkPdu(raw: Pdu, version: string): Promise<{ pdu: Pdu; eventId: string }> {
    const size = JSON.stringify(raw).length;
    if (size > MAX_PDU_BYTES) throw new PduError('PDU larger than 65536 bytes');
    const ok =
      typeof raw.type === 'string' &&
      typeof raw.sender === 'string' &&
      typeof raw.content === 'object' && raw.content !== null &&
      Number.isSafeInteger(raw.depth) &&
      Number.isSafeInteger(raw.origin_server_ts) &&
      Array.isArray(raw.prev_events) && raw.prev_events.every((e) => typeof e === 'string') &&
      Array.isArray(raw.auth_events) && raw.auth_events.every((e) => typeof e === 'string') &&
      (raw.state_key === undefined || typeof raw.state_key === 'string');
    if (!ok) throw new PduError('malformed PDU');
    if (raw.prev_events.length > 20 || raw.auth_events.length > 10) throw new PduError('too many prev_events or auth_events');
    let eventId: string;
    try {
      eventId = computeEventId(raw, version);
    } catch (error) {
      throw new PduError(`cannot compute the event ID: ${(error as Error).message}`);
    }
    if (!(await this.signatureValid(raw, version))) throw new PduError(`${eventId} is not validly signed by its sender`);
    const pdu = checkContentHash(raw) ? raw : (redactEvent(raw, version) as unknown as Pdu);
    return { pdu, eventId };
  }

  private async signatureValid(pdu: Pdu, version: string): Promise<boolean> {
    if (usesMemberKeys(version)) {
      try {
        return await verifyEventSignature(pdu, version, pdu.sender, MEMBER_KEY_ID, publicKeyFromMemberId(pdu.sender));
      } catch {
        return false;
      }
    }
    const server = serverOfUserId(pdu.sender);
    const bySigner = pdu.signatures?.[server];
    if (!bySigner) return false;
    for (const keyId of Object.keys(bySigner)) {
      // A retired key verifies only events sent before its expired_ts.
      const key = await this.keyRing.eventKey(server, keyId, pdu.origin_server_ts).catch(() => undefined);
      if (key && (await verifyEventSignature(pdu, version, server, keyId, key))) return true;
    }
    return false;
  }

  private reject(eventId: string, roomId: string, pdu: Pdu, reason: string): string {
    this.hs.events.recordRejected(eventId, roomId, reason, pdu);
    return eventId;
  }

  private previousIsCreate(pdu: Pdu, createId: string | undefined): boolean {
    return pdu.prev_events.length === 1 && pdu.prev_events[0] === createId;
  }

  /**
   * The spec's auth rule about the event's `auth_events` themselves ("Considering the event's auth_events"), for the
   * entries we hold: none we rejected, no two for one (type, state_key), and none that the auth events selection
   * would not pick for this event (room version 12 leaves the create event out of them).
   */
  private authEventsProblem(pdu: Pdu, roomId: string, version: string): string | undefined {
    const allowed = new Set([authKey('m.room.power_levels', ''), authKey('m.room.member', pdu.sender)]);
    if (!hasRoomIdFromCreate(version)) allowed.add(authKey('m.room.create', ''));
    if (pdu.type === 'm.room.member' && pdu.state_key !== undefined) {
      allowed.add(authKey('m.room.member', pdu.state_key));
      const { membership, third_party_invite: thirdParty } = pdu.content as { membership?: unknown; third_party_invite?: { signed?: { token?: unknown } } };
      if (membership === 'join' || membership === 'invite' || membership === 'knock') allowed.add(authKey('m.room.join_rules', ''));
      const token = thirdParty?.signed?.token;
      if (membership === 'invite' && typeof token === 'string') allowed.add(authKey('m.room.third_party_invite', token));
    }
    const seen = new Set<string>();
    for (const id of pdu.auth_events) {
      if (this.store.isRejected(id)) return `${id} was rejected`;
      const event = this.findInRoom(id, roomId);
      if (!event) continue;
      const key = authKey(event.type, event.state_key ?? '');
      if (event.state_key === undefined || !allowed.has(key)) return `${id} (${event.type}) is not an auth event the selection picks for this event`;
      if (seen.has(key)) return `two auth events for (${event.type}, ${event.state_key})`;
      seen.add(key);
    }
    return undefined;
  }

  /** The state an event's own auth events make; `lookup` must only find events of the event's room. */
  private authStateFromAuthEvents(pdu: Pdu, createId: string | undefined, lookup: (id: string) => Pdu | undefined): Map<string, Pdu> {
    const state = new Map<string, Pdu>();
    const ids = [...pdu.auth_events, ...(createId ? [createId] : [])];
    for (const id of ids) {
      const event = lookup(id);
      if (event && event.state_key !== undefined) state.set(authKey(event.type, event.state_key), event);
    }
    return state;
  }

  authState(roomId: string, ids: StateIds): Map<string, Pdu> {
    const state = new Map<string, Pdu>();
    for (const [key, id] of ids) {
      const event = this.findInRoom(id, roomId);
      if (event) state.set(key, event);
    }
    return state;
  }

  /** The state before an event: the resolution of the states after its prev_events we know (this room's only). */
  stateBefore(roomId: string, pdu: Pdu, createId: string | undefined, version: string): StateIds {
    const states = pdu.prev_events.map((id) => this.store.stateAfter(roomId, id)).filter((s): s is StateIds => !!s);
    if (states.length === 0) return this.currentStateIds(roomId);
    return resolveState({ version, states, lookup: (id) => this.findInRoom(id, roomId), createEventId: createId ?? '' });
  }

  /** Fetches an auth event we lack and holds it for `roomId`; one of another room is not kept but noted in `foreign`. */
  private async fetchOutlier(origin: string, eventId: string, roomId: string, version: string, foreign: Set<string>): Promise<void> {
    const reply = await this.client.request<{ pdus?: unknown[] }>(origin, 'GET', `/_matrix/federation/v1/event/${encodeURIComponent(eventId)}`);
    const raw = reply.pdus?.[0];
    if (!raw) return;
    const { pdu, eventId: computed } = await this.checkPdu(raw as Pdu, version);
    if (computed !== eventId) throw new PduError(`${origin} sent a different event for ${eventId}`);
    if (!pduInRoom(eventId, pdu, roomId)) {
      foreign.add(eventId);
      return;
    }
    this.outliers.put(eventId, roomId, pdu);
  }

  /** Asks `origin` for the events between our extremities and `eventId`; those of another room are noted in `foreign`, not taken. */
  private async fetchMissingEvents(origin: string, roomId: string, eventId: string, version: string, foreign: Set<string>): Promise<void> {
    let reply: { events?: unknown[] };
    try {
      reply = await this.client.request(origin, 'POST', `/_matrix/federation/v1/get_missing_events/${encodeURIComponent(roomId)}`, {
        body: { earliest_events: this.hs.events.forwardExtremities(roomId), latest_events: [eventId], limit: MISSING_EVENTS_LIMIT, min_depth: 0 },
      });
    } catch {
      return;
    }
    const objects = Array.isArray(reply.events) ? reply.events.filter((e): e is Pdu => typeof e === 'object' && e !== null) : [];
    const events: Pdu[] = [];
    for (const event of objects) {
      if (belongsToRoom(event, roomId, version)) events.push(event);
      else {
        const id = safeEventId(event, version);
        if (id) foreign.add(id);
      }
    }
    events.sort((a, b) => a.depth - b.depth);
    for (const event of events) {
      try {
        await this.receiveInRoom(origin, event, version, false);
      } catch {
        // a bad missing event is skipped; the gap stays
      }
    }
  }

  /** Stores a checked remote event and moves the room forward: state snapshot, extremities, resolved current state. */
  private persistRemote(roomId: string, version: string, eventId: string, pdu: Pdu, stateBefore: StateIds, softFail: string | undefined): void {
    this.hs.events.transaction(() => {
      if (softFail) {
        this.store.putSoftFailed(eventId, roomId, pdu, softFail);
        return;
      }
      const stateAfter = new Map(stateBefore);
      if (pdu.state_key !== undefined) stateAfter.set(authKey(pdu.type, pdu.state_key), eventId);
      const previousCurrent = this.currentStateIds(roomId);
      const replacesState = pdu.state_key !== undefined ? (stateBefore.get(authKey(pdu.type, pdu.state_key)) ?? null) : null;
      const streamOrdering = this.hs.stream.next();
      this.hs.events.insertEvent({ streamOrdering, eventId, roomId, pdu, replacesState, senderUserId: null, txnDeviceId: null, txnId: null });
      this.hs.push.recordEvent({ roomId, version, eventId, streamOrdering, pdu, senderUserId: null, state: this.hs.events.currentState(roomId) });
      const shared = pdu.state_key === undefined && pdu.prev_events.length === 1 && this.store.shareStateGroup(roomId, pdu.prev_events[0]!, eventId);
      if (!shared) this.store.setStateAfter(roomId, eventId, stateAfter);
      const prevs = new Set(pdu.prev_events);
      const extremities = [...this.hs.events.forwardExtremities(roomId).filter((id) => !prevs.has(id)), eventId];
      this.hs.events.setForwardExtremities(roomId, extremities);
      const states = extremities.map((id) => (id === eventId ? stateAfter : (this.store.stateAfter(roomId, id) ?? previousCurrent)));
      const createId = this.createEventId(roomId, version) ?? '';
      const resolved = resolveState({ version, states, lookup: (id) => this.findInRoom(id, roomId), createEventId: createId });
      this.applyCurrentState(roomId, version, previousCurrent, resolved);
      if (pdu.type === 'm.room.redaction' && typeof pdu.content.redacts === 'string') {
        const target = this.hs.events.event(pdu.content.redacts);
        if (target && target.roomId === roomId && !target.redactedBy) {
          this.hs.events.markRedacted(target.eventId, eventId, redactEvent(target.pdu, version) as unknown as Pdu);
          this.hs.links.forgetEvent(target.eventId);
          this.hs.push.forgetEvent(target.eventId);
        }
      }
    });
    this.hs.notifier.notifyRoom(roomId);
  }

  /** Writes the keys that changed into current_state and the local membership table. */
  applyCurrentState(roomId: string, version: string, before: StateIds, after: StateIds): void {
    for (const [key, id] of after) {
      if (before.get(key) === id) continue;
      const [type, stateKey] = key.split('\u0000') as [string, string];
      this.hs.events.setCurrentState(roomId, type, stateKey, id);
      if (type !== 'm.room.member') continue;
      if (usesMemberKeys(version)) this.hs.links.checkSoon(roomId);
      const member = this.hs.rooms.localUserOf(roomId, version, stateKey);
      const event = this.hs.events.event(id);
      if (member && event) this.hs.events.setMembership(roomId, member, String(event.pdu.content.membership), id, event.streamOrdering);
    }
  }

  // ---- incoming EDUs ------------------------------------------------------------------------------------

  /**
   * Typing notices and read receipts from `origin`. Each is about one user in one room, and is dropped unless that
   * user is a joined member of the room whose server is `origin` (and the room lets `origin` in: ACL). Other EDU
   * types (presence, to-device, device lists) are not handled and are dropped.
   */
  receiveEdu(origin: string, edu: unknown): void {
    if (typeof edu !== 'object' || edu === null) return;
    const { edu_type: type, content } = edu as { edu_type?: unknown; content?: unknown };
    if (typeof content !== 'object' || content === null) return;
    if (type === 'm.typing') {
      const { room_id: roomId, user_id: userId, typing } = content as Json;
      if (typeof roomId !== 'string' || typeof userId !== 'string' || typeof typing !== 'boolean') return;
      if (!this.isJoinedMemberOf(roomId, userId, origin)) return;
      this.hs.typing.set(roomId, userId, typing, 30_000);
    } else if (type === 'm.receipt') {
      for (const [roomId, byType] of Object.entries(content as Json)) {
        if (typeof byType !== 'object' || byType === null) continue;
        const reads = (byType as Json)['m.read'];
        if (typeof reads !== 'object' || reads === null) continue;
        for (const [userId, receipt] of Object.entries(reads as Json)) {
          const eventIds = (receipt as { event_ids?: unknown } | null)?.event_ids;
          if (!Array.isArray(eventIds) || typeof eventIds[0] !== 'string') continue;
          if (this.hs.events.event(eventIds[0])?.roomId !== roomId) continue; // a receipt names an event of its room
          if (!this.isJoinedMemberOf(roomId, userId, origin)) continue;
          this.hs.receipts.put(roomId, userId, 'm.read', '', eventIds[0]);
        }
      }
      this.hs.notifier.notify();
    }
  }

  /**
   * Is `userId` a joined member of the room, on server `origin`? Classic rooms: its member event is `join` and its
   * user ID is on `origin`. Member-key rooms (EDUs name users by user ID, as this server sends them; a member key is
   * taken too): a joined member event whose claim (`localpart`, `domain`) is that user ID, with `domain` = `origin`.
   */
  private isJoinedMemberOf(roomId: string, userId: string, origin: string): boolean {
    const room = this.hs.events.room(roomId);
    if (!room || !this.serverAllowed(roomId, origin)) return false;
    const state = this.hs.events.currentState(roomId);
    const joined = (member: Pdu | undefined) => member?.type === 'm.room.member' && member.content.membership === 'join' && memberDomain(room.room_version, member) === origin;
    if (!usesMemberKeys(room.room_version) || !userId.includes(':')) return joined(state.get(authKey('m.room.member', userId))?.pdu);
    const colon = userId.indexOf(':');
    const [localpart, domain] = [userId.slice(1, colon), userId.slice(colon + 1)];
    if (domain !== origin) return false;
    for (const { pdu } of state.values()) if (pdu.type === 'm.room.member' && pdu.content.localpart === localpart && joined(pdu)) return true;
    return false;
  }

  // ---- serving: history and state ------------------------------------------------------------------------

  /** The full auth chain of some events (IDs) of `roomId`, from what we hold of that room. */
  authChain(roomId: string, eventIds: string[]): string[] {
    const seen = new Set<string>();
    const stack = eventIds.flatMap((id) => this.findInRoom(id, roomId)?.auth_events ?? []);
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      const found = this.findInRoom(id, roomId);
      if (!found) continue;
      seen.add(id);
      stack.push(...found.auth_events);
    }
    return [...seen];
  }

  /** Walks prev_events of `roomId` backwards from `from` (inclusive), breadth first, up to `limit` events. */
  walkBack(roomId: string, from: string[], limit: number, stopAt: Set<string> = new Set(), minDepth = 0): Pdu[] {
    return this.walkBackWithIds(roomId, from, limit, stopAt, minDepth).map(([, pdu]) => pdu);
  }

  /** walkBack with each event's ID. Never leaves the room: events of another room are neither served nor followed. */
  walkBackWithIds(roomId: string, from: string[], limit: number, stopAt: Set<string> = new Set(), minDepth = 0): [string, Pdu][] {
    const out: [string, Pdu][] = [];
    const seen = new Set<string>(from);
    const queue = [...from];
    while (queue.length > 0 && out.length < limit) {
      const id = queue.shift()!;
      if (stopAt.has(id)) continue;
      const found = this.findInRoom(id, roomId);
      if (!found || found.depth < minDepth) continue;
      out.push([id, found]);
      for (const prev of found.prev_events) if (!seen.has(prev)) (seen.add(prev), queue.push(prev));
    }
    return out;
  }

  // ---- backfill: older history on demand ------------------------------------------------------------------

  /** The room's oldest timeline events whose prev_events are not in our timeline: the edge of a history gap. */
  backwardEdge(roomId: string): string[] {
    const missing = (id: string) => !this.hs.events.isInTimeline(id) && !this.store.isRejected(id) && !this.store.softFailed(id);
    return this.hs.events
      .oldestInTimeline(roomId, BACKWARD_EDGE_SCAN)
      .filter((e) => e.pdu.prev_events.some(missing))
      .map((e) => e.eventId);
  }

  private roomOrigin(roomId: string, version: string): string | undefined {
    const createId = this.hs.events.currentStateEventId(roomId, 'm.room.create', '');
    const creator = createId ? this.hs.events.event(createId)?.pdu.sender : undefined;
    if (!creator) return undefined;
    if (!usesMemberKeys(version)) return serverOfUserId(creator);
    const memberId = this.hs.events.currentStateEventId(roomId, 'm.room.member', creator);
    const member = memberId ? this.hs.events.event(memberId)?.pdu : undefined;
    return member && memberDomain(version, member);
  }

  /**
   * Fills the gap behind the room's oldest timeline events from other servers, as history below everything
   * live. Asks at most a couple of servers once; a dead or lying server is skipped. Resolves to the number of
   * events that joined the timeline (0 when there is no gap or no server helped); never rejects.
   */
  backfill(roomId: string, wanted: number): Promise<number> {
    const running = this.backfills.get(roomId);
    if (running) return running;
    const job = this.backfillFromPeers(roomId, wanted)
      .catch((error: unknown) => {
        console.warn(`backfill of ${roomId} failed: ${(error as Error).message}`);
        return 0;
      })
      .finally(() => this.backfills.delete(roomId));
    this.backfills.set(roomId, job);
    return job;
  }

  private async backfillFromPeers(roomId: string, wanted: number): Promise<number> {
    const room = this.hs.events.room(roomId);
    if (!room || this.federationForbidden(roomId)) return 0;
    const edge = this.backwardEdge(roomId);
    if (edge.length === 0) return 0;
    const version = room.room_version;
    const limit = Math.min(wanted + edge.length + 10, BACKFILL_MAX_EVENTS);
    const query = new URLSearchParams([...edge.map((id) => ['v', id]), ['limit', String(limit)]]).toString();
    const servers = backfillCandidates(this.roomOrigin(roomId, version), this.serversInRoom(roomId), this.serverName).slice(0, BACKFILL_SERVERS_PER_PAGE);
    for (const server of servers) {
      try {
        const reply = await this.client.request<{ pdus?: unknown }>(server, 'GET', `/_matrix/federation/v1/backfill/${encodeURIComponent(roomId)}?${query}`, {
          timeoutMs: BACKFILL_TIMEOUT_MS,
        });
        const pdus = Array.isArray(reply.pdus) ? reply.pdus.slice(0, limit) : [];
        const stored = await this.storeBackfilled(server, roomId, version, pdus);
        if (stored > 0) return stored;
        console.warn(`backfill of ${roomId} from ${server}: nothing new and valid`);
      } catch (error) {
        console.warn(`backfill of ${roomId} from ${server} failed: ${(error as Error).message}`);
      }
    }
    if (servers.length > 0) console.warn(`backfill of ${roomId}: no server filled the gap; answering with local history`);
    return 0;
  }

  /**
   * Checks backfilled PDUs like any received PDU (format, signature, hash with redaction, auth against their auth
   * events) and stores the good ones below all stream positions: history, so no sync, push or state change.
   */
  private async storeBackfilled(origin: string, roomId: string, version: string, raw: unknown[]): Promise<number> {
    const checked = await this.checkedList(raw, version, roomId);
    const fresh = [...checked]
      .filter(([id, pdu]) => belongsToRoom(pdu, roomId, version) && !this.hs.events.isInTimeline(id) && !this.store.isRejected(id) && !this.store.softFailed(id))
      .sort(([, a], [, b]) => a.depth - b.depth);
    const batch = new Map(fresh);
    const lookup = (id: string) => batch.get(id) ?? this.findInRoom(id, roomId);
    const createId = this.createEventId(roomId, version);
    const accepted: [string, Pdu][] = [];
    const foreign = new Set<string>();
    // Oldest first, so an event's auth events from the same batch have been judged before it.
    for (const [eventId, pdu] of fresh) {
      if (this.hs.events.event(eventId)) {
        accepted.push([eventId, pdu]); // held for state (an outlier): authorised when it was stored
        continue;
      }
      for (const authId of pdu.auth_events) if (!lookup(authId) && !this.have(authId)) await this.fetchOutlier(origin, authId, roomId, version, foreign).catch(() => undefined);
      const cross = this.foreignEvent(roomId, [...pdu.auth_events, ...pdu.prev_events], foreign);
      const problem = cross ? `${cross} is not an event of this room` : this.authEventsProblem(pdu, roomId, version);
      if (problem) {
        batch.delete(eventId);
        this.reject(eventId, roomId, pdu, `backfilled, ${problem}`);
        continue;
      }
      try {
        checkAuth(pdu, this.authStateFromAuthEvents(pdu, createId, lookup), version, this.previousIsCreate(pdu, createId));
        accepted.push([eventId, pdu]);
      } catch (error) {
        if (!(error instanceof AuthError)) throw error;
        batch.delete(eventId);
        this.reject(eventId, roomId, pdu, `backfilled, auth events: ${error.message}`);
      }
    }
    if (accepted.length === 0) return 0;
    return this.withRoomLock(roomId, async () =>
      this.hs.events.transaction(() => {
        // Newest first, each one position lower: the timeline reads them back in DAG order, under what we had.
        let position = this.hs.events.lowestStream() - 1;
        let stored = 0;
        for (const [eventId, pdu] of accepted.reverse()) {
          if (this.hs.events.isInTimeline(eventId)) continue;
          const held = this.hs.events.event(eventId);
          const placed = held
            ? this.hs.events.moveIntoTimeline(held, position)
            : (this.hs.events.insertEvent({ streamOrdering: position, eventId, roomId, pdu, replacesState: null, senderUserId: null, txnDeviceId: null, txnId: null }), true);
          if (placed) (position--, stored++);
        }
        this.applyStoredRedactions(roomId, version, accepted);
        return stored;
      }),
    );
  }

  /** History that arrives after its redaction (already stored, or in the same batch) is kept redacted. */
  private applyStoredRedactions(roomId: string, version: string, arrived: [string, Pdu][]): void {
    const redactions = this.hs.events.redactionsByTarget(roomId);
    if (redactions.size === 0) return;
    const powerState = this.authState(roomId, this.currentStateIds(roomId));
    for (const [eventId] of arrived) {
      const redaction = redactions.get(eventId);
      const target = redaction && this.hs.events.event(eventId);
      if (!target || target.redactedBy || !mayRedact(redaction.sender, target.pdu, powerState, version)) continue;
      this.hs.events.markRedacted(eventId, redaction.eventId, redactEvent(target.pdu, version) as unknown as Pdu);
    }
  }

  // ---- joining a room that lives elsewhere ----------------------------------------------------------------

  /** Joins `userId` to a room this server is not in, through the first of `servers` that answers. */
  async joinRemote(roomId: string, userId: string, servers: string[], options: { seed?: Uint8Array; content?: Json } = {}): Promise<string> {
    const candidates = [...new Set([...servers, ...this.outliers.serverHints(roomId)])].filter((s) => s !== this.serverName);
    if (candidates.length === 0) throw new MatrixError(404, 'M_NOT_FOUND', `No server to join ${roomId} through; give server_name (via)`);
    let lastError: unknown;
    for (const server of candidates) {
      try {
        return await this.joinThrough(server, roomId, userId, options);
      } catch (error) {
        lastError = error;
        console.error(`join of ${roomId} through ${server} failed:`, (error as Error).message);
        if (error instanceof MatrixError && error.status === 403) throw error;
      }
    }
    if (lastError instanceof FederationError && lastError.status === 403) throw forbidden(lastError.message);
    if (lastError instanceof MatrixError) throw lastError;
    throw new MatrixError(502, 'M_UNKNOWN', `Could not join ${roomId} through ${candidates.join(', ')}: ${(lastError as Error)?.message}`);
  }

  private guessVersion(roomId: string): string {
    return this.hs.events.room(roomId)?.room_version ?? (roomId.includes(':') ? '11' : MEMBER_KEYS_ROOM_VERSION);
  }

  private async joinThrough(server: string, roomId: string, userId: string, options: { seed?: Uint8Array; content?: Json }): Promise<string> {
    const guessed = this.guessVersion(roomId);
    const memberId = this.hs.rooms.memberIdFor(roomId, guessed, userId, options.seed);
    const versions = new URLSearchParams(SERVED_ROOM_VERSIONS.map((v) => ['ver', v])).toString();
    const made = await this.client
      .request<{ event?: Pdu; room_version?: string }>(server, 'GET', `/_matrix/federation/v1/make_join/${encodeURIComponent(roomId)}/${encodeURIComponent(memberId)}?${versions}`)
      .catch((error: unknown) => {
        if (error instanceof FederationError && error.status === 403) throw forbidden(`${server} refused the join: ${(error.body as { error?: string })?.error ?? ''}`);
        throw error;
      });
    const version = made.room_version ?? '1';
    if (!isSupportedRoomVersion(version) || version !== guessed) throw new MatrixError(400, 'M_INCOMPATIBLE_ROOM_VERSION', `room version ${version} is not what ${roomId} should be`);
    const template = made.event;
    if (!template || !Array.isArray(template.prev_events) || !Array.isArray(template.auth_events)) throw new PduError(`${server} sent a bad join template`);
    const seed = this.hs.rooms.seedOf(roomId, version, userId);
    const content: Json = { ...(options.content ?? {}), membership: 'join' };
    if (usesMemberKeys(version)) Object.assign(content, { localpart: localpartOf(userId), domain: this.serverName });
    const unsealed: Pdu = {
      type: 'm.room.member',
      room_id: roomId,
      sender: memberId,
      state_key: memberId,
      content,
      origin_server_ts: Date.now(),
      depth: template.depth,
      prev_events: template.prev_events,
      auth_events: template.auth_events,
    };
    const { pdu, eventId } = sealPdu(unsealed, version, this.serverName, this.hs.signingKey, seed);
    const reply = await this.client.request<{ state?: unknown[]; auth_chain?: unknown[] }>(
      server,
      'PUT',
      `/_matrix/federation/v2/send_join/${encodeURIComponent(roomId)}/${encodeURIComponent(eventId)}`,
      { body: pdu },
    );
    await this.completeJoin(server, roomId, version, eventId, pdu, reply);
    return eventId;
  }

  /** The PDUs of `list` that pass the checks on receipt and are events of `roomId`. */
  private async checkedList(list: unknown, version: string, roomId: string): Promise<Map<string, Pdu>> {
    const out = new Map<string, Pdu>();
    if (!Array.isArray(list)) return out;
    for (const raw of list) {
      try {
        const { pdu, eventId } = await this.checkPdu(raw as Pdu, version);
        if (pduInRoom(eventId, pdu, roomId)) out.set(eventId, pdu);
      } catch {
        // events that fail the checks are left out
      }
    }
    return out;
  }

  private async completeJoin(server: string, roomId: string, version: string, joinId: string, join: Pdu, reply: { state?: unknown[]; auth_chain?: unknown[] }): Promise<void> {
    // Only this room's events: a resident could hand over another room's events as this room's state or auth chain.
    const checkedState = await this.checkedList(reply.state, version, roomId);
    const authChain = await this.checkedList(reply.auth_chain, version, roomId);
    const create = [...checkedState.values()].find((e) => e.type === 'm.room.create' && e.state_key === '');
    if (!create) throw new PduError(`${server} sent no create event in the room state`);
    const createId = hasRoomIdFromCreate(version) ? `$${roomId.slice(1)}` : [...checkedState].find(([, e]) => e === create)![0];
    if (hasRoomIdFromCreate(version) && computeEventId(create, version) !== createId) throw new PduError(`${server} sent a create event that is not this room's`);
    const state = authorisedByTheirAuthEvents(checkedState, authChain, version, createId);
    let history = new Map<string, Pdu>();
    try {
      const params = new URLSearchParams(join.prev_events.map((id) => ['v', id])).toString();
      const backfill = await this.client.request<{ pdus?: unknown[] }>(server, 'GET', `/_matrix/federation/v1/backfill/${encodeURIComponent(roomId)}?${params}&limit=${BACKFILL_ON_JOIN}`);
      history = await this.checkedList(backfill.pdus, version, roomId);
    } catch {
      // history is a nicety: the join stands without it
    }
    await this.withRoomLock(roomId, async () => {
      this.hs.events.transaction(() => {
        if (!this.hs.events.room(roomId)) this.hs.events.createRoom(roomId, version, create.sender, false);
        const insert = (id: string, pdu: Pdu, outlier = false) => {
          if (this.hs.events.event(id)) return;
          this.hs.events.insertEvent({ streamOrdering: this.hs.stream.next(), eventId: id, roomId, pdu, replacesState: null, senderUserId: null, txnDeviceId: null, txnId: null, outlier });
        };
        const byDepth = (m: Map<string, Pdu>) => [...m].sort(([, a], [, b]) => a.depth - b.depth);
        // History first, then the current state: stored state queries take the latest event per key. State that
        // is not in the history we got is held as outliers: out of the timeline until backfill reaches it.
        for (const [id, pdu] of byDepth(history)) if (!state.has(id)) insert(id, pdu);
        for (const [id, pdu] of byDepth(state)) insert(id, pdu, !history.has(id));
        for (const [id, pdu] of authChain) if (!state.has(id) && !history.has(id)) this.outliers.put(id, roomId, pdu);
        const stateIds: StateIds = new Map([...state].map(([id, pdu]) => [authKey(pdu.type, pdu.state_key ?? ''), id]));
        for (const prev of join.prev_events) if (!this.foreignEvent(roomId, [prev])) this.store.setStateAfter(roomId, prev, stateIds);
        const before = this.currentStateIds(roomId);
        insert(joinId, join);
        const after = new Map(stateIds).set(authKey('m.room.member', join.state_key!), joinId);
        this.store.setStateAfter(roomId, joinId, after);
        this.hs.events.setForwardExtremities(roomId, [joinId]);
        this.applyCurrentState(roomId, version, new Map([...before].filter(([k, id]) => after.get(k) === id)), after);
        this.outliers.addServerHint(roomId, server);
      });
    });
    this.hs.notifier.notify();
  }

  // ---- invites and leaves of remote users -------------------------------------------------------------------

  /** Invites a user of another server: asks their server for a member key (member-key rooms), then for its signature. */
  async inviteRemote(roomId: string, inviterUserId: string, targetUserId: string, extraContent: Json): Promise<string> {
    const version = this.hs.rooms.versionOf(roomId);
    if (this.federationForbidden(roomId)) throw forbidden('this room does not federate (m.federate is false): only local users can join');
    const domain = requireServerName(serverOfUserId(targetUserId), `invite of ${targetUserId}`);
    let target = targetUserId;
    const content: Json = { ...extraContent, membership: 'invite' };
    try {
      if (usesMemberKeys(version)) {
        const reply = await this.client.request<{ member_key?: unknown }>(
          domain,
          'GET',
          `/_matrix/federation/unstable/org.matrix.msc4430/member_key/${encodeURIComponent(roomId)}/${encodeURIComponent(targetUserId)}`,
        );
        if (typeof reply.member_key !== 'string' || !/^@[A-Za-z0-9_-]{43}$/.test(reply.member_key)) throw new PduError(`${domain} sent no usable member key`);
        target = reply.member_key;
        Object.assign(content, { localpart: localpartOf(targetUserId), domain });
      }
      const sealed = this.hs.rooms.seal(roomId, inviterUserId, { type: 'm.room.member', stateKey: target, content });
      const reply = await this.client.request<{ event?: Pdu }>(domain, 'PUT', `/_matrix/federation/v2/invite/${encodeURIComponent(roomId)}/${encodeURIComponent(sealed.eventId)}`, {
        body: { room_version: version, event: sealed.pdu, invite_room_state: this.strippedState(roomId) },
      });
      const signed = reply.event;
      if (!signed || computeEventId(signed, version) !== sealed.eventId) throw new PduError(`${domain} returned a different invite event`);
      return this.hs.rooms.commit({ ...sealed, pdu: { ...sealed.pdu, signatures: signed.signatures } }, inviterUserId).eventId;
    } catch (error) {
      if (error instanceof FederationError) {
        if (error.status === 404) throw new MatrixError(404, 'M_NOT_FOUND', `Unknown user ${targetUserId}`);
        if (error.status === 403) throw forbidden(`${domain} refused the invite: ${error.message}`);
        throw new MatrixError(502, 'M_UNKNOWN', `Could not invite ${targetUserId}: ${error.message}`);
      }
      if (error instanceof PduError) throw new MatrixError(502, 'M_UNKNOWN', error.message);
      throw error;
    }
  }

  /** Stripped state for invites: the events a client needs to show the room before joining (full PDUs, MSC4311). */
  strippedState(roomId: string): Pdu[] {
    const state = this.hs.events.currentState(roomId);
    const types = ['m.room.create', 'm.room.join_rules', 'm.room.name', 'm.room.avatar', 'm.room.canonical_alias', 'm.room.encryption', 'm.room.topic'];
    return types.map((t) => state.get(authKey(t, ''))?.pdu).filter((p): p is Pdu => !!p);
  }

  /** Rejects an invite to a room this server is not in: make_leave/send_leave through the inviting server. */
  async leaveRemote(roomId: string, userId: string): Promise<string> {
    const version = this.hs.rooms.versionOf(roomId);
    const memberId = this.hs.rooms.memberIdFor(roomId, version, userId);
    const servers = this.outliers.serverHints(roomId);
    let lastError: unknown = new Error('no server to leave through');
    for (const server of servers) {
      try {
        const made = await this.client.request<{ event?: Pdu }>(server, 'GET', `/_matrix/federation/v1/make_leave/${encodeURIComponent(roomId)}/${encodeURIComponent(memberId)}`);
        const template = made.event;
        if (!template) throw new PduError('bad leave template');
        const content: Json = { membership: 'leave', ...(usesMemberKeys(version) ? { localpart: localpartOf(userId), domain: this.serverName } : {}) };
        const { pdu, eventId } = sealPdu(
          { type: 'm.room.member', room_id: roomId, sender: memberId, state_key: memberId, content, origin_server_ts: Date.now(), depth: template.depth, prev_events: template.prev_events, auth_events: template.auth_events },
          version,
          this.serverName,
          this.hs.signingKey,
          this.hs.rooms.seedOf(roomId, version, userId),
        );
        await this.client.request(server, 'PUT', `/_matrix/federation/v2/send_leave/${encodeURIComponent(roomId)}/${encodeURIComponent(eventId)}`, { body: pdu });
        this.hs.events.transaction(() => {
          const streamOrdering = this.hs.stream.next();
          this.hs.events.insertEvent({ streamOrdering, eventId, roomId, pdu, replacesState: null, senderUserId: userId, txnDeviceId: null, txnId: null });
          this.hs.events.setMembership(roomId, userId, 'leave', eventId, streamOrdering);
        });
        this.hs.notifier.notify();
        return eventId;
      } catch (error) {
        lastError = error;
      }
    }
    throw new MatrixError(502, 'M_UNKNOWN', `Could not leave ${roomId}: ${(lastError as Error).message}`);
  }

  /** May `server` take part in the room? The room's current m.room.server_acl decides (none: everyone may). */
  serverAllowed(roomId: string, server: string): boolean {
    return this.serverAcls.allows(roomId, server);
  }

  /** Are any local users joined? (Otherwise a join must go through a resident server.) */
  isResident(roomId: string): boolean {
    return this.hs.events.localJoinedUsers(roomId).length > 0;
  }
}

function safeEventId(raw: unknown, version: string): string | undefined {
  try {
    return computeEventId(raw as object, version);
  } catch {
    return undefined;
  }
}
