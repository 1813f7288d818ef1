import { inputClass } from '../../ui/controls';
import { t } from '../../i18n';

export function HomeserverField({
  value,
  onChange,
  autoFocus = false,
}: {
  value: string;
  onChange: (value: string) => void;
  /** Sent back to change the server ("Try another server"): the field to type in next. */
  autoFocus?: boolean;
}) {
  return (
    <label className="block space-y-1">
      <span className="text-sm">{t('login.homeserver')}</span>
      <input
        className={inputClass}
        value={value}
        autoComplete="url"
        spellCheck={false}
        autoFocus={autoFocus}
        onChange={(e) => onChange(e.target.value)}
      />
    </label>
  );
}
