import { describe, expect, it, vi } from 'vitest';
import { MEMBER_KEYS_ROOM_VERSION } from '../../protocol';
import { createBrowserVerifier, memoryCache, type BrowserVerifier } from './browserVerify';
import {
  coalescingCache,
  createWorkerVerifier,
  serveLinkChecks,
  type WorkerPort,
  type WorkerReply,
  type WorkerRequest,
} from './linkCheckWorker';

const ROOM = '!room:alpha';
const init = { homeserverUrl: 'http://hs.localhost:1', accessToken: 't', cacheDb: 'db', cacheStore: 'store', timeoutMs: 50 };

/** A worker in this thread: messages cross through structuredClone, as they would between threads. */
function fakeWorker(fetchFn: typeof fetch) {
  const listeners: { message: ((event: { data: WorkerReply }) => void)[]; error: ((event: unknown) => void)[] } = {
    message: [],
    error: [],
  };
  const serve = serveLinkChecks(
    (reply) => queueMicrotask(() => listeners.message.forEach((l) => l({ data: structuredClone(reply) }))),
    fetchFn,
    () => memoryCache(),
  );
  const port: WorkerPort & { fail(): void; received: WorkerRequest[] } = {
    received: [],
    postMessage(message) {
      port.received.push(message);
      void serve(structuredClone(message));
    },
    addEventListener(type: 'message' | 'error', listener: never) {
      (listeners[type] as unknown[]).push(listener);
    },
    fail: () => listeners.error.forEach((l) => l(new Event('error'))),
  };
  return port;
}

const unreachable = (async () => {
  throw new TypeError('Failed to fetch');
}) as typeof fetch;

describe('link checks in a worker', () => {
  it('runs the checks in the worker with the homeserver’s word on the members, read in the page', async () => {
    const port = fakeWorker(unreachable);
    const local = vi.fn<() => BrowserVerifier>();
    const says = { status: 'verified' as const, domain: 'beta.example', localpart: 'bob', checked_ts: 5 };
    const verifier = createWorkerVerifier(
      init,
      () => port,
      local,
      (_room, identity) => (identity === 'bob' ? says : undefined),
    );
    const checks = await verifier.verifyRoom(ROOM, MEMBER_KEYS_ROOM_VERSION, [{ identity: 'bob' }, { identity: 'carol' }]);
    expect(local).not.toHaveBeenCalled();
    expect(port.received.map((m) => m.kind)).toEqual(['init', 'verifyRoom']);
    // The homeserver cannot be reached from the worker: bob stays verified on its word, carol is unverified.
    expect(checks.get('bob')).toMatchObject({
      status: 'verified',
      code: 'fetch_failed',
      unreachable: { by: 'homeserver', lastVerifiedTs: 5 },
    });
    expect(checks.get('carol')).toMatchObject({ status: 'unverified', code: 'fetch_failed' });
  });

  it('checks in the page when no worker can be had, or when the worker fails', async () => {
    const inPage = () =>
      createBrowserVerifier({ fetch: unreachable, homeserverUrl: init.homeserverUrl, accessToken: 't', cache: memoryCache() });
    const none = createWorkerVerifier(init, undefined, inPage);
    expect((await none.verifyRoom(ROOM, MEMBER_KEYS_ROOM_VERSION, [{ identity: 'bob' }])).get('bob')).toMatchObject({
      code: 'fetch_failed',
    });

    const port = fakeWorker(unreachable);
    port.postMessage = (message) => void port.received.push(message); // a worker that never answers, then fails
    const local = vi.fn(inPage);
    const failing = createWorkerVerifier(init, () => port, local);
    const pending = failing.verifyRoom(ROOM, MEMBER_KEYS_ROOM_VERSION, [{ identity: 'bob' }]);
    await Promise.resolve();
    port.fail();
    expect((await pending).get('bob')).toMatchObject({ code: 'fetch_failed' });
    expect(local).toHaveBeenCalledTimes(1);
    await failing.verifyRoom(ROOM, MEMBER_KEYS_ROOM_VERSION, [{ identity: 'bob' }]);
    expect(port.received.map((m) => m.kind)).toEqual(['init', 'verifyRoom']); // not asked again
  });

  it('reads and writes the cache many entries a transaction: what is asked before the next turn goes as one request', async () => {
    const data = new Map<string, unknown>([['a', 1]]);
    const calls: string[] = [];
    const cache = coalescingCache({
      getMany: async (keys) => (calls.push(`get ${keys.join(',')}`), keys.map((k) => data.get(k))),
      setMany: async (entries) =>
        void (calls.push(`set ${entries.map(([k]) => k).join(',')}`), entries.forEach(([k, v]) => data.set(k, v))),
    });
    const [a, b] = await Promise.all([cache.get('a'), cache.get('b'), cache.set('c', 3), cache.set('d', 4)]);
    expect([a, b]).toEqual([1, undefined]);
    expect(calls).toEqual(['get a,b', 'set c,d']);
    expect(await cache.get('c')).toBe(3);
    expect(calls).toHaveLength(3);
  });
});
