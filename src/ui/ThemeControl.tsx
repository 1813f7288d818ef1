import { useId } from 'react';
import { t, type MessageKey } from '../i18n';
import { themeStore, useThemeChoice, type ThemeChoice } from './theme';

const choices: { value: ThemeChoice; label: MessageKey }[] = [
  { value: 'system', label: 'theme.system' },
  { value: 'light', label: 'theme.light' },
  { value: 'dark', label: 'theme.dark' },
];

/** System, light or dark: a radio group (arrow keys move between the three), small enough to live in any menu. */
export function ThemeControl() {
  const choice = useThemeChoice();
  // Its own radio group: the room list's footer and Settings may both show one.
  const name = useId();
  return (
    <fieldset className="flex items-center justify-between gap-2 px-3 py-2 text-sm">
      <legend className="float-left">{t('theme.label')}</legend>
      <div className="flex rounded-md border border-line-strong p-0.5">
        {choices.map(({ value, label }) => (
          <label
            key={value}
            className="cursor-pointer rounded px-2 py-0.5 text-muted has-checked:bg-accent-surface has-checked:text-accent-fg has-focus-visible:outline-2 has-focus-visible:outline-indigo-500"
          >
            <input
              type="radio"
              name={name}
              value={value}
              className="sr-only"
              checked={choice === value}
              onChange={() => themeStore.getState().setChoice(value)}
            />
            {t(label)}
          </label>
        ))}
      </div>
    </fieldset>
  );
}
