// Settings, one URL per section (#/settings/{section}, src/domain/routes.ts): appearance, notifications, sessions,
// encryption, account, and the keyboard shortcuts the client supports.
import type { ReactNode } from 'react';
import { t, type MessageKey } from '../../i18n';
import { formatRoute } from '../../domain/routes';
import { goHome } from '../../state/navigation';
import { iconButton } from '../../ui/controls';
import { ThemeControl } from '../../ui/ThemeControl';
import { NotificationToggle } from '../notifications/NotificationToggle';
import { KeywordSettings } from './KeywordSettings';
import { SessionsSection } from './SessionsSection';
import { AccountSection } from './AccountSection';
import { ShortcutsSection } from './ShortcutsSection';
import { EncryptionPanel } from '../encryption/EncryptionPanel';

export const SETTINGS_SECTIONS = ['appearance', 'notifications', 'sessions', 'encryption', 'account', 'shortcuts'] as const;
export type SettingsSection = (typeof SETTINGS_SECTIONS)[number];

const TITLES: Record<SettingsSection, MessageKey> = {
  appearance: 'settings.appearance',
  notifications: 'settings.notifications',
  sessions: 'settings.sessions',
  encryption: 'settings.encryption',
  account: 'settings.account',
  shortcuts: 'settings.shortcuts',
};

export function settingsSectionOf(section: string | undefined): SettingsSection | undefined {
  if (section === undefined) return 'appearance';
  return (SETTINGS_SECTIONS as readonly string[]).includes(section) ? (section as SettingsSection) : undefined;
}

export default function SettingsView({ section, onSignOut }: { section?: string; onSignOut(): Promise<void> }) {
  const current = settingsSectionOf(section);
  return (
    <section aria-label={t('settings.title')} className="flex min-w-0 flex-1 flex-col">
      <header className="flex items-center gap-2 border-b border-line px-2 py-2">
        <button className={`${iconButton} md:hidden`} aria-label={t('chat.back')} onClick={() => goHome()}>
          ←
        </button>
        <h1 className="px-1 font-semibold">{t('settings.title')}</h1>
      </header>
      <div className="flex min-h-0 flex-1 flex-col md:flex-row">
        <nav aria-label={t('settings.sections')} className="border-b border-line p-2 md:w-52 md:shrink-0 md:border-r md:border-b-0">
          <ul className="flex flex-wrap gap-1 md:flex-col md:flex-nowrap">
            {SETTINGS_SECTIONS.map((name) => (
              <li key={name} className="shrink-0">
                <a
                  href={formatRoute({ kind: 'settings', section: name })}
                  aria-current={name === current ? 'page' : undefined}
                  className={`block whitespace-nowrap rounded-md px-3 py-1.5 text-sm focus-visible:outline-2 focus-visible:outline-indigo-500 ${
                    name === current ? 'bg-accent-surface font-medium text-accent-fg' : 'hover:bg-surface-muted'
                  }`}
                >
                  {t(TITLES[name])}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="min-h-0 flex-1 overflow-y-auto p-4">
          {current ? (
            <Section title={t(TITLES[current])}>
              {current === 'appearance' && <ThemeControl />}
              {current === 'notifications' && (
                <>
                  <NotificationToggle />
                  <KeywordSettings />
                </>
              )}
              {current === 'sessions' && <SessionsSection />}
              {current === 'encryption' && <EncryptionPanel />}
              {current === 'account' && <AccountSection onSignOut={onSignOut} />}
              {current === 'shortcuts' && <ShortcutsSection />}
            </Section>
          ) : (
            <p>{t('settings.unknownSection', { section: section ?? '' })}</p>
          )}
        </div>
      </div>
    </section>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="mx-auto max-w-2xl space-y-4">
      <h2 className="text-lg font-semibold">{title}</h2>
      {children}
    </div>
  );
}
