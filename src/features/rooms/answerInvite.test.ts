import { describe, expect, it } from 'vitest';
import { answerInvite, type InviteAnswerDeps } from './answerInvite';
import type { MemberRootNeed } from '../portable/portableRooms';

/** Fake servers and navigation that record what was done, in order. */
function fakes(options: { need?: MemberRootNeed; joinFails?: Error; markDirectFails?: boolean; navigateDuringJoin?: boolean } = {}) {
  const done: string[] = [];
  let route: object = { room: '!lobby:alpha' };
  const deps: InviteAnswerDeps = {
    async join(roomId) {
      if (options.navigateDuringJoin) route = { room: '!porch:alpha' }; // the reader opened another room meanwhile
      if (options.joinFails) throw options.joinFails;
      done.push(`join ${roomId}`);
    },
    async leave(roomId) {
      done.push(`leave ${roomId}`);
    },
    async answerPoolInvite(roomId, root, nonce, accept) {
      done.push(`${accept ? 'join' : 'leave'} ${roomId} with the seed for ${nonce} from root ${root[0]}`);
    },
    memberRootNeed: async () => options.need ?? { kind: 'not-portable' },
    async markDirect(userId, roomId) {
      if (options.markDirectFails) throw new Error('account data refused');
      done.push(`m.direct ${userId} ${roomId}`);
    },
    route: () => route,
    openRoom(roomId) {
      done.push(`open ${roomId}`);
    },
  };
  return { deps, done };
}

const invite = { roomId: '!tea:beta', isDirect: false };

describe('answerInvite', () => {
  it('accepting joins, then opens the room', async () => {
    const { deps, done } = fakes();
    expect(await answerInvite(deps, invite, true)).toEqual({ kind: 'joined', opened: true });
    expect(done).toEqual(['join !tea:beta', 'open !tea:beta']);
  });

  it('does not pull the reader out of a room they opened while the join ran', async () => {
    const { deps, done } = fakes({ navigateDuringJoin: true });
    expect(await answerInvite(deps, invite, true)).toEqual({ kind: 'joined', opened: false });
    expect(done).toEqual(['join !tea:beta']);
  });

  it('a DM opens first and is marked direct with its inviter after; a refused m.direct does not undo the join', async () => {
    const dm = { roomId: '!dm:beta', isDirect: true, inviter: '@carol:beta' };
    const ok = fakes();
    expect(await answerInvite(ok.deps, dm, true)).toEqual({ kind: 'joined', opened: true });
    expect(ok.done).toEqual(['join !dm:beta', 'open !dm:beta', 'm.direct @carol:beta !dm:beta']);
    const refused = fakes({ markDirectFails: true });
    expect(await answerInvite(refused.deps, dm, true)).toEqual({ kind: 'joined', opened: true });
  });

  it('declining leaves; a failed join is reported, nothing opened', async () => {
    const declined = fakes();
    expect(await answerInvite(declined.deps, invite, false)).toEqual({ kind: 'declined' });
    expect(declined.done).toEqual(['leave !tea:beta']);
    const error = new Error('M_FORBIDDEN');
    const failed = fakes({ joinFails: error });
    expect(await answerInvite(failed.deps, invite, true)).toEqual({ kind: 'failed', error });
    expect(failed.done).toEqual([]);
  });

  it("a pool-keyed invite is answered with the key's seed: from the remembered root, or after asking for the recovery key", async () => {
    const pooled = { ...invite, poolNonce: 'n1' };
    const remembered = fakes({ need: { kind: 'root', memberRoot: new Uint8Array([7]) } });
    expect(await answerInvite(remembered.deps, pooled, true)).toEqual({ kind: 'joined', opened: true });
    expect(remembered.done).toEqual(['join !tea:beta with the seed for n1 from root 7', 'open !tea:beta']);

    const ask = fakes({ need: { kind: 'ask', accountKey: 'acct' } });
    expect(await answerInvite(ask.deps, pooled, false)).toEqual({ kind: 'needs-recovery-key', accountKey: 'acct' });
    expect(ask.done).toEqual([]);
    expect(await answerInvite(ask.deps, pooled, false, new Uint8Array([9]))).toEqual({ kind: 'declined' });
    expect(ask.done).toEqual(['leave !tea:beta with the seed for n1 from root 9']);

    const none = await answerInvite(fakes().deps, pooled, true);
    expect(none.kind).toBe('failed');
    expect(String((none as { error: unknown }).error)).toMatch(/no recovery key/);
  });
});
