// Relations that arrive over federation are indexed like local ones: a thread reply and an edit sent on beta show
// in alpha's /relations, /threads and bundles, in both room versions (member keys: senders compared by key).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunningHomeserver } from '../testing/spawn';
import type { TestClient } from '../testing/http-client';
import { enc, say, startServers, user, waitFor } from '../testing/federation-harness';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

let alpha: RunningHomeserver;
let beta: RunningHomeserver;
let alice: TestClient;
let bob: TestClient;

beforeAll(async () => {
  [alpha, beta] = await startServers(['alpha.localhost:20801', 'beta.localhost:20802']);
  alice = await user(alpha, 'alice');
  bob = await user(beta, 'bob');
});
afterAll(async () => {
  await Promise.all([alpha?.dispose(), beta?.dispose()]);
});

async function send(client: TestClient, roomId: string, content: object): Promise<string> {
  const reply = await client.put(
    `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/${Math.random().toString(36).slice(2)}`,
    content,
  );
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return reply.body.event_id;
}

for (const version of ['11', 'org.matrix.12.4430']) {
  describe(`room version ${version}`, () => {
    it('a thread reply and an edit from beta are indexed on alpha', async () => {
      const created = await alice.post('/_matrix/client/v3/createRoom', { room_version: version, preset: 'public_chat' });
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      const roomId: string = created.body.room_id;
      const join = await bob.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(alpha.serverName)}`, {});
      expect(join.status, JSON.stringify(join.body)).toBe(200);

      const root = await say(alice, roomId, 'alpha root');
      await waitFor(
        'the root on beta',
        async () => (await bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(root)}`)).status === 200,
      );
      const bobsMessage = await say(bob, roomId, 'bob typo');
      const replyId = await send(bob, roomId, {
        msgtype: 'm.text',
        body: 'from beta',
        'm.relates_to': { rel_type: 'm.thread', event_id: root },
      });
      const editId = await send(bob, roomId, {
        msgtype: 'm.text',
        body: '* bob fixed',
        'm.new_content': { msgtype: 'm.text', body: 'bob fixed' },
        'm.relates_to': { rel_type: 'm.replace', event_id: bobsMessage },
      });

      const children = await waitFor('the thread reply on alpha', async () => {
        const r = await alice.get(`/_matrix/client/v1/rooms/${enc(roomId)}/relations/${enc(root)}/m.thread`);
        return r.status === 200 && r.body.chunk.length === 1 ? r.body.chunk : undefined;
      });
      expect(children[0].event_id).toBe(replyId);
      const threads = (await alice.get(`/_matrix/client/v1/rooms/${enc(roomId)}/threads`)).body;
      expect(threads.chunk.map((e: any) => e.event_id)).toEqual([root]);
      expect(threads.chunk[0].unsigned['m.relations']['m.thread']).toMatchObject({ count: 1, current_user_participated: true });

      const edited = await waitFor('the edit bundled on alpha', async () => {
        const r = await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(bobsMessage)}`);
        return r.body?.unsigned?.['m.relations']?.['m.replace'];
      });
      expect(edited.event_id).toBe(editId);
      expect(edited.sender).toBe(bob.userId);
    });
  });
}
