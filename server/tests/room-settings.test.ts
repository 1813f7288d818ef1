// Room settings (issue 17): the room's local aliases (`GET /rooms/{roomId}/aliases`, checked against the spec's
// OpenAPI), the canonical alias that must point at the room, and the auth rules behind every setting the client
// offers: a member without the power cannot change name, topic, avatar, aliases, join rule, history visibility,
// guest access or power levels; given the power (by member key in member-key rooms), the same member can.
import { describe, expect, it } from 'vitest';
import { enc } from '../testing/http-client';
import { expectOk, serverWithUsers } from '../testing/one-server';
import { assertMatchesSpec } from '../testing/openapi';
import { roomState } from '../testing/federation-harness';

const SERVER = 'alpha.localhost:24500';
const fixture = serverWithUsers(SERVER, ['alice', 'bob', 'eve']);

const settings: Array<[string, Record<string, unknown>]> = [
  ['m.room.name', { name: 'Renamed' }],
  ['m.room.topic', { topic: 'A new topic' }],
  ['m.room.avatar', { url: 'mxc://alpha.localhost/abc' }],
  ['m.room.join_rules', { join_rule: 'invite' }],
  ['m.room.history_visibility', { history_visibility: 'joined' }],
  ['m.room.guest_access', { guest_access: 'can_join' }],
  ['m.room.canonical_alias', {}],
];

/** The ID power_levels `users` takes for a member: the member key's stable ID in member-key rooms, else the user ID. */
async function powerId(roomId: string, userId: string): Promise<string> {
  const reply = expectOk(await fixture.alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/members`));
  const event = (reply.chunk as any[]).find((e) => e.state_key === userId || e.sender === userId);
  const stable = event?.unsigned?.['org.matrix.msc4428.stable_id_state_key'] as string | undefined;
  return stable ?? userId;
}

for (const [kind, version] of [
  ['member-key', undefined],
  ['classic', '11'],
] as const) {
  describe(`room settings in a ${kind} room`, () => {
    let roomId: string;
    const alias = `#garden-${kind}:${SERVER}`;

    it('a member lists the room’s local aliases; a non-member is refused', async () => {
      const { alice, bob, eve } = fixture;
      roomId = expectOk(
        await alice.post('/_matrix/client/v3/createRoom', {
          preset: 'public_chat',
          name: 'Garden',
          ...(version ? { room_version: version } : {}),
        }),
      ).room_id;
      expectOk(await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`, {}));
      expectOk(await alice.put(`/_matrix/client/v3/directory/room/${enc(alias)}`, { room_id: roomId }));
      const listed = expectOk(await bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/aliases`));
      assertMatchesSpec('/rooms/{roomId}/aliases', 'get', 200, listed);
      expect(listed.aliases).toEqual([alias]);
      const refused = await eve.get(`/_matrix/client/v3/rooms/${enc(roomId)}/aliases`);
      expect(refused.status).toBe(403);
      expect(refused.body.errcode).toBe('M_FORBIDDEN');
      expect((await eve.get(`/_matrix/client/v3/rooms/${enc('!nowhere:' + SERVER)}/aliases`)).status).toBe(404);
    });

    it('the canonical alias must point at this room', async () => {
      const { alice } = fixture;
      const bad = await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.canonical_alias/`, {
        alias: `#elsewhere:${SERVER}`,
      });
      expect(bad.status).toBe(400);
      expect(bad.body.errcode).toBe('M_BAD_ALIAS');
      expectOk(await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.canonical_alias/`, { alias }));
      expect((await roomState(alice, roomId, 'm.room.canonical_alias')).alias).toBe(alias);
    });

    it('a member without the power changes none of the settings, and cannot remove another’s alias', async () => {
      const { bob } = fixture;
      for (const [type, content] of settings) {
        const reply = await bob.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/${type}/`, content);
        expect(reply.status, `${type}: ${JSON.stringify(reply.body)}`).toBe(403);
      }
      const levels = await roomState(bob, roomId, 'm.room.power_levels');
      const raised = await bob.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.power_levels/`, {
        ...levels,
        users: { ...levels.users, [bob.userId!]: 100 },
      });
      expect(raised.status).toBe(403);
      expect((await bob.request('DELETE', `/_matrix/client/v3/directory/room/${enc(alias)}`)).status).toBe(403);
      expect((await roomState(bob, roomId, 'm.room.name')).name).toBe('Garden');
    });

    it('given power by the creator (by member key where the room has them), the member changes every setting', async () => {
      const { alice, bob } = fixture;
      const levels = await roomState(alice, roomId, 'm.room.power_levels');
      const bobId = await powerId(roomId, bob.userId!);
      if (kind === 'member-key') expect(bobId).not.toBe(bob.userId);
      expectOk(
        await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.power_levels/`, {
          ...levels,
          users: { ...levels.users, [bobId]: 100 },
        }),
      );
      for (const [type, content] of settings.filter(([type]) => type !== 'm.room.canonical_alias')) {
        const reply = await bob.put(`/_matrix/client/v3/rooms/${enc(roomId)}/state/${type}/`, content);
        expect(reply.status, `${type}: ${JSON.stringify(reply.body)}`).toBe(200);
      }
      expect((await roomState(alice, roomId, 'm.room.name')).name).toBe('Renamed');
      expect((await roomState(alice, roomId, 'm.room.join_rules')).join_rule).toBe('invite');
      // A moderator may remove an alias someone else made; the list follows.
      expectOk(await bob.request('DELETE', `/_matrix/client/v3/directory/room/${enc(alias)}`));
      expect(expectOk(await bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/aliases`)).aliases).toEqual([]);
    });
  });
}
