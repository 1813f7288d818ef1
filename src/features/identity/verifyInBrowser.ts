// Runs this browser's own link checks for a room's members and puts the verdicts in the identity store.
// One verifier per signed-in client; its cache lives in IndexedDB (idb-keyval), so a reload keeps it.
import type { MatrixClient, Room } from 'matrix-js-sdk';
import { clear, createStore as createIdbStore, get, set } from 'idb-keyval';
import { createBrowserVerifier, fetchMemberHistory, type BrowserVerifier, type VerificationCache } from './browserVerify';
import { describeHandleHistory, parseMemberHistory, type HandleHistoryEntry } from './handleHistory';
import { identityStore } from '../../domain/identity/identityStore';

let idb: ReturnType<typeof createIdbStore> | undefined;
const linkStore = () => (idb ??= createIdbStore('wayfarer-identity', 'link-checks'));
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
    verifier = createBrowserVerifier({
      fetch: window.fetch.bind(window),
      homeserverUrl: client.getHomeserverUrl(),
      accessToken: client.getAccessToken() ?? '',
      cache: indexedDbCache(),
    });
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
  const results = await browserVerifierFor(client).verifyRoom(
    room.roomId,
    room.getVersion(),
    identities.map((identity) => ({ identity })),
    { force },
  );
  identityStore.getState().setBrowserChecks(room.roomId, results);
}

/**
 * The key's handle history in this room from the homeserver, each member event checked by this browser; throws
 * an Error with words for people (MemberHistoryError for a malformed answer) when it cannot.
 */
export async function loadHandleHistory(client: MatrixClient, room: Room, identity: string, force = false): Promise<HandleHistoryEntry[]> {
  const body = await fetchMemberHistory(
    { fetch: window.fetch.bind(window), homeserverUrl: client.getHomeserverUrl(), accessToken: client.getAccessToken() ?? '' },
    room.roomId,
    identity,
  );
  const events = parseMemberHistory(body);
  const verdicts = await browserVerifierFor(client).verifyEvents(room.getVersion(), events, { force });
  return describeHandleHistory(events, identity, room.getVersion(), verdicts);
}
