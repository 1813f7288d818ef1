import { lazy, Suspense, useState, type FormEvent } from 'react';
import { discoverHomeserver, HomeserverError } from '../../matrix/homeserver';
import { loginWithPassword, registerWithPassword } from '../../matrix/auth';
import { MatrixHttpError } from '../../matrix/http';
import { describeMatrixError } from '../../matrix/errors';
import { sessionStore, useSession } from '../../state/sessionStore';
import { inputClass, primaryButton, secondaryButton } from '../../ui/controls';

// Behind their buttons, with their key crypto: not part of the first screen's download.
const CreatePortableIdentity = lazy(() => import('../portable/CreatePortableIdentity').then((m) => ({ default: m.CreatePortableIdentity })));
const PortableSignIn = lazy(() => import('../portable/PortableSignIn').then((m) => ({ default: m.PortableSignIn })));

type Mode = 'sign-in' | 'register';

/** The first screen: homeserver, username and password; registration where the server allows it. */
export function SignInScreen() {
  const [mode, setMode] = useState<Mode>('sign-in');
  const [homeserver, setHomeserver] = useState('alpha.localhost:8481');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState<string | undefined>();
  const [error, setError] = useState<string | undefined>();
  const notice = useSession((s) => s.notice);
  const [portable, setPortable] = useState<'recovery-key' | 'create'>();

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    setError(undefined);
    if (!username.trim() || !password) {
      setError('Enter your username and password.');
      return;
    }
    try {
      setBusy('Finding your homeserver…');
      const baseUrl = await discoverHomeserver(homeserver);
      setBusy(mode === 'sign-in' ? 'Signing in…' : 'Creating your account…');
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
        <Suspense fallback={<p role="status" className="text-subtle">Loading…</p>}>
          <Screen initialHomeserver={homeserver} onBack={() => setPortable(undefined)} />
        </Suspense>
      </main>
    );
  }

  const title = mode === 'sign-in' ? 'Sign in to Wayfarer' : 'Create an account';
  return (
    <main className="flex min-h-screen items-center justify-center p-4">
      <form onSubmit={onSubmit} className="w-full max-w-sm space-y-4 rounded-xl p-1 sm:border sm:border-line sm:p-8 sm:shadow-sm" aria-labelledby="sign-in-title" noValidate>
        <div className="space-y-1">
          <p className="text-sm font-medium tracking-wide text-accent">Wayfarer</p>
          <h1 id="sign-in-title" className="text-2xl font-semibold">
            {title}
          </h1>
          <p className="text-sm text-subtle">Chat on any Matrix homeserver.</p>
        </div>
        {notice && (
          <p role="status" className="rounded-md bg-warning-surface p-3 text-sm text-warning-fg">
            {notice}
          </p>
        )}
        <label className="block space-y-1">
          <span className="text-sm">Homeserver</span>
          <input className={inputClass} value={homeserver} autoComplete="url" spellCheck={false} onChange={(e) => setHomeserver(e.target.value)} />
        </label>
        <label className="block space-y-1">
          <span className="text-sm">Username</span>
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
          <span className="text-sm">Password</span>
          <input
            className={inputClass}
            type="password"
            value={password}
            autoComplete={mode === 'sign-in' ? 'current-password' : 'new-password'}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {error && (
          <p role="alert" className="rounded-md bg-danger-surface p-3 text-sm text-danger-fg">
            {error}
          </p>
        )}
        <button type="submit" disabled={!!busy} className={`w-full ${primaryButton}`}>
          {mode === 'sign-in' ? 'Sign in' : 'Create account'}
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
            setError(undefined);
          }}
        >
          {mode === 'sign-in' ? 'Create an account instead' : 'I already have an account'}
        </button>
        <div className="space-y-2 border-t border-line pt-4">
          <p className="text-sm text-muted">Or use an identity that belongs to you, not to a server:</p>
          <button type="button" className={`w-full ${secondaryButton}`} onClick={() => setPortable('recovery-key')}>
            Use a recovery key
          </button>
          <button type="button" className={`w-full ${secondaryButton}`} onClick={() => setPortable('create')}>
            Create a portable identity
          </button>
        </div>
      </form>
    </main>
  );
}
