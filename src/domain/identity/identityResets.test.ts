import { describe, expect, it } from 'vitest';
import { createClient, MatrixEvent, Room } from 'matrix-js-sdk';
import { CryptoEvent } from 'matrix-js-sdk/lib/crypto-api/CryptoEvent.js';
import { UserVerificationStatus } from 'matrix-js-sdk/lib/crypto-api/index.js';
import { followIdentityResets } from './identityResets';
import { createLinkNoticeStore, noticesOfRoom } from './linkNotices';
import { describeLinkNotice } from '../room/identityNotices';
import { t } from '../../i18n';

function encryptedRoom(client: ReturnType<typeof createClient>, roomId: string, encrypted: boolean): Room {
  const room = new Room(roomId, client, '@me:alpha');
  const state = (type: string, stateKey: string, content: Record<string, unknown>) =>
    new MatrixEvent({ type, state_key: stateKey, sender: '@me:alpha', event_id: `$${type}${stateKey}`, room_id: roomId, content });
  room.currentState.setStateEvents([
    state('m.room.create', '', { room_version: '11' }),
    state('m.room.member', '@me:alpha', { membership: 'join' }),
    state('m.room.member', '@bob:beta', { membership: 'join' }),
    ...(encrypted ? [state('m.room.encryption', '', { algorithm: 'm.megolm.v1.aes-sha2' })] : []),
  ]);
  room.updateMyMembership('join');
  return room;
}

describe('followIdentityResets', () => {
  it("a pinned identity that changed is a notice in each encrypted room shared with them, once; a verified one's is a warning", () => {
    const client = createClient({ baseUrl: 'http://alpha.localhost', userId: '@me:alpha' });
    const rooms = [encryptedRoom(client, '!e:alpha', true), encryptedRoom(client, '!plain:alpha', false)];
    client.getRooms = () => rooms;
    const store = createLinkNoticeStore();
    const stop = followIdentityResets(client, store);

    const changed = new UserVerificationStatus(false, false, false, true);
    client.emit(CryptoEvent.UserTrustStatusChanged, '@bob:beta', changed);
    client.emit(CryptoEvent.UserTrustStatusChanged, '@bob:beta', changed); // reported again: still one notice
    const notices = noticesOfRoom(store.getState(), '!e:alpha');
    expect(notices.map((n) => n.kind)).toEqual(['identityReset']);
    expect(noticesOfRoom(store.getState(), '!plain:alpha')).toEqual([]);
    expect(t(describeLinkNotice(notices[0]!, 'Bob'))).toBe(
      'Bob’s identity was reset: messages to them are now encrypted for their new identity',
    );

    client.emit(CryptoEvent.UserTrustStatusChanged, '@bob:beta', new UserVerificationStatus(false, false, false, false)); // pinned
    client.emit(CryptoEvent.UserTrustStatusChanged, '@bob:beta', new UserVerificationStatus(false, true, false, true)); // was verified
    const after = noticesOfRoom(store.getState(), '!e:alpha');
    expect(after.map((n) => n.kind)).toEqual(['identityReset', 'verifiedIdentityReset']);
    expect(t(describeLinkNotice(after[1]!, 'Bob'))).toMatch(/^⚠ Bob’s verified identity was reset/);
    stop();
  });
});
