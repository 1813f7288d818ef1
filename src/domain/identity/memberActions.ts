// What the inspector lets you do to the member you see, and at whom it is aimed. In member-key rooms every action
// names the member key (its stable ID `@<key>`), never a user ID: two keys may claim one handle, and the server
// refuses an ambiguous user ID (server/client-api/membership.ts) rather than guess. A handle claim is shown with
// the key in every confirmation, so the person is named by what cannot be forged next to what is claimed.
import type { Room } from 'matrix-js-sdk';
import { getRoomVersion, isKeyIdentity } from '../../protocol';
import { senderIdentity } from './sender';

/** The ID a membership or power-level change names: the stable ID for a member key, else the user ID. */
export function actionTarget(identity: string): string {
  return isKeyIdentity(identity) ? `@${identity}` : identity;
}

export interface MemberPowers {
  kick: boolean;
  ban: boolean;
  unban: boolean;
  /** Changing this member's power level: allowed, and the highest level you may give. */
  changePower: boolean;
  maxPower: number;
}

const integer = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value);

/**
 * A member's power in the room, by identity. Member-key rooms key `users` by stable ID (`@<key>`); our homeserver
 * shows them by the mapped user ID (`userId`, what `sender` shows) for clients that know nothing of keys, creators at
 * the highest level. Room version 12's creators (the create event's sender and `additional_creators`) outrank every
 * level, which matrix-js-sdk 37 does not know.
 */
export function powerOfIdentity(room: Room, identity: string, userId?: string): number {
  const create = room.currentState.getStateEvents('m.room.create', '');
  const version = create?.getContent().room_version;
  const stable = actionTarget(identity);
  if (create && typeof version === 'string') {
    let byCreateHash = false;
    try {
      byCreateHash = getRoomVersion(version).roomIdFormat === 'create_event_hash';
    } catch {
      // an unknown room version: no creators' rule
    }
    if (byCreateHash) {
      const extra = create.getContent().additional_creators;
      const creators = [senderIdentity(create.event), ...(Array.isArray(extra) ? extra : [])].map((c) =>
        typeof c === 'string' && c.startsWith('@') && !c.includes(':') ? c.slice(1) : c,
      );
      if (creators.includes(identity) || creators.includes(stable)) return Number.POSITIVE_INFINITY;
    }
  }
  const levels = room.currentState.getStateEvents('m.room.power_levels', '')?.getContent();
  if (!levels) return create && senderIdentity(create.event) === identity ? 100 : 0;
  const users = (levels.users ?? {}) as Record<string, unknown>;
  const explicit = users[stable] ?? (userId !== undefined ? users[userId] : undefined);
  if (integer(explicit)) return explicit;
  return integer(levels.users_default) ? levels.users_default : 0;
}

/** Whether `identity` may invite in `room` (and so let in those asking to join): the invite level, 0 by default. */
export function mayInvite(room: Room, identity: string, userId?: string): boolean {
  const levels = room.currentState.getStateEvents('m.room.power_levels', '')?.getContent();
  const needed = integer(levels?.invite) ? (levels.invite as number) : 0;
  return powerOfIdentity(room, identity, userId) >= needed;
}

/** Whether `identity` may kick in `room` (and so refuse those asking to join): the kick level, 50 by default. */
export function mayKick(room: Room, identity: string, userId?: string): boolean {
  const levels = room.currentState.getStateEvents('m.room.power_levels', '')?.getContent();
  return powerOfIdentity(room, identity, userId) >= required(levels, 'kick');
}

function required(levels: Record<string, unknown> | undefined, name: 'kick' | 'ban'): number {
  return integer(levels?.[name]) ? (levels[name] as number) : 50;
}

/** The level needed to send the power_levels event. */
function powerLevelsLevel(levels: Record<string, unknown> | undefined): number {
  const events = (levels?.events ?? {}) as Record<string, unknown>;
  const explicit = events['m.room.power_levels'];
  if (integer(explicit)) return explicit;
  return integer(levels?.state_default) ? levels.state_default : levels ? 50 : 0;
}

/**
 * The spec's rules: kick and ban need their level and more power than the target has; changing a level needs the
 * power_levels event's level and more power than the target's current level, and gives at most your own.
 */
export function memberPowers(
  room: Room,
  me: { identity: string; userId: string },
  target: { identity: string; userId?: string; membership?: string },
): MemberPowers {
  const levels = room.currentState.getStateEvents('m.room.power_levels', '')?.getContent();
  const mine = powerOfIdentity(room, me.identity, me.userId);
  const theirs = powerOfIdentity(room, target.identity, target.userId);
  const above = me.identity !== target.identity && mine > theirs;
  const present = target.membership === 'join' || target.membership === 'invite';
  return {
    kick: above && present && mine >= required(levels, 'kick'),
    ban: above && target.membership !== 'ban' && mine >= required(levels, 'ban'),
    unban: above && target.membership === 'ban' && mine >= required(levels, 'ban'),
    changePower: above && mine >= powerLevelsLevel(levels),
    maxPower: Number.isFinite(mine) ? mine : 100,
  };
}

/**
 * The power_levels content with `identity` at `level`: listed by its stable ID, and no longer by the user ID it is
 * shown as (which another key may share), so the server has one entry to read.
 */
export function withPowerLevel(
  content: Record<string, unknown>,
  identity: string,
  shownAs: string | undefined,
  level: number,
): Record<string, unknown> {
  const users = { ...((content.users ?? {}) as Record<string, unknown>) };
  const stable = actionTarget(identity);
  if (shownAs !== undefined && shownAs !== stable) delete users[shownAs];
  users[stable] = level;
  return { ...content, users };
}
