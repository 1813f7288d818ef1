// A room's identity index: its members by identity (one per member key, whatever user IDs matrix-js-sdk holds for
// it), the user ID → identity map, and each key's handle history from the member events seen. Built once per Room
// and kept current from the Room's own events: a state change re-reads the member list, a member event in the
// timeline adds one history record. Subscribers hear which identities changed, so a view model re-derives the
// rows of those identities only. Profiles come from the pure describeSender with the homeserver's and this
// browser's link facts passed in (identityFactsOf), never read from a store here.
import { RoomEvent, RoomStateEvent, type MatrixEvent, type Room, type RoomMember } from 'matrix-js-sdk';
import { LINK_FIELD, type MemberInfo } from '../../protocol';
import { findConfusableMembers, sanitiseDisplayName } from '../../protocol/confusables';
import {
  badgeOf,
  handleOf,
  initialIdentityState,
  reduceIdentity,
  type BrowserCheck,
  type HandleRecord,
  type KeyIdentityState,
} from '../identity/badge';
import { describeSender, identityOfMemberEvent, type MemberFacts, type SenderProfile } from '../identity/describeSender';
import { browserKey, type IdentityState } from '../identity/identityStore';
import { rankLookAlikes, type LinkStanding, type LookAlikeFacts, type RankedMatch } from '../identity/lookAlikes';

/** What is known about links in one room besides its events: the homeserver's member_info and this browser's checks. */
export interface IdentityFacts {
  roomId: string;
  /** member_info by normalised member key, as the homeserver last reported it; undefined before any report. */
  memberInfo: Readonly<Record<string, MemberInfo>> | undefined;
  /** This browser's checks, keyed `${roomId} ${identity}` (identityStore's map). */
  browser: Readonly<Record<string, BrowserCheck>>;
}

const noBrowserChecks: Readonly<Record<string, BrowserCheck>> = {};
const factsCache = new Map<string, IdentityFacts>();

/**
 * The facts of one room from the identity store's state. The same object while neither input changed, so a
 * selector may return it and memos may depend on it.
 */
export function identityFactsOf(state: Pick<IdentityState, 'memberInfo' | 'browser'>, roomId: string): IdentityFacts {
  const memberInfo = state.memberInfo[roomId];
  const browser = state.browser ?? noBrowserChecks;
  const hit = factsCache.get(roomId);
  if (hit && hit.memberInfo === memberInfo && hit.browser === browser) return hit;
  const facts = { roomId, memberInfo, browser };
  factsCache.set(roomId, facts);
  return facts;
}

/** The identities whose facts differ between two snapshots of the same room. */
export function changedIdentities(before: IdentityFacts, after: IdentityFacts): Set<string> {
  const changed = new Set<string>();
  if (before.memberInfo !== after.memberInfo) {
    const a = before.memberInfo ?? {};
    const b = after.memberInfo ?? {};
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) if (a[key] !== b[key]) changed.add(key);
  }
  if (before.browser !== after.browser) {
    const prefix = `${after.roomId} `;
    for (const key of new Set([...Object.keys(before.browser), ...Object.keys(after.browser)])) {
      if (key.startsWith(prefix) && before.browser[key] !== after.browser[key]) changed.add(key.slice(prefix.length));
    }
  }
  return changed;
}

function recordOf(raw: { event_id?: string; origin_server_ts?: number; content?: Record<string, unknown> }): HandleRecord {
  const content = raw.content ?? {};
  const record: HandleRecord = { eventId: raw.event_id ?? '', ts: raw.origin_server_ts ?? 0 };
  if (typeof content.localpart === 'string') record.localpart = content.localpart;
  if (typeof content.domain === 'string') record.domain = content.domain;
  if (typeof content.membership === 'string') record.membership = content.membership;
  if (typeof content.displayname === 'string') record.displayname = content.displayname;
  return record;
}

/** The member event's displayname as sent, hidden characters and all: what look-alikes are computed from. */
function rawDisplayNameOf(member: RoomMember | undefined): string | undefined {
  const name = member?.events.member?.getContent().displayname;
  return typeof name === 'string' && sanitiseDisplayName(name) !== '' ? name : undefined;
}

/** The displayname as shown: without bidi overrides or invisible characters (as matrix-js-sdk shows it). */
function displayNameOf(member: RoomMember | undefined): string | undefined {
  const raw = rawDisplayNameOf(member);
  return raw === undefined ? undefined : sanitiseDisplayName(raw);
}

function standingOf(state: KeyIdentityState): LinkStanding {
  const badge = badgeOf(state);
  if (badge.kind !== 'unverified') return badge.kind;
  return (state.link?.status as string | undefined) === 'pending' ? 'pending' : 'unverified';
}

/** When the identity first claimed what it claims now (its earliest member event with that name, that handle). */
function sinceOf(history: readonly HandleRecord[], displayName: string | undefined, handle: string | undefined): LookAlikeFacts {
  const facts: LookAlikeFacts = { standing: 'plain' };
  const shown = displayName === undefined ? undefined : sanitiseDisplayName(displayName);
  for (const record of history) {
    if (record.membership !== undefined && record.membership !== 'join' && record.membership !== 'invite') continue;
    if (
      facts.nameSince === undefined &&
      shown !== undefined &&
      record.displayname !== undefined &&
      sanitiseDisplayName(record.displayname) === shown
    )
      facts.nameSince = record.ts;
    if (facts.handleSince === undefined && handle !== undefined && handleOf(record.localpart, record.domain) === handle)
      facts.handleSince = record.ts;
  }
  return facts;
}

export function memberFacts(member: RoomMember): MemberFacts {
  const facts: MemberFacts = { userId: member.userId };
  const displayName = displayNameOf(member);
  if (displayName !== undefined) facts.displayName = displayName;
  const avatar = member.getMxcAvatarUrl();
  if (avatar) facts.avatarMxc = avatar;
  return facts;
}

/** What a member shows: a change here changes that identity's profile. */
function memberSignature(member: RoomMember): string {
  return `${member.userId}\u0000${member.membership ?? ''}\u0000${displayNameOf(member) ?? ''}\u0000${member.getMxcAvatarUrl() ?? ''}\u0000${member.powerLevel}`;
}

type Listener = (changed: ReadonlySet<string>) => void;

interface Members {
  byIdentity: Map<string, RoomMember>;
  byUserId: Map<string, string>;
  signatures: Map<string, string>;
}

export class RoomIdentities {
  private current: Members | undefined;
  private readonly history = new Map<string, HandleRecord[]>();
  private readonly listeners = new Set<Listener>();
  /** Bumped on every change of members or history: cached answers below are for one version. */
  private version = 0;
  private warningsCache?: {
    version: number;
    memberInfo: IdentityFacts['memberInfo'];
    signature: string;
    self: string | undefined;
    warnings: Map<string, RankedMatch[]>;
  };
  private profileCache?: { version: number; facts: IdentityFacts; profiles: Map<string, SenderProfile> };

  constructor(readonly room: Room) {
    this.current = this.readMembers();
    for (const event of room.getLiveTimeline().getEvents()) this.addMemberEvent(event);
    room.on(RoomStateEvent.Update, this.onState);
    room.on(RoomEvent.Timeline, this.onTimeline);
  }

  /** Stops following the room (its index is made again on next use). */
  dispose(): void {
    this.room.off(RoomStateEvent.Update, this.onState);
    this.room.off(RoomEvent.Timeline, this.onTimeline);
    this.listeners.clear();
    if (indexes.get(this.room) === this) indexes.delete(this.room);
  }

  /** Hears the identities whose member data or history changed; returns the unsubscribe. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private readMembers(): Members {
    const byIdentity = new Map<string, RoomMember>();
    const byUserId = new Map<string, string>();
    for (const member of this.room.currentState.getMembers()) {
      const raw = member.events.member?.event;
      const identity = raw ? identityOfMemberEvent(raw) || member.userId : member.userId;
      byUserId.set(member.userId, identity);
      // The SDK keeps a member per mapped user ID: after a move or a link change one key can have several. Newest wins.
      const existing = byIdentity.get(identity);
      if (!existing || (member.events.member?.getTs() ?? 0) >= (existing.events.member?.getTs() ?? 0)) byIdentity.set(identity, member);
      if (raw) this.addHistory(identity, recordOf(raw));
    }
    const signatures = new Map<string, string>();
    for (const [identity, member] of byIdentity) signatures.set(identity, memberSignature(member));
    return { byIdentity, byUserId, signatures };
  }

  private addHistory(identity: string, record: HandleRecord): boolean {
    const list = this.history.get(identity) ?? [];
    if (list.some((r) => r.eventId === record.eventId)) return false;
    list.push(record);
    list.sort((a, b) => a.ts - b.ts);
    this.history.set(identity, list);
    return true;
  }

  /** A member event from the timeline: its record, and its prev_content's as the claim before it. */
  private addMemberEvent(event: MatrixEvent): string | undefined {
    if (event.getType() !== 'm.room.member') return undefined;
    const raw = event.event;
    const identity = identityOfMemberEvent(raw);
    if (!identity) return undefined;
    let added = this.addHistory(identity, recordOf(raw));
    const prev = (raw.unsigned as { prev_content?: Record<string, unknown> } | undefined)?.prev_content;
    if (prev && raw.event_id)
      added =
        this.addHistory(identity, {
          ...recordOf({ content: prev, origin_server_ts: (raw.origin_server_ts ?? 0) - 1 }),
          eventId: `${raw.event_id}~before`,
        }) || added;
    return added ? identity : undefined;
  }

  private readonly onState = () => {
    const before = this.current;
    const after = this.readMembers();
    this.current = after;
    const changed = new Set<string>();
    for (const [identity, signature] of after.signatures) if (before?.signatures.get(identity) !== signature) changed.add(identity);
    if (before) for (const identity of before.signatures.keys()) if (!after.signatures.has(identity)) changed.add(identity);
    this.changed(changed);
  };

  private readonly onTimeline = (event: MatrixEvent) => {
    const identity = this.addMemberEvent(event);
    if (identity) this.changed(new Set([identity]));
  };

  private changed(identities: Set<string>): void {
    if (identities.size === 0) return;
    this.version++;
    for (const listener of this.listeners) listener(identities);
  }

  private get members(): Members {
    return (this.current ??= this.readMembers());
  }

  /** Every identity with a member in the room: one entry per key. */
  byIdentity(): ReadonlyMap<string, RoomMember> {
    return this.members.byIdentity;
  }

  member(identity: string): RoomMember | undefined {
    return this.members.byIdentity.get(identity);
  }

  /** The identity behind a user ID the SDK reports (receipts, typing, room list), else the user ID itself. */
  identityOfUser(userId: string): string {
    return this.members.byUserId.get(userId) ?? userId;
  }

  /** The badge state machine's state for one identity, from everything the client knows. */
  identityState(identity: string, facts: IdentityFacts): KeyIdentityState {
    const isKey = identity !== '' && !identity.startsWith('@');
    let state = initialIdentityState(identity, isKey);
    if (!isKey) return state;
    state = reduceIdentity(state, { type: 'member_info', link: facts.memberInfo?.[identity]?.[LINK_FIELD] });
    for (const record of this.history.get(identity) ?? []) state = reduceIdentity(state, { type: 'member_event', record });
    const browser = facts.browser[browserKey(facts.roomId, identity)];
    if (browser) state = reduceIdentity(state, { type: 'browser_check', check: browser });
    return state;
  }

  /**
   * Members that can be mistaken for one another (same or confusable names, handles or domains), each marked as
   * the copy (warned) or the original (shown neutrally): link status first, then who had the claim first; the
   * viewer is never warned about themselves. Computed from every member the room holds: the full list is loaded
   * when a room opens (loadMembersIfNeeded), so this does not depend on which events happen to be on screen.
   */
  warnings(facts: IdentityFacts): Map<string, RankedMatch[]> {
    const hit = this.warningsCache;
    const self = this.room.myUserId ? this.identityOfUser(this.room.myUserId) : undefined;
    if (hit && hit.version === this.version && hit.memberInfo === facts.memberInfo && hit.self === self) return hit.warnings;
    const standing = new Map<string, LookAlikeFacts>();
    const claims = [...this.members.byIdentity]
      .filter(([, m]) => m.membership === 'join' || m.membership === 'invite')
      .map(([identity, member]) => {
        const state = this.identityState(identity, facts);
        const latest = state.history.at(-1);
        const handle = state.isKey ? handleOf(state.link?.localpart ?? latest?.localpart, state.link?.domain ?? latest?.domain) : identity;
        const displayName = rawDisplayNameOf(member);
        const history = state.isKey ? state.history : (this.history.get(identity) ?? []);
        standing.set(identity, { ...sinceOf(history, displayName, handle), standing: standingOf(state) });
        return { identity, displayName, handle, first: history[0]?.ts ?? member.events.member?.getTs() ?? Infinity };
      })
      // Oldest first: a look-alike domain is matched against the domain seen first.
      .sort((a, b) => a.first - b.first);
    const signature = claims
      .map((c) => `${c.identity}\u0000${c.displayName ?? ''}\u0000${c.handle ?? ''}\u0000${JSON.stringify(standing.get(c.identity))}`)
      .join('\u0001');
    const warnings =
      hit?.signature === signature && hit.self === self
        ? hit.warnings
        : rankLookAlikes(findConfusableMembers(claims), (identity) => standing.get(identity) ?? { standing: 'plain' }, self);
    this.warningsCache = { version: this.version, memberInfo: facts.memberInfo, self, signature, warnings };
    return warnings;
  }

  /** Who sent this, resolved by identity (the raw sender names people not in the member list). */
  profile(sender: { identity: string; sender: string }, facts: IdentityFacts): SenderProfile {
    const identity = sender.identity || sender.sender;
    let cache = this.profileCache;
    if (!cache || cache.version !== this.version || cache.facts !== facts)
      cache = this.profileCache = { version: this.version, facts, profiles: new Map() };
    const hit = cache.profiles.get(identity);
    if (hit) return hit;
    const member = this.members.byIdentity.get(identity) ?? this.room.getMember(sender.sender) ?? undefined;
    const profile = describeSender({
      roomId: this.room.roomId,
      identity,
      sender: sender.sender,
      member: member && memberFacts(member),
      state: this.identityState(identity, facts),
      warnings: this.warnings(facts).get(identity) ?? [],
    });
    cache.profiles.set(identity, profile);
    return profile;
  }

  nameOfUser(userId: string, facts: IdentityFacts): string {
    return this.profile({ identity: this.identityOfUser(userId), sender: userId }, facts).name;
  }
}

const indexes = new WeakMap<Room, RoomIdentities>();

/** The room's identity index, made on first use and kept current from then on. */
export function roomIdentities(room: Room): RoomIdentities {
  let index = indexes.get(room);
  if (!index) indexes.set(room, (index = new RoomIdentities(room)));
  return index;
}
