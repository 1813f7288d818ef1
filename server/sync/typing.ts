// Typing notifications live in memory only (as in Synapse): each change bumps a serial that sync tokens carry.
export class TypingTracker {
  private readonly rooms = new Map<string, Map<string, NodeJS.Timeout>>();
  private readonly roomSerial = new Map<string, number>();
  private serial = 0;

  constructor(private readonly onChange: (roomId: string) => void) {}

  current(): number {
    return this.serial;
  }

  set(roomId: string, userId: string, typing: boolean, timeoutMs: number): void {
    const users = this.rooms.get(roomId) ?? new Map<string, NodeJS.Timeout>();
    this.rooms.set(roomId, users);
    const existing = users.get(userId);
    if (existing) clearTimeout(existing);
    if (typing) {
      const timer = setTimeout(() => this.set(roomId, userId, false, 0), Math.min(Math.max(timeoutMs, 0), 120_000));
      timer.unref();
      users.set(userId, timer);
    } else if (!existing) {
      return;
    } else {
      users.delete(userId);
    }
    this.roomSerial.set(roomId, ++this.serial);
    this.onChange(roomId);
  }

  /** Typing users in the room if they changed after `since`, else undefined. */
  changedSince(roomId: string, since: number): string[] | undefined {
    const changed = this.roomSerial.get(roomId) ?? 0;
    // A serial ahead of ours comes from before a restart: report the (empty) current set once.
    if (changed <= since && since <= this.serial) return undefined;
    return [...(this.rooms.get(roomId)?.keys() ?? [])];
  }

  close(): void {
    for (const users of this.rooms.values()) for (const timer of users.values()) clearTimeout(timer);
    this.rooms.clear();
  }
}
