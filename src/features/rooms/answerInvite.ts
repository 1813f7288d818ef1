// Answering an invite, apart from the list item that shows it (the item renders a state; this does the work and says
// how it went). Accepting joins, then opens the room, but only if the reader is still where they were when they
// accepted: pulling them out of a room they opened meanwhile sends what they type there to the wrong room. An
// accepted DM invite becomes a DM here too (m.direct). An invite that took a key from the invite-key pool
// (PROTOCOL.md §5) is answered with that key's seed, from the account's member root: remembered on this device, or
// asked for (the recovery key), and then answered again with it.
import type { MatrixClient } from 'matrix-js-sdk';
import { openRoom, routeStore } from '../../state/navigation';
import { logger } from '../../platform/logger';
import { loadMemberRoot } from '../portable/deviceKeys';
import { answerPoolInvite, memberRootNeed, type MemberRootNeed } from '../portable/portableRooms';
import { markDirect } from './DirectMessageDialog';

const log = logger('rooms');

export interface InviteToAnswer {
  roomId: string;
  isDirect: boolean;
  /** Who sent it (a DM is marked direct with them). */
  inviter?: string;
  /** A pool-keyed invite's nonce (PROTOCOL.md §5). */
  poolNonce?: string;
}

export type InviteAnswer =
  | { kind: 'joined'; opened: boolean }
  | { kind: 'declined' }
  /** A pool-keyed invite, and this device doesn't remember the member root: ask for the recovery key, then answer again. */
  | { kind: 'needs-recovery-key'; accountKey: string }
  | { kind: 'failed'; error: unknown };

export interface InviteAnswerDeps {
  join(roomId: string): Promise<unknown>;
  leave(roomId: string): Promise<unknown>;
  answerPoolInvite(roomId: string, memberRoot: Uint8Array, nonce: string, accept: boolean): Promise<void>;
  memberRootNeed(): Promise<MemberRootNeed>;
  markDirect(userId: string, roomId: string): Promise<void>;
  /** Where the reader is (compared by identity: any navigation replaces it). */
  route(): unknown;
  openRoom(roomId: string): void;
}

export async function answerInvite(
  deps: InviteAnswerDeps,
  invite: InviteToAnswer,
  accept: boolean,
  memberRoot?: Uint8Array,
): Promise<InviteAnswer> {
  const routeAtAnswer = deps.route();
  const { roomId, poolNonce } = invite;
  try {
    if (poolNonce) {
      let root = memberRoot;
      if (!root) {
        const need = await deps.memberRootNeed();
        if (need.kind === 'ask') return { kind: 'needs-recovery-key', accountKey: need.accountKey };
        if (need.kind !== 'root') throw new Error('this invite is for a portable account’s key, and this account has no recovery key');
        root = need.memberRoot;
      }
      await deps.answerPoolInvite(roomId, root, poolNonce, accept);
    } else if (accept) await deps.join(roomId);
    else await deps.leave(roomId);
    if (!accept) return { kind: 'declined' };
    // Opened as soon as it is joined (its invite has left the list by then): waiting for m.direct too would leave the
    // previous room's composer in front of someone who already starts typing to the new one.
    const opened = deps.route() === routeAtAnswer;
    if (opened) deps.openRoom(roomId);
    if (invite.isDirect && invite.inviter)
      await deps
        .markDirect(invite.inviter, roomId)
        .catch((error: unknown) => log.warn('the accepted DM is not marked direct (m.direct): it shows as a room until it is', error));
    return { kind: 'joined', opened };
  } catch (error) {
    return { kind: 'failed', error };
  }
}

/** The answers of a signed-in client, in this app's navigation. */
export function clientInviteAnswers(client: MatrixClient): InviteAnswerDeps {
  return {
    join: (roomId) => client.joinRoom(roomId),
    leave: (roomId) => client.leave(roomId),
    answerPoolInvite: (roomId, memberRoot, nonce, accept) => answerPoolInvite(client, roomId, memberRoot, nonce, accept),
    memberRootNeed: () => memberRootNeed(client, loadMemberRoot),
    markDirect: (userId, roomId) => markDirect(client, userId, roomId),
    route: () => routeStore.getState().route,
    openRoom: (roomId) => openRoom(roomId, { arriving: true }),
  };
}
