// The event graph of the rooms we share with other servers: lookups that never leave a room, the state before and
// after an event, the room's current state moved forward, forward extremities kept few with dummy events, DAG walks
// and the backward edge of the timeline (roomserver's query and state APIs in Dendrite).
import { MatrixError } from '../http/errors';
import type { LinkService } from '../links/link-service';
import type { Pdu } from '../rooms/pdu';
import type { RoomService } from '../rooms/room-service';
import { hasRoomIdFromCreate, usesMemberKeys } from '../rooms/room-versions';
import type { EventStore, StoredEvent } from '../storage/events';
import { memberDomain, pduInRoom, serverOfUserId } from './pdu-rules';
import { resolveState, type StateIds } from './state-res';
import type { FederationStore, OutlierStore } from './store';

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

export interface EventGraphDeps {
  serverName: string;
  events: EventStore;
  store: FederationStore;
  outliers: OutlierStore;
  rooms: RoomService;
  links: LinkService;
}

export class EventGraph {
  private readonly serverName: string;
  private readonly events: EventStore;
  private readonly store: FederationStore;
  private readonly outliers: OutlierStore;
  private readonly rooms: RoomService;
  private readonly links: LinkService;
  private readonly roomLocks = new Map<string, Promise<unknown>>();
  private readonly serversByRoom = new Map<string, { version: string; servers: string[] }>();
  /** Rooms with too many forward extremities, waiting for their dummy events. */
  private readonly extremityTrims = new Set<string>();

  constructor(deps: EventGraphDeps) {
    ({
      serverName: this.serverName,
      events: this.events,
      store: this.store,
      outliers: this.outliers,
      rooms: this.rooms,
      links: this.links,
    } = deps);
  }

  findPdu(eventId: string): { pdu: Pdu; roomId: string; stored?: StoredEvent } | undefined {
    const stored = this.events.event(eventId);
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

  have(eventId: string): boolean {
    return this.findPdu(eventId) !== undefined || this.store.isRejected(eventId);
  }

  createEventId(roomId: string, version: string): string | undefined {
    if (hasRoomIdFromCreate(version)) return `$${roomId.slice(1)}`;
    return this.events.currentStateEventId(roomId, 'm.room.create', '');
  }

  currentStateIds(roomId: string): StateIds {
    const ids: StateIds = new Map();
    for (const [key, event] of this.events.currentState(roomId)) ids.set(key, event.eventId);
    return ids;
  }

  /** Servers with joined members (never ourselves). */
  serversInRoom(roomId: string): string[] {
    const room = this.events.room(roomId);
    if (!room) return [];
    // Asked for every event we send: worked out once per state of the room (every write to its state moves the version).
    const version = this.events.stateVersion(roomId);
    const cached = this.serversByRoom.get(roomId);
    if (cached && cached.version === version) return [...cached.servers];
    const servers = new Set<string>();
    for (const event of this.events.currentState(roomId).values()) {
      if (event.pdu.type !== 'm.room.member' || event.pdu.content.membership !== 'join') continue;
      const domain = memberDomain(room.room_version, event.pdu);
      if (domain) servers.add(domain);
    }
    servers.delete(this.serverName);
    if (!this.events.inTransaction()) {
      if (this.serversByRoom.size >= 10_000) this.serversByRoom.clear();
      this.serversByRoom.set(roomId, { version, servers: [...servers] });
    }
    return [...servers];
  }

  async withRoomLock<T>(roomId: string, run: () => Promise<T>): Promise<T> {
    const previous = this.roomLocks.get(roomId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(run);
    this.roomLocks.set(roomId, next);
    try {
      return await next;
    } finally {
      if (this.roomLocks.get(roomId) === next) this.roomLocks.delete(roomId);
    }
  }

  /** MSC4430: with `m.federate: false` a member-key room accepts no federation traffic at all (classic: as the spec says). */
  federationForbidden(roomId: string): boolean {
    const create = this.events.currentStateEvent(roomId, 'm.room.create', '');
    return create?.pdu.content['m.federate'] === false;
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

  /** Writes the keys that changed into current_state and the local membership table. */
  applyCurrentState(roomId: string, version: string, before: StateIds, after: StateIds): void {
    for (const [key, id] of after) {
      if (before.get(key) === id) continue;
      const [type, stateKey] = key.split('\u0000') as [string, string];
      this.events.setCurrentState(roomId, type, stateKey, id);
      if (type !== 'm.room.member') continue;
      if (usesMemberKeys(version)) this.links.checkSoon(roomId);
      const member = this.rooms.localUserOf(roomId, version, stateKey);
      const event = this.events.event(id);
      if (member && event) this.events.setMembership(roomId, member, String(event.pdu.content.membership), id, event.streamOrdering);
    }
  }

  /**
   * Keeps a room's forward extremities few (Synapse's approach): when remote events leave more than
   * EXTREMITIES_THRESHOLD, a local member who may send sends `org.matrix.dummy_event`s, each naming up to
   * MAX_PREV_EVENTS of the deepest extremities, until the set is back under the threshold. Deferred, so a whole
   * transaction of siblings is tied up at once; a room without such a member waits for its next local event.
   */
  scheduleExtremityTrim(roomId: string): void {
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
    while (sent < DUMMY_EVENTS_PER_BURST && this.events.forwardExtremities(roomId).length > EXTREMITIES_THRESHOLD) {
      const sender = this.events.localJoinedUsers(roomId).find((userId) => {
        try {
          this.rooms.send(roomId, userId, { type: DUMMY_EVENT_TYPE, content: {} });
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
      for (const prev of found.prev_events) if (!seen.has(prev)) seen.add(prev), queue.push(prev);
    }
    return out;
  }

  /** The room's oldest timeline events whose prev_events are not in our timeline: the edge of a history gap. */
  backwardEdge(roomId: string): string[] {
    const missing = (id: string) => !this.events.isInTimeline(id) && !this.store.isRejected(id) && !this.store.softFailed(id);
    return this.events
      .oldestInTimeline(roomId, BACKWARD_EDGE_SCAN)
      .filter((e) => e.pdu.prev_events.some(missing))
      .map((e) => e.eventId);
  }

  roomOrigin(roomId: string, version: string): string | undefined {
    const createId = this.events.currentStateEventId(roomId, 'm.room.create', '');
    const creator = createId ? this.events.event(createId)?.pdu.sender : undefined;
    if (!creator) return undefined;
    if (!usesMemberKeys(version)) return serverOfUserId(creator);
    const memberId = this.events.currentStateEventId(roomId, 'm.room.member', creator);
    const member = memberId ? this.events.event(memberId)?.pdu : undefined;
    return member && memberDomain(version, member);
  }

  /** Are any local users joined? (Otherwise a join must go through a resident server.) */
  isResident(roomId: string): boolean {
    return this.events.localJoinedUsers(roomId).length > 0;
  }
}
