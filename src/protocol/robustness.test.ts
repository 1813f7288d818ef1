// Hostile input through every entry point: each returns a value or throws a ProtocolError, never anything else.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  checkContentHash,
  checkRecoveryKey,
  computeContentHash,
  computeEventId,
  computeReferenceHash,
  computeRoomIdFromCreate,
  decodeBase64,
  normaliseKey,
  ProtocolError,
  redactEvent,
  senderIdentity,
  signEvent,
  verifyEventSignature,
  verifyJsonSignature,
  verifyLink,
  verifyServerKeyResponse,
} from './index';

const seed = new Uint8Array(32).fill(5);
const publicKey = new Uint8Array(32).fill(6);

async function onlyTypedErrors(run: () => unknown): Promise<void> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
  }
}

const hostile = fc.oneof(
  fc.anything({
    withBigInt: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withTypedArray: true,
    withNullPrototype: true,
    withSparseArray: true,
  }),
  fc.record(
    {
      type: fc.oneof(fc.constant('m.room.member'), fc.constant('m.room.create'), fc.anything()),
      sender: fc.oneof(fc.string(), fc.constant('@AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'), fc.anything()),
      state_key: fc.anything(),
      content: fc.oneof(fc.object(), fc.anything(), fc.record({ domain: fc.anything(), localpart: fc.anything(), n: fc.double() })),
      hashes: fc.anything(),
      signatures: fc.oneof(fc.anything(), fc.dictionary(fc.string(), fc.dictionary(fc.string(), fc.string()))),
      unsigned: fc.anything(),
      event_id: fc.anything(),
    },
    { requiredKeys: [] },
  ),
);
const versions = fc.constantFrom('1', '3', '6', '9', '11', '12', 'org.matrix.12.4430', 'nope', '__proto__');

describe('robustness', () => {
  it('event functions', async () => {
    await fc.assert(
      fc.asyncProperty(hostile, versions, async (value, version) => {
        const event = value as object;
        await onlyTypedErrors(() => canonicalJson(value));
        await onlyTypedErrors(() => redactEvent(event, version));
        await onlyTypedErrors(() => computeContentHash(event));
        await onlyTypedErrors(() => checkContentHash(event));
        await onlyTypedErrors(() => computeReferenceHash(event, version));
        await onlyTypedErrors(() => computeEventId(event, version));
        await onlyTypedErrors(() => computeRoomIdFromCreate(event, version));
        await onlyTypedErrors(() => signEvent(event, version, 's', 'ed25519:1', seed));
        await onlyTypedErrors(() => verifyEventSignature(event, version, 's', 'ed25519:1', publicKey));
        await onlyTypedErrors(() => verifyJsonSignature(value, 's', 'ed25519:1', publicKey));
        await onlyTypedErrors(() => senderIdentity(event as { sender?: string }));
        const verdict = await verifyLink({ memberEvent: value, roomVersion: version, fetch: { kind: 'ok', response: value }, nowMs: 0 });
        expect(['verified', 'unverified', 'erased']).toContain(verdict.status);
        const keys = await verifyServerKeyResponse(value, 'x', 0);
        expect(keys.ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('text functions', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.anything()), async (text) => {
        await onlyTypedErrors(() => decodeBase64(text as string));
        await onlyTypedErrors(() => normaliseKey(text as string));
        const result = checkRecoveryKey(text as string);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 300 },
    );
  });

  it('huge inputs', async () => {
    const huge = 'A'.repeat(10_000_000);
    await onlyTypedErrors(() => normaliseKey(huge));
    expect(decodeBase64(huge)).toHaveLength(7_500_000);
    expect(checkRecoveryKey(huge).ok).toBe(false);
    const event = { type: 'm.room.message', content: { body: huge }, hashes: {} };
    expect(checkContentHash(event)).toBe(false);
    expect(computeContentHash(event)).toMatch(/^[A-Za-z0-9+/]{43}$/);
  });
});
