// Long-polls are woken only by changes their user can see (a room they have a membership in, or the user alone),
// so every kind of change a /sync reports must wake them: a forgotten wake-up leaves a client waiting until its
// poll runs out. Each case starts alice's long-poll (50 s, beyond the case's limit), waits until the server holds
// it, makes one change, and expects the poll to answer with that change. And a change nobody else can see wakes
// no one else: dave, in none of these rooms, polls through every case and is never woken.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHomeserver } from '../testing/spawn';
import type { TestClient } from '../testing/http-client';
import { devAdmin, enc, say, startServers, user, waitFor } from '../testing/federation-harness';

const ALPHA = 'alpha.localhost:23860';
const BETA = 'beta.localhost:23861';
const LAZY = enc(JSON.stringify({ room: { state: { lazy_load_members: true }, timeline: { limit: 20 } } }));
const NOT_WOKEN_MS = 20_000;

let alpha: RunningHomeserver;
let beta: RunningHomeserver;
let alice: TestClient;
let carol: TestClient;
let dave: TestClient;
let bob: TestClient;
let roomId: string;

beforeAll(async () => {
  [alpha, beta] = await startServers([ALPHA, BETA]);
  [alice, carol, dave, bob] = await Promise.all([user(alpha, 'alice'), user(alpha, 'carol'), user(alpha, 'dave'), user(beta, 'bob')]);
  roomId = (await alice.post('/_matrix/client/v3/createRoom', { preset: 'public_chat', name: 'wake-ups' })).body.room_id;
  expect((await carol.post(`/_matrix/client/v3/join/${enc(roomId)}`, {})).status).toBe(200);
  const joined = await bob.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(alpha.serverName)}`, {});
  expect(joined.status, JSON.stringify(joined.body)).toBe(200);
  await say(alice, roomId, 'hello');
  // Bob's link is checked and verified on alpha before the cases start (the last case changes it).
  await waitFor('bob verified on alpha', async () => {
    const info = inRoom(await syncOnce(alice))?.['org.matrix.msc4428.member_info'] ?? {};
    return Object.values(info).some((m: any) => m.user_id === bob.userId);
  });
}, 120_000);

afterAll(async () => {
  await Promise.all([alpha, beta].filter(Boolean).map((s) => s.dispose()));
});

const inRoom = (body: any, id = roomId) => body.rooms?.join?.[id];
const types = (events: any[] | undefined) => (events ?? []).map((e) => e.type);

async function syncOnce(client: TestClient, since?: string): Promise<any> {
  const reply = await client.get(`/_matrix/client/v3/sync?filter=${LAZY}&timeout=0${since ? `&since=${enc(since)}` : ''}`);
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return reply.body;
}

/** A token with nothing new after it (catching up on anything still arriving). */
async function caughtUp(client: TestClient): Promise<string> {
  let since = (await syncOnce(client)).next_batch as string;
  for (let i = 0; i < 10; i++) {
    const body = await syncOnce(client, since);
    if (body.next_batch === since) return since;
    since = body.next_batch;
  }
  return since;
}

const stats = (client: TestClient): Promise<{ waiting: number; woken: number }> =>
  devAdmin(alpha, 'sync_waiters', { user_id: client.userId });

/**
 * Starts dave's and alice's long-polls, waits until alpha holds both, runs `change`, and returns alice's answer: it
 * must come from the wake-up (the poll's own timeout is beyond NOT_WOKEN_MS). Dave's must still be waiting, unwoken.
 */
async function wokenBy(what: string, change: () => Promise<unknown>): Promise<any> {
  const [since, daveSince] = await Promise.all([caughtUp(alice), caughtUp(dave)]);
  const davePoll = dave.get(`/_matrix/client/v3/sync?filter=${LAZY}&timeout=50000&since=${enc(daveSince)}`);
  try {
    await waitFor('dave’s long-poll to wait', async () => (await stats(dave)).waiting === 1);
    const daveBefore = (await stats(dave)).woken;
    const poll = alice.get(`/_matrix/client/v3/sync?filter=${LAZY}&timeout=50000&since=${enc(since)}`);
    await waitFor('alice’s long-poll to wait', async () => (await stats(alice)).waiting === 1);
    await change();
    let timer: NodeJS.Timeout | undefined;
    const reply = await Promise.race([
      poll,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`alice’s long-poll was not woken by ${what}`)), NOT_WOKEN_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.body.next_batch).not.toBe(since);
    expect(await stats(dave), `dave woken by ${what}`).toEqual({ waiting: 1, woken: daveBefore });
    return reply.body;
  } finally {
    // End the polls still waiting with something of each user's own, so that none outlives the case.
    for (const client of [alice, dave]) {
      if ((await stats(client)).waiting > 0)
        await client.put(`/_matrix/client/v3/user/${enc(client.userId!)}/account_data/org.example.end_poll`, { at: Date.now() });
    }
    await davePoll;
  }
}

describe('selective /sync wake-ups: each kind of change wakes the users who can see it, and no one else', () => {
  it('a message from a local member', async () => {
    const body = await wokenBy('a local message', () => say(carol, roomId, 'from carol'));
    expect(inRoom(body).timeline.events.map((e: any) => e.content.body)).toContain('from carol');
  });

  it('a message over federation', async () => {
    const body = await wokenBy('a federated message', () => say(bob, roomId, 'from bob'));
    expect(inRoom(body).timeline.events.map((e: any) => e.content.body)).toContain('from bob');
  });

  it('typing, local and over federation', async () => {
    const local = await wokenBy('local typing', () =>
      carol.put(`/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(carol.userId!)}`, { typing: true, timeout: 20000 }),
    );
    expect(inRoom(local).ephemeral.events.find((e: any) => e.type === 'm.typing').content.user_ids).toContain(carol.userId);
    const remote = await wokenBy('federated typing', () =>
      bob.put(`/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(bob.userId!)}`, { typing: true, timeout: 20000 }),
    );
    expect(inRoom(remote).ephemeral.events.find((e: any) => e.type === 'm.typing').content.user_ids).toContain(bob.userId);
    // Stop typing now, or the typing timeouts would wake later cases' polls.
    const since = await caughtUp(alice);
    await carol.put(`/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(carol.userId!)}`, { typing: false });
    await bob.put(`/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(bob.userId!)}`, { typing: false });
    await waitFor('nobody typing', async () => {
      const typing = inRoom(await syncOnce(alice, since))?.ephemeral.events.find((e: any) => e.type === 'm.typing');
      return typing?.content.user_ids.length === 0;
    });
  });

  it('a read receipt', async () => {
    const eventId = await say(alice, roomId, 'read me');
    const body = await wokenBy('a receipt', () => carol.post(`/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(eventId)}`, {}));
    const receipt = inRoom(body).ephemeral.events.find((e: any) => e.type === 'm.receipt');
    expect(receipt.content[eventId]['m.read'][carol.userId!]).toBeDefined();
  });

  it('global account data, room account data, a tag, a read marker and a push rule (the user alone)', async () => {
    const global = await wokenBy('global account data', () =>
      alice.put(`/_matrix/client/v3/user/${enc(alice.userId!)}/account_data/org.example.setting`, { on: true }),
    );
    expect(types(global.account_data.events)).toContain('org.example.setting');
    const room = await wokenBy('room account data', () =>
      alice.put(`/_matrix/client/v3/user/${enc(alice.userId!)}/rooms/${enc(roomId)}/account_data/org.example.room`, { on: true }),
    );
    expect(types(inRoom(room).account_data.events)).toContain('org.example.room');
    const tag = await wokenBy('a tag', () =>
      alice.put(`/_matrix/client/v3/user/${enc(alice.userId!)}/rooms/${enc(roomId)}/tags/m.favourite`, { order: 0.5 }),
    );
    expect(types(inRoom(tag).account_data.events)).toContain('m.tag');
    const eventId = await say(carol, roomId, 'mark me');
    const marker = await wokenBy('a read marker', () =>
      alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/read_markers`, { 'm.fully_read': eventId }),
    );
    expect(types(inRoom(marker).account_data.events)).toContain('m.fully_read');
    const rule = await wokenBy('a push rule', () =>
      alice.put('/_matrix/client/v3/pushrules/global/content/wake', { pattern: 'wake', actions: ['notify'] }),
    );
    expect(types(rule.account_data.events)).toContain('m.push_rules');
  });

  it('an invite to a room the user was never in, then being kicked from it', async () => {
    const other = (await carol.post('/_matrix/client/v3/createRoom', { preset: 'private_chat', name: 'new' })).body.room_id as string;
    const invited = await wokenBy('an invite to a new room', () =>
      carol.post(`/_matrix/client/v3/rooms/${enc(other)}/invite`, { user_id: alice.userId }),
    );
    expect(invited.rooms.invite[other]).toBeDefined();
    expect((await alice.post(`/_matrix/client/v3/join/${enc(other)}`, {})).status).toBe(200);
    const kicked = await wokenBy('a kick', () =>
      carol.post(`/_matrix/client/v3/rooms/${enc(other)}/kick`, { user_id: alice.userId, reason: 'bye' }),
    );
    expect(kicked.rooms.leave[other]).toBeDefined();
  });

  it('a member’s link changing status after a re-check, with no new event in the room', async () => {
    await devAdmin(beta, 'key_endpoint', { mode: '404' });
    try {
      const body = await wokenBy('a link status change', () => devAdmin(alpha, 'recheck_links'));
      expect(inRoom(body).timeline.events).toEqual([]);
      const changed = Object.values(inRoom(body)['org.matrix.msc4428.member_info']) as any[];
      expect(changed.map((m) => m['dev.wayfarer.link'].status)).toContain('unverified');
    } finally {
      await devAdmin(beta, 'key_endpoint', { mode: 'normal' });
      await devAdmin(alpha, 'recheck_links');
    }
  });
});
