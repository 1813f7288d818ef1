import { isIP } from 'node:net';
import fc from 'fast-check';
import { isMemberKey } from './keys';
import { describe, expect, it } from 'vitest';
import {
  hostOfServerName,
  idKind,
  isEventId,
  isIPv4,
  isIPv6,
  isMemberId,
  isRoomAlias,
  isRoomId,
  isServerName,
  isStrictLocalpart,
  isUserId,
  localpartOf,
  memberIdFromPublicKey,
  parseRoomAlias,
  parseServerName,
  parseUserId,
  roomIdServer,
  serverNameOf,
  shortRoomId,
  userIdOf,
} from './index';

describe('server names', () => {
  it('accepts what the spec calls a server name', () => {
    expect(parseServerName('matrix.org')).toEqual({ host: 'matrix.org', port: undefined, kind: 'dns' });
    expect(parseServerName('matrix.org:8448')).toEqual({ host: 'matrix.org', port: 8448, kind: 'dns' });
    expect(parseServerName('1.2.3.4:80')).toEqual({ host: '1.2.3.4', port: 80, kind: 'ipv4' });
    expect(parseServerName('[1234:5678::abcd]:5678')).toEqual({ host: '1234:5678::abcd', port: 5678, kind: 'ipv6' });
    expect(parseServerName('[::1]')).toEqual({ host: '::1', port: undefined, kind: 'ipv6' });
    expect(parseServerName('[::ffff:127.0.0.1]:8448')).toEqual({ host: '::ffff:127.0.0.1', port: 8448, kind: 'ipv6' });
    for (const name of ['alpha.localhost:8481', 'a-b.c', 'localhost', '1.2.3', 'a'.repeat(255)])
      expect(isServerName(name), name).toBe(true);
  });

  it('refuses everything else: bad ports, unbracketed or malformed IPv6, bad IPv4, other characters', () => {
    const bad = ['', 'a:b:c', 'host:0', 'host:65536', 'host:', 'host:123456', 'user@host', 'host/path', 'host?x', 'ho st', 'exa_mple.org'];
    bad.push('::1', '[::1', '::1]', '[not-v6]', '[1::2::3]', '[1:2:3:4:5:6:7:8:9]', '[12345::]', '[::1]:', '[::1]x', '[fe80::1%eth0]');
    bad.push('1.2.3.999', '01.2.3.4', 'a'.repeat(256), ' matrix.org', 'matrix.org ');
    for (const name of bad) expect(parseServerName(name), name).toBeUndefined();
  });

  it('gives the host as a URL writes it', () => {
    expect(hostOfServerName('[::1]:8448')).toBe('[::1]');
    expect(hostOfServerName('example.org:8448')).toBe('example.org');
    expect(hostOfServerName('1.2.3.4')).toBe('1.2.3.4');
    expect(hostOfServerName('a:b:c')).toBeUndefined();
  });

  it('reads IP literals as Node does', () => {
    const v4 = fc.tuple(fc.nat(300), fc.nat(300), fc.nat(300), fc.nat(300)).map((parts) => parts.join('.'));
    fc.assert(fc.property(v4, (text) => isIPv4(text) === (isIP(text) === 4)));
    const group = fc.oneof(fc.constant(''), fc.stringMatching(/^[0-9a-fA-F]{1,5}$/), fc.constant('1.2.3.4'));
    const v6 = fc.array(group, { minLength: 1, maxLength: 10 }).map((groups) => groups.join(':'));
    fc.assert(
      fc.property(v6, (text) => isIPv6(text) === (isIP(text) === 6)),
      { numRuns: 2000 },
    );
    for (const text of ['::', '::1', '1::', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:1.2.3.4', '::ffff:1.2.3.4', '1::8', 'a:b::c:d']) {
      expect(isIPv6(text), text).toBe(true);
    }
    for (const text of [':', ':::', '1:2:3:4:5:6:7:8:9', '1::2::3', ':1::', '::1:', '1:2:3:4:5:6:7:1.2.3.4', '::1.2.3', 'g::']) {
      expect(isIPv6(text), text).toBe(false);
    }
  });
});

describe('user IDs', () => {
  it('splits at the first colon: the server name keeps its port and IPv6 colons', () => {
    expect(parseUserId('@alice:example.org')).toEqual({ localpart: 'alice', serverName: 'example.org' });
    expect(parseUserId('@alice:alpha.localhost:8481')).toEqual({ localpart: 'alice', serverName: 'alpha.localhost:8481' });
    expect(parseUserId('@bob:[2001:db8::1]:8448')).toEqual({ localpart: 'bob', serverName: '[2001:db8::1]:8448' });
    expect(serverNameOf('@bob:[::1]')).toBe('[::1]');
    expect(localpartOf('@a.b_c=d-e/f+g:example.org')).toBe('a.b_c=d-e/f+g');
  });

  it('accepts historical localparts (any printable ASCII but a colon) unless strict', () => {
    for (const id of [
      '@Alice:example.org',
      '@al!ce:example.org',
      '@"quoted":example.org',
      '@ali#ce:example.org',
      '@~$%^&*():example.org',
    ]) {
      expect(isUserId(id), id).toBe(true);
      expect(parseUserId(id, { strict: true }), id).toBeUndefined();
    }
    expect(parseUserId('@a=2f/b:example.org', { strict: true })).toEqual({ localpart: 'a=2f/b', serverName: 'example.org' });
    expect(isStrictLocalpart('_unverified_alice_alpha')).toBe(true);
    expect(isStrictLocalpart('Alice')).toBe(false);
  });

  it('refuses what is not a user ID', () => {
    const bad = [
      '',
      '@',
      '@:example.org',
      'alice:example.org',
      '@alice',
      '@alice:',
      '@ali ce:example.org',
      '@alicé:example.org',
      '@alice:exa_mple.org',
      '@alice:host:0',
      '#room:example.org',
    ];
    bad.push(`@${'a'.repeat(250)}:example.org`, '@alice:a:b:c');
    for (const id of bad) {
      expect(parseUserId(id), id).toBeUndefined();
      expect(localpartOf(id), id).toBeUndefined();
    }
    expect(isUserId(`@${'a'.repeat(241)}:example.org`)).toBe(true);
  });

  it('round-trips through userIdOf', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9._=\-/+]{1,30}$/),
        fc.constantFrom('example.org', 'alpha.localhost:8481', '[::1]:8448', '10.0.0.1'),
        (localpart, server) => {
          expect(parseUserId(userIdOf(localpart, server), { strict: true })).toEqual({ localpart, serverName: server });
        },
      ),
    );
  });
});

describe('rooms, aliases, events, member IDs', () => {
  it('reads room IDs with and without a server (room version 12)', () => {
    expect(roomIdServer('!abc:alpha.localhost:8481')).toBe('alpha.localhost:8481');
    expect(roomIdServer('!abc:[::1]:8448')).toBe('[::1]:8448');
    expect(roomIdServer('!abcdef')).toBeUndefined();
    expect(roomIdServer('!abc:')).toBeUndefined();
    expect(isRoomId('!abc:example.org')).toBe(true);
    expect(isRoomId('!31hneApxJ_1o-63DmFrpeqnkFfWppnzWso1JvH3ogLM')).toBe(true);
    for (const id of ['', '!', '!:example.org', 'abc:example.org', '!a b', '!abc:exa_mple.org', '$abc'])
      expect(isRoomId(id), id).toBe(false);
    expect(shortRoomId('!abc:alpha')).toBe('!abc');
    expect(shortRoomId('!abcdefghijklmnop:alpha')).toBe('!abcdefgh…');
    expect(shortRoomId('!abcdefghijklmnop')).toBe('!abcdefgh…');
  });

  it('reads aliases', () => {
    expect(parseRoomAlias('#town-square:alpha.localhost:8481')).toEqual({ localpart: 'town-square', serverName: 'alpha.localhost:8481' });
    for (const alias of ['#:example.org', '#room', '#ro om:example.org', '!room:example.org', '#room:bad_server'])
      expect(isRoomAlias(alias), alias).toBe(false);
  });

  it('reads event IDs of every room version', () => {
    expect(isEventId('$acR1l0raoZnm60CBwAVgqbZqoO/mYU81xysh1u7XcJk')).toBe(true);
    expect(isEventId('$143273582443PhrSn:example.org')).toBe(true);
    for (const id of ['', '$', 'abc', '$a b', '$abc:bad_server']) expect(isEventId(id), id).toBe(false);
  });

  it('tells member IDs from user IDs', () => {
    const memberId = memberIdFromPublicKey(new Uint8Array(32).fill(7));
    expect(isMemberId(memberId)).toBe(true);
    expect(isUserId(memberId)).toBe(false);
    expect(isMemberId('@alice:example.org')).toBe(false);
    expect(isMemberId('@short')).toBe(false);
    expect(idKind(memberId)).toBe('member');
    expect(idKind('@alice:example.org')).toBe('user');
    expect(idKind('!abc')).toBe('room');
    expect(idKind('#a:b.c')).toBe('alias');
    expect(idKind('$e')).toBe('event');
    expect(idKind('alice')).toBeUndefined();
    expect(idKind('@short')).toBeUndefined();
  });
});

describe('isMemberId agrees with decoding the key', () => {
  it('on keys in both alphabets, padded or not, and on mutations of them', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=:@.';
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 31, maxLength: 33 }),
        fc.nat(3),
        fc.nat(60),
        fc.constantFrom(...alphabet),
        (bytes, form, at, ch) => {
          const std = Buffer.from(bytes).toString('base64');
          const texts = [
            std,
            std.replace(/=+$/, ''),
            Buffer.from(bytes).toString('base64url'),
            `${Buffer.from(bytes).toString('base64url')}=`,
          ];
          const text = texts[form]!;
          for (const candidate of [text, text.slice(0, at) + ch + text.slice(at + 1)]) {
            expect(isMemberId(`@${candidate}`)).toBe(isMemberKey(`@${candidate}`) && !candidate.includes(':'));
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
