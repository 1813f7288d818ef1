// Incoming verification requests, one dialog at a time. Anyone who shares a room with you can ask to verify you, as
// often as they like: a new request must not take the place of a flow you are in (comparing emoji with someone), and
// one person's repeated requests must not pile up. So the dialog shows the oldest request; a newer one from the same
// person replaces theirs while it waits (or while it is shown and not yet accepted: the newer is the one they wait
// on); other people's wait in turn, a few at most, and more are dropped (they time out on the asker's side).

/** How many people's requests may wait for the dialog, the shown one included. */
export const MAX_WAITING_REQUESTS = 5;

/**
 * The queue after `incoming` arrives: `queue[0]` is shown, and accepted when `shownAccepted`. Returns `queue` itself
 * when the request is dropped.
 */
export function queueRequest<R extends { otherUserId: string }>(
  queue: readonly R[],
  incoming: R,
  shownAccepted: boolean,
  limit = MAX_WAITING_REQUESTS,
): readonly R[] {
  if (queue.includes(incoming)) return queue;
  const theirs = queue.findIndex((r, i) => r.otherUserId === incoming.otherUserId && (i > 0 || !shownAccepted));
  if (theirs >= 0) return queue.map((r, i) => (i === theirs ? incoming : r));
  if (queue.length >= limit) return queue;
  return [...queue, incoming];
}
