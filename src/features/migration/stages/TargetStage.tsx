// Step 1, "Where to": the user names the new homeserver; the controller checks it and picks the path.
import { useState, type FormEvent } from 'react';
import { inputClass, primaryButton } from '../../../ui/controls';
import type { MigrationController } from '../migrationController';
import { Card, Problem, useWizard } from './StageCard';

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
    <Card title="Where to" step={1}>
      <p>Choose the homeserver your account moves to. You are on {controller.serverName}.</p>
      <form onSubmit={check} className="space-y-3">
        <label className="block space-y-1">
          <span className="text-sm">New homeserver</span>
          <input className={inputClass} value={input} autoFocus placeholder="beta.example.org" onChange={(e) => setInput(e.target.value)} />
        </label>
        <button className={primaryButton} disabled={busy}>
          {busy ? 'Checking…' : 'Check server'}
        </button>
      </form>
      <Problem text={error} />
      {checked && choice && (
        <div className="space-y-3 rounded-md border border-line p-3" role="status">
          <p className="font-medium">✓ {checked.serverName} is reachable{checked.supportsPortable ? ' and supports portable identities' : ''}.</p>
          <p className="text-sm">{choice.explanation}</p>
          <button className={primaryButton} onClick={() => controller.chooseTarget()}>
            Continue with the {choice.path === 'portable' ? 'portable' : 'classic'} path
          </button>
        </div>
      )}
    </Card>
  );
}
