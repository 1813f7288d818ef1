import { useMemo, useState, type FormEvent } from 'react';
import { t } from '../../i18n';
import { encodeRecoveryKey, generateRecoverySecret } from '../../protocol';
import { discoverHomeserver, HomeserverError } from '../../matrix/homeserver';
import { MatrixHttpError } from '../../matrix/http';
import { inputClass, primaryButton, secondaryButton } from '../../ui/controls';
import { registerWithAccountKey, serverNameFromInput } from './accountKeyAuth';
import { finishPortableSignIn } from './finishSignIn';
import { FormFeedback } from './FormFeedback';
import { HomeserverField } from './HomeserverField';
import { pickConfirmationGroups, recoveryKeyFileText, recoveryKeyGroups } from './recoveryKeyInput';
import { SharedComputerCheckbox } from './SharedComputerCheckbox';
import { UsernameField } from './UsernameField';
import { useUsernameCheck } from './useUsernameCheck';

type Step = 'show' | 'confirm' | 'register';

/** Makes a new identity: show the recovery key, have it re-typed in part, then register with its account key. */
export function CreatePortableIdentity({ initialHomeserver, onBack }: { initialHomeserver: string; onBack: () => void }) {
  // crypto.getRandomValues, via the protocol core; the secret lives only in this component's memory.
  const [secret] = useState(generateRecoverySecret);
  const recoveryKey = useMemo(() => encodeRecoveryKey(secret), [secret]);
  const groups = useMemo(() => recoveryKeyGroups(recoveryKey), [recoveryKey]);
  const [step, setStep] = useState<Step>('show');

  return (
    <div className="w-full max-w-md space-y-4 rounded-xl p-1 sm:border sm:border-line sm:p-8 sm:shadow-sm">
      <h1 className="text-2xl font-semibold">{t('login.createPortable')}</h1>
      <ol className="flex gap-2 text-xs text-subtle" aria-label={t('migration.steps')}>
        {(['portable.step.save', 'portable.step.confirm', 'portable.step.server'] as const).map((label, i) => (
          <li
            key={label}
            aria-current={(['show', 'confirm', 'register'] as Step[])[i] === step ? 'step' : undefined}
            className="aria-[current=step]:font-semibold aria-[current=step]:text-accent"
          >
            {i + 1}. {t(label)}
          </li>
        ))}
      </ol>
      {step === 'show' && <ShowKey recoveryKey={recoveryKey} groups={groups} onSaved={() => setStep('confirm')} onBack={onBack} />}
      {step === 'confirm' && <ConfirmKey groups={groups} onConfirmed={() => setStep('register')} onShowAgain={() => setStep('show')} />}
      {step === 'register' && <RegisterIdentity secret={secret} initialHomeserver={initialHomeserver} onBack={() => setStep('show')} />}
    </div>
  );
}

function ShowKey({
  recoveryKey,
  groups,
  onSaved,
  onBack,
}: {
  recoveryKey: string;
  groups: string[];
  onSaved: () => void;
  onBack: () => void;
}) {
  const [copied, setCopied] = useState<string>();
  async function copy() {
    try {
      await navigator.clipboard.writeText(recoveryKey);
      setCopied(t('portable.copied'));
    } catch {
      setCopied(t('portable.copyBlocked'));
    }
  }
  function download() {
    const url = URL.createObjectURL(
      new Blob([recoveryKeyFileText(recoveryKey, new Date().toISOString().slice(0, 10))], { type: 'text/plain' }),
    );
    const link = document.createElement('a');
    link.href = url;
    link.download = 'wayfarer-recovery-key.txt';
    link.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
  return (
    <div className="space-y-4">
      <p className="text-sm text-muted">{t('portable.keyIsIdentity')}</p>
      <figure className="rounded-md border border-line-strong bg-surface-sunken p-3">
        <figcaption className="mb-2 text-sm font-medium">{t('portable.yourKey')}</figcaption>
        <output aria-label={t('portable.yourKey')} className="grid grid-cols-4 gap-x-3 gap-y-1 font-mono text-lg select-all">
          {groups.map((group, i) => (
            <span key={i} title={t('portable.group', { number: i + 1 })}>
              {group}
            </span>
          ))}
        </output>
      </figure>
      <div className="flex gap-2">
        <button type="button" className={`flex-1 ${secondaryButton}`} onClick={copy}>
          {t('portable.copyKey')}
        </button>
        <button type="button" className={`flex-1 ${secondaryButton}`} onClick={download}>
          {t('portable.download')}
        </button>
      </div>
      {copied && (
        <p role="status" className="text-sm text-muted">
          {copied}
        </p>
      )}
      <button type="button" className={`w-full ${primaryButton}`} onClick={onSaved}>
        {t('portable.saved')}
      </button>
      <button type="button" className={`w-full ${secondaryButton}`} onClick={onBack}>
        {t('common.cancel')}
      </button>
    </div>
  );
}

function ConfirmKey({ groups, onConfirmed, onShowAgain }: { groups: string[]; onConfirmed: () => void; onShowAgain: () => void }) {
  const [positions] = useState(() => pickConfirmationGroups(groups.length));
  const [typed, setTyped] = useState<[string, string]>(['', '']);
  const [error, setError] = useState<string>();
  function confirm(event: FormEvent) {
    event.preventDefault();
    const wrong = positions.filter((position, i) => typed[i]!.replace(/\s/g, '') !== groups[position]);
    if (wrong.length > 0) {
      setError(
        wrong.length > 1
          ? t('portable.groupsWrong', { first: wrong[0]! + 1, second: wrong[1]! + 1 })
          : t('portable.groupWrong', { number: wrong[0]! + 1 }),
      );
      return;
    }
    onConfirmed();
  }
  return (
    <form className="space-y-4" onSubmit={confirm} noValidate>
      <p className="text-sm text-muted">{t('portable.confirmIntro')}</p>
      <div className="flex gap-3">
        {positions.map((position, i) => (
          <label key={position} className="block flex-1 space-y-1">
            <span className="text-sm">{t('portable.group', { number: position + 1 })}</span>
            <input
              className={`${inputClass} font-mono`}
              value={typed[i]}
              maxLength={8}
              autoComplete="off"
              autoCapitalize="none"
              spellCheck={false}
              autoFocus={i === 0}
              onChange={(e) => setTyped((t) => (i === 0 ? [e.target.value, t[1]] : [t[0], e.target.value]))}
            />
          </label>
        ))}
      </div>
      <FormFeedback error={error} />
      <button type="submit" className={`w-full ${primaryButton}`}>
        {t('migration.move.confirm')}
      </button>
      <button type="button" className={`w-full ${secondaryButton}`} onClick={onShowAgain}>
        {t('portable.showAgain')}
      </button>
    </form>
  );
}

function RegisterIdentity({ secret, initialHomeserver, onBack }: { secret: Uint8Array; initialHomeserver: string; onBack: () => void }) {
  const [homeserver, setHomeserver] = useState(initialHomeserver);
  const [username, setUsername] = useState('');
  const [sharedComputer, setSharedComputer] = useState(false);
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();
  const status = useUsernameCheck(homeserver, username);

  async function create(event: FormEvent) {
    event.preventDefault();
    if (!username.trim()) return setError(t('portable.chooseUsername'));
    setError(undefined);
    try {
      setBusy(t('login.finding'));
      const server = { baseUrl: await discoverHomeserver(homeserver), serverName: serverNameFromInput(homeserver) };
      setBusy(t('login.creating'));
      const session = await registerWithAccountKey(server, secret, username);
      await finishPortableSignIn(session, secret, sharedComputer);
    } catch (err) {
      setError(
        err instanceof HomeserverError || err instanceof MatrixHttpError ? err.message : t('portable.unexpected', { error: String(err) }),
      );
    } finally {
      setBusy(undefined);
    }
  }

  return (
    <form className="space-y-4" onSubmit={create} noValidate>
      <p className="text-sm text-muted">{t('portable.chooseServer')}</p>
      <HomeserverField value={homeserver} onChange={setHomeserver} />
      <UsernameField value={username} onChange={setUsername} status={status} />
      <SharedComputerCheckbox checked={sharedComputer} onChange={setSharedComputer} />
      <FormFeedback error={error} busy={busy} />
      <button type="submit" disabled={!!busy || status.state === 'unavailable'} className={`w-full ${primaryButton}`}>
        {t('portable.create')}
      </button>
      <button type="button" className={`w-full ${secondaryButton}`} onClick={onBack}>
        {t('portable.backToKey')}
      </button>
    </form>
  );
}
