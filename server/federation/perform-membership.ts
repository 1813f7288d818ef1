// The membership handshakes with other servers (Dendrite's perform/join, perform/invite, perform/leave): joining a
// room that lives elsewhere (make_join/send_join), inviting a remote user, rejecting an invite (make_leave/send_leave).
import { computeEventId, KEY_NONCE_FIELD, MEMBER_KEYS_ROOM_VERSION, SERVED_ROOM_VERSIONS } from '../../src/protocol';
import { localpartOf } from '../homeserver';
import { forbidden, MatrixError } from '../http/errors';
import { authKey } from '../rooms/authorization';
import { sealPdu, type Pdu } from '../rooms/pdu';
import type { RoomService } from '../rooms/room-service';
import { hasRoomIdFromCreate, isSupportedRoomVersion, usesMemberKeys } from '../rooms/room-versions';
import type { CurrentSigningKey } from '../signing-key';
import type { StreamCounter } from '../storage/database';
import type { EventStore, StoredEvent } from '../storage/events';
import type { Notifier } from '../sync/notifier';
import { type FederationClient, FederationError, requireServerName } from './client';
import type { EventGraph } from './event-graph';
import type { InboundPdus } from './input';
import { authorisedByTheirAuthEvents, type Json, PduError, serverOfUserId } from './pdu-rules';
import type { StateIds } from './state-res';
import type { FederationStore, OutlierStore } from './store';

export const BACKFILL_ON_JOIN = 100;

export interface MembershipHandshakesDeps {
  serverName: string;
  signingKey: CurrentSigningKey;
  events: EventStore;
  stream: StreamCounter;
  notifier: Notifier;
  rooms: RoomService;
  client: FederationClient;
  store: FederationStore;
  outliers: OutlierStore;
  graph: EventGraph;
  input: InboundPdus;
}

export class MembershipHandshakes {
  private readonly serverName: string;
  private readonly signingKey: CurrentSigningKey;
  private readonly events: EventStore;
  private readonly stream: StreamCounter;
  private readonly notifier: Notifier;
  private readonly rooms: RoomService;
  private readonly client: FederationClient;
  private readonly store: FederationStore;
  private readonly outliers: OutlierStore;
  private readonly graph: EventGraph;
  private readonly input: InboundPdus;

  constructor(deps: MembershipHandshakesDeps) {
    ({
      serverName: this.serverName,
      signingKey: this.signingKey,
      events: this.events,
      stream: this.stream,
      notifier: this.notifier,
      rooms: this.rooms,
      client: this.client,
      store: this.store,
      outliers: this.outliers,
      graph: this.graph,
      input: this.input,
    } = deps);
  }

  /** Joins `userId` to a room this server is not in, through the first of `servers` that answers. */
  async joinRemote(
    roomId: string,
    userId: string,
    servers: string[],
    options: { seed?: Uint8Array; content?: Json } = {},
  ): Promise<string> {
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
    return this.events.room(roomId)?.room_version ?? (roomId.includes(':') ? '11' : MEMBER_KEYS_ROOM_VERSION);
  }

  private async joinThrough(
    server: string,
    roomId: string,
    userId: string,
    options: { seed?: Uint8Array; content?: Json },
  ): Promise<string> {
    const guessed = this.guessVersion(roomId);
    const memberId = this.rooms.memberIdFor(roomId, guessed, userId, options.seed);
    const versions = new URLSearchParams(SERVED_ROOM_VERSIONS.map((v) => ['ver', v])).toString();
    const made = await this.client
      .request<{ event?: Pdu; room_version?: string }>(
        server,
        'GET',
        `/_matrix/federation/v1/make_join/${encodeURIComponent(roomId)}/${encodeURIComponent(memberId)}?${versions}`,
      )
      .catch((error: unknown) => {
        if (error instanceof FederationError && error.status === 403)
          throw forbidden(`${server} refused the join: ${(error.body as { error?: string })?.error ?? ''}`);
        throw error;
      });
    const version = made.room_version ?? '1';
    if (!isSupportedRoomVersion(version) || version !== guessed)
      throw new MatrixError(400, 'M_INCOMPATIBLE_ROOM_VERSION', `room version ${version} is not what ${roomId} should be`);
    const { pdu, eventId } = this.memberEventFromTemplate(server, made.event, 'join', roomId, version, userId, memberId, options.content);
    const reply = await this.client.request<{ state?: unknown[]; auth_chain?: unknown[] }>(
      server,
      'PUT',
      `/_matrix/federation/v2/send_join/${encodeURIComponent(roomId)}/${encodeURIComponent(eventId)}`,
      { body: pdu },
    );
    await this.completeJoin(server, roomId, version, eventId, pdu, reply);
    return eventId;
  }

  private async completeJoin(
    server: string,
    roomId: string,
    version: string,
    joinId: string,
    join: Pdu,
    reply: { state?: unknown[]; auth_chain?: unknown[] },
  ): Promise<void> {
    // Only this room's events: a resident could hand over another room's events as this room's state or auth chain.
    const checkedState = await this.input.checkedList(reply.state, version, roomId);
    const authChain = await this.input.checkedList(reply.auth_chain, version, roomId);
    const create = [...checkedState.values()].find((e) => e.type === 'm.room.create' && e.state_key === '');
    if (!create) throw new PduError(`${server} sent no create event in the room state`);
    const createId = hasRoomIdFromCreate(version) ? `$${roomId.slice(1)}` : [...checkedState].find(([, e]) => e === create)![0];
    if (hasRoomIdFromCreate(version) && computeEventId(create, version) !== createId)
      throw new PduError(`${server} sent a create event that is not this room's`);
    const state = authorisedByTheirAuthEvents(checkedState, authChain, version, createId);
    let history = new Map<string, Pdu>();
    try {
      const params = new URLSearchParams(join.prev_events.map((id) => ['v', id])).toString();
      const backfill = await this.client.request<{ pdus?: unknown[] }>(
        server,
        'GET',
        `/_matrix/federation/v1/backfill/${encodeURIComponent(roomId)}?${params}&limit=${BACKFILL_ON_JOIN}`,
      );
      history = await this.input.checkedList(backfill.pdus, version, roomId);
    } catch {
      // history is a nicety: the join stands without it
    }
    await this.graph.withRoomLock(roomId, async () => {
      this.events.transaction(() => {
        if (!this.events.room(roomId)) this.events.createRoom(roomId, version, create.sender, false);
        // Never in the room before: what the timeline holds of it came from outside (a rejected invite's leave, a
        // refused or withdrawn knock), and its users' clients hold it where it is. It stays there: the history before
        // the earliest of those goes below everything (as backfill does), the rest follows in the stream, so the room
        // reads in its order from both ends. A server coming back keeps what it held from its time inside likewise.
        const heldFromOutsideOnly = !this.events.wasEverJoined(roomId);
        const heldInTimeline = (id: string): boolean => {
          const held = heldFromOutsideOnly ? this.events.event(id) : undefined;
          return held !== undefined && this.events.isInTimeline(id) && heldFromOutside(held);
        };
        const order = joinInsertionOrder(history, state);
        const held = order.filter(({ id, outlier }) => !outlier && heldInTimeline(id));
        let below = 0;
        if (held.length > 0) {
          const firstHeld = Math.min(...held.map(({ pdu }) => pdu.depth));
          while (below < order.length && !order[below]!.outlier && order[below]!.pdu.depth < firstHeld && !heldInTimeline(order[below]!.id))
            below++;
        }
        // Stored state is the latest event per key: history older than a held event of its key stays out of the timeline.
        const heldDepth = new Map<string, number>();
        for (const { pdu } of held)
          heldDepth.set(
            authKey(pdu.type, pdu.state_key ?? ''),
            Math.max(pdu.depth, heldDepth.get(authKey(pdu.type, pdu.state_key ?? '')) ?? 0),
          );
        const olderThanHeld = (pdu: Pdu) =>
          pdu.state_key !== undefined && (heldDepth.get(authKey(pdu.type, pdu.state_key)) ?? -1) > pdu.depth;
        /** `position`: where the event goes; the next one in the stream when not given. */
        const insert = (id: string, pdu: Pdu, outlier = false, position?: number) => {
          const at = () => position ?? this.stream.next();
          const stored = this.events.event(id);
          // An event held out of the timeline (the invite that brought us here) takes its place in the history now.
          if (stored && !outlier && !this.events.isInTimeline(id)) this.events.moveIntoTimeline(stored, at());
          if (stored) return;
          this.events.insertEvent({
            streamOrdering: at(),
            eventId: id,
            roomId,
            pdu,
            replacesState: null,
            senderUserId: null,
            txnDeviceId: null,
            txnId: null,
            outlier,
          });
        };
        const lowest = this.events.lowestStream() - below;
        order.forEach(({ id, pdu, outlier }, i) =>
          insert(id, pdu, outlier || (i >= below && olderThanHeld(pdu)), i < below ? lowest + i : undefined),
        );
        for (const [id, pdu] of authChain) if (!state.has(id) && !history.has(id)) this.outliers.put(id, roomId, pdu);
        const stateIds: StateIds = new Map([...state].map(([id, pdu]) => [authKey(pdu.type, pdu.state_key ?? ''), id]));
        for (const prev of join.prev_events) if (!this.graph.foreignEvent(roomId, [prev])) this.store.setStateAfter(roomId, prev, stateIds);
        const before = this.graph.currentStateIds(roomId);
        insert(joinId, join);
        const after = new Map(stateIds).set(authKey('m.room.member', join.state_key!), joinId);
        this.store.setStateAfter(roomId, joinId, after);
        this.events.setForwardExtremities(roomId, [joinId]);
        this.graph.applyCurrentState(roomId, version, new Map([...before].filter(([k, id]) => after.get(k) === id)), after);
        this.outliers.addServerHint(roomId, server);
      });
    });
    this.notifier.notify();
  }

  /** Invites a user of another server: asks their server for a member key (member-key rooms), then for its signature. */
  async inviteRemote(roomId: string, inviterUserId: string, targetUserId: string, extraContent: Json): Promise<string> {
    const version = this.rooms.versionOf(roomId);
    if (this.graph.federationForbidden(roomId))
      throw forbidden('this room does not federate (m.federate is false): only local users can join');
    const domain = requireServerName(serverOfUserId(targetUserId), `invite of ${targetUserId}`);
    const content: Json = { ...extraContent, membership: 'invite' };
    return this.sendInvite(roomId, version, inviterUserId, domain, targetUserId, content, async () => {
      if (!usesMemberKeys(version)) return targetUserId;
      const reply = await this.client.request<{ member_key?: unknown }>(
        domain,
        'GET',
        `/_matrix/federation/unstable/org.matrix.msc4430/member_key/${encodeURIComponent(roomId)}/${encodeURIComponent(targetUserId)}`,
      );
      if (typeof reply.member_key !== 'string' || !/^@[A-Za-z0-9_-]{43}$/.test(reply.member_key))
        throw new PduError(`${domain} sent no usable member key`);
      Object.assign(content, { localpart: localpartOf(targetUserId), domain });
      return reply.member_key;
    });
  }

  /**
   * Accepts a knock from a user of a server that is not in the room: the invite goes to the knocker's server over
   * /v2/invite (as any invite of a remote user), for the very member that knocked (in member-key rooms its key, and
   * the `localpart`/`domain` its knock claimed, co-signed by that server).
   */
  async inviteKnocker(roomId: string, inviterUserId: string, knock: Pdu, extraContent: Json): Promise<string> {
    const version = this.rooms.versionOf(roomId);
    const memberKeys = usesMemberKeys(version);
    const domain = requireServerName(memberKeys ? String(knock.content.domain) : serverOfUserId(knock.state_key!), 'the knocker');
    // The invite carries the profile the knock showed, as an invite of a local user carries theirs.
    const profile = Object.fromEntries(
      ['displayname', 'avatar_url'].filter((k) => typeof knock.content[k] === 'string').map((k) => [k, knock.content[k]]),
    );
    const content: Json = { ...profile, ...extraContent, membership: 'invite' };
    if (memberKeys && typeof knock.content.localpart === 'string') Object.assign(content, { localpart: knock.content.localpart, domain });
    return this.sendInvite(roomId, version, inviterUserId, domain, knock.state_key!, content, async () => knock.state_key!);
  }

  private async sendInvite(
    roomId: string,
    version: string,
    inviterUserId: string,
    domain: string,
    targetLabel: string,
    content: Json,
    targetMember: () => Promise<string>,
  ): Promise<string> {
    try {
      const target = await targetMember();
      const sealed = this.rooms.seal(roomId, inviterUserId, { type: 'm.room.member', stateKey: target, content });
      const reply = await this.client.request<{ event?: Pdu }>(
        domain,
        'PUT',
        `/_matrix/federation/v2/invite/${encodeURIComponent(roomId)}/${encodeURIComponent(sealed.eventId)}`,
        {
          body: { room_version: version, event: sealed.pdu, invite_room_state: this.strippedState(roomId, sealed.pdu.sender) },
        },
      );
      const signed = reply.event;
      if (!signed || computeEventId(signed, version) !== sealed.eventId) throw new PduError(`${domain} returned a different invite event`);
      return this.rooms.commit({ ...sealed, pdu: { ...sealed.pdu, signatures: signed.signatures } }, inviterUserId).eventId;
    } catch (error) {
      if (error instanceof FederationError) {
        if (error.status === 404) throw new MatrixError(404, 'M_NOT_FOUND', `Unknown user ${targetLabel}`);
        if (error.status === 403) throw forbidden(`${domain} refused the invite: ${error.message}`);
        throw new MatrixError(502, 'M_UNKNOWN', `Could not invite ${targetLabel}: ${error.message}`);
      }
      if (error instanceof PduError) throw new MatrixError(502, 'M_UNKNOWN', error.message);
      throw error;
    }
  }

  /**
   * Stripped state for invites: the events a client needs to show the room before joining (full PDUs, MSC4311),
   * with the inviter's own member event (the spec's "should include the sender's m.room.member"), so the invitee
   * sees who invited them by name, and in member-key rooms its server can check the inviter's link.
   */
  strippedState(roomId: string, inviter?: string): Pdu[] {
    const state = this.events.currentState(roomId);
    const types = [
      'm.room.create',
      'm.room.join_rules',
      'm.room.name',
      'm.room.avatar',
      'm.room.canonical_alias',
      'm.room.encryption',
      'm.room.topic',
    ];
    const stripped = types.map((t) => state.get(authKey(t, ''))?.pdu).filter((p): p is Pdu => !!p);
    const inviterMember = inviter === undefined ? undefined : state.get(authKey('m.room.member', inviter))?.pdu;
    return inviterMember ? [...stripped, inviterMember] : stripped;
  }

  /**
   * Our member event (join or leave) built on a resident server's make_join/make_leave template: only its
   * prev_events, auth_events and depth are taken, after checking their shape; the rest is ours, signed by us.
   */
  private memberEventFromTemplate(
    server: string,
    template: Pdu | undefined,
    membership: 'join' | 'leave' | 'knock',
    roomId: string,
    version: string,
    userId: string,
    memberId: string,
    extraContent: Json = {},
  ): { pdu: Pdu; eventId: string } {
    const wellFormed =
      !!template &&
      Array.isArray(template.prev_events) &&
      template.prev_events.every((id) => typeof id === 'string') &&
      Array.isArray(template.auth_events) &&
      template.auth_events.every((id) => typeof id === 'string') &&
      Number.isSafeInteger(template.depth);
    if (!wellFormed) throw new PduError(`${server} sent a bad ${membership} template`);
    const content: Json = { ...extraContent, membership };
    if (usesMemberKeys(version)) Object.assign(content, { localpart: localpartOf(userId), domain: this.serverName });
    const keyNonce = membership === 'join' && usesMemberKeys(version) ? this.rooms.keyNonceOf(roomId, userId, memberId) : undefined;
    if (keyNonce) content[KEY_NONCE_FIELD] = keyNonce; // PROTOCOL.md §5: accepting an invite that took a pool key
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
    return sealPdu(unsealed, version, this.serverName, this.signingKey.current, this.rooms.seedOf(roomId, version, userId));
  }

  /**
   * Knocks on a room this server is not in: make_knock/send_knock through the first of `servers` that answers. The
   * knock is held out of the timeline with the resident's `knock_room_state` (checked: this room's events only), for
   * the knock section of /sync; the resident is remembered as the way in (the invite that accepts comes from it).
   */
  async knockRemote(
    roomId: string,
    userId: string,
    servers: string[],
    options: { seed?: Uint8Array; content?: Json } = {},
  ): Promise<string> {
    const candidates = [...new Set([...servers, ...this.outliers.serverHints(roomId)])].filter((s) => s !== this.serverName);
    if (candidates.length === 0) throw new MatrixError(404, 'M_NOT_FOUND', `No server to knock on ${roomId} through; give via`);
    let lastError: unknown;
    for (const server of candidates) {
      try {
        return await this.knockThrough(server, roomId, userId, options);
      } catch (error) {
        lastError = error;
        if (error instanceof MatrixError && error.status === 403) throw error;
        if (error instanceof FederationError && error.status === 403)
          throw forbidden(`${server} refused the knock: ${(error.body as { error?: string })?.error ?? ''}`);
      }
    }
    if (lastError instanceof MatrixError) throw lastError;
    throw new MatrixError(
      502,
      'M_UNKNOWN',
      `Could not knock on ${roomId} through ${candidates.join(', ')}: ${(lastError as Error)?.message}`,
    );
  }

  private async knockThrough(
    server: string,
    roomId: string,
    userId: string,
    options: { seed?: Uint8Array; content?: Json },
  ): Promise<string> {
    const guessed = this.guessVersion(roomId);
    const memberId = this.rooms.memberIdFor(roomId, guessed, userId, options.seed);
    const versions = new URLSearchParams(SERVED_ROOM_VERSIONS.map((v) => ['ver', v])).toString();
    const made = await this.client.request<{ event?: Pdu; room_version?: string }>(
      server,
      'GET',
      `/_matrix/federation/v1/make_knock/${encodeURIComponent(roomId)}/${encodeURIComponent(memberId)}?${versions}`,
    );
    const version = made.room_version ?? '1';
    if (!isSupportedRoomVersion(version) || version !== guessed)
      throw new MatrixError(400, 'M_INCOMPATIBLE_ROOM_VERSION', `room version ${version} is not what ${roomId} should be`);
    const { pdu, eventId } = this.memberEventFromTemplate(server, made.event, 'knock', roomId, version, userId, memberId, options.content);
    const reply = await this.client.request<{ knock_room_state?: unknown[] }>(
      server,
      'PUT',
      `/_matrix/federation/v1/send_knock/${encodeURIComponent(roomId)}/${encodeURIComponent(eventId)}`,
      { body: pdu },
    );
    // Only this room's events, checked as any PDU; the create event must be there (the spec's MUST).
    const checked = await this.input.checkedList(
      Array.isArray(reply.knock_room_state) ? reply.knock_room_state.slice(0, 50) : [],
      version,
      roomId,
    );
    const roomState = [...checked.values()].filter((e) => typeof e.state_key === 'string');
    if (!roomState.some((e) => e.type === 'm.room.create')) throw new PduError(`${server} sent no create event in knock_room_state`);
    this.events.transaction(() => {
      if (!this.events.room(roomId))
        this.events.createRoom(roomId, version, roomState.find((e) => e.type === 'm.room.create')!.sender, false);
      this.outliers.addServerHint(roomId, server);
      const streamOrdering = this.stream.next();
      this.events.insertEvent({
        streamOrdering,
        eventId,
        roomId,
        pdu: { ...pdu, unsigned: { knock_room_state: roomState } },
        replacesState: null,
        senderUserId: userId,
        txnDeviceId: null,
        txnId: null,
        outlier: true,
      });
      this.events.setMembership(roomId, userId, 'knock', eventId, streamOrdering);
    });
    this.notifier.notify();
    return eventId;
  }

  /** Rejects an invite to a room this server is not in: make_leave/send_leave through the inviting server. */
  async leaveRemote(roomId: string, userId: string): Promise<string> {
    const version = this.rooms.versionOf(roomId);
    const memberId = this.rooms.memberIdFor(roomId, version, userId);
    const servers = this.outliers.serverHints(roomId);
    let lastError: unknown = new Error('no server to leave through');
    for (const server of servers) {
      try {
        const made = await this.client.request<{ event?: Pdu }>(
          server,
          'GET',
          `/_matrix/federation/v1/make_leave/${encodeURIComponent(roomId)}/${encodeURIComponent(memberId)}`,
        );
        const { pdu, eventId } = this.memberEventFromTemplate(server, made.event, 'leave', roomId, version, userId, memberId);
        await this.client.request(
          server,
          'PUT',
          `/_matrix/federation/v2/send_leave/${encodeURIComponent(roomId)}/${encodeURIComponent(eventId)}`,
          { body: pdu },
        );
        this.events.transaction(() => {
          const streamOrdering = this.stream.next();
          this.events.insertEvent({
            streamOrdering,
            eventId,
            roomId,
            pdu,
            replacesState: null,
            senderUserId: userId,
            txnDeviceId: null,
            txnId: null,
          });
          this.events.setMembership(roomId, userId, 'leave', eventId, streamOrdering);
        });
        this.notifier.notify();
        return eventId;
      } catch (error) {
        lastError = error;
      }
    }
    throw new MatrixError(502, 'M_UNKNOWN', `Could not leave ${roomId}: ${(lastError as Error).message}`);
  }
}

/** A membership other than a join, held in the timeline: what a server stores of a room it is not in. */
function heldFromOutside(held: StoredEvent): boolean {
  return held.pdu.type === 'm.room.member' && held.pdu.content.membership !== 'join';
}

/**
 * The order a joining server stores what it was handed: the history it backfilled in the room's order (by depth), so
 * its timeline reads as the room's did (the room's creation first, not after the messages that came later), then the
 * state that is not in that history, held as outliers (out of the timeline until backfill reaches it). Stored state
 * at a position is the latest event per key (EventStore.stateAt), so the join's state must be the latest of each key:
 * a state event that history has a later event of the same key after (a fork that state resolution decided against
 * it) is stored after the history instead.
 */
export function joinInsertionOrder(
  history: ReadonlyMap<string, Pdu>,
  state: ReadonlyMap<string, Pdu>,
): { id: string; pdu: Pdu; outlier: boolean }[] {
  const byDepth = (m: ReadonlyMap<string, Pdu>) => [...m].sort(([, a], [, b]) => a.depth - b.depth);
  const inOrder = byDepth(history);
  const lastOfKey = new Map<string, string>();
  for (const [id, pdu] of inOrder) if (pdu.state_key !== undefined) lastOfKey.set(authKey(pdu.type, pdu.state_key), id);
  const overtaken = (id: string, pdu: Pdu) => history.has(id) && lastOfKey.get(authKey(pdu.type, pdu.state_key ?? '')) !== id;
  const order: { id: string; pdu: Pdu; outlier: boolean }[] = [];
  for (const [id, pdu] of inOrder) if (!state.has(id) || !overtaken(id, pdu)) order.push({ id, pdu, outlier: false });
  for (const [id, pdu] of byDepth(state)) {
    if (!history.has(id)) order.push({ id, pdu, outlier: true });
    else if (overtaken(id, pdu)) order.push({ id, pdu, outlier: false });
  }
  return order;
}
