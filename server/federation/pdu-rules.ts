// The rules about PDUs that need no state of ours: which room an event is in, where a member routes to, the auth
// state an event's own auth events make, and the state a resident server hands a joining one.
import { computeEventId } from '../../src/protocol';
import { authKey, AuthError, checkAuth } from '../rooms/authorization';
import type { Pdu } from '../rooms/pdu';
import { hasRoomIdFromCreate, usesMemberKeys } from '../rooms/room-versions';

export type Json = Record<string, unknown>;

export class PduError extends Error {}

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
export function authorisedByTheirAuthEvents(
  state: Map<string, Pdu>,
  authChain: Map<string, Pdu>,
  version: string,
  createId: string,
): Map<string, Pdu> {
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

export function previousIsCreate(pdu: Pdu, createId: string | undefined): boolean {
  return pdu.prev_events.length === 1 && pdu.prev_events[0] === createId;
}

/** The state an event's own auth events make; `lookup` must only find events of the event's room. */
export function authStateFromAuthEvents(pdu: Pdu, createId: string | undefined, lookup: (id: string) => Pdu | undefined): Map<string, Pdu> {
  const state = new Map<string, Pdu>();
  const ids = [...pdu.auth_events, ...(createId ? [createId] : [])];
  for (const id of ids) {
    const event = lookup(id);
    if (event && event.state_key !== undefined) state.set(authKey(event.type, event.state_key), event);
  }
  return state;
}

export function safeEventId(raw: unknown, version: string): string | undefined {
  try {
    return computeEventId(raw as object, version);
  } catch {
    return undefined;
  }
}
