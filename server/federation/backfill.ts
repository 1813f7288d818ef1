// Backfill: older history on demand from the room's other servers, checked like any received PDU and stored below
// every stream position (Dendrite's perform/backfill).
import { redactEvent } from '../../src/protocol';
import { AuthError, checkAuth, mayRedact } from '../rooms/authorization';
import type { Pdu } from '../rooms/pdu';
import type { EventStore } from '../storage/events';
import type { FederationClient } from './client';
import type { EventGraph } from './event-graph';
import type { InboundPdus } from './input';
import { authStateFromAuthEvents, backfillCandidates, belongsToRoom, previousIsCreate } from './pdu-rules';
import type { FederationStore } from './store';

/** Servers one /messages page may ask for older history (then it answers with what is local). */
const BACKFILL_SERVERS_PER_PAGE = 2;
const BACKFILL_MAX_EVENTS = 200;
const BACKFILL_TIMEOUT_MS = 10_000;

export interface BackfillDeps {
  serverName: string;
  events: EventStore;
  store: FederationStore;
  client: FederationClient;
  graph: EventGraph;
  input: InboundPdus;
}

export class Backfill {
  private readonly serverName: string;
  private readonly events: EventStore;
  private readonly store: FederationStore;
  private readonly client: FederationClient;
  private readonly graph: EventGraph;
  private readonly input: InboundPdus;
  /** One backfill per room at a time: concurrent pages share it. */
  private readonly backfills = new Map<string, Promise<number>>();

  constructor(deps: BackfillDeps) {
    ({
      serverName: this.serverName,
      events: this.events,
      store: this.store,
      client: this.client,
      graph: this.graph,
      input: this.input,
    } = deps);
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
    const room = this.events.room(roomId);
    if (!room || this.graph.federationForbidden(roomId)) return 0;
    const edge = this.graph.backwardEdge(roomId);
    if (edge.length === 0) return 0;
    const version = room.room_version;
    const limit = Math.min(wanted + edge.length + 10, BACKFILL_MAX_EVENTS);
    const query = new URLSearchParams([...edge.map((id) => ['v', id]), ['limit', String(limit)]]).toString();
    const servers = backfillCandidates(this.graph.roomOrigin(roomId, version), this.graph.serversInRoom(roomId), this.serverName).slice(
      0,
      BACKFILL_SERVERS_PER_PAGE,
    );
    for (const server of servers) {
      try {
        const reply = await this.client.request<{ pdus?: unknown }>(
          server,
          'GET',
          `/_matrix/federation/v1/backfill/${encodeURIComponent(roomId)}?${query}`,
          {
            timeoutMs: BACKFILL_TIMEOUT_MS,
          },
        );
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
    const checked = await this.input.checkedList(raw, version, roomId);
    const fresh = [...checked]
      .filter(
        ([id, pdu]) =>
          belongsToRoom(pdu, roomId, version) && !this.events.isInTimeline(id) && !this.store.isRejected(id) && !this.store.softFailed(id),
      )
      .sort(([, a], [, b]) => a.depth - b.depth);
    const batch = new Map(fresh);
    const lookup = (id: string) => batch.get(id) ?? this.graph.findInRoom(id, roomId);
    const createId = this.graph.createEventId(roomId, version);
    const accepted: [string, Pdu][] = [];
    const foreign = new Set<string>();
    // Oldest first, so an event's auth events from the same batch have been judged before it.
    for (const [eventId, pdu] of fresh) {
      if (this.events.event(eventId)) {
        accepted.push([eventId, pdu]); // held for state (an outlier): authorised when it was stored
        continue;
      }
      for (const authId of pdu.auth_events)
        if (!lookup(authId) && !this.graph.have(authId))
          await this.input.fetchOutlier(origin, authId, roomId, version, foreign).catch(() => undefined);
      const cross = this.graph.foreignEvent(roomId, [...pdu.auth_events, ...pdu.prev_events], foreign);
      const problem = cross ? `${cross} is not an event of this room` : this.input.authEventsProblem(pdu, roomId, version);
      if (problem) {
        batch.delete(eventId);
        this.input.reject(eventId, roomId, pdu, `backfilled, ${problem}`);
        continue;
      }
      try {
        checkAuth(pdu, authStateFromAuthEvents(pdu, createId, lookup), version, previousIsCreate(pdu, createId));
        accepted.push([eventId, pdu]);
      } catch (error) {
        if (!(error instanceof AuthError)) throw error;
        batch.delete(eventId);
        this.input.reject(eventId, roomId, pdu, `backfilled, auth events: ${error.message}`);
      }
    }
    if (accepted.length === 0) return 0;
    return this.graph.withRoomLock(roomId, async () =>
      this.events.transaction(() => {
        // Newest first, each one position lower: the timeline reads them back in DAG order, under what we had.
        let position = this.events.lowestStream() - 1;
        let stored = 0;
        for (const [eventId, pdu] of accepted.reverse()) {
          if (this.events.isInTimeline(eventId)) continue;
          const held = this.events.event(eventId);
          const placed = held
            ? this.events.moveIntoTimeline(held, position)
            : (this.events.insertEvent({
                streamOrdering: position,
                eventId,
                roomId,
                pdu,
                replacesState: null,
                senderUserId: null,
                txnDeviceId: null,
                txnId: null,
              }),
              true);
          if (placed) position--, stored++;
        }
        this.applyStoredRedactions(roomId, version, accepted);
        return stored;
      }),
    );
  }

  /** History that arrives after its redaction (already stored, or in the same batch) is kept redacted. */
  private applyStoredRedactions(roomId: string, version: string, arrived: [string, Pdu][]): void {
    const redactions = this.events.redactionsByTarget(roomId);
    if (redactions.size === 0) return;
    const powerState = this.graph.authState(roomId, this.graph.currentStateIds(roomId));
    for (const [eventId] of arrived) {
      const redaction = redactions.get(eventId);
      const target = redaction && this.events.event(eventId);
      if (!target || target.redactedBy || !mayRedact(redaction.sender, target.pdu, powerState, version)) continue;
      this.events.markRedacted(eventId, redaction.eventId, redactEvent(target.pdu, version) as unknown as Pdu);
    }
  }
}
