// Notification counts: after any sequence of recorded events, read receipts, rejoins and redactions (and counts
// asked for in between, which are kept in memory and grown), each (room, user)'s counts equal those of a plain
// model: the events that mention-or-notify the user, above the user's highest receipt or rejoin, not redacted;
// the same after a restart (a fresh NotificationCounts on the same database); and the per-member rows of a
// database from before push_events are counted the same once it is migrated (storage/migrations.ts).
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Pdu } from '../rooms/pdu';
import { migrate } from '../storage/migrations';
import { NotificationCounts } from './notification-counts';

const USERS = ['@a:x', '@b:x', '@c:x'];
const ROOMS = ['!r1:x', '!r2:x'];

function fakeDeps(streamPosition: () => number = () => 1_000): ConstructorParameters<typeof NotificationCounts>[1] {
  return {
    serverName: 'here.test',
    events: { localJoinedUsers: () => USERS },
    memberKeys: { forKey: () => undefined },
    accountData: { get: () => undefined },
    streamPosition,
  } as unknown as ConstructorParameters<typeof NotificationCounts>[1];
}

const message = (body: string, mentions: string[]): Pdu =>
  ({
    type: 'm.room.message',
    sender: '@remote:y',
    content: { msgtype: 'm.text', body, 'm.mentions': { user_ids: mentions } },
  }) as unknown as Pdu;

type Op =
  | { kind: 'event'; room: number; mentions: string[] }
  | { kind: 'read'; room: number; user: number; upTo: number }
  | { kind: 'reset'; room: number; user: number }
  | { kind: 'forget'; event: number }
  | { kind: 'look'; room: number; user: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('event' as const), room: fc.nat(1), mentions: fc.subarray(USERS) }),
  fc.record({ kind: fc.constant('read' as const), room: fc.nat(1), user: fc.nat(2), upTo: fc.nat(40) }),
  fc.record({ kind: fc.constant('reset' as const), room: fc.nat(1), user: fc.nat(2) }),
  fc.record({ kind: fc.constant('forget' as const), event: fc.nat(40) }),
  fc.record({ kind: fc.constant('look' as const), room: fc.nat(1), user: fc.nat(2) }),
);

/** The model: every event notifies all three users (the default rules), and highlights the ones it mentions. */
class Model {
  events: { room: string; stream: number; mentions: string[]; forgotten: boolean }[] = [];
  floors = new Map<string, number>();
  counts(room: string, user: string) {
    const floor = this.floors.get(`${room} ${user}`) ?? 0;
    const unread = this.events.filter((e) => e.room === room && e.stream > floor && !e.forgotten);
    return { notification_count: unread.length, highlight_count: unread.filter((e) => e.mentions.includes(user)).length };
  }
  raise(room: string, user: string, to: number) {
    this.floors.set(`${room} ${user}`, Math.max(this.floors.get(`${room} ${user}`) ?? 0, to));
  }
}

describe('NotificationCounts', () => {
  it('counts equal the model after any sequence of events, receipts, rejoins, redactions and earlier counts, and after a restart', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const db = new Database(':memory:');
        migrate(db);
        let stream = 0;
        const counts = new NotificationCounts(
          db,
          fakeDeps(() => stream),
        );
        const model = new Model();
        for (const o of ops) {
          if (o.kind === 'event') {
            stream++;
            counts.recordEvent({
              roomId: ROOMS[o.room]!,
              version: '11',
              eventId: `$${stream}`,
              streamOrdering: stream,
              pdu: message(`hello ${stream}`, o.mentions),
              senderUserId: null,
              state: new Map(),
            });
            model.events.push({ room: ROOMS[o.room]!, stream, mentions: o.mentions, forgotten: false });
          } else if (o.kind === 'read') {
            counts.markRead(ROOMS[o.room]!, USERS[o.user]!, o.upTo);
            model.raise(ROOMS[o.room]!, USERS[o.user]!, o.upTo);
          } else if (o.kind === 'reset') {
            // A rejoin is an event of its own, at the next position.
            stream++;
            counts.resetRoom(ROOMS[o.room]!, USERS[o.user]!, stream);
            model.raise(ROOMS[o.room]!, USERS[o.user]!, stream);
          } else if (o.kind === 'forget') {
            counts.forgetEvent(`$${o.event}`);
            for (const e of model.events) if (e.stream === o.event) e.forgotten = true;
          } else expect(counts.counts(ROOMS[o.room]!, USERS[o.user]!)).toEqual(model.counts(ROOMS[o.room]!, USERS[o.user]!));
        }
        const restarted = new NotificationCounts(
          db,
          fakeDeps(() => stream),
        );
        for (const room of ROOMS)
          for (const user of USERS) {
            expect(counts.counts(room, user)).toEqual(model.counts(room, user));
            expect(restarted.counts(room, user)).toEqual(model.counts(room, user));
          }
        db.close();
      }),
      { numRuns: 300 },
    );
  });

  it('a database written before push_events (per-member rows, with or without the summary) is counted the same when it is opened', () => {
    const db = new Database(':memory:');
    db.exec(
      'CREATE TABLE push_actions (room_id TEXT NOT NULL, user_id TEXT NOT NULL, stream_ordering INTEGER NOT NULL, event_id TEXT NOT NULL, highlight INTEGER NOT NULL, PRIMARY KEY (room_id, user_id, stream_ordering))',
    );
    const insert = db.prepare('INSERT INTO push_actions VALUES (?, ?, ?, ?, ?)');
    insert.run('!r1:x', '@a:x', 1, '$1', 0);
    insert.run('!r1:x', '@a:x', 2, '$2', 1);
    insert.run('!r2:x', '@b:x', 3, '$3', 0);
    migrate(db);
    const counts = new NotificationCounts(db, fakeDeps());
    expect(counts.counts('!r1:x', '@a:x')).toEqual({ notification_count: 2, highlight_count: 1 });
    expect(counts.counts('!r2:x', '@b:x')).toEqual({ notification_count: 1, highlight_count: 0 });
    expect(counts.counts('!r2:x', '@a:x')).toEqual({ notification_count: 0, highlight_count: 0 });
    // Opening it again does not count the rows twice.
    migrate(db);
    const again = new NotificationCounts(db, fakeDeps());
    expect(again.counts('!r1:x', '@a:x')).toEqual({ notification_count: 2, highlight_count: 1 });
  });
});

describe('NotificationCounts.recordEvent', () => {
  // Members on the default rules whom an event does not name share one evaluation: the rows it writes must be those
  // of evaluating every member's rules, whatever the body, mentions, state key and display names (case variants,
  // non-ASCII lookalikes such as 'ſ' for 's' or the Kelvin sign for 'k', names inside other words, one member with rules of their own).
  const members = ['@sam:here.test', '@kim:here.test', '@al:here.test', '@bo:here.test'];
  const names = ['Sam', 'KIM', 'ſam', 'Al Bo', 'al', '', 'Zoë'];
  const fragment = fc.oneof(
    fc.constantFrom(...members, ...names, 'sam', 'SAM', 'ſam', 'kim', '\u212Aim', 'K', 'al!', 'hello', ' ', '@room', 'bo.', 'é', 'ß'),
    fc.string({ maxLength: 4 }),
  );
  const ownRules = { global: { override: [{ rule_id: 'hush', enabled: true, conditions: [], actions: [] }] } };
  it('writes the rows that evaluating each member would', () => {
    const db = new Database(':memory:');
    migrate(db);
    fc.assert(
      fc.property(
        fc.array(fragment, { maxLength: 6 }),
        fc.option(fc.subarray(members), { nil: undefined, freq: 1 }),
        fc.oneof({ arbitrary: fc.constant(undefined), weight: 3 }, { arbitrary: fc.constantFrom(...members, 'sam'), weight: 1 }),
        fc.array(fc.option(fc.constantFrom(...names), { nil: undefined }), { minLength: 4, maxLength: 4 }),
        fc.option(fc.nat(3), { nil: undefined }),
        (words, mentions, stateKey, displayNames, customIndex) => {
          const state = new Map(
            members.map((m, i) => [
              `m.room.member\u0000${m}`,
              { pdu: { type: 'm.room.member', state_key: m, content: { membership: 'join', displayname: displayNames[i] } } },
            ]),
          );
          const deps = {
            ...fakeDeps(),
            events: { localJoinedUsers: () => members },
            accountData: { get: (user: string) => (customIndex !== undefined && user === members[customIndex] ? ownRules : undefined) },
          } as unknown as ConstructorParameters<typeof NotificationCounts>[1];
          const pdu = {
            type: stateKey === undefined ? 'm.room.message' : 'm.room.member',
            sender: '@remote:y',
            ...(stateKey !== undefined ? { state_key: stateKey } : {}),
            content: {
              ...(stateKey !== undefined ? { membership: 'invite' } : { msgtype: 'm.text' }),
              body: words.join(' '),
              ...(mentions !== undefined ? { 'm.mentions': { user_ids: mentions } } : {}),
            },
          } as unknown as Pdu;
          const row = (db: Database.Database) =>
            db.prepare('SELECT notify, highlight FROM push_events').get() as { notify: string; highlight: string } | undefined;
          const record = (counts: NotificationCounts) =>
            counts.recordEvent({
              roomId: '!r:x',
              version: '11',
              eventId: '$e',
              streamOrdering: 1,
              pdu,
              senderUserId: null,
              state: state as never,
            });
          // What each member's own evaluation gives: one event per member (only that member joined).
          const expected = { notify: [] as string[], highlight: [] as string[] };
          for (const member of members) {
            db.exec('DELETE FROM push_events');
            record(new NotificationCounts(db, { ...deps, events: { localJoinedUsers: () => [member] } } as unknown as typeof deps));
            const r = row(db);
            if (r?.notify.includes(`\n${member}\n`)) expected.notify.push(member);
            if (r?.highlight.includes(`\n${member}\n`)) expected.highlight.push(member);
          }
          db.exec('DELETE FROM push_events');
          record(new NotificationCounts(db, deps));
          const r = row(db);
          const list = (users: string[]) => (users.length > 0 ? `\n${users.join('\n')}\n` : '');
          expect(r ? { notify: r.notify, highlight: r.highlight } : undefined).toEqual(
            expected.notify.length > 0 ? { notify: list(expected.notify), highlight: list(expected.highlight) } : undefined,
          );
        },
      ),
      { numRuns: 500 },
    );
    db.close();
  });
});
