// What a migration will do (PROTOCOL.md §7), decided from a snapshot of the old account taken on this device, so
// the plan can be made (and resumed) with the old server offline. Pure: no I/O, no matrix-js-sdk; its words are
// message descriptors, rendered by the views with t().
import { msg, type Message } from '../../i18n';
import { serverNameOf } from '../../protocol';

export type MigrationPath = 'portable' | 'classic';

/** One joined room as the old account saw it when the plan was made. */
export interface RoomSnapshot {
  roomId: string;
  name: string;
  version: string;
  /** The room version gives members their own keys (PROTOCOL.md §3). */
  memberKeys: boolean;
  /** The old account's member key in member-key rooms (`@` + URL-safe base64). */
  memberKey?: string;
  /** `dev.wayfarer.creator_nonce` of the create event, when this account's key is the creator's. */
  creatorNonce?: string;
  /** `dev.wayfarer.key_nonce` of the old account's member event: its key came from the invite-key pool (PROTOCOL.md §5). */
  keyNonce?: string;
  /** Other servers with joined members: the `via` for joining without the old server. */
  servers: string[];
  joinRule: string;
  myPowerLevel: number;
  usersDefault: number;
  invitePowerLevel: number;
  /** Level needed to send m.room.power_levels (to grant the new account its level). */
  powerLevelsChangeLevel: number;
  /** Display name and avatar of the old account's member event in this room. */
  displayname?: string;
  avatarUrl?: string;
  tags: Record<string, { order?: number }>;
  /** `m.federate` of the create event: false keeps every server but the creator's out. */
  federate?: boolean;
  /** `m.room.server_acl`, when the room has one. */
  serverAcl?: ServerAcl;
  /** User IDs banned here (member-key rooms: the user ID the banned member claimed). */
  banned?: string[];
  /** `m.room.history_visibility` (default `shared`). */
  historyVisibility?: string;
  /** Restricted join rules: the rooms whose members may join without an invite. */
  allowRooms?: string[];
}

export interface ServerAcl {
  allow: string[];
  deny: string[];
  allowIpLiterals: boolean;
}

/** A room the old account was invited to and has not joined. */
export interface InviteSnapshot {
  roomId: string;
  name: string;
  inviter?: string;
  /** The invite names a member key from the account's invite-key pool (PROTOCOL.md §5): made from the recovery key. */
  poolKey: boolean;
}

export interface AccountSnapshot {
  takenTs: number;
  userId: string;
  serverName: string;
  baseUrl: string;
  portable: boolean;
  displayname?: string;
  avatarUrl?: string;
  /** `m.direct`: user ID → DM room IDs. */
  direct?: Record<string, string[]>;
  ignoredUsers?: string[];
  /** Push rules: the server's defaults as the user set them (enabled, actions) and the user's own rules. */
  pushRules?: PushRuleCopy[];
  rooms: RoomSnapshot[];
  /** Rooms the old account was only invited to. */
  invites?: InviteSnapshot[];
}

export interface PushRuleCopy {
  kind: 'override' | 'underride' | 'sender' | 'room' | 'content';
  ruleId: string;
  /** A server default (ID starting with '.'): only its `enabled` and `actions` are carried. */
  isDefault: boolean;
  enabled: boolean;
  actions: unknown[];
  conditions?: unknown[];
  pattern?: string;
}

export type RoomAction = 'adopt' | 'reinvite' | 'join-public' | 'cannot';
export type ItemKind = 'room' | 'invite' | 'profile' | 'direct' | 'tags' | 'push-rules' | 'ignored' | 'media';

/** Why a room cannot move: each has its own reason and what would unblock it. */
export type BlockReason = 'no-federate' | 'server-acl' | 'banned' | 'no-invite' | 'restricted' | 'knock' | 'invited-only';

export interface PlanItem {
  id: string;
  kind: ItemKind;
  label: Message;
  /** What will happen, as a message ("moves seamlessly (same identity)"). */
  summary: Message;
  /** Why, and for `cannot`, what would unblock it. */
  reason?: Message;
  /** For `cannot`: what blocks it. */
  blocker?: BlockReason;
  /** For `cannot`: what would let it move. */
  unblock?: Message;
  /** Something to know that does not stop the move (history the new account will not see). */
  note?: Message;
  selected: boolean;
  /** False for items that cannot be moved: they are listed but never run. */
  movable: boolean;
  roomId?: string;
  action?: RoomAction;
  /** Power level to give the new account (re-invite path), when above the room's default. */
  carryPowerLevel?: number;
  /** The new account may not get it (the old one can't grant it): said in `reason`, not attempted. */
  powerNotCarried?: boolean;
}

export interface PlanInput {
  snapshot: AccountSnapshot;
  path: MigrationPath;
  targetUserId: string;
  /** Portable path: which rooms' member keys can be made again from the recovery key. */
  keyIsDerivable?: (room: RoomSnapshot) => boolean;
}

const SEAMLESS = msg('migration.plan.seamless');
const REINVITE = msg('migration.plan.reinvite');
const JOIN_PUBLIC = msg('migration.plan.joinPublic');

export function roomItemId(roomId: string): string {
  return `room:${roomId}`;
}

/**
 * Server ACL check (the spec's m.room.server_acl): the port is ignored, IP literals need `allow_ip_literals`, a
 * deny glob wins over an allow glob, and a server matching no allow glob is denied.
 */
export function aclAllows(acl: ServerAcl, serverName: string): boolean {
  const host = serverName.startsWith('[') ? serverName.slice(0, serverName.indexOf(']') + 1) : serverName.replace(/:\d+$/, '');
  const isIpLiteral = host.startsWith('[') || /^\d{1,3}(?:\.\d{1,3}){3}$/.test(host);
  if (isIpLiteral && !acl.allowIpLiterals) return false;
  const matches = (glob: string) =>
    new RegExp(
      `^${glob
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
      'i',
    ).test(host);
  if (acl.deny.some(matches)) return false;
  return acl.allow.some(matches);
}

/** What keeps the new server out of the room whatever the path: not federated, or denied by the server ACL. */
function serverBlocker(room: RoomSnapshot, input: PlanInput): Pick<PlanItem, 'blocker' | 'reason' | 'unblock'> | undefined {
  const target = serverNameOf(input.targetUserId) ?? input.targetUserId;
  if (room.federate === false)
    return {
      blocker: 'no-federate',
      reason: msg('migration.plan.blocked.noFederate', { server: input.snapshot.serverName, target }),
      unblock: msg('migration.plan.unblock.noFederate'),
    };
  if (room.serverAcl && !aclAllows(room.serverAcl, target))
    return {
      blocker: 'server-acl',
      reason: msg('migration.plan.blocked.acl', { target }),
      unblock: msg('migration.plan.unblock.acl', { target }),
    };
  return undefined;
}

/** History the new account will not see: the room shows members only what was sent after they joined (or were invited). */
function historyNote(room: RoomSnapshot): Message | undefined {
  if (room.historyVisibility === 'joined' || room.historyVisibility === 'invited')
    return msg('migration.plan.historyHidden', { since: room.historyVisibility });
  return undefined;
}

/** What happens to one room, and why. */
export function planRoom(room: RoomSnapshot, input: PlanInput): PlanItem {
  const base = {
    id: roomItemId(room.roomId),
    kind: 'room' as const,
    label: msg('migration.plan.room', { name: room.name || room.roomId }),
    roomId: room.roomId,
  };
  const cannot = (why: Pick<PlanItem, 'blocker' | 'reason' | 'unblock'>): PlanItem => ({
    ...base,
    action: 'cannot',
    summary: msg('migration.plan.cannot'),
    ...why,
    selected: false,
    movable: false,
  });
  const serverBlocked = serverBlocker(room, input);
  if (serverBlocked) return cannot(serverBlocked);
  if (input.path === 'portable' && room.memberKeys && room.memberKey && (input.keyIsDerivable?.(room) ?? true)) {
    return {
      ...base,
      action: 'adopt',
      summary: SEAMLESS,
      reason: msg('migration.plan.adoptReason'),
      selected: true,
      movable: true,
    };
  }
  // The new account is a new member from here on: its own bans and the room's join rules apply to it.
  if (room.banned?.includes(input.targetUserId))
    return cannot({
      blocker: 'banned',
      reason: msg('migration.plan.blocked.banned', { target: input.targetUserId }),
      unblock: msg('migration.plan.unblock.banned', { target: input.targetUserId }),
    });
  const why = input.path === 'portable' ? classicReasonFor(room) : undefined;
  // A room version 12 creator shows as the largest safe integer: creators can't be added later, so the new account gets 100.
  const isCreator = room.myPowerLevel >= Number.MAX_SAFE_INTEGER;
  const carry = room.myPowerLevel > room.usersDefault ? (isCreator ? 100 : room.myPowerLevel) : undefined;
  const mayGrant = carry !== undefined && room.myPowerLevel >= room.powerLevelsChangeLevel;
  const powerNote =
    carry === undefined
      ? undefined
      : !mayGrant
        ? msg('migration.plan.powerNotCarried', { level: carry, needs: room.powerLevelsChangeLevel })
        : isCreator
          ? msg('migration.plan.powerCreator')
          : msg('migration.plan.powerCarried', { level: carry });
  const classicReason = why ?? msg('migration.plan.classicMove');
  const reason = powerNote ? msg('migration.plan.reasonAndPower', { reason: classicReason, power: powerNote }) : classicReason;
  const power = carry === undefined ? {} : { carryPowerLevel: carry, ...(mayGrant ? {} : { powerNotCarried: true }) };
  const note = historyNote(room);
  const noted = note ? { note } : {};
  if (room.myPowerLevel >= room.invitePowerLevel) {
    return { ...base, action: 'reinvite', summary: REINVITE, reason, selected: true, movable: true, ...power, ...noted };
  }
  if (room.joinRule === 'public') {
    return { ...base, action: 'join-public', summary: JOIN_PUBLIC, reason, selected: true, movable: true, ...power, ...noted };
  }
  const rights = { needs: room.invitePowerLevel, has: room.myPowerLevel, target: input.targetUserId };
  if (room.joinRule === 'restricted' || room.joinRule === 'knock_restricted')
    return cannot({
      blocker: 'restricted',
      reason: msg('migration.plan.blocked.restricted', rights),
      unblock: msg('migration.plan.unblock.restricted', { ...rights, count: room.allowRooms?.length ?? 0 }),
    });
  if (room.joinRule === 'knock')
    return cannot({
      blocker: 'knock',
      reason: msg('migration.plan.blocked.knock', rights),
      unblock: msg('migration.plan.unblock.knock', rights),
    });
  return cannot({
    blocker: 'no-invite',
    reason: msg('migration.plan.blocked.noInvite', rights),
    unblock: msg('migration.plan.unblock.noInvite', rights),
  });
}

/** A room the old account was only invited to: nothing to take over yet. */
export function planInvite(invite: InviteSnapshot, input: PlanInput): PlanItem {
  const inviter = invite.inviter ?? msg('migration.plan.someone');
  return {
    id: `invite:${invite.roomId}`,
    kind: 'invite',
    label: msg('migration.plan.room', { name: invite.name || invite.roomId }),
    roomId: invite.roomId,
    action: 'cannot',
    summary: msg('migration.plan.invitedOnly'),
    blocker: 'invited-only',
    reason: msg(invite.poolKey ? 'migration.plan.blocked.invitedPool' : 'migration.plan.blocked.invited', { inviter }),
    unblock: msg(invite.poolKey ? 'migration.plan.unblock.invitedPool' : 'migration.plan.unblock.invited', {
      inviter,
      target: input.targetUserId,
    }),
    selected: false,
    movable: false,
  };
}

function classicReasonFor(room: RoomSnapshot): Message {
  if (!room.memberKeys) return msg('migration.plan.classicRoom');
  if (!room.memberKey) return msg('migration.plan.keyUnknown');
  return msg('migration.plan.keyFromServer');
}

/** The whole plan: every joined room, then the profile and account data (which follow the rooms they mention). */
export function buildPlan(input: PlanInput): PlanItem[] {
  const { snapshot } = input;
  const rooms = [...snapshot.rooms]
    .sort((a, b) => (a.name || a.roomId).localeCompare(b.name || b.roomId))
    .map((room) => planRoom(room, input));
  const invites = [...(snapshot.invites ?? [])]
    .sort((a, b) => (a.name || a.roomId).localeCompare(b.name || b.roomId))
    .map((invite) => planInvite(invite, input));
  const items: PlanItem[] = [...rooms, ...invites];
  if (snapshot.displayname !== undefined || snapshot.avatarUrl !== undefined) {
    items.push({
      id: 'profile',
      kind: 'profile',
      label: msg('migration.plan.profile'),
      summary: msg(snapshot.avatarUrl ? 'migration.plan.profileAndAvatar' : 'migration.plan.profileName'),
      reason: snapshot.displayname ? msg('migration.plan.quoted', { text: snapshot.displayname }) : undefined,
      selected: true,
      movable: true,
    });
  }
  const directCount = Object.values(snapshot.direct ?? {}).reduce((n, ids) => n + ids.length, 0);
  if (directCount > 0)
    items.push({
      id: 'direct',
      kind: 'direct',
      label: msg('migration.plan.direct'),
      summary: msg('migration.plan.directSummary', { count: directCount }),
      selected: true,
      movable: true,
    });
  const tagged = snapshot.rooms.filter((r) => Object.keys(r.tags).length > 0).length;
  if (tagged > 0)
    items.push({
      id: 'tags',
      kind: 'tags',
      label: msg('migration.plan.tags'),
      summary: msg('migration.plan.tagsSummary', { count: tagged }),
      selected: true,
      movable: true,
    });
  const rules = snapshot.pushRules ?? [];
  if (rules.length > 0) {
    const own = rules.filter((r) => !r.isDefault).length;
    items.push({
      id: 'push-rules',
      kind: 'push-rules',
      label: msg('migration.plan.pushRules'),
      summary: own > 0 ? msg('migration.plan.pushRulesOwn', { count: own }) : msg('migration.plan.pushRulesSummary'),
      selected: true,
      movable: true,
    });
  }
  const ignored = snapshot.ignoredUsers?.length ?? 0;
  if (ignored > 0)
    items.push({
      id: 'ignored',
      kind: 'ignored',
      label: msg('migration.plan.ignored'),
      summary: msg('migration.plan.ignoredSummary', { count: ignored }),
      selected: true,
      movable: true,
    });
  // Files you uploaded stay where they are: said, never silently left behind.
  items.push({
    id: 'media',
    kind: 'media',
    label: msg('migration.plan.media'),
    summary: msg('migration.plan.mediaStays', { server: snapshot.serverName }),
    reason: msg(snapshot.avatarUrl ? 'migration.plan.mediaWhyAvatar' : 'migration.plan.mediaWhy', { server: snapshot.serverName }),
    selected: false,
    movable: false,
  });
  return items;
}

/** The plan at a glance, before anything changes. */
export interface PlanSummary {
  seamless: number;
  reinvite: number;
  joinPublic: number;
  blocked: number;
  unselected: number;
  settings: number;
}

export function summarisePlan(items: PlanItem[]): PlanSummary {
  const rooms = items.filter((i) => i.kind === 'room' || i.kind === 'invite');
  const chosen = rooms.filter((i) => i.movable && i.selected);
  return {
    seamless: chosen.filter((i) => i.action === 'adopt').length,
    reinvite: chosen.filter((i) => i.action === 'reinvite').length,
    joinPublic: chosen.filter((i) => i.action === 'join-public').length,
    blocked: rooms.filter((i) => !i.movable).length,
    unselected: rooms.filter((i) => i.movable && !i.selected).length,
    settings: items.filter((i) => i.kind !== 'room' && i.kind !== 'invite' && i.movable && i.selected).length,
  };
}

/** Ticks or unticks an item; items that cannot move stay unticked. */
export function toggleItem(items: PlanItem[], itemId: string, selected: boolean): PlanItem[] {
  return items.map((item) => (item.id === itemId && item.movable ? { ...item, selected } : item));
}

/**
 * `m.direct` for the new account: the rooms it will hold, and the old account's own ID (a DM with oneself,
 * or a partner entry naming the old account) rewritten to the new one.
 */
export function rewriteDirect(
  direct: Record<string, string[]>,
  oldUserId: string,
  newUserId: string,
  keptRoomIds: ReadonlySet<string>,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [partner, roomIds] of Object.entries(direct)) {
    const kept = roomIds.filter((id) => keptRoomIds.has(id));
    if (kept.length === 0) continue;
    const key = partner === oldUserId ? newUserId : partner;
    out[key] = [...new Set([...(out[key] ?? []), ...kept])];
  }
  return out;
}

/** Ignored users for the new account: never itself (the old account may be in there if it ignored itself by mistake). */
export function rewriteIgnored(ignored: string[], newUserId: string): string[] {
  return [...new Set(ignored)].filter((id) => id !== newUserId);
}

/** Servers to join through without the old one: the room's other servers, never the old server first. */
export function viaServers(room: RoomSnapshot, oldServer: string, targetServer: string): string[] {
  const others = room.servers.filter((s) => s !== oldServer && s !== targetServer);
  return [...new Set([...others, oldServer])];
}
