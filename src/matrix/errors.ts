// Server errors in words a person understands, with what to do next.

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

const byErrcode: Record<string, string> = {
  M_FORBIDDEN: "You don't have permission to do that here.",
  M_UNKNOWN_TOKEN: 'Your session has ended. Sign in again.',
  M_MISSING_TOKEN: 'Your session has ended. Sign in again.',
  M_USER_IN_USE: 'That username is taken. Pick another one.',
  M_INVALID_USERNAME: 'That username is not allowed. Use lower-case letters, digits and . _ = - /',
  M_EXCLUSIVE: 'That username is reserved. Pick another one.',
  M_WEAK_PASSWORD: 'That password is too weak. Choose a longer one.',
  M_NOT_FOUND: "That doesn't exist, or you can't see it. Check the address.",
  M_ROOM_IN_USE: 'That room alias is already taken. Choose another one.',
  M_UNSUPPORTED_ROOM_VERSION: "The server doesn't support that room version. Pick another one.",
  M_TOO_LARGE: 'That is too large for the server. Make it smaller.',
  M_GUEST_ACCESS_FORBIDDEN: 'Guests may not do that. Sign in with an account.',
  M_USER_DEACTIVATED: 'This account has been deactivated.',
  M_BAD_JSON: 'The server did not understand the request. This is a bug in Wayfarer; please report it.',
  M_NOT_JSON: 'The server did not understand the request. This is a bug in Wayfarer; please report it.',
};

export function describeMatrixError(error: unknown, context?: string): string {
  const err = (typeof error === 'object' && error !== null ? error : {}) as MatrixErrorLike;
  const prefix = context ? `${context}: ` : '';
  const noAnswer = err.name === 'MatrixHttpError' && (err.kind === 'network' || err.kind === 'timeout' || err.kind === 'aborted');
  if (noAnswer || err.name === 'ConnectionError' || err.name === 'TypeError' || err.name === 'AbortError' || err.name === 'TimeoutError') {
    return `${prefix}Can't reach the server. Check your connection; Wayfarer keeps trying.`;
  }
  if (err.errcode === 'M_LIMIT_EXCEEDED' || err.httpStatus === 429) {
    const seconds = Math.ceil((err.retryAfterMs ?? err.data?.retry_after_ms ?? 5000) / 1000);
    return `${prefix}Too many requests. Wait ${seconds} s and try again.`;
  }
  const movedTo = err.data?.['dev.wayfarer.moved_to'];
  if (typeof movedTo === 'string' && movedTo !== '') return `${prefix}This account has moved to ${movedTo}. Sign in there.`;
  if (err.errcode === 'M_FORBIDDEN' && err.httpStatus === 403 && /password|login|credential/i.test(err.data?.error ?? '')) {
    return `${prefix}Wrong username or password.`;
  }
  const known = err.errcode ? byErrcode[err.errcode] : undefined;
  if (known) return prefix + known;
  const serverText = err.data?.error ?? err.message;
  if (err.httpStatus && err.httpStatus >= 500) return `${prefix}The server had a problem (${err.httpStatus}). Try again in a moment.`;
  if (serverText) return `${prefix}${serverText}`;
  return `${prefix}Something went wrong. Try again.`;
}
