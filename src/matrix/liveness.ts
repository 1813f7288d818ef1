// Notices a homeserver that hangs. A stopped process (SIGSTOP), a dead route or a half-open TCP connection gives
// no error at all: requests just never answer, and matrix-js-sdk only gives up on a sync after its poll timeout
// plus 80 s (and on a send never). This fetch wrapper, handed to createClient as fetchFn, watches the requests in
// flight: when one stays unanswered past its budget (a long-poll /sync: its `timeout` plus a grace period), it asks
// the server something cheap (`GET /_matrix/client/versions`, short timeout). No answer to that either: the
// connection is lost. Every request in flight is then cut off as a network failure (the SDK marks unsent messages
// "not sent" and its sync goes to its own keep-alive loop), new ones fail at once instead of piling onto a dead
// connection (a browser allows six per host), and the probe repeats until the server answers again.

/** Knobs (all in milliseconds). Tests shorten them through `livenessSettings` (localStorage `wayfarer.liveness`). */
export interface LivenessSettings {
  /** The long-poll timeout /sync asks the server for (matrix-js-sdk's pollTimeout). */
  pollTimeoutMs: number;
  /** How much longer than its own timeout a /sync may take before the server is asked whether it is there. */
  graceMs: number;
  /** How long any other request may go unanswered before the same question. */
  requestBudgetMs: number;
  /** How long the cheap probe may take. */
  probeTimeoutMs: number;
  /** How often the probe repeats while the connection is lost. */
  probeIntervalMs: number;
  /** How long a link check ("Verify now") waits for one answer from a domain or the homeserver. */
  checkTimeoutMs: number;
}

export const DEFAULT_LIVENESS: LivenessSettings = {
  pollTimeoutMs: 30_000,
  graceMs: 15_000,
  requestBudgetMs: 30_000,
  probeTimeoutMs: 10_000,
  probeIntervalMs: 5_000,
  checkTimeoutMs: 10_000,
};

const SETTINGS_KEY = 'wayfarer.liveness';

/**
 * The defaults, with any overrides from localStorage `wayfarer.liveness` (a JSON object of the fields above; tests
 * set it so an outage is noticed in seconds). Values outside 100 ms – 10 min are ignored.
 */
export function livenessSettings(storage: Pick<Storage, 'getItem'> | undefined = globalThis.localStorage): LivenessSettings {
  const settings = { ...DEFAULT_LIVENESS };
  let overrides: unknown;
  try {
    overrides = JSON.parse(storage?.getItem(SETTINGS_KEY) ?? 'null');
  } catch {
    return settings;
  }
  if (typeof overrides !== 'object' || overrides === null) return settings;
  for (const key of Object.keys(settings) as (keyof LivenessSettings)[]) {
    const value = (overrides as Record<string, unknown>)[key];
    if (typeof value === 'number' && Number.isFinite(value) && value >= 100 && value <= 600_000) settings[key] = value;
  }
  return settings;
}

/** Thrown to the SDK for requests cut off or refused while the connection is lost: a network failure, as fetch throws. */
export class ConnectionLostError extends TypeError {
  constructor() {
    super('No answer from the homeserver: the connection is lost');
    this.name = 'TypeError';
  }
}

export interface Liveness {
  /** The wrapped fetch, for createClient's fetchFn. */
  fetch: typeof fetch;
  /** Whether the server stopped answering (and has not answered a probe since). */
  lost(): boolean;
  /** Called with the new value whenever `lost()` changes. Returns an unsubscribe. */
  subscribe(listener: (lost: boolean) => void): () => void;
  /** Stops the timers (sign-out). */
  stop(): void;
}

export interface LivenessDeps {
  /** The fetch to wrap (and to probe with). */
  inner: typeof fetch;
  /** The homeserver's base URL: only requests to it are watched. */
  baseUrl: string;
  settings?: LivenessSettings;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (timer: unknown) => void;
}

type InFlight = { startedTs: number; budgetMs: number; controller: AbortController; cutOff: boolean; probed: boolean };

function urlOf(input: RequestInfo | URL): URL | undefined {
  try {
    return new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
  } catch {
    return undefined;
  }
}

/** A /sync's budget is its long-poll timeout plus the grace period; anything else gets the plain request budget. */
export function budgetOf(url: URL | undefined, settings: LivenessSettings): number {
  if (url && /\/_matrix\/client\/(v3|r0)\/sync$/.test(url.pathname)) {
    const timeout = Number(url.searchParams.get('timeout') ?? '0');
    return (Number.isFinite(timeout) && timeout > 0 ? timeout : 0) + settings.graceMs;
  }
  return settings.requestBudgetMs;
}

/** Either signal aborts the result (AbortSignal.any where the platform has it). */
function eitherSignal(a: AbortSignal | null | undefined, b: AbortSignal): AbortSignal {
  if (!a) return b;
  if (typeof AbortSignal.any === 'function') return AbortSignal.any([a, b]);
  const controller = new AbortController();
  const abort = (signal: AbortSignal) => () => controller.abort(signal.reason);
  if (a.aborted || b.aborted) controller.abort((a.aborted ? a : b).reason);
  a.addEventListener('abort', abort(a), { once: true });
  b.addEventListener('abort', abort(b), { once: true });
  return controller.signal;
}

export function createLiveness(deps: LivenessDeps): Liveness {
  const settings = deps.settings ?? DEFAULT_LIVENESS;
  const now = deps.now ?? Date.now;
  const setTimer = deps.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
  const clearTimer = deps.clearTimer ?? ((timer: unknown) => clearTimeout(timer as ReturnType<typeof setTimeout>));
  const base = deps.baseUrl.replace(/\/$/, '');
  const origin = urlOf(base)?.origin;
  const inFlight = new Set<InFlight>();
  const listeners = new Set<(lost: boolean) => void>();
  let isLost = false;
  let probing = false;
  let stopped = false;
  let timer: unknown;
  /** The next probe while lost (not before). */
  let nextProbeTs = 0;

  const setLost = (value: boolean) => {
    if (value === isLost) return;
    isLost = value;
    for (const listener of listeners) listener(value);
  };

  async function probe(): Promise<boolean> {
    const controller = new AbortController();
    const timeout = setTimer(() => controller.abort(), settings.probeTimeoutMs);
    try {
      const response = await deps.inner(`${base}/_matrix/client/versions`, { signal: controller.signal, cache: 'no-store' });
      // Any HTTP answer means the server is there; a gateway's 502–504 means it is not.
      return !(response.status >= 502 && response.status <= 504);
    } catch {
      return false;
    } finally {
      clearTimer(timeout);
    }
  }

  async function runProbe(): Promise<void> {
    if (probing || stopped) return;
    probing = true;
    const answered = await probe();
    probing = false;
    if (stopped) return;
    if (answered) {
      setLost(false);
      return;
    }
    nextProbeTs = now() + settings.probeIntervalMs;
    if (!isLost) {
      setLost(true);
      // Cut off what hangs: the SDK then sees a network failure for each and handles it as one.
      for (const request of inFlight) {
        request.cutOff = true;
        request.controller.abort(new ConnectionLostError());
      }
    }
  }

  function tick(): void {
    timer = undefined;
    if (stopped) return;
    if (isLost) {
      if (now() >= nextProbeTs) void runProbe();
    } else {
      for (const request of inFlight) {
        if (request.probed || now() - request.startedTs < request.budgetMs) continue;
        // One probe per overdue request: a slow answer to a server that answers the probe is just slow.
        request.probed = true;
        void runProbe();
        break;
      }
    }
    schedule();
  }

  function schedule(): void {
    if (stopped || timer !== undefined) return;
    if (!isLost && inFlight.size === 0) return;
    timer = setTimer(tick, Math.min(1000, settings.probeIntervalMs));
  }

  async function probeThrough(input: RequestInfo | URL, init: RequestInit | undefined): Promise<Response> {
    const controller = new AbortController();
    const timeout = setTimer(() => controller.abort(new ConnectionLostError()), settings.probeTimeoutMs);
    try {
      const response = await deps.inner(input, { ...init, signal: eitherSignal(init?.signal, controller.signal) });
      if (!(response.status >= 502 && response.status <= 504)) setLost(false);
      return response;
    } catch (error) {
      throw controller.signal.aborted ? new ConnectionLostError() : error;
    } finally {
      clearTimer(timeout);
    }
  }

  const wrapped: typeof fetch = async (input, init) => {
    const url = urlOf(input);
    if (!url || url.origin !== origin) return deps.inner(input, init);
    if (isLost) {
      // The SDK's own keep-alive ("Retry now") asks the same cheap question as the probe: let it, briefly.
      if (url.pathname === '/_matrix/client/versions') return probeThrough(input, init);
      // Anything else fails fast; the probe notices when the server is back (and the SDK is told to retry then).
      schedule();
      throw new ConnectionLostError();
    }
    const controller = new AbortController();
    const request: InFlight = { startedTs: now(), budgetMs: budgetOf(url, settings), controller, cutOff: false, probed: false };
    inFlight.add(request);
    schedule();
    try {
      const response = await deps.inner(input, { ...init, signal: eitherSignal(init?.signal, controller.signal) });
      setLost(false); // an answer is as good as a probe
      return response;
    } catch (error) {
      if (request.cutOff) throw new ConnectionLostError();
      throw error;
    } finally {
      inFlight.delete(request);
    }
  };

  return {
    fetch: wrapped,
    lost: () => isLost,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimer(timer);
      timer = undefined;
    },
  };
}
