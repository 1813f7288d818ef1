// Bundled aggregations (unsigned["m.relations"]) for one viewer: m.thread on thread roots, m.replace (the latest
// valid edit, spec v1.7+), m.reference (the referring event IDs). Children the viewer may not see don't count.
import type { StoredEvent } from '../storage/events';
import type { ChildRow } from '../storage/relations';
import { memoRead, type MemoSource } from '../sync/read-memo';
import { NO_HISTORY_FLOOR } from '../sync/tokens';

/** The viewer-specific parts aggregation needs, supplied by the formatter that owns the response. */
export interface AggregationContext {
  /** The event store (with its relations) and its read memo. */
  hs: MemoSource;
  /** May the viewer see this event (history visibility and membership at it)? */
  canSee(event: StoredEvent): boolean;
  /** The viewer's sender ID in the room (their member key in member-key rooms), if they have one. */
  ownSenderId(roomId: string): string | undefined;
  /** A child event formatted for the viewer, with its own aggregations (thread latest_event, edits). */
  format(event: StoredEvent, depth: number): Record<string, unknown>;
}

const ALL = -1;

/**
 * Whether `edit` is a valid replacement of `original` (spec: same sender and type, neither a state event, the
 * original not itself an edit, and unless encrypted the edit carries `m.new_content`). Redacted edits don't count.
 */
export function isValidEdit(original: StoredEvent, edit: StoredEvent): boolean {
  const o = original.pdu;
  const e = edit.pdu;
  if (edit.redactedBy || e.sender !== o.sender || e.type !== o.type) return false;
  if (o.state_key !== undefined || e.state_key !== undefined) return false;
  const originalRelation = o.content['m.relates_to'] as { rel_type?: unknown } | undefined;
  if (originalRelation?.rel_type === 'm.replace') return false;
  const newContent = e.content['m.new_content'];
  return e.type === 'm.room.encrypted' || (typeof newContent === 'object' && newContent !== null && !Array.isArray(newContent));
}

/** The most recent of the valid edits: greatest origin_server_ts, ties broken by the greater event ID. */
export function latestEdit(original: StoredEvent, edits: StoredEvent[]): StoredEvent | undefined {
  let best: StoredEvent | undefined;
  for (const edit of edits) {
    if (!isValidEdit(original, edit)) continue;
    if (!best || compareEdits(edit, best) > 0) best = edit;
  }
  return best;
}

function compareEdits(a: StoredEvent, b: StoredEvent): number {
  const dt = a.pdu.origin_server_ts - b.pdu.origin_server_ts;
  if (dt !== 0) return dt;
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}

/** The event's bundled aggregations, or undefined when it has none (a redacted event never has any). */
export function bundledAggregations(ctx: AggregationContext, event: StoredEvent, depth: number): Record<string, unknown> | undefined {
  if (event.redactedBy) return undefined;
  // One index read per event; only the kinds aggregated here are loaded (reactions and others are left alone).
  // Shared by the long-polls woken together (the relation index is written with the events: same write version).
  const rows = memoRead(ctx.hs, `children\u0000${event.roomId}\u0000${event.eventId}`, () =>
    ctx.hs.events.relations.children({
      roomId: event.roomId,
      parentId: event.eventId,
      depth: 1,
      after: NO_HISTORY_FLOOR,
      upTo: Number.MAX_SAFE_INTEGER,
      dir: 'b',
      limit: ALL,
    }),
  );
  const visibleChildren = (relType: string) =>
    rows
      .filter((row: ChildRow) => row.rel_type === relType)
      .map((row) => ctx.hs.events.event(row.event_id))
      .filter((child): child is StoredEvent => child !== undefined && ctx.canSee(child));
  const relations: Record<string, unknown> = {};

  const thread = visibleChildren('m.thread');
  if (thread.length > 0) {
    const own = ctx.ownSenderId(event.roomId);
    relations['m.thread'] = {
      latest_event: ctx.format(thread[0]!, depth + 1),
      count: thread.length,
      current_user_participated: own !== undefined && (event.pdu.sender === own || thread.some((e) => e.pdu.sender === own)),
    };
  }
  const edit = latestEdit(event, visibleChildren('m.replace'));
  if (edit) relations['m.replace'] = ctx.format(edit, depth + 1);
  const references = visibleChildren('m.reference');
  if (references.length > 0) relations['m.reference'] = { chunk: references.reverse().map((e) => ({ event_id: e.eventId })) };

  return Object.keys(relations).length > 0 ? relations : undefined;
}
