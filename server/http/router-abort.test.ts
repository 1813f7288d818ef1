// A request's abort signal (made only when a handler asks for it): aborted when the client goes away before the
// answer, also when the handler asks only after that; never for a request that was answered.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Router } from './router';

let server: Server;
let port: number;
const seen: Record<string, Promise<boolean>> = {};
const settle: Record<string, (aborted: boolean) => void> = {};
for (const name of ['waiting', 'late']) seen[name] = new Promise((resolve) => (settle[name] = resolve));
let clientGone!: () => void;
const gone = new Promise<void>((resolve) => (clientGone = resolve));

beforeAll(async () => {
  const router = new Router(1024);
  // Asks for the signal at once and waits for it (a long-poll).
  router.get('/waiting', (ctx) => new Promise((resolve) => ctx.signal.addEventListener('abort', () => resolve(settle.waiting!(true)))));
  // Asks for the signal only after the client has gone.
  router.get('/late', async (ctx) => {
    await gone;
    await new Promise((resolve) => setTimeout(resolve, 50));
    settle.late!(ctx.signal.aborted);
    return {};
  });
  let answered: AbortSignal | undefined;
  router.get('/answered', (ctx) => {
    answered = ctx.signal;
    return { ok: true };
  });
  router.get('/was-answered-aborted', () => ({ aborted: answered?.aborted }));
  server = createServer((req, res) => void router.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function goAway(path: string, after: () => void = () => {}): void {
  const req = request({ host: '127.0.0.1', port, path });
  req.on('error', () => {});
  req.end();
  setTimeout(() => {
    req.destroy();
    after();
  }, 100);
}

describe('Router abort signal', () => {
  it('aborts a waiting handler when its client goes away', async () => {
    goAway('/waiting');
    expect(await seen.waiting).toBe(true);
  });

  it('is already aborted for a handler that asks after its client went away', async () => {
    goAway('/late', clientGone);
    expect(await seen.late).toBe(true);
  });

  it('is not aborted for a request that was answered', async () => {
    const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`).then((r) => r.json());
    expect(await get('/answered')).toEqual({ ok: true });
    expect(await get('/was-answered-aborted')).toEqual({ aborted: false });
  });
});
