// The old account as this device last saw it, from /sync-shaped data: a live /sync response, or matrix-js-sdk's
// saved sync (its IndexedDB cache), which is what makes a plan possible with the old server offline. Pure.
import {
  CREATOR_NONCE_FIELD,
  KEY_NONCE_FIELD,
  KNOWN_ROOM_VERSIONS,
  MEMBER_KEY_NONCE_UNSIGNED_FIELD,
  serverNameOf,
  STABLE_ID_STATE_KEY_FIELD,
} from '../../protocol';
import type { AccountSnapshot, InviteSnapshot, PushRuleCopy, RoomSnapshot, ServerAcl } from './plan';

interface RawEvent {
  type?: unknown;
  state_key?: unknown;
  sender?: unknown;
  content?: unknown;
  unsigned?: unknown;
}

export interface JoinedRoomData {
  state?: { events?: RawEvent[] };
  timeline?: { events?: RawEvent[] };
  account_data?: { events?: RawEvent[] };
}

export interface InvitedRoomData {
  invite_state?: { events?: RawEvent[] };
}

/** The parts of a sync this needs: joined and invited rooms, and global account data. */
export interface SyncData {
  rooms?: { join?: Record<string, JoinedRoomData>; invite?: Record<string, InvitedRoomData> };
  account_data?: { events?: RawEvent[] };
}

/** matrix-js-sdk's saved sync (`client.store.getSavedSync()`) in the shape of a /sync response. */
export function syncFromSaved(
  saved:
    | { roomsData?: { join?: Record<string, JoinedRoomData>; invite?: Record<string, InvitedRoomData> }; accountData?: RawEvent[] }
    | null
    | undefined,
): SyncData {
  return {
    rooms: { join: saved?.roomsData?.join ?? {}, invite: saved?.roomsData?.invite ?? {} },
    account_data: { events: saved?.accountData ?? [] },
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown, fallback: number): number => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);

/** The latest state per (type, state_key): state first, then state events in the timeline. */
function currentState(room: JoinedRoomData): Map<string, RawEvent> {
  const state = new Map<string, RawEvent>();
  for (const event of [...(room.state?.events ?? []), ...(room.timeline?.events ?? [])]) {
    if (typeof event.type === 'string' && typeof event.state_key === 'string') state.set(`${event.type}\u0000${event.state_key}`, event);
  }
  return state;
}

function contentOf(state: Map<string, RawEvent>, type: string, stateKey = ''): Record<string, unknown> {
  const content = state.get(`${type}\u0000${stateKey}`)?.content;
  return isObject(content) ? content : {};
}

export function roomFromSync(roomId: string, room: JoinedRoomData, userId: string, ownServer: string): RoomSnapshot | undefined {
  const state = currentState(room);
  const me = state.get(`m.room.member\u0000${userId}`);
  if (!me || !isObject(me.content) || me.content.membership !== 'join') return undefined;
  const create = contentOf(state, 'm.room.create');
  const version = str(create.room_version) ?? '1';
  const memberKeys = Object.hasOwn(KNOWN_ROOM_VERSIONS, version) && KNOWN_ROOM_VERSIONS[version]!.usesMemberKeys;
  const memberKey = memberKeys && isObject(me.unsigned) ? str(me.unsigned[STABLE_ID_STATE_KEY_FIELD]) : undefined;
  const levels = contentOf(state, 'm.room.power_levels');
  const users = isObject(levels.users) ? levels.users : {};
  const events = isObject(levels.events) ? levels.events : {};
  const usersDefault = num(levels.users_default, 0);
  const servers = new Set<string>();
  for (const event of state.values()) {
    if (event.type !== 'm.room.member' || !isObject(event.content) || event.content.membership !== 'join') continue;
    // Member-key rooms: the claimed domain; classic rooms: the user ID's server.
    const domain = str(event.content.domain) ?? (typeof event.state_key === 'string' ? serverNameOf(event.state_key) : undefined);
    if (domain && !(typeof event.state_key === 'string' && event.state_key.startsWith('@_'))) servers.add(domain);
  }
  servers.delete(ownServer);
  const tagEvent = (room.account_data?.events ?? []).find((e) => e.type === 'm.tag');
  const tags =
    isObject(tagEvent?.content) && isObject(tagEvent.content.tags) ? (tagEvent.content.tags as Record<string, { order?: number }>) : {};
  const name = str(contentOf(state, 'm.room.name').name) ?? str(contentOf(state, 'm.room.canonical_alias').alias) ?? '';
  const acl = state.has('m.room.server_acl\u0000') ? contentOf(state, 'm.room.server_acl') : undefined;
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const serverAcl: ServerAcl | undefined = acl
    ? { allow: strings(acl.allow), deny: strings(acl.deny), allowIpLiterals: acl.allow_ip_literals !== false }
    : undefined;
  const banned: string[] = [];
  for (const event of state.values()) {
    if (event.type !== 'm.room.member' || !isObject(event.content) || event.content.membership !== 'ban') continue;
    const key = str(event.state_key);
    // Member-key rooms name the banned member by key; its claimed user ID is in the content.
    const claimed =
      str(event.content.localpart) && str(event.content.domain) ? `@${event.content.localpart}:${event.content.domain}` : undefined;
    if (claimed) banned.push(claimed);
    else if (key?.startsWith('@') && key.includes(':')) banned.push(key);
  }
  const joinRules = contentOf(state, 'm.room.join_rules');
  const allowRooms = Array.isArray(joinRules.allow)
    ? joinRules.allow.filter(isObject).flatMap((a) => (typeof a.room_id === 'string' ? [a.room_id] : []))
    : [];
  const historyVisibility = str(contentOf(state, 'm.room.history_visibility').history_visibility);
  return {
    roomId,
    name,
    version,
    memberKeys,
    ...(memberKey ? { memberKey } : {}),
    ...(str(create[CREATOR_NONCE_FIELD]) ? { creatorNonce: str(create[CREATOR_NONCE_FIELD]) } : {}),
    ...(memberKey && str(me.content[KEY_NONCE_FIELD]) ? { keyNonce: str(me.content[KEY_NONCE_FIELD]) } : {}),
    servers: [...servers].sort(),
    joinRule: str(contentOf(state, 'm.room.join_rules').join_rule) ?? 'invite',
    myPowerLevel: num(users[userId], usersDefault),
    usersDefault,
    invitePowerLevel: num(levels.invite, 0),
    powerLevelsChangeLevel: num(events['m.room.power_levels'], num(levels.state_default, 50)),
    ...(str(me.content.displayname) !== undefined ? { displayname: str(me.content.displayname) } : {}),
    ...(str(me.content.avatar_url) !== undefined ? { avatarUrl: str(me.content.avatar_url) } : {}),
    tags,
    ...(create['m.federate'] === false ? { federate: false } : {}),
    ...(serverAcl ? { serverAcl } : {}),
    ...(banned.length > 0 ? { banned } : {}),
    ...(historyVisibility ? { historyVisibility } : {}),
    ...(allowRooms.length > 0 ? { allowRooms } : {}),
  };
}

/** A pending invite from its stripped state: the room's name, who invited, and whether the key came from the pool. */
export function inviteFromSync(roomId: string, room: InvitedRoomData, userId: string): InviteSnapshot | undefined {
  const events = room.invite_state?.events ?? [];
  const find = (type: string, stateKey?: string) =>
    [...events].reverse().find((e) => e.type === type && (stateKey === undefined || e.state_key === stateKey));
  const mine = events.filter(
    (e) => e.type === 'm.room.member' && isObject(e.content) && e.content.membership === 'invite' && e.state_key === userId,
  );
  const own = mine.at(-1);
  if (!own) return undefined;
  const nameContent = find('m.room.name')?.content;
  const aliasContent = find('m.room.canonical_alias')?.content;
  const name =
    (isObject(nameContent) ? str(nameContent.name) : undefined) ?? (isObject(aliasContent) ? str(aliasContent.alias) : undefined);
  const inviter = str(own.sender);
  return {
    roomId,
    name: name ?? '',
    ...(inviter ? { inviter } : {}),
    poolKey: isObject(own.unsigned) && typeof own.unsigned[MEMBER_KEY_NONCE_UNSIGNED_FIELD] === 'string',
  };
}

const RULE_KINDS = ['override', 'underride', 'sender', 'room', 'content'] as const;

export function pushRulesFrom(content: unknown): PushRuleCopy[] {
  const global = isObject(content) && isObject(content.global) ? content.global : {};
  const out: PushRuleCopy[] = [];
  for (const kind of RULE_KINDS) {
    const list = Array.isArray(global[kind]) ? (global[kind] as unknown[]) : [];
    for (const rule of list) {
      if (!isObject(rule) || typeof rule.rule_id !== 'string' || !Array.isArray(rule.actions)) continue;
      out.push({
        kind,
        ruleId: rule.rule_id,
        isDefault: rule.default === true || rule.rule_id.startsWith('.'),
        enabled: rule.enabled !== false,
        actions: rule.actions,
        ...(Array.isArray(rule.conditions) ? { conditions: rule.conditions } : {}),
        ...(typeof rule.pattern === 'string' ? { pattern: rule.pattern } : {}),
      });
    }
  }
  return out;
}

export function snapshotFromSync(
  sync: SyncData,
  account: { userId: string; serverName: string; baseUrl: string; portable: boolean; displayname?: string; avatarUrl?: string },
  now = Date.now(),
): AccountSnapshot {
  const rooms = Object.entries(sync.rooms?.join ?? {})
    .map(([roomId, data]) => roomFromSync(roomId, data, account.userId, account.serverName))
    .filter((r): r is RoomSnapshot => !!r);
  const joined = new Set(rooms.map((r) => r.roomId));
  const invites = Object.entries(sync.rooms?.invite ?? {})
    .filter(([roomId]) => !joined.has(roomId))
    .map(([roomId, data]) => inviteFromSync(roomId, data, account.userId))
    .filter((r): r is InviteSnapshot => !!r);
  const global = new Map(
    (sync.account_data?.events ?? []).filter((e) => typeof e.type === 'string').map((e) => [e.type as string, e.content]),
  );
  const direct = global.get('m.direct');
  const ignored = global.get('m.ignored_user_list');
  const pushRules = pushRulesFrom(global.get('m.push_rules'));
  // Without a profile (old server offline), the name the account uses in its rooms.
  const displayname = account.displayname ?? rooms.find((r) => r.displayname)?.displayname;
  const avatarUrl = account.avatarUrl ?? rooms.find((r) => r.avatarUrl)?.avatarUrl;
  return {
    takenTs: now,
    userId: account.userId,
    serverName: account.serverName,
    baseUrl: account.baseUrl,
    portable: account.portable,
    ...(displayname !== undefined ? { displayname } : {}),
    ...(avatarUrl !== undefined ? { avatarUrl } : {}),
    ...(isObject(direct)
      ? {
          direct: Object.fromEntries(
            Object.entries(direct)
              .filter(([, ids]) => Array.isArray(ids))
              .map(([k, ids]) => [k, (ids as unknown[]).filter((id): id is string => typeof id === 'string')]),
          ),
        }
      : {}),
    ...(isObject(ignored) && isObject(ignored.ignored_users) ? { ignoredUsers: Object.keys(ignored.ignored_users) } : {}),
    ...(pushRules.length > 0 ? { pushRules } : {}),
    rooms,
    ...(invites.length > 0 ? { invites } : {}),
  };
}
