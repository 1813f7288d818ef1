// Per-user notification and highlight counts, from each local member's push rules evaluated as an event is
// stored (like Synapse's event_push_actions). One row per notifying event (push_events) names the local users it
// notifies and highlights; a read receipt (or a rejoin) moves the user's read floor in the room (push_read). A
// (room, user)'s counts are the rows above its floor that name the user. They are kept in memory once counted and
// grow by the rows stored since (one indexed read of the newest rows per /sync), so a long unread stretch is
// counted once, not on every request. One row per event, not one per member: a 200-member room wrote 199 rows
// spread over the table for every message, which cost more than everything else in sending it.
import type { Pdu } from '../rooms/pdu';
import { powerLevelOf, type AuthState } from '../rooms/authorization';
import { localUserOfMember } from '../rooms/room-service';
import { usesMemberKeys } from '../rooms/room-versions';
import type { AccountDataStore } from '../storage/account-data';
import type { Db } from '../storage/database';
import { type EventStore, stateKeyOf, type StoredEvent } from '../storage/events';
import type { MemberKeyStore } from '../storage/member-keys';
import { rulesOf } from '../client-api/pushrules';
import { evaluatePushRules, type PushContext, type PushEvent, type PushOutcome, type PushRuleset } from './evaluator';

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
  /** The room state the event was sent against (read only). */
  state: ReadonlyMap<string, StoredEvent>;
}

const RULES_CACHE_LIMIT = 10_000;
const COUNTS_CACHE_LIMIT = 100_000;

/** A user's counts in a room: the notifying events in (floor, through]. */
interface Counted {
  floor: number;
  through: number;
  notifications: number;
  highlights: number;
}

/** How a user is found in a row's `notify`/`highlight` lists. */
const listed = (userId: string) => `\n${userId}\n`;
const listOf = (userIds: string[]) => (userIds.length > 0 ? `\n${userIds.join('\n')}\n` : '');

export class NotificationCounts {
  private readonly s;
  /** Each user's effective rules, so a busy room doesn't rebuild them per member per event; /pushrules writes drop them. */
  private readonly rulesByUser = new Map<string, { rules: PushRuleset; isDefault: boolean }>();
  /** Counts already made, by room then user; only ever filled outside a transaction, and dropped on any receipt, rejoin or redaction. */
  private readonly counted = new Map<string, Map<string, Counted>>();
  private countedSize = 0;
  constructor(
    private readonly db: Db,
    private readonly deps: {
      serverName: string;
      events: EventStore;
      memberKeys: MemberKeyStore;
      accountData: AccountDataStore;
      /** The highest stream position handed out (everything at or below it is committed, outside a transaction). */
      streamPosition: () => number;
    },
  ) {
    this.s = {
      insert: db.prepare(
        `INSERT INTO push_events (room_id, stream_ordering, event_id, notify, highlight) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (room_id, stream_ordering) DO UPDATE SET event_id = excluded.event_id, notify = excluded.notify, highlight = excluded.highlight`,
      ),
      floor: db.prepare('SELECT stream_ordering FROM push_read WHERE room_id = ? AND user_id = ?').pluck(),
      raiseFloor: db.prepare(
        `INSERT INTO push_read (room_id, user_id, stream_ordering) VALUES (?, ?, ?)
         ON CONFLICT (room_id, user_id) DO UPDATE SET stream_ordering = MAX(stream_ordering, excluded.stream_ordering)`,
      ),
      roomOfEvent: db.prepare('SELECT room_id FROM push_events WHERE event_id = ?').pluck(),
      forgetEvent: db.prepare('DELETE FROM push_events WHERE event_id = ?'),
      count: db.prepare(
        `SELECT COUNT(*) AS notifications, COALESCE(SUM(instr(highlight, @user) > 0), 0) AS highlights FROM push_events
         WHERE room_id = @room AND stream_ordering > @after AND stream_ordering <= @upTo AND instr(notify, @user) > 0`,
      ),
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
    const notify: string[] = [];
    const highlight: string[] = [];
    // Members on the default rules whom the event does not name share one verdict (see namesNobody).
    const text = foldedText(pdu);
    let shared: PushOutcome | undefined;
    for (const userId of recipients) {
      const memberId = memberKeys ? memberKeys.get(userId) : userId;
      const displayName = displayNameIn(state, memberId);
      const { rules, isDefault } = this.rulesOf(userId);
      const neutral = isDefault && text !== undefined && !namesUser(text, userId, displayName);
      let outcome = neutral ? shared : undefined;
      if (!outcome) {
        outcome = evaluatePushRules(rules, pushEvent, { ...roomFacts, userId, displayName });
        if (neutral) shared = outcome;
      }
      if (!outcome.notify) continue;
      notify.push(userId);
      if (outcome.highlight) highlight.push(userId);
    }
    // One row for all of them: in a busy room nearly every member is notified of every message.
    if (notify.length > 0) this.s.insert.run(roomId, event.streamOrdering, event.eventId, listOf(notify), listOf(highlight));
  }

  /** A read receipt: everything up to and including `streamOrdering` is read. */
  markRead(roomId: string, userId: string, streamOrdering: number): void {
    this.s.raiseFloor.run(roomId, userId, streamOrdering);
    this.uncount(roomId, userId);
  }

  /** A (re)join at `streamOrdering` starts the room's counts over: nothing before it counts. */
  resetRoom(roomId: string, userId: string, streamOrdering: number): void {
    this.markRead(roomId, userId, streamOrdering);
  }

  /** A redacted event no longer counts. */
  forgetEvent(eventId: string): void {
    const roomId = this.s.roomOfEvent.get(eventId) as string | undefined;
    if (roomId === undefined) return;
    this.s.forgetEvent.run(eventId);
    this.uncount(roomId);
  }

  counts(roomId: string, userId: string): UnreadNotifications {
    const inTransaction = this.db.inTransaction;
    const upTo = this.deps.streamPosition();
    let entry = this.counted.get(roomId)?.get(userId);
    if (!entry || inTransaction) {
      const floor = (this.s.floor.get(roomId, userId) as number | undefined) ?? Number.MIN_SAFE_INTEGER;
      entry = { floor, through: floor, notifications: 0, highlights: 0 };
    }
    if (entry.through < upTo) {
      const added = this.s.count.get({ room: roomId, user: listed(userId), after: entry.through, upTo }) as {
        notifications: number;
        highlights: number;
      };
      entry = {
        ...entry,
        through: upTo,
        notifications: entry.notifications + added.notifications,
        highlights: entry.highlights + added.highlights,
      };
    }
    // A count made inside a transaction may include rows that are rolled back: not kept.
    if (!inTransaction) this.remember(roomId, userId, entry);
    return { notification_count: entry.notifications, highlight_count: entry.highlights };
  }

  /** Called whenever the user's stored push rules change. */
  forgetRules(userId: string): void {
    this.rulesByUser.delete(userId);
  }

  private remember(roomId: string, userId: string, entry: Counted): void {
    let byUser = this.counted.get(roomId);
    if (!byUser) this.counted.set(roomId, (byUser = new Map()));
    if (!byUser.has(userId)) {
      if (this.countedSize >= COUNTS_CACHE_LIMIT) {
        this.counted.clear();
        this.countedSize = 0;
        this.counted.set(roomId, byUser);
      }
      this.countedSize++;
    }
    byUser.set(userId, entry);
  }

  /** Drops counts made so far (one user's, or the whole room's): they are made again from the table when asked. */
  private uncount(roomId: string, userId?: string): void {
    const byUser = this.counted.get(roomId);
    if (!byUser) return;
    if (userId === undefined) {
      this.countedSize -= byUser.size;
      this.counted.delete(roomId);
    } else if (byUser.delete(userId)) this.countedSize--;
  }

  private rulesOf(userId: string): { rules: PushRuleset; isDefault: boolean } {
    let rules = this.rulesByUser.get(userId);
    if (!rules) {
      if (this.rulesByUser.size >= RULES_CACHE_LIMIT) this.rulesByUser.clear();
      rules = {
        rules: rulesOf(this.deps, userId) as PushRuleset,
        isDefault: this.deps.accountData.get(userId, '', 'm.push_rules') === undefined,
      };
      this.rulesByUser.set(userId, rules);
    }
    return rules;
  }
}

/**
 * The default rules (pushrules.ts) differ between members only where they name the member: `.m.rule.invite_for_me`
 * (state_key is the user ID), `.m.rule.is_user_mention` (the user ID in m.mentions), `.m.rule.contains_display_name`
 * and `.m.rule.contains_user_name` (the display name or localpart as a word of the body, case-insensitively). So for
 * members on the default rules, an event in which none of those strings occurs anywhere gets the same verdict: one
 * evaluation serves them all (in a room of 50, evaluating every member was most of the cost of a send). The test is
 * on ASCII text only: Unicode case folding ('ſ' matches 's') is left to the evaluator, member by member.
 */
function foldedText(pdu: Pdu): string | undefined {
  const parts: string[] = [pdu.state_key ?? ''];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') parts.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (typeof value === 'object' && value !== null)
      for (const [key, child] of Object.entries(value)) {
        parts.push(key);
        walk(child);
      }
  };
  walk(pdu.content);
  const text = parts.join('\u0000');
  return NON_ASCII.test(text) ? undefined : text.toUpperCase();
}

const NON_ASCII = /[\u0080-\uffff]/;

/** Whether `text` (from foldedText) may name the user: their localpart (so also their user ID) or display name. */
function namesUser(text: string, userId: string, displayName: string | undefined): boolean {
  const localpart = userId.slice(1, userId.indexOf(':'));
  if (NON_ASCII.test(localpart) || text.includes(localpart.toUpperCase())) return true;
  if (displayName === undefined) return false;
  return NON_ASCII.test(displayName) || displayName === '' || text.includes(displayName.toUpperCase());
}

/** Joined members in a state map; counted once per map for the state cache's shared (frozen) maps (EventStore.currentStateView). */
const joinedCounts = new WeakMap<ReadonlyMap<string, StoredEvent>, number>();
function joinedCount(state: ReadonlyMap<string, StoredEvent>): number {
  let count = joinedCounts.get(state);
  if (count === undefined) {
    count = 0;
    for (const event of state.values()) if (event.pdu.type === 'm.room.member' && event.pdu.content.membership === 'join') count++;
    if (Object.isFrozen(state)) joinedCounts.set(state, count);
  }
  return count;
}

function displayNameIn(state: ReadonlyMap<string, StoredEvent>, memberId: string | undefined): string | undefined {
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
export function roomFactsOf(
  state: ReadonlyMap<string, StoredEvent>,
  sender: string,
  version: string,
): Omit<PushContext, 'userId' | 'displayName'> {
  const memberCount = joinedCount(state);
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
