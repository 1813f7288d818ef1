// Durability under load: sends batched together (one WAL fsync acknowledges a whole batch, off the main thread)
// lose nothing that was acknowledged when the process is SIGKILLed in the middle of many concurrent senders,
// and a retry of an acknowledged txnId after the restart returns the same event.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startHomeserver, type RunningHomeserver } from '../testing/spawn';
import { enc, TestClient } from '../testing/http-client';

vi.setConfig({ testTimeout: 120_000, hookTimeout: 120_000 });

const SENDERS = 12;
let server: RunningHomeserver;
let users: TestClient[];
let roomId: string;

beforeAll(async () => {
  server = await startHomeserver({ serverName: 'alpha.localhost:20510', extraArgs: ['--auth-rate-limit', '1000,1000'] });
  users = [];
  for (let i = 0; i < SENDERS; i++) users.push(await new TestClient(server.baseUrl).register(`sender${i}`));
  roomId = (await users[0]!.post('/_matrix/client/v3/createRoom', { preset: 'public_chat', name: 'load' })).body.room_id;
  for (const user of users.slice(1)) expect((await user.post(`/_matrix/client/v3/join/${enc(roomId)}`, {})).status).toBe(200);
});
afterAll(() => server?.dispose());

describe('durability under concurrent sends', () => {
  it('keeps every acknowledged event of many concurrent senders across a SIGKILL', async () => {
    const acknowledged: Array<{ user: number; txn: string; eventId: string }> = [];
    let stop = false;
    let reached!: () => void;
    const enough = new Promise<void>((resolve) => (reached = resolve));
    const senders = users.map(async (user, u) => {
      for (let i = 0; !stop; i++) {
        const txn = `load-${u}-${i}`;
        try {
          const reply = await user.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/${txn}`, {
            msgtype: 'm.text',
            body: `${u}/${i}`,
          });
          if (reply.status === 200) acknowledged.push({ user: u, txn, eventId: reply.body.event_id });
          if (acknowledged.length >= 150) reached();
        } catch {
          return; // the server is gone
        }
      }
    });
    await enough;
    await server.kill();
    stop = true;
    await Promise.all(senders);
    await server.restart();
    const reader = users[1]!;
    for (const { eventId } of acknowledged) {
      expect((await reader.get(`/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(eventId)}`)).status, eventId).toBe(200);
    }
    // A client that retries an acknowledged send after the crash gets the same event back.
    for (const { user, txn, eventId } of acknowledged.slice(-SENDERS)) {
      const retry = await users[user]!.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/${txn}`, {
        msgtype: 'm.text',
        body: 'retry',
      });
      expect(retry.status).toBe(200);
      expect(retry.body.event_id).toBe(eventId);
    }
  });
});
