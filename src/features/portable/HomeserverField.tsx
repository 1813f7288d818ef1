import { inputClass } from '../../ui/controls';
import { t } from '../../i18n';

export function HomeserverField({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  return (
    <label className="block space-y-1">
      <span className="text-sm">{t('login.homeserver')}</span>
      <input className={inputClass} value={value} autoComplete="url" spellCheck={false} onChange={(e) => onChange(e.target.value)} />
    </label>
  );
}
