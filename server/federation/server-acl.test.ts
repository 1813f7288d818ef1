import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { globToRegExp, hostOfServerName, isIpLiteral, isServerAllowed, parseServerAcl, ServerAclCache } from './server-acl';

const allowed = (content: unknown, server: string) => isServerAllowed(parseServerAcl(content), server);

describe('glob matching', () => {
  it('* matches any run (even empty), ? exactly one character, over the whole name', () => {
    expect(globToRegExp('*.evil.com').test('a.b.evil.com')).toBe(true);
    expect(globToRegExp('*.evil.com').test('evil.com')).toBe(false);
    expect(globToRegExp('evil*').test('evil')).toBe(true);
    expect(globToRegExp('ev?l.com').test('evil.com')).toBe(true);
    expect(globToRegExp('ev?l.com').test('evl.com')).toBe(false);
    expect(globToRegExp('ev?l.com').test('eviil.com')).toBe(false);
    expect(globToRegExp('evil.com').test('notevil.com')).toBe(false);
    expect(globToRegExp('evil.com').test('evil.com.au')).toBe(false);
  });

  it('regex characters in a glob are literal', () => {
    expect(globToRegExp('evil.com').test('evilxcom')).toBe(false);
    expect(globToRegExp('a+b(c)[d]{1}|^$\\/').test('a+b(c)[d]{1}|^$\\/')).toBe(true);
    expect(globToRegExp('[::1]').test('[::1]')).toBe(true);
    expect(globToRegExp('[::1]').test(':')).toBe(false);
  });

  it('is case-insensitive', () => {
    expect(allowed({ allow: ['*'], deny: ['EVIL.com'] }, 'evil.COM')).toBe(false);
    expect(allowed({ allow: ['Good.Example'] }, 'good.example')).toBe(true);
  });

  it('a glob without wildcards matches only itself (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9.\-[\]:+()]{1,20}$/), fc.stringMatching(/^[a-z0-9.\-[\]:+()]{1,20}$/), (a, b) => {
        expect(globToRegExp(a).test(b)).toBe(a === b);
      }),
    );
  });
});

describe('server names', () => {
  it('drops the port, keeps IPv6 brackets', () => {
    expect(hostOfServerName('evil.com')).toBe('evil.com');
    expect(hostOfServerName('evil.com:8448')).toBe('evil.com');
    expect(hostOfServerName('1.2.3.4:80')).toBe('1.2.3.4');
    expect(hostOfServerName('[::1]')).toBe('[::1]');
    expect(hostOfServerName('[::1]:8448')).toBe('[::1]');
    expect(hostOfServerName('[2001:db8::7]:1')).toBe('[2001:db8::7]');
  });

  it('knows IP literals (v4, bracketed v6) from names', () => {
    expect(isIpLiteral('1.2.3.4')).toBe(true);
    expect(isIpLiteral('[::1]')).toBe(true);
    expect(isIpLiteral('[2001:db8::7]')).toBe(true);
    expect(isIpLiteral('1.2.3.4.example')).toBe(false);
    expect(isIpLiteral('evil.com')).toBe(false);
    expect(isIpLiteral('[evil]')).toBe(false);
  });
});

describe('the spec’s order of rules', () => {
  it('no ACL allows everyone', () => {
    expect(isServerAllowed(undefined, 'anyone.example:1')).toBe(true);
  });

  it('ports are never considered', () => {
    for (const server of ['evil.com', 'evil.com:8448', 'evil.com:1234'])
      expect(allowed({ allow: ['*'], deny: ['evil.com'] }, server)).toBe(false);
    expect(allowed({ allow: ['*'], deny: ['evil.com:8448'] }, 'evil.com:8448')).toBe(true);
  });

  it('deny wins over allow; no allow (or an empty one) denies everyone', () => {
    expect(allowed({ allow: ['evil.com'], deny: ['evil.com'] }, 'evil.com')).toBe(false);
    expect(allowed({ allow: ['*'], deny: ['*.evil.com'] }, 'matrix.evil.com')).toBe(false);
    expect(allowed({ allow: ['*'], deny: ['*.evil.com'] }, 'good.com')).toBe(true);
    expect(allowed({ deny: [] }, 'good.com')).toBe(false);
    expect(allowed({}, 'good.com')).toBe(false);
    expect(allowed({ allow: [] }, 'good.com')).toBe(false);
    expect(allowed({ allow: ['good.com'] }, 'other.com')).toBe(false);
  });

  it('IP literals are allowed unless allow_ip_literals is false (a non-boolean counts as true)', () => {
    for (const server of ['1.2.3.4', '1.2.3.4:8448', '[::1]', '[::1]:8448']) {
      expect(allowed({ allow: ['*'] }, server)).toBe(true);
      expect(allowed({ allow: ['*'], allow_ip_literals: 'false' }, server)).toBe(true);
      expect(allowed({ allow: ['*'], allow_ip_literals: false }, server)).toBe(false);
    }
    expect(allowed({ allow: ['*'], allow_ip_literals: false }, 'evil.com')).toBe(true);
    expect(allowed({ allow: ['*'], deny: ['[::1]'] }, '[::1]:8448')).toBe(false);
    expect(allowed({ allow: ['1.2.3.?'] }, '1.2.3.4:80')).toBe(true);
  });

  it('bad content is read robustly: non-list fields are empty, non-strings skipped', () => {
    expect(allowed({ allow: '*' }, 'good.com')).toBe(false);
    expect(allowed({ allow: ['*'], deny: 'good.com' }, 'good.com')).toBe(true);
    expect(allowed({ allow: [7, null, {}, 'good.com'] }, 'good.com')).toBe(true);
    expect(allowed(null, 'good.com')).toBe(false);
    expect(allowed(['*'], 'good.com')).toBe(false);
  });
});

describe('ServerAclCache', () => {
  it('compiles once per ACL event and follows a change of the ACL', () => {
    let current: { eventId: string; content: unknown } | undefined;
    let reads = 0;
    const cache = new ServerAclCache(() => (reads++, current));
    expect(cache.allows('!r', 'gamma.localhost:1')).toBe(true);
    current = { eventId: '$1', content: { allow: ['*'], deny: ['gamma.localhost'] } };
    expect(cache.allows('!r', 'gamma.localhost:1')).toBe(false);
    const first = cache.aclOf('!r');
    expect(cache.aclOf('!r')).toBe(first); // same compiled object: not recompiled
    current = { eventId: '$2', content: { allow: ['*'] } };
    expect(cache.allows('!r', 'gamma.localhost:1')).toBe(true);
    current = undefined;
    expect(cache.allows('!r', 'gamma.localhost:1')).toBe(true);
    expect(reads).toBe(6);
  });
});
