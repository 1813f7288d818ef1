// matrix-js-sdk events → the plain TimelineEvent the pure timeline functions work on.
import { EventStatus, type MatrixEvent, type Room } from 'matrix-js-sdk';
import type { SendStatus, TimelineEvent } from './timeline';
import { senderIdentity } from '../identity/sender';
import { identityOfMemberEvent } from '../identity/describeSender';
import { isRetryableFailure } from '../../matrix/client';
import { undecryptableReason } from '../../matrix/crypto';

/**
 * What an encrypted event is now: decrypting, unreadable (and why), or read (its clear type and content stand in for
 * the raw event's, as matrix-js-sdk's getType/getContent give them).
 */
function decryptionState(event: MatrixEvent): string {
  if (!event.isEncrypted()) return '';
  if (event.isDecryptionFailure()) return `utd:${event.decryptionFailureReason}`;
  return event.isBeingDecrypted() || event.getType() === 'm.room.encrypted' ? 'pending' : 'clear';
}

function sendStatus(event: MatrixEvent): SendStatus {
  switch (event.status) {
    case null:
    case EventStatus.SENT:
      return 'sent';
    case EventStatus.NOT_SENT:
      return 'failed';
    case EventStatus.CANCELLED:
      return 'failed';
    default:
      return 'sending';
  }
}

/**
 * A message served with nothing left of its content and no redaction to say why: how servers serve an erased account's
 * messages to someone who joined later (spec: POST /account/deactivate `erase`). It shows as removed, not as empty.
 */
export function isPrunedMessage(event: MatrixEvent): boolean {
  const { type, content } = event.event;
  if (type !== 'm.room.message' && type !== 'm.sticker' && type !== 'm.room.encrypted') return false;
  for (const _ in content) return false;
  return true;
}

const cache = new WeakMap<MatrixEvent, { key: string; raw: object; value: TimelineEvent }>();

export function toTimelineEvent(event: MatrixEvent): TimelineEvent {
  // A reaction being taken back is gone at once (local echo of the redaction); a failed redaction is cancelled, which restores it.
  const redacted =
    event.isRedacted() ||
    isPrunedMessage(event) ||
    (event.getType() === 'm.reaction' && event.localRedactionEvent() !== null && event.localRedactionEvent() !== undefined);
  const status = sendStatus(event);
  const retryable = status === 'failed' && isRetryableFailure(event);
  const id = event.getId() ?? event.getTxnId() ?? '';
  const raw = event.event;
  // Events are mutable in the SDK (status, redaction, remote echo replacing the raw event): cache on all of it.
  const decryption = decryptionState(event);
  const key = `${id}|${status}|${retryable}|${redacted}|${decryption}`;
  const hit = cache.get(event);
  if (hit && hit.key === key && hit.raw === raw) return hit.value;
  // An unreadable (or not yet read) message keeps the encrypted type: the timeline shows why it can't be read.
  const unreadable = decryption !== '' && decryption !== 'clear';
  const value: TimelineEvent = {
    id,
    type: unreadable ? 'm.room.encrypted' : event.getType(),
    sender: event.getSender() ?? '',
    identity: senderIdentity({
      sender: raw.sender,
      sender_key: (raw as { sender_key?: string }).sender_key,
      unsigned: raw.unsigned as Record<string, unknown> | undefined,
    }),
    ts: event.getTs(),
    content: redacted
      ? {}
      : unreadable
        ? { reason: decryption === 'pending' ? 'decrypting' : undecryptableReason(event.decryptionFailureReason) }
        : (event.getOriginalContent() as Record<string, unknown>),
    stateKey: event.getStateKey(),
    subject: event.getType() === 'm.room.member' ? identityOfMemberEvent(raw) || undefined : undefined,
    prevContent: event.getPrevContent() as Record<string, unknown>,
    redacted,
    status,
    ...(retryable ? { retryable } : {}),
    txnId: event.getTxnId(),
  };
  cache.set(event, { key, raw, value });
  return value;
}

/**
 * The room's loaded live timeline followed by its local echoes. Local echoes are ours by definition, but
 * carry no sender key until the server's copy arrives: they get `ownIdentity` so they group and edit as ours.
 */
export function roomTimelineEvents(room: Room, ownIdentity: string): TimelineEvent[] {
  const live = room.getLiveTimeline().getEvents();
  const pending = room.getPendingEvents();
  const out = new Array<TimelineEvent>(live.length + pending.length);
  let i = 0;
  for (const e of live) out[i++] = toTimelineEvent(e);
  for (const e of pending) {
    if (inThread(e)) continue; // a thread reply on its way shows in its thread
    const event = toTimelineEvent(e);
    out[i++] = event.identity === ownIdentity ? event : { ...event, identity: ownIdentity };
  }
  out.length = i;
  return out;
}

/** A reply in a thread (or an edit or reaction to one), not a main-timeline event; a root is in the main timeline. */
export function inThread(event: MatrixEvent): boolean {
  return !!event.threadRootId && !event.isThreadRoot;
}

/** Finds the SDK event behind a row (for retry, redact, receipts). */
export function findSdkEvent(room: Room, id: string): MatrixEvent | undefined {
  return room.findEventById(id) ?? room.getPendingEvents().find((e) => e.getTxnId() === id || e.getId() === id);
}
