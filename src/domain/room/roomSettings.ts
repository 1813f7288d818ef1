// Room settings (issue 17), as Element Web's room settings have them: what the room's state says now, what this
// account may change (the auth rules' levels, read by identity so member-key rooms count the key's power), and the
// room's notification level as push rules (Element's: a `room` rule with no actions for "mentions and keywords", an
// `override` rule on the room ID with no actions for "mute"). Pure over plain state contents where it can be.
import type { Room } from 'matrix-js-sdk';
import { powerOfIdentity } from '../identity/memberActions';

export type JoinRule = 'public' | 'invite' | 'knock' | 'restricted' | 'knock_restricted' | 'private';
export type HistoryVisibility = 'world_readable' | 'shared' | 'invited' | 'joined';
export type NotificationLevel = 'all' | 'mentions' | 'mute';

/** The state types the settings write, each needing its level in `m.room.power_levels`. */
export const SETTING_TYPES = [
  'm.room.name',
  'm.room.topic',
  'm.room.avatar',
  'm.room.canonical_alias',
  'm.room.join_rules',
  'm.room.history_visibility',
  'm.room.guest_access',
  'm.room.power_levels',
] as const;
export type SettingType = (typeof SETTING_TYPES)[number];

export interface RoomSettingsState {
  name: string;
  topic: string;
  avatarMxc?: string;
  canonicalAlias?: string;
  altAliases: readonly string[];
  joinRule: JoinRule;
  historyVisibility: HistoryVisibility;
  guestAccess: boolean;
  /** May this account send each settings state event? */
  can: Record<SettingType, boolean>;
  /**
   * Has this account the kick level (a moderator)? Our server lets moderators (and an alias's creator) remove
   * aliases and list the room in its directory, as Synapse does.
   */
  moderator: boolean;
}

type Content = Record<string, unknown>;
const integer = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * The level a state event of `type` needs: its entry in `events`, else `state_default` (50 when the power_levels
 * event omits it); with no power_levels event at all, anyone may send state (the auth rules' default of 0).
 */
export function stateLevel(levels: Content | undefined, type: string): number {
  if (!levels) return 0;
  const events = (levels.events ?? {}) as Content;
  if (integer(events[type])) return events[type];
  return integer(levels.state_default) ? levels.state_default : 50;
}

const JOIN_RULES: readonly JoinRule[] = ['public', 'invite', 'knock', 'restricted', 'knock_restricted', 'private'];
const VISIBILITIES: readonly HistoryVisibility[] = ['world_readable', 'shared', 'invited', 'joined'];

export function readRoomSettings(room: Room, me: { identity: string; userId: string }): RoomSettingsState {
  const content = (type: string): Content => room.currentState.getStateEvents(type, '')?.getContent() ?? {};
  const levels = room.currentState.getStateEvents('m.room.power_levels', '')?.getContent();
  const mine = powerOfIdentity(room, me.identity, me.userId);
  const can = Object.fromEntries(SETTING_TYPES.map((type) => [type, mine >= stateLevel(levels, type)])) as Record<SettingType, boolean>;
  const aliases = content('m.room.canonical_alias');
  const joinRule = text(content('m.room.join_rules').join_rule);
  const visibility = text(content('m.room.history_visibility').history_visibility);
  return {
    name: text(content('m.room.name').name) ?? '',
    topic: text(content('m.room.topic').topic) ?? '',
    avatarMxc: text(content('m.room.avatar').url) || undefined,
    canonicalAlias: text(aliases.alias) || undefined,
    altAliases: Array.isArray(aliases.alt_aliases) ? aliases.alt_aliases.filter((a): a is string => typeof a === 'string') : [],
    // The auth rules treat a room without a join rule as invite-only; history defaults to shared (spec).
    joinRule: JOIN_RULES.includes(joinRule as JoinRule) ? (joinRule as JoinRule) : 'invite',
    historyVisibility: VISIBILITIES.includes(visibility as HistoryVisibility) ? (visibility as HistoryVisibility) : 'shared',
    guestAccess: content('m.room.guest_access').guest_access === 'can_join',
    can,
    moderator: mine >= (levels && integer(levels.kick) ? levels.kick : 50),
  };
}

/** A local alias as the user types it (`garden`, `#garden`, `#garden:server`) made whole for `server`; undefined when it cannot be one. */
export function localAlias(input: string, server: string): string | undefined {
  let localpart = input.trim().replace(/^#/, '');
  const suffix = `:${server}`;
  if (localpart.endsWith(suffix)) localpart = localpart.slice(0, -suffix.length);
  // The spec's grammar for an alias's localpart excludes ':' and whitespace; the whole alias is at most 255 bytes.
  if (localpart === '' || /[\s:#]/.test(localpart)) return undefined;
  const alias = `#${localpart}${suffix}`;
  return new TextEncoder().encode(alias).length <= 255 ? alias : undefined;
}

/** The canonical alias content with `main` as the main address, keeping the alternatives that are not it. */
export function canonicalAliasContent(
  current: { canonicalAlias?: string; altAliases: readonly string[] },
  main: string | undefined,
): Content {
  const alt = current.altAliases.filter((a) => a !== main);
  return { ...(main ? { alias: main } : {}), ...(alt.length > 0 ? { alt_aliases: alt } : {}) };
}

// --- Notification level ------------------------------------------------------------------------------------------

export interface PushRuleLike {
  rule_id: string;
  enabled?: boolean;
  actions?: unknown[];
  conditions?: { kind: string; key?: string; pattern?: string }[];
}
export interface PushRulesLike {
  global?: { override?: PushRuleLike[]; room?: PushRuleLike[] };
}

/** No action that notifies: the spec's `[]`, or the deprecated `dont_notify` older clients wrote. */
const silent = (rule: PushRuleLike) => (rule.actions ?? []).every((a) => a === 'dont_notify');

/** A mute: an enabled override rule that matches exactly this room's events and does nothing with them. */
function isMuteRule(rule: PushRuleLike, roomId: string): boolean {
  if (rule.enabled === false || !silent(rule)) return false;
  const conditions = rule.conditions ?? [];
  return (
    conditions.length === 1 &&
    conditions[0]!.kind === 'event_match' &&
    conditions[0]!.key === ROOM_ID_FIELD &&
    conditions[0]!.pattern === roomId
  );
}

export function notificationLevelOf(rules: PushRulesLike | undefined, roomId: string): NotificationLevel {
  if ((rules?.global?.override ?? []).some((r) => isMuteRule(r, roomId))) return 'mute';
  const roomRule = (rules?.global?.room ?? []).find((r) => r.rule_id === roomId);
  if (roomRule && roomRule.enabled !== false && silent(roomRule)) return 'mentions';
  return 'all';
}

/** The event field a mute rule matches. */
const ROOM_ID_FIELD = 'room_id';
/** The condition that matches one room's events. */
const roomCondition = (roomId: string) => ({ kind: 'event_match', key: ROOM_ID_FIELD, pattern: roomId });

export type PushRuleChange =
  | { op: 'delete'; kind: 'override' | 'room'; ruleId: string }
  | { op: 'add'; kind: 'override' | 'room'; ruleId: string; body: Content };

/** The push-rule writes that take the room from its present level to `level` (Element's scheme). */
export function notificationLevelChanges(rules: PushRulesLike | undefined, roomId: string, level: NotificationLevel): PushRuleChange[] {
  const changes: PushRuleChange[] = [];
  const hasOverride = (rules?.global?.override ?? []).some((r) => r.rule_id === roomId);
  const hasRoom = (rules?.global?.room ?? []).some((r) => r.rule_id === roomId);
  if (hasOverride && level !== 'mute') changes.push({ op: 'delete', kind: 'override', ruleId: roomId });
  if (hasRoom && level !== 'mentions') changes.push({ op: 'delete', kind: 'room', ruleId: roomId });
  if (level === 'mute')
    changes.push({
      op: 'add',
      kind: 'override',
      ruleId: roomId,
      body: { conditions: [roomCondition(roomId)], actions: [] },
    });
  if (level === 'mentions') changes.push({ op: 'add', kind: 'room', ruleId: roomId, body: { actions: [] } });
  return changes;
}
