// The virtualiser lays out every row again whenever the row count changes: for a 10,000-event room that is 10,000
// key lookups (and estimates) for each message that arrives, the largest part of rendering it. When the new rows only
// add to the end (the same rows, in the same places, before them: the room view model says so, see grownFrom), the
// positions of the rows before are unchanged: this tells the virtualiser to lay out from the first new row on, as it
// already does for a row measured again.
import type { Virtualizer } from '@tanstack/virtual-core';

/** The parts of virtual-core's Virtualizer (3.x) this relies on; `pendingMin` is where its layout pass starts. */
interface Internals {
  getMeasurementOptions: () => unknown;
  pendingMin: number | null;
  /** One list's layout: each row's start and size, two numbers a row, in a typed array it reuses while it is long enough. */
  _singleLaneMeasurements?: { flat: Float64Array; items: unknown[] } | null;
}

/** Rows of headroom in the layout array: one allocation for this many appends, not one each. */
const headroomRows = 2048;

/**
 * The virtualiser sizes its layout array to the row count exactly, so each new row allocated a new one and copied
 * every row's start and size into it (20,000 numbers in a 10,000-event room: most of the time it spent on a new
 * message). Growing it with headroom first lets the layout pass write the new rows in place.
 */
function withRoomFor(count: number, inner: Partial<Internals>): void {
  const single = inner._singleLaneMeasurements;
  if (!single || !(single.flat instanceof Float64Array) || single.flat.length >= count * 2) return;
  const flat = new Float64Array((count + headroomRows) * 2);
  flat.set(single.flat);
  single.flat = flat;
}

/** Per virtualiser: where the next layout pass may start, and the rows it was last told about. */
type Hint = { from: number | null; rows: readonly unknown[] };
const hints = new WeakMap<object, Hint>();

function hintOf(virtualizer: Virtualizer<HTMLDivElement, Element>): Hint | undefined {
  const inner = virtualizer as unknown as Partial<Internals>;
  const known = hints.get(virtualizer);
  if (known) return known;
  const original = inner.getMeasurementOptions;
  // A virtual-core without these parts (another version) just lays out everything, as before; without its layout
  // array, withRoomFor does nothing.
  if (typeof original !== 'function' || !('pendingMin' in inner)) return undefined;
  const hint: Hint = { from: null, rows: [] };
  let last: unknown;
  inner.getMeasurementOptions = () => {
    const before = inner.pendingMin ?? null;
    const options = original.call(virtualizer);
    // New options (the count changed) reset the start of the layout pass to the first row; an append starts at the
    // first new row, or earlier if a row before it was measured again meanwhile.
    if (options !== last && hint.from !== null) inner.pendingMin = before === null ? hint.from : Math.min(before, hint.from);
    if (options !== last) withRoomFor((options as { count: number }).count, inner);
    hint.from = null;
    last = options;
    return options;
  };
  hints.set(virtualizer, hint);
  return hint;
}

/**
 * Call in render with the rows whose count the virtualiser was just given, before its items are read. `grownFrom`: the
 * rows these were made from by adding rows at the end (the same row objects before them), when the view model says so.
 * When those are the rows the virtualiser was given last time, its layout pass starts at the first new row.
 */
export function measureAppended(
  virtualizer: Virtualizer<HTMLDivElement, Element>,
  rows: readonly unknown[],
  grownFrom: readonly unknown[] | undefined,
): void {
  const hint = hintOf(virtualizer);
  if (!hint) return;
  hint.from = grownFrom !== undefined && grownFrom === hint.rows && grownFrom.length > 0 ? grownFrom.length : null;
  hint.rows = rows;
}
