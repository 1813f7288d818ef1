// The spec's authorization rules (room versions 11 and 12, with MSC4430's changes for member keys), as a
// pure function of an event and the state before it. Third-party invites and restricted joins are not supported.
import type { Pdu } from './pdu';
import { hasRoomIdFromCreate, isSupportedRoomVersion, usesMemberKeys } from './room-versions';

export type AuthState = ReadonlyMap<string, Pdu>;
export const authKey = (type: string, stateKey: string) => `${type}\u0000${stateKey}`;

export class AuthError extends Error {}

const fail = (reason: string): never => {
  throw new AuthError(reason);
};

const integerLike = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value);

export function creatorsOf(create: Pdu, roomVersion: string): string[] {
  if (!hasRoomIdFromCreate(roomVersion)) return [create.sender];
  const extra = create.content.additional_creators;
  return [create.sender, ...(Array.isArray(extra) ? extra.filter((c): c is string => typeof c === 'string') : [])];
}

export function powerLevelOf(userId: string, state: AuthState, roomVersion: string): number {
  const create = state.get(authKey('m.room.create', ''));
  if (create && hasRoomIdFromCreate(roomVersion) && creatorsOf(create, roomVersion).includes(userId)) return Infinity;
  const levels = state.get(authKey('m.room.power_levels', ''))?.content;
  if (!levels) return create && create.sender === userId ? 100 : 0;
  const users = (levels.users ?? {}) as Record<string, unknown>;
  const explicit = users[userId];
  if (integerLike(explicit)) return explicit;
  return integerLike(levels.users_default) ? levels.users_default : 0;
}

/** Named power levels with the spec's defaults (`invite` 0, `kick`/`ban`/`redact` 50, state_default 50 once a power levels event exists). */
export function requiredLevel(name: 'invite' | 'kick' | 'ban' | 'redact', state: AuthState): number {
  const levels = state.get(authKey('m.room.power_levels', ''))?.content;
  const value = levels?.[name];
  if (integerLike(value)) return value;
  return name === 'invite' ? 0 : 50;
}

export function eventLevel(type: string, isState: boolean, state: AuthState): number {
  const levels = state.get(authKey('m.room.power_levels', ''))?.content;
  const events = (levels?.events ?? {}) as Record<string, unknown>;
  const explicit = events[type];
  if (integerLike(explicit)) return explicit;
  if (isState) return levels ? (integerLike(levels.state_default) ? levels.state_default : 50) : 0;
  return levels && integerLike(levels.events_default) ? levels.events_default : 0;
}

function membershipOf(userId: string, state: AuthState): string {
  const content = state.get(authKey('m.room.member', userId))?.content;
  return typeof content?.membership === 'string' ? content.membership : 'leave';
}

function isValidMemberId(id: unknown, roomVersion: string): boolean {
  if (typeof id !== 'string' || !id.startsWith('@')) return false;
  return usesMemberKeys(roomVersion) ? /^@[A-Za-z0-9_-]{43}$/.test(id) : /^@[^:]+:.+$/.test(id);
}

/**
 * Throws AuthError when `event` is not allowed given `state` (the room state before it).
 * `previousEventIsCreate` is true when the only prev_event is the room's create event.
 */
export function checkAuth(event: Pdu, state: AuthState, roomVersion: string, previousEventIsCreate: boolean): void {
  if (event.type === 'm.room.create') return checkCreate(event, roomVersion);

  const create = state.get(authKey('m.room.create', '')) ?? fail('no m.room.create event in the room state');
  if (!isSupportedRoomVersion(String(create.content.room_version ?? '1'))) fail('unsupported room version');

  if (event.type === 'm.room.member') return checkMember(event, state, roomVersion, create, previousEventIsCreate);

  if (membershipOf(event.sender, state) !== 'join') fail(`${event.sender} is not joined to the room`);
  const senderLevel = powerLevelOf(event.sender, state, roomVersion);
  if (eventLevel(event.type, event.state_key !== undefined, state) > senderLevel)
    fail(`${event.sender} lacks the power level to send ${event.type}`);
  if (typeof event.state_key === 'string' && event.state_key.startsWith('@') && event.state_key !== event.sender) {
    fail('state keys starting with @ are owned by that user');
  }
  if (event.type === 'm.room.power_levels') checkPowerLevels(event, state, roomVersion, create, senderLevel);
}

function checkCreate(event: Pdu, roomVersion: string): void {
  if (event.prev_events.length > 0) fail('m.room.create must have no prev_events');
  if (hasRoomIdFromCreate(roomVersion)) {
    if ('room_id' in event) fail('m.room.create must not have a room_id in this room version');
    const extra = event.content.additional_creators;
    if (extra !== undefined && (!Array.isArray(extra) || !extra.every((c) => isValidMemberId(c, roomVersion)))) {
      fail('additional_creators must be an array of valid member IDs');
    }
  } else if (
    typeof event.room_id !== 'string' ||
    event.room_id.split(':').slice(1).join(':') !== event.sender.split(':').slice(1).join(':')
  ) {
    fail('the room ID domain must match the sender domain');
  }
  if (event.content.room_version !== undefined && event.content.room_version !== roomVersion)
    fail('content.room_version does not match the room');
}

function checkMember(event: Pdu, state: AuthState, roomVersion: string, create: Pdu, previousEventIsCreate: boolean): void {
  const target = event.state_key;
  const membership = event.content.membership;
  if (typeof target !== 'string' || typeof membership !== 'string') fail('member events need a state_key and content.membership');
  const targetId = target as string;
  if (!isValidMemberId(targetId, roomVersion)) fail('state_key is not a valid member ID');
  if (event.content.join_authorised_via_users_server !== undefined) fail('restricted joins are not supported');
  const senderMembership = membershipOf(event.sender, state);
  const targetMembership = membershipOf(targetId, state);
  const senderLevel = powerLevelOf(event.sender, state, roomVersion);
  const targetLevel = powerLevelOf(targetId, state, roomVersion);
  const joinRule = state.get(authKey('m.room.join_rules', ''))?.content.join_rule ?? 'invite';

  switch (membership) {
    case 'join': {
      if (previousEventIsCreate && creatorsOf(create, roomVersion).includes(targetId) && event.sender === targetId) return;
      if (event.sender !== targetId) fail('a user can only join for themselves');
      if (targetMembership === 'ban') fail('banned from the room');
      if (joinRule === 'public') return;
      if ((joinRule === 'invite' || joinRule === 'knock') && (targetMembership === 'invite' || targetMembership === 'join')) return;
      return fail(`cannot join a room with join rule ${String(joinRule)} without an invite`);
    }
    case 'invite': {
      if (senderMembership !== 'join') fail('the inviter is not joined');
      if (targetMembership === 'ban' || targetMembership === 'join')
        fail(`the invitee is already ${targetMembership === 'ban' ? 'banned' : 'joined'}`);
      if (senderLevel < requiredLevel('invite', state)) fail('not allowed to invite');
      return;
    }
    case 'leave': {
      if (event.sender === targetId) {
        if (['invite', 'join', 'knock'].includes(targetMembership)) return;
        return fail('not in the room');
      }
      if (senderMembership !== 'join') fail('the sender is not joined');
      if (targetMembership === 'ban' && senderLevel < requiredLevel('ban', state)) fail('not allowed to unban');
      if (senderLevel >= requiredLevel('kick', state) && targetLevel < senderLevel) return;
      return fail('not allowed to kick this member');
    }
    case 'ban': {
      if (senderMembership !== 'join') fail('the sender is not joined');
      if (senderLevel >= requiredLevel('ban', state) && targetLevel < senderLevel) return;
      return fail('not allowed to ban this member');
    }
    case 'knock': {
      if (joinRule !== 'knock') fail('the room does not allow knocking');
      if (event.sender !== targetId) fail('a user can only knock for themselves');
      if (['ban', 'join', 'invite'].includes(targetMembership)) fail(`cannot knock while ${targetMembership}`);
      return;
    }
    default:
      fail(`unknown membership ${JSON.stringify(membership)}`);
  }
}

function checkPowerLevels(event: Pdu, state: AuthState, roomVersion: string, create: Pdu, senderLevel: number): void {
  const next = event.content;
  for (const key of ['users_default', 'events_default', 'state_default', 'ban', 'redact', 'kick', 'invite']) {
    if (next[key] !== undefined && !integerLike(next[key])) fail(`power level ${key} must be an integer`);
  }
  for (const field of ['events', 'users', 'notifications']) {
    const map = next[field];
    if (map === undefined) continue;
    if (typeof map !== 'object' || map === null || Array.isArray(map)) fail(`${field} must be an object`);
    for (const [key, value] of Object.entries(map as Record<string, unknown>)) {
      if (!integerLike(value)) fail(`${field}.${key} must be an integer`);
      if (field === 'users' && !isValidMemberId(key, roomVersion)) fail(`users key ${key} is not a valid member ID`);
    }
  }
  if (hasRoomIdFromCreate(roomVersion)) {
    const users = (next.users ?? {}) as Record<string, unknown>;
    for (const creator of creatorsOf(create, roomVersion)) if (creator in users) fail('room creators may not appear in users');
  }
  const previous = state.get(authKey('m.room.power_levels', ''))?.content;
  if (!previous) return;

  const changed = (before: unknown, after: unknown) => before !== after;
  const guard = (before: unknown, after: unknown, label: string) => {
    if (!changed(before, after)) return;
    if (integerLike(before) && before > senderLevel) fail(`cannot change ${label} from a level above your own`);
    if (integerLike(after) && after > senderLevel) fail(`cannot set ${label} above your own level`);
  };
  for (const key of ['users_default', 'events_default', 'state_default', 'ban', 'redact', 'kick', 'invite'])
    guard(previous[key], next[key], key);
  for (const field of ['events', 'notifications']) {
    const before = (previous[field] ?? {}) as Record<string, unknown>;
    const after = (next[field] ?? {}) as Record<string, unknown>;
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) guard(before[key], after[key], `${field}.${key}`);
  }
  const beforeUsers = (previous.users ?? {}) as Record<string, unknown>;
  const afterUsers = (next.users ?? {}) as Record<string, unknown>;
  for (const user of new Set([...Object.keys(beforeUsers), ...Object.keys(afterUsers)])) {
    if (!changed(beforeUsers[user], afterUsers[user])) continue;
    if (user !== event.sender && integerLike(beforeUsers[user]) && (beforeUsers[user] as number) >= senderLevel) {
      fail(`cannot change the level of ${user}, who is not below you`);
    }
    guard(beforeUsers[user], afterUsers[user], `users.${user}`);
  }
}

/** May `redaction.sender` redact `target`? (Its own events, or any with the `redact` level.) */
export function mayRedact(redactionSender: string, target: Pdu, state: AuthState, roomVersion: string): boolean {
  if (redactionSender === target.sender) return true;
  return powerLevelOf(redactionSender, state, roomVersion) >= requiredLevel('redact', state);
}
