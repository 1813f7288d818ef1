// Signing in and registering with an account key (PROTOCOL.md §5): challenge → sign → login / register.
// Plain fetch, like password sign-in, so the first screen never loads matrix-js-sdk. The recovery secret is
// only used here to derive the account key; nothing derived from it is sent except the public key and a signature.
import {
  ACCOUNT_KEY_LOGIN_TYPE,
  deriveAccountKey,
  encodeBase64Url,
  signAccountKeyProof,
  WAYFARER_CLIENT_PREFIX,
} from '../../protocol';
import { AuthError, deviceDisplayName, requestJson as request } from '../../matrix/auth';
import type { Session } from '../../matrix/session';

type Fetch = typeof fetch;

/** The server has no account for this account key: offer to register ("bring this identity here"). */
export class UnknownAccountKeyError extends AuthError {}

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

function errorFrom(status: number, body: any): AuthError {
  const data = (typeof body === 'object' && body !== null ? body : {}) as { errcode?: string; error?: string; retry_after_ms?: number };
  if (data.errcode === 'M_LIMIT_EXCEEDED') {
    const seconds = Math.ceil((data.retry_after_ms ?? 5000) / 1000);
    return new AuthError(`Too many attempts. Wait ${seconds} s and try again.`, status, data.errcode, data);
  }
  if (status >= 500) return new AuthError(`The server had a problem (${status}). Try again in a moment.`, status, data.errcode, data);
  return new AuthError(data.error ?? `The server refused (HTTP ${status}).`, status, data.errcode, data);
}

function toSession(baseUrl: string, status: number, body: any): Session {
  if (!body || typeof body.user_id !== 'string' || typeof body.access_token !== 'string' || typeof body.device_id !== 'string') {
    throw new AuthError('The server sent an answer Wayfarer does not understand.', status);
  }
  return { baseUrl, userId: body.user_id, accessToken: body.access_token, deviceId: body.device_id };
}

/** The account key's public half as the server knows it: unpadded URL-safe base64. */
export function accountKeyId(secret: Uint8Array): string {
  return encodeBase64Url(deriveAccountKey(secret).publicKey);
}

/** Fetches a fresh single-use challenge and signs it for this server. */
export async function proveAccountKey(server: HomeserverAddress, secret: Uint8Array, fetchImpl: Fetch = fetch): Promise<AccountKeyProof> {
  const account = deriveAccountKey(secret);
  const account_key = encodeBase64Url(account.publicKey);
  const reply = await request(fetchImpl, 'POST', `${server.baseUrl}${WAYFARER_CLIENT_PREFIX}/account_key/challenge`, { account_key });
  if (reply.status === 404 && reply.body?.errcode === 'M_UNRECOGNIZED') {
    throw new AuthError(`${server.serverName} does not support portable identities (recovery-key sign-in).`, 404, 'M_UNRECOGNIZED');
  }
  if (reply.status !== 200 || typeof reply.body?.challenge !== 'string') throw errorFrom(reply.status, reply.body);
  const challenge: string = reply.body.challenge;
  const signature = signAccountKeyProof({ challenge, homeserver: server.serverName, account_key }, account.seed);
  return { type: ACCOUNT_KEY_LOGIN_TYPE, account_key, challenge, signature };
}

/** Signs in to the account bound to this recovery key's account key. */
export async function loginWithAccountKey(server: HomeserverAddress, secret: Uint8Array, fetchImpl: Fetch = fetch): Promise<Session> {
  const proof = await proveAccountKey(server, secret, fetchImpl);
  const reply = await request(fetchImpl, 'POST', `${server.baseUrl}/_matrix/client/v3/login`, { ...proof, initial_device_display_name: deviceDisplayName });
  if (reply.status === 403 && reply.body?.['dev.wayfarer.unknown_account_key'] === true) {
    throw new UnknownAccountKeyError(`${server.serverName} has no account for this identity yet.`, 403, 'M_FORBIDDEN', reply.body);
  }
  if (reply.status !== 200) throw errorFrom(reply.status, reply.body);
  return toSession(server.baseUrl, reply.status, reply.body);
}

/**
 * Creates an account bound to the account key: first the user-interactive-auth round trip (which gives the
 * session), then the same request with the signed proof under `auth`.
 */
export async function registerWithAccountKey(server: HomeserverAddress, secret: Uint8Array, username: string, fetchImpl: Fetch = fetch): Promise<Session> {
  const url = `${server.baseUrl}/_matrix/client/v3/register`;
  const base = { username: username.trim(), initial_device_display_name: deviceDisplayName };
  const first = await request(fetchImpl, 'POST', url, base);
  if (first.status !== 401) throw errorFrom(first.status, first.body);
  const flows: string[][] = Array.isArray(first.body?.flows) ? first.body.flows.map((f: { stages?: string[] }) => f.stages ?? []) : [];
  if (!flows.some((stages) => stages.length === 1 && stages[0] === ACCOUNT_KEY_LOGIN_TYPE)) {
    throw new AuthError(`${server.serverName} does not let you register with a recovery key.`, 401);
  }
  const proof = await proveAccountKey(server, secret, fetchImpl);
  const reply = await request(fetchImpl, 'POST', url, { ...base, auth: { ...proof, session: first.body.session } });
  if (reply.status !== 200) throw errorFrom(reply.status, reply.body);
  return toSession(server.baseUrl, reply.status, reply.body);
}

export type UsernameCheck = { state: 'available' } | { state: 'unavailable'; message: string };

/** GET /register/available, with the server's reason when the name can't be had. */
export async function checkUsername(baseUrl: string, username: string, fetchImpl: Fetch = fetch): Promise<UsernameCheck> {
  const reply = await request(fetchImpl, 'GET', `${baseUrl}/_matrix/client/v3/register/available?username=${encodeURIComponent(username.trim())}`);
  if (reply.status === 200 && reply.body?.available === true) return { state: 'available' };
  if (reply.body?.errcode === 'M_USER_IN_USE') return { state: 'unavailable', message: 'That username is taken.' };
  if (reply.body?.errcode === 'M_INVALID_USERNAME') return { state: 'unavailable', message: 'Use only lower-case letters, digits and . _ = - / +' };
  throw errorFrom(reply.status, reply.body);
}

/** GET /account/portable: the account key this account is bound to, or undefined for a password account. */
export async function fetchPortableAccount(session: Session, fetchImpl: Fetch = fetch): Promise<{ account_key: string; moved_to?: string } | undefined> {
  const reply = await request(fetchImpl, 'GET', `${session.baseUrl}${WAYFARER_CLIENT_PREFIX}/account/portable`, undefined, session.accessToken);
  if (reply.status === 404) return undefined;
  if (reply.status !== 200 || typeof reply.body?.account_key !== 'string') throw errorFrom(reply.status, reply.body);
  return reply.body;
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
