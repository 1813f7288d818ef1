import { useId } from 'react';
import { REMEMBER_HELP } from './finishSignIn';

export function RememberCheckbox({ checked, onChange }: { checked: boolean; onChange: (checked: boolean) => void }) {
  const id = useId();
  return (
    <div className="flex items-start gap-2">
      <input id={id} type="checkbox" className="mt-1" checked={checked} aria-describedby={`${id}-help`} onChange={(e) => onChange(e.target.checked)} />
      <div>
        <label htmlFor={id} className="text-sm">
          Remember on this device
        </label>
        <p id={`${id}-help`} className="text-xs text-subtle">
          {REMEMBER_HELP}
        </p>
      </div>
    </div>
  );
}
