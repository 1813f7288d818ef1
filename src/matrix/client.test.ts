import { EventStatus, type MatrixClient, type MatrixEvent, type Room } from 'matrix-js-sdk';
import { describe, expect, it } from 'vitest';
import { resendUnsent } from './client';

/** A room whose pending list is live, as the SDK's is: an event leaves it once sent. */
function roomWithUnsent(bodies: string[]) {
  const pending = bodies.map((body) => ({ body, status: EventStatus.NOT_SENT, error: null }) as unknown as MatrixEvent & { body: string });
  const sent: string[] = [];
  const room = { getPendingEvents: () => pending } as unknown as Room;
  const client = {
    getRooms: () => [room],
    resendEvent: async (event: MatrixEvent & { body: string }) => {
      await Promise.resolve();
      sent.push(event.body);
      pending.splice(pending.indexOf(event), 1); // the remote echo takes it off the list
    },
  } as unknown as MatrixClient;
  return { client, sent };
}

describe('resendUnsent', () => {
  it('sends every unsent message once, oldest first, though each leaves the pending list as it goes', async () => {
    const { client, sent } = roomWithUnsent(['first', 'second', 'third']);
    expect(await resendUnsent(client)).toBe(3);
    expect(sent).toEqual(['first', 'second', 'third']);
  });
});
