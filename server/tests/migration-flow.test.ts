// The wizard's engine end to end against real processes: snapshot of the old account from /sync, plan, journal,
// runner and the HTTP steps (src/features/migration), for the portable path with the old server offline and
// for the classic path with a room that cannot move.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveMemberRoot, generateRecoverySecret } from '../../src/protocol';
import { createRoomSeedFields, joinSeedFields } from '../../src/features/portable/memberSeeds';
import { buildPlan } from '../../src/features/migration/plan';
import { createJournal, progressOf, summaryOf, type MigrationJournal } from '../../src/features/migration/journal';
import { runMigration } from '../../src/features/migration/runner';
import { createExecutor, memberSeedFor } from '../../src/features/migration/executor';
import { memoryJournalStore } from '../../src/features/migration/persistence';
import { snapshotFromSync } from '../../src/features/migration/snapshot';
import { t } from '../../src/i18n';
import type { RunningHomeserver } from '../testing/spawn';
import { ok, type TestClient } from '../testing/http-client';
import { enc, memberInfo, startServers, user, waitFor } from '../testing/federation-harness';
import { portableClient } from '../testing/move-cast';

let alpha: RunningHomeserver;
let beta: RunningHomeserver;
let gamma: RunningHomeserver;
let bob: TestClient;

/** Node does not resolve `*.localhost` everywhere: send those names to loopback, as Chromium does. */
const loopbackFetch: typeof fetch = (input, init) => {
  const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
  if (url.hostname.endsWith('.localhost')) url.hostname = '127.0.0.1';
  return fetch(url, init);
};

beforeAll(async () => {
  [alpha, beta, gamma] = await startServers(['alpha.localhost:19011', 'beta.localhost:19012', 'gamma.localhost:19013']);
  bob = await user(gamma, 'bob');
});

afterAll(async () => {
  await Promise.all([alpha, beta, gamma].filter(Boolean).map((s) => s.dispose()));
});

async function snapshotOf(client: TestClient, server: RunningHomeserver, portable: boolean) {
  const sync = await ok(client.get('/_matrix/client/v3/sync?timeout=0'));
  const profile = await ok(client.get(`/_matrix/client/v3/profile/${enc(client.userId!)}`));
  return snapshotFromSync(sync, {
    userId: client.userId!,
    serverName: server.serverName,
    baseUrl: server.baseUrl,
    portable,
    displayname: profile.displayname,
  });
}

function journalOf(
  id: string,
  path: 'portable' | 'classic',
  snapshot: ReturnType<typeof snapshotFromSync>,
  source: RunningHomeserver,
  target: TestClient,
  targetServer: RunningHomeserver,
  options = { notice: false, leaveOld: false },
  keyIsDerivable?: (r: any) => boolean,
): MigrationJournal {
  return createJournal({
    id,
    path,
    source: { userId: snapshot.userId, serverName: source.serverName, baseUrl: source.baseUrl },
    target: {
      userId: target.userId!,
      serverName: targetServer.serverName,
      baseUrl: targetServer.baseUrl,
      accessToken: target.accessToken!,
      deviceId: target.deviceId!,
    },
    options,
    snapshot,
    items: buildPlan({ snapshot, path, targetUserId: target.userId!, ...(keyIsDerivable ? { keyIsDerivable } : {}) }),
  });
}

describe('portable path', () => {
  it('moves alice from alpha to beta with alpha offline: same keys verified on gamma, account data on beta, nothing repeated on a re-run', async () => {
    const secret = generateRecoverySecret();
    const memberRoot = deriveMemberRoot(secret);
    const aliceAlpha = await portableClient(alpha, secret, 'alice');
    await ok(aliceAlpha.put(`/_matrix/client/v3/profile/${enc(aliceAlpha.userId!)}/displayname`, { displayname: 'Alice' }));
    // R1: alice's own room (creator key from a nonce); R2: bob's room on gamma; R3: a public classic room on gamma.
    const r1 = (
      await ok(
        aliceAlpha.post('/_matrix/client/v3/createRoom', {
          preset: 'public_chat',
          name: 'Alice’s room',
          ...createRoomSeedFields(memberRoot),
        }),
      )
    ).room_id;
    await ok(bob.post(`/_matrix/client/v3/join/${enc(r1)}?server_name=${enc(alpha.serverName)}`, {}));
    const r2 = (await ok(bob.post('/_matrix/client/v3/createRoom', { preset: 'public_chat', name: 'Bob’s room' }))).room_id;
    await ok(aliceAlpha.post(`/_matrix/client/v3/join/${enc(r2)}?server_name=${enc(gamma.serverName)}`, joinSeedFields(memberRoot, r2)));
    const r3 = (
      await ok(
        bob.post('/_matrix/client/v3/createRoom', {
          preset: 'public_chat',
          name: 'Classic',
          room_version: '11',
          power_level_content_override: { invite: 50 },
        }),
      )
    ).room_id;
    await ok(aliceAlpha.post(`/_matrix/client/v3/join/${enc(r3)}?server_name=${enc(gamma.serverName)}`, {}));
    await ok(aliceAlpha.put(`/_matrix/client/v3/user/${enc(aliceAlpha.userId!)}/rooms/${enc(r1)}/tags/m.favourite`, { order: 0.5 }));
    await ok(aliceAlpha.put(`/_matrix/client/v3/user/${enc(aliceAlpha.userId!)}/account_data/m.direct`, { [bob.userId!]: [r2] }));
    await ok(
      aliceAlpha.put(`/_matrix/client/v3/user/${enc(aliceAlpha.userId!)}/account_data/m.ignored_user_list`, {
        ignored_users: { '@troll:gamma.localhost:19013': {} },
      }),
    );
    await ok(aliceAlpha.put('/_matrix/client/v3/pushrules/global/override/.m.rule.suppress_notices/enabled', { enabled: false }));
    await ok(aliceAlpha.put('/_matrix/client/v3/pushrules/global/content/wayfarer-word', { actions: ['notify'], pattern: 'wayfarer' }));

    const snapshot = await snapshotOf(aliceAlpha, alpha, true);
    expect(snapshot.rooms.map((r) => r.roomId).sort()).toEqual([r1, r2, r3].sort());
    expect(snapshot.rooms.find((r) => r.roomId === r2)!.servers).toEqual([gamma.serverName]);
    const aliceBeta = await portableClient(beta, secret, 'alice');
    const journal = journalOf(
      'flow-portable',
      'portable',
      snapshot,
      alpha,
      aliceBeta,
      beta,
      undefined,
      (room) => memberSeedFor(memberRoot, room) !== undefined,
    );
    expect(journal.items.filter((i) => i.kind === 'room').map((i) => [i.roomId, i.action])).toEqual(
      expect.arrayContaining([
        [r1, 'adopt'],
        [r2, 'adopt'],
        [r3, 'join-public'],
      ]),
    );

    await alpha.stop();
    try {
      const store = memoryJournalStore();
      const execute = createExecutor({
        fetch: loopbackFetch,
        source: { baseUrl: alpha.baseUrl, accessToken: aliceAlpha.accessToken! },
        memberRoot,
      });
      const done = await runMigration(journal, execute, { save: store.save });
      const progress = progressOf(done);
      expect(progress.items.filter((i) => i.state !== 'done' && i.item.kind !== 'media').map((i) => [i.item.label, i.error])).toEqual([]);
      expect(await store.load(aliceAlpha.userId!)).toEqual(done);

      // Gamma sees the same keys, now @alice:beta and verified.
      for (const roomId of [r1, r2]) {
        const key = snapshot.rooms.find((r) => r.roomId === roomId)!.memberKey!;
        await waitFor(`alice verified as beta in ${roomId}`, async () => {
          const entry = (await memberInfo(bob, roomId))[key];
          return entry?.user_id === aliceBeta.userId && entry['dev.wayfarer.link'].status === 'verified';
        });
      }
      expect((await ok(aliceBeta.get('/_matrix/client/v3/joined_rooms'))).joined_rooms.sort()).toEqual([r1, r2, r3].sort());
      expect(await ok(aliceBeta.get(`/_matrix/client/v3/user/${enc(aliceBeta.userId!)}/account_data/m.direct`))).toEqual({
        [bob.userId!]: [r2],
      });
      expect((await ok(aliceBeta.get(`/_matrix/client/v3/user/${enc(aliceBeta.userId!)}/rooms/${enc(r1)}/tags`))).tags).toEqual({
        'm.favourite': { order: 0.5 },
      });
      expect(await ok(aliceBeta.get(`/_matrix/client/v3/user/${enc(aliceBeta.userId!)}/account_data/m.ignored_user_list`))).toEqual({
        ignored_users: { '@troll:gamma.localhost:19013': {} },
      });
      expect((await ok(aliceBeta.get('/_matrix/client/v3/pushrules/global/override/.m.rule.suppress_notices/enabled'))).enabled).toBe(
        false,
      );
      expect(await ok(aliceBeta.get('/_matrix/client/v3/pushrules/global/content/wayfarer-word'))).toMatchObject({
        actions: ['notify'],
        pattern: 'wayfarer',
        enabled: true,
      });
      expect((await ok(aliceBeta.get(`/_matrix/client/v3/profile/${enc(aliceBeta.userId!)}`))).displayname).toBe('Alice');

      // Running every step again (as after a crash at the worst moment) changes nothing on the servers.
      const again = await runMigration({ ...done, steps: done.steps.map((s) => ({ ...s, status: 'pending' as const })) }, execute, {
        save: store.save,
      });
      const outcomes = Object.fromEntries(again.steps.map((s) => [s.id, s.outcome]));
      expect(outcomes[`room:${r1}#adopt`]).toBe('already adopted');
      expect(outcomes[`room:${r2}#adopt`]).toBe('already adopted');
      expect(outcomes[`room:${r3}#join`]).toBe('already joined');
      const summary = summaryOf(again);
      expect(summary.items.filter((i) => i.roomId).every((i) => i.outcome === 'moved')).toBe(true);
    } finally {
      await alpha.restart();
    }
  });
});

describe('classic path', () => {
  it('a password account is re-invited where it may invite, gets its power level, leaves after the check, and an invite-only room it cannot invite to is reported', async () => {
    const carl = await user(alpha, 'carl');
    const open = (
      await ok(carl.post('/_matrix/client/v3/createRoom', { name: 'Carl’s classic room', room_version: '11', preset: 'private_chat' }))
    ).room_id;
    await ok(carl.post(`/_matrix/client/v3/rooms/${enc(open)}/invite`, { user_id: bob.userId }));
    await waitFor(
      'bob’s invite',
      async () => (await bob.post(`/_matrix/client/v3/join/${enc(open)}?server_name=${enc(alpha.serverName)}`, {})).status === 200,
    );
    const closed = (
      await ok(
        bob.post('/_matrix/client/v3/createRoom', {
          name: 'Bob’s closed room',
          room_version: '11',
          preset: 'private_chat',
          power_level_content_override: { invite: 50 },
        }),
      )
    ).room_id;
    await ok(bob.post(`/_matrix/client/v3/rooms/${enc(closed)}/invite`, { user_id: carl.userId }));
    await waitFor(
      'carl’s invite',
      async () => (await carl.post(`/_matrix/client/v3/join/${enc(closed)}?server_name=${enc(gamma.serverName)}`, {})).status === 200,
    );

    // A member-key room carl created: power levels name members by key there.
    const keyed = (await ok(carl.post('/_matrix/client/v3/createRoom', { name: 'Carl’s keyed room', preset: 'private_chat' }))).room_id;

    const snapshot = await snapshotOf(carl, alpha, false);
    const carlBeta = await user(beta, 'carl');
    const journal = journalOf('flow-classic', 'classic', snapshot, alpha, carlBeta, beta, { notice: true, leaveOld: true });
    const planned = Object.fromEntries(journal.items.filter((i) => i.roomId).map((i) => [i.roomId, i]));
    expect(planned[open]).toMatchObject({ action: 'reinvite', carryPowerLevel: 100 });
    expect(planned[closed]).toMatchObject({ action: 'cannot', movable: false });
    // The plan says it as a message descriptor (src/i18n); the English is rendered by the view.
    expect(planned[closed]).toMatchObject({
      blocker: 'no-invite',
      reason: { key: 'migration.plan.blocked.noInvite', values: { needs: 50, has: 0 } },
    });
    expect(t(planned[closed]!.reason!)).toMatch(/invite-only and the old account may not invite \(needs power level 50, has 0\)/);

    const execute = createExecutor({ fetch: loopbackFetch, source: { baseUrl: alpha.baseUrl, accessToken: carl.accessToken! } });
    const done = await runMigration(journal, execute, { save: memoryJournalStore().save });
    expect(
      progressOf(done)
        .items.filter((i) => i.state === 'failed')
        .map((i) => [i.item.label, i.error]),
    ).toEqual([]);
    expect((await ok(carlBeta.get('/_matrix/client/v3/joined_rooms'))).joined_rooms.sort()).toEqual([open, keyed].sort());
    // In the member-key room the level went to the new account's key: it may now change power levels itself.
    expect((await carlBeta.put(`/_matrix/client/v3/rooms/${enc(keyed)}/state/m.room.topic/`, { topic: 'still in charge' })).status).toBe(
      200,
    );
    const levels = await ok(bob.get(`/_matrix/client/v3/rooms/${enc(open)}/state/m.room.power_levels/`));
    expect(levels.users[carlBeta.userId!]).toBe(100);
    // The old account left only after the check, and the room was told.
    expect((await ok(carl.get('/_matrix/client/v3/joined_rooms'))).joined_rooms).toEqual([closed]);
    expect(done.steps.find((s) => s.id === `room:${keyed}#power`)?.outcome).toBe('power level 100');
    const messages = (await ok(bob.get(`/_matrix/client/v3/rooms/${enc(open)}/messages?dir=b&limit=30`))).chunk as any[];
    expect(messages.filter((e) => e.content?.msgtype === 'm.notice' && e.content.body.includes(carlBeta.userId!))).toHaveLength(1);
    expect(summaryOf(done).items.find((i) => i.roomId === closed)!.outcome).toBe('cannot move');
  });
});
