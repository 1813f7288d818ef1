// Builds, authorises and persists events for local users: picks prev_events/auth_events/depth, signs with the
// right key (server key or member key), runs the auth rules against the current state, and stores the PDU.
import { randomBytes } from 'node:crypto';
import {
  computeRoomIdFromCreate,
  CREATOR_NONCE_FIELD,
  decodeBase64,
  generateCreatorNonce,
  encodeBase64,
  KEY_NONCE_FIELD,
  keyPairFromSeed,
  memberIdFromPublicKey,
  redactEvent,
} from '../../src/protocol';
import { forbidden, invalidParam, MatrixError, notFound } from '../http/errors';
import { isLocalUserId, localpartOf } from '../homeserver';
import type { LinkService } from '../links/link-service';
import type { NotificationCounts } from '../push/notification-counts';
import type { CurrentSigningKey } from '../signing-key';
import type { AccountKeyStore } from '../storage/account-keys';
import type { StreamCounter } from '../storage/database';
import type { EventStore, StoredEvent } from '../storage/events';
import { type InviteKeyStore, MAX_PENDING_POOL_KEYS_PER_SERVER } from '../storage/invite-keys';
import type { MemberKeyStore } from '../storage/member-keys';
import type { Notifier } from '../sync/notifier';
import { stateKeyOf } from '../storage/events';
import { AuthError, checkAuth, mayRedact, type AuthState } from './authorization';
import { sealPdu, type Pdu } from './pdu';
import { hasRoomIdFromCreate, usesMemberKeys } from './room-versions';
import { MAIN_THREAD } from './threads';

export interface EventDraft {
  type: string;
  stateKey?: string;
  content: Record<string, unknown>;
}

export interface SealedEvent {
  roomId: string;
  version: string;
  eventId: string;
  pdu: Pdu;
}

export interface SendContext {
  deviceId?: string;
  txnId?: string;
  /** Records (path, txnId) → event ID in the same transaction as the event, so a retry after a crash is idempotent too. */
  transactionPath?: string;
}

/**
 * How many prev_events a new event of ours names (Synapse's choice; the spec's limit is 20, and servers refuse more).
 * The deepest forward extremities are picked; the rest stay extremities for the next event.
 */
export const MAX_PREV_EVENTS = 10;

export const toAuthState = (state: ReadonlyMap<string, StoredEvent>): AuthState =>
  new Map([...state].map(([key, event]) => [key, event.pdu]));

/**
 * The auth state of a state map, made once per map for the state cache's shared (frozen) maps (EventStore.currentStateView):
 * a send in a room of 200 copied 200 entries to authorise a message. Read only.
 */
const authStates = new WeakMap<ReadonlyMap<string, StoredEvent>, AuthState>();
function sharedAuthState(state: ReadonlyMap<string, StoredEvent>): AuthState {
  if (!Object.isFrozen(state)) return toAuthState(state);
  let authState = authStates.get(state);
  if (!authState) authStates.set(state, (authState = toAuthState(state)));
  return authState;
}

/** Called inside the transaction that stored a local event (Federation snapshots state and queues it for peers). */
export type LocalEventListener = (event: StoredEvent, version: string) => void;

/** Local user ID behind a member ID (undefined for remote or unknown members): the user ID itself in classic rooms, the member key's holder in member-key rooms. */
export function localUserOfMember(
  memberKeys: MemberKeyStore,
  serverName: string,
  roomId: string,
  version: string,
  memberId: string,
): string | undefined {
  if (!usesMemberKeys(version)) return isLocalUserId({ config: { serverName } }, memberId) ? memberId : undefined;
  return memberKeys.forKey(roomId, memberId)?.user_id;
}

export interface RoomServiceDeps {
  serverName: string;
  signingKey: CurrentSigningKey;
  events: EventStore;
  memberKeys: MemberKeyStore;
  inviteKeys: InviteKeyStore;
  accountKeys: AccountKeyStore;
  stream: StreamCounter;
  notifier: Notifier;
  links: LinkService;
  push: NotificationCounts;
}

export class RoomService {
  private readonly localEventListeners: LocalEventListener[] = [];
  private readonly serverName: string;
  private readonly signingKey: CurrentSigningKey;
  private readonly events: EventStore;
  private readonly memberKeys: MemberKeyStore;
  private readonly inviteKeys: InviteKeyStore;
  private readonly accountKeys: AccountKeyStore;
  private readonly stream: StreamCounter;
  private readonly notifier: Notifier;
  private readonly links: LinkService;
  private readonly push: NotificationCounts;

  constructor(deps: RoomServiceDeps) {
    ({
      serverName: this.serverName,
      signingKey: this.signingKey,
      events: this.events,
      memberKeys: this.memberKeys,
      inviteKeys: this.inviteKeys,
      accountKeys: this.accountKeys,
      stream: this.stream,
      notifier: this.notifier,
      links: this.links,
      push: this.push,
    } = deps);
  }

  /** Subscribes to every local event stored from now on; the listener runs inside the storing transaction. */
  onLocalEventStored(listener: LocalEventListener): void {
    this.localEventListeners.push(listener);
  }

  /** The room's version; 404 when this server doesn't know the room. */
  versionOf(roomId: string): string {
    const room = this.events.room(roomId);
    if (!room) throw notFound(`Unknown room ${roomId}`);
    return room.room_version;
  }

  /** A seed the server makes and keeps for a user's member key (password accounts: PROTOCOL.md §2). */
  newMemberSeed(): Uint8Array {
    return new Uint8Array(randomBytes(32));
  }

  /** Parses a client-supplied `dev.wayfarer.member_seed` (unpadded base64 of 32 bytes). */
  parseMemberSeed(value: unknown): Uint8Array | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw invalidParam('dev.wayfarer.member_seed must be a base64 string');
    let seed: Uint8Array;
    try {
      seed = decodeBase64(value);
    } catch {
      throw invalidParam('dev.wayfarer.member_seed is not valid base64');
    }
    if (seed.length !== 32) throw invalidParam('dev.wayfarer.member_seed must encode 32 bytes');
    return seed;
  }

  /**
   * The member ID of a local user in a room: the user ID in classic rooms; in member-key rooms the user's
   * member key, made (from `seed`, or a fresh server-held seed) when the user has none yet.
   */
  memberIdFor(roomId: string, version: string, userId: string, seed?: Uint8Array): string {
    if (!usesMemberKeys(version)) return userId;
    const existing = this.memberKeys.forUser(roomId, userId);
    const requested = seed ? memberIdFromPublicKey(keyPairFromSeed(seed).publicKey) : undefined;
    if (existing) {
      if (requested && requested !== existing.member_key) {
        const pooled = existing.seed ? undefined : this.inviteKeys.forRoom(userId, roomId);
        if (pooled?.member_key === existing.member_key)
          throw invalidParam(
            `the invite named member key ${existing.member_key} from this account's invite-key pool; that seed's key is ${requested}: derive the seed from nonce ${pooled.nonce}`,
          );
        throw invalidParam(`this account already has member key ${existing.member_key} in ${roomId}`);
      }
      // An invite took this key from the pool (public half only): the join brings its seed, checked above.
      if (seed && !existing.seed) this.memberKeys.setSeed(roomId, userId, encodeBase64(seed));
      return existing.member_key;
    }
    if (!isLocalUserId({ config: { serverName: this.serverName } }, userId))
      throw invalidParam(`${userId} is not a user of this server; remote users need federation`);
    this.refuseIfMoved(userId);
    const useSeed = seed ?? this.newMemberSeed();
    const memberKey = requested ?? memberIdFromPublicKey(keyPairFromSeed(useSeed).publicKey);
    const owner = this.memberKeys.forKey(roomId, memberKey);
    if (owner && owner.user_id !== userId) throw invalidParam(`member key ${memberKey} already belongs to another account in ${roomId}`);
    this.memberKeys.put(roomId, memberKey, userId, encodeBase64(useSeed));
    return memberKey;
  }

  /**
   * The member key a local user gets when another member needs one for them (an invite, local or through
   * MSC4430's federation `member_key` lookup from `askedBy`; a ban or power level before they joined): a portable
   * account's next unused invite-pool key, handed out once only and bound to this room (PROTOCOL.md §5); a key
   * the server makes itself when the pool is empty or the account has none (password accounts).
   */
  memberIdForInvite(roomId: string, version: string, userId: string, askedBy: string = this.serverName): string {
    if (!usesMemberKeys(version)) return userId;
    const existing = this.memberKeys.forUser(roomId, userId)?.member_key;
    if (existing) return existing;
    const account = this.accountKeys.forUser(userId);
    const local = isLocalUserId({ config: { serverName: this.serverName } }, userId);
    const overShare = askedBy !== this.serverName && this.inviteKeys.pendingHandedTo(userId, askedBy) >= MAX_PENDING_POOL_KEYS_PER_SERVER;
    if (account && !account.moved_to && local && !overShare) {
      const taken = this.events.transaction(() => {
        const state = this.events.room(roomId) ? this.events.currentState(roomId) : undefined;
        // A key someone else already holds in this room (e.g. an uploaded copy of another member's public key) is refused.
        const row = this.inviteKeys.take(
          userId,
          roomId,
          askedBy,
          (candidate) =>
            !this.memberKeys.forKey(roomId, candidate.member_key) && !state?.has(stateKeyOf('m.room.member', candidate.member_key)),
        );
        if (row) this.memberKeys.put(roomId, row.member_key, userId, null);
        return row;
      });
      if (taken) return taken.member_key;
    }
    return this.memberIdFor(roomId, version, userId);
  }

  /** The invite-key nonce of a local user's member key in a room, when the key came from its pool. */
  keyNonceOf(roomId: string, userId: string, memberKey: string): string | undefined {
    const row = this.inviteKeys.forRoom(userId, roomId);
    return row?.member_key === memberKey ? row.nonce : undefined;
  }

  /** Local user ID behind a member ID (undefined for remote or unknown members). */
  localUserOf(roomId: string, version: string, memberId: string): string | undefined {
    return localUserOfMember(this.memberKeys, this.serverName, roomId, version, memberId);
  }

  /**
   * The member a client means when it acts on one (invite, kick, ban, unban, a member state event): the user ID in
   * classic rooms. Member-key rooms take the member key (stable ID `@<key>`) as is. A user ID of this server names
   * the key this server holds for that account (made if it has none yet): we know it, whatever others claim. A user
   * ID of another server names the member key whose current member event claims it (`localpart`, `domain`); that
   * claim is only a claim, so when more than one key makes it the request is refused (400 M_INVALID_PARAM) rather
   * than picking one, and none is 404.
   */
  resolveTarget(roomId: string, version: string, userIdOrKey: string): string {
    if (!usesMemberKeys(version)) return userIdOrKey;
    if (!userIdOrKey.includes(':')) {
      if (!/^@[A-Za-z0-9_-]{43}$/.test(userIdOrKey)) throw invalidParam(`${userIdOrKey} is neither a user ID nor a member key`);
      return userIdOrKey;
    }
    if (isLocalUserId({ config: { serverName: this.serverName } }, userIdOrKey))
      return this.memberIdForInvite(roomId, version, userIdOrKey);
    const claimers = this.claimersOf(roomId, userIdOrKey);
    if (claimers.length > 1) {
      throw invalidParam(
        `${userIdOrKey} is claimed by ${claimers.length} member keys in ${roomId} (${claimers.join(', ')}); name the member by its member key (stable ID) instead`,
      );
    }
    if (claimers.length === 0) throw notFound(`${userIdOrKey} has no member key in ${roomId}`);
    return claimers[0]!;
  }

  /**
   * Member keys whose current claim (any membership) is this user ID (member-key rooms). A kick or ban carries no
   * claim of its own (the kicker cannot claim for the kicked): the member's claim is then its previous member
   * event's, so a kicked or banned member can still be banned, unbanned or re-invited by user ID.
   */
  private claimersOf(roomId: string, userId: string): string[] {
    const colon = userId.indexOf(':');
    const [localpart, domain] = [userId.slice(1, colon), userId.slice(colon + 1)];
    const keys: string[] = [];
    for (const event of this.events.currentState(roomId).values()) {
      if (event.pdu.type !== 'm.room.member' || event.pdu.state_key === undefined) continue;
      let claim = event;
      for (let hops = 0; hops < 20 && claim.pdu.content.domain === undefined && claim.pdu.sender !== claim.pdu.state_key; hops++) {
        const previous = claim.replacesState ? this.events.event(claim.replacesState) : undefined;
        if (!previous) break;
        claim = previous;
      }
      if (claim.pdu.content.localpart === localpart && claim.pdu.content.domain === domain) keys.push(event.pdu.state_key);
    }
    return keys.sort();
  }

  /** The seed of a local user's server-held member key (member-key rooms), to sign with. */
  seedOf(roomId: string, version: string, userId: string): Uint8Array | undefined {
    if (!usesMemberKeys(version)) return undefined;
    const row = this.memberKeys.forUser(roomId, userId);
    if (!row?.seed) this.refuseIfMoved(userId);
    const pooled = row && !row.seed ? this.keyNonceOf(roomId, userId, row.member_key) : undefined;
    if (pooled)
      throw new MatrixError(
        400,
        'M_MISSING_PARAM',
        `this account's member key in ${roomId} came from its invite-key pool, so only its client can make the seed: send dev.wayfarer.member_seed derived from nonce ${pooled}`,
      );
    if (!row?.seed) throw forbidden('the server holds no member key for this account in this room');
    return decodeBase64(row.seed);
  }

  /** A portable account that moved away (PROTOCOL.md §7) has had its member keys forgotten here: nothing is signed as it. */
  private refuseIfMoved(userId: string): void {
    const movedTo = this.accountKeys.forUser(userId)?.moved_to;
    if (movedTo) throw forbidden(`${userId} has moved to ${movedTo}; this server no longer holds its member keys`);
  }

  /**
   * Member event content gets the §3 claim (`localpart`, `domain`) for local targets in member-key rooms, and a
   * join the invite-key nonce of its key (§5: from our pool, or carried from the key's current member event, e.g.
   * after a migration adopted it), so K and room state alone re-derive the key.
   */
  private decorateMemberContent(roomId: string, version: string, draft: EventDraft): EventDraft {
    if (draft.type !== 'm.room.member' || !usesMemberKeys(version) || draft.stateKey === undefined) return draft;
    const target = this.localUserOf(roomId, version, draft.stateKey);
    if (!target) return draft;
    const content: Record<string, unknown> = { ...draft.content, localpart: localpartOf(target), domain: this.serverName };
    const given = content[KEY_NONCE_FIELD];
    delete content[KEY_NONCE_FIELD];
    if (content.membership === 'join') {
      // Only the key's holder re-derives from it, and checks the result against the key: a wrong nonce misleads no one else.
      const carried = this.events.currentState(roomId).get(stateKeyOf('m.room.member', draft.stateKey))?.pdu.content[KEY_NONCE_FIELD];
      const nonce = this.keyNonceOf(roomId, target, draft.stateKey) ?? [carried, given].find((n) => typeof n === 'string' && n.length > 0);
      if (nonce) content[KEY_NONCE_FIELD] = nonce;
    }
    return { ...draft, content };
  }

  /** Builds, signs, authorises and stores one event from a local user. Throws 403 when the auth rules refuse it. */
  send(roomId: string, userId: string, draftIn: EventDraft, context: SendContext = {}): StoredEvent {
    const stored = this.events.transaction(() => this.commitInTransaction(this.seal(roomId, userId, draftIn), userId, context));
    this.notifier.notifyRoom(roomId);
    return stored;
  }

  /** Builds and signs an event from a local user without storing it (a remote invite needs the invitee's signature first). */
  seal(roomId: string, userId: string, draftIn: EventDraft): SealedEvent {
    const version = this.versionOf(roomId);
    const sender = this.memberIdFor(roomId, version, userId);
    const draft = this.decorateMemberContent(roomId, version, draftIn);
    const state = this.events.currentStateView(roomId);
    const { prevEvents: prevIds, depth } = this.prevEventsFor(roomId);
    const unsealed: Pdu = {
      type: draft.type,
      room_id: roomId,
      sender,
      ...(draft.stateKey !== undefined ? { state_key: draft.stateKey } : {}),
      content: draft.content,
      origin_server_ts: Date.now(),
      depth,
      prev_events: prevIds,
      auth_events: selectAuthEvents(draft, sender, state, version),
    };
    const { pdu, eventId } = sealPdu(unsealed, version, this.serverName, this.signingKey.current, this.seedOf(roomId, version, userId));
    return { roomId, version, eventId, pdu };
  }

  /** The prev_events of a new event in the room (at most MAX_PREV_EVENTS extremities, the deepest) and its depth. */
  prevEventsFor(roomId: string): { prevEvents: string[]; depth: number } {
    const chosen = this.events.deepestExtremities(roomId, MAX_PREV_EVENTS);
    return { prevEvents: chosen.map((e) => e.event_id), depth: Math.max(0, ...chosen.map((e) => e.depth)) + 1 };
  }

  /** Authorises a sealed event against the current state and stores it. */
  commit(sealed: SealedEvent, userId: string, context: SendContext = {}): StoredEvent {
    const stored = this.events.transaction(() => this.commitInTransaction(sealed, userId, context));
    this.notifier.notifyRoom(sealed.roomId);
    return stored;
  }

  private commitInTransaction(sealed: SealedEvent, userId: string, context: SendContext): StoredEvent {
    const { roomId, version, eventId, pdu } = sealed;
    const state = this.events.currentStateView(roomId);
    const authState = sharedAuthState(state);
    const createId = state.get(stateKeyOf('m.room.create', ''))?.eventId;
    const onlyPrevIsCreate = pdu.prev_events.length === 1 && pdu.prev_events[0] === createId;
    try {
      checkAuth(pdu, authState, version, onlyPrevIsCreate);
    } catch (error) {
      if (error instanceof AuthError) throw forbidden(error.message);
      throw error;
    }
    let target: StoredEvent | undefined;
    if (pdu.type === 'm.room.redaction') {
      const redacts = pdu.content.redacts;
      target = typeof redacts === 'string' ? this.events.event(redacts) : undefined;
      if (!target || target.roomId !== roomId) throw notFound('The event to redact is not in this room');
      if (!mayRedact(pdu.sender, target.pdu, authState, version)) throw forbidden('not allowed to redact this event');
    }
    const event = this.persist(roomId, version, eventId, pdu, state, userId, context);
    if (target && !target.redactedBy) {
      this.events.markRedacted(target.eventId, eventId, redactEvent(target.pdu, version) as unknown as Pdu);
      this.links.forgetEvent(target.eventId);
      this.push.forgetEvent(target.eventId);
    }
    return event;
  }

  /** Stores a sealed, authorised event and moves the room's state, extremities and local memberships forward. */
  private persist(
    roomId: string,
    version: string,
    eventId: string,
    pdu: Pdu,
    state: ReadonlyMap<string, StoredEvent>,
    userId: string | null,
    context: SendContext,
  ): StoredEvent {
    const streamOrdering = this.stream.next();
    const replacesState = pdu.state_key !== undefined ? (state.get(stateKeyOf(pdu.type, pdu.state_key))?.eventId ?? null) : null;
    const row = {
      streamOrdering,
      eventId,
      roomId,
      pdu,
      replacesState,
      senderUserId: userId,
      txnDeviceId: context.deviceId ?? null,
      txnId: context.txnId ?? null,
    };
    this.events.insertEvent(row);
    if (userId && context.deviceId && context.txnId && context.transactionPath) {
      this.events.recordTransaction(userId, context.deviceId, context.transactionPath, context.txnId, eventId);
    }
    if (pdu.state_key !== undefined) this.events.setCurrentState(roomId, pdu.type, pdu.state_key, eventId);
    // Events that arrived over federation since this one was sealed stay extremities.
    this.events.setForwardExtremities(
      roomId,
      [...this.events.forwardExtremities(roomId).filter((id) => !pdu.prev_events.includes(id)), eventId],
      [{ eventId, depth: pdu.depth, streamOrdering }],
    );
    if (pdu.type === 'm.room.member' && pdu.state_key !== undefined) {
      if (usesMemberKeys(version)) this.links.checkSoon(roomId);
      const member = this.localUserOf(roomId, version, pdu.state_key);
      if (member) {
        const previous = this.events.membership(roomId, member)?.membership;
        this.events.setMembership(roomId, member, String(pdu.content.membership), eventId, streamOrdering);
        if (pdu.content.membership === 'join' && previous !== 'join') this.push.resetRoom(roomId, member, streamOrdering);
      }
    }
    this.push.recordEvent({ roomId, version, eventId, streamOrdering, pdu, senderUserId: userId, state });
    // Sending is reading: what came before your own event no longer counts (Synapse's rule, pre-MSC4005), so a
    // client or device that sends no receipt for what it answered leaves no stale count behind. In the thread it was
    // sent in only: answering in the main timeline reads no thread, and a thread reply reads only its thread.
    if (userId) this.push.markRead(roomId, userId, streamOrdering, this.push.threadOf(pdu) ?? MAIN_THREAD);
    const stored = { ...row, redactedBy: null };
    for (const listener of this.localEventListeners) listener(stored, version);
    return stored;
  }

  /**
   * Creates a room: the create event and the creator's join, sealed and authorised like any other event.
   * Returns the new room ID; the caller sends the remaining initial state with `send`.
   */
  createRoomWithCreator(options: {
    userId: string;
    version: string;
    createContent: Record<string, unknown>;
    memberContent: Record<string, unknown>;
    creatorSeed?: Uint8Array;
    creatorNonce?: string;
    isPublic: boolean;
  }): string {
    const { userId, version } = options;
    const serverName = this.serverName;
    const roomId = this.events.transaction(() => {
      let sender = userId;
      let seed: Uint8Array | undefined;
      const content: Record<string, unknown> = { ...options.createContent, room_version: version };
      if (usesMemberKeys(version)) {
        seed = options.creatorSeed ?? this.newMemberSeed();
        sender = memberIdFromPublicKey(keyPairFromSeed(seed).publicKey);
        // PROTOCOL.md §2: the creator's key can't depend on the room ID, so it is bound to a nonce in the create event.
        content[CREATOR_NONCE_FIELD] = options.creatorNonce ?? generateCreatorNonce();
      }
      const roomIdForClassic = usesMemberKeys(version) ? undefined : `!${randomBytes(12).toString('base64url')}:${serverName}`;
      const unsealed: Pdu = {
        type: 'm.room.create',
        ...(roomIdForClassic ? { room_id: roomIdForClassic } : {}),
        sender,
        state_key: '',
        content,
        origin_server_ts: Date.now(),
        depth: 1,
        prev_events: [],
        auth_events: [],
      };
      const { pdu, eventId } = sealPdu(unsealed, version, serverName, this.signingKey.current, seed);
      try {
        checkAuth(pdu, new Map(), version, false);
      } catch (error) {
        if (error instanceof AuthError) throw invalidParam(error.message);
        throw error;
      }
      const roomId = roomIdForClassic ?? computeRoomIdFromCreate(pdu, version);
      if (this.events.room(roomId)) throw new MatrixError(400, 'M_ROOM_IN_USE', 'That room already exists');
      this.events.createRoom(roomId, version, userId, options.isPublic);
      if (seed) this.memberKeys.put(roomId, sender, userId, encodeBase64(seed));
      this.persist(roomId, version, eventId, pdu, new Map(), userId, {});
      return roomId;
    });
    this.send(roomId, userId, {
      type: 'm.room.member',
      stateKey: this.memberIdFor(roomId, version, userId),
      content: options.memberContent,
    });
    return roomId;
  }
}

/** The spec's auth event selection ("Auth events selection"); v12 rooms leave out the create event. */
export function selectAuthEvents(draft: EventDraft, sender: string, state: ReadonlyMap<string, StoredEvent>, version: string): string[] {
  const pick = (type: string, stateKey: string) => state.get(stateKeyOf(type, stateKey))?.eventId;
  const ids = new Set<string>();
  const add = (id: string | undefined) => id && ids.add(id);
  if (!hasRoomIdFromCreate(version)) add(pick('m.room.create', ''));
  add(pick('m.room.power_levels', ''));
  add(pick('m.room.member', sender));
  if (draft.type === 'm.room.member' && draft.stateKey !== undefined) {
    add(pick('m.room.member', draft.stateKey));
    const membership = draft.content.membership;
    if (membership === 'join' || membership === 'invite' || membership === 'knock') add(pick('m.room.join_rules', ''));
  }
  return [...ids];
}
