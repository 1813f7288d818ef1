import { useId } from 'react';
import { t } from '../../i18n';

/**
 * The member-key root is remembered by default (wrapped, see deviceKeys), so joining and creating rooms never asks for
 * the recovery key again; on a shared computer it is held in this tab only and gone at sign-out.
 */
export function SharedComputerCheckbox({ checked, onChange }: { checked: boolean; onChange: (checked: boolean) => void }) {
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
          {t('portable.sharedComputer')}
        </label>
        <p id={`${id}-help`} className="text-xs text-subtle">
          {t(checked ? 'portable.sharedComputerOnHelp' : 'portable.sharedComputerHelp')}
        </p>
      </div>
    </div>
  );
}
