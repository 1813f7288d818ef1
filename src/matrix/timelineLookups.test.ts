import { describe, expect, it } from 'vitest';
import { EventTimeline, EventTimelineSet, MatrixEvent, Room, createClient } from 'matrix-js-sdk';
import { findEventsFromTheNewest } from './timelineLookups';

// The SDK's own methods, kept before the patch replaces them: the patched ones must answer exactly as they do.
const originalFind = EventTimelineSet.prototype.findEventById;
const originalCompare = EventTimelineSet.prototype.compareEventOrdering;

async function roomWith(count: number) {
  const client = createClient({ baseUrl: 'http://127.0.0.1:9', userId: '@a:x', accessToken: 't', timelineSupport: true });
  const room = new Room('!r:x', client, '@a:x', { timelineSupport: true });
  const events = Array.from(
    { length: count },
    (_, i) =>
      new MatrixEvent({
        event_id: `$e${i}`,
        type: 'm.room.message',
        sender: i % 2 ? '@a:x' : '@b:x',
        room_id: '!r:x',
        origin_server_ts: i,
        content: { body: `${i}` },
      }),
  );
  await room.addLiveEvents(events, { addToState: false });
  // An older, unlinked timeline with events of its own: comparisons across timelines are left to the SDK.
  const older = room.getUnfilteredTimelineSet().addTimeline();
  const olderEvents = [0, 1, 2].map(
    (i) => new MatrixEvent({ event_id: `$old${i}`, type: 'm.room.message', sender: '@b:x', room_id: '!r:x', content: {} }),
  );
  room.getUnfilteredTimelineSet().addEventsToTimeline(olderEvents, true, false, older);
  return room.getUnfilteredTimelineSet();
}

describe('event lookups from the newest (matrix-js-sdk#3325)', () => {
  it('find and order exactly as the SDK does: same timeline, other timelines, unknown IDs, the same ID', async () => {
    const set = await roomWith(300);
    const ids = ['$e0', '$e1', '$e150', '$e298', '$e299', '$old0', '$old2', '$nope', ''];
    const before = ids.map((a) => [originalFind.call(set, a)?.getId(), ...ids.map((b) => originalCompare.call(set, a, b))]);
    findEventsFromTheNewest();
    expect(EventTimelineSet.prototype.findEventById).not.toBe(originalFind);
    const after = ids.map((a) => [set.findEventById(a)?.getId(), ...ids.map((b) => set.compareEventOrdering(a, b))]);
    expect(after).toEqual(before);
    expect(set.compareEventOrdering('$e10', '$e299')).toBe(-1);
    expect(set.findEventById('$e299')).toBe(set.getLiveTimeline().getEvents().at(-1));
    expect(set.getLiveTimeline()).toBeInstanceOf(EventTimeline);
  });
});
