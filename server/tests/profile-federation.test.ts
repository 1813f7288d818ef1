// Issue 17, Profile: a display name change on alpha reaches beta as a new member event in every joined room, in both
// room versions; in the member-key room the new event keeps the §3 claim (`localpart`, `domain`, the key nonce when
// there is one), is co-signed by alpha again, and beta keeps the link verified.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningHomeserver } from '../testing/spawn';
import type { TestClient } from '../testing/http-client';
import { enc, memberInfo, say, startServers, user, waitFor } from '../testing/federation-harness';

let alpha: RunningHomeserver;
let beta: RunningHomeserver;
let alice: TestClient;
let bob: TestClient;
const rooms: { version: string; roomId: string }[] = [];

beforeAll(async () => {
  [alpha, beta] = await startServers(['alpha.localhost:22301', 'beta.localhost:22302'], ['--link-recheck-seconds', '3600']);
  [alice, bob] = await Promise.all([user(alpha, 'alice'), user(beta, 'bob')]);
  for (const version of ['org.matrix.12.4430', '11']) {
    const created = await alice.post('/_matrix/client/v3/createRoom', { preset: 'public_chat', room_version: version });
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    const roomId = created.body.room_id as string;
    const joined = await bob.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(alpha.serverName)}`, {});
    expect(joined.status, JSON.stringify(joined.body)).toBe(200);
    rooms.push({ version, roomId });
  }
}, 60_000);

afterAll(async () => {
  await Promise.all([alpha, beta].filter(Boolean).map((s) => s.dispose()));
});

/** Alice's member events in a room as `viewer` sees them, oldest first. */
async function aliceMemberEvents(viewer: TestClient, roomId: string): Promise<any[]> {
  const reply = await viewer.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=100`);
  return (reply.body.chunk as any[]).filter((e) => e.type === 'm.room.member' && e.sender === alice.userId).reverse();
}

describe('a profile change across servers', () => {
  it('PUT displayname sends a new member event to every joined room; beta sees it, and the member-key link stays verified', async () => {
    const before = await Promise.all(rooms.map(({ roomId }) => aliceMemberEvents(bob, roomId)));
    const [memberKeyRoom] = rooms;
    const oldClaim = before[0]!.at(-1)!.content;
    expect(oldClaim).toMatchObject({ localpart: 'alice', domain: alpha.serverName });

    const put = await alice.put(`/_matrix/client/v3/profile/${enc(alice.userId!)}/displayname`, { displayname: 'Alice Liddell' });
    expect(put.status, JSON.stringify(put.body)).toBe(200);

    for (const [i, { roomId, version }] of rooms.entries()) {
      const events = await waitFor(`alice's new member event on beta (${version})`, async () => {
        const seen = await aliceMemberEvents(bob, roomId);
        return seen.at(-1)?.content.displayname === 'Alice Liddell' && seen;
      });
      expect(events.length, version).toBe(before[i]!.length + 1);
      expect(events.at(-1).content.membership).toBe('join');
    }

    // The member-key room: the claim is kept (nonce included when there was one), and beta verified alpha's co-signature.
    const latest = (await aliceMemberEvents(bob, memberKeyRoom!.roomId)).at(-1);
    expect(latest.content).toMatchObject({ localpart: 'alice', domain: alpha.serverName });
    expect(latest.content['dev.wayfarer.key_nonce']).toBe(oldClaim['dev.wayfarer.key_nonce']);
    const aliceKey = latest.unsigned['org.matrix.msc4428.stable_id'] as string;
    const link = (await memberInfo(bob, memberKeyRoom!.roomId))[aliceKey];
    expect(link.user_id).toBe(alice.userId);
    expect(link.displayname ?? latest.content.displayname).toBe('Alice Liddell');
    expect(link['dev.wayfarer.link']).toMatchObject({ status: 'verified', localpart: 'alice', domain: alpha.serverName });

    // Her next message reaches beta under her verified handle (not soft-failed, not the unverified form).
    await say(alice, memberKeyRoom!.roomId, 'named now');
    const message = await waitFor('alice’s message on beta', async () => {
      const reply = await bob.get(`/_matrix/client/v3/rooms/${enc(memberKeyRoom!.roomId)}/messages?dir=b&limit=20`);
      return (reply.body.chunk as any[]).find((e) => e.content?.body === 'named now');
    });
    expect(message.sender).toBe(alice.userId);
  });
});
