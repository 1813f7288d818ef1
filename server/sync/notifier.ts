// Wakes long-polling /sync requests when something they might report changes. A long-poll waits as one user and
// is woken only by changes that user can see: anything in a room where the user has a membership (joined, invited,
// left or banned: the row is written before the wake-up, so an invite to a new room wakes the invitee), anything
// about the user alone (account data, push rules), or a broadcast (`notify()`, for callers that cannot say whom a
// change concerns: sessions ended, federation invites and receipts). With 200 pollers each in their own rooms, a
// message then wakes its room's members instead of everyone. Wake-ups are gathered and sent once per turn of the
// event loop, so a batch of writes costs the woken long-polls one rebuild, not one each.
import type { Db } from '../storage/database';

/** A waiting long-poll: `seq` orders it against notifications (one registered after a change never needs it). */
interface Waiter {
  wake: () => void;
  seq: number;
}

/** Local users with any membership in a room (they may see a change there). */
export type UsersOfRoom = (roomId: string) => Iterable<string>;

export function usersOfRoomFrom(db: Db): UsersOfRoom {
  const statement = db.prepare('SELECT user_id FROM local_memberships WHERE room_id = ?').pluck();
  return (roomId) => statement.all(roomId) as string[];
}

export class Notifier {
  /** Waiters that did not say who they are: woken by every change. */
  private readonly anyone = new Set<Waiter>();
  private readonly byUser = new Map<string, Set<Waiter>>();
  /** Per user, how many of their long-polls were woken (dev admin `sync_waiters`, for tests). */
  private readonly wakeCounts = new Map<string, number>();
  private closed = false;
  private seq = 0;
  // Changes since the last wake-up round: woken together once per turn of the event loop.
  private pendingAll = false;
  private pendingRooms = new Set<string>();
  private pendingUsers = new Set<string>();
  private pendingUpTo = 0;
  private scheduled = false;

  constructor(private readonly usersOfRoom: UsersOfRoom = () => []) {}

  /** True once the server is shutting down: long-polls answer at once instead of waiting. */
  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Resolves on the next change `userId` may see (any change when `userId` is omitted), on timeout, or when the
   * signal aborts.
   */
  wait(timeoutMs: number, signal: AbortSignal, userId?: string): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      let set: Set<Waiter>;
      if (userId === undefined) set = this.anyone;
      else {
        set = this.byUser.get(userId) ?? new Set();
        this.byUser.set(userId, set);
      }
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        set.delete(waiter);
        if (userId !== undefined && set.size === 0 && this.byUser.get(userId) === set) this.byUser.delete(userId);
        resolve();
      };
      const waiter: Waiter = { wake: done, seq: ++this.seq };
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener('abort', done);
      set.add(waiter);
    });
  }

  /** Something changed that may concern anyone: wakes every waiter. */
  notify(): void {
    this.pendingAll = true;
    this.schedule();
  }

  /** Something changed in a room (an event, a receipt, typing): wakes its local members, past and invited too. */
  notifyRoom(roomId: string): void {
    this.pendingRooms.add(roomId);
    this.schedule();
  }

  /** Something changed for these users only (account data, push rules). */
  notifyUsers(userIds: Iterable<string>): void {
    for (const userId of userIds) this.pendingUsers.add(userId);
    this.schedule();
  }

  /** The user's long-polls waiting now, and how many of theirs were woken so far. */
  stats(userId: string): { waiting: number; woken: number } {
    return { waiting: this.byUser.get(userId)?.size ?? 0, woken: this.wakeCounts.get(userId) ?? 0 };
  }

  /** Releases every waiter and stops waiting from now on (shutdown). */
  close(): void {
    this.closed = true;
    this.pendingAll = true;
    this.pendingUpTo = this.seq;
    this.flush();
  }

  /**
   * Wakes the waiters of every change notified this turn at once, after the turn: the writes that arrived together
   * (a batch of sends) cost one round of rebuilt responses, not one round each. Only waiters that were already
   * waiting at the latest change are woken: one that started later saw that change when it built its answer.
   */
  private schedule(): void {
    this.pendingUpTo = this.seq;
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    const upTo = this.pendingUpTo;
    // After close() nobody waits any more (and the database may be gone): nothing to look up.
    const all = this.pendingAll || this.closed;
    const rooms = this.pendingRooms;
    const users = this.pendingUsers;
    this.pendingAll = false;
    this.pendingRooms = new Set();
    this.pendingUsers = new Set();
    const waiters: Waiter[] = [];
    for (const waiter of this.anyone) if (waiter.seq <= upTo) waiters.push(waiter);
    if (!all && this.byUser.size > 0) for (const roomId of rooms) for (const userId of this.usersOfRoom(roomId)) users.add(userId);
    for (const userId of all ? [...this.byUser.keys()] : users) {
      const set = this.byUser.get(userId);
      if (!set) continue;
      let woken = 0;
      for (const waiter of set) {
        if (waiter.seq > upTo) continue;
        waiters.push(waiter);
        woken++;
      }
      if (woken > 0) this.wakeCounts.set(userId, (this.wakeCounts.get(userId) ?? 0) + woken);
    }
    for (const waiter of waiters) waiter.wake();
  }
}
