import { lazy, Suspense, useEffect } from 'react';
import { SignInScreen } from '../features/login/SignInScreen';
import { sessionStore, useSession } from '../state/sessionStore';
import { t, withCatalogue } from '../i18n';

// The signed-in app carries matrix-js-sdk: it loads only once someone is signed in.
const MainScreen = lazy(withCatalogue(() => import('./MainScreen')));

function Loading({ label }: { label: string }) {
  return (
    <div role="status" className="flex min-h-screen items-center justify-center text-subtle">
      {label}
    </div>
  );
}

export function App() {
  const phase = useSession((s) => s.phase);
  const session = useSession((s) => s.session);
  useEffect(() => {
    void sessionStore.getState().restore();
  }, []);
  if (phase === 'loading') return <Loading label={t('common.loading')} />;
  if (phase === 'signed-out' || !session) return <SignInScreen />;
  return (
    <Suspense fallback={<Loading label={t('app.openingRooms')} />}>
      <MainScreen key={session.accessToken} session={session} />
    </Suspense>
  );
}
