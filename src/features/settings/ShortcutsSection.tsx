import { t, type MessageKey } from '../../i18n';

/** Every shortcut the client handles (Composer, mentions, reactions, search, dialogs): keep in step with them. */
const SHORTCUTS: { keys: string[]; what: MessageKey }[] = [
  { keys: ['Enter'], what: 'settings.shortcuts.send' },
  { keys: ['Shift', 'Enter'], what: 'settings.shortcuts.newline' },
  { keys: ['↑'], what: 'settings.shortcuts.editLast' },
  { keys: ['Esc'], what: 'settings.shortcuts.cancelReply' },
  { keys: ['↑', '↓'], what: 'settings.shortcuts.mentionMove' },
  { keys: ['Enter', 'Tab'], what: 'settings.shortcuts.mentionPick' },
  { keys: ['↓'], what: 'settings.shortcuts.searchResults' },
  { keys: ['←', '→', 'Home', 'End'], what: 'settings.shortcuts.reactions' },
  { keys: ['Esc'], what: 'settings.shortcuts.close' },
  { keys: ['Tab', 'Shift', 'Tab'], what: 'settings.shortcuts.tab' },
];

export function ShortcutsSection() {
  return (
    <table className="w-full text-sm">
      <caption className="sr-only">{t('settings.shortcuts')}</caption>
      <thead>
        <tr className="text-left text-subtle">
          <th scope="col" className="py-1 pr-4 font-medium">
            {t('settings.shortcuts.keys')}
          </th>
          <th scope="col" className="py-1 font-medium">
            {t('settings.shortcuts.action')}
          </th>
        </tr>
      </thead>
      <tbody>
        {SHORTCUTS.map(({ keys, what }) => (
          <tr key={what} className="border-t border-line">
            <td className="py-2 pr-4 whitespace-nowrap">
              {keys.map((key, i) => (
                <span key={i}>
                  {i > 0 && ' '}
                  <kbd className="rounded border border-line-strong bg-surface-muted px-1.5 py-0.5 font-mono text-xs">{key}</kbd>
                </span>
              ))}
            </td>
            <td className="py-2">{t(what)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
