// Group commit: one transaction per batch, one savepoint per write.
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { WriteBatcher } from './write-batcher';

function table() {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (x INTEGER)');
  return { db, insert: db.prepare('INSERT INTO t (x) VALUES (?)'), count: () => (db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n };
}

describe('WriteBatcher', () => {
  it('commits writes queued together in one batch and resolves each with its own result', async () => {
    const { db, insert, count } = table();
    const batcher = new WriteBatcher(db);
    const results = await Promise.all([1, 2, 3].map((x) => batcher.run(() => insert.run(x).changes * x)));
    expect(results).toEqual([1, 2, 3]);
    expect(count()).toBe(3);
    expect(batcher.largestBatch).toBe(3);
  });

  it('rolls back only the write that failed', async () => {
    const { db, insert, count } = table();
    const batcher = new WriteBatcher(db);
    const outcomes = await Promise.allSettled([
      batcher.run(() => insert.run(1)),
      batcher.run(() => {
        insert.run(2);
        throw new Error('refused');
      }),
      batcher.run(() => insert.run(3)),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((db.prepare('SELECT x FROM t ORDER BY x').all() as { x: number }[]).map((r) => r.x)).toEqual([1, 3]);
    expect(count()).toBe(2);
  });

  it('a later write in the same batch sees the earlier ones', async () => {
    const { db, insert, count } = table();
    const batcher = new WriteBatcher(db);
    const [, seen] = await Promise.all([batcher.run(() => insert.run(1)), batcher.run(() => count())]);
    expect(seen).toBe(1);
  });
});
