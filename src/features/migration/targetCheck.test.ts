import { describe, expect, it } from 'vitest';
import { checkTarget, choosePath, TargetCheckError } from './targetCheck';
import { t } from '../../i18n';

const fakeFetch = (routes: Record<string, { status: number; body: unknown } | 'down'>): typeof fetch =>
  (async (input: string | URL | Request) => {
    const url = String(input instanceof Request ? input.url : input);
    const route = Object.entries(routes).find(([prefix]) => url.startsWith(prefix))?.[1];
    if (!route || route === 'down') throw new TypeError('fetch failed');
    return new Response(JSON.stringify(route.body), { status: route.status, headers: { 'Content-Type': 'application/json' } });
  }) as typeof fetch;

describe('target check', () => {
  it('reports a reachable server and whether it supports portable identities', async () => {
    const fetchImpl = fakeFetch({
      'http://beta.localhost:8482/.well-known': { status: 404, body: {} },
      'http://beta.localhost:8482/_matrix/client/versions': {
        status: 200,
        body: { versions: ['v1.11'], unstable_features: { 'dev.wayfarer.portable_identity': true } },
      },
    });
    const target = await checkTarget('http://beta.localhost:8482', 'alpha.localhost:8481', fetchImpl);
    expect(target).toEqual({ baseUrl: 'http://beta.localhost:8482', serverName: 'beta.localhost:8482', supportsPortable: true });
    expect(choosePath(true, target).path).toBe('portable');
    expect(choosePath(false, target).path).toBe('classic');
    const unknown = choosePath(undefined, target);
    expect(unknown).toMatchObject({ path: 'portable', explanation: { key: 'migration.target.oldUnknown' } });
    expect(t(unknown.explanation)).toMatch(/cannot be reached/);
    const noPortable = choosePath(true, { ...target, supportsPortable: false });
    expect(noPortable.explanation).toEqual({ key: 'migration.target.noPortable', values: { server: target.serverName } });
    expect(t(noPortable.explanation)).toMatch(/only the classic path/);
  });

  it('refuses empty input, the current server, and an unreachable one with words', async () => {
    await expect(checkTarget('  ', 'a', fakeFetch({}))).rejects.toThrow(TargetCheckError);
    await expect(checkTarget('http://alpha.localhost:8481', 'alpha.localhost:8481', fakeFetch({}))).rejects.toThrow(/server you are on/);
    await expect(checkTarget('http://gone.localhost:1', 'alpha', fakeFetch({ 'http://gone.localhost:1': 'down' }))).rejects.toThrow(
      TargetCheckError,
    );
  });
});
