// Names, avatars, handles and badges for "who sent this". Every view that shows a person goes through here,
// keyed by the sender identity (features/identity/sender): the member key in member-key rooms, the user ID in
// classic ones. Display data hangs off the identity, never the other way round: matrix-js-sdk keys members by
// the user ID the server mapped them to, which changes with the link status, so members are indexed by key here.
import type { Room, RoomMember } from 'matrix-js-sdk';
import { LINK_FIELD, normaliseKey, parseUserId, STABLE_ID_STATE_KEY_FIELD } from '../../protocol';
import { findConfusableMembers, type ConfusableMatch } from '../../protocol/confusables';
import { senderIdentity, type SenderFields } from './sender';
import { t } from '../../i18n';
import { badgeLabel, badgeOf, handleOf, reduceIdentity, shortKey, initialIdentityState, type Badge, type HandleRecord, type KeyIdentityState } from './badge';
import { browserKey, identityStore } from './identityStore';
import { chatStore } from '../../state/chatStore';

export interface SenderProfile {
  identity: string;
  /** The user ID matrix-js-sdk knows this sender by (what the server mapped it to; not a handle). */
  userId: string;
  name: string;
  avatarMxc?: string;
  badge: Badge;
  /** What stands where a handle would: the handle if verified, else the badge's words. */
  handleLabel: string;
  /** Other members this one can be mistaken for. */
  warnings: ConfusableMatch[];
}

/** `@alice:example.org` → `alice`, for people not (yet) in the member list. */
export function localpartOf(userId: string): string {
  return parseUserId(userId)?.localpart ?? userId;
}

function keyOfStateKey(raw: { state_key?: unknown; sender?: unknown; sender_key?: unknown; unsigned?: Record<string, unknown> }): string | undefined {
  const stable = raw.unsigned?.[STABLE_ID_STATE_KEY_FIELD];
  if (typeof stable === 'string') {
    try {
      return normaliseKey(stable);
    } catch {
      // fall through
    }
  }
  return undefined;
}

/** The identity of a member event's subject (its state key): the raw member key when the server gives it. */
export function identityOfMemberEvent(raw: { state_key?: unknown; sender?: unknown; sender_key?: unknown; unsigned?: Record<string, unknown> }): string {
  const key = keyOfStateKey(raw);
  if (key) return key;
  // A member event one sent about oneself: the sender's identity is the subject's.
  if (raw.sender === raw.state_key) return senderIdentity(raw as SenderFields);
  return typeof raw.state_key === 'string' ? raw.state_key : '';
}

interface RoomIdentities {
  stamp: string;
  byIdentity: Map<string, RoomMember>;
  byUserId: Map<string, string>;
  history: Map<string, HandleRecord[]>;
  warnings?: Map<string, ConfusableMatch[]>;
  profiles: Map<string, SenderProfile>;
}

const cache = new WeakMap<Room, RoomIdentities>();

function stampOf(room: Room): string {
  const state = identityStore.getState();
  // The chat revision moves with every event, member change and pagination the bindings see; the identity
  // revisions with member_info and browser checks. Lengths cover callers outside the bindings (tests, benches).
  const chat = chatStore.getState().roomRevision[room.roomId] ?? 0;
  return `${chat}|${room.currentState.getMembers().length}|${room.getLiveTimeline().getEvents().length}|${state.revision[room.roomId] ?? 0}|${state.browserRevision}`;
}

function recordOf(raw: { event_id?: string; origin_server_ts?: number; content?: Record<string, unknown> }): HandleRecord {
  const content = raw.content ?? {};
  const record: HandleRecord = { eventId: raw.event_id ?? '', ts: raw.origin_server_ts ?? 0 };
  if (typeof content.localpart === 'string') record.localpart = content.localpart;
  if (typeof content.domain === 'string') record.domain = content.domain;
  if (typeof content.membership === 'string') record.membership = content.membership;
  return record;
}

function identitiesOf(room: Room): RoomIdentities {
  const stamp = stampOf(room);
  const hit = cache.get(room);
  if (hit && hit.stamp === stamp) return hit;
  const byIdentity = new Map<string, RoomMember>();
  const byUserId = new Map<string, string>();
  const history = new Map<string, HandleRecord[]>();
  const addHistory = (identity: string, record: HandleRecord) => {
    const list = history.get(identity) ?? [];
    if (!list.some((r) => r.eventId === record.eventId)) list.push(record);
    history.set(identity, list);
  };
  for (const member of room.currentState.getMembers()) {
    const raw = member.events.member?.event;
    const identity = raw ? identityOfMemberEvent(raw) || member.userId : member.userId;
    byUserId.set(member.userId, identity);
    // The SDK keeps a member per mapped user ID: after a move or a link change one key can have several. Newest wins.
    const current = byIdentity.get(identity);
    if (!current || (member.events.member?.getTs() ?? 0) >= (current.events.member?.getTs() ?? 0)) byIdentity.set(identity, member);
    if (raw) addHistory(identity, recordOf(raw));
  }
  for (const event of room.getLiveTimeline().getEvents()) {
    if (event.getType() !== 'm.room.member') continue;
    const raw = event.event;
    const identity = identityOfMemberEvent(raw);
    if (identity) addHistory(identity, recordOf(raw));
    const prev = (raw.unsigned as { prev_content?: Record<string, unknown> } | undefined)?.prev_content;
    if (identity && prev && raw.event_id) addHistory(identity, { ...recordOf({ content: prev, origin_server_ts: (raw.origin_server_ts ?? 0) - 1 }), eventId: `${raw.event_id}~before` });
  }
  for (const list of history.values()) list.sort((a, b) => a.ts - b.ts);
  const fresh: RoomIdentities = { stamp, byIdentity, byUserId, history, profiles: new Map() };
  cache.set(room, fresh);
  return fresh;
}

/** The badge state machine's state for one identity in a room, from everything the client knows. */
export function identityState(room: Room | null | undefined, identity: string): KeyIdentityState {
  const isKey = identity !== '' && !identity.startsWith('@');
  let state = initialIdentityState(identity, isKey);
  if (!room || !isKey) return state;
  const store = identityStore.getState();
  const info = store.memberInfo[room.roomId]?.[identity];
  state = reduceIdentity(state, { type: 'member_info', link: info?.[LINK_FIELD] });
  // Member events from history: a `~before` entry is only a prev_content; keep it out when it adds no domain.
  for (const record of identitiesOf(room).history.get(identity) ?? []) state = reduceIdentity(state, { type: 'member_event', record });
  const browser = store.browser[browserKey(room.roomId, identity)];
  if (browser) state = reduceIdentity(state, { type: 'browser_check', check: browser });
  return state;
}

export function memberOfIdentity(room: Room, identity: string): RoomMember | undefined {
  return identitiesOf(room).byIdentity.get(identity);
}

/** Every identity with a current member in the room: one entry per key, whatever user IDs the SDK has for it. */
export function roomIdentities(room: Room): Map<string, RoomMember> {
  return identitiesOf(room).byIdentity;
}

/** Members of this room that can be mistaken for one another (same or confusable names or handles). */
export function confusableWarnings(room: Room): Map<string, ConfusableMatch[]> {
  const ids = identitiesOf(room);
  if (!ids.warnings) {
    const claims = [...ids.byIdentity].filter(([, m]) => m.membership === 'join' || m.membership === 'invite').map(([identity, member]) => {
      const state = identityState(room, identity);
      const latest = state.history.at(-1);
      const handle = state.isKey ? handleOf(state.link?.localpart ?? latest?.localpart, state.link?.domain ?? latest?.domain) : identity;
      return { identity, displayName: displayNameOf(member), handle };
    });
    // Names and handles change far less often than the room's revision: reuse the last answer for the same claims.
    const signature = claims.map((c) => `${c.identity}\u0000${c.displayName ?? ''}\u0000${c.handle ?? ''}`).join('\u0001');
    const previous = warningsCache.get(room);
    ids.warnings = previous?.signature === signature ? previous.warnings : findConfusableMembers(claims);
    warningsCache.set(room, { signature, warnings: ids.warnings });
  }
  return ids.warnings;
}

const warningsCache = new WeakMap<Room, { signature: string; warnings: Map<string, ConfusableMatch[]> }>();

function displayNameOf(member: RoomMember | undefined): string | undefined {
  const name = member?.events.member?.getContent().displayname;
  return typeof name === 'string' && name.trim() !== '' ? name : undefined;
}

function fallbackName(badge: Badge, identity: string, userId: string): string {
  switch (badge.kind) {
    case 'plain':
      return localpartOf(userId);
    case 'verified':
      return localpartOf(badge.handle);
    case 'erased':
      return 'Erased member';
    default:
      return `Member ${shortKey(identity)}`;
  }
}

export function describeSender(room: Room | null | undefined, sender: { identity: string; sender: string }): SenderProfile {
  const identity = sender.identity || sender.sender;
  const ids = room ? identitiesOf(room) : undefined;
  const cached = ids?.profiles.get(identity);
  if (cached) return cached;
  const member = room ? (ids!.byIdentity.get(identity) ?? room.getMember(sender.sender) ?? undefined) : undefined;
  const badge = badgeOf(identityState(room, identity));
  const profile: SenderProfile = {
    identity,
    userId: member?.userId ?? sender.sender,
    name: displayNameOf(member) ?? fallbackName(badge, identity, sender.sender),
    avatarMxc: member?.getMxcAvatarUrl() ?? undefined,
    badge,
    handleLabel: t(badgeLabel(badge)),
    warnings: room ? (confusableWarnings(room).get(identity) ?? []) : [],
  };
  ids?.profiles.set(identity, profile);
  return profile;
}

/** The identity behind a user ID the SDK reports (receipts, typing, room list), else the user ID itself. */
export function identityOfUser(room: Room | null | undefined, userId: string): string {
  if (!room) return userId;
  return identitiesOf(room).byUserId.get(userId) ?? userId;
}

export function nameOfUser(room: Room | null | undefined, userId: string): string {
  return describeSender(room, { identity: identityOfUser(room, userId), sender: userId }).name;
}

/** A member's identity in a room: the key their member event carries (member-key rooms), else the user ID. */
export function memberIdentity(room: Room, userId: string): string {
  return identityOfUser(room, userId);
}
