// Names, avatars, handles and badges for "who sent this": a pure function of what is known about one identity
// (the member key in member-key rooms, the user ID in classic ones). Every view that shows a person goes through
// here; the facts it needs (the member's data, the identity's state, its look-alikes) come from the room's
// identity index (src/domain/room/roomIdentities.ts) and are passed in, so nothing here reads a store or a Room.
import { normaliseKey, parseUserId, STABLE_ID_STATE_KEY_FIELD } from '../../protocol';
import type { RankedMatch } from './lookAlikes';
import { senderIdentity, type SenderFields } from './sender';
import { t } from '../../i18n';
import { badgeLabel, badgeOf, shortKey, type Badge, type KeyIdentityState } from './badge';

export interface SenderProfile {
  identity: string;
  /** The user ID matrix-js-sdk knows this sender by (what the server mapped it to; not a handle). */
  userId: string;
  name: string;
  avatarMxc?: string;
  badge: Badge;
  /** What stands where a handle would: the handle if verified, else the badge's words. */
  handleLabel: string;
  /** The room the profile is of (look-alike links open the inspector there). */
  roomId?: string;
  /** Other members this one can be mistaken for: `warn` on the copy, neutral on the original. */
  warnings: readonly RankedMatch[];
}

/** What the room's member list says about an identity's current member (none for people not in it). */
export interface MemberFacts {
  userId: string;
  /** The member event's displayname, when it is a non-blank string. */
  displayName?: string;
  avatarMxc?: string;
}

export interface SenderFacts {
  identity: string;
  /** The raw sender user ID, for names of people not (yet) in the member list. */
  sender: string;
  member?: MemberFacts;
  /** The badge state machine's state for the identity (badge.ts). */
  state: KeyIdentityState;
  warnings: readonly RankedMatch[];
  roomId?: string;
}

/** `@alice:example.org` → `alice`, for people not (yet) in the member list. */
export function localpartOf(userId: string): string {
  return parseUserId(userId)?.localpart ?? userId;
}

function keyOfStateKey(raw: { unsigned?: Record<string, unknown> }): string | undefined {
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
export function identityOfMemberEvent(raw: {
  state_key?: unknown;
  sender?: unknown;
  sender_key?: unknown;
  unsigned?: Record<string, unknown>;
}): string {
  const key = keyOfStateKey(raw);
  if (key) return key;
  // A member event one sent about oneself: the sender's identity is the subject's.
  if (raw.sender === raw.state_key) return senderIdentity(raw as SenderFields);
  return typeof raw.state_key === 'string' ? raw.state_key : '';
}

function fallbackName(badge: Badge, identity: string, userId: string): string {
  switch (badge.kind) {
    case 'plain':
      return localpartOf(userId);
    case 'verified':
      return localpartOf(badge.handle);
    case 'erased':
      return t('identity.sender.erased');
    default:
      return t('identity.sender.member', { shortKey: shortKey(identity) });
  }
}

/** Name, avatar, badge and warnings of one sender, from the facts about its identity alone. */
export function describeSender(facts: SenderFacts): SenderProfile {
  const identity = facts.identity || facts.sender;
  const badge = badgeOf(facts.state);
  return {
    identity,
    ...(facts.roomId ? { roomId: facts.roomId } : {}),
    userId: facts.member?.userId ?? facts.sender,
    name: facts.member?.displayName ?? fallbackName(badge, identity, facts.sender),
    avatarMxc: facts.member?.avatarMxc,
    badge,
    handleLabel: t(badgeLabel(badge)),
    warnings: facts.warnings,
  };
}
