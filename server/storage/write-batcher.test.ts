// Group commit: one transaction per batch, one savepoint per write.
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { WriteBatcher } from './write-batcher';

function table() {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (x INTEGER)');
  return {
    db,
    insert: db.prepare('INSERT INTO t (x) VALUES (?)'),
    count: () => (db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n,
  };
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

  it('waits a few turns of the event loop while writes keep arriving, and commits them as one batch', async () => {
    const { db, insert, count } = table();
    const batcher = new WriteBatcher(db);
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    const writes = [batcher.run(() => insert.run(1))];
    await turn();
    writes.push(batcher.run(() => insert.run(2)));
    await turn();
    writes.push(batcher.run(() => insert.run(3)));
    expect(count()).toBe(0);
    await Promise.all(writes);
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

describe('WriteBatcher durability', () => {
  /** A sync the test releases by hand, recording the synchronous setting seen while each batch committed. */
  function manualSync() {
    const pending: Array<() => void> = [];
    let calls = 0;
    return {
      sync: () =>
        new Promise<void>((resolve) => {
          calls++;
          pending.push(resolve);
        }),
      release: () => pending.shift()!(),
      calls: () => calls,
    };
  }
  // Enough turns of the event loop for a batch to settle (it waits a few turns for more writes) and commit.
  const tick = async () => {
    for (let i = 0; i < 6; i++) await new Promise((resolve) => setImmediate(resolve));
  };

  it('acknowledges a write only after the sync that follows its commit', async () => {
    const { db, insert, count } = table();
    const manual = manualSync();
    const batcher = new WriteBatcher(db, { sync: manual.sync });
    let acknowledged = false;
    const write = batcher.run(() => insert.run(1)).then(() => (acknowledged = true));
    await tick();
    await tick();
    expect(count()).toBe(1); // committed
    expect(manual.calls()).toBe(1);
    expect(acknowledged).toBe(false); // but not acknowledged before the sync
    manual.release();
    await write;
    expect(acknowledged).toBe(true);
  });

  it('commits without an fsync on the main thread, and puts synchronous = FULL back for every other writer', async () => {
    const { db, insert } = table();
    const seen: unknown[] = [];
    const batcher = new WriteBatcher(db, { sync: async () => {} });
    await batcher.run(() => {
      seen.push(db.pragma('synchronous', { simple: true }));
      return insert.run(1);
    });
    expect(seen).toEqual([1]); // NORMAL while the batch commits
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL afterwards
  });

  it('writes that arrive while an fsync runs wait for it, then commit in one batch and share the next fsync', async () => {
    const { db, insert, count } = table();
    const manual = manualSync();
    const batcher = new WriteBatcher(db, { sync: manual.sync });
    const first = batcher.run(() => insert.run(1));
    await tick();
    expect(manual.calls()).toBe(1);
    const later = [batcher.run(() => insert.run(2))];
    await tick();
    later.push(batcher.run(() => insert.run(3)));
    await tick();
    expect(manual.calls()).toBe(1); // still the first fsync
    expect(count()).toBe(1); // the later writes wait: they could not be acknowledged before the next fsync anyway
    manual.release();
    await first;
    await tick();
    expect(count()).toBe(3);
    expect(batcher.largestBatch).toBe(2); // one transaction for both
    expect(manual.calls()).toBe(2); // one more fsync for both
    let acknowledged = false;
    const acks = Promise.all(later).then(() => (acknowledged = true));
    await tick();
    expect(acknowledged).toBe(false); // committed, but not acknowledged before their fsync
    manual.release();
    await acks;
  });

  it('a failed sync refuses the writes it was to make durable', async () => {
    const { db, insert } = table();
    const batcher = new WriteBatcher(db, { sync: () => Promise.reject(new Error('EIO')) });
    await expect(batcher.run(() => insert.run(1))).rejects.toThrow('EIO');
  });

  it('on a database file, fsyncs its WAL and the writes are there when it is opened again', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'batcher-'));
    try {
      const file = path.join(dir, 'db.sqlite');
      const db = new Database(file);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.exec('CREATE TABLE t (x INTEGER)');
      const insert = db.prepare('INSERT INTO t (x) VALUES (?)');
      const batcher = new WriteBatcher(db);
      await Promise.all([1, 2, 3].map((x) => batcher.run(() => insert.run(x))));
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
      db.close();
      const reopened = new Database(file);
      expect((reopened.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n).toBe(3);
      reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
