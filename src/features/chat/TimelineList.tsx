import { useEffect, useImperativeHandle, useLayoutEffect, useRef, useState, type ReactNode, type Ref } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { TimelineRow } from './timeline';

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
  onAtBottomChange,
  header,
  handle,
}: {
  rows: readonly TimelineRow[];
  renderRow(row: TimelineRow): ReactNode;
  onNearTop?(): void;
  onAtBottomChange?(atBottom: boolean): void;
  header?: ReactNode;
  handle?: Ref<TimelineListHandle>;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const [atBottom, setAtBottom] = useState(true);
  // Following the newest message: true while the reader is at the bottom. Content that grows without a
  // scroll (a burst of messages, an image finishing loading) keeps the view pinned to the end.
  const stickToBottom = useRef(true);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: (i) => {
      const row = rows[i];
      if (!row) return 40;
      if (row.kind === 'day') return 36;
      if (row.kind === 'notice') return 22;
      return row.startsGroup ? 58 : 26;
    },
    getItemKey: (i) => rows[i]?.key ?? i,
    overscan: 8,
    initialOffset: () => Number.MAX_SAFE_INTEGER, // open at the newest message
  });

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

  // Reading older messages: the first message on screen and its distance from the top, so rows loaded
  // above it (back-pagination) do not move it. Day separators are skipped: their keys change on prepend.
  const anchor = useRef<{ key: string; delta: number } | undefined>(undefined);
  const captureAnchor = () => {
    const el = scrollRef.current;
    if (!el) return;
    const top = el.scrollTop;
    // Over all measured positions (not just the rendered range, which may lag this scroll event).
    const items = virtualizer.measurementsCache;
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (items[mid]!.end > top) hi = mid;
      else lo = mid + 1;
    }
    while (lo < items.length && rows[lo]?.kind === 'day') lo++;
    const item = items[lo];
    anchor.current = item && rows[lo] ? { key: rows[lo]!.key, delta: item.start - top } : undefined;
  };

  const sizerRef = useRef<HTMLDivElement>(null);
  useLayoutEffect(() => {
    if (rows.length === 0) return;
    if (stickToBottom.current) {
      virtualizer.scrollToEnd();
      return;
    }
    const kept = anchor.current;
    if (!kept) return;
    const index = rows.findIndex((r) => r.key === kept.key);
    const item = index >= 0 ? virtualizer.measurementsCache[index] : undefined;
    const el = scrollRef.current;
    // A direct write, before paint: the virtualiser picks the new offset up from the scroll event.
    if (item && el && Math.abs(item.start - kept.delta - el.scrollTop) > 1) el.scrollTop = item.start - kept.delta;
  }, [rows, virtualizer]);
  useEffect(() => {
    const sizer = sizerRef.current;
    if (!sizer) return;
    const observer = new ResizeObserver(() => {
      if (stickToBottom.current) virtualizer.scrollToEnd();
    });
    observer.observe(sizer);
    return () => observer.disconnect();
  }, [virtualizer]);

  function onScroll() {
    const el = scrollRef.current;
    if (!el) return;
    const bottom = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
    stickToBottom.current = bottom;
    captureAnchor();
    if (bottom !== atBottom) {
      setAtBottom(bottom);
      onAtBottomChange?.(bottom);
    }
    if (el.scrollTop < 400) onNearTop?.();
  }

  const items = virtualizer.getVirtualItems();
  return (
    <div className="relative flex min-h-0 flex-1 flex-col">
      {header && <div className="pointer-events-none absolute inset-x-0 top-0 z-10 flex justify-center p-2">{header}</div>}
    <div
      ref={scrollRef}
      onScroll={onScroll}
      role="log"
      aria-label="Messages"
      aria-live="polite"
      tabIndex={0}
      className="relative min-h-0 flex-1 overflow-y-auto overscroll-contain focus-visible:outline-2 focus-visible:outline-indigo-500"
    >
      <div ref={sizerRef} style={{ height: virtualizer.getTotalSize(), position: 'relative', width: '100%' }}>
        {items.map((item) => {
          const row = rows[item.index];
          if (!row) return null;
          return (
            <div
              key={item.key}
              data-index={item.index}
              ref={virtualizer.measureElement}
              style={{ position: 'absolute', top: 0, left: 0, width: '100%', transform: `translateY(${item.start}px)` }}
            >
              {renderRow(row)}
            </div>
          );
        })}
      </div>
    </div>
    </div>
  );
}
