import { describe, expect, it } from 'vitest';
import { baseUrlFor, isPrivateAddress, parseServerName, resolveTarget } from './client';

describe('server name resolution', () => {
  it('sends *.localhost to 127.0.0.1 whatever the system resolver says, keeping the port', () => {
    expect(baseUrlFor('alpha.localhost:8481', true)).toBe('http://127.0.0.1:8481');
    expect(baseUrlFor('localhost:18700', true)).toBe('http://127.0.0.1:18700');
    expect(baseUrlFor('beta.localhost', false)).toBe('https://127.0.0.1:8448');
  });

  it('uses HTTPS and port 8448 by default, plain HTTP only with --insecure-http', () => {
    expect(baseUrlFor('matrix.example.org', false)).toBe('https://matrix.example.org:8448');
    expect(baseUrlFor('matrix.example.org:443', false)).toBe('https://matrix.example.org:443');
    expect(baseUrlFor('[::1]:8448', true)).toBe('http://[::1]:8448');
  });

  it('refuses what is not a server name', () => {
    expect(() => baseUrlFor('a:b:c', true)).toThrow(/not a server name/);
    expect(() => baseUrlFor('', true)).toThrow(/not a server name/);
  });
});

describe('the server-name grammar and the address policy', () => {
  it('accepts what the spec calls a server name, nothing else', () => {
    for (const name of [
      'matrix.org',
      'matrix.org:8448',
      '1.2.3.4',
      '1.2.3.4:80',
      '[1234:5678::abcd]',
      '[1234:5678::abcd]:5678',
      'alpha.localhost:8481',
      'a-b.c',
    ]) {
      expect(parseServerName(name), name).toBeDefined();
    }
    for (const name of [
      '',
      'a:b:c',
      'host:0',
      'host:65536',
      'host:',
      'user@host',
      'host/path',
      'host?x',
      'ho st',
      '[not-v6]',
      '[::1',
      '1.2.3.999',
      'exa_mple.org',
      'a'.repeat(256),
    ]) {
      expect(parseServerName(name), name).toBeUndefined();
    }
  });

  it('counts loopback, private, link-local and unique-local addresses (IPv4-mapped too) as private', () => {
    for (const address of [
      '127.0.0.1',
      '127.9.9.9',
      '10.1.2.3',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '169.254.169.254',
      '0.0.0.0',
      '::1',
      '::',
      'fc00::1',
      'fd12::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
    ]) {
      expect(isPrivateAddress(address), address).toBe(true);
    }
    for (const address of ['1.1.1.1', '172.32.0.1', '8.8.8.8', '2001:4860:4860::8888'])
      expect(isPrivateAddress(address), address).toBe(false);
  });

  it('refuses a private target outside --insecure-http before connecting, and allows it in development mode', async () => {
    await expect(resolveTarget(parseServerName('x.localhost:1')!, false, 'x.localhost:1')).rejects.toThrow(/private or loopback/);
    await expect(resolveTarget(parseServerName('127.0.0.1:1')!, false, '127.0.0.1:1')).rejects.toThrow(/private or loopback/);
    await expect(resolveTarget(parseServerName('[::1]:1')!, false, '[::1]:1')).rejects.toThrow(/private or loopback/);
    await expect(resolveTarget(parseServerName('localhost:1')!, false, 'localhost:1')).rejects.toThrow(/private or loopback/);
    expect(await resolveTarget(parseServerName('x.localhost:1')!, true, 'x.localhost:1')).toEqual([{ address: '127.0.0.1', family: 4 }]);
  });
});
