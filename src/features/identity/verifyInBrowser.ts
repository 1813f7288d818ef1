// Runs this browser's own link checks for a room's members and puts the verdicts in the identity store.
// One verifier per signed-in client, its checks in a Web Worker (linkCheckWorker.ts) so the page stays responsive;
// its cache lives in IndexedDB (idb-keyval), so a reload keeps it.
import type { MatrixClient, Room } from 'matrix-js-sdk';
import { clear, createStore as createIdbStore, get, set } from 'idb-keyval';
import { createBrowserVerifier, fetchMemberHistory, vouchedHistory, type BrowserVerifier, type VerificationCache } from './browserVerify';
import { createWorkerVerifier, type WorkerVerifierInit } from './linkCheckWorker';
import { describeHandleHistory, parseMemberHistory, type HandleHistoryEntry } from './handleHistory';
import { identityStore } from '../../domain/identity/identityStore';
import { livenessSettings } from '../../matrix/liveness';
import { LINK_FIELD } from '../../protocol';

const CACHE_DB = 'wayfarer-identity';
const CACHE_STORE = 'link-checks';
let idb: ReturnType<typeof createIdbStore> | undefined;
const linkStore = () => (idb ??= createIdbStore(CACHE_DB, CACHE_STORE));
function indexedDbCache(): VerificationCache {
  const store = linkStore();
  return { get: (key) => get(key, store), set: (key, value) => set(key, value, store) };
}

/** On sign-out: which rooms' members this browser checked is nobody else's business. */
export async function forgetLinkChecks(): Promise<void> {
  await clear(linkStore());
}

const verifiers = new WeakMap<MatrixClient, BrowserVerifier>();

export function browserVerifierFor(client: MatrixClient): BrowserVerifier {
  let verifier = verifiers.get(client);
  if (!verifier) {
    const init: WorkerVerifierInit = {
      homeserverUrl: client.getHomeserverUrl(),
      accessToken: client.getAccessToken() ?? '',
      // A domain (or the homeserver) that hangs must not leave "Verify now" checking for ever.
      timeoutMs: livenessSettings().checkTimeoutMs,
      cacheDb: CACHE_DB,
      cacheStore: CACHE_STORE,
    };
    // Fail open on the homeserver's word too: a link it verified stays verified while a domain is unreachable.
    const homeserverSays = (roomId: string, identity: string) => identityStore.getState().memberInfo[roomId]?.[identity]?.[LINK_FIELD];
    verifier = createWorkerVerifier(
      init,
      typeof Worker === 'undefined'
        ? undefined
        : () => new Worker(new URL('./linkCheck.worker.ts', import.meta.url), { type: 'module', name: 'link checks' }),
      () =>
        createBrowserVerifier({
          fetch: window.fetch.bind(window),
          homeserverUrl: init.homeserverUrl,
          accessToken: init.accessToken,
          cache: indexedDbCache(),
          timeoutMs: init.timeoutMs,
          homeserverSays,
        }),
      homeserverSays,
    );
    verifiers.set(client, verifier);
  }
  return verifier;
}

/** Checks these members' links from this browser; `force` ("Verify now") ignores every cached answer. */
export async function verifyInBrowser(client: MatrixClient, room: Room, identities: readonly string[], force = false): Promise<void> {
  const store = identityStore.getState();
  const startedTs = Date.now();
  store.setBrowserChecks(
    room.roomId,
    identities.map((identity) => [identity, { state: 'checking', startedTs }]),
  );
  try {
    const results = await browserVerifierFor(client).verifyRoom(
      room.roomId,
      room.getVersion(),
      identities.map((identity) => ({ identity })),
      // The whole room comes in pages of member events when that takes fewer requests than one per member.
      { force, roomSize: room.getJoinedMemberCount() + room.getInvitedMemberCount() },
    );
    identityStore.getState().setBrowserChecks(room.roomId, results);
  } catch (error) {
    // Never left "checking…": say what went wrong where the verdict would be.
    const reason = `the check itself failed: ${error instanceof Error ? error.message : String(error)}`;
    identityStore.getState().setBrowserChecks(
      room.roomId,
      identities.map((identity) => [identity, { state: 'done', status: 'unverified', code: 'fetch_failed', reason, checkedTs: startedTs }]),
    );
    throw error;
  }
}

/**
 * The key's handle history in this room from the homeserver, each member event checked by this browser; throws
 * an Error with words for people (MemberHistoryError for a malformed answer) when it cannot.
 */
export async function loadHandleHistory(client: MatrixClient, room: Room, identity: string, force = false): Promise<HandleHistoryEntry[]> {
  const body = await fetchMemberHistory(
    {
      fetch: window.fetch.bind(window),
      homeserverUrl: client.getHomeserverUrl(),
      accessToken: client.getAccessToken() ?? '',
      timeoutMs: livenessSettings().checkTimeoutMs,
    },
    room.roomId,
    identity,
  );
  const events = parseMemberHistory(body);
  const verdicts = await browserVerifierFor(client).verifyEvents(room.getVersion(), events, { force });
  const homeserver = identityStore.getState().memberInfo[room.roomId]?.[identity]?.[LINK_FIELD];
  return describeHandleHistory(events, identity, room.getVersion(), vouchedHistory(verdicts, homeserver));
}
