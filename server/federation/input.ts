// Inbound PDUs (Dendrite's roomserver/internal/input): the checks on receipt (format, size, signatures, hashes),
// auth against the event's auth events, the state before it and the current state (soft-fail), missing prev and auth
// events fetched from the origin, and the event persisted with the room's state moved forward.
import {
  checkContentHash,
  computeEventId,
  MEMBER_KEY_ID,
  publicKeyFromMemberId,
  redactEvent,
  verifyEventSignature,
} from '../../src/protocol';
import type { LinkService } from '../links/link-service';
import type { NotificationCounts } from '../push/notification-counts';
import { authKey, AuthError, checkAuth, mayRedact } from '../rooms/authorization';
import type { Pdu } from '../rooms/pdu';
import { hasRoomIdFromCreate, usesMemberKeys } from '../rooms/room-versions';
import type { StreamCounter } from '../storage/database';
import type { EventStore } from '../storage/events';
import type { Notifier } from '../sync/notifier';
import type { FederationClient } from './client';
import { EXTREMITIES_THRESHOLD, type EventGraph } from './event-graph';
import type { KeyRing } from './keys';
import {
  authStateFromAuthEvents,
  belongsToRoom,
  type Json,
  PduError,
  pduInRoom,
  previousIsCreate,
  safeEventId,
  serverOfUserId,
} from './pdu-rules';
import { resolveState, type StateIds } from './state-res';
import type { FederationStore, OutlierStore } from './store';

const MAX_PDU_BYTES = 65_536;
const MISSING_EVENTS_LIMIT = 50;

export interface InboundPdusDeps {
  events: EventStore;
  stream: StreamCounter;
  store: FederationStore;
  outliers: OutlierStore;
  client: FederationClient;
  keyRing: KeyRing;
  graph: EventGraph;
  links: LinkService;
  push: NotificationCounts;
  notifier: Notifier;
}

export class InboundPdus {
  private readonly events: EventStore;
  private readonly stream: StreamCounter;
  private readonly store: FederationStore;
  private readonly outliers: OutlierStore;
  private readonly client: FederationClient;
  private readonly keyRing: KeyRing;
  private readonly graph: EventGraph;
  private readonly links: LinkService;
  private readonly push: NotificationCounts;
  private readonly notifier: Notifier;

  constructor(deps: InboundPdusDeps) {
    ({
      events: this.events,
      stream: this.stream,
      store: this.store,
      outliers: this.outliers,
      client: this.client,
      keyRing: this.keyRing,
      graph: this.graph,
      links: this.links,
      push: this.push,
      notifier: this.notifier,
    } = deps);
  }

  /** Checks one PDU from `origin` and stores it (or soft-fails or rejects it). Returns its event ID. */
  async receivePdu(origin: string, raw: unknown, fetchMissing = true): Promise<string> {
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new PduError('a PDU must be a JSON object');
    const roomId = (raw as Json).room_id;
    if (typeof roomId !== 'string') throw new PduError('room_id is missing');
    const room = this.events.room(roomId);
    if (!room) throw new PduError(`this server is not in ${roomId}`);
    return this.graph.withRoomLock(roomId, () => this.receiveInRoom(origin, raw as Pdu, room.room_version, fetchMissing));
  }

  private async receiveInRoom(origin: string, raw: Pdu, version: string, fetchMissing: boolean): Promise<string> {
    if (this.graph.federationForbidden(raw.room_id!)) throw new PduError('this room does not federate (m.federate is false)');
    const checked = await this.checkPdu(raw, version);
    const { eventId } = checked;
    const pdu = checked.pdu;
    if (this.graph.have(eventId)) return eventId;
    const roomId = pdu.room_id!;
    const createId = this.graph.createEventId(roomId, version);

    // The DAG and the auth chain stay inside the room: an event that names another room's event (one we hold, or one
    // the origin hands us when we ask) as a prev or auth event is rejected, before any state is computed from it.
    const foreign = new Set<string>();
    for (const authId of pdu.auth_events)
      if (!this.graph.have(authId)) await this.fetchOutlier(origin, authId, roomId, version, foreign).catch(() => undefined);
    const crossAuth = this.graph.foreignEvent(roomId, pdu.auth_events, foreign);
    if (crossAuth) return this.reject(eventId, roomId, pdu, `auth event ${crossAuth} is not an event of this room`);
    const crossPrev = this.graph.foreignEvent(roomId, pdu.prev_events);
    if (crossPrev) return this.reject(eventId, roomId, pdu, `prev event ${crossPrev} is not an event of this room`);
    const badAuth = this.authEventsProblem(pdu, roomId, version);
    if (badAuth) return this.reject(eventId, roomId, pdu, `auth events: ${badAuth}`);
    try {
      checkAuth(
        pdu,
        authStateFromAuthEvents(pdu, createId, (id) => this.graph.findInRoom(id, roomId)),
        version,
        previousIsCreate(pdu, createId),
      );
    } catch (error) {
      if (error instanceof AuthError) return this.reject(eventId, roomId, pdu, `auth events: ${error.message}`);
      throw error;
    }

    if (fetchMissing && pdu.prev_events.some((id) => !this.graph.have(id))) {
      await this.fetchMissingEvents(origin, roomId, eventId, version, foreign);
      const crossFetched = this.graph.foreignEvent(roomId, pdu.prev_events, foreign);
      if (crossFetched) return this.reject(eventId, roomId, pdu, `prev event ${crossFetched} is not an event of this room`);
    }

    const stateBefore = this.graph.stateBefore(roomId, pdu, createId, version);
    try {
      checkAuth(pdu, this.graph.authState(roomId, stateBefore), version, previousIsCreate(pdu, createId));
    } catch (error) {
      if (error instanceof AuthError) return this.reject(eventId, roomId, pdu, `state before the event: ${error.message}`);
      throw error;
    }

    // Pushed by the origin itself (not fetched as someone's missing event): the origin signed as the sender.
    if (fetchMissing && usesMemberKeys(version)) {
      const before = stateBefore.get(authKey('m.room.member', pdu.sender));
      this.links.noteSigner(
        roomId,
        pdu.sender,
        origin,
        eventId,
        pdu.origin_server_ts,
        before ? this.graph.findInRoom(before, roomId) : undefined,
      );
    }

    let softFail: string | undefined;
    const current = this.graph.currentStateIds(roomId);
    try {
      checkAuth(pdu, this.graph.authState(roomId, current), version, previousIsCreate(pdu, createId));
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      softFail = `fails auth against the current state: ${error.message}`;
    }
    if (!softFail && usesMemberKeys(version) && pdu.state_key === undefined) {
      const link = await this.links.linkOfSender(roomId, pdu.sender);
      if (link.status !== 'verified') {
        softFail = `the sender's link is ${link.status}: ${link.reason ?? ''}`;
        // Held for release if the link waits only for the domain's keys (LinkService.hold).
        this.links.hold(roomId, pdu.sender, eventId);
      }
    }
    if (pdu.type === 'm.room.redaction' && !softFail) {
      const target = typeof pdu.content.redacts === 'string' ? this.events.event(pdu.content.redacts) : undefined;
      if (target && target.roomId === roomId && !mayRedact(pdu.sender, target.pdu, this.graph.authState(roomId, stateBefore), version)) {
        softFail = 'not allowed to redact that event';
      }
    }
    this.persistRemote(roomId, version, eventId, pdu, stateBefore, softFail);
    if (!softFail && this.events.forwardExtremities(roomId).length > EXTREMITIES_THRESHOLD) this.graph.scheduleExtremityTrim(roomId);
    return eventId;
  }

  /**
   * A soft-failed event held only for its sender's link (LinkService.hold), whose link has since verified: stored as
   * a normal event if it still passes the auth rules against the room's current state (and, for a redaction, may
   * redact its target). Returns whether it was stored.
   */
  async releaseSoftFailed(eventId: string): Promise<boolean> {
    const soft = this.store.softFailed(eventId);
    const room = soft ? this.events.room(soft.roomId) : undefined;
    if (!soft || !room) return false;
    const { roomId, pdu } = soft;
    const version = room.room_version;
    return this.graph.withRoomLock(roomId, async () => {
      if (this.events.event(eventId) || !this.store.softFailed(eventId)) return false;
      const createId = this.graph.createEventId(roomId, version);
      try {
        checkAuth(pdu, this.graph.authState(roomId, this.graph.currentStateIds(roomId)), version, previousIsCreate(pdu, createId));
      } catch (error) {
        if (error instanceof AuthError) return false;
        throw error;
      }
      if (pdu.type === 'm.room.redaction') {
        const target = typeof pdu.content.redacts === 'string' ? this.events.event(pdu.content.redacts) : undefined;
        if (
          target &&
          target.roomId === roomId &&
          !mayRedact(pdu.sender, target.pdu, this.graph.authState(roomId, this.graph.currentStateIds(roomId)), version)
        )
          return false;
      }
      const stateBefore = this.graph.stateBefore(roomId, pdu, createId, version);
      this.persistRemote(roomId, version, eventId, pdu, stateBefore, undefined);
      this.store.deleteSoftFailed(eventId);
      if (this.events.forwardExtremities(roomId).length > EXTREMITIES_THRESHOLD) this.graph.scheduleExtremityTrim(roomId);
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
      typeof raw.content === 'object' &&
      raw.content !== null &&
      Number.isSafeInteger(raw.depth) &&
      Number.isSafeInteger(raw.origin_server_ts) &&
      Array.isArray(raw.prev_events) &&
      raw.prev_events.every((e) => typeof e === 'string') &&
      Array.isArray(raw.auth_events) &&
      raw.auth_events.every((e) => typeof e === 'string') &&
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

  reject(eventId: string, roomId: string, pdu: Pdu, reason: string): string {
    this.events.recordRejected(eventId, roomId, reason, pdu);
    return eventId;
  }

  /**
   * The spec's auth rule about the event's `auth_events` themselves ("Considering the event's auth_events"), for the
   * entries we hold: none we rejected, no two for one (type, state_key), and none that the auth events selection
   * would not pick for this event (room version 12 leaves the create event out of them).
   */
  authEventsProblem(pdu: Pdu, roomId: string, version: string): string | undefined {
    const allowed = new Set([authKey('m.room.power_levels', ''), authKey('m.room.member', pdu.sender)]);
    if (!hasRoomIdFromCreate(version)) allowed.add(authKey('m.room.create', ''));
    if (pdu.type === 'm.room.member' && pdu.state_key !== undefined) {
      allowed.add(authKey('m.room.member', pdu.state_key));
      const { membership, third_party_invite: thirdParty } = pdu.content as {
        membership?: unknown;
        third_party_invite?: { signed?: { token?: unknown } };
      };
      if (membership === 'join' || membership === 'invite' || membership === 'knock') allowed.add(authKey('m.room.join_rules', ''));
      const token = thirdParty?.signed?.token;
      if (membership === 'invite' && typeof token === 'string') allowed.add(authKey('m.room.third_party_invite', token));
    }
    const seen = new Set<string>();
    for (const id of pdu.auth_events) {
      if (this.store.isRejected(id)) return `${id} was rejected`;
      const event = this.graph.findInRoom(id, roomId);
      if (!event) continue;
      const key = authKey(event.type, event.state_key ?? '');
      if (event.state_key === undefined || !allowed.has(key))
        return `${id} (${event.type}) is not an auth event the selection picks for this event`;
      if (seen.has(key)) return `two auth events for (${event.type}, ${event.state_key})`;
      seen.add(key);
    }
    return undefined;
  }

  /** Fetches an auth event we lack and holds it for `roomId`; one of another room is not kept but noted in `foreign`. */
  async fetchOutlier(origin: string, eventId: string, roomId: string, version: string, foreign: Set<string>): Promise<void> {
    const reply = await this.client.request<{ pdus?: unknown[] }>(
      origin,
      'GET',
      `/_matrix/federation/v1/event/${encodeURIComponent(eventId)}`,
    );
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
        body: {
          earliest_events: this.events.forwardExtremities(roomId),
          latest_events: [eventId],
          limit: MISSING_EVENTS_LIMIT,
          min_depth: 0,
        },
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
  private persistRemote(
    roomId: string,
    version: string,
    eventId: string,
    pdu: Pdu,
    stateBefore: StateIds,
    softFail: string | undefined,
  ): void {
    this.events.transaction(() => {
      if (softFail) {
        this.store.putSoftFailed(eventId, roomId, pdu, softFail);
        return;
      }
      const stateAfter = new Map(stateBefore);
      if (pdu.state_key !== undefined) stateAfter.set(authKey(pdu.type, pdu.state_key), eventId);
      const previousCurrent = this.graph.currentStateIds(roomId);
      const replacesState = pdu.state_key !== undefined ? (stateBefore.get(authKey(pdu.type, pdu.state_key)) ?? null) : null;
      const streamOrdering = this.stream.next();
      this.events.insertEvent({ streamOrdering, eventId, roomId, pdu, replacesState, senderUserId: null, txnDeviceId: null, txnId: null });
      this.push.recordEvent({ roomId, version, eventId, streamOrdering, pdu, senderUserId: null, state: this.events.currentState(roomId) });
      const shared =
        pdu.state_key === undefined && pdu.prev_events.length === 1 && this.store.shareStateGroup(roomId, pdu.prev_events[0]!, eventId);
      if (!shared) this.store.setStateAfter(roomId, eventId, stateAfter);
      const prevs = new Set(pdu.prev_events);
      const extremities = [...this.events.forwardExtremities(roomId).filter((id) => !prevs.has(id)), eventId];
      this.events.setForwardExtremities(roomId, extremities);
      const states = extremities.map((id) => (id === eventId ? stateAfter : (this.store.stateAfter(roomId, id) ?? previousCurrent)));
      const createId = this.graph.createEventId(roomId, version) ?? '';
      const resolved = resolveState({ version, states, lookup: (id) => this.graph.findInRoom(id, roomId), createEventId: createId });
      this.graph.applyCurrentState(roomId, version, previousCurrent, resolved);
      if (pdu.type === 'm.room.redaction' && typeof pdu.content.redacts === 'string') {
        const target = this.events.event(pdu.content.redacts);
        if (target && target.roomId === roomId && !target.redactedBy) {
          this.events.markRedacted(target.eventId, eventId, redactEvent(target.pdu, version) as unknown as Pdu);
          this.links.forgetEvent(target.eventId);
          this.push.forgetEvent(target.eventId);
        }
      }
    });
    this.notifier.notifyRoom(roomId);
  }

  /** The PDUs of `list` that pass the checks on receipt and are events of `roomId`. */
  async checkedList(list: unknown, version: string, roomId: string): Promise<Map<string, Pdu>> {
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
}
