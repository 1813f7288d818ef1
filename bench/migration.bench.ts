// Migration figures (issue 8): a portable account with 100 member-key rooms moves from one local homeserver to
// another through the wizard's engine (snapshot → plan → journal → runner → HTTP steps, each room adopted over
// federation and then checked: target's verdict plus this process's own link verification).
// Prints total time and rooms per second.
import { deriveMemberRoot, generateRecoverySecret } from '../src/protocol';
import { registerWithAccountKey } from '../src/features/portable/accountKeyAuth';
import { createRoomSeedFields } from '../src/features/portable/memberSeeds';
import { buildPlan } from '../src/features/migration/plan';
import { createJournal, progressOf } from '../src/features/migration/journal';
import { runMigration } from '../src/features/migration/runner';
import { createExecutor, memberSeedFor } from '../src/features/migration/executor';
import { memoryJournalStore } from '../src/features/migration/persistence';
import { snapshotFromSync } from '../src/features/migration/snapshot';
import { startHomeserver } from '../server/testing/spawn';

const ROOMS = Number(process.env.BENCH_MIGRATION_ROOMS ?? 100);
const CONCURRENCY = Number(process.env.BENCH_MIGRATION_CONCURRENCY ?? 4);

/** Node does not resolve `*.localhost` everywhere: send those names to loopback, as Chromium does. */
const loopbackFetch: typeof fetch = (input, init) => {
  const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
  if (url.hostname.endsWith('.localhost')) url.hostname = '127.0.0.1';
  return fetch(url, init);
};

async function main() {
  const [alpha, beta] = await Promise.all([
    startHomeserver({ serverName: 'alpha.localhost:19041', extraArgs: ['--auth-rate-limit', '100000,100000'] }),
    startHomeserver({ serverName: 'beta.localhost:19042', extraArgs: ['--auth-rate-limit', '100000,100000'] }),
  ]);
  try {
    const secret = generateRecoverySecret();
    const root = deriveMemberRoot(secret);
    const old = await registerWithAccountKey({ baseUrl: alpha.baseUrl, serverName: alpha.serverName }, secret, 'mover');
    const auth = { Authorization: `Bearer ${old.accessToken}`, 'Content-Type': 'application/json' };
    const setupStart = performance.now();
    for (let i = 0; i < ROOMS; i++) {
      const reply = await fetch(`${alpha.baseUrl}/_matrix/client/v3/createRoom`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({ name: `Room ${i}`, preset: 'public_chat', ...createRoomSeedFields(root) }),
      });
      if (reply.status !== 200) throw new Error(`createRoom: ${reply.status} ${await reply.text()}`);
    }
    console.log(`setup: ${ROOMS} member-key rooms on ${alpha.serverName} in ${((performance.now() - setupStart) / 1000).toFixed(1)} s`);

    const sync = await (await fetch(`${alpha.baseUrl}/_matrix/client/v3/sync?timeout=0`, { headers: auth })).json();
    const snapshot = snapshotFromSync(sync, {
      userId: old.userId,
      serverName: alpha.serverName,
      baseUrl: alpha.baseUrl,
      portable: true,
      displayname: 'Mover',
    });
    if (snapshot.rooms.length !== ROOMS) throw new Error(`snapshot has ${snapshot.rooms.length} rooms, expected ${ROOMS}`);
    const target = await registerWithAccountKey({ baseUrl: beta.baseUrl, serverName: beta.serverName }, secret, 'mover');
    const items = buildPlan({
      snapshot,
      path: 'portable',
      targetUserId: target.userId,
      keyIsDerivable: (room) => memberSeedFor(root, room) !== undefined,
    });
    const journal = createJournal({
      id: 'bench',
      path: 'portable',
      source: { userId: old.userId, serverName: alpha.serverName, baseUrl: alpha.baseUrl },
      target: { ...target, serverName: beta.serverName },
      options: { notice: false, leaveOld: false },
      snapshot,
      items,
    });
    const store = memoryJournalStore();
    const execute = createExecutor({
      fetch: loopbackFetch,
      source: { baseUrl: alpha.baseUrl, accessToken: old.accessToken },
      memberRoot: root,
    });

    const start = performance.now();
    const done = await runMigration(journal, execute, { save: store.save, concurrency: CONCURRENCY });
    const seconds = (performance.now() - start) / 1000;
    const progress = progressOf(done);
    const movedRooms = progress.items.filter((i) => i.item.kind === 'room' && i.state === 'done').length;
    if (movedRooms !== ROOMS) {
      const failures = progress.items
        .filter((i) => i.state === 'failed')
        .slice(0, 3)
        .map((i) => `${i.item.label}: ${i.error}`);
      throw new Error(`only ${movedRooms} of ${ROOMS} rooms moved: ${failures.join('; ')}`);
    }
    console.log(
      `migrate ${ROOMS} member-key rooms ${alpha.serverName} → ${beta.serverName} (adopt over federation + check, ${CONCURRENCY} at a time):`,
    );
    console.log(
      `  total ${seconds.toFixed(2)} s, ${(ROOMS / seconds).toFixed(1)} rooms/s, ${progress.total} steps, ${store.saves} journal writes`,
    );
  } finally {
    await Promise.all([alpha.dispose(), beta.dispose()]);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
