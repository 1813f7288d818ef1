// matrix-js-sdk finds an event in a timeline by scanning its events from the oldest (EventTimelineSet.findEventById and
// .compareEventOrdering; matrix-js-sdk#3325). Every live event makes a read receipt that looks up and orders the
// newest events, so in a room with 10,000 events loaded each arrival scanned them all, several times (about 1 ms of
// the per-event bench). Scanning from the newest finds the same event (IDs are unique in a timeline: the SDK drops
// duplicates) at once. Patched once, on the prototype, for every client this page makes.
import { EventTimelineSet, type MatrixEvent } from 'matrix-js-sdk';

let patched = false;

/** An event's index in `events`, searched from the end; -1 if absent. */
export function lastIndexOfEvent(events: readonly MatrixEvent[], eventId: string): number {
  for (let i = events.length - 1; i >= 0; i--) if (events[i]!.getId() === eventId) return i;
  return -1;
}

/** Where two events of one timeline stand, as the SDK answers it: -1, 1 by index, 0 if either is missing. */
export function orderInTimeline(events: readonly MatrixEvent[], eventId1: string, eventId2: string): number {
  const index1 = lastIndexOfEvent(events, eventId1);
  const index2 = lastIndexOfEvent(events, eventId2);
  if (index1 < 0 || index2 < 0) return 0;
  return Math.sign(index1 - index2);
}

export function findEventsFromTheNewest(): void {
  if (patched) return;
  patched = true;
  const proto = EventTimelineSet.prototype;
  const compare = proto.compareEventOrdering;
  proto.findEventById = function findEventById(this: EventTimelineSet, eventId: string) {
    const timeline = this.getTimelineForEvent(eventId);
    if (!timeline) return undefined;
    const events = timeline.getEvents();
    const index = lastIndexOfEvent(events, eventId);
    return index < 0 ? undefined : events[index];
  };
  proto.compareEventOrdering = function compareEventOrdering(this: EventTimelineSet, eventId1: string, eventId2: string) {
    if (eventId1 === eventId2) return 0;
    const timeline1 = this.getTimelineForEvent(eventId1);
    const timeline2 = this.getTimelineForEvent(eventId2);
    if (!timeline1 || !timeline2) return null;
    // Different timelines: the SDK walks their links; only the same-timeline case scanned every event.
    if (timeline1 !== timeline2) return compare.call(this, eventId1, eventId2);
    return orderInTimeline(timeline1.getEvents(), eventId1, eventId2);
  };
}
