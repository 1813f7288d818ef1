import { describe, expect, it } from 'vitest';
import { createClient, MatrixEvent, Room, RoomEvent } from 'matrix-js-sdk';
import { answeredInRoom, whenAnswered } from './verificationRequests';

const event = (type: string, content: Record<string, unknown>, sender = '@bob:x') =>
  new MatrixEvent({ type, content, event_id: `$${Math.random()}`, sender, room_id: '!r:x', origin_server_ts: 1 });
const pair = ['@alice:x', '@bob:x'];

describe('answeredInRoom', () => {
  it('sees a request answered by any event referring to it, in clear or on an encrypted event', () => {
    const request = event('m.room.message', { msgtype: 'm.key.verification.request', to: '@alice:x' });
    const other = event('m.room.message', { msgtype: 'm.text', body: 'hi', 'm.relates_to': { rel_type: 'm.thread', event_id: '$req' } });
    expect(answeredInRoom([request, other], '$req', pair)).toBe(false);
    const ready = event('m.key.verification.ready', { 'm.relates_to': { rel_type: 'm.reference', event_id: '$req' } });
    expect(answeredInRoom([request, ready], '$req', pair)).toBe(true);
    const encryptedDone = event('m.room.encrypted', {
      algorithm: 'm.megolm.v1.aes-sha2',
      ciphertext: 'x',
      'm.relates_to': { rel_type: 'm.reference', event_id: '$req' },
    });
    expect(answeredInRoom([encryptedDone], '$req', pair)).toBe(true);
    expect(answeredInRoom([encryptedDone], '$another', pair)).toBe(false);
    // Someone else in the room can't close the request by referring to it.
    const forged = event('m.key.verification.cancel', { 'm.relates_to': { rel_type: 'm.reference', event_id: '$req' } }, '@mallory:x');
    expect(answeredInRoom([request, forged], '$req', pair)).toBe(false);
  });
});

describe('whenAnswered', () => {
  it("tells once an answer to the request arrives in its room, not for other rooms' or other requests' events", () => {
    const client = createClient({ baseUrl: 'http://127.0.0.1:9', userId: '@alice:x', accessToken: 't' });
    const room = new Room('!r:x', client, '@alice:x');
    const elsewhere = new Room('!other:x', client, '@alice:x');
    let answered = 0;
    const stop = whenAnswered(client, { roomId: '!r:x', requestEventId: '$req', participants: pair }, () => answered++);
    const ready = (id: string) => event('m.key.verification.ready', { 'm.relates_to': { rel_type: 'm.reference', event_id: id } });
    client.emit(RoomEvent.Timeline, ready('$req'), elsewhere, false, false, {} as never);
    client.emit(RoomEvent.Timeline, ready('$another'), room, false, false, {} as never);
    client.emit(
      RoomEvent.Timeline,
      event('m.key.verification.ready', { 'm.relates_to': { rel_type: 'm.reference', event_id: '$req' } }, '@mallory:x'),
      room,
      false,
      false,
      {} as never,
    );
    client.emit(RoomEvent.Timeline, event('m.room.message', { msgtype: 'm.text', body: 'hi' }), room, false, false, {} as never);
    expect(answered).toBe(0);
    client.emit(RoomEvent.Timeline, ready('$req'), room, false, false, {} as never);
    expect(answered).toBe(1);
    stop();
    client.emit(RoomEvent.Timeline, ready('$req'), room, false, false, {} as never);
    expect(answered).toBe(1);
  });
});
