// Reference homeserver: 50 users of one room, each sending messages in a loop (one send in flight per user), over
// real HTTP against a spawned server process. Reports acknowledged messages per second, the median of BENCH_RUNS runs.
import { startHomeserver } from '../server/testing/spawn';
import { enc, ok, TestClient } from '../server/testing/http-client';
import { cpuSeconds, machineLoad, median, RUNS } from './machine';

const SENDERS = Number(process.env.BENCH_SENDERS ?? 50);
const PER_SENDER = Number(process.env.BENCH_PER_SENDER ?? 40);

async function main(): Promise<void> {
  const server = await startHomeserver({
    // BENCH_SENDERS_PORT moves the server off the default port.
    serverName: `alpha.localhost:${process.env.BENCH_SENDERS_PORT ?? 20590}`,
    extraArgs: ['--auth-rate-limit', '100000,100000'],
  });
  try {
    const users: TestClient[] = [];
    for (let i = 0; i < SENDERS; i++) users.push(await new TestClient(server.baseUrl).register(`sender${i}`));
    const roomId = (await ok(users[0]!.post('/_matrix/client/v3/createRoom', { preset: 'public_chat', name: 'senders' })))
      .room_id as string;
    for (const user of users.slice(1)) await ok(user.post(`/_matrix/client/v3/join/${enc(roomId)}`, {}));

    console.log(`${SENDERS} concurrent senders (${SENDERS} users, 1 room, each sends ${PER_SENDER} messages in a loop, ${RUNS} runs):`);
    const rates: number[] = [];
    for (let run = 1; run <= RUNS; run++) {
      const started = performance.now();
      const cpuBefore = cpuSeconds(server.pid());
      const ownBefore = process.cpuUsage();
      await Promise.all(
        users.map(async (user, u) => {
          for (let i = 0; i < PER_SENDER; i++) {
            const reply = await user.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/r${run}-${i}`, {
              msgtype: 'm.text',
              body: `sender ${u} message ${i}`,
            });
            if (reply.status !== 200) throw new Error(`sender ${u} send ${i}: ${reply.status} ${JSON.stringify(reply.body)}`);
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      const cpuAfter = cpuSeconds(server.pid());
      const own = process.cpuUsage(ownBefore);
      const cpu =
        (cpuBefore !== undefined && cpuAfter !== undefined
          ? `; server CPU ${(((cpuAfter - cpuBefore) * 1000) / (SENDERS * PER_SENDER)).toFixed(2)} ms per message`
          : '') + `, bench client ${((own.user + own.system) / 1000 / (SENDERS * PER_SENDER)).toFixed(2)} ms`;
      const rate = (SENDERS * PER_SENDER) / seconds;
      rates.push(rate);
      console.log(
        `  run ${run}: ${rate.toFixed(0)} messages/s (${SENDERS * PER_SENDER} messages in ${seconds.toFixed(2)} s${cpu}; ${machineLoad()})`,
      );
    }
    console.log(`  median ${median(rates).toFixed(0)} messages/s (${machineLoad()})`);
  } finally {
    await server.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
