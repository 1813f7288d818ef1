import { describe, expect, it } from 'vitest';
import { HomeserverError, baseUrlFromWellKnown, discoverHomeserver, initialBaseUrl } from './homeserver';

/** A tiny in-memory web: URL → [status, JSON body]; anything else fails like a dead host. */
function web(routes: Record<string, [number, unknown]>): typeof fetch {
  return (async (input: RequestInfo | URL) => {
    const url = String(input);
    const route = routes[url];
    if (!route) throw new TypeError('Failed to fetch');
    return new Response(JSON.stringify(route[1]), { status: route[0] });
  }) as typeof fetch;
}

describe('initialBaseUrl', () => {
  it('uses http for development hosts and https otherwise', () => {
    expect(initialBaseUrl('alpha.localhost:8481').baseUrl).toBe('http://alpha.localhost:8481');
    expect(initialBaseUrl('localhost').baseUrl).toBe('http://localhost');
    expect(initialBaseUrl('127.0.0.1:8008').baseUrl).toBe('http://127.0.0.1:8008');
    expect(initialBaseUrl('[::1]:8008').baseUrl).toBe('http://[::1]:8008');
    expect(initialBaseUrl(' matrix.org ').baseUrl).toBe('https://matrix.org');
  });
  it('takes a full URL as given', () => {
    expect(initialBaseUrl('https://matrix-client.matrix.org/')).toEqual({ baseUrl: 'https://matrix-client.matrix.org', isBareName: false });
  });
  it('rejects nonsense with a typed error', () => {
    expect(() => initialBaseUrl('')).toThrow(HomeserverError);
    expect(() => initialBaseUrl('not a server')).toThrow(/not a server name/);
  });
});

describe('baseUrlFromWellKnown', () => {
  it('reads m.homeserver.base_url and ignores garbage', () => {
    expect(baseUrlFromWellKnown({ 'm.homeserver': { base_url: 'https://hs.example.org/' } })).toBe('https://hs.example.org');
    expect(baseUrlFromWellKnown({ 'm.homeserver': { base_url: 'ftp://x' } })).toBeUndefined();
    expect(baseUrlFromWellKnown(null)).toBeUndefined();
    expect(baseUrlFromWellKnown({ 'm.homeserver': 'x' })).toBeUndefined();
  });
});

describe('discoverHomeserver', () => {
  const versions: [number, unknown] = [200, { versions: ['v1.11'] }];
  it('follows .well-known', async () => {
    const fetchImpl = web({
      'https://example.org/.well-known/matrix/client': [200, { 'm.homeserver': { base_url: 'https://matrix.example.org' } }],
      'https://matrix.example.org/_matrix/client/versions': versions,
    });
    expect(await discoverHomeserver('example.org', fetchImpl)).toBe('https://matrix.example.org');
  });
  it('falls back to the name itself without .well-known', async () => {
    const fetchImpl = web({ 'http://alpha.localhost:8481/_matrix/client/versions': versions });
    expect(await discoverHomeserver('alpha.localhost:8481', fetchImpl)).toBe('http://alpha.localhost:8481');
  });
  it('says when the server cannot be reached', async () => {
    await expect(discoverHomeserver('gone.example', web({}))).rejects.toMatchObject({ kind: 'unreachable' });
  });
  it('says when something answers that is not Matrix', async () => {
    const fetchImpl = web({ 'https://web.example/_matrix/client/versions': [404, { oops: true }] });
    await expect(discoverHomeserver('web.example', fetchImpl)).rejects.toMatchObject({ kind: 'not-matrix' });
  });
});
