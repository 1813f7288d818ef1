// Global and per-room account data, and sync filters.
import type { Db, StreamCounter } from './database';
import { jsonDepthExceeds, MAX_FEDERATION_JSON_DEPTH, parseStoredJson } from '../http/json';

export interface AccountDataRow {
  room_id: string;
  type: string;
  content: string;
  stream_id: number;
}

export class AccountDataStore {
  private readonly statements;
  constructor(
    db: Db,
    private readonly stream: StreamCounter,
  ) {
    this.statements = {
      put: db.prepare(
        'INSERT INTO account_data (user_id, room_id, type, content, stream_id) VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, room_id, type) DO UPDATE SET content = excluded.content, stream_id = excluded.stream_id',
      ),
      get: db.prepare('SELECT content FROM account_data WHERE user_id = ? AND room_id = ? AND type = ?'),
      since: db.prepare(
        'SELECT room_id, type, content, stream_id FROM account_data WHERE user_id = ? AND stream_id > ? ORDER BY stream_id',
      ),
      maxFilter: db.prepare('SELECT MAX(filter_id) AS m FROM filters WHERE user_id = ?'),
      putFilter: db.prepare('INSERT INTO filters (user_id, filter_id, filter_json) VALUES (?, ?, ?)'),
      getFilter: db.prepare('SELECT filter_json FROM filters WHERE user_id = ? AND filter_id = ?'),
      deleteAll: db.prepare('DELETE FROM account_data WHERE user_id = ?'),
      deleteFilters: db.prepare('DELETE FROM filters WHERE user_id = ?'),
    };
  }

  /** An erased account's account data and filters (the spec's "non-event data associated with the user"). */
  eraseUser(userId: string): void {
    this.statements.deleteAll.run(userId);
    this.statements.deleteFilters.run(userId);
  }

  /** `roomId` '' is global account data. */
  put(userId: string, roomId: string, type: string, content: unknown): number {
    const streamId = this.stream.next();
    this.statements.put.run(userId, roomId, type, JSON.stringify(content), streamId);
    return streamId;
  }

  get(userId: string, roomId: string, type: string): Record<string, unknown> | undefined {
    const row = this.statements.get.get(userId, roomId, type) as { content: string } | undefined;
    return row ? parseStoredJson(row.content) : undefined;
  }

  /**
   * Rows changed since `since`. A row too deep to serve (stored before request bodies had a depth limit) is left
   * out: it must not fail the user's whole /sync. Setting it again replaces it.
   */
  changedSince(userId: string, since: number): AccountDataRow[] {
    return (this.statements.since.all(userId, since) as AccountDataRow[]).filter(
      (row) => !jsonDepthExceeds(row.content, MAX_FEDERATION_JSON_DEPTH),
    );
  }

  putFilter(userId: string, filter: unknown): string {
    const row = this.statements.maxFilter.get(userId) as { m: number | null };
    const id = (row.m ?? -1) + 1;
    this.statements.putFilter.run(userId, id, JSON.stringify(filter));
    return String(id);
  }

  getFilter(userId: string, filterId: string): Record<string, unknown> | undefined {
    if (!/^\d+$/.test(filterId)) return undefined;
    const row = this.statements.getFilter.get(userId, Number(filterId)) as { filter_json: string } | undefined;
    return row ? parseStoredJson(row.filter_json) : undefined;
  }
}
