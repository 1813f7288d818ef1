import { describe, expect, it } from 'vitest';
import type { Pdu } from '../rooms/pdu';
import { authorisedByTheirAuthEvents } from './federation';

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
