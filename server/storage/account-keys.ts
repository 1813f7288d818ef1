// Account keys (PROTOCOL.md §2): the public half of each portable account's key, one account per key per server.
import type { Db } from './database';

export interface AccountKeyRow {
  account_key: string;
  user_id: string;
  created_ts: number;
  moved_to: string | null;
}

const MAX_CACHED = 50_000;

/** Reads by user (every authenticated request asks whether the account moved) are kept once made outside a transaction; writes through this store drop them. */
export class AccountKeyStore {
  private readonly s;
  private readonly byUser = new Map<string, AccountKeyRow | null>();

  constructor(private readonly db: Db) {
    this.s = {
      byKey: db.prepare('SELECT account_key, user_id, created_ts, moved_to FROM account_keys WHERE account_key = ?'),
      byUser: db.prepare('SELECT account_key, user_id, created_ts, moved_to FROM account_keys WHERE user_id = ?'),
      insert: db.prepare('INSERT INTO account_keys (account_key, user_id, created_ts) VALUES (?, ?, ?)'),
      setMovedTo: db.prepare('UPDATE account_keys SET moved_to = ? WHERE user_id = ?'),
    };
  }

  /** `accountKey` in its canonical form: unpadded URL-safe base64 of the 32 bytes. */
  forKey(accountKey: string): AccountKeyRow | undefined {
    return this.s.byKey.get(accountKey) as AccountKeyRow | undefined;
  }

  forUser(userId: string): AccountKeyRow | undefined {
    const hit = this.byUser.get(userId);
    if (hit !== undefined) return hit ?? undefined;
    const row = this.s.byUser.get(userId) as AccountKeyRow | undefined;
    if (!this.db.inTransaction) {
      if (this.byUser.size >= MAX_CACHED) this.byUser.clear();
      this.byUser.set(userId, row ? Object.freeze(row) : null);
    }
    return row;
  }

  bind(accountKey: string, userId: string): void {
    this.byUser.clear();
    this.s.insert.run(accountKey, userId, Date.now());
  }

  /** The account moved away (PROTOCOL.md §7): where to. */
  setMovedTo(userId: string, movedTo: string): void {
    this.byUser.clear();
    this.s.setMovedTo.run(movedTo, userId);
  }
}
