// Is member key K really @localpart:domain? (PROTOCOL.md §4, checked by src/protocol's verifyLinkWithKeys.)
// On one server every local claim is checked against our own published key; claims on other domains count
// as unreachable (never verified → unverified) until federation (next issue) fetches their keys.
// Verdicts are cached per member event: an event's signatures don't change, and a redaction drops its entry.
import {
  buildServerKeyResponse,
  createLinkVerifier,
  erasedUserId,
  LINK_FIELD,
  unverifiedUserId,
  type KeyFetchOutcome,
  type LinkInfo,
  type MemberInfo,
} from '../../src/protocol';
import type { Homeserver } from '../homeserver';
import type { StoredEvent } from '../storage/events';
import { usesMemberKeys } from '../rooms/room-versions';

export class LinkService {
  private readonly byEvent = new Map<string, LinkInfo>();
  constructor(private readonly hs: Homeserver) {}

  /** Our own key response, as another server would fetch it. */
  ownKeyResponse() {
    const key = this.hs.signingKey;
    return buildServerKeyResponse(this.hs.config.serverName, key.keyId, key.seed, Date.now() + 24 * 3600 * 1000);
  }

  private fetchKeys = async (domain: string): Promise<KeyFetchOutcome> =>
    domain === this.hs.config.serverName ? { kind: 'ok', response: this.ownKeyResponse() } : { kind: 'unreachable', detail: 'federation is not implemented yet' };

  /** Checks (once) every member event that is current state in these rooms, so formatting can read the cache. */
  async ensureRooms(roomIds: Iterable<string>): Promise<void> {
    const pending: StoredEvent[] = [];
    for (const roomId of roomIds) {
      const room = this.hs.events.room(roomId);
      if (!room || !usesMemberKeys(room.room_version)) continue;
      for (const event of this.hs.events.currentState(roomId).values()) {
        if (event.pdu.type === 'm.room.member' && !this.byEvent.has(event.eventId)) pending.push(event);
      }
    }
    await this.check(pending);
  }

  /** Checks specific member events (e.g. historical ones a response includes). */
  async ensureEvents(events: StoredEvent[]): Promise<void> {
    await this.check(events.filter((e) => e.pdu.type === 'm.room.member' && !this.byEvent.has(e.eventId)));
  }

  private async check(events: StoredEvent[]): Promise<void> {
    if (events.length === 0) return;
    const now = Date.now();
    const verifier = createLinkVerifier(this.fetchKeys, now);
    await Promise.all(
      events.map(async (event) => {
        const version = this.hs.events.room(event.roomId)!.room_version;
        const verdict = await verifier.verify(event.pdu, version);
        const info: LinkInfo = { status: verdict.status, checked_ts: now, reason: verdict.reason };
        if (verdict.localpart !== undefined) info.localpart = verdict.localpart;
        if (verdict.domain !== undefined) info.domain = verdict.domain;
        if (verdict.keyId !== undefined) info.key_id = verdict.keyId;
        this.byEvent.set(event.eventId, info);
      }),
    );
  }

  /** A redacted member event must be checked again (it may now be erased). */
  forgetEvent(eventId: string): void {
    this.byEvent.delete(eventId);
  }

  /** The link of a member key from its current member event (call ensureRooms first). */
  linkOfMember(roomId: string, memberKey: string): LinkInfo {
    const eventId = this.hs.events.currentStateEventId(roomId, 'm.room.member', memberKey);
    const cached = eventId ? this.byEvent.get(eventId) : undefined;
    return cached ?? { status: 'unverified', checked_ts: Date.now(), reason: eventId ? 'not checked yet' : 'no member event for this key' };
  }

  memberInfo(roomId: string, memberKey: string): MemberInfo {
    const link = this.linkOfMember(roomId, memberKey);
    return { user_id: link.status === 'verified' ? `@${link.localpart}:${link.domain}` : null, [LINK_FIELD]: link };
  }

  /** What a client sees as `sender` / member `state_key` (PROTOCOL.md §5). */
  displayId(roomId: string, memberKey: string): string {
    const link = this.linkOfMember(roomId, memberKey);
    const serverName = this.hs.config.serverName;
    if (link.status === 'verified') return `@${link.localpart}:${link.domain}`;
    if (link.status === 'erased' || link.localpart === undefined) return erasedUserId(memberKey, serverName);
    return unverifiedUserId(link.localpart, link.domain ?? 'unknown', serverName);
  }
}
