// The browser's link checks (browserVerify.ts) run in a Web Worker, so a pass over a 2,000-member room never holds
// up the page: the worker fetches the member events and the domains' keys, parses them, checks the signatures
// (WebCrypto Ed25519, noble where the browser lacks it) and keeps the cache in IndexedDB; the page sends the
// members to check (with the homeserver's word on each, to fail open) and gets the verdicts back. Where no worker
// can be had (tests, a browser that refuses it) the same checks run in the page.
import { setEd25519Backend, type Ed25519Backend, type LinkInfo, type LinkVerdict } from '../../protocol';
import type { BrowserCheck } from '../../domain/identity/badge';
import { logger } from '../../platform/logger';
import {
  createBrowserVerifier,
  type BrowserVerifier,
  type BrowserVerifierDeps,
  type MemberToCheck,
  type VerificationCache,
  type VerifyOptions,
} from './browserVerify';

const log = logger('identity:verify');

/** What a worker needs to check links: everything in BrowserVerifierDeps that can cross to another thread. */
export interface WorkerVerifierInit {
  homeserverUrl: string;
  accessToken: string;
  timeoutMs?: number;
  concurrency?: number;
  /** The IndexedDB database and store of the cache (the page's own names, so sign-out clears them). */
  cacheDb: string;
  cacheStore: string;
  /** Forces a backend (benchmarks); detected when omitted. */
  ed25519Backend?: Ed25519Backend;
}

export type WorkerRequest =
  | { kind: 'init'; init: WorkerVerifierInit }
  | {
      kind: 'verifyRoom';
      id: number;
      roomId: string;
      roomVersion: string;
      members: MemberToCheck[];
      options: VerifyOptions;
      /** The homeserver's word on the members' links, for failing open (deps.homeserverSays). */
      homeserver: [string, LinkInfo][];
    }
  | { kind: 'verifyEvents'; id: number; roomVersion: string; events: unknown[]; options: VerifyOptions };

export type WorkerReply =
  | { id: number; ok: true; checks?: [string, BrowserCheck][]; verdicts?: LinkVerdict[]; keyFetches: number }
  | { id: number; ok: false; message: string; keyFetches: number };

/**
 * The worker's side: answers WorkerRequests with `post`. `cacheFor` opens the IndexedDB store (a Map in tests),
 * `fetchFn` is the worker's fetch.
 */
export function serveLinkChecks(
  post: (reply: WorkerReply) => void,
  fetchFn: typeof fetch,
  cacheFor: (db: string, store: string) => VerificationCache,
): (request: WorkerRequest) => Promise<void> {
  let verifier: BrowserVerifier | undefined;
  const homeserverWord = new Map<string, LinkInfo>();
  return async (request) => {
    if (request.kind === 'init') {
      const { init } = request;
      if (init.ed25519Backend) setEd25519Backend(init.ed25519Backend);
      const deps: BrowserVerifierDeps = {
        fetch: fetchFn,
        homeserverUrl: init.homeserverUrl,
        accessToken: init.accessToken,
        cache: cacheFor(init.cacheDb, init.cacheStore),
        homeserverSays: (roomId, identity) => homeserverWord.get(`${roomId} ${identity}`),
      };
      if (init.timeoutMs !== undefined) deps.timeoutMs = init.timeoutMs;
      if (init.concurrency !== undefined) deps.concurrency = init.concurrency;
      verifier = createBrowserVerifier(deps);
      return;
    }
    const keyFetches = () => verifier?.keyFetches() ?? 0;
    try {
      if (!verifier) throw new Error('the link-check worker was not set up');
      if (request.kind === 'verifyRoom') {
        for (const [identity, link] of request.homeserver) homeserverWord.set(`${request.roomId} ${identity}`, link);
        const checks = await verifier.verifyRoom(request.roomId, request.roomVersion, request.members, request.options);
        post({ id: request.id, ok: true, checks: [...checks], keyFetches: keyFetches() });
      } else {
        const verdicts = await verifier.verifyEvents(request.roomVersion, request.events, request.options);
        post({ id: request.id, ok: true, verdicts, keyFetches: keyFetches() });
      }
    } catch (error) {
      post({ id: request.id, ok: false, message: error instanceof Error ? error.message : String(error), keyFetches: keyFetches() });
    }
  };
}

/**
 * A cache over a store that reads and writes many entries in one transaction (idb-keyval's getMany/setMany): the
 * gets and sets made before the next turn of the event loop go as one request each, so a 2,000-member pass costs
 * a few dozen IndexedDB transactions instead of 8,000.
 */
export function coalescingCache(
  store: { getMany(keys: string[]): Promise<unknown[]>; setMany(entries: [string, unknown][]): Promise<void> },
  nextTurn: (run: () => void) => void = defaultNextTurn,
): VerificationCache {
  let reads: { key: string; resolve: (value: unknown) => void; reject: (error: unknown) => void }[] = [];
  let writes: { entry: [string, unknown]; resolve: () => void; reject: (error: unknown) => void }[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const [r, w] = [reads, writes];
    reads = [];
    writes = [];
    if (r.length > 0)
      store.getMany(r.map((x) => x.key)).then(
        (values) => r.forEach((x, i) => x.resolve(values[i])),
        (error: unknown) => r.forEach((x) => x.reject(error)),
      );
    if (w.length > 0)
      store.setMany(w.map((x) => x.entry)).then(
        () => w.forEach((x) => x.resolve()),
        (error: unknown) => w.forEach((x) => x.reject(error)),
      );
  };
  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      nextTurn(flush);
    }
  };
  return {
    get: (key) =>
      new Promise((resolve, reject) => {
        reads.push({ key, resolve, reject });
        schedule();
      }),
    set: (key, value) =>
      new Promise((resolve, reject) => {
        writes.push({ entry: [key, value], resolve, reject });
        schedule();
      }),
  };
}

/** A macrotask without timer clamping (MessageChannel), else a timer. */
function defaultNextTurn(run: () => void): void {
  if (typeof MessageChannel === 'undefined') return void setTimeout(run, 0);
  const channel = new MessageChannel();
  channel.port1.onmessage = () => {
    channel.port1.close();
    run();
  };
  channel.port2.postMessage(null);
}

/** The page's side of the worker: enough of Worker to send requests and hear replies and failures. */
export interface WorkerPort {
  postMessage(message: WorkerRequest): void;
  addEventListener(type: 'message', listener: (event: { data: WorkerReply }) => void): void;
  addEventListener(type: 'error', listener: (event: unknown) => void): void;
}

/**
 * A BrowserVerifier whose checks run in `worker` (made lazily; undefined or throwing: no worker), or in the page
 * with `local` when there is none or it fails to start. `homeserverSays` is read in the page, for the members asked.
 */
export function createWorkerVerifier(
  init: WorkerVerifierInit,
  startWorker: (() => WorkerPort | undefined) | undefined,
  local: () => BrowserVerifier,
  homeserverSays?: BrowserVerifierDeps['homeserverSays'],
): BrowserVerifier {
  let port: WorkerPort | undefined;
  let broken = !startWorker;
  let inPage: BrowserVerifier | undefined;
  let workerKeyFetches = 0;
  let nextId = 0;
  const pending = new Map<number, { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void }>();
  const page = () => (inPage ??= local());

  function workerPort(): WorkerPort | undefined {
    if (broken) return undefined;
    if (port) return port;
    try {
      port = startWorker?.();
    } catch (error) {
      log.warn('no worker for link checks; checking in the page', error);
    }
    if (!port) {
      broken = true;
      return undefined;
    }
    port.addEventListener('message', ({ data }) => {
      workerKeyFetches = data.keyFetches;
      const call = pending.get(data.id);
      pending.delete(data.id);
      call?.resolve(data);
    });
    port.addEventListener('error', (event) => {
      // A worker that cannot load (or dies): what it was asked is checked in the page, and so is everything after.
      log.warn('the link-check worker failed; checking in the page', event);
      broken = true;
      for (const call of pending.values()) call.reject(new WorkerFailed());
      pending.clear();
    });
    port.postMessage({ kind: 'init', init });
    return port;
  }

  async function ask(request: DistributiveOmit<Exclude<WorkerRequest, { kind: 'init' }>, 'id'>): Promise<WorkerReply | undefined> {
    const target = workerPort();
    if (!target) return undefined;
    const id = nextId++;
    try {
      return await new Promise<WorkerReply>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        target.postMessage({ ...request, id } as WorkerRequest);
      });
    } catch (error) {
      if (error instanceof WorkerFailed) return undefined;
      throw error;
    }
  }

  return {
    async verifyRoom(roomId, roomVersion, members, options = {}) {
      const homeserver: [string, LinkInfo][] = [];
      for (const { identity } of members) {
        const link = homeserverSays?.(roomId, identity);
        if (link) homeserver.push([identity, link]);
      }
      const reply = await ask({
        kind: 'verifyRoom',
        roomId,
        roomVersion,
        members: members.map((m) => ({ identity: m.identity })),
        options,
        homeserver,
      });
      if (!reply) return page().verifyRoom(roomId, roomVersion, members, options);
      if (!reply.ok) throw new Error(reply.message);
      return new Map(reply.checks ?? []);
    },
    async verifyEvents(roomVersion, events, options = {}) {
      const reply = await ask({ kind: 'verifyEvents', roomVersion, events: [...events], options });
      if (!reply) return page().verifyEvents(roomVersion, events, options);
      if (!reply.ok) throw new Error(reply.message);
      return reply.verdicts ?? [];
    },
    keyFetches: () => workerKeyFetches + (inPage?.keyFetches() ?? 0),
  };
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

class WorkerFailed extends Error {}
