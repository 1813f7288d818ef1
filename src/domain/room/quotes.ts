// The message a reply quotes, when it is not in the loaded timeline: fetched with /event. A message our server
// soft-failed (PROTOCOL.md §4: kept, not sent down /sync) is still /event's 404, with a `dev.wayfarer.soft_failed`
// field telling why it is hidden and who sent it; on the reader's explicit request it is fetched from
// `GET …/dev.wayfarer/rooms/{roomId}/soft_failed/{eventId}`. Other servers send no such field: a plain "not loaded".
import { MatrixEvent, Method, type IEvent, type MatrixClient } from 'matrix-js-sdk';
import { WAYFARER_CLIENT_PREFIX } from '../../protocol';
import { senderIdentity } from '../identity/sender';
import { toTimelineEvent } from './fromSdk';
import type { TimelineEvent } from './timeline';

export const SOFT_FAILED_FIELD = 'dev.wayfarer.soft_failed';

/** Why our server hid it: its sender's link is unverified (or erased), not yet checked, or it broke the room's rules. */
export type HiddenReason = 'unverified' | 'pending' | 'refused';

export interface HiddenSender {
  identity: string;
  sender: string;
}

export type QuotedEvent =
  | { state: 'loading' }
  | { state: 'shown'; event: TimelineEvent }
  | { state: 'hidden'; reason: HiddenReason; sender?: HiddenSender; revealing: boolean; revealFailed: boolean }
  | { state: 'revealed'; reason: HiddenReason; event: TimelineEvent }
  | { state: 'missing' };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The field's meaning, or undefined when the answer carries none (or one we do not understand). */
export function parseSoftFailed(body: unknown): { reason: HiddenReason; sender?: HiddenSender } | undefined {
  const field = isRecord(body) ? body[SOFT_FAILED_FIELD] : undefined;
  if (!isRecord(field)) return undefined;
  const reason: HiddenReason =
    field.reason === 'unverified_link' ? (field.link_status === 'pending' ? 'pending' : 'unverified') : 'refused';
  const sender = typeof field.sender === 'string' ? field.sender : undefined;
  const senderKey = typeof field.sender_key === 'string' ? field.sender_key : undefined;
  const identity = sender ? senderIdentity({ sender, sender_key: senderKey }) : '';
  return { reason, ...(sender && identity ? { sender: { identity, sender } } : {}) };
}

function errorBody(error: unknown): unknown {
  return isRecord(error) ? error.data : undefined;
}

function asTimelineEvent(raw: unknown, roomId: string, eventId: string): TimelineEvent | undefined {
  if (!isRecord(raw) || raw.event_id !== eventId || (raw.room_id !== undefined && raw.room_id !== roomId)) return undefined;
  return toTimelineEvent(new MatrixEvent({ ...(raw as Partial<IEvent>), room_id: roomId }));
}

/** The quoted message by /event: shown, hidden by our server (and why), or missing. Never throws. */
export async function fetchQuoted(client: MatrixClient, roomId: string, eventId: string): Promise<QuotedEvent> {
  try {
    const event = asTimelineEvent(await client.fetchRoomEvent(roomId, eventId), roomId, eventId);
    return event ? { state: 'shown', event } : { state: 'missing' };
  } catch (error) {
    const hidden = parseSoftFailed(errorBody(error));
    return hidden ? { state: 'hidden', ...hidden, revealing: false, revealFailed: false } : { state: 'missing' };
  }
}

/** The soft-failed message itself, asked for explicitly. Throws when the server does not serve it. */
export async function fetchSoftFailed(client: MatrixClient, roomId: string, eventId: string): Promise<TimelineEvent> {
  const body = await client.http.authedRequest<Record<string, unknown>>(
    Method.Get,
    `/rooms/${encodeURIComponent(roomId)}/soft_failed/${encodeURIComponent(eventId)}`,
    undefined,
    undefined,
    { prefix: WAYFARER_CLIENT_PREFIX },
  );
  const event = asTimelineEvent(body?.event, roomId, eventId);
  if (!event) throw new Error(`the server answered with another event than ${eventId}`);
  return event;
}
