// Typing notifications, read receipts and read markers.
import type { Homeserver } from '../homeserver';
import { requireSession } from '../http/auth';
import { badJson, forbidden, invalidParam, notFound } from '../http/errors';
import type { Router } from '../http/router';
import { asObject, optionalInteger, optionalString } from '../http/validate';
import { MAIN_THREAD } from '../rooms/threads';
import { requireJoined } from './room-access';

const RECEIPT_TYPES = ['m.read', 'm.read.private', 'm.fully_read'];

export function registerEphemeral(router: Router, hs: Homeserver): void {
  router.put('~/rooms/{roomId}/typing/{userId}', async (ctx) => {
    const session = requireSession(hs, ctx);
    const { roomId, userId } = ctx.params as { roomId: string; userId: string };
    if (userId !== session.userId) throw forbidden('Cannot set typing for another user');
    const body = asObject(await ctx.json());
    const typing = body.typing;
    if (typeof typing !== 'boolean') throw badJson("'typing' must be a boolean");
    const timeout = optionalInteger(body, 'timeout') ?? 30_000;
    requireJoined(hs, roomId, session.userId);
    hs.typing.set(roomId, session.userId, typing, timeout);
    hs.federation.sendEdu(roomId, 'm.typing', { room_id: roomId, user_id: session.userId, typing });
    return {};
  });

  const eventInRoom = (roomId: string, eventId: string) => {
    const event = hs.events.event(eventId);
    if (!event || event.roomId !== roomId) throw notFound('Event not found in this room');
    return event;
  };
  /** `threadId`: '' for an unthreaded receipt, else 'main' or a thread root's event ID. */
  const markRead = (roomId: string, userId: string, receiptType: string, eventId: string, threadId: string) => {
    const event = eventInRoom(roomId, eventId);
    if (receiptType === 'm.fully_read') hs.accountData.put(userId, roomId, 'm.fully_read', { event_id: eventId });
    else {
      hs.receipts.put(roomId, userId, receiptType, threadId, eventId);
      hs.push.markRead(roomId, userId, event.streamOrdering, threadId === '' ? undefined : threadId);
      if (receiptType === 'm.read') {
        hs.federation.sendEdu(roomId, 'm.receipt', {
          [roomId]: {
            'm.read': { [userId]: { event_ids: [eventId], data: { ts: Date.now(), ...(threadId ? { thread_id: threadId } : {}) } } },
          },
        });
      }
    }
  };
  /** A threaded receipt names the thread its event is in (a root is in the main timeline and heads its own thread). */
  const checkThread = (roomId: string, eventId: string, threadId: string) => {
    const event = eventInRoom(roomId, eventId);
    const root = hs.push.threadOf(event.pdu);
    const fits = threadId === MAIN_THREAD ? root === undefined : root === threadId || eventId === threadId;
    if (!fits) throw invalidParam(`${eventId} is not in thread ${threadId}`);
  };

  router.post('~/rooms/{roomId}/receipt/{receiptType}/{eventId}', async (ctx) => {
    const session = requireSession(hs, ctx);
    const { roomId, receiptType, eventId } = ctx.params as { roomId: string; receiptType: string; eventId: string };
    if (!RECEIPT_TYPES.includes(receiptType)) throw invalidParam(`Unknown receipt type ${receiptType}`);
    const body = asObject(await ctx.json());
    const threadValue = body.thread_id;
    if (threadValue !== undefined && (typeof threadValue !== 'string' || threadValue === ''))
      throw invalidParam('thread_id field must be a non-empty string');
    const threadId = threadValue ?? '';
    if (receiptType === 'm.fully_read' && threadId !== '') throw invalidParam('m.fully_read cannot be threaded');
    requireJoined(hs, roomId, session.userId);
    if (threadId !== '') checkThread(roomId, eventId, threadId);
    markRead(roomId, session.userId, receiptType, eventId, threadId);
    hs.notifier.notifyRoom(roomId);
    return {};
  });

  router.post('~/rooms/{roomId}/read_markers', async (ctx) => {
    const session = requireSession(hs, ctx);
    const roomId = ctx.params.roomId!;
    const body = asObject(await ctx.json());
    requireJoined(hs, roomId, session.userId);
    // Every event is checked before anything moves: a request with one bad event changes nothing.
    const marks = RECEIPT_TYPES.flatMap((type) => {
      const eventId = optionalString(body, type);
      return eventId === undefined ? [] : [{ type, eventId }];
    });
    for (const { eventId } of marks) eventInRoom(roomId, eventId);
    for (const { type, eventId } of marks) markRead(roomId, session.userId, type, eventId, '');
    hs.notifier.notifyRoom(roomId);
    return {};
  });
}
