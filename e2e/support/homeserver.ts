// One reference homeserver for a spec file: started before its tests, stopped after them.
import { test } from '@playwright/test';
import { startHomeserver, type RunningHomeserver } from '../../server/testing/spawn';

/** `hs` is set once the spec's first `beforeAll` has run. */
export function homeserverForSpec(serverName: string): { hs: RunningHomeserver } {
  const holder = {} as { hs: RunningHomeserver };
  test.beforeAll(async () => {
    holder.hs = await startHomeserver({ serverName });
  });
  test.afterAll(async () => {
    await holder.hs?.dispose();
  });
  return holder;
}
