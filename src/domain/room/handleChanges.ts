// Timeline grouping keys on identity (domain/room/timeline's continuesGroup compares `identity`): one key stays
// one group even when its handle changes between two of its messages, and two keys never share a group however
// alike their names. What a handle change adds is a compact inline notice, which must not break the group.
import { sameDay, type TimelineEvent, type TimelineRow } from './timeline';
import { msg, type Message } from '../../i18n';

export type HandleChange = { from?: string; to?: string };

function handle(content: Record<string, unknown> | undefined): string | undefined {
  const localpart = content?.localpart;
  const domain = content?.domain;
  return typeof localpart === 'string' && localpart !== '' && typeof domain === 'string' && domain !== ''
    ? `@${localpart}:${domain}`
    : undefined;
}

/** A member event of a key that stays joined but claims another handle (a move, or a change of localpart). */
export function handleChangeOf(event: TimelineEvent): HandleChange | undefined {
  if (event.type !== 'm.room.member' || event.redacted) return undefined;
  if (event.content.membership !== 'join' || event.prevContent?.membership !== 'join') return undefined;
  const from = handle(event.prevContent);
  const to = handle(event.content);
  if (from === to || (from === undefined && to === undefined)) return undefined;
  return { from, to };
}

/**
 * "Alice's handle changed from @alice:alpha… to @alice:beta…". A claim its key's link does not (or no longer)
 * verify is said to be a claim, never shown as a handle.
 */
export function describeHandleChange(name: string, change: HandleChange, verified = true): Message {
  if (!change.to) return msg('identity.handle.erased', { name });
  if (!verified) return msg('identity.handle.claimsUnverified', { name, to: change.to });
  if (!change.from) return msg('identity.handle.claims', { name, to: change.to });
  return msg('identity.handle.changed', { name, from: change.from, to: change.to });
}

export type NoticeRow = Extract<TimelineRow, { kind: 'notice' }>;

/** A notice and where it goes: after the rows of the event at `index` (a fraction goes between two events). */
export type PlacedNotice = { index: number; row: NoticeRow };

/**
 * The handle-change notices among `events`, each at its member event's place. They open the member's inspector.
 */
export function handleChangeNotices(
  events: readonly TimelineEvent[],
  describe: (identity: string) => { name: string; verified: boolean },
): PlacedNotice[] {
  const notices: PlacedNotice[] = [];
  events.forEach((event, index) => {
    const change = handleChangeOf(event);
    if (!change) return;
    const who = describe(event.identity);
    notices.push({
      index,
      row: {
        kind: 'notice',
        key: `handle-${event.id}`,
        event,
        text: describeHandleChange(who.name, change, who.verified),
        inspect: event.identity,
      },
    });
  });
  return notices;
}

/**
 * Adds a notice row for every handle change among `events`, at its place in the timeline, without touching
 * `startsGroup` of the messages around it: the key's messages before and after stay one group.
 */
export function withHandleChangeNotices(
  events: readonly TimelineEvent[],
  rows: readonly TimelineRow[],
  describe: (identity: string) => { name: string; verified: boolean },
): TimelineRow[] {
  return withPlacedNotices(events, rows, handleChangeNotices(events, describe));
}

/**
 * Adds `placed` notices among `rows` (built from `events`), each after the rows of events up to its index, without
 * touching `startsGroup` of the messages around it. Day separators follow the notices' own times.
 */
export function withPlacedNotices(
  events: readonly TimelineEvent[],
  rows: readonly TimelineRow[],
  placed: readonly PlacedNotice[],
): TimelineRow[] {
  if (placed.length === 0) return rows as TimelineRow[];
  const notices = [...placed].sort((a, b) => a.index - b.index);
  const position = new Map<string, number>();
  events.forEach((event, index) => position.set(event.id, index));
  const out: TimelineRow[] = [];
  const eventIndexOf = (row: TimelineRow | undefined) => (row && row.kind !== 'day' ? position.get(row.event.id) : undefined);
  let next = 0;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (row.kind === 'day') {
      // Notices of earlier days go before the separator; those of its own day after it.
      const at = eventIndexOf(rows[i + 1]);
      while (next < notices.length && at !== undefined && notices[next]!.index < at && !sameDay(notices[next]!.row.event.ts, row.ts))
        out.push(notices[next++]!.row);
    } else {
      const at = eventIndexOf(row);
      while (next < notices.length && at !== undefined && notices[next]!.index < at) out.push(notices[next++]!.row);
    }
    out.push(row);
  }
  while (next < notices.length) out.push(notices[next++]!.row);
  return out;
}
