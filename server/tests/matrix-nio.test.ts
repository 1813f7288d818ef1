// matrix-nio, a client written by others (Debian's python3-matrix-nio, run with Debian's /usr/bin/python3):
// register, log in, create a room, invite, join, send, sync and paginate against a spawned homeserver.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startHomeserver, type RunningHomeserver } from '../testing/spawn';

// Real server processes and real clients: under `npm test` every file runs at once on two cores, so allow time.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'nio_client.py');
let server: RunningHomeserver;

beforeAll(async () => {
  server = await startHomeserver({ serverName: 'alpha.localhost:18504' });
});
afterAll(() => server?.dispose());

async function runNio(roomVersion: string) {
  const { stdout } = await promisify(execFile)('/usr/bin/python3', [script, server.baseUrl, roomVersion], { timeout: 60_000 }).catch(
    (error: { stdout?: string; stderr?: string }) => {
      throw new Error(`nio_client.py failed:\n${error.stdout ?? ''}\n${error.stderr ?? ''}`);
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

describe('matrix-nio', () => {
  for (const version of ['11', 'org.matrix.12.4430']) {
    it(`registers, logs in, creates a room, sends and syncs (room version ${version})`, async () => {
      const result = await runNio(version);
      expect(result.alice_user_id).toMatch(/^@nio_alice_[0-9a-f]+:alpha\.localhost:18504$/);
      expect(result.login_device_id).toBeTruthy();
      expect(result.bob_invited).toBe(true);
      expect(result.event_id).toMatch(/^\$/);
      expect(result.bob_saw).toEqual(['hello from nio']);
      expect(result.bob_saw_senders).toEqual([result.alice_user_id]);
      expect(result.history_types[0]).toBe('RoomMessageText');
      expect(result.history_types).toContain('RoomMemberEvent');
    }, 90_000);
  }
});
