// Signing in and registering with an account key (PROTOCOL.md §5): challenge → sign → login / register.
// Plain fetch (homeserverFetch), like password sign-in, so the first screen never loads matrix-js-sdk. The recovery
// secret is only used here to derive the account key; nothing derived from it is sent except the public key and a
// signature. Failures are MatrixHttpErrors with words for people as their message.
import { ACCOUNT_KEY_LOGIN_TYPE, deriveAccountKey, encodeBase64Url, signAccountKeyProof, WAYFARER_CLIENT_PREFIX } from '../../protocol';
import { deviceDisplayName, notASession, signInFailure, toSession } from '../../matrix/auth';
import { describeMatrixError } from '../../matrix/errors';
import { t } from '../../i18n';
import { homeserverFetch, MatrixHttpError } from '../../matrix/http';
import type { Session } from '../../matrix/session';

type Fetch = typeof fetch;

/** The server has no account for this account key (`dev.wayfarer.unknown_account_key`): offer to register. */
export function isUnknownAccountKey(error: unknown): error is MatrixHttpError {
  return error instanceof MatrixHttpError && error.unknownAccountKey;
}

export interface AccountKeyProof {
  type: typeof ACCOUNT_KEY_LOGIN_TYPE;
  account_key: string;
  challenge: string;
  signature: string;
}

/** Where to reach a homeserver and the name it signs as (the `homeserver` field of the proof). */
export interface HomeserverAddress {
  baseUrl: string;
  serverName: string;
}

/** A refusal of an account-key request in words; `special` names this request's own refusals first. */
function refusal(error: unknown, special?: (error: MatrixHttpError) => string | undefined): unknown {
  return signInFailure(error, (e) => {
    const own = special?.(e);
    if (own) return own;
    if (e.rateLimited) return t('errors.tooManyAttempts', { seconds: Math.ceil((e.retryAfterMs ?? 5000) / 1000) });
    if (e.movedTo) return describeMatrixError(e);
    if (e.httpStatus >= 500) return t('errors.serverProblem', { status: e.httpStatus });
    if (e.kind !== 'http') return t('errors.notUnderstood');
    return e.data.error ?? t('errors.refused', { status: e.httpStatus });
  });
}

async function send<T>(
  fetchImpl: Fetch,
  method: string,
  url: string,
  body?: unknown,
  accessToken?: string,
  special?: (error: MatrixHttpError) => string | undefined,
): Promise<T> {
  try {
    return await homeserverFetch<T>(url, {
      method,
      fetch: fetchImpl,
      ...(body !== undefined ? { body } : {}),
      ...(accessToken ? { accessToken } : {}),
    });
  } catch (error) {
    throw refusal(error, special);
  }
}

/** The account key's public half as the server knows it: unpadded URL-safe base64. */
export function accountKeyId(secret: Uint8Array): string {
  return encodeBase64Url(deriveAccountKey(secret).publicKey);
}

/** Fetches a fresh single-use challenge and signs it for this server. */
export async function proveAccountKey(server: HomeserverAddress, secret: Uint8Array, fetchImpl: Fetch = fetch): Promise<AccountKeyProof> {
  const account = deriveAccountKey(secret);
  const account_key = encodeBase64Url(account.publicKey);
  const url = `${server.baseUrl}${WAYFARER_CLIENT_PREFIX}/account_key/challenge`;
  const reply = await send<{ challenge?: unknown }>(fetchImpl, 'POST', url, { account_key }, undefined, (e) =>
    e.httpStatus === 404 && e.errcode === 'M_UNRECOGNIZED'
      ? `${server.serverName} does not support portable identities (recovery-key sign-in).`
      : undefined,
  );
  if (typeof reply?.challenge !== 'string') throw notASession(url, 'POST');
  const challenge = reply.challenge;
  const signature = signAccountKeyProof({ challenge, homeserver: server.serverName, account_key }, account.seed);
  return { type: ACCOUNT_KEY_LOGIN_TYPE, account_key, challenge, signature };
}

/** Signs in to the account bound to this recovery key's account key; no account there: `isUnknownAccountKey(error)`. */
export async function loginWithAccountKey(server: HomeserverAddress, secret: Uint8Array, fetchImpl: Fetch = fetch): Promise<Session> {
  const proof = await proveAccountKey(server, secret, fetchImpl);
  const url = `${server.baseUrl}/_matrix/client/v3/login`;
  const reply = await send(fetchImpl, 'POST', url, { ...proof, initial_device_display_name: deviceDisplayName }, undefined, (e) =>
    e.httpStatus === 403 && e.unknownAccountKey ? `${server.serverName} has no account for this identity yet.` : undefined,
  );
  return toSession(server.baseUrl, url, reply);
}

/**
 * Creates an account bound to the account key: first the user-interactive-auth round trip (which gives the
 * session), then the same request with the signed proof under `auth`.
 */
export async function registerWithAccountKey(
  server: HomeserverAddress,
  secret: Uint8Array,
  username: string,
  fetchImpl: Fetch = fetch,
): Promise<Session> {
  const url = `${server.baseUrl}/_matrix/client/v3/register`;
  const base = { username: username.trim(), initial_device_display_name: deviceDisplayName };
  let first: MatrixHttpError;
  try {
    await homeserverFetch(url, { method: 'POST', body: base, fetch: fetchImpl });
    throw notASession(url, 'POST'); // registered without any proof: not the server this flow is for
  } catch (error) {
    if (!(error instanceof MatrixHttpError) || error.httpStatus !== 401) throw refusal(error);
    first = error;
  }
  const flows: string[][] = Array.isArray(first.data.flows) ? (first.data.flows as { stages?: string[] }[]).map((f) => f.stages ?? []) : [];
  if (!flows.some((stages) => stages.length === 1 && stages[0] === ACCOUNT_KEY_LOGIN_TYPE)) {
    throw first.withMessage(`${server.serverName} does not let you register with a recovery key.`);
  }
  const proof = await proveAccountKey(server, secret, fetchImpl);
  const reply = await send(fetchImpl, 'POST', url, { ...base, auth: { ...proof, session: first.data.session } });
  return toSession(server.baseUrl, url, reply);
}

export type UsernameCheck = { state: 'available' } | { state: 'unavailable'; message: string };

/** GET /register/available, with the server's reason when the name can't be had. */
export async function checkUsername(baseUrl: string, username: string, fetchImpl: Fetch = fetch): Promise<UsernameCheck> {
  const url = `${baseUrl}/_matrix/client/v3/register/available?username=${encodeURIComponent(username.trim())}`;
  let reply: { available?: unknown };
  try {
    reply = await homeserverFetch(url, { fetch: fetchImpl });
  } catch (error) {
    if (error instanceof MatrixHttpError && error.errcode === 'M_USER_IN_USE')
      return { state: 'unavailable', message: t('errors.M_USER_IN_USE') };
    if (error instanceof MatrixHttpError && error.errcode === 'M_INVALID_USERNAME')
      return { state: 'unavailable', message: t('errors.M_INVALID_USERNAME') };
    throw refusal(error);
  }
  if (reply?.available === true) return { state: 'available' };
  throw new MatrixHttpError({
    kind: 'unexpected',
    url,
    httpStatus: 200,
    message: t('errors.notUnderstood'),
  });
}

/** GET /account/portable: the account key this account is bound to, or undefined for a password account. */
export async function fetchPortableAccount(
  session: Session,
  fetchImpl: Fetch = fetch,
): Promise<{ account_key: string; moved_to?: string } | undefined> {
  const url = `${session.baseUrl}${WAYFARER_CLIENT_PREFIX}/account/portable`;
  let reply: { account_key?: unknown; moved_to?: string };
  try {
    reply = await homeserverFetch(url, { accessToken: session.accessToken, fetch: fetchImpl });
  } catch (error) {
    if (error instanceof MatrixHttpError && error.httpStatus === 404) return undefined;
    throw refusal(error);
  }
  if (typeof reply?.account_key !== 'string')
    throw new MatrixHttpError({
      kind: 'unexpected',
      url,
      httpStatus: 200,
      message: t('errors.notUnderstood'),
    });
  return reply as { account_key: string; moved_to?: string };
}

/** The server name a proof is made for: the name as typed, or the host of a typed URL. */
export function serverNameFromInput(input: string): string {
  const trimmed = input.trim();
  if (/^https?:\/\//i.test(trimmed)) {
    try {
      return new URL(trimmed).host;
    } catch {
      return trimmed;
    }
  }
  return trimmed.replace(/\/+$/, '');
}
