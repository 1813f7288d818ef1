import { useEffect, useImperativeHandle, useRef, useState, type ReactNode, type Ref } from 'react';
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
    anchorTo: 'end',
    followOnAppend: true,
    scrollEndThreshold: 48,
    initialOffset: () => Number.MAX_SAFE_INTEGER, // open at the newest message
  });

  useImperativeHandle(handle, () => ({ scrollToLatest: () => virtualizer.scrollToEnd() }), [virtualizer]);

  // Start at the bottom once the first rows are measured.
  const placed = useRef(false);
  useEffect(() => {
    if (!placed.current && rows.length > 0) {
      placed.current = true;
      virtualizer.scrollToEnd();
    }
  }, [rows.length, virtualizer]);

  function onScroll() {
    const el = scrollRef.current;
    if (!el) return;
    const bottom = el.scrollHeight - el.scrollTop - el.clientHeight < 48;
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
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative', width: '100%' }}>
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
