// A member who moved servers gets room keys on the new user ID's devices, and the old user ID's devices get none
// (PROTOCOL.md §7, §8). Bob (matrix-nio with libolm, on gamma: a client that knows nothing of member keys and sees
// only the user IDs the server maps them to) keeps an encrypted member-key room; dana, a portable account on alpha,
// joins it with the member key her recovery key makes, and reads his message on her alpha device. She moves to beta
// (adopt on beta, then the old account marked moved), and bob writes again: the room key of that message goes to her
// beta device, which reads it, and to no device of @dana:alpha.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { encodeBase64 } from '../../src/protocol/base64';
import { deriveMemberKey, deriveMemberRoot } from '../../src/protocol/derivation';
import { generateRecoverySecret } from '../../src/protocol/recovery-key';
import { proveAccountKey } from '../../src/features/portable/accountKeyAuth';
import { portableAccount } from '../../e2e/support/portable';
import { lastToDeviceStream, NioPeers, toDeviceInbox } from '../../e2e/support/nio';
import { enc, ok } from '../testing/http-client';
import { startServers } from '../testing/federation-harness';
import type { RunningHomeserver } from '../testing/spawn';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 60_000 });

const PREFIX = '/_matrix/client/unstable/dev.wayfarer';
const secret = generateRecoverySecret();
let alpha: RunningHomeserver;
let beta: RunningHomeserver;
let gamma: RunningHomeserver;
let nio: NioPeers;

beforeAll(async () => {
  [alpha, beta, gamma] = await startServers(['alpha.localhost:24611', 'beta.localhost:24612', 'gamma.localhost:24613'] as const);
  nio = new NioPeers();
});
afterAll(async () => {
  await nio?.close();
  await Promise.all([alpha?.dispose(), beta?.dispose(), gamma?.dispose()]);
});

const users = (pairs: string[][]) => [...new Set(pairs.map((p) => p[0]))].sort();

describe('a member who moved servers, in an encrypted member-key room', () => {
  it("gets room keys on the new user ID's devices after the move, and the old user ID's devices get none", async () => {
    const bob = (await nio.run('bob', 'register', { base: gamma.baseUrl, user: 'bob' })).user_id as string;
    const room: string = (
      await nio.run('bob', 'create_room', { version: 'org.matrix.12.4430', room_name: 'Harbour', preset: 'public_chat' })
    ).room_id;

    // Dana joins from alpha with her own member key; her alpha device (nio) reads bob's message.
    const dana = await portableAccount(alpha, 'dana', secret);
    const member = deriveMemberKey(deriveMemberRoot(secret), room);
    await ok(
      dana.post(`/_matrix/client/v3/join/${enc(room)}?server_name=${enc(gamma.serverName)}`, {
        'dev.wayfarer.member_seed': encodeBase64(member.seed),
      }),
    );
    const oldId = dana.userId!;
    await nio.run('dana-alpha', 'restore', { base: alpha.baseUrl, user_id: oldId, device_id: dana.deviceId, token: dana.accessToken });
    await nio.run('bob', 'wait_member', { room, user: oldId });
    // Her device's keys reach bob's client through gamma's key query, once alpha reports them (device-list update).
    await nio.run('bob', 'wait_device', { user: oldId, device: dana.deviceId });
    const before = await nio.run('bob', 'send', { room, body: 'before the move' });
    expect(before.shared_with).toContainEqual([oldId, dana.deviceId]);
    expect(await nio.run('dana-alpha', 'wait_text', { room, body: 'before the move' })).toMatchObject({ decrypted: true, sender: bob });

    // The move: the same member key adopted on beta, then the alpha account marked moved (PROTOCOL.md §7).
    const moved = await portableAccount(beta, 'dana', secret);
    const newId = moved.userId!;
    await nio.run('dana-beta', 'restore', { base: beta.baseUrl, user_id: newId, device_id: moved.deviceId, token: moved.accessToken });
    await ok(moved.post(`${PREFIX}/migrate/adopt`, { room_id: room, seed: encodeBase64(member.seed), via: [gamma.serverName] }));
    const first = await dana.post(`${PREFIX}/account/moved`, { moved_to: newId });
    expect(first.status).toBe(401);
    const auth = {
      ...(await proveAccountKey({ baseUrl: alpha.baseUrl, serverName: alpha.serverName }, secret)),
      session: first.body.session,
    };
    await ok(dana.post(`${PREFIX}/account/moved`, { moved_to: newId, auth }));
    const atMove = lastToDeviceStream(alpha);

    // Bob's client sees the new user ID join; his next message's key goes to her beta device only.
    const members = (await nio.run('bob', 'wait_member', { room, user: newId })).members as string[];
    expect(members).toContain(newId);
    await nio.run('bob', 'wait_device', { user: newId, device: moved.deviceId });
    const after = await nio.run('bob', 'send', { room, body: 'after the move' });
    expect(after.shared_with).toContainEqual([newId, moved.deviceId]);
    expect(users(after.shared_with)).not.toContain(oldId);
    expect(await nio.run('dana-beta', 'wait_text', { room, body: 'after the move' })).toMatchObject({ decrypted: true, sender: bob });
    // Nothing waits for the old device on alpha (it can't sync any more: whatever was sent to it stays there).
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(toDeviceInbox(alpha, oldId, dana.deviceId!).filter((m) => m.streamId > atMove)).toEqual([]);
    // The member list bob's client keeps no longer has the old user ID.
    expect((await nio.run('bob', 'wait_member', { room, user: newId })).members).not.toContain(oldId);
  });
});
