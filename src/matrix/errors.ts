// Server errors in words a person understands, with what to do next.
import { t, type MessageKey } from '../i18n';

/** The parts of a Matrix error we look at; matrix-js-sdk's MatrixError and our MatrixHttpError both fit. */
export interface MatrixErrorLike {
  errcode?: string;
  httpStatus?: number;
  message?: string;
  name?: string;
  /** MatrixHttpError: 'network' | 'timeout' | 'aborted' mean no answer came. */
  kind?: string;
  /** MatrixHttpError: the wait a 429 asked for, from the body or the Retry-After header. */
  retryAfterMs?: number;
  data?: { error?: string; retry_after_ms?: number; 'dev.wayfarer.moved_to'?: unknown };
}

const byErrcode: Record<string, MessageKey> = {
  M_FORBIDDEN: 'errors.M_FORBIDDEN',
  M_UNKNOWN_TOKEN: 'errors.M_UNKNOWN_TOKEN',
  M_MISSING_TOKEN: 'errors.M_MISSING_TOKEN',
  M_USER_IN_USE: 'errors.M_USER_IN_USE',
  M_INVALID_USERNAME: 'errors.M_INVALID_USERNAME',
  M_EXCLUSIVE: 'errors.M_EXCLUSIVE',
  M_WEAK_PASSWORD: 'errors.M_WEAK_PASSWORD',
  M_NOT_FOUND: 'errors.M_NOT_FOUND',
  M_ROOM_IN_USE: 'errors.M_ROOM_IN_USE',
  M_UNSUPPORTED_ROOM_VERSION: 'errors.M_UNSUPPORTED_ROOM_VERSION',
  M_TOO_LARGE: 'errors.M_TOO_LARGE',
  M_GUEST_ACCESS_FORBIDDEN: 'errors.M_GUEST_ACCESS_FORBIDDEN',
  M_USER_DEACTIVATED: 'errors.M_USER_DEACTIVATED',
  M_BAD_JSON: 'errors.M_BAD_JSON',
  M_NOT_JSON: 'errors.M_NOT_JSON',
};

export function describeMatrixError(error: unknown, context?: string): string {
  const err = (typeof error === 'object' && error !== null ? error : {}) as MatrixErrorLike;
  // The context, if any, goes first: 'Could not invite: You don't have permission to do that here.'
  const withContext = (text: string) => (context ? t('errors.withContext', { context, text }) : text);
  const say = (key: MessageKey, values?: Record<string, string>) => withContext(t(key, values));
  const noAnswer = err.name === 'MatrixHttpError' && (err.kind === 'network' || err.kind === 'timeout' || err.kind === 'aborted');
  if (noAnswer || err.name === 'ConnectionError' || err.name === 'TypeError' || err.name === 'AbortError' || err.name === 'TimeoutError') {
    return say('errors.unreachable');
  }
  if (err.errcode === 'M_LIMIT_EXCEEDED' || err.httpStatus === 429) {
    const seconds = Math.ceil((err.retryAfterMs ?? err.data?.retry_after_ms ?? 5000) / 1000);
    return say('errors.tooMany', { seconds: String(seconds) });
  }
  const movedTo = err.data?.['dev.wayfarer.moved_to'];
  if (typeof movedTo === 'string' && movedTo !== '') return say('errors.moved', { server: movedTo });
  if (err.errcode === 'M_FORBIDDEN' && err.httpStatus === 403 && /password|login|credential/i.test(err.data?.error ?? '')) {
    return say('errors.wrongPassword');
  }
  const known = err.errcode ? byErrcode[err.errcode] : undefined;
  if (known) return say(known);
  const serverText = err.data?.error ?? err.message;
  if (err.httpStatus && err.httpStatus >= 500) return say('errors.serverProblem', { status: String(err.httpStatus) });
  if (serverText) return withContext(serverText);
  return say('errors.unknown');
}
