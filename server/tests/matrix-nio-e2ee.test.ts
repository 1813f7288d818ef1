// End-to-end encryption with a client no one here wrote: matrix-nio + libolm (Debian's python3-matrix-nio and
// python3-olm, run with Debian's /usr/bin/python3), alice on one server and bob on another, in a classic room and
// in a member-key room: encrypted messages both ways, a new device of bob's receiving keys, and key backup restored
// on a third device (nio_e2ee.py says what each step does).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startServers } from '../testing/federation-harness';
import type { RunningHomeserver } from '../testing/spawn';

vi.setConfig({ testTimeout: 180_000, hookTimeout: 60_000 });

const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'nio_e2ee.py');
let alpha: RunningHomeserver;
let beta: RunningHomeserver;

beforeAll(async () => {
  [alpha, beta] = await startServers(['alpha.localhost:23601', 'beta.localhost:23602'] as const);
});
afterAll(async () => {
  await Promise.all([alpha?.dispose(), beta?.dispose()]);
});

async function runNio(roomVersion: string) {
  const { stdout } = await promisify(execFile)('/usr/bin/python3', [script, alpha.baseUrl, beta.baseUrl, roomVersion], {
    timeout: 170_000,
  }).catch((error: { stdout?: string; stderr?: string }) => {
    throw new Error(`nio_e2ee.py failed:\n${error.stdout ?? ''}\n${(error.stderr ?? '').slice(-4000)}`);
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

describe('matrix-nio with libolm across two servers', () => {
  for (const version of ['11', 'org.matrix.12.4430']) {
    it(`exchanges encrypted messages, keys a new device, and restores a key backup (room version ${version})`, async () => {
      const result = await runNio(version);
      expect(result.alice_room_encrypted).toBe(true);
      expect(result.stored_encrypted).toBeGreaterThanOrEqual(2);
      expect(result.bob_saw).toContain('secret one');
      expect(result.bob_saw).not.toContain('<undecryptable>');
      expect(result.alice_saw).toContain('secret reply');
      expect(result.alice_knows_bob_devices).toHaveLength(2);
      expect(result.bob2_saw).toContain('secret two');
      expect(result.backup_count).toBeGreaterThanOrEqual(2);
      expect(result.restored).toBe(result.backup_count);
      expect(result.bob3_history).toEqual(['secret one', 'secret reply', 'secret two']);
    });
  }
});
