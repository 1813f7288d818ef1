import { useId } from 'react';
import { t } from '../../i18n';
import { inputClass } from '../../ui/controls';
import type { UsernameStatus } from './useUsernameCheck';

export function UsernameField({ value, onChange, status }: { value: string; onChange: (value: string) => void; status: UsernameStatus }) {
  const id = useId();
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-sm">
        {t('login.username')}
      </label>
      <input
        id={id}
        className={inputClass}
        value={value}
        autoComplete="username"
        autoCapitalize="none"
        spellCheck={false}
        aria-invalid={status.state === 'unavailable' ? true : undefined}
        aria-describedby={`${id}-status`}
        onChange={(e) => onChange(e.target.value)}
      />
      <p id={`${id}-status`} aria-live="polite" className="min-h-5 text-sm">
        {status.state === 'checking' && <span className="text-subtle">{t('migration.target.checking')}</span>}
        {status.state === 'available' && <span className="text-success">{t('portable.available')}</span>}
        {status.state === 'unavailable' && <span className="text-danger">{status.message}</span>}
        {status.state === 'unknown' && <span className="text-warning">{status.message}</span>}
      </p>
    </div>
  );
}
