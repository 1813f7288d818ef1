import { describe, expect, it } from 'vitest';
import type { Pdu } from '../rooms/pdu';
import { signedAfterMove } from './contested';

const member = (domain: string | undefined, ts: number): Pdu =>
  ({
    type: 'm.room.member',
    state_key: 'KEY',
    sender: 'KEY',
    content: { membership: 'join', localpart: 'alice', ...(domain ? { domain } : {}) },
    origin_server_ts: ts,
    depth: 1,
    prev_events: [],
    auth_events: [],
  }) as unknown as Pdu;

const onAlpha = member('alpha', 100);
const onBeta = member('beta', 200);

describe('signedAfterMove', () => {
  it('the old server signing after the key moved away from it contests the key', () => {
    expect(signedAfterMove({ origin: 'alpha', memberChain: [onBeta, onAlpha], memberBefore: onBeta, pduTs: 300 })).toBe(true);
    // Its own view of the room may predate the move: what it signs after the move still counts.
    expect(signedAfterMove({ origin: 'alpha', memberChain: [onBeta, onAlpha], memberBefore: onAlpha, pduTs: 300 })).toBe(true);
  });

  it('the new server, a server the key never lived on, or a key that never moved does not', () => {
    expect(signedAfterMove({ origin: 'beta', memberChain: [onBeta, onAlpha], memberBefore: onBeta, pduTs: 300 })).toBe(false);
    expect(signedAfterMove({ origin: 'gamma', memberChain: [onBeta, onAlpha], memberBefore: onBeta, pduTs: 300 })).toBe(false);
    expect(signedAfterMove({ origin: 'alpha', memberChain: [onAlpha], memberBefore: onAlpha, pduTs: 300 })).toBe(false);
    expect(signedAfterMove({ origin: 'alpha', memberChain: [], memberBefore: undefined, pduTs: 300 })).toBe(false);
  });

  it('a key back on its old server is not contested by it', () => {
    expect(
      signedAfterMove({ origin: 'alpha', memberChain: [member('alpha', 300), onBeta, onAlpha], memberBefore: onBeta, pduTs: 400 }),
    ).toBe(false);
  });

  it('an event made before the move and delivered late is not held against the old server', () => {
    expect(signedAfterMove({ origin: 'alpha', memberChain: [onBeta, onAlpha], memberBefore: onAlpha, pduTs: 150 })).toBe(false);
  });

  it('a current member event without a domain (a claim it cannot read) contests nothing', () => {
    expect(signedAfterMove({ origin: 'alpha', memberChain: [member(undefined, 200), onAlpha], memberBefore: onAlpha, pduTs: 300 })).toBe(
      false,
    );
  });
});
