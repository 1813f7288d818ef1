// Shorter liveness timeouts for e2e (src/matrix/liveness.ts reads them from localStorage `wayfarer.liveness`):
// the same path as the 30 s long-poll and 15 s grace of real life, in seconds. And hanging a server like a stuck
// process: SIGSTOP keeps its port open and answers nothing.
import type { Page } from '@playwright/test';
import type { RunningHomeserver } from '../../server/testing/spawn';

export const QUICK_LIVENESS = {
  pollTimeoutMs: 3000,
  graceMs: 2000,
  requestBudgetMs: 4000,
  probeTimeoutMs: 1500,
  probeIntervalMs: 1000,
  checkTimeoutMs: 2000,
};

/** Run before the app loads (signedUpPage's beforeSignUp). */
export async function quickLiveness(page: Page): Promise<void> {
  await page.addInitScript((settings) => localStorage.setItem('wayfarer.liveness', settings), JSON.stringify(QUICK_LIVENESS));
}

/** SIGSTOP hangs the server (its port still accepts connections); SIGCONT lets it go on. */
export function signalServer(server: RunningHomeserver, name: 'SIGSTOP' | 'SIGCONT'): void {
  const pid = server.pid();
  if (pid === undefined) throw new Error(`${server.serverName} is not running`);
  process.kill(pid, name);
}

/** Before dispose: a stopped process would never see its SIGTERM. */
export function resumeAll(servers: readonly RunningHomeserver[]): void {
  for (const server of servers) {
    const pid = server.pid();
    if (pid !== undefined) process.kill(pid, 'SIGCONT');
  }
}
