import { useId } from 'react';
import { t } from '../../i18n';

export function RememberCheckbox({ checked, onChange }: { checked: boolean; onChange: (checked: boolean) => void }) {
  const id = useId();
  return (
    <div className="flex items-start gap-2">
      <input
        id={id}
        type="checkbox"
        className="mt-1"
        checked={checked}
        aria-describedby={`${id}-help`}
        onChange={(e) => onChange(e.target.checked)}
      />
      <div>
        <label htmlFor={id} className="text-sm">
          {t('portable.remember')}
        </label>
        <p id={`${id}-help`} className="text-xs text-subtle">
          {t('portable.rememberHelp')}
        </p>
      </div>
    </div>
  );
}
