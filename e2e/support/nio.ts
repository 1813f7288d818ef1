// matrix-nio + libolm users for a test (e2e/support/nio_peer.py): one Python process holding any number of them,
// driven one JSON command at a time. They are the other people in the room, on a client no one here wrote.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'nio_peer.py');

export type NioAnswer = Record<string, any>;

export class NioPeers {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting = new Map<number, { resolve: (a: NioAnswer) => void; reject: (e: Error) => void }>();
  private next = 1;
  private stderr = '';

  constructor() {
    this.child = spawn('/usr/bin/python3', [script], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      let answer: NioAnswer;
      try {
        answer = JSON.parse(line);
      } catch {
        return; // a library's own print
      }
      const waiter = this.waiting.get(answer.id);
      if (!waiter) return;
      this.waiting.delete(answer.id);
      if (answer.ok) waiter.resolve(answer);
      else waiter.reject(new Error(`nio: ${answer.error}`));
    });
    this.child.on('exit', (code) => {
      for (const waiter of this.waiting.values()) waiter.reject(new Error(`nio_peer.py exited (${code}):\n${this.stderr}`));
      this.waiting.clear();
    });
  }

  /** One command (see nio_peer.py); rejects with nio's own error text. */
  run(name: string, cmd: string, args: Record<string, unknown> = {}): Promise<NioAnswer> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.stdin.write(`${JSON.stringify({ id, name, cmd, ...args })}\n`);
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    await Promise.race([this.run('', 'quit').catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
    if (this.child.exitCode === null) this.child.kill();
    await exited;
  }
}

/**
 * The to-device messages a server holds for one device and the device has not taken yet (read from the server's own
 * database), oldest first: what reached a device that can no longer sync, e.g. one of an account that moved away.
 * Compare stream IDs, not counts: a device that still syncs for a moment takes (deletes) what it was sent before.
 */
export function toDeviceInbox(server: { dataDir: string }, userId: string, deviceId: string): { streamId: number; type: string }[] {
  const db = new Database(path.join(server.dataDir, 'homeserver.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare('SELECT stream_id, message_json FROM to_device_inbox WHERE user_id = ? AND device_id = ? ORDER BY stream_id')
      .all(userId, deviceId) as { stream_id: number; message_json: string }[];
    return rows.map((row) => ({ streamId: row.stream_id, type: String(JSON.parse(row.message_json).type) }));
  } finally {
    db.close();
  }
}

/** The newest stream ID a server has handed out for to-device messages (anyone's): a mark to compare later ones with. */
export function lastToDeviceStream(server: { dataDir: string }): number {
  const db = new Database(path.join(server.dataDir, 'homeserver.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT COALESCE(MAX(stream_id), 0) AS n FROM to_device_inbox').get() as { n: number }).n;
  } finally {
    db.close();
  }
}
