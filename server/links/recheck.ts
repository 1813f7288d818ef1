// One pass of link checks (PROTOCOL.md §4) over many member events: each claimed domain's keys are fetched and
// checked once per pass, however many members claim it; each member then costs two signature checks.
import { verifyLinkWithKeys, type DomainKeyCache, type KnownLinkKey, type LinkVerdict } from '../../src/protocol';

// The per-pass cache lives in the protocol core (the browser's checks use the same one).
export { createDomainKeyCache, type DomainKeyCache } from '../../src/protocol';

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
      const verdict = await verifyLinkWithKeys(
        { memberEvent: item.memberEvent, roomVersion: item.roomVersion, previous: item.previous ?? null, nowMs },
        await cache.keysFor(domain),
      );
      verdicts.set(item.id, verdict);
    }),
  );
  return verdicts;
}
