import { describe, expect, it } from 'vitest';
import { MatrixEvent } from 'matrix-js-sdk';
import { toTimelineEvent } from './fromSdk';

const KEY = 'l8Hft5qXKn1vfHrg3p4-W8gELQVo8N13JkluMfmn2sQ';

describe('toTimelineEvent', () => {
  it('gives a member event the identity of the member it is about, so its notice can carry that badge', () => {
    const forged = new MatrixEvent({
      type: 'm.room.member',
      event_id: '$join',
      sender: '@_unverified_bob_beta.localhost:gamma.localhost',
      state_key: '@_unverified_bob_beta.localhost:gamma.localhost',
      origin_server_ts: 1,
      content: { membership: 'join', displayname: 'Bob (really)', localpart: 'bob', domain: 'beta.localhost' },
      unsigned: { 'org.matrix.msc4428.stable_id': `@${KEY}`, 'org.matrix.msc4428.stable_id_state_key': `@${KEY}` },
    });
    const event = toTimelineEvent(forged);
    expect(event.subject).toBe(event.identity); // a join is about its sender: one key
    expect(event.subject).not.toMatch(/^@/); // the key, never the mapped user ID
  });

  it('a kick is about its target, not its sender; other events have no subject', () => {
    const kick = new MatrixEvent({
      type: 'm.room.member',
      event_id: '$kick',
      sender: '@alice:alpha',
      state_key: '@bob:beta',
      origin_server_ts: 2,
      content: { membership: 'leave' },
    });
    expect(toTimelineEvent(kick).subject).toBe('@bob:beta');
    const message = new MatrixEvent({
      type: 'm.room.message',
      event_id: '$m',
      sender: '@alice:alpha',
      origin_server_ts: 3,
      content: { msgtype: 'm.text', body: 'hi' },
    });
    expect(toTimelineEvent(message).subject).toBeUndefined();
  });

  it('keeps the transaction ID of a message sent from this page through its remote echo (its row keeps its key)', () => {
    const echo = new MatrixEvent({
      type: 'm.room.message',
      event_id: '~!r:t1',
      sender: '@alice:alpha',
      origin_server_ts: 4,
      content: { msgtype: 'm.image', body: 'a.png' },
    });
    echo.setTxnId('t1');
    expect(toTimelineEvent(echo)).toMatchObject({ id: '~!r:t1', txnId: 't1' });
    echo.handleRemoteEcho({
      type: 'm.room.message',
      event_id: '$sent',
      sender: '@alice:alpha',
      origin_server_ts: 5,
      content: { msgtype: 'm.image', body: 'a.png' },
    });
    expect(toTimelineEvent(echo)).toMatchObject({ id: '$sent', txnId: 't1' });
  });
});
