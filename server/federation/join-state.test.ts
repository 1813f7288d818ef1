import { describe, expect, it } from 'vitest';
import type { Pdu } from '../rooms/pdu';
import { authorisedByTheirAuthEvents } from './federation';
import { joinInsertionOrder } from './perform-membership';

const alice = '@alice:alpha';
const bob = '@bob:beta';
const event = (type: string, sender: string, stateKey: string, content: Record<string, unknown>, auth: string[], prev: string[]): Pdu => ({
  type,
  sender,
  state_key: stateKey,
  content,
  room_id: '!r:alpha',
  origin_server_ts: 1,
  depth: 1,
  prev_events: prev,
  auth_events: auth,
});

describe('state handed over by a resident server on join', () => {
  it('keeps events the auth rules allow and drops those they do not', () => {
    const state = new Map<string, Pdu>([
      ['$create', event('m.room.create', alice, '', { room_version: '11' }, [], [])],
      ['$alice', event('m.room.member', alice, alice, { membership: 'join' }, ['$create'], ['$create'])],
      ['$pl', event('m.room.power_levels', alice, '', { users: { [alice]: 100 }, state_default: 50 }, ['$create', '$alice'], ['$alice'])],
      ['$jr', event('m.room.join_rules', alice, '', { join_rule: 'public' }, ['$create', '$alice', '$pl'], ['$pl'])],
      ['$bob', event('m.room.member', bob, bob, { membership: 'join' }, ['$create', '$pl', '$jr'], ['$jr'])],
      // Bob (level 0) "names" the room: the auth rules refuse it, whatever the resident claims.
      ['$name', event('m.room.name', bob, '', { name: 'taken over' }, ['$create', '$pl', '$bob'], ['$bob'])],
    ]);
    const kept = authorisedByTheirAuthEvents(state, new Map(), '11', '$create');
    expect([...kept.keys()]).toEqual(['$create', '$alice', '$pl', '$jr', '$bob']);
  });
});

describe('the order a joining server stores the history and state it was handed', () => {
  const at = (pdu: Pdu, depth: number): Pdu => ({ ...pdu, depth });
  const create = at(event('m.room.create', alice, '', { room_version: '11' }, [], []), 1);
  const aliceJoin = at(event('m.room.member', alice, alice, { membership: 'join' }, ['$create'], ['$create']), 2);
  const named = at(event('m.room.name', alice, '', { name: 'Garden' }, ['$create', '$alice'], ['$alice']), 3);
  const bobJoin = at(event('m.room.member', bob, bob, { membership: 'join' }, ['$create'], ['$name']), 4);
  const said = at({ ...event('m.room.message', bob, '', { body: 'hi' }, ['$create', '$bob'], ['$bob']), state_key: undefined }, 5);
  const bobLeft = at(event('m.room.member', bob, bob, { membership: 'leave' }, ['$create', '$bob'], ['$said']), 6);
  // The room's state at the join: bob has left.
  const state = new Map([
    ['$create', create],
    ['$alice', aliceJoin],
    ['$name', named],
    ['$bobLeft', bobLeft],
  ]);

  it('history in the room’s order, the creation first, even where the state holds a later event of a key', () => {
    const history = new Map([
      ['$said', said],
      ['$bobJoin', bobJoin],
      ['$create', create],
      ['$name', named],
      ['$alice', aliceJoin],
      ['$bobLeft', bobLeft],
    ]);
    expect(joinInsertionOrder(history, state)).toEqual([
      { id: '$create', pdu: create, outlier: false },
      { id: '$alice', pdu: aliceJoin, outlier: false },
      { id: '$name', pdu: named, outlier: false },
      { id: '$bobJoin', pdu: bobJoin, outlier: false },
      { id: '$said', pdu: said, outlier: false },
      { id: '$bobLeft', pdu: bobLeft, outlier: false },
    ]);
  });

  it('state the history does not reach is held as outliers, after it', () => {
    const history = new Map([
      ['$said', said],
      ['$bobLeft', bobLeft],
    ]);
    expect(joinInsertionOrder(history, state).map(({ id, outlier }) => [id, outlier])).toEqual([
      ['$said', false],
      ['$bobLeft', false],
      ['$create', true],
      ['$alice', true],
      ['$name', true],
    ]);
  });

  it('a state event that a later event of its key overtook in the history (a fork state resolution decided) comes last', () => {
    const lost = at(event('m.room.name', alice, '', { name: 'Lost fork' }, ['$create', '$alice'], ['$alice']), 4);
    const history = new Map([
      ['$create', create],
      ['$alice', aliceJoin],
      ['$name', named],
      ['$lost', lost],
      ['$said', said],
    ]);
    const state = new Map([
      ['$create', create],
      ['$alice', aliceJoin],
      ['$name', named],
    ]);
    const order = joinInsertionOrder(history, state).map(({ id }) => id);
    expect(order).toEqual(['$create', '$alice', '$lost', '$said', '$name']);
  });
});
