// Step 1, "Where to": the user names the new homeserver; the controller checks it and picks the path.
import { useState, type FormEvent } from 'react';
import { inputClass, primaryButton } from '../../../ui/controls';
import type { MigrationController } from '../migrationController';
import { Card, Problem, useWizard } from './StageCard';
import { t } from '../../../i18n';

export function TargetStage({ controller }: { controller: MigrationController }) {
  const [input, setInput] = useState('');
  const busy = useWizard(controller, (s) => s.checking);
  const error = useWizard(controller, (s) => s.targetError);
  const checked = useWizard(controller, (s) => s.checked);
  const choice = useWizard(controller, (s) => s.choice);
  const check = (event: FormEvent) => {
    event.preventDefault();
    void controller.checkTarget(input);
  };
  return (
    <Card title={t('migration.target.title')} step={1}>
      <p>{t('migration.target.intro', { server: controller.serverName })}</p>
      <form onSubmit={check} className="space-y-3">
        <label className="block space-y-1">
          <span className="text-sm">{t('migration.target.label')}</span>
          <input className={inputClass} value={input} autoFocus placeholder="beta.example.org" onChange={(e) => setInput(e.target.value)} />
        </label>
        <button className={primaryButton} disabled={busy}>
          {busy ? t('migration.target.checking') : t('migration.target.check')}
        </button>
      </form>
      <Problem text={error} />
      {checked && choice && (
        <div className="space-y-3 rounded-md border border-line p-3" role="status">
          <p className="font-medium">
            {t(checked.supportsPortable ? 'migration.target.reachablePortable' : 'migration.target.reachable', {
              server: checked.serverName,
            })}
          </p>
          <p className="text-sm">{t(choice.explanation)}</p>
          <button className={primaryButton} onClick={() => controller.chooseTarget()}>
            {t(choice.path === 'portable' ? 'migration.target.continuePortable' : 'migration.target.continueClassic')}
          </button>
        </div>
      )}
    </Card>
  );
}
