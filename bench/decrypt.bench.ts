// Messages decrypted per second on opening an encrypted room of 1,000 messages (issue 18), through the client's own
// stack: matrix-js-sdk 37.5 with its Rust crypto (the WebAssembly build), against a spawned homeserver. Alice sends
// MESSAGES encrypted messages; Bob's device receives the room keys as a real client does (to-device, over /sync).
// Then Bob opens the room: the history's pages come from /messages and every event is decrypted. Reported: decrypted
// messages per second over the decryption alone, and over opening (fetch + decrypt), median of RUNS runs.
// BENCH_DECRYPT_MESSAGES changes the count; BENCH_DECRYPT_PORT moves the server.
import { ClientEvent, createClient, type MatrixClient, type MatrixEvent, Direction, SyncState } from 'matrix-js-sdk';
import { logger } from 'matrix-js-sdk/lib/logger';
import type { Logger as LogLevelLogger } from 'loglevel';
import { startHomeserver } from '../server/testing/spawn';
import { machineLoad, median, RUNS } from './machine';

const MESSAGES = Number(process.env.BENCH_DECRYPT_MESSAGES ?? 1000);
const PORT = Number(process.env.BENCH_DECRYPT_PORT ?? 23990);
const PAGE = 100;

(logger as unknown as LogLevelLogger).setLevel('silent');
// The Rust crypto's tracing and the SDK's per-room loggers write to the console directly: keep the figures readable.
const print = console.log.bind(console);
const printError = console.error.bind(console);
console.log = console.info = console.debug = console.warn = console.error = () => undefined;

async function signedUp(baseUrl: string, username: string): Promise<MatrixClient> {
  const anonymous = createClient({ baseUrl });
  const session = await anonymous.registerRequest({ username, password: `${username}-secret`, auth: { type: 'm.login.dummy' } });
  const client = createClient({ baseUrl, accessToken: session.access_token, userId: session.user_id, deviceId: session.device_id });
  await client.initRustCrypto({ useIndexedDB: false });
  await client.startClient({ initialSyncLimit: 1 });
  await new Promise<void>((resolve) => {
    const onSync = (state: SyncState) => {
      if (state !== SyncState.Prepared && state !== SyncState.Syncing) return;
      client.off(ClientEvent.Sync, onSync);
      resolve();
    };
    client.on(ClientEvent.Sync, onSync);
  });
  return client;
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Opens the room as the client does: pages of history from /messages, each event handed to the crypto. */
async function openRoom(bob: MatrixClient, roomId: string): Promise<{ fetchMs: number; decryptMs: number; decrypted: number }> {
  const started = performance.now();
  const raw: Record<string, unknown>[] = [];
  let from: string | null = null;
  do {
    const page: Awaited<ReturnType<MatrixClient['createMessagesRequest']>> = await bob.createMessagesRequest(
      roomId,
      from,
      PAGE,
      Direction.Backward,
    );
    raw.push(...(page.chunk as unknown as Record<string, unknown>[]));
    from = page.end ?? null;
    if (page.chunk.length === 0) break;
  } while (from && raw.length < MESSAGES + 50);
  const fetched = performance.now();
  const mapper = bob.getEventMapper({ decrypt: false });
  const events: MatrixEvent[] = raw.filter((e) => e.type === 'm.room.encrypted').map((e) => mapper(e as never));
  await Promise.all(events.map((e) => bob.decryptEventIfNeeded(e)));
  const decryptMs = performance.now() - fetched;
  const decrypted = events.filter((e) => !e.isDecryptionFailure() && e.getType() === 'm.room.message').length;
  return { fetchMs: fetched - started, decryptMs, decrypted };
}

async function main() {
  const serverName = `alpha.localhost:${PORT}`;
  const server = await startHomeserver({ serverName });
  try {
    const alice = await signedUp(server.baseUrl, 'alice');
    const bob = await signedUp(server.baseUrl, 'bob');
    const { room_id: roomId } = await alice.createRoom({
      name: 'Encrypted',
      invite: [bob.getSafeUserId()],
      initial_state: [{ type: 'm.room.encryption', state_key: '', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
      room_version: '11',
    });
    await until(() => bob.getRoom(roomId) !== null, 'the invite');
    await bob.joinRoom(roomId);
    await until(() => alice.getRoom(roomId)?.getMember(bob.getSafeUserId())?.membership === 'join', 'the join');
    const sendStart = performance.now();
    // Sent in batches (the SDK encrypts one at a time; the round trips overlap), in order within the room.
    for (let i = 0; i < MESSAGES; i += 25) {
      const batch = [];
      for (let j = i; j < Math.min(MESSAGES, i + 25); j++)
        batch.push(alice.sendTextMessage(roomId, `message ${j} of the encrypted history`));
      await Promise.all(batch);
    }
    print(`  set-up: ${MESSAGES} encrypted messages sent in ${((performance.now() - sendStart) / 1000).toFixed(1)} s`);
    // Bob has the room key once his client can read the newest message it synced.
    await until(async () => {
      const last = bob.getRoom(roomId)?.getLiveTimeline().getEvents().at(-1);
      if (!last) return false;
      await bob.decryptEventIfNeeded(last);
      return last.getContent().body === `message ${MESSAGES - 1} of the encrypted history`;
    }, 'the room key');

    const rates: number[] = [];
    const openRates: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const { fetchMs, decryptMs, decrypted } = await openRoom(bob, roomId);
      if (decrypted < MESSAGES) throw new Error(`only ${decrypted} of ${MESSAGES} messages decrypted`);
      rates.push((decrypted / decryptMs) * 1000);
      openRates.push((decrypted / (fetchMs + decryptMs)) * 1000);
    }
    print(`  opening an encrypted room of ${MESSAGES} messages (matrix-js-sdk 37.5 Rust crypto, Node ${process.version}):`);
    print(`    decryption: ${median(rates).toFixed(0)} messages/s (median of ${RUNS})`);
    print(`    fetch + decryption: ${median(openRates).toFixed(0)} messages/s`);
    print(`  ${machineLoad()}`);
    alice.stopClient();
    bob.stopClient();
  } finally {
    await server.dispose();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    printError(error);
    process.exit(1);
  },
);
