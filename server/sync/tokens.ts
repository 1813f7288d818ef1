// Stream tokens. Sync: `s<position>_<typing serial>`; pagination: `t<position>`, a point between two events
// (position p = after the event with stream ordering p; backfilled history sits below zero, so p may be negative).
// Both parse to a position; bad tokens are M_INVALID_PARAM.
import { invalidParam } from '../http/errors';

export interface SyncToken {
  position: number;
  typing: number;
}

export const formatSyncToken = (token: SyncToken) => `s${token.position}_${token.typing}`;
/** Below every stream position (history visibility hides nothing). */
export const NO_HISTORY_FLOOR = -1e14;

export const formatPaginationToken = (position: number) => `t${Math.max(NO_HISTORY_FLOOR, position)}`;

export function parseSyncToken(text: string): SyncToken {
  const match = /^s(\d{1,15})_(\d{1,15})$/.exec(text);
  if (!match) throw invalidParam(`Invalid sync token ${JSON.stringify(text.slice(0, 40))}`);
  return { position: Number(match[1]), typing: Number(match[2]) };
}

/** Accepts pagination tokens and sync tokens (the spec lets `/messages` start from a sync's next_batch). */
export function parsePosition(text: string): number {
  const pagination = /^t(-?\d{1,15})$/.exec(text);
  if (pagination) return Number(pagination[1]);
  return parseSyncToken(text).position;
}
