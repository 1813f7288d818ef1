// The badge of one identity (a member key, or a user ID in classic rooms), as a small state machine fed by
// three inputs: the homeserver's member_info (PROTOCOL.md §5), the member events of that key seen in the room
// (its handle history), and this browser's own link check. Bluesky's "⚠ Invalid Handle" is the model: an
// unverified claim is never shown as if it were a handle.
import type { LinkInfo, LinkStatus, LinkVerdictCode } from '../../protocol';
import { msg, type Message } from '../../i18n';

/** One m.room.member event of a key: the handle it claimed at that time. */
export type HandleRecord = {
  eventId: string;
  ts: number;
  localpart?: string;
  domain?: string;
  membership?: string;
  /** The display name as the event carries it (raw: hidden characters and all). */
  displayname?: string;
};

/** What this browser found when it verified the link itself. */
export type BrowserCheck =
  | { state: 'checking'; startedTs: number }
  | {
      state: 'done';
      status: LinkStatus;
      /** 'not_rechecked': unreachable, and verified before by the homeserver only (see `unreachable`). */
      code: LinkVerdictCode | 'fetch_failed' | 'not_rechecked';
      reason: string;
      /**
       * The check could not be made now (PROTOCOL.md §4, fail open): `domain` (the claimed domain, or the homeserver
       * handing over the member event) did not answer, and the link stands on an earlier verification, by this
       * browser or by the homeserver, at `lastVerifiedTs`.
       */
      unreachable?: { domain: string; by: 'browser' | 'homeserver'; lastVerifiedTs: number };
      domain?: string;
      keyId?: string;
      checkedTs: number;
      eventId?: string;
    };

export type KeyIdentityState = {
  identity: string;
  /** False in classic rooms: the user ID is the identity and there is no link to check. */
  isKey: boolean;
  link?: LinkInfo;
  history: HandleRecord[];
  browser?: BrowserCheck;
};

export type IdentityAction =
  | { type: 'member_info'; link: LinkInfo | undefined }
  | { type: 'member_event'; record: HandleRecord }
  | { type: 'browser_check'; check: BrowserCheck };

export function initialIdentityState(identity: string, isKey: boolean): KeyIdentityState {
  return { identity, isKey, history: [] };
}

export function reduceIdentity(state: KeyIdentityState, action: IdentityAction): KeyIdentityState {
  switch (action.type) {
    case 'member_info':
      return { ...state, link: action.link };
    case 'member_event': {
      if (state.history.some((r) => r.eventId === action.record.eventId)) return state;
      const history = [...state.history, action.record].sort((a, b) => a.ts - b.ts);
      return { ...state, history };
    }
    case 'browser_check':
      return { ...state, browser: action.check };
  }
}

export type Badge =
  /** Classic room: the user ID is the identity and is shown as it is. */
  | { kind: 'plain'; handle: string }
  | { kind: 'verified'; handle: string; domain: string; keyId?: string; checkedTs?: number }
  | { kind: 'unverified'; claimedHandle?: string; reason: Message }
  /** The homeserver reports the link still being made (PROTOCOL.md §5 `pending`): neither verified nor an impostor. */
  | { kind: 'pending'; claimedHandle?: string; reason: Message }
  | { kind: 'erased'; shortKey: string }
  /**
   * Someone may be signing as this key besides its owner: its handle moved between domains and back, or the
   * homeserver saw the key's old server (`signer`) keep signing as it after it moved.
   */
  | { kind: 'contested'; claimedHandle?: string; reason: Message; linkStatus: LinkInfo['status']; signer?: ContestingSigner };

/** The homeserver's report that a key's old server kept signing as it after the key moved away. */
export type ContestingSigner = { by: string; movedTo?: string; sinceTs: number; eventId: string };

/** The first 8 characters of a key, as erased members are named (PROTOCOL.md §5). */
export function shortKey(identity: string): string {
  return identity.slice(0, 8);
}

export function handleOf(localpart: string | undefined, domain: string | undefined): string | undefined {
  return localpart && domain ? `@${localpart}:${domain}` : undefined;
}

/** The domains a key's handle lived on, in order, with repeats of consecutive entries folded. */
export function domainTrail(history: readonly HandleRecord[]): string[] {
  const trail: string[] = [];
  for (const record of history) if (record.domain && trail.at(-1) !== record.domain) trail.push(record.domain);
  return trail;
}

/** Why a key is contested, or undefined: its handle went back to a domain it had left (A → B → A). */
export function contestedReason(history: readonly HandleRecord[], link?: LinkInfo): Message | undefined {
  const trail = domainTrail(history);
  for (let i = 2; i < trail.length; i++) {
    if (trail.slice(0, i - 1).includes(trail[i]!)) {
      return msg('identity.contested.movedBack', { from: trail[i - 1]!, to: trail[i]!, trail: trail.join(' → ') });
    }
  }
  // The homeserver reports a claim on a domain the key had moved away from.
  const last = trail.at(-1);
  if (link?.domain && last && link.domain !== last && trail.includes(link.domain)) {
    return msg('identity.contested.claimOnLeft', { domain: link.domain, last });
  }
  return undefined;
}

/**
 * The homeserver's `contested` report, if well formed and still about another server than the one the key now
 * claims (a key back on its old server is not contested by it). Malformed reports are ignored, not trusted.
 */
export function contestingSigner(link: LinkInfo | undefined): ContestingSigner | undefined {
  const report: unknown = link?.contested;
  if (typeof report !== 'object' || report === null) return undefined;
  const { by, since_ts: sinceTs, event_id: eventId } = report as Record<string, unknown>;
  if (typeof by !== 'string' || by === '' || typeof sinceTs !== 'number' || !Number.isFinite(sinceTs) || typeof eventId !== 'string')
    return undefined;
  if (by === link?.domain) return undefined;
  return link?.domain ? { by, movedTo: link.domain, sinceTs, eventId } : { by, sinceTs, eventId };
}

export function signerReason(signer: ContestingSigner): Message {
  return signer.movedTo
    ? msg('identity.contested.signer', { by: signer.by, movedTo: signer.movedTo })
    : msg('identity.contested.signerElsewhere', { by: signer.by });
}

export function badgeOf(state: KeyIdentityState): Badge {
  if (!state.isKey) return { kind: 'plain', handle: state.identity };
  const link = state.link;
  const latest = state.history.at(-1);
  const claimedHandle = handleOf(link?.localpart ?? latest?.localpart, link?.domain ?? latest?.domain);
  if (link?.status === 'erased') return { kind: 'erased', shortKey: shortKey(state.identity) };
  const signer = contestingSigner(link);
  if (signer) return { kind: 'contested', claimedHandle, reason: signerReason(signer), linkStatus: link?.status ?? 'unverified', signer };
  const contested = contestedReason(state.history, link);
  if (contested) return { kind: 'contested', claimedHandle, reason: contested, linkStatus: link?.status ?? 'unverified' };
  if (link?.status === 'verified' && link.localpart && link.domain) {
    const badge: Badge = { kind: 'verified', handle: `@${link.localpart}:${link.domain}`, domain: link.domain, checkedTs: link.checked_ts };
    if (link.key_id) badge.keyId = link.key_id;
    return badge;
  }
  if (!link) return { kind: 'unverified', claimedHandle, reason: msg('identity.unverified.notReported') };
  if (link.status === 'pending')
    return {
      kind: 'pending',
      claimedHandle,
      reason: link.reason ? msg('identity.reason.text', { reason: link.reason }) : msg('identity.pending.reason'),
    };
  return {
    kind: 'unverified',
    claimedHandle,
    reason: link.reason ? msg('identity.reason.text', { reason: link.reason }) : msg('identity.unverified.notVerified'),
  };
}

/**
 * Where this browser's own verdict and the homeserver's differ, the words to say so
 * ("your homeserver says verified; this browser found: …"); undefined when they agree or nothing was checked.
 */
export function disagreement(state: KeyIdentityState): Message | undefined {
  const browser = state.browser;
  if (!state.isKey || browser?.state !== 'done' || !state.link) return undefined;
  if (browser.status === state.link.status) return undefined;
  return msg('identity.disagreement', { server: state.link.status, browser: browser.status, reason: browser.reason });
}

/** The text that stands where a handle would be: never an unverified claim. */
export function badgeLabel(badge: Badge): Message {
  switch (badge.kind) {
    case 'plain':
    case 'verified':
      return msg('identity.badge.handle', { handle: badge.handle });
    case 'unverified':
      return msg('identity.badge.unverified');
    case 'pending':
      return msg('identity.badge.pending');
    case 'erased':
      return msg('identity.badge.erased', { shortKey: badge.shortKey });
    case 'contested':
      return msg('identity.badge.contested');
  }
}

/** What a screen reader says for the badge, and the tooltip with the claim and the reason. */
export function badgeDescription(badge: Badge): { accessibleName: Message; tooltip: Message } {
  switch (badge.kind) {
    case 'plain': {
      const handle = msg('identity.badge.handle', { handle: badge.handle });
      return { accessibleName: handle, tooltip: handle };
    }
    case 'verified':
      return {
        accessibleName: msg('identity.badge.verifiedName', { handle: badge.handle }),
        tooltip: badge.keyId
          ? msg('identity.badge.verifiedTooltipKey', { handle: badge.handle, domain: badge.domain, keyId: badge.keyId })
          : msg('identity.badge.verifiedTooltip', { handle: badge.handle, domain: badge.domain }),
      };
    case 'unverified':
      return {
        accessibleName: msg('identity.badge.unverifiedName'),
        tooltip: badge.claimedHandle
          ? msg('identity.badge.unverifiedClaimTooltip', { claim: badge.claimedHandle, reason: badge.reason })
          : msg('identity.badge.unverifiedTooltip', { reason: badge.reason }),
      };
    case 'pending':
      return {
        accessibleName: msg('identity.badge.pendingName'),
        tooltip: badge.claimedHandle
          ? msg('identity.badge.pendingClaimTooltip', { claim: badge.claimedHandle, reason: badge.reason })
          : msg('identity.badge.pendingTooltip', { reason: badge.reason }),
      };
    case 'erased':
      return {
        accessibleName: msg('identity.badge.erasedName', { shortKey: badge.shortKey }),
        tooltip: msg('identity.badge.erasedTooltip', { shortKey: badge.shortKey }),
      };
    case 'contested':
      return {
        accessibleName: msg('identity.badge.contestedName'),
        tooltip: badge.claimedHandle
          ? msg('identity.badge.contestedClaimTooltip', { claim: badge.claimedHandle, reason: badge.reason })
          : msg('identity.badge.contestedTooltip', { reason: badge.reason }),
      };
  }
}
