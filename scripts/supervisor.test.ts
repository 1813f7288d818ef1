// `npm start`'s supervisor (scripts/supervisor.mjs) in a process of its own, as start.mjs runs it, with small
// stand-in children (a real homeserver takes seconds to load; the supervisor only sees processes): one homeserver
// killed is named on the console and the rest keep running; Ctrl-C stops everything; the client stopping ends it.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const supervisorUrl = new URL('./supervisor.mjs', import.meta.url).href;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// The supervisor process: two "homeservers" and a critical "client", each a node process that says it is ready.
const program = `
import { createSupervisor } from ${JSON.stringify(supervisorUrl)};
const supervisor = createSupervisor({ graceMs: 2000 });
supervisor.stopOnSignals();
const idle = ['-e', 'console.log("ready"); setInterval(() => {}, 1000)'];
const [alpha, beta] = await Promise.all(
  ['homeserver alpha.localhost:8481', 'homeserver beta.localhost:8482'].map((name) =>
    supervisor.start(name, process.execPath, idle, { readyText: 'ready' }),
  ),
);
const client = await supervisor.start('client (vite preview)', process.execPath, idle, { readyText: 'ready', critical: true });
console.log('PIDS ' + JSON.stringify({ alpha: alpha.pid, beta: beta.pid, client: client.pid }));
`;

type Pids = { alpha: number; beta: number; client: number };

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let supervisor: ChildProcess | undefined;
let pids: Pids | undefined;

async function startSupervisor(): Promise<{ stdout: () => string; stderr: () => string; exit: Promise<number | null> }> {
  let stdout = '';
  let stderr = '';
  const proc = spawn(process.execPath, ['--input-type=module', '-e', program], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  supervisor = proc;
  proc.stdout!.on('data', (chunk) => (stdout += chunk));
  proc.stderr!.on('data', (chunk) => (stderr += chunk));
  const exit = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  await until('the supervisor to start its children', () => stdout.includes('PIDS '));
  pids = JSON.parse(stdout.split('PIDS ')[1]!.split('\n')[0]!) as Pids;
  return { stdout: () => stdout, stderr: () => stderr, exit };
}

afterEach(() => {
  // Whatever a failed test left behind must not outlive it.
  for (const pid of [supervisor?.pid, ...Object.values(pids ?? {})]) if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
  supervisor = undefined;
  pids = undefined;
});

describe('npm start’s supervisor', () => {
  it('names a homeserver that stops and keeps the others and the client; Ctrl-C then stops everything', async () => {
    const run = await startSupervisor();
    const { alpha, beta, client } = pids!;
    process.kill(alpha, 'SIGKILL');
    await until('the console to name the stopped server', () => run.stderr().includes('homeserver alpha.localhost:8481 stopped'));
    expect(run.stderr()).toContain('✖ homeserver alpha.localhost:8481 stopped (signal SIGKILL)');
    expect(run.stderr()).toContain('Still running: homeserver beta.localhost:8482, client (vite preview)');
    expect(alive(beta)).toBe(true);
    expect(alive(client)).toBe(true);
    expect(supervisor!.exitCode).toBeNull();

    supervisor!.kill('SIGINT');
    expect(await run.exit).toBe(0);
    await until('every child to be gone', () => !alive(beta) && !alive(client));
  });

  it('stops everything when the client itself stops', async () => {
    const run = await startSupervisor();
    const { alpha, beta, client } = pids!;
    process.kill(client, 'SIGKILL');
    expect(await run.exit).not.toBe(0);
    expect(run.stderr()).toContain('✖ client (vite preview) stopped (signal SIGKILL); stopping the rest');
    await until('the homeservers to be gone', () => !alive(alpha) && !alive(beta));
  });
});
