// matrix-js-sdk wiring: one client per session, with its sync cached in IndexedDB so a reload
// shows rooms before the first /sync returns. Loaded lazily: the sign-in screen never pulls the SDK in.
import {
  ClientEvent,
  EventStatus,
  IndexedDBStore,
  PendingEventOrdering,
  createClient,
  type MatrixClient,
  type MatrixEvent,
} from 'matrix-js-sdk';
import type { Session } from './session';
import { deleteCryptoStore, flushKeyBackup, type SecretStorageUnlock } from './crypto';
import { logger } from '../platform/logger';
import { findEventsFromTheNewest } from './timelineLookups';

const log = logger('session');

const syncDbName = 'wayfarer-sync';

/** `fetchFn` is every request's fetch: the caller's wrapper reads what the SDK drops (session.ts: member_info). */
export async function createSessionClient(
  session: Session,
  fetchFn: typeof fetch = window.fetch.bind(window),
  unlock?: SecretStorageUnlock,
): Promise<MatrixClient> {
  findEventsFromTheNewest();
  const store = new IndexedDBStore({ indexedDB: window.indexedDB, localStorage: window.localStorage, dbName: syncDbName });
  try {
    await store.startup();
  } catch (error) {
    // A broken cache must not lock anyone out: start without it.
    log.warn('the sync cache is broken; starting without it', error);
    await store.deleteAllData().catch(log.ignored('could not delete the broken sync cache'));
  }
  const client = createClient({
    baseUrl: session.baseUrl,
    accessToken: session.accessToken,
    userId: session.userId,
    deviceId: session.deviceId,
    store,
    // Without it, a gappy sync replaces the live timeline and back-pagination refills it; with it, old
    // events would stay in a separate, linked timeline that a plain live-timeline view never shows.
    timelineSupport: false,
    useAuthorizationHeader: true,
    fetchFn,
    ...(unlock ? { cryptoCallbacks: unlock.callbacks } : {}),
  });
  unlock?.attach(client);
  return client;
}

/**
 * matrix-js-sdk writes its sync cache at most every five minutes; a reload (or a reload while offline)
 * should show what you saw a moment ago, so save within a couple of seconds of each sync instead.
 */
export function keepSyncCacheFresh(client: MatrixClient, delayMs = 2000): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const save = () => {
    timer = undefined;
    void client.store.save(true).catch(log.ignored('sync cache not saved; the next sync saves it again'));
  };
  const onSync = (state: string) => {
    if (state === 'SYNCING' || state === 'PREPARED') timer ??= setTimeout(save, delayMs);
  };
  client.on(ClientEvent.Sync, onSync);
  return () => {
    if (timer) clearTimeout(timer);
    client.off(ClientEvent.Sync, onSync);
  };
}

/** `pollTimeoutMs`: how long each /sync long-polls (liveness.ts watches it against the same figure). */
export async function startSessionClient(client: MatrixClient, pollTimeoutMs?: number): Promise<void> {
  keepSyncCacheFresh(client);
  await client.startClient({
    ...(pollTimeoutMs !== undefined ? { pollTimeout: pollTimeoutMs } : {}),
    initialSyncLimit: 30,
    lazyLoadMembers: true,
    // Local echoes live apart from the timeline, are persisted, and can be retried.
    pendingEventOrdering: PendingEventOrdering.Detached,
    // Threads as Element has them: replies live in their thread's timeline, not the room's; roots carry a Thread;
    // /sync asks for per-thread unread counts and receipts name their thread.
    threadSupport: true,
  });
}

/** Whether a failed send is worth retrying on its own (network or server trouble, not a refusal). */
export function isRetryableFailure(event: MatrixEvent): boolean {
  if (event.status !== EventStatus.NOT_SENT) return false;
  const error = event.error as { httpStatus?: number; name?: string } | null | undefined;
  if (!error) return true; // restored from storage after a reload
  if (error.name === 'ConnectionError') return true;
  return error.httpStatus === undefined || error.httpStatus >= 500 || error.httpStatus === 429;
}

/** Resends every retryable unsent message, oldest first. */
export async function resendUnsent(client: MatrixClient): Promise<number> {
  let count = 0;
  for (const room of client.getRooms()) {
    // A copy: the SDK's pending list is live, and a sent event leaves it while we go on.
    for (const event of [...room.getPendingEvents()]) {
      if (!isRetryableFailure(event)) continue;
      count += 1;
      await client.resendEvent(event, room).catch(log.ignored('resend failed; the message stays not sent with its Retry'));
    }
  }
  return count;
}

/** Signs out this device and wipes everything it kept; `logout: false` leaves the server's session (and token) valid. */
export async function signOutClient(client: MatrixClient, { logout = true }: { logout?: boolean } = {}): Promise<void> {
  // This device's room keys go with it: the ones not yet in the key backup go there first.
  await flushKeyBackup(client).catch(log.ignored('the key backup could not be brought up to date before sign-out'));
  client.stopClient();
  try {
    if (logout) await client.logout(true);
  } catch (error) {
    // The token may already be dead or the server gone: the local wipe below still signs us out.
    log.debug('the server did not take the sign-out; wiping this device anyway', error);
  }
  await client.store.deleteAllData?.();
  // Room keys and this device's keys go with the session (a new sign-in is a new device).
  await deleteCryptoStore();
  for (const key of Object.keys(window.localStorage)) {
    if (key.startsWith('mx_pending_events_')) window.localStorage.removeItem(key);
  }
}

export { ClientEvent };
