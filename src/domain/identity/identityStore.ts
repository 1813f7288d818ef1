// Identity view state, apart from the views: each room's MSC4428 member_info as the homeserver last reported it
// (read from the raw /sync and /members responses: matrix-js-sdk 37 ignores the field), this browser's own link
// checks, and which identity the inspector shows. A member_info change bumps the room's revision, so every rendered
// sender of that room re-derives at once, without any new event.
import { createStore } from 'zustand/vanilla';
import { msg, type Message } from '../../i18n';
import { useStore } from 'zustand';
import { normaliseKey, type MemberInfo } from '../../protocol';
import type { BrowserCheck } from './badge';

export interface IdentityState {
  /** roomId → identity (normalised member key) → what the homeserver says about that member's link. */
  memberInfo: Record<string, Record<string, MemberInfo>>;
  /**
   * Rooms whose whole map was received (initial sync or /members). After a reload the client resumes with an
   * incremental sync, whose map holds only changes: such a room still needs its /members.
   */
  complete: Record<string, true>;
  /** Bumped per room on every member_info change. */
  revision: Record<string, number>;
  /** `${roomId} ${identity}` → this browser's own verdict. */
  browser: Record<string, BrowserCheck>;
  /** Bumped on every browser check, so derived views re-read them. */
  browserRevision: number;
  inspector?: { roomId: string; identity: string };

  /** `replace`: the whole map (initial sync or /members); otherwise changes only (incremental sync). */
  ingestMemberInfo(roomId: string, map: unknown, replace: boolean): void;
  setBrowserCheck(roomId: string, identity: string, check: BrowserCheck): void;
  /** Many at once (a whole room's links): one update, one render. */
  setBrowserChecks(roomId: string, checks: Iterable<[identity: string, check: BrowserCheck]>): void;
  openInspector(roomId: string, identity: string): void;
  closeInspector(): void;
}

export const browserKey = (roomId: string, identity: string) => `${roomId} ${identity}`;

/** A member_info map as received, keyed by normalised member key; entries that are not objects or not keyed by a key are dropped. */
export function normaliseMemberInfo(map: unknown): Record<string, MemberInfo> {
  const out: Record<string, MemberInfo> = {};
  if (typeof map !== 'object' || map === null || Array.isArray(map)) return out;
  for (const [stableId, info] of Object.entries(map)) {
    if (typeof info !== 'object' || info === null || Array.isArray(info)) continue;
    try {
      out[normaliseKey(stableId)] = info as MemberInfo;
    } catch {
      // not a member key: ignore rather than trust
    }
  }
  return out;
}

export function createIdentityStore() {
  return createStore<IdentityState>()((set) => ({
    memberInfo: {},
    complete: {},
    revision: {},
    browser: {},
    browserRevision: 0,
    ingestMemberInfo: (roomId, map, replace) =>
      set((state) => {
        const incoming = normaliseMemberInfo(map);
        if (!replace && Object.keys(incoming).length === 0) return state;
        const merged = replace ? incoming : { ...state.memberInfo[roomId], ...incoming };
        return {
          memberInfo: { ...state.memberInfo, [roomId]: merged },
          ...(replace && !state.complete[roomId] ? { complete: { ...state.complete, [roomId]: true as const } } : {}),
          revision: { ...state.revision, [roomId]: (state.revision[roomId] ?? 0) + 1 },
        };
      }),
    setBrowserCheck: (roomId, identity, check) =>
      set((state) => ({
        browser: { ...state.browser, [browserKey(roomId, identity)]: check },
        browserRevision: state.browserRevision + 1,
      })),
    setBrowserChecks: (roomId, checks) =>
      set((state) => {
        const browser = { ...state.browser };
        for (const [identity, check] of checks) browser[browserKey(roomId, identity)] = check;
        return { browser, browserRevision: state.browserRevision + 1 };
      }),
    openInspector: (roomId, identity) => set({ inspector: { roomId, identity } }),
    closeInspector: () => set({ inspector: undefined }),
  }));
}

export type IdentityStore = ReturnType<typeof createIdentityStore>;
export const identityStore = createIdentityStore();

export function useIdentity<T>(selector: (state: IdentityState) => T): T {
  return useStore(identityStore, selector);
}

/** Feeds the store from a raw /sync body: the whole map for rooms synced from the start, changes otherwise. */
export function ingestSyncBody(store: IdentityStore, body: unknown, initial: boolean): void {
  const rooms = (body as { rooms?: { join?: Record<string, Record<string, unknown>> } } | null)?.rooms?.join;
  if (typeof rooms !== 'object' || rooms === null) return;
  for (const [roomId, room] of Object.entries(rooms)) {
    const map = room?.['org.matrix.msc4428.member_info'];
    if (map !== undefined) store.getState().ingestMemberInfo(roomId, map, initial);
  }
}

/** "Checked 5 links in this browser: 4 verified, 1 unverified; 1 disagrees with your homeserver." */
export function summarizeBrowserChecks(
  roomId: string,
  identities: readonly string[],
  state: Pick<IdentityState, 'browser' | 'memberInfo'> = identityStore.getState(),
): Message {
  const counts = new Map<string, number>();
  let disagreeing = 0;
  for (const identity of identities) {
    const check = state.browser[browserKey(roomId, identity)];
    if (check?.state !== 'done') continue;
    counts.set(check.status, (counts.get(check.status) ?? 0) + 1);
    const server = state.memberInfo[roomId]?.[identity]?.['dev.wayfarer.link']?.status;
    if (server && server !== check.status) disagreeing++;
  }
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const parts = [...counts].map(([status, n]) => `${n} ${status}`).join(', ');
  const found = parts || msg('identity.check.none');
  return disagreeing
    ? msg('identity.check.summaryDisagreeing', { count: total, found, disagreeing })
    : msg('identity.check.summary', { count: total, found });
}
