// History visibility, judged per event as the spec says (Client-Server API, "Room History Visibility"): by the
// `m.room.history_visibility` in force at the event and the reader's membership at it. Both only change at a few
// state events, so the room's positions split into runs with one verdict each; readers skip hidden runs whole.
// Pure: the caller loads the change points (storage positions) and asks about positions.

export type Visibility = 'world_readable' | 'shared' | 'invited' | 'joined';

/** A state event that changes one key: its stream position and new value (visibility, or membership). */
export interface Change {
  position: number;
  value: string;
}

export interface VisibilityInput {
  /** The room's `m.room.history_visibility` events. */
  visibility: Change[];
  /** The reader's member events, one list per member: a user has one member (key); a server judges all of its own. */
  members: Change[][];
  /**
   * Where the room's create event sits. Below it the state we hold is incomplete (history backfilled over
   * federation, whose older state events are still held above it): there the nearest setting we know stands in.
   */
  createPosition?: number;
}

/** Inclusive range of positions with one verdict. */
export interface Segment {
  lo: number;
  hi: number;
  visible: boolean;
}

/** Bounds of every position (stream orderings are integers; backfilled history lies below zero). */
export const LOWEST_POSITION = -1e14;
export const HIGHEST_POSITION = Number.MAX_SAFE_INTEGER;

const KNOWN: readonly string[] = ['world_readable', 'shared', 'invited', 'joined'];

/** The setting an event's content names; an absent or unknown value counts as `shared` (spec). */
export function visibilityOf(content: Record<string, unknown> | undefined): Visibility {
  const value = content?.history_visibility;
  return typeof value === 'string' && KNOWN.includes(value) ? (value as Visibility) : 'shared';
}

/** The spec's rules 1–5 for one state: `joinedLater` is "joined at some point at or after the event". */
export function mayRead(visibility: Visibility, memberships: (string | undefined)[], joinedLater: boolean): boolean {
  if (visibility === 'world_readable') return true;
  if (memberships.includes('join')) return true;
  if (visibility === 'shared' && joinedLater) return true;
  return visibility === 'invited' && memberships.includes('invite');
}

/** Latest change at or below `position` (strictly below when `strict`). `changes` sorted by position. */
function latest(changes: Change[], position: number, strict: boolean): Change | undefined {
  let found: Change | undefined;
  for (const change of changes) {
    if (strict ? change.position >= position : change.position > position) break;
    found = change;
  }
  return found;
}

const byPosition = (a: Change, b: Change) => a.position - b.position;

/** Splits all positions into runs where the reader's verdict is the same, in order, adjacent runs merged. */
export function visibleSegments(input: VisibilityInput): Segment[] {
  const visibility = [...input.visibility].sort(byPosition);
  const members = input.members.map((list) => [...list].sort(byPosition));
  const lastJoin = Math.max(
    ...members
      .flat()
      .filter((c) => c.value === 'join')
      .map((c) => c.position),
    -Infinity,
  );
  const settingAt = (position: number, strict: boolean): Visibility => {
    const change = latest(visibility, position, strict);
    if (change) return change.value as Visibility;
    const stateComplete = input.createPosition !== undefined && input.createPosition <= position;
    return !stateComplete && visibility[0] ? (visibility[0].value as Visibility) : 'shared';
  };
  const verdictAt = (position: number, strict: boolean) =>
    mayRead(
      settingAt(position, strict),
      members.map((list) => latest(list, position, strict)?.value),
      lastJoin >= position,
    );

  // A visibility event or one of the reader's member events is visible if the state before *or* after it allows.
  const special = new Set([...visibility, ...members.flat()].map((c) => c.position));
  // The reader's own leave or ban is always theirs to see (as in Synapse): someone invited to a `shared` or
  // `joined` room who declines, or is banned before joining, must still learn the invite is gone.
  const ownEnding = new Set(
    members
      .flat()
      .filter((c) => c.value === 'leave' || c.value === 'ban')
      .map((c) => c.position),
  );
  const points = [...new Set([...special, ...(input.createPosition !== undefined ? [input.createPosition] : [])])].sort((a, b) => a - b);
  const segments: Segment[] = [];
  const push = (lo: number, hi: number, visible: boolean) => {
    if (lo > hi) return;
    const last = segments.at(-1);
    if (last && last.visible === visible && last.hi === lo - 1) last.hi = hi;
    else segments.push({ lo, hi, visible });
  };
  let from = LOWEST_POSITION;
  for (const point of points) {
    push(from, point - 1, verdictAt(from, false));
    push(point, point, ownEnding.has(point) || verdictAt(point, false) || (special.has(point) && verdictAt(point, true)));
    from = point + 1;
  }
  push(from, HIGHEST_POSITION, verdictAt(from, false));
  return segments;
}

/** Is the position in a visible run? (binary search) */
export function isVisibleAt(segments: Segment[], position: number): boolean {
  let lo = 0;
  let hi = segments.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const segment = segments[mid]!;
    if (position < segment.lo) hi = mid - 1;
    else if (position > segment.hi) lo = mid + 1;
    else return segment.visible;
  }
  return false;
}

/** The visible runs within [from, to], clipped, oldest first. */
export function visibleRanges(segments: Segment[], from: number, to: number): { lo: number; hi: number }[] {
  return segments.filter((s) => s.visible && s.hi >= from && s.lo <= to).map((s) => ({ lo: Math.max(s.lo, from), hi: Math.min(s.hi, to) }));
}
