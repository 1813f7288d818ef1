// Turns stored PDUs into the Client-Server API's event format. In member-key rooms this is where PROTOCOL.md §5
// happens: `sender`/member `state_key` become the linked user ID, `sender_key` and the stable IDs are added, and
// power level `users` are keyed by the same display IDs (clients reason about power by user ID).
import {
  encodeBase64,
  type LinkInfo,
  MEMBER_KEY_NONCE_UNSIGNED_FIELD,
  publicKeyFromMemberId,
  redactEvent,
  STABLE_ID_FIELD,
  STABLE_ID_STATE_KEY_FIELD,
} from '../../src/protocol';
import { displayIdOf } from '../links/link-service';
import type { Homeserver } from '../homeserver';
import type { Config } from '../config';
import type { Session } from '../storage/accounts';
import type { StoredEvent } from '../storage/events';
import type { Pdu } from './pdu';
import { erasureJudge, userHistoryView, type HistoryView, type UserHistorySource } from '../client-api/room-access';
import { bundledAggregations, type AggregationContext } from './aggregations';
import { creatorsOf } from './authorization';
import { hasRoomIdFromCreate, usesMemberKeys } from './room-versions';

/** Where an invite to a room this server is not in keeps its inviter's checked link (in the stored PDU's `unsigned`). */
export const INVITER_LINK_FIELD = 'dev.wayfarer.inviter_link';

/** How room creators (unlimited power in room version 12) appear in power levels shown to clients. */
export const CREATOR_POWER_LEVEL = Number.MAX_SAFE_INTEGER;

export type ClientEvent = Record<string, unknown> & { type: string; event_id: string; content: Record<string, unknown> };

/** What formatting reads: events and their history, room versions, links (display IDs), member keys, our server name. */
export type FormatterSources = UserHistorySource &
  Pick<Homeserver, 'rooms' | 'links'> & { config: Pick<Config, 'serverName'>; accounts: Pick<Homeserver['accounts'], 'erasedAt'> };

/** Formats events for one viewer; memoises room versions and member display IDs across a response. */
export class ClientFormatter {
  private readonly versions = new Map<string, string>();
  private readonly displayIds = new Map<string, string>();
  private readonly histories = new Map<string, HistoryView>();

  constructor(
    private readonly hs: FormatterSources,
    private readonly viewer: Session | undefined,
  ) {}

  version(roomId: string): string {
    let version = this.versions.get(roomId);
    if (!version) {
      version = this.hs.rooms.versionOf(roomId);
      this.versions.set(roomId, version);
    }
    return version;
  }

  /** What a client sees for a member ID: itself in classic rooms, the §5 mapping in member-key rooms. */
  displayId(roomId: string, memberId: string): string {
    const version = this.version(roomId);
    if (!usesMemberKeys(version) || memberId.includes(':')) return memberId;
    const cacheKey = `${roomId}\u0000${memberId}`;
    let id = this.displayIds.get(cacheKey);
    if (!id) {
      // The viewer's own key is the viewer, whatever other servers think of its link: a client finds its own
      // membership (and its own rooms) by its user ID, and this server holds the key for that very user.
      const own = this.viewer && this.hs.memberKeys.forKey(roomId, memberId)?.user_id === this.viewer.userId;
      id = own ? this.viewer!.userId : this.hs.links.displayId(roomId, memberId);
      this.displayIds.set(cacheKey, id);
    }
    return id;
  }

  /**
   * Names a member key by a link checked outside the room state (an invite's inviter, for a room this server is
   * not in), for the rest of this response; the viewer's own key still names the viewer.
   */
  knowDetachedLink(roomId: string, memberId: string, link: LinkInfo): void {
    const cacheKey = `${roomId}\u0000${memberId}`;
    if (this.viewer && this.hs.memberKeys.forKey(roomId, memberId)?.user_id === this.viewer.userId) return;
    this.displayIds.set(cacheKey, displayIdOf(link, memberId, this.hs.config.serverName));
  }

  event(stored: StoredEvent, options: { withRedactedBecause?: boolean } = {}): ClientEvent {
    const { roomId } = stored;
    const version = this.version(roomId);
    const pdu = this.asServed(stored);
    const memberKeys = usesMemberKeys(version);
    const unsigned: Record<string, unknown> = { age: Math.max(0, Date.now() - pdu.origin_server_ts) };
    const event: ClientEvent = {
      type: pdu.type,
      content: memberKeys ? this.mapContent(roomId, pdu.type, pdu.content) : pdu.content,
      event_id: stored.eventId,
      room_id: roomId,
      sender: this.displayId(roomId, pdu.sender),
      origin_server_ts: pdu.origin_server_ts,
      unsigned,
    };
    if (pdu.state_key !== undefined) {
      event.state_key = pdu.type === 'm.room.member' ? this.displayId(roomId, pdu.state_key) : pdu.state_key;
    }
    if (pdu.type === 'm.room.redaction' && typeof pdu.content.redacts === 'string') event.redacts = pdu.content.redacts;
    if (memberKeys) {
      event.sender_key = encodeBase64(publicKeyFromMemberId(pdu.sender));
      unsigned[STABLE_ID_FIELD] = pdu.sender;
      if (pdu.type === 'm.room.member' && pdu.state_key !== undefined) unsigned[STABLE_ID_STATE_KEY_FIELD] = pdu.state_key;
    }
    if (stored.replacesState) {
      const previous = this.hs.events.event(stored.replacesState);
      if (previous) {
        unsigned.replaces_state = previous.eventId;
        const served = this.asServed(previous);
        unsigned.prev_content = memberKeys ? this.mapContent(roomId, served.type, served.content) : served.content;
        if (previous.pdu.type === 'm.room.member') unsigned.prev_sender = this.displayId(roomId, previous.pdu.sender);
      }
    }
    if (pdu.type === 'm.room.member' && typeof pdu.content.membership === 'string') unsigned.membership = pdu.content.membership;
    // PROTOCOL.md §5: the invitee (only) learns which pool key the invite took, to derive its seed and accept.
    if (memberKeys && this.viewer && pdu.type === 'm.room.member' && pdu.content.membership === 'invite' && pdu.state_key !== undefined) {
      const nonce = this.hs.rooms.keyNonceOf(roomId, this.viewer.userId, pdu.state_key);
      if (nonce) unsigned[MEMBER_KEY_NONCE_UNSIGNED_FIELD] = nonce;
    }
    if (this.viewer && stored.txnId && stored.senderUserId === this.viewer.userId && stored.txnDeviceId === this.viewer.deviceId) {
      unsigned.transaction_id = stored.txnId;
    }
    if (stored.redactedBy && options.withRedactedBecause !== false) {
      const redaction = this.hs.events.event(stored.redactedBy);
      if (redaction) unsigned.redacted_because = this.event(redaction, { withRedactedBecause: false });
    }
    return event;
  }

  /**
   * A timeline event with its bundled aggregations in unsigned["m.relations"] (threads, latest edit, references),
   * counting only children the viewer may see. `depth` stops the nesting after one level (a thread's latest event).
   */
  withAggregations(stored: StoredEvent, depth = 0): ClientEvent {
    const event = this.event(stored);
    if (!this.viewer || depth > 1) return event;
    const relations = bundledAggregations(this.aggregationContext, stored, depth);
    if (relations) (event.unsigned as Record<string, unknown>)['m.relations'] = relations;
    return event;
  }

  private get aggregationContext(): AggregationContext {
    return {
      hs: this.hs,
      canSee: (event) => this.historyOf(event.roomId).canSee(event),
      ownSenderId: (roomId) =>
        usesMemberKeys(this.version(roomId)) ? this.hs.memberKeys.forUser(roomId, this.viewer!.userId)?.member_key : this.viewer!.userId,
      format: (event, depth) => this.withAggregations(event, depth),
    };
  }

  /**
   * The event as this viewer is served it: redacted when its sender's account was erased and the viewer could not
   * see it before the erasure (spec, POST /account/deactivate `erase`); as stored otherwise.
   */
  asServed(stored: StoredEvent): Pdu {
    return this.erasedForViewer(stored) ? (redactEvent(stored.pdu, this.version(stored.roomId)) as unknown as Pdu) : stored.pdu;
  }

  /** Is this event's content withheld from the viewer, its sender's account erased? */
  readonly erasedForViewer = erasureJudge(
    (userId) => this.hs.accounts.erasedAt(userId),
    (roomId, position) => (this.viewer ? userHistoryView(this.hs, roomId, this.viewer.userId, this.version(roomId), position) : undefined),
  );

  /** The viewer's history view of a room, built once per response. */
  historyOf(roomId: string): HistoryView {
    let history = this.histories.get(roomId);
    if (!history) {
      history = userHistoryView(this.hs, roomId, this.viewer!.userId, this.version(roomId));
      this.histories.set(roomId, history);
    }
    return history;
  }

  /** Stripped state (invites): type, state_key, content, sender. */
  stripped(stored: StoredEvent): Record<string, unknown> {
    const full = this.event(stored);
    const stripped: Record<string, unknown> = { type: full.type, state_key: full.state_key, content: full.content, sender: full.sender };
    // Member-key rooms: the keys behind the mapped IDs (§5), so a client can tell which key an invite names, and
    // for the invitee the invite-key nonce of that key.
    if (full.sender_key !== undefined) {
      const unsigned = full.unsigned as Record<string, unknown>;
      stripped.sender_key = full.sender_key;
      stripped.unsigned = Object.fromEntries(
        [STABLE_ID_FIELD, STABLE_ID_STATE_KEY_FIELD, MEMBER_KEY_NONCE_UNSIGNED_FIELD]
          .filter((f) => unsigned[f] !== undefined)
          .map((f) => [f, unsigned[f]]),
      );
    }
    return stripped;
  }

  private mapContent(roomId: string, type: string, content: Record<string, unknown>): Record<string, unknown> {
    if (type !== 'm.room.power_levels') return content;
    const users: Record<string, unknown> = {};
    const stored = typeof content.users === 'object' && content.users !== null ? (content.users as Record<string, unknown>) : {};
    for (const [member, level] of Object.entries(stored)) users[this.displayId(roomId, member)] = level;
    // Room version 12 gives creators unlimited power without listing them; clients that predate it (our pinned
    // matrix-js-sdk) would think a creator has users_default. Show creators at the highest level JSON allows;
    // powerLevelsToMemberKeys drops them again when a client sends the content back.
    for (const creator of this.creators(roomId)) users[this.displayId(roomId, creator)] = CREATOR_POWER_LEVEL;
    return { ...content, users };
  }

  private creators(roomId: string): string[] {
    if (!hasRoomIdFromCreate(this.version(roomId))) return [];
    const createId = this.hs.events.currentStateEventId(roomId, 'm.room.create', '');
    const create = createId ? this.hs.events.event(createId) : undefined;
    return create ? creatorsOf(create.pdu, this.version(roomId)) : [];
  }
}
