import { describe, expect, it } from 'vitest';
import { baseUrlFor } from './client';

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
