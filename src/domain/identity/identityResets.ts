// Encryption identity changes of other users, as Element shows them (MSC4161's terms): when the crypto reports that a
// user's identity (cross-signing master key) changed since it was pinned, each encrypted room shared with them gets
// a notice where this client saw it; a change of an identity that was verified is a warning. The notices use the
// same log and rows as link changes (linkNotices.ts), with their own wording. Each offers Element's way out: "OK"
// pins the new identity, "Withdraw verification" drops the requirement; once done (here, or seen resolved on a later
// status report) the notice stays but its action goes, for good (the log is kept per account).
import { KnownMembership, type MatrixClient } from 'matrix-js-sdk';
import { CryptoEvent } from 'matrix-js-sdk/lib/crypto-api/CryptoEvent.js';
import type { UserVerificationStatus } from 'matrix-js-sdk/lib/crypto-api/index.js';
import { createStore } from 'zustand/vanilla';
import { identityOfMemberEvent } from './describeSender';
import {
  hasOpenIdentityReset,
  linkNoticeStore,
  usersWithOpenIdentityResets,
  type IdentityAction,
  type LinkNoticeKind,
  type LinkNoticeStore,
} from './linkNotices';
import { logger } from '../../platform/logger';

const log = logger('crypto');

/** What a changed identity asks of the user: Element's pin violation and verification violation. */
export type IdentityWarning = 'pinViolation' | 'verificationViolation';

type StatusLike = Pick<UserVerificationStatus, 'needsUserApproval' | 'isCrossSigningVerified' | 'wasCrossSigningVerified'>;

/** Element's rule: an identity once verified and no longer is outranks a pinned one that changed. */
export function identityWarningOf(status: StatusLike): IdentityWarning | undefined {
  if (status.wasCrossSigningVerified() && !status.isCrossSigningVerified()) return 'verificationViolation';
  if (status.needsUserApproval) return 'pinViolation';
  return undefined;
}

export const noticeKindOf = (warning: IdentityWarning): LinkNoticeKind =>
  warning === 'verificationViolation' ? 'verifiedIdentityReset' : 'identityReset';

/** Another user's encryption identity as this client last read it (the inspector's "Encryption" line). */
export interface UserTrust {
  verified: boolean;
  warning?: IdentityWarning;
}

export interface IdentityTrustState {
  trust: Record<string, UserTrust>;
  /** Users whose warning is being acted on. */
  pending: Record<string, true>;
  /** Users whose last action failed: why. */
  failed: Record<string, string>;
  note(userId: string, status: StatusLike): void;
  /** Reads a user's status again (the inspector opening). */
  refresh(client: MatrixClient, userId: string): Promise<void>;
  /** Pins the new identity, or withdraws the verification requirement; the notices' action goes once it's done. */
  approve(client: MatrixClient, userId: string, action: IdentityAction): Promise<void>;
  /** Sign-out. */
  clear(): void;
}

export function createIdentityTrustStore(notices: LinkNoticeStore) {
  return createStore<IdentityTrustState>()((set, get) => ({
    trust: {},
    pending: {},
    failed: {},
    note(userId, status) {
      const warning = identityWarningOf(status);
      const next: UserTrust = { verified: status.isCrossSigningVerified(), ...(warning ? { warning } : {}) };
      const before = get().trust[userId];
      if (!before || before.verified !== next.verified || before.warning !== next.warning)
        set({ trust: { ...get().trust, [userId]: next } });
      if (!warning) notices.getState().resolveIdentityReset(userId);
    },
    async refresh(client, userId) {
      const crypto = client.getCrypto();
      // An identity the crypto doesn't hold reads as "no warning": that must not resolve anything.
      if (!crypto || !(await crypto.userHasCrossSigningKeys(userId))) return;
      get().note(userId, await crypto.getUserVerificationStatus(userId));
    },
    async approve(client, userId, action) {
      const crypto = client.getCrypto();
      if (!crypto || get().pending[userId]) return;
      const { [userId]: _failed, ...failed } = get().failed;
      set({ pending: { ...get().pending, [userId]: true }, failed });
      try {
        if (action === 'withdraw') await crypto.withdrawVerificationRequirement(userId);
        else await crypto.pinCurrentUserIdentity(userId);
        await get().refresh(client, userId);
      } catch (error) {
        log.warn(`could not ${action === 'withdraw' ? 'withdraw the verification of' : 'pin the identity of'} ${userId}`, error);
        set({ failed: { ...get().failed, [userId]: error instanceof Error ? error.message : String(error) } });
      } finally {
        const { [userId]: _done, ...pending } = get().pending;
        set({ pending });
      }
    },
    clear() {
      set({ trust: {}, pending: {}, failed: {} });
    },
  }));
}

export type IdentityTrustStore = ReturnType<typeof createIdentityTrustStore>;

/** The signed-in account's view of other users' identities. */
export const identityTrustStore: IdentityTrustStore = createIdentityTrustStore(linkNoticeStore);

/** Reads the crypto's verdict on people's identities, each once; see createTrustReader. */
export interface TrustReader {
  /** Queues these users' identities for reading, unless known already, asked before, or over the limit. */
  want(userIds: Iterable<string>): void;
  /** Reads no more. */
  stop(): void;
}

/**
 * The member list's "Verified" marks: reads each person's identity status from the crypto once, one at a time, at
 * most `limit` people (a larger room's others get theirs from the inspector); later changes come as status reports
 * (followIdentityResets). People asked for while a read is under way join the queue, none is dropped.
 */
export function createTrustReader(client: MatrixClient, trust: IdentityTrustStore = identityTrustStore, limit = 200): TrustReader {
  const asked = new Set<string>();
  const queue: string[] = [];
  let running = false;
  let stopped = false;
  const run = async () => {
    running = true;
    while (!stopped && queue.length > 0) {
      const userId = queue.shift()!;
      await trust
        .getState()
        .refresh(client, userId)
        .catch((error: unknown) => log.debug(`could not read ${userId}’s identity status`, error));
    }
    running = false;
  };
  return {
    want(userIds) {
      if (stopped) return;
      for (const userId of userIds) {
        if (asked.size >= limit) break;
        if (asked.has(userId) || trust.getState().trust[userId]) continue;
        asked.add(userId);
        queue.push(userId);
      }
      if (!running) void run();
    },
    stop() {
      stopped = true;
      queue.length = 0;
    },
  };
}

/**
 * Follows other users' identity statuses: a new warning adds a notice in each encrypted room shared with them (one
 * per room while it is open: the SDK reports the same status again on later device-list updates); a status without
 * one resolves the notices. The notices that were open when the session started are checked once (resolved in
 * another session, or while this one was closed).
 *
 * A report is read again from the crypto before it counts: the SDK reads the status it reports asynchronously, so
 * one read just before the user's OK or Withdraw can arrive after it, and would bring the warning back (a second
 * notice, with its action) for an identity already dealt with. Of several reports for a user, the last one counts.
 */
export function followIdentityResets(
  client: MatrixClient,
  store: LinkNoticeStore = linkNoticeStore,
  trust: IdentityTrustStore = identityTrustStore,
): () => void {
  const newestReport = new Map<string, number>();
  let following = true;
  const onReport = (userId: string, reported: UserVerificationStatus) => {
    if (userId === client.getUserId()) return;
    const crypto = client.getCrypto();
    if (!crypto) return onStatus(userId, reported);
    const report = (newestReport.get(userId) ?? 0) + 1;
    newestReport.set(userId, report);
    crypto
      .getUserVerificationStatus(userId)
      .catch((error: unknown) => {
        log.warn(`could not read ${userId}’s identity status again; taking the one reported`, error);
        return reported;
      })
      .then((status) => {
        if (following && newestReport.get(userId) === report) onStatus(userId, status);
      });
  };
  const onStatus = (userId: string, status: UserVerificationStatus) => {
    trust.getState().note(userId, status);
    const warning = identityWarningOf(status);
    if (!warning) return;
    const kind = noticeKindOf(warning);
    for (const room of client.getRooms()) {
      if (room.getMyMembership() !== KnownMembership.Join || !room.hasEncryptionStateEvent()) continue;
      const member = room.getMember(userId);
      const raw = member?.events.member?.event;
      if (!member || member.membership !== KnownMembership.Join || !raw) continue;
      if (hasOpenIdentityReset(store.getState().rooms[room.roomId], userId)) continue;
      store.getState().add(room.roomId, { identity: identityOfMemberEvent(raw as never), userId, kind, from: 'verified', to: 'verified' });
    }
  };
  client.on(CryptoEvent.UserTrustStatusChanged, onReport);
  for (const userId of usersWithOpenIdentityResets(store.getState().rooms))
    trust
      .getState()
      .refresh(client, userId)
      .catch((error: unknown) => log.warn(`could not read ${userId}’s identity status`, error));
  return () => {
    following = false;
    client.off(CryptoEvent.UserTrustStatusChanged, onReport);
  };
}
