import { describe, expect, it } from 'vitest';
import { createNotificationSettings, type PermissionState } from './settings';
import { t } from '../../i18n';

function memory(initial?: unknown) {
  const saved: { value: unknown } = { value: initial };
  return { saved, persistence: { load: async () => saved.value, save: async (enabled: boolean) => void (saved.value = enabled) } };
}

describe('notification settings', () => {
  it('off by default; turning on asks permission and is kept', async () => {
    const { saved, persistence } = memory();
    let permission: PermissionState = 'default';
    let asked = 0;
    const store = createNotificationSettings(
      persistence,
      () => permission,
      async () => {
        asked += 1;
        permission = 'granted';
        return 'granted';
      },
    );
    await store.getState().load();
    expect(store.getState()).toMatchObject({ loaded: true, enabled: false, permission: 'default' });
    expect(await store.getState().setEnabled(true)).toBeUndefined();
    expect(asked).toBe(1);
    expect(store.getState()).toMatchObject({ enabled: true, permission: 'granted' });
    expect(saved.value).toBe(true);

    const reloaded = createNotificationSettings(
      persistence,
      () => permission,
      async () => 'granted',
    );
    await reloaded.getState().load();
    expect(reloaded.getState().enabled).toBe(true);
    await reloaded.getState().setEnabled(false);
    expect(saved.value).toBe(false);
  });

  it('a refused permission leaves it off and says why', async () => {
    const { saved, persistence } = memory();
    const store = createNotificationSettings(
      persistence,
      () => 'default',
      async () => 'denied',
    );
    await store.getState().load();
    const blocked = await store.getState().setEnabled(true);
    expect(blocked).toEqual({ key: 'notifications.blockedForSite' });
    expect(t(blocked!)).toMatch(/blocked/);
    expect(store.getState()).toMatchObject({ enabled: false, permission: 'denied' });
    expect(saved.value).toBeUndefined();
  });

  it('no Notification API, or unreadable storage: off, with a clear answer', async () => {
    const store = createNotificationSettings(
      { load: async () => Promise.reject(new Error('broken')), save: async () => undefined },
      () => 'unsupported',
      async () => 'granted',
    );
    await store.getState().load();
    expect(store.getState()).toMatchObject({ loaded: true, enabled: false });
    const unsupported = await store.getState().setEnabled(true);
    expect(unsupported).toEqual({ key: 'notifications.cannotShow' });
    expect(t(unsupported!)).toBe('This browser cannot show notifications.');
  });
});
