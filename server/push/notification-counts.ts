// Per-user notification and highlight counts, from each local member's push rules evaluated as an event is
// stored (like Synapse's event_push_actions). Only events that notify get a row; a read receipt deletes the
// rows up to the event it names, so a room's counts are just its remaining rows.
import type { Pdu } from '../rooms/pdu';
import { powerLevelOf, type AuthState } from '../rooms/authorization';
import { localUserOfMember } from '../rooms/room-service';
import { usesMemberKeys } from '../rooms/room-versions';
import type { AccountDataStore } from '../storage/account-data';
import type { Db } from '../storage/database';
import { type EventStore, stateKeyOf, type StateMap } from '../storage/events';
import type { MemberKeyStore } from '../storage/member-keys';
import { rulesOf } from '../client-api/pushrules';
import { evaluatePushRules, type PushContext, type PushEvent, type PushRuleset } from './evaluator';

export interface UnreadNotifications {
  notification_count: number;
  highlight_count: number;
}

export interface StoredEventForPush {
  roomId: string;
  version: string;
  eventId: string;
  streamOrdering: number;
  pdu: Pdu;
  /** The local account that sent the event, when known (member-key rooms also map the sender's key). */
  senderUserId: string | null;
  /** The room state the event was sent against. */
  state: StateMap;
}

const RULES_CACHE_LIMIT = 10_000;

export class NotificationCounts {
  private readonly s;
  /** Each user's effective rules, so a busy room doesn't rebuild them per member per event; /pushrules writes drop them. */
  private readonly rulesByUser = new Map<string, PushRuleset>();
  constructor(
    db: Db,
    private readonly deps: { serverName: string; events: EventStore; memberKeys: MemberKeyStore; accountData: AccountDataStore },
  ) {
    this.s = {
      // Rows are [user_id, highlight] pairs in a JSON array.
      insertMany: db.prepare(
        // An upsert, not OR REPLACE: a replacing delete would not fire the delete trigger that keeps push_counts.
        `INSERT INTO push_actions (room_id, user_id, stream_ordering, event_id, highlight)
         SELECT ?, json_extract(value, '$[0]'), ?, ?, json_extract(value, '$[1]') FROM json_each(?) WHERE true
         ON CONFLICT (room_id, user_id, stream_ordering) DO UPDATE SET event_id = excluded.event_id, highlight = excluded.highlight`,
      ),
      readUpTo: db.prepare('DELETE FROM push_actions WHERE room_id = ? AND user_id = ? AND stream_ordering <= ?'),
      clearRoom: db.prepare('DELETE FROM push_actions WHERE room_id = ? AND user_id = ?'),
      forgetEvent: db.prepare('DELETE FROM push_actions WHERE event_id = ?'),
      counts: db.prepare('SELECT notifications, highlights FROM push_counts WHERE room_id = ? AND user_id = ?'),
    };
  }

  /** Evaluates every other local joined member's push rules for a new event; records it for those it notifies. */
  recordEvent(event: StoredEventForPush): void {
    const { roomId, version, pdu, state } = event;
    const senderLocalUser =
      event.senderUserId ?? localUserOfMember(this.deps.memberKeys, this.deps.serverName, roomId, version, pdu.sender);
    const recipients = this.deps.events.localJoinedUsers(roomId).filter((userId) => userId !== senderLocalUser);
    if (recipients.length === 0) return;
    const pushEvent = toPushEvent(pdu, roomId, event.eventId);
    const roomFacts = roomFactsOf(state, pdu.sender, version);
    // One read of the room's member keys, not one per recipient.
    const memberKeys = usesMemberKeys(version)
      ? new Map(this.deps.memberKeys.inRoom(roomId).map((row) => [row.user_id, row.member_key]))
      : undefined;
    const rows: Array<[string, number]> = [];
    for (const userId of recipients) {
      const memberId = memberKeys ? memberKeys.get(userId) : userId;
      const context: PushContext = { ...roomFacts, userId, displayName: displayNameIn(state, memberId) };
      const outcome = evaluatePushRules(this.rulesOf(userId), pushEvent, context);
      if (outcome.notify) rows.push([userId, outcome.highlight ? 1 : 0]);
    }
    // One statement for all of them: in a busy room nearly every member is notified of every message.
    if (rows.length > 0) this.s.insertMany.run(roomId, event.streamOrdering, event.eventId, JSON.stringify(rows));
  }

  /** A read receipt: everything up to and including `streamOrdering` is read. */
  markRead(roomId: string, userId: string, streamOrdering: number): void {
    this.s.readUpTo.run(roomId, userId, streamOrdering);
  }

  /** A (re)join starts the room's counts over. */
  resetRoom(roomId: string, userId: string): void {
    this.s.clearRoom.run(roomId, userId);
  }

  /** A redacted event no longer counts. */
  forgetEvent(eventId: string): void {
    this.s.forgetEvent.run(eventId);
  }

  counts(roomId: string, userId: string): UnreadNotifications {
    const row = this.s.counts.get(roomId, userId) as { notifications: number; highlights: number } | undefined;
    return { notification_count: row?.notifications ?? 0, highlight_count: row?.highlights ?? 0 };
  }

  /** Called whenever the user's stored push rules change. */
  forgetRules(userId: string): void {
    this.rulesByUser.delete(userId);
  }

  private rulesOf(userId: string): PushRuleset {
    let rules = this.rulesByUser.get(userId);
    if (!rules) {
      if (this.rulesByUser.size >= RULES_CACHE_LIMIT) this.rulesByUser.clear();
      rules = rulesOf(this.deps, userId) as PushRuleset;
      this.rulesByUser.set(userId, rules);
    }
    return rules;
  }
}

function displayNameIn(state: StateMap, memberId: string | undefined): string | undefined {
  const name = memberId ? state.get(stateKeyOf('m.room.member', memberId))?.pdu.content.displayname : undefined;
  return typeof name === 'string' ? name : undefined;
}

/** The client-format fields push rules match on. */
export function toPushEvent(pdu: Pdu, roomId: string, eventId: string): PushEvent {
  return {
    type: pdu.type,
    content: pdu.content,
    sender: pdu.sender,
    room_id: roomId,
    event_id: eventId,
    ...(pdu.state_key !== undefined ? { state_key: pdu.state_key } : {}),
  };
}

/** What every member's evaluation shares: joined member count, the sender's power and the room's notification levels. */
export function roomFactsOf(state: StateMap, sender: string, version: string): Omit<PushContext, 'userId' | 'displayName'> {
  let memberCount = 0;
  for (const event of state.values()) if (event.pdu.type === 'm.room.member' && event.pdu.content.membership === 'join') memberCount++;
  const authState: AuthState = new Map(
    ['m.room.create', 'm.room.power_levels'].flatMap((type) => {
      const event = state.get(stateKeyOf(type, ''));
      return event ? [[stateKeyOf(type, ''), event.pdu] as const] : [];
    }),
  );
  const levels = state.get(stateKeyOf('m.room.power_levels', ''))?.pdu.content.notifications;
  return {
    memberCount,
    senderPowerLevel: powerLevelOf(sender, authState, version),
    notificationLevels:
      typeof levels === 'object' && levels !== null && !Array.isArray(levels) ? (levels as Record<string, unknown>) : undefined,
  };
}
