import { useEffect, useState } from 'react';
import { discoverHomeserver } from '../../matrix/homeserver';
import { checkUsername } from './accountKeyAuth';
import { t } from '../../i18n';

export type UsernameStatus =
  | { state: 'idle' }
  | { state: 'checking' }
  | { state: 'available' }
  | { state: 'unavailable'; message: string }
  | { state: 'unknown'; message: string };

/** Asks the homeserver whether a username is free, a moment after the user stops typing. */
export function useUsernameCheck(homeserver: string, username: string, delayMs = 350): UsernameStatus {
  const [status, setStatus] = useState<UsernameStatus>({ state: 'idle' });
  useEffect(() => {
    const name = username.trim();
    if (!name || !homeserver.trim()) {
      setStatus({ state: 'idle' });
      return;
    }
    let live = true;
    setStatus({ state: 'checking' });
    const timer = setTimeout(async () => {
      try {
        const result = await checkUsername(await discoverHomeserver(homeserver), name);
        if (live) setStatus(result);
      } catch (error) {
        if (live)
          setStatus({
            state: 'unknown',
            message: t('errors.withContext', { context: t('portable.username.checkFailed'), text: (error as Error).message }),
          });
      }
    }, delayMs);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [homeserver, username, delayMs]);
  return status;
}
