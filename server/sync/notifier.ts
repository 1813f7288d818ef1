// Wakes long-polling /sync requests when something they might report changes. A long-poll waits as one user and
// is woken only by changes that user can see: anything in a room where the user has a membership (joined, invited,
// left or banned: the row is written before the wake-up, so an invite to a new room wakes the invitee), anything
// about the user alone (account data, push rules), or a broadcast (`notify()`, for callers that cannot say whom a
// change concerns: sessions ended, link re-checks, federation). With 200 pollers each in their own rooms, a message
// then wakes its room's members instead of everyone.
import type { Db } from '../storage/database';

type Waiter = () => void;

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
        set.delete(done);
        if (userId !== undefined && set.size === 0 && this.byUser.get(userId) === set) this.byUser.delete(userId);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener('abort', done);
      set.add(done);
    });
  }

  /** Something changed that may concern anyone: wakes every waiter. */
  notify(): void {
    this.notifyUsers([...this.byUser.keys()]);
  }

  /** Something changed in a room (an event, a receipt, typing): wakes its local members, past and invited too. */
  notifyRoom(roomId: string): void {
    this.notifyUsers(this.byUser.size > 0 ? this.usersOfRoom(roomId) : []);
  }

  /** Something changed for these users only (account data, push rules). */
  notifyUsers(userIds: Iterable<string>): void {
    const waiters = [...this.anyone];
    for (const userId of userIds) {
      const set = this.byUser.get(userId);
      if (!set) continue;
      waiters.push(...set);
      this.wakeCounts.set(userId, (this.wakeCounts.get(userId) ?? 0) + set.size);
    }
    for (const wake of waiters) wake();
  }

  /** The user's long-polls waiting now, and how many of theirs were woken so far. */
  stats(userId: string): { waiting: number; woken: number } {
    return { waiting: this.byUser.get(userId)?.size ?? 0, woken: this.wakeCounts.get(userId) ?? 0 };
  }

  /** Releases every waiter and stops waiting from now on (shutdown). */
  close(): void {
    this.closed = true;
    this.notify();
  }
}
