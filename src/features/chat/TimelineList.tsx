import { memo, useCallback, useEffect, useImperativeHandle, useLayoutEffect, useRef, useState, type ReactNode, type Ref } from 'react';
import { t } from '../../i18n';
import { useVirtualizer, type Virtualizer } from '@tanstack/react-virtual';
import { grownFrom, type RoomRow } from '../../domain/room/roomViewModel';
import { measureAppended } from './measureAppended';

export interface TimelineListHandle {
  scrollToLatest(): void;
}

/**
 * The virtualised timeline: only visible rows are in the DOM, measured as they render. Anchored to the
 * end like a chat: new messages follow when you are at the bottom, older ones load above without moving
 * what you are reading.
 */
export function TimelineList({
  rows,
  renderRow,
  onNearTop,
  onNearBottom,
  followEnd = true,
  onAtBottomChange,
  header,
  handle,
  focusKey,
  rowShape = shapeOf,
}: {
  rows: readonly RoomRow[];
  renderRow(row: RoomRow): ReactNode;
  onNearTop?(): void;
  /** Near the end of the rows: an anchored window of history loads its next newer page. */
  onNearBottom?(): void;
  /** Whether reaching the end follows new rows; not while the rows are a window of history away from the live end. */
  followEnd?: boolean;
  onAtBottomChange?(atBottom: boolean): void;
  header?: ReactNode;
  handle?: Ref<TimelineListHandle>;
  /** The row a permalink names: scrolled into the middle once it is among the rows, and marked. */
  focusKey?: string;
  /** Rows of one shape have one height (see shapeOf); the caller adds what it renders around them. */
  rowShape?(row: RoomRow): string | undefined;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [atBottom, setAtBottom] = useState(true);
  // Following the newest message: true while the reader is at the bottom. Content that grows without a
  // scroll (a burst of messages, an image finishing loading) keeps the view pinned to the end. Content
  // shorter than the view sits at the bottom (next to the composer, as in any chat), so older messages
  // loading above it while pinned leave what the reader sees where it is.
  const stickToBottom = useRef(true);
  const lastScrollTop = useRef(0);
  // Keys and estimates change only with the rows: renders for a measurement or a scroll keep the same functions, so
  // the virtualiser keeps its positions (a new function would make it lay out every row again). Measured sizes stay
  // cached by key, so a row keeps its size when others come and go.
  const getItemKey = useCallback((i: number) => rows[i]?.key ?? i, [rows]);
  // A new row of a shape seen before (a short line of text, with or without its sender's name) is estimated at the
  // height that shape last measured: it is laid out at its real height in its first frame, and its measurement
  // changes nothing, where a fixed guess moved it (and re-rendered the list) a frame later.
  const sizeOfShape = useRef(new Map<string, number>());
  const rowsNow = useRef(rows);
  rowsNow.current = rows;
  const shapeNow = useRef(rowShape);
  shapeNow.current = rowShape;
  // Only for rows new at the end: rows loaded above are estimated as before, so what keeps the reader's place there
  // (the anchor below) works from the same guesses.
  const newRowsFrom = grownFrom(rows)?.length ?? Number.POSITIVE_INFINITY;
  const estimateSize = useCallback(
    (i: number) => estimatedSize(rows[i], i >= newRowsFrom ? sizeOfShape.current : undefined, shapeNow.current),
    [rows, newRowsFrom],
  );
  const measureElement = useCallback(
    (element: Element, entry: ResizeObserverEntry | undefined, instance: Virtualizer<HTMLDivElement, Element>) => {
      const size = measuredSize(element, entry, instance);
      const row = rowsNow.current[instance.indexFromElement(element)];
      const shape = entry && row && shapeNow.current(row);
      if (shape) sizeOfShape.current.set(shape, size);
      return size;
    },
    [],
  );
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize,
    getItemKey,
    measureElement,
    overscan: 8,
    initialOffset: () => Number.MAX_SAFE_INTEGER, // open at the newest message
  });
  // The anchor below keeps the reader's place from the rendered DOM; the virtualiser's own correction for
  // rows measured above the fold would scroll a second time for the same shift.
  virtualizer.shouldAdjustScrollPositionOnItemSizeChange = () => false;

  useImperativeHandle(
    handle,
    () => ({
      scrollToLatest: () => {
        stickToBottom.current = true;
        virtualizer.scrollToEnd();
      },
    }),
    [virtualizer],
  );

  // Reading older messages: the first row on screen and where it sits in the content, as rendered. When
  // rows above it change (older messages prepended, estimated rows measured) it moves down the content by
  // some amount, and the view scrolls by that same amount, so what the reader sees stays put. Read from
  // the DOM after each render, because the virtualiser's positions of rows above are estimates until
  // they render; day separators are skipped (a day's separator moves to the top when its older messages load).
  const anchor = useRef<RowAnchor | undefined>(undefined);
  const sizerRef = useRef<HTMLDivElement>(null);
  const captureAnchor = () => {
    const el = scrollRef.current;
    const sizer = sizerRef.current;
    if (!el || !sizer) return;
    // None rendered in view: the virtualiser has not caught up with this scroll yet; the old anchor still
    // tracks the content, and the next scroll event re-picks once the rows are rendered.
    anchor.current = firstVisibleRow(el, sizer, (index) => rows[index]?.kind !== 'day') ?? anchor.current;
  };

  // Before following the end: a permalink's row, once loaded, takes the reader there instead (once per row).
  const focusedKey = useRef<string | undefined>(undefined);
  useLayoutEffect(() => {
    if (!focusKey) {
      focusedKey.current = undefined; // the same event asked for again later is scrolled to again
      return;
    }
    if (focusedKey.current === focusKey) return;
    const index = rows.findIndex((r) => r.key === focusKey);
    if (index < 0) return;
    focusedKey.current = focusKey;
    stickToBottom.current = false;
    anchor.current = undefined;
    virtualizer.scrollToIndex(index, { align: 'center' });
  }, [focusKey, rows, virtualizer]);
  // Following the end as rows arrive needs no effect of its own: a new row grows the content, and the observer below
  // scrolls once the browser has laid it out (before the frame is painted). Scrolling from a layout effect would
  // force a layout in the middle of the commit, and the virtualiser's scrollToEnd reads the scroll height to aim.
  // After every render (new rows, rows measured, an image grown): keep the anchor where the reader saw it.
  useLayoutEffect(() => {
    const el = scrollRef.current;
    const sizer = sizerRef.current;
    const kept = anchor.current;
    if (!el || !sizer || !kept || stickToBottom.current) return;
    const index = rows.findIndex((r) => r.key === kept.key);
    if (index < 0) {
      anchor.current = undefined;
      return;
    }
    // Not rendered when the prepend moved it out of the rendered range: the virtualiser's position for it
    // is the best there is until the scroll below brings it back into the DOM, where the next pass corrects.
    const start = renderedStart(sizer, kept.key) ?? virtualizer.measurementsCache[index]?.start;
    if (start === undefined) return;
    const shift = start - kept.start;
    kept.start = start;
    if (Math.abs(shift) >= 0.5) el.scrollTop += shift;
  });
  // While following, the browser moving the view up because the end came up (the content shrank, or the view grew) is
  // not the reader scrolling up. Its scroll event comes a frame later, perhaps after new rows have grown the content
  // again, when it would look like a reader who left the end, and a busy room would stop following. So where the view
  // is after such a move is where the reader's next scroll is compared from (the list's shrinking is also counted
  // below, where it is rendered).
  useEffect(() => {
    const sizer = sizerRef.current;
    const view = scrollRef.current;
    if (!sizer || !view) return;
    // Runs after layout, before paint: the scroll write finds the layout fresh and only moves the view.
    const observer = new ResizeObserver(() => {
      if (!stickToBottom.current) return;
      pinToEnd(view);
      lastScrollTop.current = view.scrollTop;
    });
    observer.observe(sizer);
    observer.observe(view);
    return () => observer.disconnect();
  }, []);

  function onScroll() {
    const el = scrollRef.current;
    if (!el) return;
    // Reaching the end follows it; only scrolling up leaves it. A scroll down that ends short of the end is
    // ours (rows below measured taller between following the end and this event) or the reader's on the
    // way down: neither is a reader who left. A few pixels of slack for fractional offsets, no more: a
    // reader a line above the end is reading, and older messages arriving must keep their place.
    const top = el.scrollTop;
    const fromEnd = el.scrollHeight - top - el.clientHeight;
    if (fromEnd < atBottomSlack && followEnd) stickToBottom.current = true;
    else if (top < lastScrollTop.current) stickToBottom.current = false;
    lastScrollTop.current = top;
    const bottom = stickToBottom.current;
    captureAnchor();
    if (bottom !== atBottom) {
      setAtBottom(bottom);
      onAtBottomChange?.(bottom);
    }
    if (el.scrollTop < 400) onNearTop?.();
    if (fromEnd < 400) onNearBottom?.();
  }

  measureAppended(virtualizer, rows, grownFrom(rows));
  // The list rendered shorter (a row measured smaller) while following: the view will move up by as much. Counted in
  // the commit, because a render from the virtualiser's own resize observer reaches the observer above only in the
  // next frame, after the scroll event of that move.
  const renderedTotal = useRef(0);
  const total = virtualizer.getTotalSize();
  useLayoutEffect(() => {
    const shrink = renderedTotal.current - total;
    renderedTotal.current = total;
    if (shrink > 0 && stickToBottom.current) lastScrollTop.current = Math.max(0, lastScrollTop.current - shrink);
  }, [total]);
  const items = virtualizer.getVirtualItems();
  return (
    <div className="relative flex min-h-0 flex-1 flex-col">
      {header && <div className="pointer-events-none absolute inset-x-0 top-0 z-10 flex justify-center p-2">{header}</div>}
      <div
        ref={scrollRef}
        onScroll={onScroll}
        role="log"
        aria-label={t('chat.timeline.label')}
        aria-live="polite"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable log must take focus so the keyboard can scroll it
        tabIndex={0}
        // The browser's own scroll anchoring would correct a second time for what the anchor above corrects.
        className="relative flex min-h-0 flex-1 flex-col overflow-y-auto overscroll-contain [overflow-anchor:none] focus-visible:outline-2 focus-visible:outline-indigo-500"
      >
        <div ref={sizerRef} style={{ height: total, position: 'relative', width: '100%', flexShrink: 0, marginTop: 'auto' }}>
          {items.map((item) => {
            const row = rows[item.index];
            if (!row) return null;
            return (
              <VirtualRow
                key={item.key}
                index={item.index}
                start={item.start}
                row={row}
                focused={row.key === focusKey}
                measure={virtualizer.measureElement}
                renderRow={renderRow}
              />
            );
          })}
        </div>
      </div>
    </div>
  );
}

/**
 * One positioned row. Memoised: a new message re-renders the list, and the rows already on screen keep their place,
 * row and size, so React skips them instead of diffing each one's wrapper and row again.
 */
const VirtualRow = memo(function VirtualRow({
  index,
  start,
  row,
  focused,
  measure,
  renderRow,
}: {
  index: number;
  start: number;
  row: RoomRow;
  focused: boolean;
  measure(element: HTMLElement | null): void;
  renderRow(row: RoomRow): ReactNode;
}) {
  return (
    <div
      data-index={index}
      data-row-key={row.key}
      data-focused={focused || undefined}
      // Only the offset is an inline style: each inline property a new row sets is parsed on its own. Each row is its
      // own stacking context (the transform), so a row with the focus in it (its React menu open) is raised above the
      // rows after it, which would otherwise cover the menu.
      // Whole class names, so Tailwind finds each one in the source.
      className={
        focused
          ? 'absolute top-0 left-0 w-full focus-within:z-10 bg-warning-surface outline-2 -outline-offset-2 outline-warning-line'
          : 'absolute top-0 left-0 w-full focus-within:z-10'
      }
      ref={measure}
      style={{ transform: `translateY(${start}px)` }}
    >
      {renderRow(row)}
    </div>
  );
});

/**
 * Rows whose height is one per shape: a day separator, and a short one-line text message (sent, not a reply, no
 * reactions), with or without its sender's name above. Anything else varies with its content: no shape.
 */
export function shapeOf(row: RoomRow | undefined): string | undefined {
  if (row?.kind === 'day') return 'day';
  if (row?.kind !== 'message') return undefined;
  const { content, event } = row;
  const body = content.body;
  const oneShortLine = typeof body === 'string' && body.length <= 30 && !body.includes('\n') && content.format === undefined;
  if (content.msgtype !== 'm.text' || !oneShortLine || event.status !== 'sent' || event.redacted) return undefined;
  if (row.replyTo || row.edited || row.reactions.length > 0) return undefined;
  return row.startsGroup ? 'short-with-sender' : 'short';
}

/** A row's height before it is measured: what its shape last measured, or a guess by kind. */
export function estimatedSize(
  row: RoomRow | undefined,
  sizeOfShape?: ReadonlyMap<string, number>,
  rowShape: (row: RoomRow) => string | undefined = shapeOf,
): number {
  const known = sizeOfShape && row && rowShape(row);
  if (known && sizeOfShape.has(known)) return sizeOfShape.get(known)!;
  if (!row) return 40;
  if (row.kind === 'day') return 36;
  if (row.kind === 'notice') return 22;
  return row.startsGroup ? 58 : 26;
}

/**
 * A row's size from the resize observer's entry, which comes after the browser's own layout; a row just attached has
 * none yet and keeps its cached (or estimated) size until the entry arrives, instead of reading offsetHeight in the
 * middle of React's commit, which forces a layout of the whole list for every new row.
 */
function measuredSize(element: Element, entry: ResizeObserverEntry | undefined, instance: Virtualizer<HTMLDivElement, Element>): number {
  const box = entry?.borderBoxSize?.[0];
  if (box) return Math.round(box.blockSize);
  const index = instance.indexFromElement(element);
  return instance.itemSizeCache.get(instance.options.getItemKey(index)) ?? instance.options.estimateSize(index);
}

/** Scrolls to the end without reading the layout: the browser clamps the offset to the end. */
function pinToEnd(el: HTMLElement | null): void {
  if (el) el.scrollTop = Number.MAX_SAFE_INTEGER;
}

/** A row and its top within the list's content (independent of scrolling). */
interface RowAnchor {
  key: string;
  start: number;
}

/** The rendered row's top within the content, or undefined when it is not in the DOM. */
function renderedStart(sizer: HTMLElement, key: string): number | undefined {
  for (const child of sizer.children) {
    if (child instanceof HTMLElement && child.dataset.rowKey === key) {
      return child.getBoundingClientRect().top - sizer.getBoundingClientRect().top;
    }
  }
  return undefined;
}

/** Within this many pixels of the end, the reader is at the bottom and follows new messages. */
const atBottomSlack = 4;

/**
 * The row that anchors the view: the first rendered row that starts inside it, so a row cut by the top
 * edge (perhaps an image still loading) may grow or shrink above it without moving what the reader
 * sees; the cut row itself only when nothing else starts in view. Only rows on screen count: right after
 * a jump the DOM still holds the rows of the old position until the virtualiser catches up.
 */
function firstVisibleRow(view: HTMLElement, sizer: HTMLElement, canAnchor: (index: number) => boolean): RowAnchor | undefined {
  const { top: viewTop, bottom: viewBottom } = view.getBoundingClientRect();
  const sizerTop = sizer.getBoundingClientRect().top;
  let best: { key: string; top: number } | undefined;
  let cut: { key: string; top: number } | undefined;
  for (const child of sizer.children) {
    if (!(child instanceof HTMLElement) || child.dataset.rowKey === undefined) continue;
    const rect = child.getBoundingClientRect();
    if (rect.bottom <= viewTop + 0.5 || rect.top >= viewBottom - 0.5 || !canAnchor(Number(child.dataset.index))) continue;
    const row = { key: child.dataset.rowKey, top: rect.top };
    if (rect.top < viewTop - 0.5) cut = row;
    else if (!best || rect.top < best.top) best = row;
  }
  best ??= cut;
  return best && { key: best.key, start: best.top - sizerTop };
}
