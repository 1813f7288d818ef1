// Turning what a person types into a homeserver base URL: the spec's client discovery
// (/.well-known/matrix/client), then a check that a Matrix server really answers there.
import { logger } from '../platform/logger';
import { homeserverFetch, MatrixHttpError } from './http';
import { hostOfServerName } from '../protocol/ids'; // not the barrel: the first screen carries no crypto

const log = logger('http:discovery');

export type HomeserverErrorKind = 'invalid-input' | 'unreachable' | 'not-matrix';

export class HomeserverError extends Error {
  override readonly name = 'HomeserverError';
  constructor(
    readonly kind: HomeserverErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Loopback-style hosts are development servers: plain http, as Chromium treats them as secure anyway. */
export function isDevelopmentHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(bare)) return true;
  return bare.includes(':'); // an IPv6 literal
}

/**
 * The URL to start from: a full URL is used as given (without trailing slash); a bare server name
 * gets http:// for development hosts and https:// otherwise.
 */
export function initialBaseUrl(input: string): { baseUrl: string; isBareName: boolean } {
  const trimmed = input.trim();
  if (trimmed === '') throw new HomeserverError('invalid-input', 'Enter a homeserver, for example matrix.org.');
  if (/^https?:\/\//i.test(trimmed)) {
    let url: URL;
    try {
      url = new URL(trimmed);
    } catch {
      throw new HomeserverError('invalid-input', `“${trimmed}” is not a valid address.`);
    }
    return { baseUrl: url.href.replace(/\/+$/, ''), isBareName: false };
  }
  const host = hostOfServerName(trimmed);
  if (!host)
    throw new HomeserverError('invalid-input', `“${trimmed}” is not a server name. Use a name like matrix.org or a full https:// address.`);
  const scheme = isDevelopmentHost(host) ? 'http' : 'https';
  return { baseUrl: `${scheme}://${trimmed}`, isBareName: true };
}

/** Reads `m.homeserver.base_url` from a well-known document; undefined when it says nothing usable. */
export function baseUrlFromWellKnown(document: unknown): string | undefined {
  if (typeof document !== 'object' || document === null) return undefined;
  const homeserver = (document as Record<string, unknown>)['m.homeserver'];
  if (typeof homeserver !== 'object' || homeserver === null) return undefined;
  const baseUrl = (homeserver as Record<string, unknown>).base_url;
  if (typeof baseUrl !== 'string' || !/^https?:\/\//i.test(baseUrl)) return undefined;
  try {
    return new URL(baseUrl).href.replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}

type Fetch = typeof fetch;

/**
 * Finds the base URL of a homeserver and checks that it speaks the Client-Server API.
 * Throws HomeserverError with a message meant for people (the MatrixHttpError behind it as `cause`).
 */
export async function discoverHomeserver(input: string, fetchImpl: Fetch = fetch, timeoutMs = 10_000): Promise<string> {
  const { baseUrl: start, isBareName } = initialBaseUrl(input);
  let baseUrl = start;
  if (isBareName) {
    try {
      baseUrl = baseUrlFromWellKnown(await homeserverFetch(`${start}/.well-known/matrix/client`, { fetch: fetchImpl, timeoutMs })) ?? start;
    } catch (error) {
      // No well-known (or the host is down): the spec says to fall back to the name itself.
      log.debug(`no usable .well-known for ${start}; trying the name itself`, error);
    }
  }
  let versions: unknown;
  try {
    versions = await homeserverFetch(`${baseUrl}/_matrix/client/versions`, { fetch: fetchImpl, timeoutMs });
  } catch (error) {
    if (error instanceof MatrixHttpError && error.answered) {
      throw new HomeserverError('not-matrix', `${baseUrl} answered, but it isn't a Matrix homeserver. Check the address.`, {
        cause: error,
      });
    }
    throw new HomeserverError('unreachable', `Can't reach ${baseUrl}. Check the address and your connection, then try again.`, {
      cause: error,
    });
  }
  if (!Array.isArray((versions as { versions?: unknown } | null)?.versions)) {
    throw new HomeserverError('not-matrix', `${baseUrl} answered, but it isn't a Matrix homeserver. Check the address.`);
  }
  return baseUrl;
}
