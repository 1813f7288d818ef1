// Keeps `npm start`'s processes (the demo homeservers and the client's preview server) and says what happens to
// them. A homeserver that stops (crash, kill, OOM) is named on the console and the rest keep running: a demo of
// federation with one server down is a demo worth having. The client stopping ends the demo (nothing to open).
// Ctrl-C (SIGINT) or SIGTERM stops every child and waits for them before exiting.
import { spawn } from 'node:child_process';

/** "exit code 1" / "signal SIGKILL". */
function howItEnded(code, signal) {
  return signal ? `signal ${signal}` : `exit code ${code}`;
}

/**
 * @param {{ log?: (line: string) => void, error?: (line: string) => void, graceMs?: number }} [options]
 *   graceMs: how long a child gets after SIGTERM before SIGKILL.
 */
export function createSupervisor({ log = console.log, error = console.error, graceMs = 5000 } = {}) {
  /** @type {Map<string, { child: import('node:child_process').ChildProcess, critical: boolean }>} */
  const children = new Map();
  let stopping = false;

  const running = () => [...children].filter(([, { child }]) => child.exitCode === null && child.signalCode === null).map(([name]) => name);

  /**
   * Spawns `command args` as `name` and resolves once `readyText` shows in its stdout (at once without one).
   * A child that exits before it is ready rejects, with its output. After that, an exit is reported; `critical`
   * children (the client) take everything down with them, others leave the rest running.
   * @param {string} name
   * @param {string} command
   * @param {string[]} args
   * @param {{ cwd?: string, readyText?: string, critical?: boolean, onOutput?: (text: string) => void }} [options]
   */
  function start(name, command, args, { cwd, readyText, critical = false, onOutput } = {}) {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    children.set(name, { child, critical });
    return new Promise((resolve, reject) => {
      let ready = readyText === undefined;
      let output = '';
      if (ready) resolve(child);
      child.stdout.on('data', (chunk) => {
        const text = String(chunk);
        onOutput?.(text);
        if (ready) return;
        output += text;
        if (output.includes(readyText)) {
          ready = true;
          resolve(child);
        }
      });
      child.on('error', (cause) => {
        if (!ready) reject(new Error(`${name} could not start: ${cause.message}`));
      });
      child.on('exit', (code, signal) => {
        if (stopping) return;
        if (!ready) {
          reject(new Error(`${name} exited (${howItEnded(code, signal)}) before it was ready:\n${output}`));
          return;
        }
        const rest = running();
        if (critical) {
          error(`\n✖ ${name} stopped (${howItEnded(code, signal)}); stopping the rest (${rest.join(', ') || 'nothing left'}).`);
          void stopAll().then(() => process.exit(code ?? 1));
          return;
        }
        error(
          `\n✖ ${name} stopped (${howItEnded(code, signal)}). ${rest.length ? `Still running: ${rest.join(', ')}.` : 'Nothing else is running.'} Ctrl-C stops everything.`,
        );
      });
    });
  }

  /** SIGTERM to every child still running (SIGKILL after graceMs); resolves when all have exited. */
  function stopAll() {
    stopping = true;
    return Promise.all(
      [...children.values()].map(
        ({ child }) =>
          new Promise((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve(undefined);
            const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve(undefined);
            });
            child.kill('SIGTERM');
          }),
      ),
    );
  }

  /** Ctrl-C and SIGTERM stop every child, then this process. */
  function stopOnSignals() {
    let received = false;
    for (const signal of ['SIGINT', 'SIGTERM']) {
      process.on(signal, () => {
        if (received) return; // a second Ctrl-C while stopping: the children are already on their way out
        received = true;
        log('\n• stopping…');
        void stopAll().then(() => process.exit(0));
      });
    }
  }

  return { start, stopAll, stopOnSignals, running };
}
