// Link changes as timeline notices. A link's status changes without any event (PROTOCOL.md §5: member_info in
// /sync), so nothing in the room's history says when it happened: the only honest place for "Bob's handle is no
// longer verified" is where this client saw it change. Each change is recorded with the time it was observed and
// kept per account in localStorage, so a reload (or the next session on this browser) still shows it in place.
// The statuses last seen are kept too: a change that happened while no session was open is noticed on the next
// initial sync. An erasure has an event (the member event's redaction): that notice is derived from the
// timeline instead (roomViewModel), so every device shows it where the redaction is.
import { createStore } from 'zustand/vanilla';
import { LINK_FIELD, type LinkInfo, type MemberInfo } from '../../protocol';
import { contestingSigner } from './badge';

/**
 * `identityReset` / `verifiedIdentityReset` are not about the link: the member's encryption identity (cross-signing
 * master key) changed, as Element shows it (a pinned identity that changed: a notice; a verified one: a warning).
 * They go in the same log and notice rows as link changes, in MSC4161's words ("identity", "verified").
 */
export type LinkNoticeKind = 'lost' | 'restored' | 'contested' | 'identityReset' | 'verifiedIdentityReset';
export type ObservedStatus = LinkInfo['status'];

export interface LinkNotice {
  /** Unique within the room. */
  id: string;
  identity: string;
  kind: LinkNoticeKind;
  /** When this client saw the change (local clock). */
  ts: number;
  from: ObservedStatus;
  to: ObservedStatus;
  /** The homeserver's reason (a lost link), or the server that kept signing (contested). */
  reason?: string;
  /** The handle the link claims. */
  handle?: string;
  by?: string;
  /** An encryption identity reset: whose (the crypto's user ID; `identity` may be a member key). */
  userId?: string;
  /** An identity reset that was since approved (pinned, verification withdrawn, or verified again): no action left. */
  resolved?: boolean;
}

/** The action a reset notice offers, as Element's: OK (pin the new identity) or Withdraw verification. */
export type IdentityAction = 'pin' | 'withdraw';
export const actionOfNotice = (kind: LinkNoticeKind): IdentityAction | undefined =>
  kind === 'identityReset' ? 'pin' : kind === 'verifiedIdentityReset' ? 'withdraw' : undefined;

const isIdentityReset = (notice: LinkNotice) => notice.kind === 'identityReset' || notice.kind === 'verifiedIdentityReset';

/** Whether the room already shows an identity reset of `userId` that still asks for an action. */
export function hasOpenIdentityReset(log: RoomLinkLog | undefined, userId: string): boolean {
  return !!log?.notices.some((n) => isIdentityReset(n) && n.userId === userId && !n.resolved);
}

/** The users whose identity resets still ask for an action, in any room. */
export function usersWithOpenIdentityResets(rooms: Readonly<Record<string, RoomLinkLog>>): string[] {
  const users = new Set<string>();
  for (const log of Object.values(rooms))
    for (const n of log.notices) if (isIdentityReset(n) && n.userId && !n.resolved) users.add(n.userId);
  return [...users];
}

/** What is remembered of one link between observations. */
export interface KnownLink {
  status: ObservedStatus;
  contestedBy?: string;
}

export interface RoomLinkLog {
  known: Record<string, KnownLink>;
  notices: LinkNotice[];
}

const maxNoticesPerRoom = 500;

function knownOf(info: MemberInfo | undefined): KnownLink | undefined {
  const link = info?.[LINK_FIELD];
  if (!link || typeof link.status !== 'string') return undefined;
  const signer = contestingSigner(link);
  return signer ? { status: link.status, contestedBy: signer.by } : { status: link.status };
}

function handleOfLink(link: LinkInfo | undefined): string | undefined {
  return link?.localpart && link.domain ? `@${link.localpart}:${link.domain}` : undefined;
}

/**
 * The notices one member_info report adds to a room's log, and the statuses to remember. A link seen for the first
 * time adds none (nothing changed that this client saw). Verified → unverified is a lost link; unverified → verified
 * a restored one (pending → verified is a first check, not news); a new `contested` report is its own notice.
 */
export function observeLinks(
  log: RoomLinkLog | undefined,
  memberInfo: Readonly<Record<string, MemberInfo>>,
  now: number,
): { log: RoomLinkLog; added: LinkNotice[] } {
  const known = { ...log?.known };
  const added: LinkNotice[] = [];
  let n = log?.notices.length ?? 0;
  for (const [identity, info] of Object.entries(memberInfo)) {
    const next = knownOf(info);
    if (!next) continue;
    const before = known[identity];
    known[identity] = next;
    if (!before) continue;
    const link = info[LINK_FIELD];
    const handle = handleOfLink(link);
    const base = { identity, ts: now, from: before.status, to: next.status, ...(handle ? { handle } : {}) };
    if (before.status === 'verified' && next.status === 'unverified')
      added.push({ ...base, id: `${now}-${n++}`, kind: 'lost', ...(link?.reason ? { reason: link.reason } : {}) });
    else if (before.status === 'unverified' && next.status === 'verified') added.push({ ...base, id: `${now}-${n++}`, kind: 'restored' });
    if (next.contestedBy && next.contestedBy !== before.contestedBy)
      added.push({ ...base, id: `${now}-${n++}`, kind: 'contested', by: next.contestedBy });
  }
  const notices = added.length ? [...(log?.notices ?? []), ...added].slice(-maxNoticesPerRoom) : (log?.notices ?? []);
  return { log: { known, notices }, added };
}

/**
 * A member's link status at `ts`, as this client saw it: the status after the last change seen before `ts`, else
 * the status before the first change seen after it, else `current`.
 */
export function linkStatusAt(
  notices: readonly LinkNotice[],
  identity: string,
  ts: number,
  current: ObservedStatus | undefined,
): ObservedStatus | undefined {
  let before: LinkNotice | undefined;
  let after: LinkNotice | undefined;
  for (const notice of notices) {
    if (notice.identity !== identity || (notice.kind !== 'lost' && notice.kind !== 'restored')) continue;
    if (notice.ts <= ts) {
      if (!before || notice.ts >= before.ts) before = notice;
    } else if (!after || notice.ts < after.ts) after = notice;
  }
  return before ? before.to : after ? after.from : current;
}

export interface LinkNoticeState {
  /** roomId → that room's log. */
  rooms: Record<string, RoomLinkLog>;
  storage?: LinkNoticeStorage;
  /** Records what a member_info report changed; `now` is the observation time. */
  observe(roomId: string, memberInfo: Readonly<Record<string, MemberInfo>>, now?: number): void;
  /** Records a change seen elsewhere than in member_info (an encryption identity reset), now. */
  add(roomId: string, notice: Omit<LinkNotice, 'id' | 'ts'>, now?: number): void;
  /** Marks every open identity reset of `userId` resolved (the warning was acted on, here or elsewhere). */
  resolveIdentityReset(userId: string): void;
  /** Takes up an account's logs (sign-in), or none (sign-out). */
  attach(storage: LinkNoticeStorage | undefined): void;
}

/** Where one account's logs are kept. */
export interface LinkNoticeStorage {
  load(): Record<string, RoomLinkLog> | undefined;
  save(rooms: Record<string, RoomLinkLog>): void;
  clear(): void;
}

export function localLinkNoticeStorage(userId: string, storage: Storage = localStorage): LinkNoticeStorage {
  const key = `wayfarer.linkNotices.v1:${userId}`;
  return {
    load() {
      try {
        const raw = storage.getItem(key);
        const parsed: unknown = raw ? JSON.parse(raw) : undefined;
        return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
          ? (parsed as Record<string, RoomLinkLog>)
          : undefined;
      } catch {
        return undefined; // unreadable: start over rather than fail the session
      }
    },
    save(rooms) {
      try {
        storage.setItem(key, JSON.stringify(rooms));
      } catch {
        // full or refused: the notices stay for this page's life
      }
    },
    clear() {
      storage.removeItem(key);
    },
  };
}

function sameKnown(a: RoomLinkLog | undefined, b: RoomLinkLog): boolean {
  if (!a) return false;
  const keys = Object.keys(b.known);
  return (
    keys.length === Object.keys(a.known).length &&
    keys.every((id) => a.known[id]?.status === b.known[id]!.status && a.known[id]?.contestedBy === b.known[id]!.contestedBy)
  );
}

export function createLinkNoticeStore(storage?: LinkNoticeStorage) {
  return createStore<LinkNoticeState>()((set, get) => ({
    rooms: storage?.load() ?? {},
    storage,
    observe(roomId, memberInfo, now = Date.now()) {
      const before = get().rooms[roomId];
      const { log, added } = observeLinks(before, memberInfo, now);
      if (added.length === 0 && sameKnown(before, log)) return;
      const rooms = { ...get().rooms, [roomId]: log };
      set({ rooms });
      get().storage?.save(rooms);
    },
    add(roomId, notice, now = Date.now()) {
      const before = get().rooms[roomId] ?? { known: {}, notices: [] };
      const log = {
        ...before,
        notices: [...before.notices, { ...notice, id: `${now}-${before.notices.length}`, ts: now }].slice(-maxNoticesPerRoom),
      };
      const rooms = { ...get().rooms, [roomId]: log };
      set({ rooms });
      get().storage?.save(rooms);
    },
    resolveIdentityReset(userId) {
      let changed = false;
      const rooms: Record<string, RoomLinkLog> = {};
      for (const [roomId, log] of Object.entries(get().rooms)) {
        if (!hasOpenIdentityReset(log, userId)) {
          rooms[roomId] = log;
          continue;
        }
        changed = true;
        rooms[roomId] = {
          ...log,
          notices: log.notices.map((n) => (isIdentityReset(n) && n.userId === userId && !n.resolved ? { ...n, resolved: true } : n)),
        };
      }
      if (!changed) return;
      set({ rooms });
      get().storage?.save(rooms);
    },
    attach(next) {
      set({ storage: next, rooms: next?.load() ?? {} });
    },
  }));
}

export type LinkNoticeStore = ReturnType<typeof createLinkNoticeStore>;

const noNotices: readonly LinkNotice[] = [];

export function noticesOfRoom(state: Pick<LinkNoticeState, 'rooms'>, roomId: string): readonly LinkNotice[] {
  return state.rooms[roomId]?.notices ?? noNotices;
}

/** The signed-in account's link notices. */
export const linkNoticeStore: LinkNoticeStore = createLinkNoticeStore();

type MemberInfoSource = {
  getState(): { memberInfo: Record<string, Record<string, MemberInfo>> };
  subscribe(
    listener: (
      next: { memberInfo: Record<string, Record<string, MemberInfo>> },
      previous: { memberInfo: Record<string, Record<string, MemberInfo>> },
    ) => void,
  ): () => void;
};

/**
 * Follows the identity store's member_info for one account: every report is compared with what was seen before.
 * Returns the unsubscribe.
 */
export function followLinkChanges(
  identity: MemberInfoSource,
  storage: LinkNoticeStorage,
  store: LinkNoticeStore = linkNoticeStore,
): () => void {
  store.getState().attach(storage);
  for (const [roomId, map] of Object.entries(identity.getState().memberInfo)) store.getState().observe(roomId, map);
  return identity.subscribe((next, previous) => {
    if (next.memberInfo === previous.memberInfo) return;
    for (const [roomId, map] of Object.entries(next.memberInfo))
      if (map !== previous.memberInfo[roomId]) store.getState().observe(roomId, map);
  });
}
