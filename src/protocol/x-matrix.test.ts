import { describe, expect, it } from 'vitest';
import { keyPairFromSeed } from './ed25519';
import { ProtocolError } from './errors';
import { parseXMatrixHeader, signXMatrixRequest, verifyXMatrixRequest } from './x-matrix';

const seed = new Uint8Array(32).fill(7);
const publicKey = keyPairFromSeed(seed).publicKey;
const request = {
  method: 'PUT',
  uri: '/_matrix/federation/v1/send/t1',
  origin: 'alpha.localhost:8481',
  destination: 'beta.localhost:8482',
  content: { pdus: [], edus: [] },
};

describe('X-Matrix request authentication', () => {
  it('signs a request and verifies the parsed header', async () => {
    const header = signXMatrixRequest(request, 'ed25519:a1', seed);
    const auth = parseXMatrixHeader(header);
    expect(auth).toMatchObject({ origin: request.origin, destination: request.destination, key: 'ed25519:a1' });
    const { origin: _o, ...rest } = request;
    expect(await verifyXMatrixRequest(auth, rest, publicKey)).toBe(true);
  });

  it('refuses a changed body, URI, method or destination', async () => {
    const auth = parseXMatrixHeader(signXMatrixRequest(request, 'ed25519:a1', seed));
    const { origin: _o, ...rest } = request;
    expect(await verifyXMatrixRequest(auth, { ...rest, content: { pdus: [1] } }, publicKey)).toBe(false);
    expect(await verifyXMatrixRequest(auth, { ...rest, uri: '/_matrix/federation/v1/send/t2' }, publicKey)).toBe(false);
    expect(await verifyXMatrixRequest(auth, { ...rest, method: 'POST' }, publicKey)).toBe(false);
    expect(await verifyXMatrixRequest(auth, { ...rest, destination: 'gamma.localhost:8483' }, publicKey)).toBe(false);
    expect(await verifyXMatrixRequest(auth, rest, keyPairFromSeed(new Uint8Array(32).fill(8)).publicKey)).toBe(false);
  });

  it('signs requests without a body without a content field', async () => {
    const get = { method: 'GET', uri: '/_matrix/federation/v1/event/$x', origin: 'a.localhost:1', destination: 'b.localhost:2' };
    const auth = parseXMatrixHeader(signXMatrixRequest(get, 'ed25519:k', seed));
    expect(await verifyXMatrixRequest(auth, { method: 'GET', uri: get.uri, destination: get.destination }, publicKey)).toBe(true);
    expect(await verifyXMatrixRequest(auth, { method: 'GET', uri: get.uri, destination: get.destination, content: {} }, publicKey)).toBe(
      false,
    );
  });

  it('parses the spec example with unquoted values and odd spacing', () => {
    const auth = parseXMatrixHeader(
      'X-Matrix origin=origin.hs.example.com, destination="destination.hs.example.com",key="ed25519:key1",sig="ABCDEF..."',
    );
    expect(auth).toEqual({
      origin: 'origin.hs.example.com',
      destination: 'destination.hs.example.com',
      key: 'ed25519:key1',
      sig: 'ABCDEF...',
    });
  });

  it('rejects malformed headers with a typed error', () => {
    for (const bad of [
      'Bearer abc',
      'X-Matrix origin="a"',
      'X-Matrix origin="a",key="rsa:1",sig="x"',
      'X-Matrix ,,,',
      'X-Matrix origin="a",key="ed25519:1",sig',
    ]) {
      expect(() => parseXMatrixHeader(bad)).toThrow(ProtocolError);
    }
  });
});
