import { useEffect, useRef } from 'react';
import type { TimelineRow } from '../../domain/room/timeline';

/** How many pages of history a permalink may pull in while looking for its event (50 events a page). */
export const focusSearchPages = 10;

export type FocusStatus = 'none' | 'found' | 'looking' | 'missing';

/**
 * The event a permalink (`#/room/{id}/{eventId}`) names, among the room's rows: its row key once loaded.
 * Without the SDK's timelineSupport there is no timeline anchored at an arbitrary event, so an event not
 * yet loaded is looked for by back-paginating the live timeline, at most `focusSearchPages` pages.
 */
export function useFocusedEvent(
  rows: readonly TimelineRow[],
  eventId: string | undefined,
  history: { canLoadOlder: boolean; loadingOlder: boolean; loadOlder(): Promise<void> | void },
): { focusKey?: string; status: FocusStatus } {
  const row = eventId ? rows.find((r) => r.kind !== 'day' && r.event.id === eventId) : undefined;
  const pages = useRef({ eventId, count: 0 });
  if (pages.current.eventId !== eventId) pages.current = { eventId, count: 0 };
  const { canLoadOlder, loadingOlder, loadOlder } = history;
  const searching = eventId !== undefined && !row && canLoadOlder && pages.current.count < focusSearchPages;
  // One page at a time: each load's end (loadingOlder back to false) asks for the next while still searching.
  useEffect(() => {
    if (!searching || loadingOlder) return;
    pages.current.count += 1;
    void loadOlder();
  }, [searching, loadingOlder, loadOlder]);
  if (!eventId) return { status: 'none' };
  if (row) return { focusKey: row.key, status: 'found' };
  return { status: searching ? 'looking' : 'missing' };
}
