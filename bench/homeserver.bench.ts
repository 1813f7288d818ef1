// Reference homeserver figures, over real HTTP against a spawned server process:
// 1. throughput: 10,000 messages sent by one user through PUT /send, until a second user's /sync has seen every one
//    of them (by event ID; the median of BENCH_RUNS runs, each in a fresh room). The timed part talks node:http over
//    kept-alive sockets (bench/kept-alive.ts): the bench client shares the two cores with the server;
// 2. latency: median (and p95) of an incremental /sync that returns exactly one new message.
import { startHomeserver } from '../server/testing/spawn';
import { enc, TestClient } from '../server/testing/http-client';
import { KeptAliveClient } from './kept-alive';
import { cpuSeconds, machineLoad, median, RUNS } from './machine';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 10_000);
const IN_FLIGHT = 8; // concurrent sends, like a busy client or a bridge
const LATENCY_SAMPLES = 300;

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

async function main(): Promise<void> {
  // BENCH_PORT moves the server off the default port (e.g. while tests of others use it).
  const server = await startHomeserver({ serverName: `alpha.localhost:${process.env.BENCH_PORT ?? 18506}` });
  try {
    const alice = await new TestClient(server.baseUrl).register('alice');
    const bob = await new TestClient(server.baseUrl).register('bob');
    const filter = enc(JSON.stringify({ room: { timeline: { limit: 1000 } } }));

    // 1. Throughput.
    const port = server.port;
    const throughputRun = async (run: number) => {
      const roomId = (await alice.post('/_matrix/client/v3/createRoom', { preset: 'public_chat', name: `bench ${run}` })).body
        .room_id as string;
      await bob.post(`/_matrix/client/v3/join/${enc(roomId)}`, {});
      let since = (await bob.get(`/_matrix/client/v3/sync?filter=${filter}`)).body.next_batch as string;
      const sender = new KeptAliveClient(port, alice.accessToken!, IN_FLIGHT);
      const reader = new KeptAliveClient(port, bob.accessToken!, 1);
      // Every event ID bob's /sync has shown, and the sends' event IDs: at the end each send must be among them.
      const seenIds = new Set<string>();
      const sentIds: string[] = new Array(MESSAGES);
      let seen = 0;
      let awaited: (() => void) | undefined;
      const allSeen = () => sentIds.every((id) => seenIds.has(id));
      let stopSync = false;
      const syncLoop = (async () => {
        while (!stopSync) {
          const reply = await reader.request('GET', `/_matrix/client/v3/sync?since=${since}&timeout=30000&filter=${filter}`);
          if (reply.status !== 200) throw new Error(`sync: ${reply.status} ${reply.text}`);
          const body = JSON.parse(reply.text);
          since = body.next_batch;
          const events = (body.rooms?.join?.[roomId]?.timeline?.events ?? []) as Array<{ event_id: string; content: { body?: string } }>;
          for (const event of events) {
            if (event.content.body?.startsWith('message ')) seen++;
            seenIds.add(event.event_id);
          }
          if (awaited && allSeen()) awaited();
        }
      })();
      const seenBySync = () =>
        new Promise<void>((resolve) => {
          if (allSeen()) return resolve();
          awaited = resolve;
        });
      const sendPath = `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/bench-${run}-`;
      const started = performance.now();
      const cpuBefore = cpuSeconds(server.pid());
      const ownBefore = process.cpuUsage();
      let next = 0;
      const worker = async () => {
        while (next < MESSAGES) {
          const i = next++;
          const reply = await sender.request('PUT', `${sendPath}${i}`, `{"msgtype":"m.text","body":"message ${i}"}`);
          if (reply.status !== 200) throw new Error(`send ${i}: ${reply.status} ${reply.text}`);
          sentIds[i] = (JSON.parse(reply.text) as { event_id: string }).event_id;
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
      const sentMs = performance.now() - started;
      await seenBySync();
      const totalMs = performance.now() - started;
      const cpuAfter = cpuSeconds(server.pid());
      const own = process.cpuUsage(ownBefore);
      const cpu =
        (cpuBefore !== undefined && cpuAfter !== undefined
          ? `; server CPU ${(((cpuAfter - cpuBefore) * 1000) / MESSAGES).toFixed(2)} ms per message`
          : '') + `, bench client ${((own.user + own.system) / 1000 / MESSAGES).toFixed(2)} ms`;
      if (new Set(sentIds).size !== MESSAGES || seen !== MESSAGES)
        throw new Error(`${new Set(sentIds).size} distinct event IDs for ${MESSAGES} sends; bob's /sync showed ${seen} messages`);
      stopSync = true;
      // One last message ends the long-poll so the loop can stop.
      await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/stop-${run}`, { msgtype: 'm.text', body: 'stop' });
      await syncLoop;
      sender.close();
      reader.close();
      const rate = MESSAGES / (totalMs / 1000);
      console.log(
        `  run ${run}: ${rate.toFixed(0)} messages/s end to end (${(totalMs / 1000).toFixed(2)} s; sends alone ${(MESSAGES / (sentMs / 1000)).toFixed(0)} messages/s; bob's sync saw ${seen} of them, every one by its event ID${cpu}; ${machineLoad()})`,
      );
      return { rate, roomId, since };
    };
    console.log(`send → sync throughput (${MESSAGES} messages, 1 room, 2 users, ${IN_FLIGHT} sends in flight, ${RUNS} runs):`);
    const runs = [];
    for (let run = 1; run <= RUNS; run++) runs.push(await throughputRun(run));
    console.log(`  median ${median(runs.map((r) => r.rate)).toFixed(0)} messages/s (${machineLoad()})`);

    // 2. Latency of an incremental sync returning one message, in the last run's room.
    let { roomId, since } = runs[runs.length - 1]!;
    since = (await bob.get(`/_matrix/client/v3/sync?since=${since}&timeout=0&filter=${filter}`)).body.next_batch;
    const samples: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      await alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/latency-${i}`, {
        msgtype: 'm.text',
        body: `latency ${i}`,
      });
      const t0 = performance.now();
      const reply = await bob.get(`/_matrix/client/v3/sync?since=${since}&timeout=0&filter=${filter}`);
      samples.push(performance.now() - t0);
      since = reply.body.next_batch;
      const events = reply.body.rooms?.join?.[roomId]?.timeline?.events ?? [];
      if (events.length !== 1)
        throw new Error(`expected one new event, got ${JSON.stringify(events.map((e: { content: unknown }) => e.content))}`);
    }
    console.log(`incremental /sync returning one new message (${LATENCY_SAMPLES} samples, room with ${MESSAGES + 10} events):`);
    console.log(`  median ${percentile(samples, 0.5).toFixed(2)} ms, p95 ${percentile(samples, 0.95).toFixed(2)} ms (${machineLoad()})`);
  } finally {
    await server.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
