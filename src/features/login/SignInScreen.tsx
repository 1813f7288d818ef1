import { lazy, Suspense, useState, type FormEvent } from 'react';
import { discoverHomeserver, HomeserverError } from '../../matrix/homeserver';
import { loginWithPassword, registerWithPassword } from '../../matrix/auth';
import { newPasswordProblem, preloadPasswordCheck } from '../account/passwordStrength';
import { MatrixHttpError } from '../../matrix/http';
import { describeMatrixError } from '../../matrix/errors';
import { sessionStore, useSession } from '../../state/sessionStore';
import { inputClass, primaryButton, secondaryButton } from '../../ui/controls';
import { msg, t, withCatalogue } from '../../i18n';

// Behind their buttons, with their key crypto: not part of the first screen's download.
const CreatePortableIdentity = lazy(
  withCatalogue(() => import('../portable/CreatePortableIdentity').then((m) => ({ default: m.CreatePortableIdentity }))),
);
const PortableSignIn = lazy(withCatalogue(() => import('../portable/PortableSignIn').then((m) => ({ default: m.PortableSignIn }))));

type Mode = 'sign-in' | 'register';

/** The first screen: homeserver, username and password; registration where the server allows it. */
export function SignInScreen() {
  // After a session ended with a hint (the account moved: its new server, with the recovery key), start there.
  const hint = useSession((s) => s.signInHint);
  const [mode, setMode] = useState<Mode>('sign-in');
  const [homeserver, setHomeserver] = useState(hint?.homeserver ?? 'alpha.localhost:8481');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [repeated, setRepeated] = useState('');
  const [busy, setBusy] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const notice = useSession((s) => s.notice);
  const [portable, setPortable] = useState<'recovery-key' | 'create' | undefined>(hint?.recoveryKey ? 'recovery-key' : undefined);

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    if (!username.trim() || !password) {
      setError(t('login.missing'));
      return;
    }
    if (mode === 'register') {
      setBusy(t('password.checking'));
      let problem: Awaited<ReturnType<typeof newPasswordProblem>>;
      try {
        problem = await newPasswordProblem(password, repeated, [username, homeserver]);
      } catch {
        // The checker didn't load (offline, a new build deployed): say so rather than take an unchecked password.
        problem = msg('password.checkFailed');
      }
      setBusy(undefined);
      if (problem) return setError(t(problem));
    }
    try {
      setBusy(t('login.finding'));
      const baseUrl = await discoverHomeserver(homeserver);
      setBusy(mode === 'sign-in' ? t('login.signingIn') : t('login.creating'));
      const session =
        mode === 'sign-in' ? await loginWithPassword(baseUrl, username, password) : await registerWithPassword(baseUrl, username, password);
      await sessionStore.getState().signedIn(session);
    } catch (err) {
      // Sign-in failures come with their words (MatrixHttpError); anything else is described here.
      setError(err instanceof HomeserverError || err instanceof MatrixHttpError ? err.message : describeMatrixError(err));
    } finally {
      setBusy(undefined);
    }
  }

  if (portable) {
    const Screen = portable === 'create' ? CreatePortableIdentity : PortableSignIn;
    return (
      <main className="flex min-h-screen items-center justify-center p-4">
        <Suspense
          fallback={
            <p role="status" className="text-subtle">
              {t('common.loading')}
            </p>
          }
        >
          <Screen initialHomeserver={homeserver} onBack={() => setPortable(undefined)} />
        </Suspense>
      </main>
    );
  }

  const title = mode === 'sign-in' ? t('login.title') : t('login.registerTitle');
  return (
    <main className="flex min-h-screen items-center justify-center p-4">
      <form
        onSubmit={onSubmit}
        className="w-full max-w-sm space-y-4 rounded-xl p-1 sm:border sm:border-line sm:p-8 sm:shadow-sm"
        aria-labelledby="sign-in-title"
        noValidate
      >
        <div className="space-y-1">
          <p className="text-sm font-medium tracking-wide text-accent">{t('app.name')}</p>
          <h1 id="sign-in-title" className="text-2xl font-semibold">
            {title}
          </h1>
          <p className="text-sm text-subtle">{t('login.tagline')}</p>
        </div>
        {notice && (
          <p role="status" className="rounded-md bg-warning-surface p-3 text-sm text-warning-fg">
            {notice}
          </p>
        )}
        <label className="block space-y-1">
          <span className="text-sm">{t('login.homeserver')}</span>
          <input
            className={inputClass}
            value={homeserver}
            autoComplete="url"
            spellCheck={false}
            onChange={(e) => setHomeserver(e.target.value)}
          />
        </label>
        <label className="block space-y-1">
          <span className="text-sm">{t('login.username')}</span>
          <input
            className={inputClass}
            value={username}
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            onChange={(e) => setUsername(e.target.value)}
          />
        </label>
        <label className="block space-y-1">
          <span className="text-sm">{t('login.password')}</span>
          <input
            className={inputClass}
            type="password"
            value={password}
            autoComplete={mode === 'sign-in' ? 'current-password' : 'new-password'}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {mode === 'register' && (
          <label className="block space-y-1">
            <span className="text-sm">{t('login.passwordRepeat')}</span>
            <input
              className={inputClass}
              type="password"
              value={repeated}
              autoComplete="new-password"
              onChange={(e) => setRepeated(e.target.value)}
            />
          </label>
        )}
        {error && (
          <p role="alert" className="rounded-md bg-danger-surface p-3 text-sm text-danger-fg">
            {error}
          </p>
        )}
        <button type="submit" disabled={!!busy} className={`w-full ${primaryButton}`}>
          {mode === 'sign-in' ? t('login.signIn') : t('login.register')}
        </button>
        {busy && (
          <p role="status" className="text-center text-sm text-subtle">
            {busy}
          </p>
        )}
        <button
          type="button"
          className={`w-full ${secondaryButton}`}
          onClick={() => {
            setMode(mode === 'sign-in' ? 'register' : 'sign-in');
            if (mode === 'sign-in') preloadPasswordCheck();
            setError(undefined);
          }}
        >
          {mode === 'sign-in' ? t('login.toRegister') : t('login.toSignIn')}
        </button>
        <div className="space-y-2 border-t border-line pt-4">
          <p className="text-sm text-muted">{t('login.portableIntro')}</p>
          <button type="button" className={`w-full ${secondaryButton}`} onClick={() => setPortable('recovery-key')}>
            {t('login.useRecoveryKey')}
          </button>
          <button type="button" className={`w-full ${secondaryButton}`} onClick={() => setPortable('create')}>
            {t('login.createPortable')}
          </button>
        </div>
      </form>
    </main>
  );
}
