// What the benches print beside their figures: the machine's load (1, 5 and 15 minute averages) and core count.
// Helpers' tests and other processes share the machine, so a figure means little without it.
import { readFileSync } from 'node:fs';
import os from 'node:os';

export function machineLoad(): string {
  return `load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} on ${os.cpus().length} cores`;
}

export const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** How many times each throughput figure is measured (the median is reported): BENCH_RUNS, default 3. */
export const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));

/**
 * CPU seconds (user + system) a process has used so far, from /proc (Linux); undefined elsewhere. Less noisy than
 * wall time on a shared machine: CPU per message says what a change saved even when other processes compete.
 */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the command name.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return undefined;
  }
}
const CLOCK_TICKS = 100;
