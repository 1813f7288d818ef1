// The set-up most server test files share: one homeserver for the file, started before its tests with a few
// users registered (TestClient.register's default password), stopped after them.
import { afterAll, beforeAll, expect } from 'vitest';
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

/** The body of a 200 reply; anything else fails the test with the reply's body in the message. */
export function expectOk(reply: { status: number; body: any }): any {
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return reply.body;
}
