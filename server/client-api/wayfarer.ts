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
/** `member_events` pages (PROTOCOL.md §5): 500 by default, at most 1,000. */
export const MEMBER_EVENTS_DEFAULT_LIMIT = 500;
export const MEMBER_EVENTS_MAX_LIMIT = 1000;

/** Page tokens are opaque to clients: the last state key of the page before, base64url. */
const pageToken = (stateKey: string) => Buffer.from(stateKey, 'utf8').toString('base64url');
function afterToken(token: string | null): string | undefined {
  if (token === null) return undefined;
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw invalidParam('from: not a member_events page token');
  return Buffer.from(token, 'base64url').toString('utf8');
}

function pageLimit(text: string | null): number {
  if (text === null) return MEMBER_EVENTS_DEFAULT_LIMIT;
  const limit = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(limit) || limit < 1) throw invalidParam('limit: a positive integer');
  return Math.min(limit, MEMBER_EVENTS_MAX_LIMIT);
}

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
   * The room's current member events in federation format, paged by state key, so a browser verifies a whole room
   * in a few requests instead of one per member. Same visibility as /members: a member sees the state at its
   * ceiling (now, or when it left).
   */
  router.get(`${WAYFARER_CLIENT_PREFIX}/rooms/{roomId}/member_events`, (ctx) => {
    const session = requireSession(hs, ctx);
    const { roomId } = ctx.params as { roomId: string };
    const limit = pageLimit(ctx.query.get('limit'));
    const after = afterToken(ctx.query.get('from'));
    const view = roomViewFor(hs, roomId, session.userId);
    if (!usesMemberKeys(view.version)) throw invalidParam('This room does not use member keys');
    const members = [...hs.events.stateAt(roomId, view.ceiling).values()]
      .filter((e) => e.pdu.type === 'm.room.member' && (after === undefined || e.pdu.state_key! > after))
      .sort((a, b) => (a.pdu.state_key! < b.pdu.state_key! ? -1 : 1));
    const page = members.slice(0, limit);
    // Exactly as stored and signed, as member_event answers.
    const body: { chunk: unknown[]; next_batch?: string } = { chunk: page.map((e) => e.pdu) };
    if (members.length > limit) body.next_batch = pageToken(page.at(-1)!.pdu.state_key!);
    return body;
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
