// Link re-check cost (PROTOCOL.md §4): one pass over a member-key room of 2,000 members spread over 40 domains.
// Key responses are simulated (each domain's real signed response, served from memory after a short delay, as a
// network round trip would be); member events are really signed and co-signed, and really verified.
// The figure that matters is the number of key fetches: one per domain (40), never one per member (2,000).
import { randomBytes } from 'node:crypto';
import {
  buildServerKeyResponse,
  ed25519Backend,
  keyPairFromSeed,
  MEMBER_KEY_ID,
  MEMBER_KEYS_ROOM_VERSION,
  memberIdFromPublicKey,
  signEvent,
  type KeyFetchOutcome,
} from '../src/protocol';
import { checkLinks, createDomainKeyCache, type LinkCheckItem } from '../server/links/recheck';

const MEMBERS = 2_000;
const DOMAINS = 40;
const SIMULATED_RTT_MS = 5;
const ROOM_ID = '!benchroom0000000000000000000000000000000000';

const domains = Array.from({ length: DOMAINS }, (_, i) => ({
  name: `d${i}.localhost:9${String(i).padStart(3, '0')}`,
  seed: new Uint8Array(randomBytes(32)),
  keyId: `ed25519:k${i}`,
}));

function memberEvent(i: number): Record<string, unknown> {
  const domain = domains[i % DOMAINS]!;
  const memberSeed = new Uint8Array(randomBytes(32));
  const memberId = memberIdFromPublicKey(keyPairFromSeed(memberSeed).publicKey);
  const unsigned = {
    type: 'm.room.member',
    room_id: ROOM_ID,
    sender: memberId,
    state_key: memberId,
    content: { membership: 'join', localpart: `user${i}`, domain: domain.name },
    origin_server_ts: 1_700_000_000_000 + i,
    depth: i + 2,
    prev_events: [],
    auth_events: [],
  };
  const byMember = signEvent(unsigned, MEMBER_KEYS_ROOM_VERSION, memberId, MEMBER_KEY_ID, memberSeed);
  return signEvent(byMember, MEMBER_KEYS_ROOM_VERSION, domain.name, domain.keyId, domain.seed);
}

async function main(): Promise<void> {
  const buildStart = performance.now();
  const items: LinkCheckItem[] = Array.from({ length: MEMBERS }, (_, i) => ({
    id: `$m${i}`,
    memberEvent: memberEvent(i),
    roomVersion: MEMBER_KEYS_ROOM_VERSION,
  }));
  const buildMs = performance.now() - buildStart;

  let fetches = 0;
  const now = Date.now();
  const responses = new Map(domains.map((d) => [d.name, buildServerKeyResponse(d.name, d.keyId, d.seed, now + 86_400_000)]));
  const fetchKeys = async (domain: string): Promise<KeyFetchOutcome> => {
    fetches++;
    await new Promise((resolve) => setTimeout(resolve, SIMULATED_RTT_MS));
    const response = responses.get(domain);
    return response ? { kind: 'ok', response } : { kind: 'not_found' };
  };

  const start = performance.now();
  const verdicts = await checkLinks(items, createDomainKeyCache(fetchKeys, now), now);
  const wallMs = performance.now() - start;
  const verified = [...verdicts.values()].filter((v) => v.status === 'verified').length;

  console.log(`links re-check: ${MEMBERS} members over ${DOMAINS} domains (events built and signed in ${(buildMs / 1000).toFixed(1)} s)`);
  console.log(`  key fetches        ${fetches}  (one per domain; per member would be ${MEMBERS})`);
  console.log(`  verified           ${verified} / ${MEMBERS}`);
  console.log(
    `  wall time          ${wallMs.toFixed(0)} ms  (${((wallMs * 1000) / MEMBERS).toFixed(0)} µs per member: two Ed25519 verifications with ${await ed25519Backend()}; simulated key RTT ${SIMULATED_RTT_MS} ms)`,
  );
  if (fetches !== DOMAINS || verified !== MEMBERS) {
    console.error(`✖ expected ${DOMAINS} fetches and ${MEMBERS} verified links`);
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
