// The Server-Server side of one homeserver, a thin facade over its parts: the event graph (event-graph.ts), inbound
// PDUs (input.ts) and EDUs (edus.ts), backfill (backfill.ts) and the membership handshakes (perform-membership.ts).
// It owns the federation stores, keys, client and outbound queue, sends local events to the other servers of a room
// (it subscribes to RoomService's stored local events), and keeps the methods the API modules call.
import type { Config } from '../config';
import type { LinkService } from '../links/link-service';
import type { NotificationCounts } from '../push/notification-counts';
import type { RoomService } from '../rooms/room-service';
import type { CurrentSigningKey } from '../signing-key';
import type { StreamCounter } from '../storage/database';
import type { EventStore, StoredEvent } from '../storage/events';
import type { ReceiptStore } from '../storage/receipts';
import type { Notifier } from '../sync/notifier';
import type { TypingTracker } from '../sync/typing';
import { Backfill } from './backfill';
import type { FederationClient } from './client';
import { InboundEdus } from './edus';
import { EventGraph } from './event-graph';
import { InboundPdus } from './input';
import type { KeyRing, OwnKeys } from './keys';
import { OutboundQueue } from './outbound';
import { memberDomain } from './pdu-rules';
import { MembershipHandshakes } from './perform-membership';
import { ServerAclCache } from './server-acl';
import type { FederationStore, OutlierStore } from './store';

export { BACKFILL_ON_JOIN } from './perform-membership';
export { DUMMY_EVENT_TYPE, EXTREMITIES_THRESHOLD } from './event-graph';
export {
  authorisedByTheirAuthEvents,
  backfillCandidates,
  belongsToRoom,
  memberDomain,
  PduError,
  pduInRoom,
  serverOfUserId,
} from './pdu-rules';

/** What Federation is built from: the stores and services it uses, and the federation parts built before it (LinkService uses them too). */
export interface FederationDeps {
  config: Pick<Config, 'serverName' | 'federationMaxBackoffMs'>;
  signingKey: CurrentSigningKey;
  events: EventStore;
  stream: StreamCounter;
  notifier: Notifier;
  typing: TypingTracker;
  receipts: ReceiptStore;
  rooms: RoomService;
  links: LinkService;
  push: NotificationCounts;
  store: FederationStore;
  outliers: OutlierStore;
  client: FederationClient;
  ownKeys: OwnKeys;
  keyRing: KeyRing;
}

export class Federation {
  readonly store: FederationStore;
  readonly outliers: OutlierStore;
  readonly client: FederationClient;
  readonly ownKeys: OwnKeys;
  readonly keyRing: KeyRing;
  readonly outbound: OutboundQueue;
  readonly serverAcls: ServerAclCache;
  readonly graph: EventGraph;
  readonly input: InboundPdus;
  readonly edus: InboundEdus;
  readonly history: Backfill;
  readonly membership: MembershipHandshakes;
  /** Dev switch for `/_matrix/key/v2/server`: answer, answer 404, or never answer. */
  keyEndpointMode: 'normal' | '404' | 'hang' = 'normal';

  readonly serverName: string;
  private readonly events: EventStore;

  constructor(deps: FederationDeps) {
    const serverName = deps.config.serverName;
    const { events, stream, notifier, rooms, links, signingKey } = deps;
    this.serverName = serverName;
    this.events = events;
    ({ store: this.store, outliers: this.outliers, client: this.client, ownKeys: this.ownKeys, keyRing: this.keyRing } = deps);
    this.outbound = new OutboundQueue({
      serverName,
      store: this.store,
      client: this.client,
      findPdu: (id) => this.graph.findPdu(id)?.pdu,
      maxBackoffMs: deps.config.federationMaxBackoffMs,
    });
    this.serverAcls = new ServerAclCache((roomId) => {
      const eventId = events.currentStateEventId(roomId, 'm.room.server_acl', '');
      const event = eventId ? events.event(eventId) : undefined;
      return event ? { eventId: event.eventId, content: event.pdu.content } : undefined;
    });
    const { store, outliers, client, keyRing } = this;
    this.graph = new EventGraph({ serverName, events, store, outliers, rooms, links });
    const graph = this.graph;
    this.input = new InboundPdus({ events, stream, store, outliers, client, keyRing, graph, links, push: deps.push, notifier });
    const input = this.input;
    this.edus = new InboundEdus({ events, typing: deps.typing, receipts: deps.receipts, notifier, serverAcls: this.serverAcls });
    this.history = new Backfill({ serverName, events, store, client, graph, input });
    this.membership = new MembershipHandshakes({
      serverName,
      signingKey,
      events,
      stream,
      notifier,
      rooms,
      client,
      store,
      outliers,
      graph,
      input,
    });
    rooms.onLocalEventStored((event, version) => this.onLocalEvent(event, version));
    links.releaseHeldWith((eventId) => this.input.releaseSoftFailed(eventId));
  }

  /** Resumes the queues and tells every server we share a room with that we are back (an empty transaction). */
  start(): void {
    this.outbound.start();
    const peers = new Set<string>();
    for (const roomId of this.store.allRoomIds()) for (const server of this.graph.serversInRoom(roomId)) peers.add(server);
    for (const peer of peers) {
      void this.client
        .request(peer, 'PUT', `/_matrix/federation/v1/send/hello-${Date.now()}`, {
          body: { origin: this.serverName, origin_server_ts: Date.now(), pdus: [], edus: [] },
        })
        .catch(() => undefined);
    }
  }

  stop(): void {
    this.outbound.stop();
  }

  // ---- for callers: the parts' methods ------------------------------------------------------------------

  findPdu: EventGraph['findPdu'] = (...args) => this.graph.findPdu(...args);
  findInRoom: EventGraph['findInRoom'] = (...args) => this.graph.findInRoom(...args);
  foreignEvent: EventGraph['foreignEvent'] = (...args) => this.graph.foreignEvent(...args);
  createEventId: EventGraph['createEventId'] = (...args) => this.graph.createEventId(...args);
  currentStateIds: EventGraph['currentStateIds'] = (...args) => this.graph.currentStateIds(...args);
  serversInRoom: EventGraph['serversInRoom'] = (...args) => this.graph.serversInRoom(...args);
  federationForbidden: EventGraph['federationForbidden'] = (...args) => this.graph.federationForbidden(...args);
  authState: EventGraph['authState'] = (...args) => this.graph.authState(...args);
  stateBefore: EventGraph['stateBefore'] = (...args) => this.graph.stateBefore(...args);
  applyCurrentState: EventGraph['applyCurrentState'] = (...args) => this.graph.applyCurrentState(...args);
  trimExtremities: EventGraph['trimExtremities'] = (...args) => this.graph.trimExtremities(...args);
  authChain: EventGraph['authChain'] = (...args) => this.graph.authChain(...args);
  walkBack: EventGraph['walkBack'] = (...args) => this.graph.walkBack(...args);
  walkBackWithIds: EventGraph['walkBackWithIds'] = (...args) => this.graph.walkBackWithIds(...args);
  backwardEdge: EventGraph['backwardEdge'] = (...args) => this.graph.backwardEdge(...args);
  isResident: EventGraph['isResident'] = (...args) => this.graph.isResident(...args);
  receivePdu: InboundPdus['receivePdu'] = (...args) => this.input.receivePdu(...args);
  releaseSoftFailed: InboundPdus['releaseSoftFailed'] = (...args) => this.input.releaseSoftFailed(...args);
  checkPdu: InboundPdus['checkPdu'] = (...args) => this.input.checkPdu(...args);
  receiveEdu: InboundEdus['receiveEdu'] = (...args) => this.edus.receiveEdu(...args);
  backfill: Backfill['backfill'] = (...args) => this.history.backfill(...args);
  joinRemote: MembershipHandshakes['joinRemote'] = (...args) => this.membership.joinRemote(...args);
  inviteRemote: MembershipHandshakes['inviteRemote'] = (...args) => this.membership.inviteRemote(...args);
  leaveRemote: MembershipHandshakes['leaveRemote'] = (...args) => this.membership.leaveRemote(...args);
  inviteKnocker: MembershipHandshakes['inviteKnocker'] = (...args) => this.membership.inviteKnocker(...args);
  knockRemote: MembershipHandshakes['knockRemote'] = (...args) => this.membership.knockRemote(...args);
  strippedState: MembershipHandshakes['strippedState'] = (...args) => this.membership.strippedState(...args);

  /** May `server` take part in the room? The room's current m.room.server_acl decides (none: everyone may). */
  serverAllowed(roomId: string, server: string): boolean {
    return this.serverAcls.allows(roomId, server);
  }

  // ---- outgoing -----------------------------------------------------------------------------------------

  /** Subscribed to RoomService's local events, inside the transaction that stored one: snapshot state, queue for peers. */
  onLocalEvent(event: StoredEvent, version: string): void {
    const { pdu: sent } = event;
    const shared =
      sent.state_key === undefined &&
      sent.prev_events.length === 1 &&
      this.store.shareStateGroup(event.roomId, sent.prev_events[0]!, event.eventId);
    if (!shared) this.store.setStateAfter(event.roomId, event.eventId, this.graph.currentStateIds(event.roomId));
    if (this.graph.federationForbidden(event.roomId)) return;
    const destinations = new Set(this.graph.serversInRoom(event.roomId));
    const { pdu } = event;
    // A member leaving or being kicked/banned still hears about it (a kick carries no claim: use the previous one).
    if (pdu.type === 'm.room.member') {
      const previous = event.replacesState ? this.events.event(event.replacesState)?.pdu : undefined;
      for (const member of [pdu, previous]) {
        const domain = member && memberDomain(version, member);
        if (domain && domain !== this.serverName) destinations.add(domain);
      }
    }
    if (destinations.size === 0) return;
    this.outbound.enqueuePdu(destinations, event.eventId);
    setImmediate(() => destinations.forEach((d) => this.outbound.kick(d)));
  }

  /** An EDU for given servers (to-device messages, device-list updates), on the persisted queue. */
  sendEduTo(destinations: Iterable<string>, eduType: string, content: unknown): void {
    const list = [...destinations].filter((d) => d !== this.serverName);
    if (list.length === 0) return;
    this.outbound.enqueueEdu(list, { edu_type: eduType, content });
    setImmediate(() => list.forEach((d) => this.outbound.kick(d)));
  }

  sendEdu(roomId: string, eduType: string, content: unknown): void {
    const destinations = this.graph.serversInRoom(roomId);
    if (destinations.length === 0) return;
    this.outbound.enqueueEdu(destinations, { edu_type: eduType, content });
    setImmediate(() => destinations.forEach((d) => this.outbound.kick(d)));
  }
}
