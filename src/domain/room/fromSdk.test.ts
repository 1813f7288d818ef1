import { describe, expect, it } from 'vitest';
import { MatrixEvent } from 'matrix-js-sdk';
import { DecryptionFailureCode } from 'matrix-js-sdk/lib/crypto-api/index.js';
import { DecryptionError } from 'matrix-js-sdk/lib/common-crypto/CryptoBackend.js';
import { toTimelineEvent } from './fromSdk';

const KEY = 'l8Hft5qXKn1vfHrg3p4-W8gELQVo8N13JkluMfmn2sQ';

describe('toTimelineEvent', () => {
  it('a message served with its content pruned (an erased account’s, to a later joiner) is removed, not an empty message', () => {
    for (const type of ['m.room.message', 'm.sticker', 'm.room.encrypted']) {
      const pruned = new MatrixEvent({ type, event_id: `$${type}`, sender: '@erin:alpha', origin_server_ts: 1, content: {} });
      const event = toTimelineEvent(pruned);
      expect(event.redacted, type).toBe(true);
      expect(event.content).toEqual({});
    }
    const whole = new MatrixEvent({
      type: 'm.room.message',
      event_id: '$w',
      sender: '@erin:alpha',
      origin_server_ts: 1,
      content: { body: 'x' },
    });
    expect(toTimelineEvent(whole).redacted).toBe(false);
    // State with empty content is not a message: a topic cleared is still a topic event.
    const topic = new MatrixEvent({
      type: 'm.room.topic',
      event_id: '$t',
      sender: '@a:alpha',
      state_key: '',
      origin_server_ts: 1,
      content: {},
    });
    expect(toTimelineEvent(topic).redacted).toBe(false);
  });

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

describe('toTimelineEvent of an encrypted event', () => {
  const encrypted = () =>
    new MatrixEvent({
      type: 'm.room.encrypted',
      event_id: '$enc',
      room_id: '!r:alpha',
      sender: '@alice:alpha',
      origin_server_ts: 5,
      content: { algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'AwgA', session_id: 's', sender_key: 'k', device_id: 'D' },
    });
  // matrix-js-sdk's decryption entry point, answering as the Rust crypto does: the clear event, or a DecryptionError.
  const backend = (answer: () => Promise<unknown>) => ({ decryptEvent: answer }) as never;

  it('says why it cannot be read, then becomes the message once its key arrives', async () => {
    const event = encrypted();
    await event.attemptDecryption(
      backend(async () => {
        throw new DecryptionError(DecryptionFailureCode.HISTORICAL_MESSAGE_USER_NOT_JOINED, 'not joined');
      }),
    );
    const unreadable = toTimelineEvent(event);
    expect(unreadable.type).toBe('m.room.encrypted');
    expect(unreadable.content).toEqual({ reason: 'beforeJoin' });

    await event.attemptDecryption(
      backend(async () => ({ clearEvent: { type: 'm.room.message', room_id: '!r:alpha', content: { msgtype: 'm.text', body: 'hello' } } })),
      { isRetry: true },
    );
    const read = toTimelineEvent(event);
    expect(read.type).toBe('m.room.message');
    expect(read.content).toEqual({ msgtype: 'm.text', body: 'hello' });
  });

  it('names each failure by what the reader can do about it', async () => {
    const cases: [DecryptionFailureCode, string][] = [
      [DecryptionFailureCode.MEGOLM_UNKNOWN_INBOUND_SESSION_ID, 'waiting'],
      [DecryptionFailureCode.HISTORICAL_MESSAGE_USER_NOT_JOINED, 'beforeJoin'],
      [DecryptionFailureCode.HISTORICAL_MESSAGE_WORKING_BACKUP, 'fromBackup'],
      [DecryptionFailureCode.HISTORICAL_MESSAGE_NO_KEY_BACKUP, 'beforeDevice'],
      [DecryptionFailureCode.SENDER_IDENTITY_PREVIOUSLY_VERIFIED, 'unverifiedDevice'],
      [DecryptionFailureCode.MEGOLM_KEY_WITHHELD_FOR_UNVERIFIED_DEVICE, 'unverifiedDevice'],
    ];
    for (const [code, reason] of cases) {
      const event = encrypted();
      await event.attemptDecryption(
        backend(async () => {
          throw new DecryptionError(code, String(code));
        }),
      );
      expect(toTimelineEvent(event).content, code).toEqual({ reason });
    }
  });
});
