// The set-up most server test files share: one homeserver for the file, started before its tests with a few
// users registered (TestClient.register's default password), stopped after them.
import { afterAll, beforeAll } from 'vitest';
import { startHomeserver, type RunningHomeserver } from './spawn';
import { TestClient } from './http-client';

export type ServerWithUsers<Name extends string> = { server: RunningHomeserver } & Record<Name, TestClient>;

/** Filled in by the file's first `beforeAll`; read it in tests or in a later `beforeAll`. */
export function serverWithUsers<const Name extends string>(serverName: string, names: readonly Name[]): ServerWithUsers<Name> {
  const fixture = {} as ServerWithUsers<Name>;
  beforeAll(async () => {
    fixture.server = await startHomeserver({ serverName });
    for (const name of names) (fixture as Record<string, unknown>)[name] = await new TestClient(fixture.server.baseUrl).register(name);
  });
  afterAll(() => fixture.server?.dispose());
  return fixture;
}
