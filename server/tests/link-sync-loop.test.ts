// A signing-key rotation and a re-check must not leave /sync spinning: once a change has been reported, an
// incremental long-poll with the latest `since` waits for something new instead of answering at once. The
// client syncs with lazy-loaded members (matrix-js-sdk's lazyLoadMembers), so these tests do too.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHomeserver } from '../testing/spawn';
import type { TestClient } from '../testing/http-client';
import { devAdmin, enc, memberInfo, say, startServers, user } from '../testing/federation-harness';

const LAZY = enc(JSON.stringify({ room: { state: { lazy_load_members: true }, timeline: { limit: 20, lazy_load_members: true } } }));

let alpha: RunningHomeserver;
let beta: RunningHomeserver;
let alice: TestClient;
let bob: TestClient;
let carl: TestClient;
let roomId: string;

beforeAll(async () => {
  [alpha, beta] = await startServers(['alpha.localhost:19201', 'beta.localhost:19202']);
  [alice, bob, carl] = await Promise.all([user(alpha, 'alice'), user(beta, 'bob'), user(alpha, 'carl')]);
  roomId = (await alice.post('/_matrix/client/v3/createRoom', { preset: 'public_chat' })).body.room_id;
  const joined = await bob.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(alpha.serverName)}`, {});
  expect(joined.status, JSON.stringify(joined.body)).toBe(200);
  await say(alice, roomId, 'hello');
});

afterAll(async () => {
  await Promise.all([alpha, beta].filter(Boolean).map((s) => s.dispose()));
});

const sync = async (client: TestClient, since: string, timeout: number) => {
  const reply = await client.get(`/_matrix/client/v3/sync?filter=${LAZY}&timeout=${timeout}&since=${enc(since)}`);
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return reply.body;
};

/** Catches up from `since` (bounded), then returns the next long-poll's answer with the caught-up token. */
async function catchUpThenPoll(client: TestClient, since: string) {
  for (let i = 0; i < 5; i++) {
    const body = await sync(client, since, 0);
    if (body.next_batch === since) break;
    since = body.next_batch;
  }
  return { since, poll: await sync(client, since, 2000) };
}

describe('/sync after a signing-key rotation', () => {
  it('an idle incremental long-poll waits: same next_batch, no rooms (own and other server rotating, re-checked)', async () => {
    let since = (await alice.get(`/_matrix/client/v3/sync?filter=${LAZY}&timeout=0`)).body.next_batch;
    for (const rotating of [alpha, beta]) {
      await devAdmin(rotating, 'rotate_signing_key');
      await devAdmin(rotating, 'resign_members');
      await devAdmin(alpha, 'recheck_links');
      for (let round = 0; round < 3; round++) {
        const { since: caughtUp, poll } = await catchUpThenPoll(alice, since);
        expect(poll.next_batch).toBe(caughtUp);
        expect(poll.rooms.join).toEqual({});
        since = poll.next_batch;
      }
    }
  });

  it('a new member signed with the new key is verified at once: our own key cache follows the rotation', async () => {
    await devAdmin(alpha, 'rotate_signing_key');
    const joined = await carl.post(`/_matrix/client/v3/join/${enc(roomId)}`, {});
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    const carlInfo = Object.values(await memberInfo(alice, roomId)).find((e: any) => e['dev.wayfarer.link']?.localpart === 'carl') as any;
    expect(carlInfo?.['dev.wayfarer.link']).toMatchObject({ status: 'verified' });
    expect(carlInfo.user_id).toBe(carl.userId);
  });
});
