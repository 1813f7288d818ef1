// User-interactive auth for what the spec guards (signing out other sessions, changing the password,
// deactivating): the password again, or for a portable account a fresh proof of its account key, made here from
// the recovery key (which never leaves this browser).
import { useEffect, useState, type FormEvent } from 'react';
import type { AuthDict, MatrixClient } from 'matrix-js-sdk';
import { t, msg, type Message } from '../../i18n';
import { inputClass } from '../../ui/controls';
import { describeMatrixError } from '../../matrix/errors';
import { proveAccountKey } from '../portable/accountKeyAuth';
import { readRecoveryKeyField } from '../portable/recoveryKeyInput';
import { RecoveryKeyField } from '../portable/RecoveryKeyField';
import { secretMatchesAccountKey } from '../portable/MemberRootPrompt';
import { portableStatus, type PortableStatus } from '../portable/portableRooms';

export type Reauth = { kind: 'password'; password: string } | { kind: 'recovery-key'; secret: Uint8Array };

/** Whether this account is portable (undefined while asking). */
export function usePortableStatus(client: MatrixClient): PortableStatus | undefined {
  const [status, setStatus] = useState<PortableStatus>();
  useEffect(() => {
    let live = true;
    portableStatus(client).then(
      (s) => live && setStatus(s),
      () => live && setStatus({ portable: false }),
    );
    return () => {
      live = false;
    };
  }, [client]);
  return status;
}

const serverOf = (userId: string) => userId.slice(userId.indexOf(':') + 1);

/** What was typed, as a Reauth, or why it will not do. */
export function readReauth(status: PortableStatus, typed: string): Reauth | { problem: Message } {
  if (!status.portable) return typed ? { kind: 'password', password: typed } : { problem: msg('settings.reauth.passwordEmpty') };
  const field = readRecoveryKeyField(typed);
  if (field.state !== 'valid') return { problem: field.state === 'empty' ? msg('portable.key.empty') : msg('settings.reauth.badKey') };
  if (!secretMatchesAccountKey(field.secret, status.accountKey)) return { problem: msg('settings.reauth.otherKey') };
  return { kind: 'recovery-key', secret: field.secret };
}

async function authDict(client: MatrixClient, reauth: Reauth, session: string | undefined): Promise<AuthDict> {
  const userId = client.getSafeUserId();
  const withSession = session ? { session } : {};
  if (reauth.kind === 'password')
    return { type: 'm.login.password', identifier: { type: 'm.id.user', user: userId }, password: reauth.password, ...withSession };
  const proof = await proveAccountKey({ baseUrl: client.baseUrl, serverName: serverOf(userId) }, reauth.secret);
  return { ...proof, ...withSession } as unknown as AuthDict;
}

/**
 * Runs a request behind user-interactive auth the spec's way: first without `auth`, which answers 401 with the
 * flows and a session, then again with the credentials for that session.
 */
export async function withReauth<T>(client: MatrixClient, reauth: Reauth, run: (auth?: AuthDict) => Promise<T>): Promise<T> {
  try {
    return await run(undefined);
  } catch (error) {
    const e = error as { httpStatus?: number; data?: { flows?: unknown; session?: unknown } };
    if (e.httpStatus !== 401 || !Array.isArray(e.data?.flows)) throw error;
    const session = typeof e.data?.session === 'string' ? e.data.session : undefined;
    try {
      return await run(await authDict(client, reauth, session));
    } catch (second) {
      if ((second as { httpStatus?: number }).httpStatus === 401) throw new ReauthRefused(reauth.kind);
      throw second;
    }
  }
}

/** The server did not take the password or the account-key proof. */
export class ReauthRefused extends Error {
  constructor(readonly kind: Reauth['kind']) {
    super(`the server refused the ${kind}`);
  }
}

/** An error of a guarded request, in words: a refused password or recovery key said as such. */
export function describeReauthError(error: unknown, context: string): string {
  if (error instanceof ReauthRefused) return t(error.kind === 'password' ? 'settings.reauth.wrongPassword' : 'settings.reauth.keyRefused');
  return describeMatrixError(error, context);
}

/** The password field, or for a portable account the recovery-key field. */
/**
 * A dialog's form that asks for the password or the recovery key again, then runs `action` with the answer.
 * `typed`/`setTyped` feed a ReauthField; `failed` words the error when the server refuses.
 */
export function useReauthForm(client: MatrixClient, status: PortableStatus, action: (auth?: AuthDict) => Promise<void>, failed: string) {
  const [typed, setTyped] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  async function submit(event: FormEvent) {
    event.preventDefault();
    const reauth = readReauth(status, typed);
    if ('problem' in reauth) return setError(t(reauth.problem));
    setBusy(true);
    setError(undefined);
    try {
      await withReauth(client, reauth, action);
    } catch (err) {
      setError(describeReauthError(err, failed));
      setBusy(false);
    }
  }
  return { typed, setTyped, busy, error, submit };
}

export function ReauthField({
  status,
  value,
  onChange,
  autoFocus = false,
}: {
  status: PortableStatus;
  value: string;
  onChange: (value: string) => void;
  autoFocus?: boolean;
}) {
  if (status.portable) return <RecoveryKeyField value={value} onChange={onChange} autoFocus={autoFocus} />;
  return (
    <label className="block space-y-1">
      <span className="text-sm">{t('settings.reauth.password')}</span>
      <input
        className={inputClass}
        type="password"
        autoComplete="current-password"
        value={value}
        autoFocus={autoFocus}
        onChange={(e) => onChange(e.target.value)}
      />
    </label>
  );
}
