// Wayfarer extensions under /_matrix/client/unstable/dev.wayfarer (PROTOCOL.md §5).
import { WAYFARER_CLIENT_PREFIX } from '../../src/protocol';
import type { Homeserver } from '../homeserver';
import { requireSession } from '../http/auth';
import { invalidParam, notFound } from '../http/errors';
import type { Router } from '../http/router';
import { usesMemberKeys } from '../rooms/room-versions';
import { stateKeyOf } from '../storage/events';
import { roomViewFor } from './room-access';
import { revealSoftFailed, visibleSoftFailed } from './soft-failed';

/** How many member events `?history=true` returns at most: the latest ones. */
export const MEMBER_HISTORY_LIMIT = 100;

export function registerWayfarer(router: Router, hs: Homeserver): void {
  /**
   * The member's current m.room.member event in federation format, so a browser can verify the link itself.
   * With `?history=true`: `{event, history}`, history being the member's latest member events the requester
   * may see, oldest first, for the inspector's handle history with each event's co-signers.
   */
  router.get(`${WAYFARER_CLIENT_PREFIX}/rooms/{roomId}/member_event/{memberKey}`, (ctx) => {
    const session = requireSession(hs, ctx);
    const { roomId, memberKey } = ctx.params as { roomId: string; memberKey: string };
    const view = roomViewFor(hs, roomId, session.userId);
    if (!usesMemberKeys(view.version)) throw invalidParam('This room does not use member keys');
    const stableId = memberKey.startsWith('@') ? memberKey : `@${memberKey}`;
    const event = hs.events.stateAt(roomId, view.ceiling).get(stateKeyOf('m.room.member', stableId));
    if (!event) throw notFound('No member event for that key');
    // Exactly as stored and signed: adding fields (even event_id) would change what the signatures cover.
    if (ctx.query.get('history') !== 'true') return event.pdu;
    const history = hs.events.memberEvents(roomId, stableId, view.ceiling, MEMBER_HISTORY_LIMIT).map((e) => e.pdu);
    return { event: event.pdu, history };
  });

  /**
   * One soft-failed event (PROTOCOL.md §4), on the reader's explicit request: `{event, dev.wayfarer.soft_failed}`,
   * the event as /event would format it and why it was hidden. Same visibility as /event; a non-member gets 403,
   * an event that is not soft-failed here (unknown, another room's, or accepted: ask /event) gets 404.
   */
  router.get(`${WAYFARER_CLIENT_PREFIX}/rooms/{roomId}/soft_failed/{eventId}`, async (ctx) => {
    const session = requireSession(hs, ctx);
    const { roomId, eventId } = ctx.params as { roomId: string; eventId: string };
    const view = roomViewFor(hs, roomId, session.userId);
    await hs.links.ensureRooms([roomId]);
    const soft = visibleSoftFailed(hs, view, roomId, eventId);
    if (!soft) throw notFound('No soft-failed event with that ID in this room');
    return revealSoftFailed(hs, session, soft);
  });
}
