// The client's one way to call a homeserver directly, for what does not go through the signed-in matrix-js-sdk
// client: discovery, sign-in and registration (the first screen never loads the SDK), unauthenticated key fetches,
// our dev.wayfarer endpoints, a migration's calls to a second server, authenticated media. `homeserverFetch`
// answers typed JSON or throws one MatrixHttpError, which tells what went wrong: the spec's errcode and HTTP
// status, how long to wait after a 429 (`retry_after_ms` or the `Retry-After` header), our dev.wayfarer fields
// (`moved_to`, `unknown_account_key`), or a failure before any answer (network, timeout, aborted) or an answer
// that is not JSON.
import { logger } from '../platform/logger';

const log = logger('http');

/**
 * What went wrong: an HTTP refusal; no answer at all (network, timeout, aborted); a successful status whose body is
 * not JSON; or JSON that is not what the request answers (`unexpected`: thrown by callers that check the shape).
 */
export type MatrixHttpErrorKind = 'http' | 'network' | 'timeout' | 'aborted' | 'not-json' | 'unexpected';

/** A Matrix error body (the spec's standard error response) with the dev.wayfarer fields we read. */
export interface MatrixErrorBody {
  errcode?: string;
  error?: string;
  retry_after_ms?: number;
  /** PROTOCOL.md §5/§7: this account moved; every authenticated request answers 403 with where it went. */
  'dev.wayfarer.moved_to'?: string;
  /** PROTOCOL.md §5: a valid account-key proof for a key with no account here; offer registration. */
  'dev.wayfarer.unknown_account_key'?: boolean;
  [field: string]: unknown;
}

export interface MatrixHttpErrorInit {
  kind: MatrixHttpErrorKind;
  url: string;
  method?: string;
  /** 0 when no answer came. */
  httpStatus?: number;
  data?: MatrixErrorBody;
  retryAfterMs?: number;
  /** Words for people, when the caller knows better ones than the default. */
  message?: string;
  cause?: unknown;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function defaultMessage(init: MatrixHttpErrorInit, host: string): string {
  const cause = init.cause instanceof Error ? init.cause.message : init.cause === undefined ? '' : String(init.cause);
  switch (init.kind) {
    case 'network':
      return `cannot reach ${host}${cause ? ` (${cause})` : ''}`;
    case 'timeout':
      return `${host} did not answer in time`;
    case 'aborted':
      return `the request to ${host} was cancelled`;
    case 'not-json':
      return `${host} answered ${init.httpStatus ?? 0} with something that is not JSON`;
    case 'unexpected':
      return `${host} answered ${init.httpStatus ?? 0} with something Wayfarer does not understand`;
    case 'http':
      return `${host} answered ${init.httpStatus ?? 0}${init.data?.error ? `: ${init.data.error}` : ''}`;
  }
}

/**
 * A direct homeserver call that failed. Shaped like matrix-js-sdk's MatrixError where they overlap (`errcode`,
 * `httpStatus`, `data`), so `describeMatrixError` reads both.
 */
export class MatrixHttpError extends Error {
  override readonly name = 'MatrixHttpError';
  readonly kind: MatrixHttpErrorKind;
  readonly url: string;
  readonly method: string;
  readonly httpStatus: number;
  readonly errcode: string | undefined;
  readonly data: MatrixErrorBody;
  /** How long the server asked us to wait before trying again (429), from the body or the Retry-After header. */
  readonly retryAfterMs: number | undefined;

  constructor(init: MatrixHttpErrorInit) {
    const host = hostOf(init.url);
    super(init.message ?? defaultMessage(init, host), init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.url = init.url;
    this.method = init.method ?? 'GET';
    this.httpStatus = init.httpStatus ?? 0;
    this.data = init.data ?? {};
    this.errcode = typeof this.data.errcode === 'string' ? this.data.errcode : undefined;
    this.retryAfterMs = init.retryAfterMs ?? retryAfterFromBody(this.data);
  }

  /** The host:port that was asked. */
  get host(): string {
    return hostOf(this.url);
  }

  /** The server answered (with any status); false for network failures, timeouts and cancelled requests. */
  get answered(): boolean {
    return this.kind === 'http' || this.kind === 'not-json' || this.kind === 'unexpected';
  }

  get rateLimited(): boolean {
    return this.httpStatus === 429 || this.errcode === 'M_LIMIT_EXCEEDED';
  }

  /** `dev.wayfarer.moved_to`: the account this one moved to, on the 403s of a moved account. */
  get movedTo(): string | undefined {
    const movedTo = this.data['dev.wayfarer.moved_to'];
    return typeof movedTo === 'string' && movedTo !== '' ? movedTo : undefined;
  }

  /** `dev.wayfarer.unknown_account_key`: the proof was valid, but no account is bound to that key here. */
  get unknownAccountKey(): boolean {
    return this.data['dev.wayfarer.unknown_account_key'] === true;
  }

  /** The same failure told in other words (a sign-in screen's, say), keeping every field. */
  withMessage(message: string): MatrixHttpError {
    return new MatrixHttpError({
      kind: this.kind,
      url: this.url,
      method: this.method,
      httpStatus: this.httpStatus,
      data: this.data,
      ...(this.retryAfterMs !== undefined ? { retryAfterMs: this.retryAfterMs } : {}),
      message,
      cause: this.cause,
    });
  }
}

export function isMatrixHttpError(error: unknown): error is MatrixHttpError {
  return error instanceof MatrixHttpError;
}

function retryAfterFromBody(data: MatrixErrorBody): number | undefined {
  const ms = data.retry_after_ms;
  return typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

/** The `Retry-After` header in milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(header: string | null, nowMs = Date.now()): number | undefined {
  if (header === null) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

export interface HomeserverRequest {
  /** Default GET. */
  method?: string;
  /** Sent as `Authorization: Bearer …`. */
  accessToken?: string;
  /** A JSON body (sent with Content-Type: application/json). */
  body?: unknown;
  signal?: AbortSignal;
  /** Gives up after this long (kind 'timeout'), body included. */
  timeoutMs?: number;
  cache?: RequestCache;
  /** The fetch to use (tests, the bench, the SDK-free first screen); default the global one. */
  fetch?: typeof fetch;
}

/** Aborts when the caller's signal does or the timeout passes; tells which. */
function requestSignal(request: HomeserverRequest): { signal?: AbortSignal; timedOut: () => boolean; done: () => void } {
  if (request.timeoutMs === undefined)
    return { ...(request.signal ? { signal: request.signal } : {}), timedOut: () => false, done: () => {} };
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException('The request timed out', 'TimeoutError'));
  }, request.timeoutMs);
  const onAbort = () => controller.abort(request.signal?.reason);
  if (request.signal?.aborted) onAbort();
  else request.signal?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    done: () => {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
    },
  };
}

function failureKind(error: unknown, timedOut: boolean, signal: AbortSignal | undefined): MatrixHttpErrorKind {
  if (timedOut) return 'timeout';
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError') return 'timeout';
  if (name === 'AbortError' || signal?.aborted) return 'aborted';
  return 'network';
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

interface Answer {
  response: Response;
  text: string;
}

/** Sends the request and reads the whole answer (within the timeout); throws MatrixHttpError when none came. */
async function send(url: string, request: HomeserverRequest, read: boolean): Promise<{ response: Response; text?: string }> {
  const method = request.method ?? 'GET';
  const fetchImpl = request.fetch ?? fetch; // a local, so the browser's fetch is not called as a method of `request`
  const { signal, timedOut, done } = requestSignal(request);
  const headers: Record<string, string> = {
    ...(request.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    ...(request.accessToken ? { Authorization: `Bearer ${request.accessToken}` } : {}),
  };
  const fail = (error: unknown): never => {
    done();
    const kind = failureKind(error, timedOut(), signal);
    log.debug(`${method} ${url}: ${kind}`, error);
    throw new MatrixHttpError({ kind, url, method, cause: error });
  };
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method,
      headers,
      ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
      ...(signal ? { signal } : {}),
      ...(request.cache ? { cache: request.cache } : {}),
    });
  } catch (error) {
    return fail(error);
  }
  // Unread: the timer stays armed, so the timeout still covers reading the body.
  if (!read && response.ok) return { response };
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    return fail(error); // the connection broke (or the time ran out) while the body came
  }
  done();
  return { response, text };
}

function refusal(url: string, method: string, { response, text }: Answer): MatrixHttpError {
  const parsed = parseJson(text);
  const data =
    parsed.ok && typeof parsed.value === 'object' && parsed.value !== null && !Array.isArray(parsed.value)
      ? (parsed.value as MatrixErrorBody)
      : {};
  const retryAfterMs =
    retryAfterFromBody(data) ?? (response.status === 429 ? parseRetryAfter(response.headers.get('Retry-After')) : undefined);
  const error = new MatrixHttpError({
    kind: 'http',
    url,
    method,
    httpStatus: response.status,
    data,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
  log.debug(`${method} ${url}: ${response.status}${error.errcode ? ` ${error.errcode}` : ''}`);
  return error;
}

/**
 * One JSON request to a homeserver. A 2xx answer's JSON body is returned as `T` (the caller checks the shape it
 * relies on; an empty body is `{}`); anything else throws MatrixHttpError.
 */
export async function homeserverFetch<T = unknown>(url: string, request: HomeserverRequest = {}): Promise<T> {
  const method = request.method ?? 'GET';
  const answer = (await send(url, request, true)) as Answer;
  if (!answer.response.ok) throw refusal(url, method, answer);
  if (answer.text.trim() === '') return {} as T;
  const parsed = parseJson(answer.text);
  if (!parsed.ok) {
    log.debug(`${method} ${url}: ${answer.response.status} but not JSON`);
    throw new MatrixHttpError({ kind: 'not-json', url, method, httpStatus: answer.response.status });
  }
  return parsed.value as T;
}

/**
 * The same request for an answer that is not JSON (media): the 2xx Response, its body unread (a timeout still
 * applies while it is read); anything else throws MatrixHttpError.
 */
export async function homeserverResponse(url: string, request: HomeserverRequest = {}): Promise<Response> {
  const method = request.method ?? 'GET';
  const sent = await send(url, request, false);
  if (sent.text !== undefined) throw refusal(url, method, sent as Answer);
  return sent.response;
}
