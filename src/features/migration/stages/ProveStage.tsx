// Step 2, "Prove it's you": the recovery key (portable path) or an account on the new server (classic path).
import { useState, type FormEvent } from 'react';
import { t } from '../../../i18n';
import { inputClass, primaryButton, secondaryButton } from '../../../ui/controls';
import { RecoveryKeyField } from '../../portable/RecoveryKeyField';
import { readRecoveryKeyField } from '../../portable/recoveryKeyInput';
import type { MigrationController } from '../migrationController';
import { Card, Problem, useWizard } from './StageCard';
import { localpartOf } from '../../../protocol';

export function ProveStage({ controller }: { controller: MigrationController }) {
  const path = useWizard(controller, (s) => s.path);
  const serverName = useWizard(controller, (s) => s.target?.serverName ?? '');
  const busy = useWizard(controller, (s) => s.proving);
  const error = useWizard(controller, (s) => s.proveError);
  const [recoveryKey, setRecoveryKey] = useState('');
  const [username, setUsername] = useState(localpartOf(controller.userId) ?? '');
  const [password, setPassword] = useState('');
  const [mode, setMode] = useState<'register' | 'login'>('register');
  const [tried, setTried] = useState(false);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setTried(true);
    if (path === 'portable') {
      const field = readRecoveryKeyField(recoveryKey);
      if (field.state !== 'valid') return;
      void controller.prove({ path, secret: field.secret, username });
    } else void controller.prove({ path, mode, username, password });
  };

  return (
    <Card title={t('migration.prove.title')} step={2}>
      <form onSubmit={submit} className="space-y-3">
        {path === 'portable' ? (
          <>
            <p>{t('migration.prove.portableIntro', { server: serverName })}</p>
            <RecoveryKeyField value={recoveryKey} onChange={setRecoveryKey} strict={tried} autoFocus />
            <label className="block space-y-1">
              <span className="text-sm">{t('migration.prove.usernameIfNew', { server: serverName })}</span>
              <input className={inputClass} value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" />
            </label>
          </>
        ) : (
          <>
            <fieldset className="flex gap-4 text-sm">
              <legend className="sr-only">{t('migration.prove.newAccount')}</legend>
              <label className="flex items-center gap-2">
                <input type="radio" name="mode" checked={mode === 'register'} onChange={() => setMode('register')} />{' '}
                {t('migration.prove.register')}
              </label>
              <label className="flex items-center gap-2">
                <input type="radio" name="mode" checked={mode === 'login'} onChange={() => setMode('login')} />{' '}
                {t('migration.prove.haveOne')}
              </label>
            </fieldset>
            <label className="block space-y-1">
              <span className="text-sm">{t('migration.prove.username', { server: serverName })}</span>
              <input className={inputClass} value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="username" />
            </label>
            <label className="block space-y-1">
              <span className="text-sm">{t('login.password')}</span>
              <input
                className={inputClass}
                type="password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                autoComplete={mode === 'register' ? 'new-password' : 'current-password'}
              />
            </label>
          </>
        )}
        <div className="flex gap-2">
          <button type="button" className={secondaryButton} onClick={() => controller.backToTarget()}>
            {t('common.back')}
          </button>
          <button className={primaryButton} disabled={!!busy}>
            {path === 'portable'
              ? t('migration.prove.prove')
              : mode === 'register'
                ? t('migration.prove.registerAndContinue')
                : t('migration.prove.signInAndContinue')}
          </button>
        </div>
        {busy && <p role="status">{busy}</p>}
        <Problem text={error} />
      </form>
    </Card>
  );
}
