// markRead over a real matrix-js-sdk Room (no server): a receipt for the newest message of someone else; none
// for your own newest message while nothing is unread (sending is reading); one when the server still counts
// unread for the room (a server that wants explicit receipts for your own messages, MSC4005). Each goes out through
// the read-markers endpoint, which moves the fully-read marker (m.fully_read) there too.
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
    vi.spyOn(client, 'setRoomReadMarkers').mockImplementation(async (_roomId, marker, receipt) => {
      sent.push(receipt ? `${marker} read ${receipt.getId()}` : `${marker}`);
      return {};
    });
  });
  afterEach(() => client.stopClient());

  it("sends one receipt for someone else's newest message", async () => {
    await room.addLiveEvents([message('$a', other)], { addToState: false });
    await markRead(client, room);
    await markRead(client, room);
    expect(sent).toEqual(['$a read $a']);
  });

  it('sends none for your own newest message when nothing is unread, one when the server still counts', async () => {
    await room.addLiveEvents([message('$b', other), message('$c', me)], { addToState: false });
    await markRead(client, room);
    expect(sent).toEqual(['$c']); // the fully-read marker moves, no receipt
    room.setUnreadNotificationCount(NotificationCountType.Total, 1);
    await markRead(client, room);
    expect(sent).toEqual(['$c', '$c read $c']);
  });
});

describe('markRead and the fully-read marker', () => {
  it('moves the marker (m.fully_read) with the receipt, and only the marker when the receipt is already there', async () => {
    const client = createClient({ baseUrl: 'http://hs.invalid', userId: me });
    const room = new Room('!m:x', client, me);
    const sent: string[] = [];
    vi.spyOn(client, 'setRoomReadMarkers').mockImplementation(async (_roomId, marker, receipt) => {
      sent.push(receipt ? `${marker} read ${receipt.getId()}` : `${marker}`);
      return {};
    });
    await room.addLiveEvents(
      [new MatrixEvent({ type: 'm.room.message', event_id: '$x', room_id: '!m:x', sender: other, origin_server_ts: 1, content: {} })],
      {
        addToState: false,
      },
    );
    room.addAccountData([new MatrixEvent({ type: 'm.fully_read', content: { event_id: '$old' } })]);
    vi.spyOn(room, 'getEventReadUpTo').mockReturnValue('$x');
    await markRead(client, room);
    expect(sent).toEqual(['$x']);
    room.addAccountData([new MatrixEvent({ type: 'm.fully_read', content: { event_id: '$x' } })]);
    await markRead(client, room);
    expect(sent).toEqual(['$x']);
    client.stopClient();
  });
});
