// Encryption identity changes of other users, as Element shows them (MSC4161's terms): when the crypto reports that a
// user's identity (cross-signing master key) changed since it was pinned, each encrypted room shared with them gets
// a notice where this client saw it; a change of an identity that was verified is a warning. The notices use the
// same log and rows as link changes (linkNotices.ts), with their own wording.
import { KnownMembership, type MatrixClient } from 'matrix-js-sdk';
import { CryptoEvent } from 'matrix-js-sdk/lib/crypto-api/CryptoEvent.js';
import type { UserVerificationStatus } from 'matrix-js-sdk/lib/crypto-api/index.js';
import { identityOfMemberEvent } from './describeSender';
import type { LinkNoticeStore } from './linkNotices';

export function followIdentityResets(client: MatrixClient, store: LinkNoticeStore): () => void {
  // One notice per change: the SDK reports the same status again on later device-list updates.
  const noticed = new Set<string>();
  const onStatus = (userId: string, status: UserVerificationStatus) => {
    if (userId === client.getUserId()) return;
    if (!status.needsUserApproval) {
      noticed.delete(userId);
      return;
    }
    if (noticed.has(userId)) return;
    noticed.add(userId);
    const kind = status.wasCrossSigningVerified() ? 'verifiedIdentityReset' : 'identityReset';
    for (const room of client.getRooms()) {
      if (room.getMyMembership() !== KnownMembership.Join || !room.hasEncryptionStateEvent()) continue;
      const member = room.getMember(userId);
      const raw = member?.events.member?.event;
      if (!member || member.membership !== KnownMembership.Join || !raw) continue;
      store.getState().add(room.roomId, { identity: identityOfMemberEvent(raw as never), kind, from: 'verified', to: 'verified' });
    }
  };
  client.on(CryptoEvent.UserTrustStatusChanged, onStatus);
  return () => client.off(CryptoEvent.UserTrustStatusChanged, onStatus);
}
