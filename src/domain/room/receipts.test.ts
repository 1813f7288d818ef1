// markRead over a real matrix-js-sdk Room (no server): a receipt for the newest message of someone else; none
// for your own newest message while nothing is unread (sending is reading); one when the server still counts
// unread for the room (a server that wants explicit receipts for your own messages, MSC4005).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createClient, MatrixEvent, NotificationCountType, Room, type MatrixClient } from 'matrix-js-sdk';
import { markRead } from './receipts';

const ROOM = '!r:x';
const me = '@me:x';
const other = '@bob:x';

function message(id: string, sender: string) {
  return new MatrixEvent({ type: 'm.room.message', event_id: id, room_id: ROOM, sender, origin_server_ts: 1, content: { body: id } });
}

describe('markRead', () => {
  let client: MatrixClient;
  let room: Room;
  let sent: string[];

  beforeEach(() => {
    client = createClient({ baseUrl: 'http://hs.invalid', userId: me });
    room = new Room(ROOM, client, me);
    sent = [];
    vi.spyOn(client, 'sendReadReceipt').mockImplementation(async (event) => {
      sent.push(event?.getId() ?? '');
      return {};
    });
  });
  afterEach(() => client.stopClient());

  it("sends one receipt for someone else's newest message", async () => {
    await room.addLiveEvents([message('$a', other)], { addToState: false });
    await markRead(client, room);
    await markRead(client, room);
    expect(sent).toEqual(['$a']);
  });

  it('sends none for your own newest message when nothing is unread, one when the server still counts', async () => {
    await room.addLiveEvents([message('$b', other), message('$c', me)], { addToState: false });
    await markRead(client, room);
    expect(sent).toEqual([]);
    room.setUnreadNotificationCount(NotificationCountType.Total, 1);
    await markRead(client, room);
    expect(sent).toEqual(['$c']);
  });
});
