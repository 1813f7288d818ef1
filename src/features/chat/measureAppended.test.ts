import { describe, expect, it } from 'vitest';
import { Virtualizer, type VirtualizerOptions } from '@tanstack/virtual-core';
import { measureAppended } from './measureAppended';

type Row = { key: string; size: number };
const row = (i: number): Row => ({ key: `r${i}`, size: 20 + (i % 3) * 10 });

/** A virtualiser over `rows` with no DOM, counting the rows it lays out (each one is estimated). */
function listOf(initial: readonly Row[]) {
  let rows = initial;
  let laidOut = 0;
  const options = (): VirtualizerOptions<HTMLDivElement, Element> => ({
    count: rows.length,
    getScrollElement: () => null,
    estimateSize: (i) => (laidOut++, rows[i]!.size),
    getItemKey: (i) => rows[i]!.key,
    scrollToFn: () => undefined,
    observeElementRect: () => undefined,
    observeElementOffset: () => undefined,
  });
  const virtualizer = new Virtualizer(options());
  return {
    virtualizer,
    /** As TimelineList renders: the new count, then (with the helper) the hint, then the items. */
    render(next: readonly Row[], hinted: boolean, grownFrom?: readonly Row[]) {
      rows = next;
      laidOut = 0;
      virtualizer.setOptions(options());
      if (hinted) measureAppended(virtualizer, next, grownFrom);
      const total = virtualizer.getTotalSize();
      return { total, laidOut, starts: virtualizer.measurementsCache.map((m) => m.start) };
    },
  };
}

describe('measureAppended: a message arriving in a long timeline lays out its own row, not all of them', () => {
  const many = Array.from({ length: 1000 }, (_, i) => row(i));
  const sum = (rows: readonly Row[]) => rows.reduce((s, r) => s + r.size, 0);

  it('an append lays out only the new rows, with the same positions as laying out everything', () => {
    const list = listOf([]);
    expect(list.render(many, true).laidOut).toBe(1000);
    const next = [...many, row(1000), row(1001)];
    const appended = list.render(next, true, many);
    expect(appended.laidOut).toBe(2);
    expect(appended.total).toBe(sum(next));
    const fresh = listOf([]).render(next, false);
    expect(appended.starts).toEqual(fresh.starts);
  });

  it('without it, the virtualiser lays out every row again for one new row', () => {
    const list = listOf([]);
    list.render(many, false);
    expect(list.render([...many, row(1000)], false).laidOut).toBe(1001);
  });

  it('a row measured again before the append still moves the rows after it', () => {
    const list = listOf([]);
    list.render(many, true);
    list.virtualizer.resizeItem(500, 100);
    const next = [...many, row(1000)];
    const after = list.render(next, true, many);
    expect(after.total).toBe(sum(next) - many[500]!.size + 100);
    expect(after.starts[501]).toBe(after.starts[500]! + 100);
  });

  it('rows not grown from the ones laid out last (or not said to be) are all laid out again', () => {
    const list = listOf([]);
    list.render(many, true);
    const changed = [...many];
    changed[10] = { ...many[10]!, size: 99 };
    changed.push(row(1000));
    const relaid = list.render(changed, true);
    expect(relaid.laidOut).toBe(1001);
    expect(relaid.total).toBe(sum(changed));
    // Grown from rows the virtualiser never saw (a render was skipped): everything again.
    const skipped = [...changed, row(1001)];
    expect(list.render([...skipped, row(1002)], true, skipped).laidOut).toBe(1003);
  });

  it('appends write into the layout it has: no new array, and no copy of every row, for each message', () => {
    const list = listOf([]);
    list.render(many, true);
    const layoutArray = () =>
      (list.virtualizer as unknown as { _singleLaneMeasurements: { flat: Float64Array } })._singleLaneMeasurements.flat;
    let rows = many;
    list.render((rows = [...rows, row(rows.length)]), true, many); // the first append makes room
    const grown = layoutArray();
    for (let n = 0; n < 50; n++) {
      const before = rows;
      rows = [...rows, row(rows.length)];
      expect(list.render(rows, true, before).laidOut).toBe(1);
      expect(layoutArray()).toBe(grown);
    }
    // Positions as if laid out from scratch, past the headroom as well.
    for (let n = 0; n < 2100; n++) {
      const before = rows;
      rows = [...rows, row(rows.length)];
      list.render(rows, true, before);
    }
    const fresh = listOf([]).render(rows, false);
    expect(list.render(rows, true).starts).toEqual(fresh.starts);
    expect(list.virtualizer.getTotalSize()).toBe(sum(rows));
  });
});
