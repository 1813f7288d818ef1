// The browser half of bench/identity.bench.ts, bundled by Vite into the bench page: the client's own browser link
// verification (features/identity/browserVerify, IndexedDB cache) and the regrouping a member_info change causes.
import { ed25519Backend, setEd25519Backend, type Ed25519Backend } from '../src/protocol';
import { createBrowserVerifier, type VerificationCache } from '../src/features/identity/browserVerify';
import { createWorkerVerifier } from '../src/features/identity/linkCheckWorker';
import { createStore as createIdbStore, get, set } from 'idb-keyval';
import { buildTimelineRows, type TimelineEvent } from '../src/domain/room/timeline';
import { withHandleChangeNotices } from '../src/domain/room/handleChanges';
import { badgeOf, initialIdentityState, reduceIdentity } from '../src/domain/identity/badge';
import { createIdentityStore } from '../src/domain/identity/identityStore';
import { createLinkVerifier, keyPairFromSeed, LINK_FIELD, memberIdFromPublicKey } from '../src/protocol';

export type LinkRun = {
  backend: Ed25519Backend;
  ms: number;
  verified: number;
  members: number;
  keyFetches: number;
  /** The longest main-thread task during the pass ('longtask' entries: 50 ms or more; 0 when none). */
  longestTaskMs: number;
  longTasks: number;
  /** The same pass again with "Verify now" (force) in the running worker: no start-up, keys and events fetched again. */
  againMs?: number;
};

/** Main-thread long tasks ('longtask': 50 ms or more) from now until `stop`, which resolves to their durations. */
function watchLongTasks(): () => Promise<number[]> {
  const tasks: number[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) tasks.push(entry.duration);
  });
  observer.observe({ type: 'longtask', buffered: false });
  return async () => {
    // Long tasks are reported after they end: give the last one a moment to arrive.
    await new Promise((resolve) => setTimeout(resolve, 100));
    observer.disconnect();
    return tasks;
  };
}

/** The app's own verifier: the checks in a Web Worker (linkCheck.worker.ts), the page only sends and receives. */
async function verifyRoomInWorker(options: {
  homeserverUrl: string;
  roomId: string;
  roomVersion: string;
  members: string[];
  backend: Ed25519Backend;
  run: number;
}): Promise<LinkRun> {
  const stopWatching = watchLongTasks();
  const verifier = createWorkerVerifier(
    {
      homeserverUrl: options.homeserverUrl,
      accessToken: 'bench',
      cacheDb: `wayfarer-identity-bench-worker-${options.backend}-${options.run}`,
      cacheStore: 'link-checks',
      ed25519Backend: options.backend,
    },
    // The app's worker entry, bundled on its own by identity.bench.ts (a library build has no import.meta.url).
    () => new Worker('/link-check.worker.js', { type: 'module' }),
    () => {
      throw new Error('the bench measures the worker: it must start');
    },
  );
  const start = performance.now();
  const results = await verifier.verifyRoom(
    options.roomId,
    options.roomVersion,
    options.members.map((identity) => ({ identity })),
    { roomSize: options.members.length },
  );
  const ms = performance.now() - start;
  const tasks = await stopWatching();
  const againStart = performance.now();
  await verifier.verifyRoom(
    options.roomId,
    options.roomVersion,
    options.members.map((identity) => ({ identity })),
    { roomSize: options.members.length, force: true },
  );
  const againMs = performance.now() - againStart;
  const verified = [...results.values()].filter((c) => c.state === 'done' && c.status === 'verified').length;
  return {
    againMs,
    backend: options.backend,
    ms,
    verified,
    members: options.members.length,
    keyFetches: verifier.keyFetches(),
    longestTaskMs: Math.max(0, ...tasks),
    longTasks: tasks.length,
  };
}

async function verifyLinks(options: {
  homeserverUrl: string;
  roomId: string;
  roomVersion: string;
  members: string[];
  backend: Ed25519Backend;
  run: number;
}): Promise<LinkRun> {
  setEd25519Backend(options.backend);
  const idb = createIdbStore(`wayfarer-identity-bench-${options.backend}-${options.run}`, 'link-checks');
  const cache: VerificationCache = { get: (key) => get(key, idb), set: (key, value) => set(key, value, idb) };
  const verifier = createBrowserVerifier({
    fetch: window.fetch.bind(window),
    homeserverUrl: options.homeserverUrl,
    accessToken: 'bench',
    cache,
  });
  const stopWatching = watchLongTasks();
  const start = performance.now();
  const results = await verifier.verifyRoom(
    options.roomId,
    options.roomVersion,
    options.members.map((identity) => ({ identity })),
  );
  const ms = performance.now() - start;
  const tasks = await stopWatching();
  const verified = [...results.values()].filter((c) => c.state === 'done' && c.status === 'verified').length;
  return {
    backend: await ed25519Backend(),
    ms,
    verified,
    members: options.members.length,
    keyFetches: verifier.keyFetches(),
    longestTaskMs: Math.max(0, ...tasks),
    longTasks: tasks.length,
  };
}

/** The checks alone (no HTTP, no cache): key responses already fetched, member events already in memory. */
async function verifyOnly(options: {
  events: unknown[];
  keyResponses: Record<string, unknown>;
  roomVersion: string;
  backend: Ed25519Backend;
}) {
  setEd25519Backend(options.backend);
  let fetches = 0;
  const verifier = createLinkVerifier(async (domain) => {
    fetches++;
    return { kind: 'ok', response: options.keyResponses[domain] };
  }, Date.now());
  const start = performance.now();
  let verified = 0;
  for (const event of options.events) if ((await verifier.verify(event, options.roomVersion)).status === 'verified') verified++;
  return { backend: await ed25519Backend(), ms: performance.now() - start, verified, keyFetches: fetches };
}

/**
 * A 10,000-event timeline from 200 keys (with handle moves along the way); a member_info change for one key
 * reaches the store, and the timeline is regrouped and every group's sender badge derived again.
 */
function regroup(eventCount: number): { ms: number; rows: number; groups: number; unverifiedGroups: number } {
  const keys = Array.from({ length: 200 }, (_, i) =>
    memberIdFromPublicKey(keyPairFromSeed(new Uint8Array(32).fill(i + 1)).publicKey).slice(1),
  );
  const t0 = Date.UTC(2026, 0, 1, 8);
  const events: TimelineEvent[] = [];
  for (let i = 0; i < eventCount; i++) {
    const identity = keys[Math.floor(i / 3) % keys.length]!;
    const move = i % 500 === 499;
    events.push({
      id: `$e${i}`,
      type: move ? 'm.room.member' : 'm.room.message',
      sender: `@user${i % 200}:d${i % 40}.example`,
      identity,
      ts: t0 + i * 20_000,
      content: move ? { membership: 'join', localpart: 'user', domain: `moved${i}.example` } : { msgtype: 'm.text', body: `message ${i}` },
      prevContent: move ? { membership: 'join', localpart: 'user', domain: 'before.example' } : undefined,
      redacted: false,
      status: 'sent',
    });
  }
  const store = createIdentityStore();
  const roomId = '!bench';
  const linkOf = (status: 'verified' | 'unverified') => ({
    status,
    localpart: 'user',
    domain: 'd0.example',
    checked_ts: 1,
    reason: status === 'verified' ? 'ok' : 'key retired',
  });
  store
    .getState()
    .ingestMemberInfo(roomId, Object.fromEntries(keys.map((k) => [`@${k}`, { user_id: null, [LINK_FIELD]: linkOf('verified') }])), true);
  const derive = () => {
    const info = store.getState().memberInfo[roomId] ?? {};
    const badgeCache = new Map<string, ReturnType<typeof badgeOf>>();
    const badge = (identity: string) => {
      let b = badgeCache.get(identity);
      if (!b)
        badgeCache.set(
          identity,
          (b = badgeOf(reduceIdentity(initialIdentityState(identity, true), { type: 'member_info', link: info[identity]?.[LINK_FIELD] }))),
        );
      return b;
    };
    const rows = withHandleChangeNotices(
      events,
      buildTimelineRows(events, (id) => id),
      (identity) => ({ name: identity.slice(0, 8), verified: badge(identity).kind === 'verified' }),
    );
    let groups = 0;
    let unverifiedGroups = 0;
    for (const row of rows) {
      if (row.kind !== 'message' || !row.startsGroup) continue;
      groups++;
      if (badge(row.event.identity).kind === 'unverified') unverifiedGroups++;
    }
    return { rows: rows.length, groups, unverifiedGroups };
  };
  derive(); // warm
  const start = performance.now();
  // Not a new event: one key's link turns unverified.
  store.getState().ingestMemberInfo(roomId, { [`@${keys[7]}`]: { user_id: null, [LINK_FIELD]: linkOf('unverified') } }, false);
  const result = derive();
  return { ms: performance.now() - start, ...result };
}

(window as unknown as { __identityBench: unknown }).__identityBench = { verifyLinks, verifyRoomInWorker, verifyOnly, regroup };
