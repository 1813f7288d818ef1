import { describe, expect, it } from 'vitest';
import { describeMatrixError } from './errors';
import { homeserverFetch, homeserverResponse, MatrixHttpError, parseRetryAfter } from './http';

type Handler = (url: string, init: RequestInit) => Response | Promise<Response>;

/** A fake fetch that records what it was asked and answers with the handler. */
function fakeFetch(handler: Handler) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetchImpl = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    calls.push({ url: String(input), init });
    return handler(String(input), init);
  }) as typeof fetch;
  return { fetchImpl, calls };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });

/** The rejection of a call, which must be a MatrixHttpError. */
async function failure(promise: Promise<unknown>): Promise<MatrixHttpError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(MatrixHttpError);
    return error as MatrixHttpError;
  }
  throw new Error('expected the call to fail');
}

const URL_ = 'http://alpha.localhost:8481/_matrix/client/v3/login';

describe('homeserverFetch', () => {
  it('answers the JSON body, sending the method, a JSON body and the bearer token', async () => {
    const { fetchImpl, calls } = fakeFetch(() => json(200, { user_id: '@a:alpha' }));
    const body = await homeserverFetch<{ user_id: string }>(URL_, {
      method: 'POST',
      body: { type: 'm.login.password' },
      accessToken: 'tok',
      fetch: fetchImpl,
    });
    expect(body.user_id).toBe('@a:alpha');
    expect(calls[0]!.init).toMatchObject({
      method: 'POST',
      body: '{"type":"m.login.password"}',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer tok' },
    });
  });

  it('sends no Content-Type without a body (no CORS preflight for a plain GET) and reads an empty 2xx body as {}', async () => {
    const { fetchImpl, calls } = fakeFetch(() => new Response('', { status: 200 }));
    expect(await homeserverFetch(URL_, { fetch: fetchImpl })).toEqual({});
    expect(calls[0]!.init.method).toBe('GET');
    expect(calls[0]!.init.headers).toEqual({});
  });

  it("turns a refusal into MatrixHttpError with the spec's errcode, status, the server's words and the whole body", async () => {
    const { fetchImpl } = fakeFetch(() => json(400, { errcode: 'M_USER_IN_USE', error: 'User ID already taken', session: 's1' }));
    const error = await failure(homeserverFetch(URL_, { method: 'POST', body: {}, fetch: fetchImpl }));
    expect(error).toMatchObject({
      kind: 'http',
      httpStatus: 400,
      errcode: 'M_USER_IN_USE',
      method: 'POST',
      url: URL_,
      host: 'alpha.localhost:8481',
      answered: true,
    });
    expect(error.data.session).toBe('s1');
    expect(error.message).toBe('alpha.localhost:8481 answered 400: User ID already taken');
    expect(error.rateLimited).toBe(false);
    expect(describeMatrixError(error)).toBe('That username is taken. Pick another one.');
  });

  it('reads how long to wait after a 429 from retry_after_ms', async () => {
    const { fetchImpl } = fakeFetch(() => json(429, { errcode: 'M_LIMIT_EXCEEDED', error: 'Too many requests', retry_after_ms: 2500 }));
    const error = await failure(homeserverFetch(URL_, { fetch: fetchImpl }));
    expect(error).toMatchObject({ httpStatus: 429, errcode: 'M_LIMIT_EXCEEDED', retryAfterMs: 2500, rateLimited: true });
    expect(describeMatrixError(error)).toBe('Too many requests. Wait 3 s and try again.');
  });

  it('reads the Retry-After header when the body has no retry_after_ms (seconds or an HTTP date)', async () => {
    const { fetchImpl } = fakeFetch(() => json(429, { errcode: 'M_LIMIT_EXCEEDED' }, { 'Retry-After': '7' }));
    const error = await failure(homeserverFetch(URL_, { fetch: fetchImpl }));
    expect(error.retryAfterMs).toBe(7000);
    expect(describeMatrixError(error)).toBe('Too many requests. Wait 7 s and try again.');
    // A 429 with no JSON body at all (a proxy's) is still a rate limit, with the header's wait.
    const bare = await failure(
      homeserverFetch(URL_, {
        fetch: fakeFetch(() => new Response('slow down', { status: 429, headers: { 'Retry-After': '2' } })).fetchImpl,
      }),
    );
    expect(bare).toMatchObject({ kind: 'http', errcode: undefined, retryAfterMs: 2000, rateLimited: true });
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:30 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(30_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });

  it('prefers the body’s retry_after_ms over the header', async () => {
    const { fetchImpl } = fakeFetch(() => json(429, { errcode: 'M_LIMIT_EXCEEDED', retry_after_ms: 1200 }, { 'Retry-After': '60' }));
    expect((await failure(homeserverFetch(URL_, { fetch: fetchImpl }))).retryAfterMs).toBe(1200);
  });

  it('knows a moved account by dev.wayfarer.moved_to (PROTOCOL.md §7) and says where it went', async () => {
    const { fetchImpl } = fakeFetch(() =>
      json(403, { errcode: 'M_FORBIDDEN', error: 'This account has moved', 'dev.wayfarer.moved_to': '@alice:beta.localhost' }),
    );
    const error = await failure(homeserverFetch(URL_, { accessToken: 't', fetch: fetchImpl }));
    expect(error).toMatchObject({ httpStatus: 403, errcode: 'M_FORBIDDEN', movedTo: '@alice:beta.localhost', unknownAccountKey: false });
    expect(describeMatrixError(error)).toBe('This account has moved to @alice:beta.localhost. Sign in there.');
  });

  it('knows a valid proof for a key without an account by dev.wayfarer.unknown_account_key (PROTOCOL.md §5)', async () => {
    const { fetchImpl } = fakeFetch(() =>
      json(403, { errcode: 'M_FORBIDDEN', error: 'No account for this key', 'dev.wayfarer.unknown_account_key': true }),
    );
    const error = await failure(homeserverFetch(URL_, { method: 'POST', body: {}, fetch: fetchImpl }));
    expect(error).toMatchObject({ unknownAccountKey: true, movedTo: undefined });
    const plain = await failure(
      homeserverFetch(URL_, {
        fetch: fakeFetch(() => json(403, { errcode: 'M_FORBIDDEN', 'dev.wayfarer.unknown_account_key': 'yes' })).fetchImpl,
      }),
    );
    expect(plain.unknownAccountKey).toBe(false);
  });

  it('tells a network failure apart from an answer', async () => {
    const { fetchImpl } = fakeFetch(() => {
      throw new TypeError('Failed to fetch');
    });
    const error = await failure(homeserverFetch(URL_, { fetch: fetchImpl }));
    expect(error).toMatchObject({ kind: 'network', httpStatus: 0, answered: false, errcode: undefined });
    expect(error.message).toBe('cannot reach alpha.localhost:8481 (Failed to fetch)');
    expect(error.cause).toBeInstanceOf(TypeError);
    expect(describeMatrixError(error)).toMatch(/^Can't reach the server/);
  });

  it('gives up after timeoutMs (kind timeout), and a cancelled request is kind aborted', async () => {
    const hanging = (_url: string, init: RequestInit) =>
      new Promise<Response>((_resolve, reject) => init.signal!.addEventListener('abort', () => reject(init.signal!.reason)));
    const timedOut = await failure(homeserverFetch(URL_, { timeoutMs: 20, fetch: fakeFetch(hanging).fetchImpl }));
    expect(timedOut).toMatchObject({ kind: 'timeout', httpStatus: 0, answered: false });
    expect(describeMatrixError(timedOut)).toMatch(/^Can't reach the server/);

    const controller = new AbortController();
    const pending = homeserverFetch(URL_, { signal: controller.signal, timeoutMs: 10_000, fetch: fakeFetch(hanging).fetchImpl });
    controller.abort();
    expect(await failure(pending)).toMatchObject({ kind: 'aborted' });
  });

  it('times out while the body is still coming', async () => {
    const slowBody = (_url: string, init: RequestInit) =>
      new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode('{"partial":'));
            init.signal!.addEventListener('abort', () => controller.error(init.signal!.reason));
          },
        }),
        { status: 200 },
      );
    expect(await failure(homeserverFetch(URL_, { timeoutMs: 20, fetch: fakeFetch(slowBody).fetchImpl }))).toMatchObject({
      kind: 'timeout',
    });
  });

  it('refuses a successful answer that is not JSON (a web page where a homeserver should be)', async () => {
    const { fetchImpl } = fakeFetch(() => new Response('<html>hello</html>', { status: 200, headers: { 'Content-Type': 'text/html' } }));
    const error = await failure(homeserverFetch(URL_, { fetch: fetchImpl }));
    expect(error).toMatchObject({ kind: 'not-json', httpStatus: 200, answered: true });
    expect(error.message).toBe('alpha.localhost:8481 answered 200 with something that is not JSON');
  });

  it('keeps the status of a refusal whose body is not JSON (a proxy’s error page)', async () => {
    const { fetchImpl } = fakeFetch(() => new Response('<html>Bad gateway</html>', { status: 502 }));
    const error = await failure(homeserverFetch(URL_, { fetch: fetchImpl }));
    expect(error).toMatchObject({ kind: 'http', httpStatus: 502, errcode: undefined, data: {} });
    expect(describeMatrixError(error)).toBe('The server had a problem (502). Try again in a moment.');
  });

  it('withMessage keeps every field and changes only the words', async () => {
    const { fetchImpl } = fakeFetch(() => json(429, { errcode: 'M_LIMIT_EXCEEDED', retry_after_ms: 900 }));
    const error = (await failure(homeserverFetch(URL_, { fetch: fetchImpl }))).withMessage('Too many attempts.');
    expect(error).toBeInstanceOf(MatrixHttpError);
    expect(error).toMatchObject({
      message: 'Too many attempts.',
      kind: 'http',
      httpStatus: 429,
      errcode: 'M_LIMIT_EXCEEDED',
      retryAfterMs: 900,
      url: URL_,
    });
  });
});

describe('homeserverResponse', () => {
  it('hands back a 2xx answer unread (media) and throws MatrixHttpError otherwise', async () => {
    const ok = await homeserverResponse('http://hs/_matrix/client/v1/media/download/x/y', {
      accessToken: 't',
      fetch: fakeFetch(() => new Response(new Uint8Array([1, 2, 3]), { status: 200 })).fetchImpl,
    });
    expect(new Uint8Array(await ok.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
    const missing = await failure(
      homeserverResponse('http://hs/_matrix/client/v1/media/download/x/z', {
        fetch: fakeFetch(() => json(404, { errcode: 'M_NOT_FOUND', error: 'Not found' })).fetchImpl,
      }),
    );
    expect(missing).toMatchObject({ kind: 'http', httpStatus: 404, errcode: 'M_NOT_FOUND' });
  });
});
