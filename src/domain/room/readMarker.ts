// The fully-read marker (m.fully_read room account data): where the "New messages" line goes.

/** The rows the line is placed among: day separators have no event. */
interface MarkerRow {
  kind: string;
  event?: { id: string; identity: string; sender: string };
}

/**
 * The event ID of the first message after the fully-read marker that someone else sent: the "New messages" line
 * goes before it. None when the marker is not among the rows (it is older than the loaded history, or unknown),
 * or when nothing after it is someone else's message (your own messages are read by sending them), up to `until`.
 */
export function firstUnreadRow(
  rows: readonly MarkerRow[],
  markerEventId: string | undefined,
  myIdentity: string,
  /** The newest event when the marker was taken: what arrives after it, the reader sees arrive (no line for it). */
  until?: string,
): string | undefined {
  if (!markerEventId) return undefined;
  // Searched from the newest: the marker is usually near the end, and this runs with each new row.
  let at = rows.length - 1;
  while (at >= 0 && rows[at]!.event?.id !== markerEventId) at--;
  if (at < 0) return undefined;
  for (let i = at + 1; i < rows.length; i++) {
    const row = rows[i]!;
    if (until && rows[i - 1]!.event?.id === until) return undefined;
    if (row.kind !== 'message' || !row.event) continue;
    if ((row.event.identity || row.event.sender) === myIdentity) continue;
    return row.event.id;
  }
  return undefined;
}
