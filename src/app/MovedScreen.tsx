// The full screen a session of an account that moved away shows (PROTOCOL.md §7 step 6): where the account went,
// and the two ways on: sign in there with the recovery key, or sign out. Never a bare permission error.
import { useEffect, useState } from 'react';
import { SESSION_CHANNEL } from '../state/sessionStore';
import { primaryButton, secondaryButton } from '../ui/controls';
import { serverNameOf } from '../protocol/ids';
import { t } from '../i18n';

/**
 * `onOtherTab` follows another tab of this browser that signed in meanwhile (the tab that ran the move, once "Done"):
 * checked when the screen shows and whenever a tab announces a sign-in.
 */
export function MovedScreen({
  movedTo,
  onLeave,
  onOtherTab,
}: {
  movedTo: string;
  onLeave: (signInThere: boolean) => Promise<void>;
  onOtherTab: () => Promise<boolean>;
}) {
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    void onOtherTab();
    if (typeof BroadcastChannel === 'undefined') return;
    const channel = new BroadcastChannel(SESSION_CHANNEL);
    channel.onmessage = () => void onOtherTab();
    return () => channel.close();
  }, [onOtherTab]);
  const leave = (signInThere: boolean) => {
    setBusy(true);
    void onLeave(signInThere).finally(() => setBusy(false));
  };
  return (
    <main className="flex min-h-screen items-center justify-center p-4">
      <section
        role="alertdialog"
        aria-labelledby="moved-title"
        aria-describedby="moved-text"
        className="w-full max-w-md space-y-4 rounded-xl p-1 sm:border sm:border-line sm:p-8 sm:shadow-sm"
      >
        <p className="text-sm font-medium tracking-wide text-accent">{t('app.name')}</p>
        <h1 id="moved-title" className="text-2xl font-semibold">
          {t('moved.title', { userId: movedTo })}
        </h1>
        <p id="moved-text" className="text-subtle">
          {t('moved.text', { userId: movedTo, server: serverNameOf(movedTo) ?? movedTo })}
        </p>
        <div className="flex flex-wrap gap-2">
          <button className={primaryButton} disabled={busy} onClick={() => leave(true)} autoFocus>
            {t('moved.signInThere')}
          </button>
          <button className={secondaryButton} disabled={busy} onClick={() => leave(false)}>
            {t('moved.signOut')}
          </button>
        </div>
      </section>
    </main>
  );
}
