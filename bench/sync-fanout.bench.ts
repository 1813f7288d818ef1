// /sync fan-out: READERS users long-poll /sync in one room (since, timeout=30000, a stored lazy-loading filter, like
// a real client) while one sender sends RATE messages/s for SECONDS s. Reports p50/p95/p99 of send → delivery over
// every reader and message, sync errors, and messages never delivered: the median of RUNS runs, beside the load.
// The readers run in a worker thread (plain node:http with keep-alive), so the sender's clock and the readers' parsing
// do not wait on each other. BENCH_FANOUT_PORT moves the server; WAYFARER_SERVER_NODE_FLAGS=--cpu-prof profiles it.
import http from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { startHomeserver } from '../server/testing/spawn';
import { enc, ok, TestClient } from '../server/testing/http-client';

const READERS = Number(process.env.BENCH_FANOUT_READERS ?? 200);
const RATE = Number(process.env.BENCH_FANOUT_RATE ?? 10);
const SECONDS = Number(process.env.BENCH_FANOUT_SECONDS ?? 20);
const RUNS = Number(process.env.BENCH_FANOUT_RUNS ?? 3);
const PORT = Number(process.env.BENCH_FANOUT_PORT ?? 20601);
const SETTLE_MS = 10_000; // at most, after the last send, for late deliveries

const FILTER = { room: { timeline: { limit: 20 }, state: { lazy_load_members: true } }, presence: { not_types: ['*'] } };

interface Reader {
  token: string;
  since: string;
}
interface RunResult {
  latencies: Float64Array;
  errors: number;
  responses: number;
}

// The readers' side, as plain JS (a worker thread does not go through tsx).
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { port, roomId, filterId, readers, runId } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
const now = () => performance.timeOrigin + performance.now();
const latencies = [];
let errors = 0, responses = 0, stopping = false;
const requests = new Set();
// A kept-alive socket the server closes just as a request goes out fails with ECONNRESET before any reply: that
// request never reached the server, so it is sent again (once) instead of counting as a sync error.
function get(path, token, retried) {
  return getOnce(path, token).catch((e) => {
    if (!retried && e && e.reusedSocket && e.code === 'ECONNRESET') return get(path, token, true);
    throw e;
  });
}
function getOnce(path, token) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent, headers: { Authorization: 'Bearer ' + token } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => { requests.delete(req); resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }); });
      res.on('error', (e) => { requests.delete(req); reject(e); });
    });
    requests.add(req);
    req.on('error', (e) => { requests.delete(req); if (e) e.reusedSocket = req.reusedSocket; reject(e); });
  });
}
async function loop(reader) {
  let since = reader.since;
  while (!stopping) {
    let reply;
    try {
      reply = await get('/_matrix/client/v3/sync?since=' + since + '&timeout=30000&filter=' + filterId, reader.token);
    } catch (e) {
      if (stopping) return;
      errors++;
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    const at = now();
    if (reply.status !== 200) { errors++; await new Promise((r) => setTimeout(r, 100)); continue; }
    responses++;
    const body = JSON.parse(reply.text);
    since = body.next_batch;
    const events = body.rooms && body.rooms.join && body.rooms.join[roomId] ? body.rooms.join[roomId].timeline.events : [];
    for (const e of events) if (e.content && e.content.run === runId && typeof e.content.sent_at === 'number') latencies.push(at - e.content.sent_at / 1000);
  }
}
parentPort.on('message', (m) => {
  if (m === 'count') return parentPort.postMessage({ count: latencies.length });
  stopping = true;
  for (const req of requests) req.destroy();
  agent.destroy();
  const out = Float64Array.from(latencies);
  parentPort.postMessage({ latencies: out, errors, responses }, [out.buffer]);
});
for (const r of readers) loop(r);
parentPort.postMessage('started');
`;

/**
 * PUT with node:http and a keep-alive agent of its own (fetch's pool queues a burst of sends behind each other).
 * A send on a kept-alive socket that the server closed meanwhile fails with ECONNRESET without reaching it: sent
 * again once (a PUT with a transaction ID is idempotent anyway).
 */
const sendAgent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
function put(port: number, path: string, token: string, body: unknown, retried = false): Promise<number> {
  return putOnce(port, path, token, body).catch((error: NodeJS.ErrnoException & { reusedSocket?: boolean }) => {
    if (!retried && error.reusedSocket && error.code === 'ECONNRESET') return put(port, path, token, body, true);
    throw error;
  });
}
function putOnce(port: number, path: string, token: string, body: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const data = Buffer.from(JSON.stringify(body));
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'PUT',
        agent: sendAgent,
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', 'Content-Length': data.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', (error: NodeJS.ErrnoException & { reusedSocket?: boolean }) => {
      error.reusedSocket = req.reusedSocket;
      reject(error);
    });
    req.end(data);
  });
}

/** CPU seconds (user + system) the server process has used so far, from /proc (Linux); NaN elsewhere. */
function serverCpuSeconds(port: number): number {
  try {
    for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
      let cmdline: string;
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        continue;
      }
      if (!cmdline.includes('server/main.ts') || !cmdline.includes(`--port\u0000${port}\u0000`)) continue;
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
    }
  } catch {
    // not Linux
  }
  return Number.NaN;
}

const percentile = (sorted: Float64Array | number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]! : NaN;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function inBatches<T>(count: number, size: number, make: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i += size)
    out.push(...(await Promise.all(Array.from({ length: Math.min(size, count - i) }, (_, j) => make(i + j)))));
  return out;
}

async function main(): Promise<void> {
  const server = await startHomeserver({ serverName: `alpha.localhost:${PORT}`, extraArgs: ['--auth-rate-limit', '100000,100000'] });
  try {
    const sender = await new TestClient(server.baseUrl).register('sender');
    const roomId = (await ok(sender.post('/_matrix/client/v3/createRoom', { preset: 'public_chat', name: 'fan-out' }))).room_id as string;
    const clients = await inBatches(READERS, 10, async (i) => {
      const c = await new TestClient(server.baseUrl).register(`reader${i}`);
      await ok(c.post(`/_matrix/client/v3/join/${enc(roomId)}`, {}));
      return c;
    });
    // One filter ID per reader, as each client uploads its own.
    const filterIds = await inBatches(
      READERS,
      20,
      async (i) => (await ok(clients[i]!.post(`/_matrix/client/v3/user/${enc(clients[i]!.userId!)}/filter`, FILTER))).filter_id as string,
    );
    if (new Set(filterIds).size !== 1) throw new Error('expected the same filter ID for the same filter');

    const runs: Array<{
      cpuPerMessage: number;
      ackP50: number;
      ackP99: number;
      p50: number;
      p95: number;
      p99: number;
      errors: number;
      missing: number;
      responses: number;
      load: number[];
    }> = [];
    for (let run = 0; run < RUNS; run++) {
      const runId = `run-${run}-${Date.now()}`;
      const readers: Reader[] = await inBatches(READERS, 20, async (i) => ({
        token: clients[i]!.accessToken!,
        since: (await ok(clients[i]!.get(`/_matrix/client/v3/sync?filter=${filterIds[i]}`))).next_batch as string,
      }));
      const worker = new Worker(WORKER, { eval: true, workerData: { port: server.port, roomId, filterId: filterIds[0], readers, runId } });
      await new Promise<void>((resolve, reject) => {
        worker.once('message', () => resolve());
        worker.once('error', reject);
      });
      await new Promise((r) => setTimeout(r, 1000)); // every reader is waiting
      const cpuBefore = serverCpuSeconds(server.port);
      const messages = RATE * SECONDS;
      let sendErrors = 0;
      const acks: number[] = [];
      const sends: Promise<void>[] = [];
      const start = performance.now();
      for (let i = 0; i < messages; i++) {
        const due = start + (i * 1000) / RATE;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const sentAt = Math.round((performance.timeOrigin + performance.now()) * 1000); // µs: canonical JSON has no floats
        const t0 = performance.now();
        // Not awaited before the next one: a slow send must not slow the rate down.
        const path = `/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/${runId}-${i}`;
        sends.push(
          put(server.port, path, sender.accessToken!, { msgtype: 'm.text', body: `fan-out ${i}`, run: runId, sent_at: sentAt }).then(
            (status) => {
              acks.push(performance.now() - t0);
              if (status !== 200 && ++sendErrors === 1) console.error(`send ${i}: ${status}`);
            },
            (error: unknown) => {
              if (++sendErrors === 1) console.error(`send ${i}: ${String(error)}`);
            },
          ),
        );
      }
      await Promise.all(sends);
      // Until every reader has every message, or SETTLE_MS more.
      const settleBy = performance.now() + SETTLE_MS;
      while (performance.now() < settleBy) {
        const { count } = await new Promise<{ count: number }>((resolve) => {
          worker.once('message', resolve);
          worker.postMessage('count');
        });
        if (count >= (messages - sendErrors) * READERS) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const load = os.loadavg();
      const cpu = serverCpuSeconds(server.port) - cpuBefore;
      const result = await new Promise<RunResult>((resolve, reject) => {
        worker.once('message', (m: RunResult) => resolve(m));
        worker.once('error', reject);
        worker.postMessage('stop');
      });
      await worker.terminate();
      const sorted = result.latencies.sort();
      const missing = (messages - sendErrors) * READERS - sorted.length;
      if (sendErrors > 0) throw new Error(`${sendErrors} sends failed`);
      acks.sort((a, b) => a - b);
      const figures = {
        cpuPerMessage: (cpu * 1000) / messages,
        ackP50: percentile(acks, 0.5),
        ackP99: percentile(acks, 0.99),
        p50: percentile(sorted, 0.5),
        p95: percentile(sorted, 0.95),
        p99: percentile(sorted, 0.99),
        errors: result.errors,
        missing,
        responses: result.responses,
        load,
      };
      runs.push(figures);
      console.log(
        `  run ${run + 1}: p50 ${figures.p50.toFixed(0)} ms, p95 ${figures.p95.toFixed(0)} ms, p99 ${figures.p99.toFixed(0)} ms; ${result.responses} sync responses, ${result.errors} sync errors, ${missing} deliveries missing; send acknowledged p50 ${figures.ackP50.toFixed(0)} ms, p99 ${figures.ackP99.toFixed(0)} ms; server CPU ${figures.cpuPerMessage.toFixed(1)} ms per message (load ${load.map((l) => l.toFixed(2)).join(' ')})`,
      );
    }
    console.log(
      `/sync fan-out (${READERS} long-polling readers of one room, ${RATE} messages/s for ${SECONDS} s; median of ${RUNS} runs):`,
    );
    console.log(
      `  send → delivery p50 ${median(runs.map((r) => r.p50)).toFixed(0)} ms, p95 ${median(runs.map((r) => r.p95)).toFixed(0)} ms, p99 ${median(runs.map((r) => r.p99)).toFixed(0)} ms; ` +
        `sync errors ${runs.map((r) => r.errors).join('/')}; deliveries missing ${runs.map((r) => r.missing).join('/')}; ` +
        `server CPU ${median(runs.map((r) => r.cpuPerMessage)).toFixed(1)} ms per message sent (all its readers' deliveries included)`,
    );
    console.log(
      `  machine: ${os.cpus().length} cores, load average ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')} (1/5/15 min)`,
    );
  } finally {
    sendAgent.destroy();
    await server.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
