// Event relationships: /relations (an event's children, by rel type and event type, MSC3981 recursion) and
// /threads (a room's thread roots by latest activity). Both answer only with events the caller may see.
import type { Homeserver } from '../homeserver';
import { requireSession } from '../http/auth';
import { invalidParam, notFound } from '../http/errors';
import type { RequestContext, Router } from '../http/router';
import { ClientFormatter } from '../rooms/client-format';
import { usesMemberKeys } from '../rooms/room-versions';
import type { StoredEvent } from '../storage/events';
import { formatPaginationToken, NO_HISTORY_FLOOR, parsePosition } from '../sync/tokens';
import { roomViewFor } from './room-access';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
/** How many hops `recurse=true` follows (the spec asks for at least 3). */
export const RECURSION_DEPTH = 3;

/** A positive page size, capped; the spec asks for a limit above zero. */
export function parsePageLimit(text: string | null): number {
  if (text === null) return DEFAULT_LIMIT;
  if (!/^\d{1,6}$/.test(text) || Number(text) === 0) throw invalidParam('limit must be a positive integer');
  return Math.min(Number(text), MAX_LIMIT);
}

export function parseRecurse(text: string | null): boolean | undefined {
  if (text === null) return undefined;
  if (text !== 'true' && text !== 'false') throw invalidParam("recurse must be 'true' or 'false'");
  return text === 'true';
}

export function parseDirection(text: string | null): 'b' | 'f' {
  if (text === null) return 'b';
  if (text !== 'b' && text !== 'f') throw invalidParam("dir must be 'b' or 'f'");
  return text;
}

export function registerRelations(router: Router, hs: Homeserver): void {
  const relations = (ctx: RequestContext) => relationsPage(hs, ctx);
  router.get('/_matrix/client/v1/rooms/{roomId}/relations/{eventId}', relations);
  router.get('/_matrix/client/v1/rooms/{roomId}/relations/{eventId}/{relType}', relations);
  router.get('/_matrix/client/v1/rooms/{roomId}/relations/{eventId}/{relType}/{eventType}', relations);
  router.get('/_matrix/client/v1/rooms/{roomId}/threads', (ctx) => threadsPage(hs, ctx));
}

async function relationsPage(hs: Homeserver, ctx: RequestContext): Promise<Record<string, unknown>> {
  const session = requireSession(hs, ctx);
  const roomId = ctx.params.roomId!;
  const dir = parseDirection(ctx.query.get('dir'));
  const limit = parsePageLimit(ctx.query.get('limit'));
  const recurse = parseRecurse(ctx.query.get('recurse'));
  const fromText = ctx.query.get('from');
  const toText = ctx.query.get('to');
  const from = fromText ? parsePosition(fromText) : undefined;
  const to = toText ? parsePosition(toText) : undefined;
  const view = roomViewFor(hs, roomId, session.userId);
  await hs.links.ensureRooms([roomId]);
  const parent = hs.events.event(ctx.params.eventId!);
  if (!parent || parent.roomId !== roomId || parent.streamOrdering > view.ceiling || !view.history.canSee(parent))
    throw notFound('Event not found');

  // The window (after, upTo] in stream positions; `from` and `to` are pagination tokens (points between events).
  let after = dir === 'b' ? (to ?? NO_HISTORY_FLOOR) : (from ?? NO_HISTORY_FLOOR);
  let upTo = Math.min(dir === 'b' ? (from ?? view.ceiling) : (to ?? view.ceiling), view.ceiling);
  const depth = recurse ? RECURSION_DEPTH : 1;
  const batch = Math.max(limit * 2, 20);
  const picked: StoredEvent[] = [];
  let more = false;
  // Read the index in batches and keep what the caller may see, one past the page to know whether more follow.
  scan: for (;;) {
    const rows = hs.events.relations.children({
      roomId,
      parentId: parent.eventId,
      relType: ctx.params.relType,
      eventType: ctx.params.eventType,
      depth,
      after,
      upTo,
      dir,
      limit: batch,
    });
    for (const row of rows) {
      if (dir === 'b') upTo = row.stream_ordering - 1;
      else after = row.stream_ordering;
      const child = hs.events.event(row.event_id);
      if (!child || !view.history.canSee(child)) continue;
      if (picked.length === limit) {
        more = true;
        break scan;
      }
      picked.push(child);
    }
    if (rows.length < batch) break;
  }

  const formatter = new ClientFormatter(hs, session);
  const body: Record<string, unknown> = { chunk: picked.map((e) => formatter.withAggregations(e)) };
  const last = picked.at(-1);
  if (more && last) body.next_batch = formatPaginationToken(dir === 'b' ? last.streamOrdering - 1 : last.streamOrdering);
  if (fromText) body.prev_batch = fromText;
  if (recurse !== undefined) body.recursion_depth = depth;
  return body;
}

async function threadsPage(hs: Homeserver, ctx: RequestContext): Promise<Record<string, unknown>> {
  const session = requireSession(hs, ctx);
  const roomId = ctx.params.roomId!;
  const include = ctx.query.get('include') ?? 'all';
  if (include !== 'all' && include !== 'participated') throw invalidParam("include must be 'all' or 'participated'");
  const limit = parsePageLimit(ctx.query.get('limit'));
  const fromText = ctx.query.get('from');
  let cursor = fromText ? parsePosition(fromText) : Number.MAX_SAFE_INTEGER;
  const view = roomViewFor(hs, roomId, session.userId);
  await hs.links.ensureRooms([roomId]);
  const ownSender = usesMemberKeys(view.version) ? hs.memberKeys.forUser(roomId, session.userId)?.member_key : session.userId;

  const batch = Math.max(limit * 2, 20);
  const picked: { root: StoredEvent; latest: number }[] = [];
  let more = false;
  scan: for (;;) {
    const rows = hs.events.relations.threadRoots(roomId, cursor, batch);
    for (const row of rows) {
      cursor = row.latest - 1;
      const root = hs.events.event(row.root_id);
      if (!root || !view.history.canSee(root)) continue;
      const replies = visibleReplies(hs, view.history, root);
      // A thread whose every reply is hidden from the caller is no thread to them.
      if (replies.length === 0) continue;
      if (include === 'participated' && !(root.pdu.sender === ownSender || replies.some((r) => r.pdu.sender === ownSender))) continue;
      if (picked.length === limit) {
        more = true;
        break scan;
      }
      picked.push({ root, latest: row.latest });
    }
    if (rows.length < batch) break;
  }

  const formatter = new ClientFormatter(hs, session);
  const body: Record<string, unknown> = { chunk: picked.map(({ root }) => formatter.withAggregations(root)) };
  const last = picked.at(-1);
  if (more && last) body.next_batch = formatPaginationToken(last.latest - 1);
  return body;
}

function visibleReplies(hs: Homeserver, history: { canSee(e: StoredEvent): boolean }, root: StoredEvent): StoredEvent[] {
  return hs.events.relations
    .children({
      roomId: root.roomId,
      parentId: root.eventId,
      relType: 'm.thread',
      depth: 1,
      after: NO_HISTORY_FLOOR,
      upTo: Number.MAX_SAFE_INTEGER,
      dir: 'b',
      limit: -1,
    })
    .map((row) => hs.events.event(row.event_id))
    .filter((e): e is StoredEvent => e !== undefined && history.canSee(e));
}
