// Reference homeserver figures, over real HTTP against a spawned server process:
// 1. throughput: 10,000 messages sent by one user through PUT /send, until a second user's /sync has seen the last;
// 2. latency: median (and p95) of an incremental /sync that returns exactly one new message.
import { startHomeserver } from '../server/testing/spawn';
import { enc, TestClient } from '../server/testing/http-client';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 10_000);
const IN_FLIGHT = 8; // concurrent sends, like a busy client or a bridge
const LATENCY_SAMPLES = 300;

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

async function main(): Promise<void> {
  const server = await startHomeserver({ serverName: 'alpha.localhost:18506' });
  try {
    const alice = await new TestClient(server.baseUrl).register('alice');
    const bob = await new TestClient(server.baseUrl).register('bob');
    const roomId = (await alice.post('/_matrix/client/v3/createRoom', { preset: 'public_chat', name: 'bench' })).body.room_id as string;
    await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`, {});
    const filter = enc(JSON.stringify({ room: { timeline: { limit: 1000 } } }));
    let since = (await bob.get(`/_matrix/client/v3/sync?filter=${filter}`)).body.next_batch as string;

    // 1. Throughput.
    const seenIds = new Set<string>();
    let seen = 0;
    let awaited: { id: string; resolve: () => void } | undefined;
    let stopSync = false;
    const syncLoop = (async () => {
      while (!stopSync) {
        const reply = await bob.get(`/_matrix/client/v3/sync?since=${since}&timeout=30000&filter=${filter}`);
        since = reply.body.next_batch;
        const events = (reply.body.rooms?.join?.[roomId]?.timeline?.events ?? []) as Array<{ event_id: string; content: { body?: string } }>;
        seen += events.filter((e) => e.content.body?.startsWith('message ')).length;
        for (const event of events) seenIds.add(event.event_id);
        if (awaited && seenIds.has(awaited.id)) awaited.resolve();
      }
    })();
    const seenBySync = (id: string) =>
      new Promise<void>((resolve) => {
        if (seenIds.has(id)) return resolve();
        awaited = { id, resolve };
      });
    const started = performance.now();
    let next = 0;
    let lastEventId = '';
    const worker = async () => {
      while (next < MESSAGES) {
        const i = next++;
        const reply = await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/bench-${i}`, { msgtype: 'm.text', body: `message ${i}` });
        if (reply.status !== 200) throw new Error(`send ${i}: ${reply.status} ${JSON.stringify(reply.body)}`);
        if (i === MESSAGES - 1) lastEventId = reply.body.event_id;
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    const sentMs = performance.now() - started;
    await seenBySync(lastEventId);
    const totalMs = performance.now() - started;
    stopSync = true;
    // One last message ends the long-poll so the loop can stop.
    await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/stop`, { msgtype: 'm.text', body: 'stop' });
    await syncLoop;
    console.log(`send → sync throughput (${MESSAGES} messages, 1 room, 2 users, ${IN_FLIGHT} sends in flight):`);
    console.log(`  ${(MESSAGES / (totalMs / 1000)).toFixed(0)} messages/s end to end (${(totalMs / 1000).toFixed(2)} s; sends alone ${(MESSAGES / (sentMs / 1000)).toFixed(0)} messages/s; bob's sync saw ${seen} of them)`);

    // 2. Latency of an incremental sync returning one message.
    const samples: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/latency-${i}`, { msgtype: 'm.text', body: `latency ${i}` });
      const t0 = performance.now();
      const reply = await bob.get(`/_matrix/client/v3/sync?since=${since}&timeout=0&filter=${filter}`);
      samples.push(performance.now() - t0);
      since = reply.body.next_batch;
      const events = reply.body.rooms?.join?.[roomId]?.timeline?.events ?? [];
      if (events.length !== 1) throw new Error(`expected one new event, got ${JSON.stringify(events.map((e: { content: unknown }) => e.content))}`);
    }
    console.log(`incremental /sync returning one new message (${LATENCY_SAMPLES} samples, room with ${MESSAGES + 10} events):`);
    console.log(`  median ${percentile(samples, 0.5).toFixed(2)} ms, p95 ${percentile(samples, 0.95).toFixed(2)} ms`);
  } finally {
    await server.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
