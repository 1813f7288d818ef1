// Encryption settings (Settings → Encryption): whether this device is verified and its keys backed up; for an account without recovery (a
// password account), setting it up Element's way (a recovery key shown once, the password confirms the cross-signing
// keys' upload); for a device not yet verified, verifying it with the recovery key, which also restores the key backup.
// A portable identity's recovery key is this same key: it signs in, and unlocks encryption (matrix/oneKey.ts).
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { AuthDict } from 'matrix-js-sdk';
import { CryptoEvent } from 'matrix-js-sdk/lib/crypto-api/CryptoEvent.js';
import { t } from '../../i18n';
import { useClient } from '../../ui/clientContext';
import { FormError } from '../../ui/Dialog';
import { inputClass, primaryButton, secondaryButton } from '../../ui/controls';
import { encodeRecoveryKey, generateRecoverySecret, ACCOUNT_KEY_LOGIN_TYPE } from '../../protocol';
import { secretStorageUnlockOf, uploadDeviceSigningKeysAuth } from '../../matrix/crypto';
import { setUpOneKey, type AuthAnswer } from '../../matrix/oneKey';
import { describeMatrixError } from '../../matrix/errors';
import { RecoveryKeyField } from '../portable/RecoveryKeyField';
import { readRecoveryKeyField, recoveryKeyGroups } from '../portable/recoveryKeyInput';
import { proveAccountKey } from '../portable/accountKeyAuth';
import { serverNameOf } from '../../protocol/ids';
import { VerifyOtherSession } from './SasVerification';

interface Status {
  running: boolean;
  deviceVerified: boolean;
  hasRecovery: boolean;
  backupVersion: string | null;
}

function useEncryptionStatus(): [Status | undefined, () => void] {
  const client = useClient();
  const [status, setStatus] = useState<Status>();
  const [round, setRound] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new round reads the status again
  useEffect(() => {
    let live = true;
    const crypto = client.getCrypto();
    if (!crypto) {
      setStatus({ running: false, deviceVerified: false, hasRecovery: false, backupVersion: null });
      return;
    }
    void (async () => {
      const device = await crypto.getDeviceVerificationStatus(client.getSafeUserId(), client.getDeviceId() ?? '');
      const next: Status = {
        running: true,
        deviceVerified: device?.crossSigningVerified ?? false,
        hasRecovery: await client.secretStorage.hasKey(),
        backupVersion: await crypto.getActiveSessionBackupVersion(),
      };
      if (live) setStatus(next);
    })();
    return () => {
      live = false;
    };
  }, [client, round]);
  // Trust changes without any action here (another session signs this device, the key backup turns on): look again.
  useEffect(() => {
    const again = () => setRound((n) => n + 1);
    const events = [
      CryptoEvent.UserTrustStatusChanged,
      CryptoEvent.DevicesUpdated,
      CryptoEvent.KeyBackupStatus,
      CryptoEvent.KeysChanged,
    ] as const;
    for (const event of events) client.on(event as never, again as never);
    return () => {
      for (const event of events) client.off(event as never, again as never);
    };
  }, [client]);
  return [status, useCallback(() => setRound((n) => n + 1), [])];
}

/** The cross-signing upload's user-interactive auth: the account-key proof (portable), else the password typed here. */
function authAnswer(client: ReturnType<typeof useClient>, password: string, secret: Uint8Array | undefined): AuthAnswer {
  return async ({ stages }) => {
    const offers = (stage: string) => stages.some((flow) => flow.length === 1 && flow[0] === stage);
    const serverName = serverNameOf(client.getSafeUserId());
    if (offers(ACCOUNT_KEY_LOGIN_TYPE) && secret && serverName)
      return { ...(await proveAccountKey({ baseUrl: client.baseUrl, serverName }, secret)) } as AuthDict;
    if (offers('m.login.password') && password)
      return { type: 'm.login.password', identifier: { type: 'm.id.user', user: client.getSafeUserId() }, password } as AuthDict;
    return undefined;
  };
}

/** The account password, asked again to confirm a change to this account's encryption. */
function PasswordField({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  return (
    <label className="block space-y-1">
      <span className="text-sm">{t('encryption.password')}</span>
      <input
        type="password"
        className={inputClass}
        value={value}
        autoComplete="current-password"
        onChange={(e) => onChange(e.target.value)}
      />
    </label>
  );
}

/** Back to the overview, and the form's submit (busy while it runs; red for what can't be undone). */
function FormActions({
  onBack,
  busy,
  disabled = false,
  submit,
  danger = false,
}: {
  onBack: () => void;
  busy: boolean;
  disabled?: boolean;
  submit: string;
  danger?: boolean;
}) {
  return (
    <div className="flex justify-end gap-2">
      <button type="button" className={secondaryButton} onClick={onBack}>
        {t('encryption.back')}
      </button>
      <button type="submit" className={danger ? `${primaryButton} bg-red-600 hover:bg-red-500` : primaryButton} disabled={disabled || busy}>
        {busy ? t('encryption.busy') : submit}
      </button>
    </div>
  );
}

export function EncryptionPanel() {
  const client = useClient();
  const [status, refresh] = useEncryptionStatus();
  const [mode, setMode] = useState<'overview' | 'setup' | 'unlock' | 'sas' | 'reset'>('overview');
  const [newKey] = useState(() => encodeRecoveryKey(generateRecoverySecret()));
  const [saved, setSaved] = useState(false);
  const [password, setPassword] = useState('');
  const [typedKey, setTypedKey] = useState('');
  const [strict, setStrict] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();

  /** Runs a change with the form busy; `action` says what is done (back to the overview), or undefined on a refusal. */
  const act = async (action: () => Promise<string | undefined>) => {
    setBusy(true);
    setError(undefined);
    try {
      const doneText = await action();
      if (doneText === undefined) return;
      setDone(doneText);
      setMode('overview');
      refresh();
    } catch (err) {
      setError(describeMatrixError(err, t('encryption.failed')));
    } finally {
      setBusy(false);
    }
  };

  const run = async (secret: Uint8Array, ok: string) => {
    const unlock = secretStorageUnlockOf(client);
    if (!unlock) return setError(t('encryption.notRunning'));
    await act(async () => {
      const outcome = await setUpOneKey(client, unlock, secret, authAnswer(client, password, secret));
      if (outcome !== 'other-key') return ok;
      setError(t('encryption.wrongKey'));
      return undefined;
    });
  };

  // Element's "reset your identity", for one who lost the recovery key and every other device: new cross-signing keys
  // (others who pinned or verified the old identity are warned), secret storage and the key backup start over.
  const onReset = async (e: FormEvent) => {
    e.preventDefault();
    const crypto = client.getCrypto();
    if (!crypto) return setError(t('encryption.notRunning'));
    await act(async () => {
      await crypto.resetEncryption(uploadDeviceSigningKeysAuth(authAnswer(client, password, undefined)));
      return t('encryption.reset.done');
    });
  };

  const onSetUp = (e: FormEvent) => {
    e.preventDefault();
    const field = readRecoveryKeyField(newKey);
    if (field.state === 'valid') void run(field.secret, t('encryption.setUp.done'));
  };
  const onUnlock = (e: FormEvent) => {
    e.preventDefault();
    setStrict(true);
    const field = readRecoveryKeyField(typedKey);
    if (field.state === 'valid') void run(field.secret, t('encryption.unlock.done'));
  };

  return (
    <div className="space-y-3">
      {!status ? (
        <p role="status" className="text-sm text-subtle">
          {t('encryption.loading')}
        </p>
      ) : !status.running ? (
        <p className="text-sm">{t('encryption.notRunning')}</p>
      ) : mode === 'setup' ? (
        <form className="space-y-3" onSubmit={onSetUp}>
          <p className="text-sm">{t('encryption.setUp.intro')}</p>
          <p role="status" aria-label={t('encryption.setUp.keyLabel')} className="flex flex-wrap gap-x-2 font-mono text-sm">
            {recoveryKeyGroups(newKey).map((group, i) => (
              <span key={i}>{group}</span>
            ))}
          </p>
          <label className="flex items-center gap-2 text-sm">
            <input type="checkbox" checked={saved} onChange={(e) => setSaved(e.target.checked)} /> {t('encryption.setUp.saved')}
          </label>
          <PasswordField value={password} onChange={setPassword} />
          <FormError error={error} />
          <FormActions onBack={() => setMode('overview')} busy={busy} disabled={!saved} submit={t('encryption.setUp.submit')} />
        </form>
      ) : mode === 'unlock' ? (
        <form className="space-y-3" onSubmit={onUnlock} noValidate>
          <p className="text-sm">{t('encryption.unlock.intro')}</p>
          <RecoveryKeyField value={typedKey} onChange={setTypedKey} strict={strict} autoFocus />
          <FormError error={error} />
          <FormActions onBack={() => setMode('overview')} busy={busy} submit={t('encryption.unlock.submit')} />
        </form>
      ) : mode === 'reset' ? (
        <form className="space-y-3" onSubmit={(e) => void onReset(e)}>
          <p className="text-sm">{t('encryption.reset.intro')}</p>
          <PasswordField value={password} onChange={setPassword} />
          <FormError error={error} />
          <FormActions onBack={() => setMode('overview')} busy={busy} submit={t('encryption.reset.submit')} danger />
        </form>
      ) : mode === 'sas' ? (
        <VerifyOtherSession
          onDone={() => {
            setMode('overview');
            refresh();
          }}
        />
      ) : (
        <div className="space-y-3">
          {done && (
            <p role="status" className="text-sm text-success">
              {done}
            </p>
          )}
          <ul className="space-y-1 text-sm">
            <li>{status.deviceVerified ? t('encryption.device.verified') : t('encryption.device.unverified')}</li>
            <li>{status.backupVersion ? t('encryption.backup.on') : t('encryption.backup.off')}</li>
          </ul>
          <FormError error={error} />
          <div className="flex flex-wrap justify-end gap-2">
            {!status.hasRecovery && (
              <button type="button" className={primaryButton} onClick={() => setMode('setup')}>
                {t('encryption.setUp.start')}
              </button>
            )}
            {status.hasRecovery && !status.deviceVerified && (
              <button type="button" className={primaryButton} onClick={() => setMode('unlock')}>
                {t('encryption.unlock.start')}
              </button>
            )}
            {!status.deviceVerified && (
              <button type="button" className={secondaryButton} onClick={() => setMode('sas')}>
                {t('encryption.sas.start')}
              </button>
            )}
            {(status.hasRecovery || status.deviceVerified) && (
              <button
                type="button"
                className={secondaryButton}
                onClick={() => {
                  setError(undefined);
                  setDone(undefined);
                  setMode('reset');
                }}
              >
                {t('encryption.reset.start')}
              </button>
            )}
          </div>
        </div>
      )}
    </div>
  );
}
