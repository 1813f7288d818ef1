// Who carries a look-alike warning. Two members with one name are two people, and at most one of them is copying:
// the one whose link is verified, or failing that the one who had the name first in the room, is shown neutrally
// ("another member uses this name"); the other carries the warning. Nobody is warned about themselves.
import { isHandleKind, type ConfusableMatch } from '../../protocol/confusables';

/** How far a member's handle is trusted, for ranking look-alikes: a higher standing is the original. */
export type LinkStanding = 'verified' | 'pending' | 'plain' | 'unverified' | 'erased' | 'contested';

const STANDING_RANK: Record<LinkStanding, number> = {
  verified: 3,
  pending: 2,
  // Classic rooms: nothing to verify, every member alike (the room's history decides).
  plain: 1,
  unverified: 0,
  erased: 0,
  contested: 0,
};

export interface LookAlikeFacts {
  standing: LinkStanding;
  /** When the member first claimed its current display name in this room (ms), if known. */
  nameSince?: number;
  /** When the member first claimed its current handle in this room (ms), if known. */
  handleSince?: number;
}

/** A look-alike as one member is shown: `warn` on the copy, neutral (`warn: false`) on the original. */
export type RankedMatch = ConfusableMatch & { warn: boolean };

/**
 * Which side of a look-alike pair is the copy: the lower link standing, then the later claim (of the name for name
 * look-alikes, of the handle for handle and domain ones). Undefined when nothing tells them apart: both are warned.
 */
export function copyOfPair(a: LookAlikeFacts, b: LookAlikeFacts, match: Pick<ConfusableMatch, 'kind'>): 'a' | 'b' | undefined {
  const [ra, rb] = [STANDING_RANK[a.standing], STANDING_RANK[b.standing]];
  if (ra !== rb) return ra < rb ? 'a' : 'b';
  const since = (f: LookAlikeFacts) => (isHandleKind(match.kind) ? f.handleSince : f.nameSince);
  const [sa, sb] = [since(a), since(b)];
  if (sa === undefined && sb === undefined) return undefined;
  if (sa === undefined) return 'a'; // a claim with no date in the room is no older than one with a date
  if (sb === undefined) return 'b';
  if (sa === sb) return undefined;
  return sa > sb ? 'a' : 'b';
}

/**
 * Every member's look-alikes, each marked warn or not. `self` is the viewer's own identity: never warned, whatever
 * the ranking says (the other side of a pair keeps its own ranking).
 */
export function rankLookAlikes(
  matches: ReadonlyMap<string, readonly ConfusableMatch[]>,
  factsOf: (identity: string) => LookAlikeFacts,
  self?: string,
): Map<string, RankedMatch[]> {
  const ranked = new Map<string, RankedMatch[]>();
  for (const [identity, list] of matches) {
    ranked.set(
      identity,
      list.map((match) => {
        const copy = copyOfPair(factsOf(identity), factsOf(match.other), match);
        const warn = identity !== self && copy !== 'b';
        return { ...match, warn };
      }),
    );
  }
  return ranked;
}
