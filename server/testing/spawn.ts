// Starts a reference homeserver as a real child process, the way outside scripts do (the `npm run server` contract).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * How long a start may take before it counts as failed. A start costs about a second on an idle machine, but
 * in a full `npm test` on two busy cores (type-checks, other suites, several servers loading through tsx at once)
 * it has taken over 30 s: a slow start is not a broken one. vite.config.ts's hookTimeout stays above this.
 */
export const DEFAULT_START_TIMEOUT_MS = 120_000;

export interface HomeserverOptions {
  /** Server name, e.g. `alpha.localhost:8481`; the port is taken from it unless `port` is given. */
  serverName: string;
  port?: number;
  /** Data directory; a fresh temporary one when omitted (removed by `dispose`). */
  dataDir?: string;
  openRegistration?: boolean;
  insecureHttp?: boolean;
  extraArgs?: string[];
  /** Echo the server's output (for debugging). */
  verbose?: boolean;
  /** Give up on a start (and kill the process) after this long; DEFAULT_START_TIMEOUT_MS when omitted. */
  startTimeoutMs?: number;
  /** Extra flags for node itself (e.g. `--cpu-prof`); WAYFARER_SERVER_NODE_FLAGS (space-separated) adds more. */
  nodeFlags?: string[];
}

export interface RunningHomeserver {
  serverName: string;
  port: number;
  baseUrl: string;
  dataDir: string;
  /** The server process's ID (while it runs). */
  pid(): number | undefined;
  /** SIGTERM and wait for exit. */
  stop(): Promise<void>;
  /** SIGKILL: a crash, for durability tests. */
  kill(): Promise<void>;
  /** Start again on the same data directory. */
  restart(): Promise<void>;
  /** Stop and remove a temporary data directory. */
  dispose(): Promise<void>;
  output(): string;
}

export async function startHomeserver(options: HomeserverOptions): Promise<RunningHomeserver> {
  const port = options.port ?? Number(options.serverName.split(':')[1]);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`no port in ${options.serverName}`);
  const temporary = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(path.join(os.tmpdir(), `wayfarer-${options.serverName.split(':')[0]}-`));
  // tsx as a loader in this one process (not tsx's CLI, which forks a child): a SIGKILL must really kill the server.
  const nodeFlags = [...(options.nodeFlags ?? []), ...(process.env.WAYFARER_SERVER_NODE_FLAGS ?? '').split(' ').filter(Boolean)];
  const args = [
    ...nodeFlags,
    '--import',
    'tsx',
    path.join(root, 'server', 'main.ts'),
    '--server-name',
    options.serverName,
    '--port',
    String(port),
    '--data',
    dataDir,
    ...(options.openRegistration === false ? [] : ['--open-registration']),
    ...(options.insecureHttp === false ? [] : ['--insecure-http']),
    ...(options.extraArgs ?? []),
  ];
  const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  let child: ChildProcess | undefined;
  let log = '';

  const launch = () =>
    new Promise<void>((resolve, reject) => {
      const proc = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      const timer = setTimeout(() => {
        // A process that never got ready must not outlive the failed start (it would hold the port).
        proc.kill('SIGKILL');
        reject(new Error(`${options.serverName} did not start in ${startTimeoutMs / 1000} s:\n${log}`));
      }, startTimeoutMs);
      const onData = (chunk: Buffer) => {
        const text = chunk.toString();
        log += text;
        if (options.verbose) process.stderr.write(`[${options.serverName}] ${text}`);
        if (log.includes(`listening on http://127.0.0.1:${port}`)) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout!.on('data', onData);
      proc.stderr!.on('data', onData);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${options.serverName} exited with ${code} before it was ready:\n${log}`));
      });
    });

  const waitExit = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      const proc = child;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return resolve();
      proc.once('exit', () => resolve());
      proc.kill(signal);
    });

  try {
    await launch();
  } catch (error) {
    if (temporary) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    serverName: options.serverName,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    dataDir,
    pid: () => child?.pid,
    stop: () => waitExit('SIGTERM'),
    kill: () => waitExit('SIGKILL'),
    restart: async () => {
      await waitExit('SIGTERM');
      await launch();
    },
    dispose: async () => {
      await waitExit('SIGTERM');
      if (temporary) rmSync(dataDir, { recursive: true, force: true });
    },
    output: () => log,
  };
}
