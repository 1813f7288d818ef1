// Full-text index of message bodies, room names and topics (SQLite FTS5), for POST /search.
// The FTS row's rowid is the event's stream ordering; triggers on `events` keep the index in step with every write
// path (local sends, federation, backfill, outliers moved into the timeline, redactions), so no caller has to remember.
// A stored event is queued (event_search_pending) and indexed in batches by catchUp: before every search, so a search
// sees every committed event, and a chunk every quarter second in between (one FTS5 segment per chunk, not one per
// message; a chunk is bounded so that indexing never holds the event loop long).
// Its schema (the FTS5 table, the queue and those triggers) is in migrations.ts.
import type { Db } from './database';
import { INDEX_PENDING_SEARCH } from './migrations';

/** The searchable keys of the spec and the event type each one is read from (as Synapse does). */
export const SEARCH_KEYS = ['content.body', 'content.name', 'content.topic'] as const;
export type SearchKey = (typeof SEARCH_KEYS)[number];
const COLUMN_OF: Record<SearchKey, string> = { 'content.body': 'body', 'content.name': 'name', 'content.topic': 'topic' };

/**
 * The words of a search term as FTS5's unicode61 tokenizer splits them (letters, digits, marks; everything else
 * separates), lower-cased, at most `max` of them.
 */
export function searchWords(term: string, max = 32): string[] {
  const words = term.toLowerCase().match(/[\p{L}\p{N}\p{M}\p{Co}]+/gu) ?? [];
  return [...new Set(words)].slice(0, max);
}

/**
 * An FTS5 query that matches events containing every word (each as a prefix, so "mart" finds "martians"), in the
 * given keys only. Words are quoted, so nothing the user types is read as FTS5 syntax.
 */
export function ftsQuery(words: string[], keys: readonly SearchKey[]): string {
  const columns = [...new Set(keys.map((k) => COLUMN_OF[k]))].join(' ');
  return `{${columns}} : (${words.map((w) => `"${w.replace(/"/g, '""')}"*`).join(' ')})`;
}

export interface SearchHit {
  streamOrdering: number;
  eventId: string;
  roomId: string;
  /** Higher is closer (the negated bm25 score). */
  rank: number;
}

export type SearchOrder = 'rank' | 'recent';

/** Queued events indexed at most at once (a few milliseconds of work). */
const CATCH_UP_CHUNK = 500;

export class SearchIndex {
  private readonly s;
  private readonly indexUpTo: (upTo: number) => void;
  private timer: NodeJS.Timeout | undefined;
  constructor(db: Db) {
    const base = `SELECT e.stream_ordering AS streamOrdering, e.event_id AS eventId, e.room_id AS roomId, -bm25(event_search) AS rank
      FROM event_search JOIN events e ON e.stream_ordering = event_search.rowid
      WHERE event_search MATCH @query AND e.outlier = 0 AND e.room_id IN (SELECT value FROM json_each(@rooms))`;
    this.s = {
      byRank: db.prepare(`${base} ORDER BY rank DESC, e.stream_ordering DESC`),
      byRecent: db.prepare(`${base} ORDER BY e.stream_ordering DESC`),
      indexed: db.prepare('SELECT 1 FROM event_search WHERE rowid = ?'),
      chunkEnd: db
        .prepare('SELECT MAX(stream_ordering) FROM (SELECT stream_ordering FROM event_search_pending ORDER BY stream_ordering LIMIT ?)')
        .pluck(),
      indexPending: db.prepare(INDEX_PENDING_SEARCH),
      clearPending: db.prepare('DELETE FROM event_search_pending WHERE stream_ordering <= ?'),
    };
    this.indexUpTo = db.transaction((upTo: number) => {
      this.s.indexPending.run({ upTo });
      this.s.clearPending.run(upTo);
    });
  }

  /** Indexes every queued event. */
  catchUp(): void {
    while (this.catchUpChunk()) {}
  }

  /** Indexes the oldest queued events, at most CATCH_UP_CHUNK (one statement, one FTS5 segment); false when none were queued. */
  catchUpChunk(): boolean {
    const upTo = this.s.chunkEnd.get(CATCH_UP_CHUNK) as number | null;
    if (upTo === null) return false;
    this.indexUpTo(upTo);
    return true;
  }

  /** Indexes a chunk every `intervalMs` from now on (until stop), so searches find little left to index. */
  startCatchingUp(intervalMs = 250): void {
    this.timer ??= setInterval(() => {
      // A failed catch-up must not stop the schedule.
      try {
        this.catchUpChunk();
      } catch (error) {
        console.error('search index catch-up failed:', error);
      }
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Every hit in `roomIds`, best or newest first: the caller filters by what the reader may see. Rows are small
   * (position, room, rank) and read at once, since the connection can't run other queries while a cursor is open.
   */
  hits(words: string[], keys: readonly SearchKey[], roomIds: string[], order: SearchOrder): SearchHit[] {
    this.catchUp();
    const statement = order === 'rank' ? this.s.byRank : this.s.byRecent;
    return statement.all({ query: ftsQuery(words, keys), rooms: JSON.stringify(roomIds) }) as SearchHit[];
  }

  /** Is the event at this stream position in the index? (for tests and diagnostics) */
  isIndexed(streamOrdering: number): boolean {
    this.catchUp();
    return this.s.indexed.get(streamOrdering) !== undefined;
  }
}
