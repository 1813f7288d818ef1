import { describe, expect, it } from 'vitest';
import { authKey } from '../rooms/authorization';
import type { Pdu } from '../rooms/pdu';
import { resolveState, type StateIds } from './state-res';

/** A small room built by hand: enough fields for the auth rules (signatures are not the resolver's business). */
function roomBuilder(version: string, alice: string, bob: string) {
  const events = new Map<string, Pdu>();
  const v12 = version !== '11';
  const add = (id: string, pdu: Omit<Pdu, 'depth' | 'signatures'>) => {
    const auth = v12 ? pdu.auth_events.filter((a) => a !== '$create') : pdu.auth_events;
    events.set(id, { ...pdu, auth_events: auth, depth: events.size + 1 });
    return id;
  };
  const state = (ids: string[]): StateIds => new Map(ids.map((id) => [authKey(events.get(id)!.type, events.get(id)!.state_key ?? ''), id]));
  add('$create', {
    type: 'm.room.create',
    sender: alice,
    state_key: '',
    content: { room_version: version },
    origin_server_ts: 1,
    prev_events: [],
    auth_events: [],
    ...(v12 ? {} : { room_id: '!r:alpha' }),
  });
  add('$alice', {
    type: 'm.room.member',
    sender: alice,
    state_key: alice,
    content: { membership: 'join' },
    origin_server_ts: 2,
    prev_events: ['$create'],
    auth_events: ['$create'],
  });
  const users = v12 ? { [bob]: 50 } : { [alice]: 100, [bob]: 50 };
  add('$pl', {
    type: 'm.room.power_levels',
    sender: alice,
    state_key: '',
    content: { users, state_default: 50, ban: 50, kick: 50 },
    origin_server_ts: 3,
    prev_events: ['$alice'],
    auth_events: ['$create', '$alice'],
  });
  add('$jr', {
    type: 'm.room.join_rules',
    sender: alice,
    state_key: '',
    content: { join_rule: 'public' },
    origin_server_ts: 4,
    prev_events: ['$pl'],
    auth_events: ['$create', '$alice', '$pl'],
  });
  add('$bob', {
    type: 'm.room.member',
    sender: bob,
    state_key: bob,
    content: { membership: 'join' },
    origin_server_ts: 5,
    prev_events: ['$jr'],
    auth_events: ['$create', '$pl', '$jr'],
  });
  const base = ['$create', '$alice', '$pl', '$jr', '$bob'];
  return { events, add, state, base, lookup: (id: string) => events.get(id) };
}

const name = (resolved: StateIds, events: Map<string, Pdu>) => events.get(resolved.get(authKey('m.room.name', ''))!)?.content.name;

for (const [version, alice, bob] of [
  ['11', '@alice:alpha', '@bob:beta'],
  ['org.matrix.12.4430', `@${'A'.repeat(43)}`, `@${'B'.repeat(43)}`],
] as const) {
  describe(`state resolution in room version ${version}`, () => {
    it('two concurrent name changes: the later one (mainline order, then timestamp) wins whatever the input order', () => {
      const room = roomBuilder(version, alice, bob);
      room.add('$nameA', {
        type: 'm.room.name',
        sender: alice,
        state_key: '',
        content: { name: 'A' },
        origin_server_ts: 20,
        prev_events: ['$bob'],
        auth_events: ['$create', '$pl', '$alice'],
      });
      room.add('$nameB', {
        type: 'm.room.name',
        sender: bob,
        state_key: '',
        content: { name: 'B' },
        origin_server_ts: 10,
        prev_events: ['$bob'],
        auth_events: ['$create', '$pl', '$bob'],
      });
      const forkA = room.state([...room.base, '$nameA']);
      const forkB = room.state([...room.base, '$nameB']);
      const input = { version, lookup: room.lookup, createEventId: '$create' };
      expect(name(resolveState({ ...input, states: [forkA, forkB] }), room.events)).toBe('A');
      expect(name(resolveState({ ...input, states: [forkB, forkA] }), room.events)).toBe('A');
    });

    it('a ban on one fork beats the banned member’s concurrent state change on the other', () => {
      const room = roomBuilder(version, alice, bob);
      room.add('$name0', {
        type: 'm.room.name',
        sender: alice,
        state_key: '',
        content: { name: 'original' },
        origin_server_ts: 6,
        prev_events: ['$bob'],
        auth_events: ['$create', '$pl', '$alice'],
      });
      room.add('$ban', {
        type: 'm.room.member',
        sender: alice,
        state_key: bob,
        content: { membership: 'ban' },
        origin_server_ts: 30,
        prev_events: ['$name0'],
        auth_events: ['$create', '$pl', '$alice', '$bob'],
      });
      room.add('$nameBob', {
        type: 'm.room.name',
        sender: bob,
        state_key: '',
        content: { name: 'hijacked' },
        origin_server_ts: 40,
        prev_events: ['$name0'],
        auth_events: ['$create', '$pl', '$bob'],
      });
      const forkA = room.state([...room.base, '$name0', '$ban']);
      const forkB = room.state([...room.base, '$name0', '$nameBob']);
      const resolved = resolveState({ version, lookup: room.lookup, createEventId: '$create', states: [forkB, forkA] });
      expect(resolved.get(authKey('m.room.member', bob))).toBe('$ban');
      expect(name(resolved, room.events)).toBe('original');
    });

    it('unconflicted state passes through; identical states resolve to themselves', () => {
      const room = roomBuilder(version, alice, bob);
      const s = room.state(room.base);
      expect(resolveState({ version, lookup: room.lookup, createEventId: '$create', states: [s, new Map(s)] })).toEqual(s);
    });
  });
}
