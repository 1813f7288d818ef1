// "Contested" member keys (PROTOCOL.md §7's known limit, made visible): a server that kept a member key's seed
// after the key moved to another server can still sign as it. Only the receiving server sees who pushed an
// event (the X-Matrix origin of the transaction), so it records the first such event per key and reports it in
// member_info's `dev.wayfarer.link.contested`; the record takes a stream position so the next /sync carries it.
import type { ContestedInfo } from '../../src/protocol';
import type { Pdu } from '../rooms/pdu';
import type { Db } from '../storage/database';

/** What the receiving server knows when a PDU signed by member key M arrives in a transaction. */
export interface SignerFacts {
  /** The authenticated X-Matrix origin of the transaction. */
  origin: string;
  /** M's current member event (current state), then its earlier member events, newest first. */
  memberChain: readonly Pdu[];
  /** M's member event in the state before the PDU (from its prev_events), if any. */
  memberBefore: Pdu | undefined;
  pduTs: number;
}

const domainOf = (member: Pdu | undefined): string | undefined =>
  typeof member?.content.domain === 'string' ? member.content.domain : undefined;

/**
 * True when `origin` signed as a key that had moved away from it: the key's current claim is another domain
 * and an earlier claim was `origin`. An event made before the move and delivered late (its own prior state
 * still puts the key on `origin`, and it is not dated after the move) is not held against the old server.
 */
export function signedAfterMove({ origin, memberChain, memberBefore, pduTs }: SignerFacts): boolean {
  const [current, ...earlier] = memberChain;
  const currentDomain = domainOf(current);
  if (!current || currentDomain === undefined || currentDomain === origin) return false;
  const movedFromOrigin = earlier.some((member) => domainOf(member) === origin);
  if (!movedFromOrigin) return false;
  const madeBeforeMove = domainOf(memberBefore) === origin && pduTs <= current.origin_server_ts;
  return !madeBeforeMove;
}

interface ContestedRow {
  by_server: string;
  since_ts: number;
  event_id: string;
}

export class ContestedStore {
  private readonly s;
  constructor(db: Db) {
    this.s = {
      insert: db.prepare(
        'INSERT OR IGNORE INTO contested_keys (room_id, member_key, by_server, since_ts, event_id, stream_id) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      forKey: db.prepare(
        'SELECT by_server, since_ts, event_id FROM contested_keys WHERE room_id = ? AND member_key = ? ORDER BY since_ts, by_server',
      ),
      has: db.prepare('SELECT 1 FROM contested_keys WHERE room_id = ? AND member_key = ? AND by_server = ?'),
      changed: db.prepare('SELECT DISTINCT member_key FROM contested_keys WHERE room_id = ? AND stream_id > ? AND stream_id <= ?'),
      maxStream: db.prepare('SELECT MAX(stream_id) AS m FROM contested_keys'),
    };
  }

  /** Records the first event by which `by` contested the key; later ones change nothing. True if it was new. */
  record(roomId: string, memberKey: string, by: string, sinceTs: number, eventId: string, nextStreamId: () => number): boolean {
    if (this.s.has.get(roomId, memberKey, by)) return false;
    this.s.insert.run(roomId, memberKey, by, sinceTs, eventId, nextStreamId());
    return true;
  }

  /** The earliest contest by a server other than the key's current domain (a key back on its old server is not contested by it). */
  current(roomId: string, memberKey: string, currentDomain: string | undefined): ContestedInfo | undefined {
    const rows = this.s.forKey.all(roomId, memberKey) as ContestedRow[];
    const row = rows.find((r) => r.by_server !== currentDomain);
    return row ? { by: row.by_server, since_ts: row.since_ts, event_id: row.event_id } : undefined;
  }

  changed(roomId: string, from: number, to: number): string[] {
    return (this.s.changed.all(roomId, from, to) as { member_key: string }[]).map((r) => r.member_key);
  }

  maxStream(): number {
    return (this.s.maxStream.get() as { m: number | null }).m ?? 0;
  }
}
