// Current state per room, parsed once and kept: every send reads its room's state twice (to build the event and
// to authorise it), and re-reading and re-parsing every state event each time was a large part of a send.
//
// SQLite tells us what to forget: temporary triggers (this connection only, never stored) call back whenever a
// room's current_state rows change, or a stored event's JSON, redaction or position changes (whoever writes it).
// A room changed inside a transaction that is still open is read from the database, not cached, until that
// transaction is over: a rollback must not leave a cache of state that was never committed.
import type { Db } from './database';
import type { StoredEvent } from './events';

type Listener = (roomId: string | null) => void;
const listeners = new WeakMap<Db, Set<Listener>>();

function watch(db: Db, listener: Listener): void {
  let set = listeners.get(db);
  if (!set) {
    const registered = new Set<Listener>();
    set = registered;
    listeners.set(db, registered);
    db.function('wayfarer_state_changed', { deterministic: false, varargs: false }, (roomId: unknown) => {
      for (const notify of registered) notify(typeof roomId === 'string' ? roomId : null);
      return null;
    });
    db.exec(`
      CREATE TEMP TRIGGER IF NOT EXISTS wayfarer_state_insert AFTER INSERT ON main.current_state BEGIN SELECT wayfarer_state_changed(NEW.room_id); END;
      CREATE TEMP TRIGGER IF NOT EXISTS wayfarer_state_update AFTER UPDATE ON main.current_state BEGIN
        SELECT wayfarer_state_changed(OLD.room_id); SELECT wayfarer_state_changed(NEW.room_id); END;
      CREATE TEMP TRIGGER IF NOT EXISTS wayfarer_state_delete AFTER DELETE ON main.current_state BEGIN SELECT wayfarer_state_changed(OLD.room_id); END;
      CREATE TEMP TRIGGER IF NOT EXISTS wayfarer_event_update AFTER UPDATE OF pdu, redacted_by, stream_ordering, outlier, event_id, room_id ON main.events BEGIN
        SELECT wayfarer_state_changed(OLD.room_id); SELECT wayfarer_state_changed(NEW.room_id); END;
      CREATE TEMP TRIGGER IF NOT EXISTS wayfarer_event_delete AFTER DELETE ON main.events BEGIN SELECT wayfarer_state_changed(OLD.room_id); END;
    `);
  }
  set.add(listener);
}

const MAX_ROOMS = 1000;

export class StateCache {
  private readonly rooms = new Map<string, Map<string, StoredEvent>>();
  /** Rooms changed by a transaction that may still be open (all rooms: `everything`). */
  private readonly changed = new Set<string>();
  private everything = false;

  constructor(private readonly db: Db) {
    watch(db, (roomId) => {
      if (roomId === null) {
        this.rooms.clear();
        this.everything = true;
      } else {
        this.rooms.delete(roomId);
        this.changed.add(roomId);
      }
    });
  }

  /** The room's cached state map itself (shared and frozen: read only), when it is cached and still valid. */
  peek(roomId: string): ReadonlyMap<string, StoredEvent> | undefined {
    if (!this.db.inTransaction) {
      this.changed.clear();
      this.everything = false;
    }
    return this.rooms.get(roomId);
  }

  /** A copy of the room's cached state map, or the result of `load` (cached when it is safe to). */
  get(roomId: string, load: () => Map<string, StoredEvent>): Map<string, StoredEvent> {
    if (!this.db.inTransaction) {
      this.changed.clear();
      this.everything = false;
    }
    const cached = this.rooms.get(roomId);
    if (cached) return new Map(cached);
    const state = load();
    if (this.everything || this.changed.has(roomId)) return state;
    // Shared between callers from now on: frozen, so that no caller can change what the next one reads.
    for (const event of state.values()) deepFreeze(event);
    // The map object itself is marked too (Map contents stay settable, but nobody may set them): what is derived from
    // a frozen map may be kept per map object (its identity changes whenever the state does).
    Object.freeze(state);
    if (this.rooms.size >= MAX_ROOMS) this.rooms.delete(this.rooms.keys().next().value as string);
    this.rooms.set(roomId, state);
    return new Map(state);
  }
}

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const child of Object.values(value)) deepFreeze(child);
}
