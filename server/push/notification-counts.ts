// Per-user notification and highlight counts, from each local member's push rules evaluated as an event is
// stored (like Synapse's event_push_actions). One row per notifying event (push_events) names the local users it
// notifies and highlights; a read receipt (or a rejoin) moves the user's read floor in the room (push_read). A
// (room, user)'s counts are the rows above its floor that name the user. They are kept in memory once counted and
// grow by the rows stored since (one indexed read of the newest rows per /sync), so a long unread stretch is
// counted once, not on every request. One row per event, not one per member: a 200-member room wrote 199 rows
// spread over the table for every message, which cost more than everything else in sending it.
// Threads (spec v1.4, MSC3773/MSC3771): each row names its thread (NULL: the main timeline), and a threaded receipt
// moves a floor for its thread alone (push_read_threads, 'main' or a root's ID) above the unthreaded one; counts are
// kept per thread, and a client that asks for them (`unread_thread_notifications`) gets the main timeline's apart.
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
import { MAIN_THREAD, threadRootOf } from '../rooms/threads';

export interface UnreadNotifications {
  notification_count: number;
  highlight_count: number;
}

/** A room's counts split by thread: the main timeline's, and each thread's with any (keyed by root event ID). */
export interface ThreadedUnreadNotifications {
  main: UnreadNotifications;
  threads: Record<string, UnreadNotifications>;
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

/** A user's counts in a room: the notifying events up to `through` above the floors, by thread ('' the main timeline). */
interface Counted {
  floor: number;
  through: number;
  byThread: Map<string, { notifications: number; highlights: number }>;
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
        `INSERT INTO push_events (room_id, stream_ordering, event_id, notify, highlight, thread_id) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (room_id, stream_ordering) DO UPDATE SET event_id = excluded.event_id, notify = excluded.notify,
           highlight = excluded.highlight, thread_id = excluded.thread_id`,
      ),
      floor: db.prepare('SELECT stream_ordering FROM push_read WHERE room_id = ? AND user_id = ?').pluck(),
      raiseFloor: db.prepare(
        `INSERT INTO push_read (room_id, user_id, stream_ordering) VALUES (?, ?, ?)
         ON CONFLICT (room_id, user_id) DO UPDATE SET stream_ordering = MAX(stream_ordering, excluded.stream_ordering)`,
      ),
      raiseThreadFloor: db.prepare(
        `INSERT INTO push_read_threads (room_id, user_id, thread_id, stream_ordering) VALUES (?, ?, ?, ?)
         ON CONFLICT (room_id, user_id, thread_id) DO UPDATE SET stream_ordering = MAX(stream_ordering, excluded.stream_ordering)`,
      ),
      roomOfEvent: db.prepare('SELECT room_id FROM push_events WHERE event_id = ?').pluck(),
      forgetEvent: db.prepare('DELETE FROM push_events WHERE event_id = ?'),
      // Per thread, each above its own threaded floor if it has one (a user without threaded receipts has none).
      count: db.prepare(
        `SELECT COALESCE(p.thread_id, '') AS thread, COUNT(*) AS notifications,
           COALESCE(SUM(instr(p.highlight, @user) > 0), 0) AS highlights
         FROM push_events p
         LEFT JOIN push_read_threads r ON r.room_id = p.room_id AND r.user_id = @userId AND r.thread_id = COALESCE(p.thread_id, '${MAIN_THREAD}')
         WHERE p.room_id = @room AND p.stream_ordering > @after AND p.stream_ordering <= @upTo AND instr(p.notify, @user) > 0
           AND (r.stream_ordering IS NULL OR p.stream_ordering > r.stream_ordering)
         GROUP BY thread`,
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
    if (notify.length > 0)
      this.s.insert.run(roomId, event.streamOrdering, event.eventId, listOf(notify), listOf(highlight), this.threadOf(pdu) ?? null);
  }

  /** The thread root an event is in, or undefined for the main timeline. */
  threadOf(pdu: Pdu): string | undefined {
    return threadRootOf(pdu.content, (eventId) => this.deps.events.event(eventId)?.pdu.content);
  }

  /**
   * A read receipt: everything up to and including `streamOrdering` is read; with `thread` ('main' or a thread's
   * root event ID, a threaded receipt) only what is in that thread.
   */
  markRead(roomId: string, userId: string, streamOrdering: number, thread?: string): void {
    if (thread === undefined) this.s.raiseFloor.run(roomId, userId, streamOrdering);
    else this.s.raiseThreadFloor.run(roomId, userId, thread, streamOrdering);
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

  /** The room's counts, every thread's included (what a client that doesn't ask for thread counts is given). */
  counts(roomId: string, userId: string): UnreadNotifications {
    let notifications = 0;
    let highlights = 0;
    for (const count of this.entry(roomId, userId).byThread.values()) {
      notifications += count.notifications;
      highlights += count.highlights;
    }
    return { notification_count: notifications, highlight_count: highlights };
  }

  /** The main timeline's counts and each thread's (threads with none are left out). */
  threadedCounts(roomId: string, userId: string): ThreadedUnreadNotifications {
    const main = { notification_count: 0, highlight_count: 0 };
    const threads: Record<string, UnreadNotifications> = {};
    for (const [thread, count] of this.entry(roomId, userId).byThread) {
      const counts = { notification_count: count.notifications, highlight_count: count.highlights };
      if (thread === '') Object.assign(main, counts);
      else if (count.notifications > 0) threads[thread] = counts;
    }
    return { main, threads };
  }

  private entry(roomId: string, userId: string): Counted {
    const inTransaction = this.db.inTransaction;
    const upTo = this.deps.streamPosition();
    let entry = this.counted.get(roomId)?.get(userId);
    if (!entry || inTransaction) {
      const floor = (this.s.floor.get(roomId, userId) as number | undefined) ?? Number.MIN_SAFE_INTEGER;
      entry = { floor, through: floor, byThread: new Map() };
    }
    if (entry.through < upTo) {
      const added = this.s.count.all({ room: roomId, user: listed(userId), userId, after: entry.through, upTo }) as {
        thread: string;
        notifications: number;
        highlights: number;
      }[];
      // A new entry: an entry handed out before may be shared by a caller still reading it.
      const byThread = added.length > 0 ? new Map(entry.byThread) : entry.byThread;
      for (const row of added) {
        const before = byThread.get(row.thread);
        byThread.set(row.thread, {
          notifications: (before?.notifications ?? 0) + row.notifications,
          highlights: (before?.highlights ?? 0) + row.highlights,
        });
      }
      entry = { ...entry, through: upTo, byThread };
    }
    // A count made inside a transaction may include rows that are rolled back: not kept.
    if (!inTransaction) this.remember(roomId, userId, entry);
    return entry;
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
