// The Ed25519 benchmark's workload and timing loop, free of Node APIs so a browser page can import it too
// (Chromium figures: build the workload, then call measureVerifier with the page's verify functions).
import {
  addContentHash,
  canonicalJsonBytes,
  decodeBase64,
  eventSigningBytes,
  keyPairFromSeed,
  MEMBER_KEYS_ROOM_VERSION,
  memberIdFromPublicKey,
  signEvent,
} from '../src/protocol/index';

export type SignedItem = {
  signature: Uint8Array;
  message: Uint8Array;
  publicKey: Uint8Array;
  event: Record<string, unknown>;
  signer: string;
  eventBytes: number;
};
export type VerifyFn = (signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array) => boolean | Promise<boolean>;
export type Measurement = { name: string; count: number; seconds: number; perSecond: number };

/**
 * `count` distinct member-key-signed m.room.message events of about `targetBytes` canonical JSON (before signing),
 * from `senders` keys. The signature covers the redacted form (body dropped, content hash kept): a little smaller.
 */
export function buildWorkload(count = 5000, senders = 100, targetBytes = 500): SignedItem[] {
  const keys = Array.from({ length: senders }, (_, i) => {
    const seed = new Uint8Array(32);
    new DataView(seed.buffer).setUint32(0, i + 1);
    const pair = keyPairFromSeed(seed);
    return { ...pair, memberId: memberIdFromPublicKey(pair.publicKey) };
  });
  const items: SignedItem[] = [];
  for (let i = 0; i < count; i++) {
    const key = keys[i % senders]!;
    const base = {
      type: 'm.room.message',
      room_id: '!K3DOWWLmkHLl52yJ-vT8J5jX5wuYZati_KvC6PliIPE',
      sender: key.memberId,
      origin_server_ts: 1_800_000_000_000 + i,
      depth: 10 + i,
      prev_events: [`$${i.toString(36).padStart(43, 'p')}`],
      auth_events: [`$${'a'.repeat(43)}`, `$${'b'.repeat(43)}`],
      content: { msgtype: 'm.text', body: '' },
    };
    const filler = targetBytes - canonicalJsonBytes(addContentHash(base)).length;
    base.content.body = `message ${i} `.padEnd(Math.max(0, filler + base.content.body.length), 'lorem ipsum ');
    const event = signEvent(base, MEMBER_KEYS_ROOM_VERSION, key.memberId, 'ed25519:1', key.seed);
    items.push({
      event,
      signer: key.memberId,
      eventBytes: canonicalJsonBytes(addContentHash(base)).length,
      publicKey: key.publicKey,
      message: eventSigningBytes(event, MEMBER_KEYS_ROOM_VERSION),
      signature: decodeBase64(event.signatures[key.memberId]!['ed25519:1']!),
    });
  }
  return items;
}

/** Verifies every item's raw signature once, sequentially (`concurrency` 1) or with that many in flight; all must pass. */
export function measureVerifier(
  name: string,
  verify: VerifyFn,
  items: SignedItem[],
  now: () => number,
  concurrency = 1,
): Promise<Measurement> {
  return measure(name, items, (item) => verify(item.signature, item.message, item.publicKey), now, concurrency);
}

export async function measure(
  name: string,
  items: SignedItem[],
  verifyItem: (item: SignedItem) => boolean | Promise<boolean>,
  now: () => number,
  concurrency = 1,
): Promise<Measurement> {
  const start = now();
  for (let i = 0; i < items.length; i += concurrency) {
    const batch = items.slice(i, i + concurrency);
    const results = await Promise.all(batch.map(verifyItem));
    if (results.some((ok) => !ok)) throw new Error(`${name}: a valid signature failed to verify`);
  }
  const seconds = (now() - start) / 1000;
  return { name, count: items.length, seconds, perSecond: items.length / seconds };
}

export function formatMeasurement(m: Measurement): string {
  return `${m.name.padEnd(48)} ${Math.round(m.perSecond).toString().padStart(7)} verifications/s  (${m.count} in ${m.seconds.toFixed(2)} s)`;
}
