// A move never fails because a server says "slow down": a fetch that answers a 429 by waiting as long as the server
// asked (`retry_after_ms` in the body, or the `Retry-After` header; else a doubling back-off) and sending the same
// request again, telling the wizard how long it waits so the progress bar can say so. Only 429 is waited out: any
// other refusal is the step's to handle.
import { parseRetryAfter } from '../../matrix/http';
import { logger } from '../../platform/logger';

const log = logger('migration');

/** A wait under way: which server asked, how long, and until when. */
export interface RateLimitWait {
  server: string;
  waitMs: number;
  untilTs: number;
}

export interface PatientFetchOptions {
  /** The longest wait under way, or undefined once nothing waits any more. */
  onWait?: (wait: RateLimitWait | undefined) => void;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** A wait the server did not name: this, doubling per 429 in a row, up to `maxBackoffMs`. */
  firstBackoffMs?: number;
  maxBackoffMs?: number;
  /** A server asking for longer than this is waited this long, then asked again. */
  maxWaitMs?: number;
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function hostOf(input: RequestInfo | URL): string {
  try {
    return new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url).host;
  } catch {
    return String(input);
  }
}

async function askedWaitMs(response: Response): Promise<number | undefined> {
  const body = (await response
    .clone()
    .json()
    .catch(log.ignored('a 429 without a JSON body; Retry-After or the back-off decides the wait'))) as
    | { retry_after_ms?: unknown }
    | undefined;
  const ms = body?.retry_after_ms;
  if (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0) return ms;
  return parseRetryAfter(response.headers.get('Retry-After'));
}

export function patientFetch(inner: typeof fetch, options: PatientFetchOptions = {}): typeof fetch {
  const sleep = options.sleep ?? sleepFor;
  const now = options.now ?? Date.now;
  const first = options.firstBackoffMs ?? 1_000;
  const maxBackoff = options.maxBackoffMs ?? 30_000;
  const maxWait = options.maxWaitMs ?? 120_000;
  // Concurrent steps wait on their own; the wizard shows the longest wait under way.
  const waits = new Set<RateLimitWait>();
  const report = () => {
    let longest: RateLimitWait | undefined;
    for (const w of waits) if (!longest || w.untilTs > longest.untilTs) longest = w;
    options.onWait?.(longest);
  };
  return async (input, init) => {
    for (let inRow = 0; ; inRow += 1) {
      const response = await inner(input, init);
      if (response.status !== 429) return response;
      if (init?.signal?.aborted) return response;
      const asked = await askedWaitMs(response);
      const waitMs = Math.min(maxWait, asked ?? Math.min(maxBackoff, first * 2 ** inRow));
      const wait: RateLimitWait = { server: hostOf(input), waitMs, untilTs: now() + waitMs };
      waits.add(wait);
      report();
      try {
        await sleep(waitMs);
      } finally {
        waits.delete(wait);
        report();
      }
    }
  };
}
