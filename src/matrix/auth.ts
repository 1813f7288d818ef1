// Password sign-in and registration over plain fetch (homeserverFetch), so the first screen does not load
// matrix-js-sdk. Failures are MatrixHttpErrors whose message is already in words for people: the sign-in screen and
// the migration wizard show it as it is.
import { describeMatrixError } from './errors';
import { t } from '../i18n';
import { homeserverFetch, MatrixHttpError } from './http';
import type { Session } from './session';

interface LoginResponse {
  user_id: string;
  access_token: string;
  device_id: string;
}

function isLoginResponse(body: unknown): body is LoginResponse {
  const b = body as Partial<LoginResponse> | null;
  return !!b && typeof b.user_id === 'string' && typeof b.access_token === 'string' && typeof b.device_id === 'string';
}

/** Signing in reached no server: a sentence that says what to do (no retry runs on its own here). */
export const cantReachToSignIn = () => t('errors.cantReachToSignIn');

/**
 * The same failure in words for a sign-in: no answer, or what `special` says for this request's known refusals,
 * or the general words for the server's errcode. Anything that is not a MatrixHttpError is passed on as it is.
 */
export function signInFailure(error: unknown, special?: (error: MatrixHttpError) => string | undefined): unknown {
  if (!(error instanceof MatrixHttpError)) return error;
  if (!error.answered) return error.withMessage(cantReachToSignIn());
  return error.withMessage(special?.(error) ?? describeMatrixError(error));
}

/** A 2xx answer that is not the session a login or registration gives. */
export function notASession(url: string, method: string): MatrixHttpError {
  return new MatrixHttpError({
    kind: 'unexpected',
    url,
    method,
    httpStatus: 200,
    message: t('errors.notUnderstood'),
  });
}

export function toSession(baseUrl: string, url: string, body: unknown): Session {
  if (!isLoginResponse(body)) throw notASession(url, 'POST');
  return { baseUrl, userId: body.user_id, accessToken: body.access_token, deviceId: body.device_id };
}

export const deviceDisplayName = 'Wayfarer web';

export async function loginWithPassword(
  baseUrl: string,
  username: string,
  password: string,
  fetchImpl: typeof fetch = fetch,
): Promise<Session> {
  const url = `${baseUrl}/_matrix/client/v3/login`;
  const body = {
    type: 'm.login.password',
    identifier: { type: 'm.id.user', user: username.trim() },
    password,
    initial_device_display_name: deviceDisplayName,
  };
  let reply: unknown;
  try {
    reply = await homeserverFetch(url, { method: 'POST', body, fetch: fetchImpl });
  } catch (error) {
    throw signInFailure(error, (e) => (e.httpStatus === 403 && !e.movedTo ? 'Wrong username or password.' : undefined));
  }
  return toSession(baseUrl, url, reply);
}

/**
 * Registers with the user-interactive `m.login.dummy` stage, the one servers with open registration offer.
 * Servers that need more (captcha, e-mail) are reported plainly.
 */
export async function registerWithPassword(
  baseUrl: string,
  username: string,
  password: string,
  fetchImpl: typeof fetch = fetch,
): Promise<Session> {
  const url = `${baseUrl}/_matrix/client/v3/register`;
  const request = { username: username.trim(), password, initial_device_display_name: deviceDisplayName };
  const words = (e: MatrixHttpError) => (e.httpStatus === 403 && e.errcode === 'M_FORBIDDEN' ? t('errors.registrationClosed') : undefined);
  let reply: unknown;
  try {
    reply = await homeserverFetch(url, { method: 'POST', body: request, fetch: fetchImpl });
  } catch (error) {
    // The first answer of user-interactive auth: 401 with the flows the server offers and a session.
    if (!(error instanceof MatrixHttpError) || error.httpStatus !== 401) throw signInFailure(error, words);
    const flows = (Array.isArray(error.data.flows) ? (error.data.flows as { stages?: string[] }[]) : []).map((f) => f.stages ?? []);
    if (!flows.some((stages) => stages.length === 1 && stages[0] === 'm.login.dummy')) {
      throw error.withMessage(
        'This server needs extra steps to register that Wayfarer does not support yet. Register on the server’s website, then sign in here.',
      );
    }
    const session = typeof error.data.session === 'string' ? error.data.session : undefined;
    try {
      reply = await homeserverFetch(url, {
        method: 'POST',
        body: { ...request, auth: { type: 'm.login.dummy', session } },
        fetch: fetchImpl,
      });
    } catch (second) {
      throw signInFailure(second, words);
    }
  }
  return toSession(baseUrl, url, reply);
}
