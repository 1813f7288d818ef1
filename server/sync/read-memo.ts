// Reads of the events tables shared by the long-polls that a change wakes together: 200 members of a room woken by
// one message all ask for the same timeline slice, the same members' events and the same history settings at the
// same stream position. Each answer is kept until the next write of events or current state (EventStore's
// writeVersion), so what one poller read is exactly what the next would read. Never filled inside a transaction
// (a rolled-back write must not leave its reads behind); bounded, and emptied on every write.
import type { Homeserver } from '../homeserver';

/** What the memos read from: the event store (its write and state versions) and the database (in a transaction?). */
export type MemoSource = Pick<Homeserver, 'db' | 'events'>;

const MAX_ENTRIES = 5_000;
const MAX_ENTRIES_PER_ROOM = 2_000;

interface Memo {
  version: number;
  entries: Map<string, unknown>;
}

// Keyed by the event store: one per homeserver, whichever narrowed view of it a caller holds.
const memos = new WeakMap<MemoSource['events'], Memo>();
const stateMemos = new WeakMap<MemoSource['events'], Map<string, { version: string; entries: Map<string, unknown> }>>();

/** `read()`, or what it returned for the same key since the last write. The result is shared: never mutate it. */
export function memoRead<T>(hs: MemoSource, key: string, read: () => T): T {
  const version = hs.events.writeVersion();
  let memo = memos.get(hs.events);
  if (!memo || memo.version !== version) {
    memo = { version, entries: new Map() };
    memos.set(hs.events, memo);
  }
  if (memo.entries.has(key)) return memo.entries.get(key) as T;
  const value = read();
  if (hs.db.inTransaction) return value;
  if (memo.entries.size >= MAX_ENTRIES) memo.entries.clear();
  memo.entries.set(key, value);
  return value;
}

/**
 * Like memoRead, for what depends only on the room's state events (their history included), so it lasts across
 * messages: kept until EventStore.stateVersion(roomId) moves.
 */
export function memoByRoomState<T>(hs: MemoSource, roomId: string, key: string, read: () => T): T {
  const version = hs.events.stateVersion(roomId);
  let byRoom = stateMemos.get(hs.events);
  if (!byRoom) stateMemos.set(hs.events, (byRoom = new Map()));
  let memo = byRoom.get(roomId);
  if (!memo || memo.version !== version) {
    memo = { version, entries: new Map() };
    byRoom.set(roomId, memo);
  }
  if (memo.entries.has(key)) return memo.entries.get(key) as T;
  const value = read();
  if (hs.db.inTransaction) return value;
  if (memo.entries.size >= MAX_ENTRIES_PER_ROOM) memo.entries.clear();
  memo.entries.set(key, value);
  return value;
}
