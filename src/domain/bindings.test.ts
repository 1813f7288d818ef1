// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { createClient } from 'matrix-js-sdk';
import { createChatStore } from '../state/chatStore';
import { bindClient } from './bindings';

/** Listener counts of every event the client emitter knows, e.g. { 'sync': 1, 'Room.timeline': 1 }. */
function listenerCounts(client: ReturnType<typeof createClient>): Record<string, number> {
  return Object.fromEntries(
    client.eventNames().map((name) => [String(name), client.listenerCount(name as Parameters<typeof client.listenerCount>[0])]),
  );
}

describe('bindClient', () => {
  it('takes off every listener it put on the client, and only those', () => {
    const client = createClient({ baseUrl: 'http://127.0.0.1:9' });
    const before = listenerCounts(client);
    const unbind = bindClient(client, createChatStore(), () => {});
    const bound = listenerCounts(client);
    expect(Object.keys(bound).length).toBeGreaterThan(Object.keys(before).length);
    expect(bound).toMatchObject({ sync: (before.sync ?? 0) + 1, 'Room.timeline': (before['Room.timeline'] ?? 0) + 1 });
    unbind();
    const after = Object.fromEntries(Object.entries(listenerCounts(client)).filter(([, count]) => count > 0));
    expect(after).toEqual(before);
    client.stopClient();
  });
});
