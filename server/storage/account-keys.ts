// Account keys (PROTOCOL.md §2): the public half of each portable account's key, one account per key per server.
import type { Db } from './database';

export interface AccountKeyRow {
  account_key: string;
  user_id: string;
  created_ts: number;
  moved_to: string | null;
}

export class AccountKeyStore {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      byKey: db.prepare('SELECT account_key, user_id, created_ts, moved_to FROM account_keys WHERE account_key = ?'),
      byUser: db.prepare('SELECT account_key, user_id, created_ts, moved_to FROM account_keys WHERE user_id = ?'),
      insert: db.prepare('INSERT INTO account_keys (account_key, user_id, created_ts) VALUES (?, ?, ?)'),
    };
  }

  /** `accountKey` in its canonical form: unpadded URL-safe base64 of the 32 bytes. */
  forKey(accountKey: string): AccountKeyRow | undefined {
    return this.s.byKey.get(accountKey) as AccountKeyRow | undefined;
  }

  forUser(userId: string): AccountKeyRow | undefined {
    return this.s.byUser.get(userId) as AccountKeyRow | undefined;
  }

  bind(accountKey: string, userId: string): void {
    this.s.insert.run(accountKey, userId, Date.now());
  }
}
