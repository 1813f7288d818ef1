// The "Desktop notifications" setting: off until the user turns it on (which asks the browser's permission),
// kept in IndexedDB so it survives reloads. The browser's permission is the other half: both must say yes.
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import { get, set } from 'idb-keyval';
import { logger } from '../../platform/logger';
import { msg, type Message } from '../../i18n';

const log = logger('notifications');

const storageKey = 'wayfarer-desktop-notifications';

export type PermissionState = NotificationPermission | 'unsupported';

export interface NotificationSettings {
  loaded: boolean;
  enabled: boolean;
  permission: PermissionState;
  load(): Promise<void>;
  /** Turns notifications on or off; on asks permission first. Resolves to what it could not do, as a message, if anything. */
  setEnabled(enabled: boolean): Promise<Message | undefined>;
}

export function currentPermission(): PermissionState {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

export interface SettingsPersistence {
  load(): Promise<unknown>;
  save(enabled: boolean): Promise<void>;
}

const idbPersistence: SettingsPersistence = { load: () => get(storageKey), save: (enabled) => set(storageKey, enabled) };

export function createNotificationSettings(
  persistence: SettingsPersistence = idbPersistence,
  permission = currentPermission,
  request = () => Notification.requestPermission(),
) {
  return createStore<NotificationSettings>()((setState) => ({
    loaded: false,
    enabled: false,
    permission: 'default',
    async load() {
      let stored: unknown;
      try {
        stored = await persistence.load();
      } catch (error) {
        stored = undefined; // unreadable storage: stay off, the user can turn it on again
        log.debug('notification setting unreadable; notifications stay off', error);
      }
      setState({ loaded: true, enabled: stored === true, permission: permission() });
    },
    async setEnabled(enabled) {
      if (!enabled) {
        setState({ enabled: false });
        await persistence.save(false).catch(log.ignored('notification setting not saved; off holds for this page'));
        return undefined;
      }
      if (permission() === 'unsupported') {
        setState({ permission: 'unsupported' });
        return msg('notifications.cannotShow');
      }
      let answer: PermissionState;
      try {
        answer = permission() === 'granted' ? 'granted' : await request();
      } catch (error) {
        log.debug('the permission request failed; going by the current permission', error);
        answer = permission();
      }
      setState({ permission: answer });
      if (answer !== 'granted') return msg('notifications.blockedForSite');
      setState({ enabled: true });
      await persistence.save(true).catch(log.ignored('notification setting not saved; on holds for this page'));
      return undefined;
    },
  }));
}

export const notificationSettings = createNotificationSettings();

export function useNotificationSettings<T>(selector: (state: NotificationSettings) => T): T {
  return useStore(notificationSettings, selector);
}
