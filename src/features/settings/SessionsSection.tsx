// Your sessions (the spec's devices): listed newest first with this one on top, renamed in place, and signed out
// one by one or all the others at once, behind user-interactive auth (password, or the recovery key).
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import type { IMyDevice } from 'matrix-js-sdk';
import { t } from '../../i18n';
import { useClient } from '../../ui/clientContext';
import { describeMatrixError } from '../../matrix/errors';
import { Dialog, DialogActions, FormError } from '../../ui/Dialog';
import { inputClass, secondaryButton } from '../../ui/controls';
import { ReauthField, usePortableStatus, useReauthForm } from './reauth';

const nameOf = (device: IMyDevice) => device.display_name?.trim() || device.device_id;

export function SessionsSection() {
  const client = useClient();
  const status = usePortableStatus(client);
  const [devices, setDevices] = useState<IMyDevice[]>();
  const [error, setError] = useState<string>();
  const [renaming, setRenaming] = useState<string>();
  const [signingOut, setSigningOut] = useState<IMyDevice[]>();
  const [done, setDone] = useState<string>();
  const mine = client.getDeviceId();

  const reload = useCallback(async () => {
    const { devices: all } = await client.getDevices();
    setDevices(
      [...all].sort((a, b) => Number(b.device_id === mine) - Number(a.device_id === mine) || (b.last_seen_ts ?? 0) - (a.last_seen_ts ?? 0)),
    );
  }, [client, mine]);

  // A list that can't be reloaded says so, rather than showing the old one as if current.
  const reloadOrSay = useCallback(
    () => reload().catch((err) => setError(describeMatrixError(err, t('settings.sessions.loadFailed')))),
    [reload],
  );
  useEffect(() => {
    void reloadOrSay();
  }, [reloadOrSay]);

  const others = devices?.filter((d) => d.device_id !== mine) ?? [];
  return (
    <div className="space-y-3">
      <p className="text-sm text-subtle">{t('settings.sessions.intro')}</p>
      <FormError error={error} />
      {done && (
        <p role="status" className="text-sm text-success">
          {done}
        </p>
      )}
      {!devices && !error && <p className="text-sm text-subtle">{t('common.loading')}</p>}
      {devices && (
        <ul aria-label={t('settings.sessions.list')} className="space-y-2">
          {devices.map((device) => (
            <li key={device.device_id} className="space-y-2 rounded-md border border-line p-3">
              {renaming === device.device_id ? (
                <RenameForm
                  device={device}
                  onDone={async (renamed) => {
                    setRenaming(undefined);
                    if (renamed) await reloadOrSay();
                  }}
                />
              ) : (
                <div className="flex flex-wrap items-center gap-2">
                  <div className="min-w-0 flex-1">
                    <p className="truncate font-medium">
                      <bdi>{nameOf(device)}</bdi>
                      {device.device_id === mine && (
                        <span className="ml-2 rounded bg-accent-surface px-1.5 py-0.5 text-xs text-accent-fg">
                          {t('settings.sessions.this')}
                        </span>
                      )}
                    </p>
                    <p className="truncate font-mono text-xs text-subtle">{device.device_id}</p>
                    {device.last_seen_ts !== undefined && (
                      <p className="text-xs text-subtle">
                        {t('settings.sessions.lastSeen', {
                          when: new Date(device.last_seen_ts).toLocaleString(),
                          ip: device.last_seen_ip ?? '—',
                        })}
                      </p>
                    )}
                  </div>
                  <button
                    type="button"
                    className={`text-sm ${secondaryButton}`}
                    aria-label={t('settings.sessions.rename', { name: nameOf(device) })}
                    onClick={() => setRenaming(device.device_id)}
                  >
                    {t('settings.sessions.renameShort')}
                  </button>
                  {device.device_id !== mine && (
                    <button
                      type="button"
                      className={`text-sm ${secondaryButton}`}
                      aria-label={t('settings.sessions.signOutOne', { name: nameOf(device) })}
                      onClick={() => setSigningOut([device])}
                    >
                      {t('settings.sessions.signOutShort')}
                    </button>
                  )}
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      {others.length > 0 && (
        <button type="button" className={`text-sm ${secondaryButton} text-danger`} onClick={() => setSigningOut(others)}>
          {t('settings.sessions.signOutOthers')}
        </button>
      )}
      {signingOut && status && (
        <SignOutDialog
          devices={signingOut}
          status={status}
          onClose={() => setSigningOut(undefined)}
          onDone={async (count) => {
            setSigningOut(undefined);
            setDone(t('settings.sessions.signedOut', { count }));
            await reloadOrSay();
          }}
        />
      )}
    </div>
  );
}

function RenameForm({ device, onDone }: { device: IMyDevice; onDone: (renamed: boolean) => void }) {
  const client = useClient();
  const [name, setName] = useState(device.display_name ?? '');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  async function save(event: FormEvent) {
    event.preventDefault();
    const wanted = name.trim();
    if (!wanted) return setError(t('settings.sessions.nameEmpty'));
    setBusy(true);
    try {
      await client.setDeviceDetails(device.device_id, { display_name: wanted.slice(0, 100) });
      onDone(true);
    } catch (err) {
      setError(describeMatrixError(err, t('settings.sessions.renameFailed')));
      setBusy(false);
    }
  }
  return (
    <form className="space-y-2" onSubmit={save} noValidate>
      <label className="block space-y-1">
        <span className="text-sm">{t('settings.sessions.name')}</span>
        <input
          className={inputClass}
          value={name}
          maxLength={100}
          autoFocus
          onChange={(e) => setName(e.target.value)}
          onKeyDown={(e) => e.key === 'Escape' && (e.preventDefault(), onDone(false))}
        />
      </label>
      <FormError error={error} />
      <DialogActions submit={t('settings.save')} busy={busy} onCancel={() => onDone(false)} />
    </form>
  );
}

function SignOutDialog({
  devices,
  status,
  onClose,
  onDone,
}: {
  devices: IMyDevice[];
  status: NonNullable<ReturnType<typeof usePortableStatus>>;
  onClose: () => void;
  onDone: (count: number) => void;
}) {
  const client = useClient();
  const { typed, setTyped, busy, error, submit } = useReauthForm(
    client,
    status,
    async (auth) => {
      const ids = devices.map((d) => d.device_id);
      await client.deleteMultipleDevices(ids, auth);
      onDone(ids.length);
    },
    t('settings.sessions.signOutFailed'),
  );
  return (
    <Dialog title={t('settings.sessions.signOutTitle', { count: devices.length })} onClose={onClose}>
      <form className="space-y-3" onSubmit={submit} noValidate>
        <p className="text-sm">{t(status.portable ? 'settings.sessions.confirmKey' : 'settings.sessions.confirmPassword')}</p>
        <ul className="list-disc pl-5 text-sm">
          {devices.map((d) => (
            <li key={d.device_id}>
              <bdi>{nameOf(d)}</bdi>
            </li>
          ))}
        </ul>
        <ReauthField status={status} value={typed} onChange={setTyped} autoFocus />
        <FormError error={error} />
        <DialogActions
          submit={t('settings.sessions.signOutSubmit')}
          busy={busy}
          busyLabel={t('settings.sessions.signingOut')}
          onCancel={onClose}
        />
      </form>
    </Dialog>
  );
}
