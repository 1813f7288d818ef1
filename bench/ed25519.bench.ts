// Ed25519 verifications per second for signed Matrix events: @noble/ed25519 vs WebCrypto (Node's crypto.subtle).
import { performance } from 'node:perf_hooks';
import {
  ed25519Backend,
  MEMBER_KEYS_ROOM_VERSION,
  setEd25519Backend,
  verifyBytesSync,
  verifyEventSignature,
  verifyWithWebCrypto,
} from '../src/protocol/index';
import { buildWorkload, formatMeasurement, measure, measureVerifier, type Measurement } from './ed25519-workload';

const now = () => performance.now();
const items = buildWorkload(5000, 100, 500);
const range = (sizes: number[]) => `${Math.min(...sizes)}–${Math.max(...sizes)} bytes`;
console.log(
  `workload: ${items.length} distinct m.room.message events (room version org.matrix.12.4430), ${new Set(items.map((i) => i.signer)).size} member keys`,
);
console.log(
  `          event canonical JSON ${range(items.map((i) => i.eventBytes))}, signed (redacted) bytes ${range(items.map((i) => i.message.length))}; Node ${process.versions.node}`,
);

// Warm up JITs and WebCrypto's key cache so the figures measure steady state.
const warm = items.slice(0, 200);
await measureVerifier('warm-up', verifyBytesSync, warm, now);
const hasWebCrypto = (await ed25519Backend()) === 'webcrypto';
if (hasWebCrypto) await measureVerifier('warm-up', verifyWithWebCrypto, warm, now, 64);

const results: Measurement[] = [];
const report = (m: Measurement) => {
  results.push(m);
  console.log(formatMeasurement(m));
};
report(await measureVerifier('noble (sync)', verifyBytesSync, items, now));
if (hasWebCrypto) {
  report(await measureVerifier('webcrypto (one at a time)', verifyWithWebCrypto, items, now, 1));
  report(await measureVerifier('webcrypto (64 in flight)', verifyWithWebCrypto, items, now, 64));
} else {
  console.log('webcrypto: this runtime has no Ed25519 in crypto.subtle');
}

// End to end: redaction + canonical JSON + verification, as the server and client call it (verifyEventSignature).
for (const backend of hasWebCrypto ? (['noble', 'webcrypto'] as const) : (['noble'] as const)) {
  setEd25519Backend(backend);
  report(
    await measure(
      `verifyEventSignature end to end, ${backend}`,
      items,
      (item) => verifyEventSignature(item.event, MEMBER_KEYS_ROOM_VERSION, item.signer, 'ed25519:1', item.publicKey),
      now,
      64,
    ),
  );
}
setEd25519Backend(undefined);

const noble = results.find((r) => r.name === 'noble (sync)')!;
const webcrypto = results.find((r) => r.name === 'webcrypto (64 in flight)');
if (webcrypto) {
  console.log(
    `ratio webcrypto / noble: ${(webcrypto.perSecond / noble.perSecond).toFixed(1)}× (one at a time: ${(results.find((r) => r.name.includes('one at a time'))!.perSecond / noble.perSecond).toFixed(1)}×)`,
  );
}
