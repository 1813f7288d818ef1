// Notification counts come from a summary that triggers keep: after any sequence of recorded events, read
// receipts, rejoins and redactions, each (room, user)'s counts equal a count of its remaining push_actions rows,
// and a database from before the summary is counted once when it is migrated (storage/migrations.ts).
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Pdu } from '../rooms/pdu';
import { migrate } from '../storage/migrations';
import { NotificationCounts } from './notification-counts';

const USERS = ['@a:x', '@b:x', '@c:x'];
const ROOMS = ['!r1:x', '!r2:x'];

function fakeDeps(): ConstructorParameters<typeof NotificationCounts>[1] {
  return {
    serverName: 'here.test',
    events: { localJoinedUsers: () => USERS },
    memberKeys: { forKey: () => undefined },
    accountData: { get: () => undefined },
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
  | { kind: 'forget'; event: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('event' as const), room: fc.nat(1), mentions: fc.subarray(USERS) }),
  fc.record({ kind: fc.constant('read' as const), room: fc.nat(1), user: fc.nat(2), upTo: fc.nat(40) }),
  fc.record({ kind: fc.constant('reset' as const), room: fc.nat(1), user: fc.nat(2) }),
  fc.record({ kind: fc.constant('forget' as const), event: fc.nat(40) }),
);

function actual(db: Database.Database, room: string, user: string) {
  const row = db
    .prepare('SELECT COUNT(*) AS n, COALESCE(SUM(highlight), 0) AS h FROM push_actions WHERE room_id = ? AND user_id = ?')
    .get(room, user) as { n: number; h: number };
  return { notification_count: row.n, highlight_count: row.h };
}

describe('NotificationCounts', () => {
  it('counts equal the rows that remain, after any sequence of events, receipts, rejoins and redactions', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const db = new Database(':memory:');
        migrate(db);
        const counts = new NotificationCounts(db, fakeDeps());
        let stream = 0;
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
          } else if (o.kind === 'read') counts.markRead(ROOMS[o.room]!, USERS[o.user]!, o.upTo);
          else if (o.kind === 'reset') counts.resetRoom(ROOMS[o.room]!, USERS[o.user]!);
          else counts.forgetEvent(`$${o.event}`);
        }
        for (const room of ROOMS) for (const user of USERS) expect(counts.counts(room, user)).toEqual(actual(db, room, user));
        db.close();
      }),
      { numRuns: 300 },
    );
  });

  it('a database written before the summary existed is counted when it is opened', () => {
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
