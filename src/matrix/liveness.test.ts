import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectionLostError, DEFAULT_LIVENESS, budgetOf, createLiveness, livenessSettings, type LivenessSettings } from './liveness';

const base = 'http://alpha.localhost:8481';
const settings: LivenessSettings = {
  ...DEFAULT_LIVENESS,
  pollTimeoutMs: 2000,
  graceMs: 1000,
  requestBudgetMs: 5000,
  probeTimeoutMs: 500,
  probeIntervalMs: 1000,
};

/** A server that can hang: while hung, requests never answer (until aborted), like a SIGSTOPped process. */
function server() {
  let hung = false;
  const seen: string[] = [];
  const fetchFn = ((input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    seen.push(url);
    return new Promise<Response>((resolve, reject) => {
      const signal = init?.signal;
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      if (hung) return;
      // A long-poll sync waits for its timeout; anything else answers at once.
      const timeout = url.includes('/sync') ? Number(new URL(url).searchParams.get('timeout') ?? 0) : 0;
      setTimeout(() => resolve(new Response('{}', { status: 200 })), timeout);
    });
  }) as typeof fetch;
  return {
    fetchFn,
    seen,
    hang: () => void (hung = true),
    resume: () => void (hung = false),
  };
}

describe('liveness watchdog', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('a hung long-poll plus an unanswered probe is a lost connection; what hangs is cut off as a network failure', async () => {
    const hs = server();
    const liveness = createLiveness({ inner: hs.fetchFn, baseUrl: base, settings });
    const changes: boolean[] = [];
    liveness.subscribe((lost) => changes.push(lost));
    hs.hang();
    const sync = liveness.fetch(`${base}/_matrix/client/v3/sync?timeout=2000&since=s1`);
    const send = liveness.fetch(`${base}/_matrix/client/v3/rooms/!r/send/m.room.message/t1`, { method: 'PUT' });
    const outcomes = [sync, send].map((p) =>
      p.then(
        () => 'answered',
        (error: unknown) => error,
      ),
    );
    // Within the poll timeout plus grace nothing is wrong yet.
    await vi.advanceTimersByTimeAsync(2900);
    expect(liveness.lost()).toBe(false);
    expect(hs.seen.filter((u) => u.endsWith('/versions'))).toHaveLength(0);
    // Past it: one probe, which gets no answer within its timeout either.
    await vi.advanceTimersByTimeAsync(1200);
    expect(hs.seen.filter((u) => u.endsWith('/_matrix/client/versions'))).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(600);
    expect(liveness.lost()).toBe(true);
    expect(changes).toEqual([true]);
    for (const outcome of await Promise.all(outcomes)) expect(outcome).toBeInstanceOf(ConnectionLostError);
    // New requests fail at once instead of queueing on a dead connection.
    await expect(liveness.fetch(`${base}/_matrix/client/v3/rooms/!r/send/m.room.message/t2`)).rejects.toBeInstanceOf(TypeError);
    // The SDK's own keep-alive (or "Retry now") gets through, with the probe's timeout: still nothing.
    const keepAlive = liveness.fetch(`${base}/_matrix/client/versions`).then(
      () => 'answered',
      (error: unknown) => error,
    );
    await vi.advanceTimersByTimeAsync(600);
    expect(await keepAlive).toBeInstanceOf(ConnectionLostError);
    expect(liveness.lost()).toBe(true);
    // The server comes back: the next probe finds it.
    hs.resume();
    await vi.advanceTimersByTimeAsync(2000);
    expect(liveness.lost()).toBe(false);
    expect(changes).toEqual([true, false]);
    const again = liveness.fetch(`${base}/_matrix/client/v3/rooms/!r/send/m.room.message/t2`);
    await vi.advanceTimersByTimeAsync(10);
    await expect(again).resolves.toBeInstanceOf(Response);
    liveness.stop();
  });

  it('a slow answer from a server that answers the probe is not an outage', async () => {
    let syncAnswers = false;
    const fetchFn = ((input: RequestInfo | URL, init?: RequestInit) =>
      String(input).endsWith('/versions')
        ? Promise.resolve(new Response('{}'))
        : new Promise<Response>((resolve, reject) => {
            init?.signal?.addEventListener('abort', () => reject(init.signal!.reason));
            setTimeout(() => {
              syncAnswers = true;
              resolve(new Response('{}'));
            }, 10_000);
          })) as typeof fetch;
    const liveness = createLiveness({ inner: fetchFn, baseUrl: base, settings });
    const sync = liveness.fetch(`${base}/_matrix/client/v3/sync?timeout=0`);
    await vi.advanceTimersByTimeAsync(10_500);
    await expect(sync).resolves.toBeInstanceOf(Response);
    expect(syncAnswers).toBe(true);
    expect(liveness.lost()).toBe(false);
    liveness.stop();
  });

  it('leaves requests to other origins alone', async () => {
    const hs = server();
    hs.hang();
    const liveness = createLiveness({ inner: hs.fetchFn, baseUrl: base, settings });
    void liveness.fetch('http://beta.localhost:8482/_matrix/key/v2/server').catch(() => undefined);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(hs.seen.filter((u) => u.endsWith('/versions'))).toHaveLength(0);
    expect(liveness.lost()).toBe(false);
    liveness.stop();
  });

  it('passes the caller’s own abort through as it was', async () => {
    const hs = server();
    hs.hang();
    const liveness = createLiveness({ inner: hs.fetchFn, baseUrl: base, settings });
    const controller = new AbortController();
    const request = liveness.fetch(`${base}/_matrix/client/v3/sync?timeout=2000`, { signal: controller.signal });
    const reason = new DOMException('stopped', 'AbortError');
    controller.abort(reason);
    await expect(request).rejects.toBe(reason);
    liveness.stop();
  });
});

describe('budgetOf and settings', () => {
  it('gives a long-poll its own timeout plus grace, and other requests the plain budget', () => {
    expect(budgetOf(new URL(`${base}/_matrix/client/v3/sync?timeout=30000`), DEFAULT_LIVENESS)).toBe(45_000);
    expect(budgetOf(new URL(`${base}/_matrix/client/v3/sync`), DEFAULT_LIVENESS)).toBe(15_000);
    expect(budgetOf(new URL(`${base}/_matrix/client/v3/rooms/!r/messages`), DEFAULT_LIVENESS)).toBe(30_000);
  });
  it('reads overrides from storage, ignoring nonsense', () => {
    const storage = (value: string | null) => ({ getItem: () => value });
    expect(livenessSettings(storage(null))).toEqual(DEFAULT_LIVENESS);
    expect(livenessSettings(storage('not json'))).toEqual(DEFAULT_LIVENESS);
    expect(livenessSettings(storage('{"pollTimeoutMs": 2000, "graceMs": -5, "probeTimeoutMs": "1"}'))).toEqual({
      ...DEFAULT_LIVENESS,
      pollTimeoutMs: 2000,
    });
  });
});
