// Soft-failed events (PROTOCOL.md §4: kept, not sent down /sync) as a reader may learn of them: `/event` answers its
// usual 404 with a `dev.wayfarer.soft_failed` field saying the event exists and why it is hidden, and
// `GET …/dev.wayfarer/rooms/{roomId}/soft_failed/{eventId}` serves one on explicit request. Both only for an event of
// that room the reader could have seen had it been accepted: the same history visibility as /event, judged where
// the event would stand (just after its prev events), and within what the reader may see of the room.
import { redactEvent } from '../../src/protocol';
import type { Homeserver } from '../homeserver';
import { mayRedact } from '../rooms/authorization';
import { ClientFormatter, type ClientEvent } from '../rooms/client-format';
import type { Pdu } from '../rooms/pdu';
import { usesMemberKeys } from '../rooms/room-versions';
import type { Session } from '../storage/accounts';
import type { StoredEvent } from '../storage/events';
import type { RoomView } from './room-access';

/** The field on `/event`'s 404 (and the object beside the event on the reveal endpoint). */
export const SOFT_FAILED_FIELD = 'dev.wayfarer.soft_failed';

/** Why it is hidden: its sender's link was not verified, or it failed the auth rules against the current state. */
export type SoftFailReason = 'unverified_link' | 'not_allowed';

export interface SoftFailedEvent {
  /** As if stored where it would stand, redacted when a redaction we hold may redact it. */
  stored: StoredEvent;
  reason: SoftFailReason;
  /** For `unverified_link`: the link's status when the event came (`pending`, `unverified`, `erased`). */
  linkStatus?: string;
}

const LINK_REASON = /^the sender's link is (\w+)/;
/** How far back through soft-failed prev events the position is looked for. */
const MAX_PREV_HOPS = 20;

/**
 * Where the event would stand in the room's stream: at its latest prev event we hold (the state before it is the
 * state after its prev events), looking through prev events that were soft-failed too. Undefined if none is held.
 */
function positionOf(hs: Homeserver, roomId: string, pdu: Pdu): number | undefined {
  const seen = new Set<string>();
  let frontier = pdu.prev_events;
  for (let hop = 0; hop < MAX_PREV_HOPS && frontier.length > 0; hop++) {
    let best: number | undefined;
    const next: string[] = [];
    for (const id of frontier) {
      if (seen.has(id)) continue;
      seen.add(id);
      const stored = hs.events.event(id);
      if (stored) {
        if (stored.roomId === roomId && (best === undefined || stored.streamOrdering > best)) best = stored.streamOrdering;
        continue;
      }
      const soft = hs.federation.store.softFailed(id);
      if (soft?.roomId === roomId) next.push(...soft.pdu.prev_events);
    }
    if (best !== undefined) return best;
    frontier = next;
  }
  return undefined;
}

/** The soft-failed event `eventId` of `roomId`, if this server holds one there and the reader's `view` may see it. */
export function visibleSoftFailed(hs: Homeserver, view: RoomView, roomId: string, eventId: string): SoftFailedEvent | undefined {
  if (hs.events.event(eventId)) return undefined; // accepted (or released since): /event serves it
  const soft = hs.federation.store.softFailed(eventId);
  if (!soft || soft.roomId !== roomId) return undefined;
  const position = positionOf(hs, roomId, soft.pdu);
  if (position === undefined || position > view.ceiling || !view.history.canSeeAt(position)) return undefined;

  let pdu = soft.pdu;
  let redactedBy: string | null = null;
  const redaction = hs.events.redactionsByTarget(roomId).get(eventId);
  if (redaction) {
    const graph = hs.federation.graph;
    if (mayRedact(redaction.sender, pdu, graph.authState(roomId, graph.currentStateIds(roomId)), view.version)) {
      pdu = redactEvent(pdu, view.version) as unknown as Pdu;
      redactedBy = redaction.eventId;
    }
  }
  const link = LINK_REASON.exec(soft.reason);
  return {
    stored: {
      streamOrdering: position,
      eventId,
      roomId,
      pdu,
      redactedBy,
      replacesState: null,
      senderUserId: null,
      txnDeviceId: null,
      txnId: null,
    },
    reason: link ? 'unverified_link' : 'not_allowed',
    ...(link ? { linkStatus: link[1] } : {}),
  };
}

/** What `/event`'s 404 says of a soft-failed event: why it is hidden and who sent it (as events name senders). */
export function softFailedNotice(hs: Homeserver, session: Session, found: SoftFailedEvent): Record<string, unknown> {
  const event: ClientEvent = new ClientFormatter(hs, session).event(found.stored);
  return {
    reason: found.reason,
    ...(found.linkStatus ? { link_status: found.linkStatus } : {}),
    sender: event.sender,
    ...(usesMemberKeys(hs.rooms.versionOf(found.stored.roomId)) ? { sender_key: event.sender_key } : {}),
  };
}

/** The reveal endpoint's answer: the event in the Client-Server format, and why it was hidden. */
export function revealSoftFailed(hs: Homeserver, session: Session, found: SoftFailedEvent): Record<string, unknown> {
  return {
    event: new ClientFormatter(hs, session).event(found.stored),
    [SOFT_FAILED_FIELD]: { reason: found.reason, ...(found.linkStatus ? { link_status: found.linkStatus } : {}) },
  };
}
