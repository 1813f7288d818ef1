import { describe, expect, it } from 'vitest';
import { loginWithPassword, registerWithPassword } from './auth';
import { MatrixHttpError } from './http';

const BASE = 'http://alpha.localhost:8481';
type Route = (init: RequestInit) => Response;

/** Answers each request with the next reply in the list; a missing reply is a dead host. */
function replies(...list: (Route | 'down')[]) {
  const bodies: unknown[] = [];
  const fetchImpl = (async (_input: RequestInfo | URL, init: RequestInit = {}) => {
    bodies.push(init.body ? JSON.parse(String(init.body)) : undefined);
    const next = list.shift();
    if (!next || next === 'down') throw new TypeError('Failed to fetch');
    return next(init);
  }) as typeof fetch;
  return { fetchImpl, bodies };
}
const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  () =>
    Response.json(body, { status, headers });
const session = json(200, { user_id: '@bob:alpha', access_token: 'tok', device_id: 'DEV' });

async function refusal(promise: Promise<unknown>): Promise<MatrixHttpError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MatrixHttpError);
  return error as MatrixHttpError;
}

describe('password sign-in', () => {
  it('answers a session', async () => {
    const { fetchImpl, bodies } = replies(session);
    expect(await loginWithPassword(BASE, ' bob ', 'pw', fetchImpl)).toEqual({
      baseUrl: BASE,
      userId: '@bob:alpha',
      accessToken: 'tok',
      deviceId: 'DEV',
    });
    expect(bodies[0]).toMatchObject({ type: 'm.login.password', identifier: { type: 'm.id.user', user: 'bob' }, password: 'pw' });
  });

  it('fails with words for people, keeping the server’s errcode and status', async () => {
    expect(
      await refusal(
        loginWithPassword(BASE, 'bob', 'x', replies(json(403, { errcode: 'M_FORBIDDEN', error: 'Invalid password' })).fetchImpl),
      ),
    ).toMatchObject({
      message: 'Wrong username or password.',
      httpStatus: 403,
      errcode: 'M_FORBIDDEN',
    });
    expect((await refusal(loginWithPassword(BASE, 'bob', 'x', replies('down').fetchImpl))).message).toBe(
      "Can't reach the server. Check your connection and try again.",
    );
    expect(
      (
        await refusal(
          loginWithPassword(BASE, 'bob', 'x', replies(json(429, { errcode: 'M_LIMIT_EXCEEDED' }, { 'Retry-After': '4' })).fetchImpl),
        )
      ).message,
    ).toBe('Too many requests. Wait 4 s and try again.');
    expect((await refusal(loginWithPassword(BASE, 'bob', 'x', replies(json(200, { user_id: '@bob:alpha' })).fetchImpl))).message).toBe(
      'The server sent an answer Wayfarer does not understand.',
    );
  });

  it('says where a moved account went instead of "wrong password"', async () => {
    const moved = json(403, { errcode: 'M_FORBIDDEN', error: 'moved', 'dev.wayfarer.moved_to': '@bob:beta.localhost' });
    expect((await refusal(loginWithPassword(BASE, 'bob', 'pw', replies(moved).fetchImpl))).message).toBe(
      'This account has moved to @bob:beta.localhost. Sign in there.',
    );
  });
});

describe('password registration', () => {
  it('completes the m.login.dummy stage with the session of the 401', async () => {
    const { fetchImpl, bodies } = replies(json(401, { flows: [{ stages: ['m.login.dummy'] }], session: 'uia1' }), session);
    expect((await registerWithPassword(BASE, 'bob', 'pw', fetchImpl)).userId).toBe('@bob:alpha');
    expect(bodies[1]).toMatchObject({ username: 'bob', auth: { type: 'm.login.dummy', session: 'uia1' } });
  });

  it('says plainly when the server needs more, refuses registration, or the name is taken', async () => {
    const captcha = json(401, { flows: [{ stages: ['m.login.recaptcha'] }], session: 's' });
    expect((await refusal(registerWithPassword(BASE, 'bob', 'pw', replies(captcha).fetchImpl))).message).toMatch(/needs extra steps/);
    const closed = json(403, { errcode: 'M_FORBIDDEN', error: 'Registration is disabled' });
    expect((await refusal(registerWithPassword(BASE, 'bob', 'pw', replies(closed).fetchImpl))).message).toBe(
      'This server does not allow registration. Ask its admin for an account.',
    );
    const taken = json(400, { errcode: 'M_USER_IN_USE', error: 'User ID already taken' });
    const error = await refusal(
      registerWithPassword(
        BASE,
        'bob',
        'pw',
        replies(json(401, { flows: [{ stages: ['m.login.dummy'] }], session: 's' }), taken).fetchImpl,
      ),
    );
    expect(error).toMatchObject({ message: 'That username is taken. Pick another one.', errcode: 'M_USER_IN_USE', httpStatus: 400 });
  });
});
