// The dry run's reasons, from /sync-shaped state to the plan: each room that cannot move says why (a typed blocker
// and a message) and what would unblock it; what moves but loses something says that too.
import { describe, expect, it } from 'vitest';
import { t } from '../../i18n';
import { aclAllows, buildPlan, summarisePlan, type PlanItem } from './plan';
import { snapshotFromSync, type JoinedRoomData } from './snapshot';

const ME = '@dana:alpha';
const TARGET = '@dana:beta';

const ev = (type: string, content: Record<string, unknown>, stateKey = '', sender = '@mod:gamma') => ({
  type,
  state_key: stateKey,
  sender,
  content,
});

/** A classic room (version 10) where dana is a plain member, with extra state. */
function room(name: string, extra: ReturnType<typeof ev>[] = [], { powerToInvite = 50 } = {}): JoinedRoomData {
  return {
    state: {
      events: [
        ev('m.room.create', { room_version: '10' }),
        ev('m.room.name', { name }),
        ev('m.room.join_rules', { join_rule: 'invite' }),
        ev('m.room.power_levels', { users: { '@mod:gamma': 100 }, users_default: 0, invite: powerToInvite }),
        ev('m.room.member', { membership: 'join' }, '@mod:gamma'),
        ev('m.room.member', { membership: 'join' }, ME, ME),
        ...extra,
      ],
    },
  };
}

function plan(join: Record<string, JoinedRoomData>, invite: Record<string, unknown> = {}): Map<string, PlanItem> {
  const snapshot = snapshotFromSync(
    { rooms: { join, invite: invite as never } },
    { userId: ME, serverName: 'alpha', baseUrl: 'http://alpha', portable: false, displayname: 'Dana', avatarUrl: 'mxc://alpha/face' },
  );
  const items = buildPlan({ snapshot, path: 'classic', targetUserId: TARGET });
  return new Map(items.map((i) => [i.roomId ?? i.id, i]));
}

describe('the dry run says why a room cannot move and what would unblock it', () => {
  it('gives every blocker its own reason and way out', () => {
    const items = plan({
      '!invite': room('Closed'),
      '!federate': room('Local only', [ev('m.room.create', { room_version: '10', 'm.federate': false })], { powerToInvite: 0 }),
      '!acl': room('Fenced', [ev('m.room.server_acl', { allow: ['*'], deny: ['beta'], allow_ip_literals: false })], { powerToInvite: 0 }),
      '!ban': room('Grudge', [ev('m.room.member', { membership: 'ban' }, TARGET)], { powerToInvite: 0 }),
      '!restricted': room('Members of Space', [
        ev('m.room.join_rules', { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: '!space' }] }),
      ]),
      '!knock': room('Knock knock', [ev('m.room.join_rules', { join_rule: 'knock' })]),
    });
    const blocked = (roomId: string) => {
      const item = items.get(roomId)!;
      expect(item).toMatchObject({ action: 'cannot', movable: false, selected: false });
      return [item.blocker, t(item.reason!), t(item.unblock!)];
    };
    expect(blocked('!invite')).toEqual([
      'no-invite',
      'The room is invite-only and the old account may not invite (needs power level 50, has 0).',
      'Ask a moderator to invite @dana:beta, then join from the new account.',
    ]);
    expect(blocked('!federate')[0]).toBe('no-federate');
    expect(blocked('!federate')[1]).toBe(
      'The room does not federate (m.federate is false): only accounts on alpha can ever be in it, so beta cannot join.',
    );
    expect(blocked('!acl')).toEqual([
      'server-acl',
      'The room’s server ACL bans beta: no account there may take part.',
      'Ask a room admin to allow beta in the room’s server ACL, then plan again.',
    ]);
    expect(blocked('!ban')).toEqual([
      'banned',
      '@dana:beta is banned from this room.',
      'Ask a moderator to unban @dana:beta, then plan again.',
    ]);
    expect(blocked('!restricted')[0]).toBe('restricted');
    expect(blocked('!restricted')[2]).toMatch(/Move the room that gives access first, then join from @dana:beta/);
    expect(blocked('!knock')[0]).toBe('knock');
    expect(blocked('!knock')[2]).toMatch(/Knock from @dana:beta after the move/);
  });

  it('a room that moves but hides its history from new members says so; one that shows it does not', () => {
    const items = plan({
      '!joined': room('Private past', [ev('m.room.history_visibility', { history_visibility: 'joined' })], { powerToInvite: 0 }),
      '!shared': room('Open past', [ev('m.room.history_visibility', { history_visibility: 'shared' })], { powerToInvite: 0 }),
    });
    expect(items.get('!joined')).toMatchObject({ action: 'reinvite', movable: true });
    expect(t(items.get('!joined')!.note!)).toMatch(/only what was sent after they joined: the new account will not see older messages/);
    expect(items.get('!shared')!.note).toBeUndefined();
  });

  it('lists rooms it was only invited to, and says where uploaded media stays', () => {
    const items = plan(
      { '!room': room('Ours', [], { powerToInvite: 0 }) },
      {
        '!pending': {
          invite_state: {
            events: [
              ev('m.room.name', { name: 'Pending' }),
              { type: 'm.room.member', state_key: ME, sender: '@bob:gamma', content: { membership: 'invite' } },
            ],
          },
        },
      },
    );
    const invite = items.get('!pending')!;
    expect(invite).toMatchObject({ kind: 'invite', blocker: 'invited-only', movable: false });
    expect(t(invite.reason!)).toBe('You were invited by @bob:gamma but have not joined: there is no membership to move yet.');
    expect(t(invite.unblock!)).toBe('Accept the invite before moving, or ask @bob:gamma to invite @dana:beta.');
    // An invite whose key came from the invite-key pool: accepting it first makes the room move with the identity.
    const pooled = plan(
      {},
      {
        '!pooled': {
          invite_state: {
            events: [
              {
                type: 'm.room.member',
                state_key: ME,
                sender: '@bob:gamma',
                content: { membership: 'invite' },
                unsigned: { 'dev.wayfarer.member_key_nonce': 'bm9uY2Vub25jZW5vbmNl' },
              },
            ],
          },
        },
      },
    ).get('!pooled')!;
    expect(pooled).toMatchObject({ blocker: 'invited-only', movable: false });
    expect(t(pooled.unblock!)).toBe('Accept the invite before moving: the room then moves seamlessly with your identity.');
    const media = items.get('media')!;
    expect([t(media.label), t(media.summary), media.movable]).toEqual(['Files you uploaded', 'stay on alpha', false]);
    expect(t(media.reason!)).toMatch(/Your avatar is uploaded again to the new server/);
    expect(summarisePlan([...items.values()])).toEqual({ seamless: 0, reinvite: 1, joinPublic: 0, blocked: 1, unselected: 0, settings: 1 });
  });

  it('checks server ACLs as the spec does: port ignored, deny wins, IP literals only when allowed', () => {
    const acl = { allow: ['*.example', 'beta'], deny: ['evil.example'], allowIpLiterals: false };
    expect(aclAllows(acl, 'beta:8448')).toBe(true);
    expect(aclAllows(acl, 'chat.example')).toBe(true);
    expect(aclAllows(acl, 'evil.example')).toBe(false);
    expect(aclAllows(acl, 'gamma')).toBe(false);
    expect(aclAllows({ ...acl, allow: ['*'] }, '10.0.0.1:8448')).toBe(false);
    expect(aclAllows({ ...acl, allow: ['*'], allowIpLiterals: true }, '10.0.0.1')).toBe(true);
  });
});
