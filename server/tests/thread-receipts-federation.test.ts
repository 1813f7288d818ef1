// Threaded receipts across servers (spec v1.4; federation m.receipt EDU, `data.thread_id`): a receipt Bob sends on
// beta in a thread's name reaches Alice on alpha with its thread, and one for the main timeline with 'main'.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunningHomeserver } from '../testing/spawn';
import type { TestClient } from '../testing/http-client';
import { bodies, enc, say, startServers, user, waitFor } from '../testing/federation-harness';
import { expectOk as ok } from '../testing/one-server';
import { assertMatchesSpec } from '../testing/openapi';

vi.setConfig({ testTimeout: 90_000, hookTimeout: 90_000 });

let alpha: RunningHomeserver;
let beta: RunningHomeserver;
let alice: TestClient;
let bob: TestClient;

beforeAll(async () => {
  [alpha, beta] = await startServers(['alpha.localhost:24820', 'beta.localhost:24821']);
  alice = await user(alpha, 'alice');
  bob = await user(beta, 'bob');
});
afterAll(async () => {
  await Promise.all([alpha, beta].filter(Boolean).map((s) => s.dispose()));
});

/** Bob's m.read receipt on `eventId` as Alice's /sync on alpha shows it, once it is there. */
async function receiptSeenByAlice(roomId: string, eventId: string): Promise<Record<string, unknown>> {
  return waitFor(`bob's receipt on ${eventId} at alpha`, async () => {
    const sync = ok(await alice.get('/_matrix/client/v3/sync'));
    assertMatchesSpec('/sync', 'get', 200, sync);
    const events = sync.rooms.join[roomId]?.ephemeral.events ?? [];
    const receipts = events.find((e: { type: string }) => e.type === 'm.receipt');
    return receipts?.content[eventId]?.['m.read']?.[bob.userId!];
  });
}

for (const version of ['11', 'org.matrix.12.4430']) {
  describe(`room version ${version}`, () => {
    it('a threaded receipt crosses servers with its thread_id', async () => {
      const roomId = ok(await alice.post('/_matrix/client/v3/createRoom', { preset: 'public_chat', room_version: version })).room_id;
      ok(await bob.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(alpha.serverName)}`, {}));
      const root = await say(alice, roomId, 'root');
      const reply = ok(
        await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/reply-${version}`, {
          msgtype: 'm.text',
          body: 'in the thread',
          'm.relates_to': { rel_type: 'm.thread', event_id: root },
        }),
      ).event_id as string;
      await waitFor('the thread on beta', async () => (await bodies(bob, roomId)).includes('in the thread'));

      ok(await bob.post(`/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(reply)}`, { thread_id: root }));
      expect((await receiptSeenByAlice(roomId, reply)).thread_id).toBe(root);
      ok(await bob.post(`/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(root)}`, { thread_id: 'main' }));
      expect((await receiptSeenByAlice(roomId, root)).thread_id).toBe('main');
    });
  });
}
