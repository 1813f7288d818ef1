import { useEffect, useState } from 'react';
import { chatStore } from '../../state/chatStore';
import { notificationSettings, useNotificationSettings } from './settings';
import { t } from '../../i18n';

/** The "Desktop notifications" switch: turning it on asks the browser's permission. */
export function NotificationToggle() {
  const loaded = useNotificationSettings((s) => s.loaded);
  const enabled = useNotificationSettings((s) => s.enabled);
  const permission = useNotificationSettings((s) => s.permission);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    if (!notificationSettings.getState().loaded) void notificationSettings.getState().load();
  }, []);
  const on = enabled && permission === 'granted';
  return (
    <label className="flex items-center justify-between gap-2 px-3 py-2 text-sm">
      <span>{t('notifications.toggle')}</span>
      <input
        type="checkbox"
        // biome-ignore lint/a11y/useAriaPropsForRole: a native checkbox states aria-checked itself
        role="switch"
        aria-label={t('notifications.toggle')}
        className="h-4 w-4 accent-indigo-600"
        checked={on}
        disabled={!loaded || busy || permission === 'unsupported'}
        title={
          permission === 'denied' ? t('notifications.blocked') : permission === 'unsupported' ? t('notifications.unsupported') : undefined
        }
        onChange={async (e) => {
          setBusy(true);
          const problem = await notificationSettings.getState().setEnabled(e.target.checked);
          setBusy(false);
          if (problem) chatStore.getState().showNotice(t(problem));
        }}
      />
    </label>
  );
}
