// Password sign-in and registration over plain fetch, so the first screen does not load matrix-js-sdk.
import type { Session } from './session';

export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(
    message: string,
    readonly httpStatus: number,
    readonly errcode?: string,
    readonly data: { error?: string; retry_after_ms?: number } = {},
  ) {
    super(message);
  }
}

interface LoginResponse {
  user_id: string;
  access_token: string;
  device_id: string;
}

function isLoginResponse(body: unknown): body is LoginResponse {
  const b = body as Partial<LoginResponse> | null;
  return !!b && typeof b.user_id === 'string' && typeof b.access_token === 'string' && typeof b.device_id === 'string';
}

/** One JSON request to a homeserver; a network failure becomes an AuthError a person can read. */
export async function requestJson(
  fetchImpl: typeof fetch,
  method: string,
  url: string,
  body?: unknown,
  accessToken?: string,
): Promise<{ status: number; body: any }> {
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method,
      headers: {
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...(accessToken ? { Authorization: `Bearer ${accessToken}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new AuthError("Can't reach the server. Check your connection and try again.", 0, undefined);
  }
  let json: unknown;
  try {
    json = await response.json();
  } catch {
    json = undefined;
  }
  return { status: response.status, body: json };
}

const postJson = (url: string, body: unknown, fetchImpl: typeof fetch) => requestJson(fetchImpl, 'POST', url, body);

function toAuthError(status: number, body: unknown): AuthError {
  const b = (body ?? {}) as { errcode?: string; error?: string; retry_after_ms?: number };
  return new AuthError(b.error ?? `HTTP ${status}`, status, b.errcode, b);
}

function toSession(baseUrl: string, body: unknown, status: number): Session {
  if (!isLoginResponse(body)) throw new AuthError('The server sent an answer Wayfarer does not understand.', status);
  return { baseUrl, userId: body.user_id, accessToken: body.access_token, deviceId: body.device_id };
}

export const deviceDisplayName = 'Wayfarer web';

export async function loginWithPassword(baseUrl: string, username: string, password: string, fetchImpl: typeof fetch = fetch): Promise<Session> {
  const user = username.trim();
  const { status, body } = await postJson(
    `${baseUrl}/_matrix/client/v3/login`,
    {
      type: 'm.login.password',
      identifier: { type: 'm.id.user', user },
      password,
      initial_device_display_name: deviceDisplayName,
    },
    fetchImpl,
  );
  if (status === 403) throw new AuthError('Wrong username or password.', status, 'M_FORBIDDEN', { error: 'Wrong username or password.' });
  if (status !== 200) throw toAuthError(status, body);
  return toSession(baseUrl, body, status);
}

/**
 * Registers with the user-interactive `m.login.dummy` stage, the one servers with open registration offer.
 * Servers that need more (captcha, e-mail) are reported plainly.
 */
export async function registerWithPassword(baseUrl: string, username: string, password: string, fetchImpl: typeof fetch = fetch): Promise<Session> {
  const url = `${baseUrl}/_matrix/client/v3/register`;
  const request = { username: username.trim(), password, initial_device_display_name: deviceDisplayName };
  let { status, body } = await postJson(url, request, fetchImpl);
  if (status === 401) {
    const flows = ((body as { flows?: { stages?: string[] }[] })?.flows ?? []).map((f) => f.stages ?? []);
    const session = (body as { session?: string }).session;
    if (!flows.some((stages) => stages.length === 1 && stages[0] === 'm.login.dummy')) {
      throw new AuthError('This server needs extra steps to register that Wayfarer does not support yet. Register on the server’s website, then sign in here.', 401);
    }
    ({ status, body } = await postJson(url, { ...request, auth: { type: 'm.login.dummy', session } }, fetchImpl));
  }
  if (status === 403 && (body as { errcode?: string })?.errcode === 'M_FORBIDDEN') {
    throw new AuthError('This server does not allow registration. Ask its admin for an account.', 403, 'M_FORBIDDEN', {
      error: 'This server does not allow registration. Ask its admin for an account.',
    });
  }
  if (status !== 200) throw toAuthError(status, body);
  return toSession(baseUrl, body, status);
}
