import { useState, type FormEvent } from 'react';
import { t } from '../../i18n';
import { discoverHomeserver, HomeserverError } from '../../matrix/homeserver';
import { MatrixHttpError } from '../../matrix/http';
import { primaryButton, secondaryButton } from '../../ui/controls';
import {
  loginWithAccountKey,
  registerWithAccountKey,
  serverNameFromInput,
  isUnknownAccountKey,
  type HomeserverAddress,
} from './accountKeyAuth';
import { finishPortableSignIn } from './finishSignIn';
import { FormFeedback } from './FormFeedback';
import { HomeserverField } from './HomeserverField';
import { readRecoveryKeyField } from './recoveryKeyInput';
import { RecoveryKeyField } from './RecoveryKeyField';
import { SharedComputerCheckbox } from './SharedComputerCheckbox';
import { UsernameField } from './UsernameField';
import { useUsernameCheck } from './useUsernameCheck';

const errorText = (error: unknown) =>
  error instanceof HomeserverError || error instanceof MatrixHttpError ? error.message : t('portable.unexpected', { error: String(error) });

/**
 * Sign in by proving the recovery key. When the server has no account for it, say so and offer another server first:
 * a new account there is only an explicit second choice, so a forgotten server field never makes a second account.
 */
export function PortableSignIn({ initialHomeserver, onBack }: { initialHomeserver: string; onBack: () => void }) {
  const [homeserver, setHomeserver] = useState(initialHomeserver);
  const [recoveryKey, setRecoveryKey] = useState('');
  const [sharedComputer, setSharedComputer] = useState(false);
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();
  const [missing, setMissing] = useState<{ server: HomeserverAddress; secret: Uint8Array }>();
  const [bring, setBring] = useState<{ server: HomeserverAddress; secret: Uint8Array }>();
  const [changingServer, setChangingServer] = useState(false);
  const [username, setUsername] = useState('');
  const usernameStatus = useUsernameCheck(bring ? homeserver : '', username);

  async function signIn(event: FormEvent) {
    event.preventDefault();
    setTried(true);
    setError(undefined);
    const field = readRecoveryKeyField(recoveryKey);
    if (field.state !== 'valid') return;
    try {
      setBusy(t('login.finding'));
      const server = { baseUrl: await discoverHomeserver(homeserver), serverName: serverNameFromInput(homeserver) };
      setBusy(t('portable.proving'));
      try {
        const session = await loginWithAccountKey(server, field.secret);
        await finishPortableSignIn(session, field.secret, sharedComputer);
      } catch (err) {
        if (!isUnknownAccountKey(err)) throw err;
        setMissing({ server, secret: field.secret });
      }
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(undefined);
    }
  }

  async function bringHere(event: FormEvent) {
    event.preventDefault();
    if (!bring) return;
    if (!username.trim()) return setError(t('portable.chooseUsernameHere'));
    setError(undefined);
    try {
      setBusy(t('login.creating'));
      const session = await registerWithAccountKey(bring.server, bring.secret, username);
      await finishPortableSignIn(session, bring.secret, sharedComputer);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(undefined);
    }
  }

  if (missing && !bring) {
    const name = missing.server.serverName;
    return (
      <section
        className="w-full max-w-md space-y-4 rounded-xl p-1 sm:border sm:border-line sm:p-8 sm:shadow-sm"
        aria-labelledby="no-account-title"
      >
        <h1 id="no-account-title" className="text-2xl font-semibold">
          {t('portable.noAccount', { server: name })}
        </h1>
        <p className="text-sm text-muted">{t('portable.noAccountIntro', { server: name })}</p>
        <button
          type="button"
          autoFocus
          className={`w-full ${primaryButton}`}
          onClick={() => (setMissing(undefined), setChangingServer(true))}
        >
          {t('portable.tryAnotherServer')}
        </button>
        <div className="space-y-1 border-t border-line pt-4">
          <button type="button" className={`w-full ${secondaryButton}`} onClick={() => setBring(missing)}>
            {t('portable.createHere')}
          </button>
          <p className="text-xs text-subtle">{t('portable.createHereHelp', { server: name })}</p>
        </div>
      </section>
    );
  }

  if (bring) {
    const name = bring.server.serverName;
    return (
      <form
        onSubmit={bringHere}
        className="w-full max-w-md space-y-4 rounded-xl p-1 sm:border sm:border-line sm:p-8 sm:shadow-sm"
        aria-labelledby="bring-title"
        noValidate
      >
        <h1 id="bring-title" className="text-2xl font-semibold">
          {t('portable.bring', { server: name })}
        </h1>
        <p className="text-sm text-muted">{t('portable.bringIntro', { server: name })}</p>
        <UsernameField value={username} onChange={setUsername} status={usernameStatus} />
        <FormFeedback error={error} busy={busy} />
        <button type="submit" disabled={!!busy || usernameStatus.state === 'unavailable'} className={`w-full ${primaryButton}`}>
          {t('portable.bring', { server: name })}
        </button>
        <button type="button" className={`w-full ${secondaryButton}`} onClick={() => (setBring(undefined), setError(undefined))}>
          {t('common.back')}
        </button>
      </form>
    );
  }

  return (
    <form
      onSubmit={signIn}
      className="w-full max-w-md space-y-4 rounded-xl p-1 sm:border sm:border-line sm:p-8 sm:shadow-sm"
      aria-labelledby="recovery-sign-in-title"
      noValidate
    >
      <h1 id="recovery-sign-in-title" className="text-2xl font-semibold">
        {t('portable.signInTitle')}
      </h1>
      <p className="text-sm text-muted">{t('portable.signInIntro')}</p>
      <HomeserverField value={homeserver} onChange={setHomeserver} autoFocus={changingServer} />
      <RecoveryKeyField value={recoveryKey} onChange={setRecoveryKey} strict={tried} autoFocus={!changingServer} />
      <SharedComputerCheckbox checked={sharedComputer} onChange={setSharedComputer} />
      <FormFeedback error={error} busy={busy} />
      <button type="submit" disabled={!!busy} className={`w-full ${primaryButton}`}>
        {t('portable.signIn')}
      </button>
      <button type="button" className={`w-full ${secondaryButton}`} onClick={onBack}>
        {t('portable.backToPassword')}
      </button>
    </form>
  );
}
