import { identityFactsOf, type IdentityFacts } from '../../domain/room/roomIdentities';
import { useIdentity } from '../../domain/identity/identityStore';

/** The room's link facts (member_info, this browser's checks): a new object only when one of them changed. */
export function useIdentityFacts(roomId: string): IdentityFacts {
  return useIdentity((s) => identityFactsOf(s, roomId));
}
