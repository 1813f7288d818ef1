import { describe, expect, it } from 'vitest';
import { createExecutor, markOldAccountMoved } from './executor';
import { createJournal } from './journal';
import { buildPlan, type AccountSnapshot } from './plan';
import { patientFetch, type RateLimitWait } from './rateLimit';

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });

/** A server that answers 429 to the first `storm` calls, then like a real one to the profile step's calls. */
function stormyServer(storm: number, tooMany: (n: number) => Response) {
  const calls: string[] = [];
  let n = 0;
  const fetchImpl = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = String(input);
    calls.push(`${init?.method ?? 'GET'} ${new URL(url).pathname}`);
    n += 1;
    if (n <= storm) return tooMany(n);
    return json(200, {});
  }) as typeof fetch;
  return { fetchImpl, calls };
}

const snapshot: AccountSnapshot = {
  takenTs: 1,
  userId: '@alice:alpha',
  serverName: 'alpha',
  baseUrl: 'http://alpha',
  portable: false,
  displayname: 'Alice',
  rooms: [],
};

function journal() {
  return createJournal({
    id: 'm1',
    path: 'classic',
    source: { userId: '@alice:alpha', serverName: 'alpha', baseUrl: 'http://alpha' },
    target: { userId: '@alice:beta', serverName: 'beta', baseUrl: 'http://beta', accessToken: 't', deviceId: 'D' },
    options: { notice: false, leaveOld: false },
    snapshot,
    items: buildPlan({ snapshot, path: 'classic', targetUserId: '@alice:beta' }),
  });
}

describe('a move survives a 429 storm', () => {
  it('waits as long as retry_after_ms says, says so, and the step goes on to succeed', async () => {
    const server = stormyServer(3, (n) => json(429, { errcode: 'M_LIMIT_EXCEEDED', error: 'Too many requests', retry_after_ms: 1500 * n }));
    const slept: number[] = [];
    const waits: (RateLimitWait | undefined)[] = [];
    const execute = createExecutor({
      fetch: server.fetchImpl,
      source: { baseUrl: 'http://alpha', accessToken: 'old' },
      sleep: async (ms) => {
        slept.push(ms);
      },
      onRateLimit: (wait) => waits.push(wait),
    });
    const j = journal();
    const step = j.steps.find((s) => s.kind === 'profile')!;
    await expect(execute(step, j)).resolves.toBe('copied display name');
    expect(slept).toEqual([1500, 3000, 4500]);
    // Each wait is shown while it lasts and cleared after: the progress bar never keeps a stale wait.
    expect(waits.filter(Boolean).map((w) => [w!.server, w!.waitMs])).toEqual([
      ['beta', 1500],
      ['beta', 3000],
      ['beta', 4500],
    ]);
    expect(waits.at(-1)).toBeUndefined();
    // The same request again each time: the storm's three GETs, then the profile read and the name written.
    expect(server.calls).toEqual([
      'GET /_matrix/client/v3/profile/%40alice%3Abeta',
      'GET /_matrix/client/v3/profile/%40alice%3Abeta',
      'GET /_matrix/client/v3/profile/%40alice%3Abeta',
      'GET /_matrix/client/v3/profile/%40alice%3Abeta',
      'PUT /_matrix/client/v3/profile/%40alice%3Abeta/displayname',
    ]);
  });

  it('reads Retry-After when the body names no wait, and backs off doubling when nothing names one', async () => {
    const slept: number[] = [];
    const sleep = async (ms: number) => {
      slept.push(ms);
    };
    const header = stormyServer(1, () => json(429, { errcode: 'M_LIMIT_EXCEEDED' }, { 'Retry-After': '7' }));
    const viaHeader = patientFetch(header.fetchImpl, { sleep });
    expect((await viaHeader('http://beta/x')).status).toBe(200);
    expect(slept).toEqual([7000]);
    slept.length = 0;
    const silent = stormyServer(4, () => new Response('slow down', { status: 429 }));
    const backoff = patientFetch(silent.fetchImpl, { sleep, firstBackoffMs: 100, maxBackoffMs: 500 });
    expect((await backoff('http://beta/x', { method: 'POST', body: '{}' })).status).toBe(200);
    expect(slept).toEqual([100, 200, 400, 500]);
    expect(silent.calls).toHaveLength(5);
  });

  it('the last step, marking the old account moved, waits out a 429 too', async () => {
    const server = stormyServer(2, () => json(429, { errcode: 'M_LIMIT_EXCEEDED', retry_after_ms: 800 }));
    const slept: number[] = [];
    await markOldAccountMoved(
      server.fetchImpl,
      { baseUrl: 'http://alpha', accessToken: 'old' },
      '@alice:beta',
      async () => ({}),
      async (ms) => void slept.push(ms),
    );
    expect(slept).toEqual([800, 800]);
    expect(server.calls).toEqual(Array(3).fill('POST /_matrix/client/unstable/dev.wayfarer/account/moved'));
  });

  it("the mark's recovery-key challenge waits out a 429 too", async () => {
    const slept: number[] = [];
    let challenges = 0;
    const fetchImpl = (async (input: RequestInfo | URL) => {
      const url = String(input);
      if (url.endsWith('/account_key/challenge')) {
        challenges += 1;
        return challenges <= 2 ? json(429, { errcode: 'M_LIMIT_EXCEEDED', retry_after_ms: 300 }) : json(200, { challenge: 'c' });
      }
      return json(401, { flows: [], session: 's' });
    }) as typeof fetch;
    let proved = '';
    await expect(
      markOldAccountMoved(
        fetchImpl,
        { baseUrl: 'http://alpha', accessToken: 'old' },
        '@alice:beta',
        async (patient) => {
          const reply = await patient('http://alpha/_matrix/client/unstable/dev.wayfarer/account_key/challenge', { method: 'POST' });
          proved = ((await reply.json()) as { challenge: string }).challenge;
          return { type: 'dev.wayfarer.login.account_key' };
        },
        async (ms) => void slept.push(ms),
      ),
    ).rejects.toThrow(); // the stand-in server refuses the proof itself; the challenge is what is tested
    expect(proved).toBe('c');
    expect(slept).toEqual([300, 300]);
  });

  it('passes every other refusal through untouched', async () => {
    const server = stormyServer(1, () => json(403, { errcode: 'M_FORBIDDEN' }));
    const slept: number[] = [];
    const f = patientFetch(server.fetchImpl, { sleep: async (ms) => void slept.push(ms) });
    expect((await f('http://beta/x')).status).toBe(403);
    expect(slept).toEqual([]);
  });
});
