// Starting test servers: a slow start is given time (DEFAULT_START_TIMEOUT_MS), and a start that does fail
// says so with the server's output and leaves no process holding the port.
import { describe, expect, it } from 'vitest';
import { DEFAULT_START_TIMEOUT_MS, startHomeserver } from './spawn';

describe('startHomeserver', () => {
  it('waits up to two minutes by default: a start slowed by a loaded machine is not a failure', () => {
    expect(DEFAULT_START_TIMEOUT_MS).toBeGreaterThanOrEqual(120_000);
  });

  it('a start that is not ready in time is reported and killed, so the port is free for the next start', async () => {
    const serverName = 'alpha.localhost:19206';
    await expect(startHomeserver({ serverName, startTimeoutMs: 1 })).rejects.toThrow(/did not start in 0.001 s/);
    const server = await startHomeserver({ serverName });
    try {
      expect((await fetch(`${server.baseUrl}/_matrix/client/versions`)).status).toBe(200);
    } finally {
      await server.dispose();
    }
  });
});
