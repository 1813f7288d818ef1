import { useId } from 'react';
import { t } from '../../i18n';
import { inputClass } from '../../ui/controls';
import { readRecoveryKeyField } from './recoveryKeyInput';

/**
 * A recovery-key text area that checks the key as it is typed or pasted (spaces and line breaks are fine).
 * `strict` turns "keep typing" into an error, for when the user has tried to submit.
 */
export function RecoveryKeyField({
  value,
  onChange,
  strict = false,
  autoFocus = false,
}: {
  value: string;
  onChange: (value: string) => void;
  strict?: boolean;
  autoFocus?: boolean;
}) {
  const id = useId();
  const field = readRecoveryKeyField(value);
  const problem =
    field.state === 'invalid' || (strict && field.state === 'incomplete')
      ? field.message
      : strict && field.state === 'empty'
        ? t('portable.key.empty')
        : undefined;
  return (
    <div className="space-y-1">
      <label htmlFor={`${id}-input`} className="block text-sm">
        {t('portable.key.label')}
      </label>
      <textarea
        id={`${id}-input`}
        className={`${inputClass} font-mono`}
        rows={3}
        value={value}
        autoFocus={autoFocus}
        autoComplete="off"
        autoCapitalize="none"
        autoCorrect="off"
        spellCheck={false}
        aria-invalid={problem ? true : undefined}
        aria-describedby={`${id}-status`}
        placeholder={t('portable.key.placeholder')}
        onChange={(e) => onChange(e.target.value)}
        // Enter submits, as in a one-line field; pasted line breaks still arrive through onChange.
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
            e.preventDefault();
            e.currentTarget.form?.requestSubmit();
          }
        }}
      />
      <div id={`${id}-status`} className="min-h-5 text-sm">
        {problem ? (
          <p role="alert" className="text-danger">
            {problem}
          </p>
        ) : field.state === 'incomplete' ? (
          <p className="text-subtle">{t('portable.key.typed', { typed: field.typed })}</p>
        ) : field.state === 'valid' ? (
          <p className="text-success">{t('portable.key.valid')}</p>
        ) : null}
      </div>
    </div>
  );
}
