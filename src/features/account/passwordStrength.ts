// A new password (registration, change password): typed twice, and strong enough by zxcvbn-ts, which estimates
// how many guesses it takes (dictionaries, names, keyboard walks, l33t, dates), not by its length alone. The
// library is big: it loads on first use, or ahead of it with preloadPasswordCheck(), never with the first screen.
import { msg, type Message } from '../../i18n';
import { logger } from '../../platform/logger';

const log = logger('password');

/**
 * zxcvbn's score 0–4; 2 ("somewhat guessable", over 10^8 guesses) is the least taken. The server throttles
 * password guessing per account (exponential back-off), which is the attack that score is sized for.
 */
export const MIN_PASSWORD_SCORE = 2;

let loading: Promise<typeof import('./zxcvbn')> | undefined;
const load = () => {
  loading ??= import('./zxcvbn').catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
};

/** Starts fetching the checker (e.g. when the registration form opens), so the check on submit is instant. */
export function preloadPasswordCheck(): void {
  load().catch(log.ignored('password checker not preloaded; the check on submit loads it again'));
}

/**
 * Why this new password is refused, or undefined when it is fine. `userInputs` are words an attacker would try
 * first (the username, the server name).
 */
export async function newPasswordProblem(password: string, repeated: string, userInputs: string[]): Promise<Message | undefined> {
  if (!password) return msg('password.empty');
  if (password !== repeated) return msg('password.mismatch');
  const { checkStrength } = await load();
  const result = checkStrength(password, userInputs.filter(Boolean));
  if (result.score >= MIN_PASSWORD_SCORE) return undefined;
  const reason = [result.warning, ...result.suggestions].filter(Boolean).join(' ');
  return reason ? msg('password.weak', { reason }) : msg('password.weakNoReason');
}
