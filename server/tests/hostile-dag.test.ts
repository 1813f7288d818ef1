// A hostile server attacks the room DAG: events of one room that point (prev_events, auth_events) into another room,
// and a flood of sibling events that would make alpha's own events too wide for other servers to accept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEMBER_KEYS_ROOM_VERSION } from '../../src/protocol';
import { HostileServer, type HostileMember } from '../testing/hostile-server';
import type { RunningHomeserver } from '../testing/spawn';
import { ok, type TestClient } from '../testing/http-client';
import { bodies, devAdmin, enc, roomState, say, startServers, user, waitFor } from '../testing/federation-harness';

const statusOf = async (server: RunningHomeserver, eventId: string) =>
  (await devAdmin(server, 'event_status', { event_id: eventId })).status as string;

async function createRoom(client: TestClient, version: string, name: string): Promise<string> {
  return (await ok(client.post('/_matrix/client/v3/createRoom', { preset: 'public_chat', room_version: version, name }))).room_id;
}

/** The event IDs of the room's current state (type → event ID) for the state keys an attack would change. */
async function stateIds(client: TestClient, roomId: string): Promise<Record<string, string>> {
  const state = await ok(client.get(`/_matrix/client/v3/rooms/${enc(roomId)}/state`));
  const ids: Record<string, string> = {};
  for (const event of state as any[])
    if (['m.room.create', 'm.room.power_levels', 'm.room.name', 'm.room.join_rules'].includes(event.type)) ids[event.type] = event.event_id;
  return ids;
}

describe('cross-room DAG: events must only reference events of their own room', () => {
  let alpha: RunningHomeserver;
  let evil: HostileServer;

  beforeAll(async () => {
    evil = await HostileServer.start(20101);
    [alpha] = await startServers(['alpha.localhost:20100']);
  });
  afterAll(async () => {
    await alpha?.dispose();
    await evil?.close();
  });

  for (const version of [MEMBER_KEYS_ROOM_VERSION, '11']) {
    describe(`room version ${version}`, () => {
      let alice: TestClient;
      let mallory: TestClient;
      let victim: string;
      let attacker: string;
      /** Eve in VICTIM, and the same Eve (same member key in member-key rooms) in ATTACKER. */
      let eve: HostileMember;
      let eveInAttacker: HostileMember;
      /** ATTACKER's newest event: mallory's power levels that make eve an admin there. */
      let attackerLatest: string;
      let attackerPowerLevels: string;
      let before: Record<string, string>;
      let alicePower: number;

      /** Alice's member ID (her member key in member-key rooms): the sender of VICTIM's create event. */
      const aliceMember = async () => {
        const state = await ok(alice.get(`/_matrix/client/v3/rooms/${enc(victim)}/state`));
        return (state as any[]).find((e) => e.type === 'm.room.create').sender as string;
      };

      /** VICTIM is as alice made it: same create, power levels and name, and alice can still talk and rename. */
      const victimIsIntact = async (label: string) => {
        expect(await stateIds(alice, victim), label).toEqual(before);
        expect((await roomState(alice, victim, 'm.room.name')).name).toBe('Victim');
        const levels = await roomState(alice, victim, 'm.room.power_levels');
        expect(levels.users[await aliceMember()]).toBe(alicePower);
        expect(levels.users[eve.id]).toBeUndefined();
        await say(alice, victim, `alice still talks (${label})`);
        expect((await bodies(alice, victim)).at(-1)).toBe(`alice still talks (${label})`);
      };

      beforeAll(async () => {
        const tag = version.replace(/\W/g, '');
        alice = await user(alpha, `alice${tag}`);
        mallory = await user(alpha, `mallory${tag}`);
        victim = await createRoom(alice, version, 'Victim');
        attacker = await createRoom(mallory, version, 'pwned');
        eve = await evil.join(alpha, victim, 'eve', version);
        eveInAttacker = await evil.join(
          alpha,
          attacker,
          'eve',
          version,
          {},
          { key: eve.seed ? { id: eve.id, seed: eve.seed } : undefined },
        );
        expect(eveInAttacker.id).toBe(eve.id);
        // Mallory, eve's accomplice on alpha, makes eve an admin of ATTACKER.
        const levels = await roomState(mallory, attacker, 'm.room.power_levels');
        attackerLatest = (
          await ok(
            mallory.put(`/_matrix/client/v3/rooms/${enc(attacker)}/state/m.room.power_levels/`, {
              ...levels,
              users: { ...levels.users, [eve.id]: 100 },
            }),
          )
        ).event_id;
        attackerPowerLevels = attackerLatest;
        eveInAttacker.state.set('m.room.power_levels\u0000', attackerPowerLevels);
        eveInAttacker.latest = attackerLatest;
        before = await stateIds(alice, victim);
        alicePower = (await roomState(alice, victim, 'm.room.power_levels')).users[await aliceMember()];
        expect(before['m.room.create']).toBeDefined();
      });

      it('a message whose prev_event is the latest event of another room is rejected; VICTIM keeps its state, also after a restart', async () => {
        const attack = evil.event(
          eve,
          'm.room.message',
          { msgtype: 'm.text', body: 'merge ATTACKER into VICTIM' },
          { prev_events: [attackerLatest] },
          false,
        );
        const reply = await evil.sendTxn(alpha, [attack.pdu]);
        expect(reply.status).toBe(200);
        expect(await statusOf(alpha, attack.eventId)).toBe('rejected');
        await victimIsIntact('after the attack');
        await ok(alice.put(`/_matrix/client/v3/rooms/${enc(victim)}/state/m.room.topic/`, { topic: 'still mine' }));
        await alpha.restart();
        expect(await statusOf(alpha, attack.eventId)).toBe('rejected');
        await victimIsIntact('after a restart');
        expect((await roomState(alice, victim, 'm.room.topic')).topic).toBe('still mine');
        before = await stateIds(alice, victim);
      });

      it('a message whose auth_events are events of another room is rejected', async () => {
        const attack = evil.event(
          eve,
          'm.room.message',
          { msgtype: 'm.text', body: 'authorised by ATTACKER' },
          { auth_events: [attackerPowerLevels, eveInAttacker.joinId] },
          false,
        );
        expect((await evil.sendTxn(alpha, [attack.pdu])).status).toBe(200);
        expect(await statusOf(alpha, attack.eventId)).toBe('rejected');
        await victimIsIntact('after the auth_events attack');
      });

      it('an auth event fetched from the hostile server that is of another room gets the event rejected', async () => {
        // An ATTACKER power levels event alpha has never seen, making eve an admin; served on request.
        const hidden = evil.event(eveInAttacker, 'm.room.power_levels', { users: { [eve.id]: 100 } }, { state_key: '' }, false);
        evil.on(({ path }) =>
          path === `/_matrix/federation/v1/event/${enc(hidden.eventId)}`
            ? { status: 200, body: { origin: evil.serverName, origin_server_ts: Date.now(), pdus: [hidden.pdu] } }
            : undefined,
        );
        const auth = [
          ...evil.authEventsFor(eve, 'm.room.message').filter((id) => id !== eve.state.get('m.room.power_levels\u0000')),
          hidden.eventId,
        ];
        const attack = evil.event(
          eve,
          'm.room.message',
          { msgtype: 'm.text', body: 'authorised by a fetched event' },
          { auth_events: auth },
          false,
        );
        expect((await evil.sendTxn(alpha, [attack.pdu])).status).toBe(200);
        expect(await statusOf(alpha, attack.eventId)).toBe('rejected');
        await victimIsIntact('after the fetched auth event');
      });

      it('a prev event fetched with get_missing_events that is of another room gets the event rejected and is not taken as VICTIM state', async () => {
        // X: a fresh ATTACKER event (eve is an admin there), unknown to alpha; the attack names it as its prev_event.
        const x = evil.event(eveInAttacker, 'm.room.name', { name: 'pwned through a missing event' }, { state_key: '' });
        evil.on(({ method, path }) =>
          method === 'POST' && path === `/_matrix/federation/v1/get_missing_events/${enc(victim)}`
            ? { status: 200, body: { events: [x.pdu] } }
            : undefined,
        );
        const attack = evil.event(
          eve,
          'm.room.message',
          { msgtype: 'm.text', body: 'after a missing event' },
          { prev_events: [x.eventId], depth: eveInAttacker.depth + 1 },
          false,
        );
        expect((await evil.sendTxn(alpha, [attack.pdu])).status).toBe(200);
        expect(await statusOf(alpha, attack.eventId)).toBe('rejected');
        await victimIsIntact('after the missing-event attack');
        expect((await roomState(mallory, attacker, 'm.room.name')).name).toBe('pwned');
      });

      it('auth_events the selection would not pick, two for one state key, or a rejected one get the event rejected', async () => {
        const plKey = 'm.room.power_levels\u0000';
        const normal = evil.authEventsFor(eve, 'm.room.message');
        // A power levels event eve may not send (rejected), then named as her message's power levels.
        const grab = evil.event(eve, 'm.room.power_levels', { users: { [eve.id]: 100 } }, { state_key: '' }, false);
        expect((await evil.sendTxn(alpha, [grab.pdu])).status).toBe(200);
        expect(await statusOf(alpha, grab.eventId)).toBe('rejected');
        const withRejected = evil.event(
          eve,
          'm.room.message',
          { msgtype: 'm.text', body: 'rejected auth event' },
          { auth_events: [...normal.filter((id) => id !== eve.state.get(plKey)), grab.eventId] },
          false,
        );
        // VICTIM's name event: not an auth event of a message.
        const withName = evil.event(
          eve,
          'm.room.message',
          { msgtype: 'm.text', body: 'name as auth event' },
          { auth_events: [...normal, eve.state.get('m.room.name\u0000')!] },
          false,
        );
        // Eve's display name change: then her join and her new member event both as auth events.
        const rename = evil.event(
          eve,
          'm.room.member',
          { membership: 'join', displayname: 'Eve', ...(eve.seed ? { localpart: 'eve', domain: evil.serverName } : {}) },
          { state_key: eve.id },
        );
        expect((await evil.sendTxn(alpha, [rename.pdu])).status).toBe(200);
        expect(await statusOf(alpha, rename.eventId)).toBe('stored');
        const twice = evil.event(
          eve,
          'm.room.message',
          { msgtype: 'm.text', body: 'two member events' },
          { auth_events: [...evil.authEventsFor(eve, 'm.room.message'), eve.joinId] },
          false,
        );
        const fine = evil.event(eve, 'm.room.message', { msgtype: 'm.text', body: 'proper auth events' });
        expect((await evil.sendTxn(alpha, [withRejected.pdu, withName.pdu, twice.pdu, fine.pdu])).status).toBe(200);
        expect(await statusOf(alpha, withRejected.eventId)).toBe('rejected');
        expect(await statusOf(alpha, withName.eventId)).toBe('rejected');
        expect(await statusOf(alpha, twice.eventId)).toBe('rejected');
        expect(await statusOf(alpha, fine.eventId)).toBe('stored');
      });
    });
  }

  describe('joining a room on the hostile server (room version 11)', () => {
    const version = '11';
    let alice: TestClient;
    let bob: TestClient;
    let victim: string;
    let eve: HostileMember;
    let last: string;

    /**
     * Evil's own room: mal creates it, eve is an admin there. Its make_join template names `prev` as prev_events and
     * its send_join answer adds `foreign` (events of another room) to the state and auth chain. Returns the room ID.
     */
    const evilRoom = (name: string, prev: (own: string) => string[], foreign: any[]): string => {
      const mal = `@mal:${evil.serverName}`;
      const roomId = `!${name}${Date.now()}:${evil.serverName}`;
      const at = { room_id: roomId, origin_server_ts: Date.now() };
      const create = evil.sign(
        {
          ...at,
          type: 'm.room.create',
          sender: mal,
          state_key: '',
          content: { room_version: version },
          depth: 1,
          prev_events: [],
          auth_events: [],
        },
        version,
      );
      const malJoin = evil.sign(
        {
          ...at,
          type: 'm.room.member',
          sender: mal,
          state_key: mal,
          content: { membership: 'join' },
          depth: 2,
          prev_events: [create.eventId],
          auth_events: [create.eventId],
        },
        version,
      );
      const levels = evil.sign(
        {
          ...at,
          type: 'm.room.power_levels',
          sender: mal,
          state_key: '',
          content: { users: { [mal]: 100, [eve.id]: 100 } },
          depth: 3,
          prev_events: [malJoin.eventId],
          auth_events: [create.eventId, malJoin.eventId],
        },
        version,
      );
      const rules = evil.sign(
        {
          ...at,
          type: 'm.room.join_rules',
          sender: mal,
          state_key: '',
          content: { join_rule: 'public' },
          depth: 4,
          prev_events: [levels.eventId],
          auth_events: [create.eventId, levels.eventId, malJoin.eventId],
        },
        version,
      );
      const eveJoin = evil.sign(
        {
          ...at,
          type: 'm.room.member',
          sender: eve.id,
          state_key: eve.id,
          content: { membership: 'join' },
          depth: 5,
          prev_events: [rules.eventId],
          auth_events: [create.eventId, levels.eventId, rules.eventId],
        },
        version,
      );
      const own = [create, malJoin, levels, rules, eveJoin].map((e) => e.pdu);
      const path = (what: string) => `/_matrix/federation/${what}/${enc(roomId)}/`;
      evil.on(({ method, path: p, body }) => {
        if (method === 'GET' && p.startsWith(path('v1/make_join'))) {
          const userId = decodeURIComponent(p.slice(path('v1/make_join').length));
          const template = {
            type: 'm.room.member',
            room_id: roomId,
            sender: userId,
            state_key: userId,
            content: { membership: 'join' },
            origin_server_ts: Date.now(),
            depth: 6,
            prev_events: prev(eveJoin.eventId),
            auth_events: [create.eventId, levels.eventId, rules.eventId],
            origin: evil.serverName,
          };
          return { status: 200, body: { room_version: version, event: template } };
        }
        if (method === 'PUT' && p.startsWith(path('v2/send_join')))
          return {
            status: 200,
            body: { origin: evil.serverName, state: [...own, ...foreign], auth_chain: [...own, ...foreign], event: body },
          };
        if (method === 'GET' && p.startsWith(path('v1/backfill')))
          return { status: 200, body: { origin: evil.serverName, origin_server_ts: Date.now(), pdus: [] } };
        return undefined;
      });
      return roomId;
    };

    beforeAll(async () => {
      alice = await user(alpha, 'alicejoin');
      bob = await user(alpha, 'bobjoin');
      victim = await createRoom(alice, version, 'Victim');
      eve = await evil.join(alpha, victim, 'eve', version);
      last = await say(alice, victim, 'the event evil’s join template will name');
    });

    it('another room’s events in send_join’s state and auth chain are left out', async () => {
      // VICTIM's events, which evil holds as a member there, handed over as if they were this room's.
      const roomId = evilRoom(
        'foreign',
        (own) => [own],
        [...eve.pdus.values()].filter((e) => e.room_id === victim),
      );
      await ok(bob.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(evil.serverName)}`, {}));
      expect(await roomState(bob, roomId, 'm.room.name')).toBeUndefined();
      expect((await roomState(bob, roomId, 'm.room.power_levels')).users[eve.id]).toBe(100);
    });

    it('a join template whose prev_events name another room’s event does not replace that room’s state', async () => {
      const before = await stateIds(alice, victim);
      const roomId = evilRoom('prev', () => [last], []);
      await ok(bob.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(evil.serverName)}`, {}));
      // Eve now builds on that same VICTIM event, as any member may: VICTIM's state after it is still VICTIM's.
      const message = evil.event(
        eve,
        'm.room.message',
        { msgtype: 'm.text', body: 'building on the event the join named' },
        { prev_events: [last] },
      );
      expect((await evil.sendTxn(alpha, [message.pdu])).status).toBe(200);
      expect(await statusOf(alpha, message.eventId)).toBe('stored');
      expect(await stateIds(alice, victim)).toEqual(before);
      expect((await roomState(alice, victim, 'm.room.power_levels')).users[eve.id]).toBeUndefined();
      await ok(alice.put(`/_matrix/client/v3/rooms/${enc(victim)}/state/m.room.name/`, { name: 'Victim, still' }));
    });
  });

  it('the attack events never reach the room as the victim sees it (sanity: eve may still talk normally)', async () => {
    const carol = await user(alpha, 'carol');
    const room = await createRoom(carol, MEMBER_KEYS_ROOM_VERSION, 'Plain');
    const member = await evil.join(alpha, room, 'eve', MEMBER_KEYS_ROOM_VERSION);
    const fine = evil.event(member, 'm.room.message', { msgtype: 'm.text', body: 'hello from eve' });
    expect((await evil.sendTxn(alpha, [fine.pdu])).status).toBe(200);
    expect(await statusOf(alpha, fine.eventId)).toBe('stored');
    await waitFor('eve’s message', async () => (await bodies(carol, room)).includes('hello from eve'));
  });
});

describe('forward extremities: a flood of sibling events does not cut alpha off from other servers', () => {
  let alpha: RunningHomeserver;
  let beta: RunningHomeserver;
  let evil: HostileServer;
  let alice: TestClient;
  let bob: TestClient;
  let roomId: string;
  let eve: HostileMember;

  const extremities = async () => (await devAdmin(alpha, 'forward_extremities', { room_id: roomId })).event_ids as string[];
  /** The PDU of one of alpha's events, as alpha serves it to a server in the room. */
  const pduOf = async (eventId: string) => {
    const reply = await evil.fed(alpha, 'GET', `/_matrix/federation/v1/event/${enc(eventId)}`);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    return reply.body.pdus[0];
  };

  beforeAll(async () => {
    evil = await HostileServer.start(20112);
    [alpha, beta] = await startServers(['alpha.localhost:20110', 'beta.localhost:20111']);
    alice = await user(alpha, 'alice');
    bob = await user(beta, 'bob');
    roomId = await createRoom(alice, MEMBER_KEYS_ROOM_VERSION, 'Flooded');
    await ok(bob.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(alpha.serverName)}`, {}));
    eve = await evil.join(alpha, roomId, 'eve', MEMBER_KEYS_ROOM_VERSION);
    evil.serveEventsOf(eve);
    await say(alice, roomId, 'before the flood');
    await waitFor('bob sees the room', async () => (await bodies(bob, roomId)).includes('before the flood'));
  });
  afterAll(async () => {
    await Promise.all([alpha?.dispose(), beta?.dispose()]);
    await evil?.close();
  });

  it('after 30 siblings in one transaction, alpha’s events name at most 10 prev_events, reach beta, and beta users can still join', async () => {
    const siblings = Array.from({ length: 30 }, (_, i) =>
      evil.event(eve, 'm.room.message', { msgtype: 'm.text', body: `sibling ${i}` }, {}, false),
    );
    expect(new Set(siblings.map((s) => s.pdu.prev_events[0])).size).toBe(1);
    for (const s of siblings) eve.pdus.set(s.eventId, s.pdu);
    const reply = await evil.sendTxn(
      alpha,
      siblings.map((s) => s.pdu),
    );
    expect(reply.status).toBe(200);
    for (const s of siblings) expect(await statusOf(alpha, s.eventId)).toBe('stored');

    const sent = await say(alice, roomId, 'after the flood');
    const pdu = await pduOf(sent);
    expect(pdu.prev_events.length).toBeGreaterThan(0);
    expect(pdu.prev_events.length).toBeLessThanOrEqual(10);
    await waitFor(
      'bob receives alice’s message after the flood',
      async () => (await bodies(bob, roomId)).includes('after the flood'),
      30_000,
    );

    // A user of beta joins through alpha: alpha's make_join template names at most 10 prev_events, and beta accepts it.
    const made = await evil.fed(
      alpha,
      'GET',
      `/_matrix/federation/v1/make_join/${enc(roomId)}/${enc(HostileServer.memberKey().id)}?ver=${enc(MEMBER_KEYS_ROOM_VERSION)}`,
    );
    expect(made.status).toBe(200);
    expect(made.body.event.prev_events.length).toBeLessThanOrEqual(10);
    const carol = await user(beta, 'carol');
    await ok(carol.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(alpha.serverName)}`, {}));
    await say(carol, roomId, 'carol made it');
    await waitFor('alice sees carol', async () => (await bodies(alice, roomId)).includes('carol made it'), 30_000);
  });

  it('the extremity set stays bounded: a dummy event ties the siblings together without waiting for a local event, and every event alpha made names at most 10', async () => {
    const more = Array.from({ length: 30 }, (_, i) =>
      evil.event(eve, 'm.room.message', { msgtype: 'm.text', body: `second wave ${i}` }, {}, false),
    );
    expect(
      (
        await evil.sendTxn(
          alpha,
          more.map((s) => s.pdu),
        )
      ).status,
    ).toBe(200);
    await waitFor('at most 10 extremities with no local message', async () => (await extremities()).length <= 10);
    for (const text of ['one', 'two', 'three']) await say(alice, roomId, text);
    expect((await extremities()).length).toBeLessThanOrEqual(10);
    const timeline = await ok(alice.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=200`));
    let checked = 0;
    for (const event of timeline.chunk as any[]) {
      const found = await pduOf(event.event_id);
      if (found.sender === eve.id) continue;
      expect(found.prev_events.length, `${found.type} ${event.event_id}`).toBeLessThanOrEqual(10);
      checked++;
    }
    expect(checked).toBeGreaterThan(5);
  });
});
