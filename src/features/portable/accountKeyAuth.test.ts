import { describe, expect, it } from 'vitest';
import { generateRecoverySecret } from '../../protocol';
import { MatrixHttpError } from '../../matrix/http';
import { checkUsername, fetchPortableAccount, isUnknownAccountKey, loginWithAccountKey, registerWithAccountKey } from './accountKeyAuth';

const server = { baseUrl: 'http://alpha.localhost:8481', serverName: 'alpha.localhost:8481' };
type Routes = Record<string, (init: RequestInit) => Response | 'down'>;

/** Answers by the URL's path (and query); unknown paths are a dead host. */
function web(routes: Routes) {
  const seen: { path: string; body: any }[] = [];
  const fetchImpl = (async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const url = new URL(String(input));
    const path = url.pathname + url.search;
    seen.push({ path, body: init.body ? JSON.parse(String(init.body)) : undefined });
    const answer = routes[path]?.(init) ?? 'down';
    if (answer === 'down') throw new TypeError('Failed to fetch');
    return answer;
  }) as typeof fetch;
  return { fetchImpl, seen };
}
const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  () =>
    Response.json(body, { status, headers });
const CHALLENGE = '/_matrix/client/unstable/dev.wayfarer/account_key/challenge';
const challenge = json(200, { challenge: 'c1' });

async function refusal(promise: Promise<unknown>): Promise<MatrixHttpError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MatrixHttpError);
  return error as MatrixHttpError;
}

describe('account-key sign-in', () => {
  const secret = generateRecoverySecret();

  it('tells a key without an account here apart (dev.wayfarer.unknown_account_key), in words', async () => {
    const { fetchImpl } = web({
      [CHALLENGE]: challenge,
      '/_matrix/client/v3/login': json(403, { errcode: 'M_FORBIDDEN', error: 'No account', 'dev.wayfarer.unknown_account_key': true }),
    });
    const error = await refusal(loginWithAccountKey(server, secret, fetchImpl));
    expect(isUnknownAccountKey(error)).toBe(true);
    expect(error.message).toBe('alpha.localhost:8481 has no account for this identity yet.');
    const wrong = await refusal(
      loginWithAccountKey(
        server,
        secret,
        web({ [CHALLENGE]: challenge, '/_matrix/client/v3/login': json(403, { errcode: 'M_FORBIDDEN', error: 'Bad signature' }) })
          .fetchImpl,
      ),
    );
    expect(isUnknownAccountKey(wrong)).toBe(false);
    expect(wrong.message).toBe('Bad signature');
  });

  it('counts the wait of a 429 from retry_after_ms or Retry-After, and names a server without the feature', async () => {
    const limited = web({ [CHALLENGE]: json(429, { errcode: 'M_LIMIT_EXCEEDED', retry_after_ms: 1500 }) });
    expect((await refusal(loginWithAccountKey(server, secret, limited.fetchImpl))).message).toBe(
      'Too many attempts. Wait 2 s and try again.',
    );
    const header = web({
      [CHALLENGE]: challenge,
      '/_matrix/client/v3/login': json(429, { errcode: 'M_LIMIT_EXCEEDED' }, { 'Retry-After': '9' }),
    });
    expect(await refusal(loginWithAccountKey(server, secret, header.fetchImpl))).toMatchObject({
      message: 'Too many attempts. Wait 9 s and try again.',
      retryAfterMs: 9000,
    });
    const plain = web({ [CHALLENGE]: json(404, { errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' }) });
    expect((await refusal(loginWithAccountKey(server, secret, plain.fetchImpl))).message).toBe(
      'alpha.localhost:8481 does not support portable identities (recovery-key sign-in).',
    );
    expect((await refusal(loginWithAccountKey(server, secret, web({}).fetchImpl))).message).toBe(
      "Can't reach the server. Check your connection and try again.",
    );
    const broken = web({ [CHALLENGE]: json(502, {}) });
    expect((await refusal(loginWithAccountKey(server, secret, broken.fetchImpl))).message).toBe(
      'The server had a problem (502). Try again in a moment.',
    );
  });

  it('registers through the user-interactive round trip, the proof under auth with its session', async () => {
    const { fetchImpl, seen } = web({
      '/_matrix/client/v3/register': (init) =>
        JSON.parse(String(init.body)).auth
          ? Response.json({ user_id: '@new:alpha', access_token: 't', device_id: 'D' })
          : Response.json({ flows: [{ stages: ['dev.wayfarer.login.account_key'] }], session: 'uia' }, { status: 401 }),
      [CHALLENGE]: challenge,
    });
    expect((await registerWithAccountKey(server, secret, 'new', fetchImpl)).userId).toBe('@new:alpha');
    expect(seen.at(-1)!.body.auth).toMatchObject({ type: 'dev.wayfarer.login.account_key', challenge: 'c1', session: 'uia' });
    const noFlow = web({ '/_matrix/client/v3/register': json(401, { flows: [{ stages: ['m.login.dummy'] }], session: 's' }) });
    expect((await refusal(registerWithAccountKey(server, secret, 'new', noFlow.fetchImpl))).message).toBe(
      'alpha.localhost:8481 does not let you register with a recovery key.',
    );
  });

  it('checks usernames and reads the portable status (404: a password account)', async () => {
    const q = (name: string) => `/_matrix/client/v3/register/available?username=${name}`;
    const { fetchImpl } = web({
      [q('free')]: json(200, { available: true }),
      [q('taken')]: json(400, { errcode: 'M_USER_IN_USE', error: 'taken' }),
      [q('BAD')]: json(400, { errcode: 'M_INVALID_USERNAME', error: 'bad' }),
      '/_matrix/client/unstable/dev.wayfarer/account/portable': json(404, { errcode: 'M_NOT_FOUND', error: 'not portable' }),
    });
    expect(await checkUsername(server.baseUrl, 'free', fetchImpl)).toEqual({ state: 'available' });
    expect(await checkUsername(server.baseUrl, 'taken', fetchImpl)).toEqual({
      state: 'unavailable',
      message: 'That username is taken. Pick another one.',
    });
    expect(await checkUsername(server.baseUrl, 'BAD', fetchImpl)).toMatchObject({ state: 'unavailable' });
    expect(
      await fetchPortableAccount({ baseUrl: server.baseUrl, userId: '@a:alpha', accessToken: 't', deviceId: 'D' }, fetchImpl),
    ).toBeUndefined();
  });
});
