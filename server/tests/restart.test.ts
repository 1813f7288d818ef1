// Durability: a clean restart keeps accounts, rooms, events and tokens, and sync resumes from the same `since`;
// a SIGKILL in the middle of a stream of sends loses no acknowledged event.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startHomeserver, type RunningHomeserver } from '../testing/spawn';
import { enc, TestClient } from '../testing/http-client';

// Real server processes and real clients: under `npm test` every file runs at once on two cores, so allow time.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

let server: RunningHomeserver;
let alice: TestClient;
let bob: TestClient;
let roomId: string;

beforeAll(async () => {
  server = await startHomeserver({ serverName: 'alpha.localhost:18505' });
  alice = await new TestClient(server.baseUrl).register('alice');
  bob = await new TestClient(server.baseUrl).register('bob');
  roomId = (await alice.post('/_matrix/client/v3/createRoom', { preset: 'public_chat', name: 'durable' })).body.room_id;
  expect((await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`, {})).status).toBe(200);
});
afterAll(() => server?.dispose());

const sendText = (body: string, txn: string) =>
  alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/${txn}`, { msgtype: 'm.text', body });

describe('restart', () => {
  it('answers an in-flight long-poll on SIGTERM, and sync continues from the same since token after a restart', async () => {
    const before = (await bob.get('/_matrix/client/v3/sync')).body;
    // A long-poll in flight when SIGTERM arrives gets a proper (empty) answer, not a dropped connection.
    const inFlight = bob.get(`/_matrix/client/v3/sync?since=${before.next_batch}&timeout=30000`);
    // A full round trip started after the poll: by then the server has read the poll's request.
    await alice.get('/_matrix/client/v3/account/whoami');
    await server.stop();
    const answered = await inFlight;
    expect(answered.status).toBe(200);
    expect(answered.body.next_batch).toBe(before.next_batch);
    await server.restart();
    const sent = (await sendText('sent before the restart', 'before-restart')).body.event_id;
    const after = await bob.get(`/_matrix/client/v3/sync?since=${before.next_batch}`);
    expect(after.status).toBe(200);
    const events = after.body.rooms.join[roomId].timeline.events;
    expect(events.map((e: { event_id: string }) => e.event_id)).toEqual([sent]);
    // Tokens, rooms and transaction IDs all survived: the same txnId still maps to the same event.
    expect((await alice.get('/_matrix/client/v3/account/whoami')).body.user_id).toBe(alice.userId);
    expect((await sendText('sent before the restart', 'before-restart')).body.event_id).toBe(sent);
    const poll = bob.get(`/_matrix/client/v3/sync?since=${after.body.next_batch}&timeout=20000`);
    const next = (await sendText('after the restart', 'after-restart')).body.event_id;
    const polled = await poll;
    expect(polled.body.rooms.join[roomId].timeline.events.map((e: { event_id: string }) => e.event_id)).toEqual([next]);
  }, 60_000);

  it('loses no acknowledged send when the process is killed mid-stream', async () => {
    const acknowledged: string[] = [];
    let stop = false;
    let reached40!: () => void;
    const forty = new Promise<void>((resolve) => (reached40 = resolve));
    const sender = (async () => {
      for (let i = 0; !stop; i++) {
        try {
          const reply = await sendText(`burst ${i}`, `burst-${i}`);
          if (reply.status === 200) acknowledged.push(reply.body.event_id);
          if (acknowledged.length === 40) reached40();
        } catch {
          return; // connection refused: the server is gone
        }
      }
    })();
    await forty;
    await server.kill();
    stop = true;
    await sender;
    // Really gone (not a surviving child process still answering).
    await expect(fetch(`${server.baseUrl}/_matrix/client/versions`)).rejects.toThrow();
    await server.restart();
    for (const eventId of acknowledged) {
      const reply = await bob.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(eventId)}`);
      expect(reply.status, eventId).toBe(200);
    }
    // The room still accepts events after the crash (its DAG head is consistent).
    expect((await sendText('after the crash', 'after-crash')).status).toBe(200);
  }, 60_000);
});
