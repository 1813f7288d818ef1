// One pass of link checks (PROTOCOL.md §4) over many member events: each claimed domain's keys are fetched and
// checked once per pass, however many members claim it; each member then costs two signature checks.
import { prepareDomainKeys, verifyLinkWithKeys, type DomainKeys, type KeyFetchOutcome, type KnownLinkKey, type LinkVerdict } from '../../src/protocol';

export interface DomainKeyCache {
  keysFor(domain: string): Promise<DomainKeys>;
  /** Domains fetched so far in this pass. */
  fetches(): number;
  /** Drops a domain's result so the next lookup fetches again (e.g. it was unreachable). */
  forget(domain: string): void;
  readonly createdTs: number;
}

export function createDomainKeyCache(fetchKeys: (domain: string) => Promise<KeyFetchOutcome>, nowMs: number): DomainKeyCache {
  const byDomain = new Map<string, Promise<DomainKeys>>();
  return {
    createdTs: nowMs,
    fetches: () => byDomain.size,
    forget: (domain: string) => void byDomain.delete(domain),
    keysFor(domain: string) {
      let keys = byDomain.get(domain);
      if (!keys) {
        keys = fetchKeys(domain)
          .catch((error: unknown): KeyFetchOutcome => ({ kind: 'unreachable', detail: String(error) }))
          .then((outcome) => prepareDomainKeys(domain, outcome, nowMs));
        byDomain.set(domain, keys);
      }
      return keys;
    },
  };
}

export interface LinkCheckItem {
  /** The caller's name for this member (e.g. its event ID). */
  id: string;
  memberEvent: Record<string, unknown>;
  roomVersion: string;
  previous?: KnownLinkKey | null;
}

export async function checkLinks(items: LinkCheckItem[], cache: DomainKeyCache, nowMs: number): Promise<Map<string, LinkVerdict>> {
  const verdicts = new Map<string, LinkVerdict>();
  await Promise.all(
    items.map(async (item) => {
      const content = item.memberEvent.content as Record<string, unknown> | undefined;
      const domain = typeof content?.domain === 'string' ? content.domain : '';
      const verdict = await verifyLinkWithKeys({ memberEvent: item.memberEvent, roomVersion: item.roomVersion, previous: item.previous ?? null, nowMs }, await cache.keysFor(domain));
      verdicts.set(item.id, verdict);
    }),
  );
  return verdicts;
}
