// The relation index: which events point at which parent (`m.relates_to` with `rel_type` and `event_id`), so
// /relations, /threads and bundled aggregations read an index instead of scanning a room's history.
import type { Db } from './database';
import type { Pdu } from '../rooms/pdu';

export interface Relation {
  relatesTo: string;
  relType: string;
}

/** The relation an event's content declares, if it is well formed (both fields strings). */
export function relationOf(content: Record<string, unknown>): Relation | undefined {
  const relatesTo = content['m.relates_to'];
  if (typeof relatesTo !== 'object' || relatesTo === null || Array.isArray(relatesTo)) return undefined;
  const { event_id: eventId, rel_type: relType } = relatesTo as Record<string, unknown>;
  if (typeof eventId !== 'string' || typeof relType !== 'string' || eventId === '' || relType === '') return undefined;
  return { relatesTo: eventId, relType };
}

/** A child event as the index sees it: its relation and the columns the queries order and filter by. */
export interface ChildRow {
  event_id: string;
  rel_type: string;
  type: string;
  sender: string;
  stream_ordering: number;
}

export interface ChildQuery {
  roomId: string;
  parentId: string;
  relType?: string;
  eventType?: string;
  /** 1: direct children only; more: children of children too, up to this many hops. */
  depth: number;
  /** Positions: (after, upTo]. */
  after: number;
  upTo: number;
  dir: 'b' | 'f';
  limit: number;
}

export interface ThreadRow {
  root_id: string;
  latest: number;
}

export class RelationStore {
  private readonly s;

  constructor(db: Db) {
    // Walk from the parent through event_relations_parent, then look each child up: CROSS JOIN fixes that order
    // and `+room_id` keeps the room index out. Left to itself (no ANALYZE statistics) SQLite scanned the room's
    // relations and the events table's whole stream range, once per event in every /sync.
    const children = (order: 'ASC' | 'DESC') =>
      db.prepare(`
        WITH RECURSIVE related(event_id, hops) AS (
          SELECT event_id, 1 FROM event_relations WHERE relates_to = @parentId AND +room_id = @roomId
          UNION
          SELECT r.event_id, related.hops + 1 FROM related CROSS JOIN event_relations r ON r.relates_to = related.event_id
          WHERE related.hops < @depth AND +r.room_id = @roomId
        )
        SELECT DISTINCT e.event_id, r.rel_type, e.type, e.sender, e.stream_ordering
        FROM related CROSS JOIN event_relations r ON r.event_id = related.event_id CROSS JOIN events e ON e.event_id = related.event_id
        WHERE e.outlier = 0 AND e.stream_ordering > @after AND e.stream_ordering <= @upTo
          AND (@relType IS NULL OR r.rel_type = @relType) AND (@eventType IS NULL OR e.type = @eventType)
        ORDER BY e.stream_ordering ${order} LIMIT @limit`);
    this.s = {
      insert: db.prepare('INSERT OR IGNORE INTO event_relations (event_id, room_id, relates_to, rel_type) VALUES (?, ?, ?, ?)'),
      hasChild: db.prepare('SELECT 1 FROM event_relations WHERE relates_to = ? LIMIT 1'),
      childrenBackward: children('DESC'),
      childrenForward: children('ASC'),
      // Each root's latest activity is its newest thread event; roots must be events of the same room we hold.
      threads: db.prepare(`
        SELECT r.relates_to AS root_id, MAX(e.stream_ordering) AS latest
        FROM event_relations r JOIN events e ON e.event_id = r.event_id
        JOIN events root ON root.event_id = r.relates_to AND root.room_id = r.room_id AND root.outlier = 0
        WHERE r.room_id = ? AND r.rel_type = 'm.thread' AND e.outlier = 0
        GROUP BY r.relates_to HAVING latest <= ? ORDER BY latest DESC LIMIT ?`),
    };
  }

  /** Indexes the event's relation, if it declares one (called as every event is stored). */
  record(eventId: string, roomId: string, pdu: Pdu): void {
    const relation = relationOf(pdu.content);
    if (relation) this.s.insert.run(eventId, roomId, relation.relatesTo, relation.relType);
  }

  /** Children in the timeline within the query's window, newest first (`b`) or oldest first (`f`). */
  children(query: ChildQuery): ChildRow[] {
    // Most events have no children: one index probe answers that without the recursive query (a tenth of its cost).
    if (this.s.hasChild.get(query.parentId) === undefined) return [];
    const statement = query.dir === 'b' ? this.s.childrenBackward : this.s.childrenForward;
    return statement.all({
      roomId: query.roomId,
      parentId: query.parentId,
      relType: query.relType ?? null,
      eventType: query.eventType ?? null,
      depth: query.depth,
      after: query.after,
      upTo: query.upTo,
      limit: query.limit,
    }) as ChildRow[];
  }

  /** Thread roots whose latest thread event is at or below `upTo`, most recently active first. */
  threadRoots(roomId: string, upTo: number, limit: number): ThreadRow[] {
    return this.s.threads.all(roomId, upTo, limit) as ThreadRow[];
  }
}
