import { describe, expect, it } from 'vitest';
import { MatrixEvent } from 'matrix-js-sdk';
import { answeredInRoom } from './verificationRequests';

const event = (type: string, content: Record<string, unknown>) =>
  new MatrixEvent({ type, content, event_id: `$${Math.random()}`, sender: '@bob:x', room_id: '!r:x', origin_server_ts: 1 });

describe('answeredInRoom', () => {
  it('sees a request answered by any event referring to it, in clear or on an encrypted event', () => {
    const request = event('m.room.message', { msgtype: 'm.key.verification.request', to: '@alice:x' });
    const other = event('m.room.message', { msgtype: 'm.text', body: 'hi', 'm.relates_to': { rel_type: 'm.thread', event_id: '$req' } });
    expect(answeredInRoom([request, other], '$req')).toBe(false);
    const ready = event('m.key.verification.ready', { 'm.relates_to': { rel_type: 'm.reference', event_id: '$req' } });
    expect(answeredInRoom([request, ready], '$req')).toBe(true);
    const encryptedDone = event('m.room.encrypted', {
      algorithm: 'm.megolm.v1.aes-sha2',
      ciphertext: 'x',
      'm.relates_to': { rel_type: 'm.reference', event_id: '$req' },
    });
    expect(answeredInRoom([encryptedDone], '$req')).toBe(true);
    expect(answeredInRoom([encryptedDone], '$another')).toBe(false);
  });
});
