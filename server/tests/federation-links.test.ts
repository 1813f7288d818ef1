// PROTOCOL.md §4 across real servers: links verified with the claimed domain's current key, re-checked per
// domain, failing open when the domain is unreachable, and unverified on 404, rotation or forgery.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHomeserver } from '../testing/spawn';
import type { TestClient } from '../testing/http-client';
import { bodies, devAdmin, enc, memberInfo, say, startServers, user, waitFor } from '../testing/federation-harness';

let alpha: RunningHomeserver;
let beta: RunningHomeserver;
let gamma: RunningHomeserver;
let gina: TestClient;
let alice: TestClient;
let bob: TestClient;
let mallory: TestClient;
let roomId: string;
let bobKey: string;

const linkOf = async (viewer: TestClient, stableId: string) => (await memberInfo(viewer, roomId))[stableId];
const statusOf = async (viewer: TestClient, stableId: string) => (await linkOf(viewer, stableId))?.['dev.wayfarer.link']?.status;

beforeAll(async () => {
  [alpha, beta] = await startServers(['alpha.localhost:18721', 'beta.localhost:18722'], ['--link-recheck-seconds', '3600']);
  // Gamma re-checks on its own schedule, every second.
  [gamma] = await startServers(['gamma.localhost:18723'], ['--link-recheck-seconds', '1']);
  [alice, bob, mallory] = await Promise.all([user(alpha, 'alice'), user(beta, 'bob'), user(alpha, 'mallory')]);
  roomId = (await alice.post('/_matrix/client/v3/createRoom', { preset: 'public_chat' })).body.room_id;
  expect((await alice.post(`/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: bob.userId })).status).toBe(200);
  const joined = await bob.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(alpha.serverName)}`, {});
  expect(joined.status, JSON.stringify(joined.body)).toBe(200);
  await say(bob, roomId, 'bob is here');
  await waitFor('bob’s first message on alpha', async () => (await bodies(alice, roomId)).includes('bob is here'));
  const found = ((await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=50`)).body.chunk as any[]).find(
    (e) => e.content?.body === 'bob is here',
  );
  bobKey = found.unsigned['org.matrix.msc4428.stable_id'];
  gina = await user(gamma, 'gina');
  const ginaJoined = await gina.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(alpha.serverName)}`, {});
  expect(ginaJoined.status, JSON.stringify(ginaJoined.body)).toBe(200);
});

afterAll(async () => {
  await Promise.all([alpha, beta, gamma].filter(Boolean).map((s) => s.dispose()));
});

describe('links across servers', () => {
  it('a member of another server is verified with that server’s key', async () => {
    const link = await linkOf(alice, bobKey);
    expect(link.user_id).toBe(bob.userId);
    expect(link['dev.wayfarer.link']).toMatchObject({ status: 'verified', localpart: 'bob', domain: beta.serverName });
  });

  it('key endpoint 404 → unverified after a re-check; back to normal → verified again', async () => {
    await devAdmin(beta, 'key_endpoint', { mode: '404' });
    try {
      const report = await devAdmin(alpha, 'recheck_links');
      // Three members of three domains: one fetch each for beta and gamma (alpha's own key needs none).
      expect(report).toMatchObject({ members: 3, domains: 3, key_fetches: 2 });
      const link = (await linkOf(alice, bobKey))['dev.wayfarer.link'];
      expect(link.status).toBe('unverified');
      expect(link.reason).toMatch(/404/);
    } finally {
      await devAdmin(beta, 'key_endpoint', { mode: 'normal' });
    }
    await devAdmin(alpha, 'recheck_links');
    expect(await statusOf(alice, bobKey)).toBe('verified');
  });

  it('a key endpoint that hangs, or a server that is offline, leaves the link verified (fail open)', async () => {
    await devAdmin(beta, 'key_endpoint', { mode: 'hang' });
    try {
      await devAdmin(alpha, 'recheck_links');
      const link = (await linkOf(alice, bobKey))['dev.wayfarer.link'];
      expect(link.status).toBe('verified');
      expect(link.reason).toMatch(/fail open/);
    } finally {
      await devAdmin(beta, 'key_endpoint', { mode: 'normal' });
    }
    await devAdmin(beta, 'federation', { enabled: false });
    try {
      await devAdmin(alpha, 'recheck_links');
      expect(await statusOf(alice, bobKey)).toBe('verified');
    } finally {
      await devAdmin(beta, 'federation', { enabled: true });
    }
  }, 30_000);

  it('a forged link (domain claims a server that did not co-sign) is unverified from the start, with the reason', async () => {
    const forged = await devAdmin(alpha, 'forge_member', {
      room_id: roomId,
      user_id: mallory.userId,
      claimed_domain: beta.serverName,
      localpart: 'bob',
    });
    const event = (await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(forged.event_id)}`)).body;
    const malloryKey = event.unsigned['org.matrix.msc4428.stable_id_state_key'];
    for (const viewer of [alice, bob]) {
      const link = await waitFor('the forged member, checked, on both servers', async () => {
        const l = (await linkOf(viewer, malloryKey))?.['dev.wayfarer.link'];
        return l?.domain && l;
      });
      expect(link).toMatchObject({ status: 'unverified', localpart: 'bob', domain: beta.serverName });
      expect(link.reason).toMatch(/not co-signed/);
      expect((await linkOf(viewer, malloryKey)).user_id).toBeNull();
    }
    // The impostor's handle is the unverified form, never @bob:beta.
    expect(event.state_key).toMatch(new RegExp(`^@_unverified_bob_.*:${alpha.serverName}$`));
    expect(event.state_key).not.toBe(bob.userId);
  });

  it('rotating beta’s key: bob turns unverified on alpha after a re-check (learned in /sync without a new event), his new messages are soft-failed, and he is verified again once beta re-signs', async () => {
    const before = (await alice.get('/_matrix/client/v3/sync?timeout=0')).body.next_batch;
    await devAdmin(beta, 'rotate_signing_key');
    const report = await devAdmin(alpha, 'recheck_links');
    expect(report.changed).toBeGreaterThanOrEqual(1);
    const incremental = (await alice.get(`/_matrix/client/v3/sync?timeout=0&since=${enc(before)}`)).body.rooms.join[roomId];
    expect(incremental.timeline.events).toEqual([]);
    const change = incremental['org.matrix.msc4428.member_info'][bobKey];
    expect(change.user_id).toBeNull();
    expect(change['dev.wayfarer.link']).toMatchObject({ status: 'unverified' });
    expect(change['dev.wayfarer.link'].reason).toMatch(/old_verify_keys|retired/);
    // Old events now carry the unverified form as sender (PROTOCOL.md §5); the key stays the identity.
    const earlier = ((await alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=50`)).body.chunk as any[]).find(
      (e) => e.content?.body === 'bob is here',
    );
    expect(earlier.sender).toMatch(/^@_unverified_bob_/);
    expect(earlier.unsigned['org.matrix.msc4428.stable_id']).toBe(bobKey);

    const hidden = await say(bob, roomId, 'sent while unverified');
    const status = await waitFor('alpha to receive the message', async () => {
      const s = await devAdmin(alpha, 'event_status', { event_id: hidden });
      return s.status !== 'unknown' && s;
    });
    expect(status.status).toBe('soft_failed');
    expect(await bodies(alice, roomId)).not.toContain('sent while unverified');

    expect((await devAdmin(beta, 'resign_members')).resigned).toBeGreaterThanOrEqual(1);
    await devAdmin(alpha, 'recheck_links');
    expect(await statusOf(alice, bobKey)).toBe('verified');
    await say(bob, roomId, 'verified again');
    await waitFor('bob’s message after re-signing', async () => (await bodies(alice, roomId)).includes('verified again'));
    expect(await bodies(alice, roomId)).not.toContain('sent while unverified');
  }, 30_000);

  it('a server re-checks on its own schedule (--link-recheck-seconds), without being asked', async () => {
    // Gamma settles on its own after the earlier tests (its passes never overlap; a hang costs one timeout).
    await waitFor('gamma to see bob verified', async () => (await statusOf(gina, bobKey)) === 'verified');
    await devAdmin(beta, 'key_endpoint', { mode: '404' });
    try {
      const link = await waitFor('gamma’s scheduled re-check to see the 404', async () => {
        const l = (await linkOf(gina, bobKey))?.['dev.wayfarer.link'];
        return l?.status === 'unverified' && l;
      });
      expect(link.reason).toMatch(/404/);
    } finally {
      await devAdmin(beta, 'key_endpoint', { mode: 'normal' });
    }
    await waitFor('gamma to verify bob again', async () => (await statusOf(gina, bobKey)) === 'verified');
  }, 30_000);
});
