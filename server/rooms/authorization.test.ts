// The auth rules as a pure function: each case builds the state before an event and checks allow/refuse.
import { describe, expect, it } from 'vitest';
import { AuthError, authKey, checkAuth, mayRedact, powerLevelOf } from './authorization';
import type { Pdu } from './pdu';

const V11 = '11';
const MK = 'org.matrix.12.4430';
const alice = '@alice:a.test';
const bob = '@bob:a.test';
const carol = '@carol:a.test';

function pdu(type: string, sender: string, content: Record<string, unknown>, stateKey?: string): Pdu {
  return {
    type,
    sender,
    content,
    room_id: '!r:a.test',
    origin_server_ts: 0,
    depth: 1,
    prev_events: ['$p'],
    auth_events: [],
    ...(stateKey !== undefined ? { state_key: stateKey } : {}),
  };
}

function state(...events: Pdu[]): Map<string, Pdu> {
  return new Map(events.map((e) => [authKey(e.type, e.state_key ?? ''), e]));
}

const create = { ...pdu('m.room.create', alice, { room_version: V11 }, ''), prev_events: [] };
const levels = pdu(
  'm.room.power_levels',
  alice,
  {
    users: { [alice]: 100, [bob]: 50 },
    users_default: 0,
    kick: 50,
    ban: 50,
    invite: 0,
    redact: 50,
    state_default: 50,
    events: { 'm.room.name': 50 },
  },
  '',
);
const join = (user: string) => pdu('m.room.member', user, { membership: 'join' }, user);
const base = () => state(create, levels, join(alice), join(bob), pdu('m.room.join_rules', alice, { join_rule: 'invite' }, ''));

const allowed = (event: Pdu, s: Map<string, Pdu>, version = V11, afterCreate = false) => {
  try {
    checkAuth(event, s, version, afterCreate);
    return true;
  } catch (error) {
    if (error instanceof AuthError) return false;
    throw error;
  }
};

describe('authorization rules', () => {
  it('lets the creator join right after the create event and nobody else', () => {
    expect(allowed(join(alice), state(create), V11, true)).toBe(true);
    expect(allowed(join(bob), state(create), V11, true)).toBe(false);
  });

  it('enforces join rules: invite-only needs an invite, public does not, bans always refuse', () => {
    expect(allowed(join(carol), base())).toBe(false);
    const invited = base();
    invited.set(authKey('m.room.member', carol), pdu('m.room.member', alice, { membership: 'invite' }, carol));
    expect(allowed(join(carol), invited)).toBe(true);
    const open = base();
    open.set(authKey('m.room.join_rules', ''), pdu('m.room.join_rules', alice, { join_rule: 'public' }, ''));
    expect(allowed(join(carol), open)).toBe(true);
    open.set(authKey('m.room.member', carol), pdu('m.room.member', alice, { membership: 'ban' }, carol));
    expect(allowed(join(carol), open)).toBe(false);
    expect(allowed(pdu('m.room.member', bob, { membership: 'join' }, carol), open)).toBe(false);
  });

  it('kicks and bans need the level and a target below the sender', () => {
    const s = base();
    expect(allowed(pdu('m.room.member', bob, { membership: 'leave' }, alice), s)).toBe(false);
    expect(allowed(pdu('m.room.member', alice, { membership: 'leave' }, bob), s)).toBe(true);
    expect(allowed(pdu('m.room.member', alice, { membership: 'ban' }, bob), s)).toBe(true);
    s.set(authKey('m.room.member', carol), join(carol));
    expect(allowed(pdu('m.room.member', carol, { membership: 'ban' }, bob), s)).toBe(false);
    expect(allowed(pdu('m.room.member', carol, { membership: 'leave' }, carol), s)).toBe(true);
  });

  it('non-members cannot send; senders need the event level; @-state keys belong to their user', () => {
    const s = base();
    expect(allowed(pdu('m.room.message', carol, { body: 'hi' }), s)).toBe(false);
    expect(allowed(pdu('m.room.message', bob, { body: 'hi' }), s)).toBe(true);
    s.set(authKey('m.room.member', carol), join(carol));
    expect(allowed(pdu('m.room.name', carol, { name: 'x' }, ''), s)).toBe(false);
    expect(allowed(pdu('m.room.name', bob, { name: 'x' }, ''), s)).toBe(true);
    expect(allowed(pdu('org.example', bob, {}, alice), s)).toBe(false);
  });

  it('power level changes cannot exceed the sender or touch peers, and values must be integers', () => {
    const s = base();
    const change = (sender: string, content: Record<string, unknown>) => allowed(pdu('m.room.power_levels', sender, content, ''), s);
    expect(change(bob, { ...levels.content, users: { [alice]: 100, [bob]: 50, [carol]: 50 } })).toBe(true);
    expect(change(bob, { ...levels.content, users: { [alice]: 100, [bob]: 50, [carol]: 75 } })).toBe(false);
    expect(change(bob, { ...levels.content, users: { [alice]: 0, [bob]: 50 } })).toBe(false);
    expect(change(alice, { ...levels.content, users: { [alice]: 100, [bob]: '50' } })).toBe(false);
  });

  it('member-key rooms: creators have unlimited power and may not be listed in users', () => {
    const key = `@${'A'.repeat(43)}`;
    const other = `@${'B'.repeat(43)}`;
    const mkCreate: Pdu = { ...pdu('m.room.create', key, { room_version: MK }, ''), prev_events: [] };
    delete mkCreate.room_id;
    expect(allowed(mkCreate, new Map(), MK)).toBe(true);
    expect(allowed({ ...mkCreate, room_id: '!x' }, new Map(), MK)).toBe(false);
    const s = state(mkCreate, pdu('m.room.member', key, { membership: 'join' }, key));
    expect(powerLevelOf(key, s, MK)).toBe(Infinity);
    expect(allowed(pdu('m.room.power_levels', key, { users: { [key]: 100 } }, ''), s, MK)).toBe(false);
    expect(allowed(pdu('m.room.power_levels', key, { users: { [other]: 100 } }, ''), s, MK)).toBe(true);
    expect(allowed(pdu('m.room.power_levels', key, { users: { '@bob:a.test': 100 } }, ''), s, MK)).toBe(false);
  });

  it('redactions: own events, or with the redact level', () => {
    const s = base();
    const message = pdu('m.room.message', bob, { body: 'x' });
    expect(mayRedact(bob, message, s, V11)).toBe(true);
    expect(mayRedact(alice, message, s, V11)).toBe(true);
    s.set(authKey('m.room.member', carol), join(carol));
    expect(mayRedact(carol, message, s, V11)).toBe(false);
  });
});
