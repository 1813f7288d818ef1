// Your account: change the password (password accounts; a portable one signs in with its recovery key and has
// none) and deactivate, which asks for the password or recovery key and says what cannot be undone first.
import { useState, type FormEvent } from 'react';
import { t } from '../../i18n';
import { useClient } from '../../ui/clientContext';
import { Dialog, FormError } from '../../ui/Dialog';
import { inputClass, primaryButton, secondaryButton } from '../../ui/controls';
import { newPasswordProblem, preloadPasswordCheck } from '../account/passwordStrength';
import { describeReauthError, ReauthField, usePortableStatus, useReauthForm, withReauth } from './reauth';

export function AccountSection({ onSignOut }: { onSignOut(): Promise<void> }) {
  const client = useClient();
  const status = usePortableStatus(client);
  const [deactivating, setDeactivating] = useState(false);
  return (
    <div className="space-y-6">
      <p className="text-sm">
        {t('settings.account.signedInAs')} <span className="font-mono">{client.getUserId()}</span>
      </p>
      {status && !status.portable && <ChangePassword />}
      {status?.portable && (
        <section aria-labelledby="password-title" className="space-y-1">
          <h3 id="password-title" className="font-medium">
            {t('settings.password.title')}
          </h3>
          <p className="text-sm text-subtle">{t('settings.password.portable')}</p>
        </section>
      )}
      <section aria-labelledby="deactivate-title" className="space-y-2 rounded-md border border-danger-line p-3">
        <h3 id="deactivate-title" className="font-medium text-danger">
          {t('settings.deactivate.title')}
        </h3>
        <p className="text-sm">{t('settings.deactivate.intro')}</p>
        <button type="button" className={`text-sm ${secondaryButton} text-danger`} disabled={!status} onClick={() => setDeactivating(true)}>
          {t('settings.deactivate.open')}
        </button>
      </section>
      {deactivating && status && <DeactivateDialog status={status} onClose={() => setDeactivating(false)} onDone={onSignOut} />}
    </div>
  );
}

function ChangePassword() {
  const client = useClient();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeated, setRepeated] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [done, setDone] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setDone(false);
    if (!current) return setError(t('settings.reauth.passwordEmpty'));
    setBusy(true);
    setError(undefined);
    try {
      const userId = client.getSafeUserId();
      const problem = await newPasswordProblem(next, repeated, [userId.slice(1, userId.indexOf(':')), userId]);
      if (problem) return setError(t(problem));
      await withReauth(client, { kind: 'password', password: current }, (auth) => client.setPassword(auth ?? ({} as never), next, true));
      setCurrent('');
      setNext('');
      setRepeated('');
      setDone(true);
    } catch (err) {
      setError(describeReauthError(err, t('settings.password.failed')));
    } finally {
      setBusy(false);
    }
  }

  const field = (label: string, value: string, set: (v: string) => void, autoComplete: string) => (
    <label className="block space-y-1">
      <span className="text-sm">{label}</span>
      <input
        className={inputClass}
        type="password"
        value={value}
        autoComplete={autoComplete}
        onFocus={preloadPasswordCheck}
        onChange={(e) => set(e.target.value)}
      />
    </label>
  );
  return (
    <section aria-labelledby="password-title" className="space-y-2">
      <h3 id="password-title" className="font-medium">
        {t('settings.password.title')}
      </h3>
      <form className="max-w-sm space-y-2" onSubmit={submit} noValidate>
        {field(t('settings.password.current'), current, setCurrent, 'current-password')}
        {field(t('settings.password.new'), next, setNext, 'new-password')}
        {field(t('settings.password.repeat'), repeated, setRepeated, 'new-password')}
        <p className="text-xs text-subtle">{t('settings.password.othersSignedOut')}</p>
        <FormError error={error} />
        {done && (
          <p role="status" className="text-sm text-success">
            {t('settings.password.changed')}
          </p>
        )}
        <button type="submit" className={primaryButton} disabled={busy}>
          {busy ? t('settings.password.changing') : t('settings.password.submit')}
        </button>
      </form>
    </section>
  );
}

function DeactivateDialog({
  status,
  onClose,
  onDone,
}: {
  status: NonNullable<ReturnType<typeof usePortableStatus>>;
  onClose: () => void;
  onDone: () => Promise<void>;
}) {
  const client = useClient();
  // The spec's `erase`: whoever joins a room later is shown these messages removed; who saw them keeps them.
  const [erase, setErase] = useState(false);
  const { typed, setTyped, busy, error, submit } = useReauthForm(
    client,
    status,
    async (auth) => {
      await client.deactivateAccount(auth, erase);
      await onDone();
    },
    t('settings.deactivate.failed'),
  );
  return (
    <Dialog title={t('settings.deactivate.confirmTitle')} onClose={onClose}>
      <form className="space-y-3" onSubmit={submit} noValidate>
        <p className="text-sm">{t('settings.deactivate.consequences')}</p>
        <ReauthField status={status} value={typed} onChange={setTyped} autoFocus />
        <label className="flex items-start gap-2 text-sm">
          <input
            type="checkbox"
            className="mt-1"
            checked={erase}
            onChange={(e) => setErase(e.target.checked)}
            aria-describedby="deactivate-erase-detail"
          />
          <span>
            {t('settings.deactivate.erase')}
            <span id="deactivate-erase-detail" className="block text-xs text-subtle">
              {t('settings.deactivate.eraseDetail')}
            </span>
          </span>
        </label>
        <FormError error={error} />
        <div className="flex justify-end gap-2">
          <button type="button" className={secondaryButton} onClick={onClose}>
            {t('common.cancel')}
          </button>
          <button
            type="submit"
            className="rounded-md bg-red-600 px-3 py-2 font-medium text-white hover:bg-red-500 disabled:opacity-50"
            disabled={busy}
          >
            {busy ? t('settings.deactivate.busy') : t('settings.deactivate.submit')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
