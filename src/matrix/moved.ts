// A moved account (PROTOCOL.md §7 step 6): every authenticated request of an account that moved away answers 403
// with `dev.wayfarer.moved_to`. matrix-js-sdk turns that into a bare M_FORBIDDEN (a failed send, a sync that keeps
// retrying), so this fetch wrapper, handed to createClient as fetchFn, reads the field from the raw 403s and says
// where the account went, once, before the SDK sees the answer.
import { logger } from '../platform/logger';

const log = logger('session');

export const MOVED_TO_FIELD = 'dev.wayfarer.moved_to';

/** The account a 403's body says this one moved to, or undefined. */
export function movedToOf(body: unknown): string | undefined {
  const movedTo = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[MOVED_TO_FIELD] : undefined;
  return typeof movedTo === 'string' && /^@[^:\s]+:\S+$/.test(movedTo) ? movedTo : undefined;
}

/** Wraps `inner`: a 403 that names where the account moved calls `onMoved` (every time; the caller decides what to do once). */
export function movedAccountFetch(inner: typeof fetch, onMoved: (movedTo: string) => void): typeof fetch {
  return async (input, init) => {
    const response = await inner(input, init);
    if (response.status !== 403) return response;
    try {
      // A copy: the SDK reads the original and reports its own error as usual.
      const movedTo = movedToOf(await response.clone().json());
      if (movedTo) onMoved(movedTo);
    } catch (error) {
      log.debug('a 403 whose body is not JSON: not a moved account', error);
    }
    return response;
  };
}
