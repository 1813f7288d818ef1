// "Contested" from the homeserver's report (member_info's dev.wayfarer.link.contested): the key's old server kept
// signing as it after it moved. The badge, its chip and words, and the same badge through describeSender (what
// timeline headers and the member list show).
import { describe, expect, it } from 'vitest';
import { renderToStaticMarkup } from 'react-dom/server';
import type { LinkInfo } from '../../protocol';
import { t } from '../../i18n';
import { badgeDescription, badgeLabel, badgeOf, contestingSigner, initialIdentityState, reduceIdentity } from '../../domain/identity/badge';
import { identityFactsOf, roomIdentities } from '../../domain/room/roomIdentities';
import { HandleBadge } from './HandleBadge';
import { identityStore } from '../../domain/identity/identityStore';
import { keyMemberEvent, roomWithState } from '../../domain/identity/keyRoomFixtures';

const key = 'l8Hft5qXKn1v-Hrg3p4_W8gELQVo8N13JkluMfmn2sQ';
const contested = { by: 'alpha.localhost', since_ts: 1_700_000_000_000, event_id: '$sent-by-alpha' };
const linkOnBeta = (extra: Partial<LinkInfo> = {}): LinkInfo => ({
  status: 'verified',
  localpart: 'alice',
  domain: 'beta.localhost',
  key_id: 'ed25519:b1',
  checked_ts: 1,
  ...extra,
});
const stateWith = (link: LinkInfo) => reduceIdentity(initialIdentityState(key, true), { type: 'member_info', link });

describe('contested by the homeserver’s report', () => {
  it('a verified key whose old server kept signing is contested, naming both servers', () => {
    const badge = badgeOf(stateWith(linkOnBeta({ contested })));
    expect(badge).toMatchObject({
      kind: 'contested',
      linkStatus: 'verified',
      claimedHandle: '@alice:beta.localhost',
      signer: { by: 'alpha.localhost', movedTo: 'beta.localhost', eventId: '$sent-by-alpha' },
    });
    const { accessibleName, tooltip } = badgeDescription(badge);
    expect(accessibleName).toEqual({ key: 'identity.badge.contestedName' });
    const reason = { key: 'identity.contested.signer', values: { by: 'alpha.localhost', movedTo: 'beta.localhost' } };
    expect(tooltip).toEqual({ key: 'identity.badge.contestedClaimTooltip', values: { claim: '@alice:beta.localhost', reason } });
    expect(t(tooltip)).toContain('alpha.localhost kept signing as this key after it moved to beta.localhost');
    expect(badgeLabel(badge)).toEqual({ key: 'identity.badge.contested' });
  });

  it('without the report, or with a malformed one, the key is just verified', () => {
    expect(badgeOf(stateWith(linkOnBeta())).kind).toBe('verified');
    for (const bad of [
      null,
      'alpha',
      { by: 5, since_ts: 1, event_id: '$x' },
      { by: 'alpha', since_ts: 'x', event_id: '$x' },
      { by: '', since_ts: 1, event_id: '$x' },
      { by: 'alpha', since_ts: 1 },
    ]) {
      expect(badgeOf(stateWith(linkOnBeta({ contested: bad as never }))).kind, JSON.stringify(bad)).toBe('verified');
    }
  });

  it('a key back on the server that contested it is not contested by it', () => {
    expect(contestingSigner(linkOnBeta({ domain: 'alpha.localhost', contested }))).toBeUndefined();
    expect(badgeOf(stateWith(linkOnBeta({ domain: 'alpha.localhost', contested }))).kind).toBe('verified');
  });

  it('an erased member stays erased; an unverified one is contested with its status kept', () => {
    expect(badgeOf(stateWith(linkOnBeta({ status: 'erased', contested }))).kind).toBe('erased');
    expect(badgeOf(stateWith(linkOnBeta({ status: 'unverified', contested })))).toMatchObject({
      kind: 'contested',
      linkStatus: 'unverified',
    });
  });

  it('renders a distinct chip with the accessible name and the tooltip', () => {
    const html = renderToStaticMarkup(<HandleBadge badge={badgeOf(stateWith(linkOnBeta({ contested })))} />);
    expect(html).toContain('aria-label="contested identity"');
    expect(html).toContain('data-badge="contested"');
    expect(html).toMatch(/title="[^"]*alpha\.localhost kept signing as this key after it moved to beta\.localhost/);
    const verified = renderToStaticMarkup(<HandleBadge badge={badgeOf(stateWith(linkOnBeta()))} />);
    expect(verified).not.toContain('contested');
  });

  it('reaches timeline headers and the member list through describeSender, from member_info alone', () => {
    const room = roomWithState(
      '!contested:x',
      [
        keyMemberEvent(
          '!contested:x',
          '@alice:beta.localhost',
          key,
          { displayname: 'Alice', localpart: 'alice', domain: 'beta.localhost' },
          2,
        ),
      ],
      '@bob:gamma',
    );
    const info = (link: LinkInfo) => ({ [`@${key}`]: { user_id: '@alice:beta.localhost', 'dev.wayfarer.link': link } });
    identityStore.getState().ingestMemberInfo(room.roomId, info(linkOnBeta()), true);
    const describeSender = (sender: { identity: string; sender: string }) =>
      roomIdentities(room).profile(sender, identityFactsOf(identityStore.getState(), room.roomId));
    expect(describeSender({ identity: key, sender: '@alice:beta.localhost' }).badge.kind).toBe('verified');
    // An incremental /sync with the report, no new event: the same sender is now contested.
    identityStore.getState().ingestMemberInfo(room.roomId, info(linkOnBeta({ contested })), false);
    const profile = describeSender({ identity: key, sender: '@alice:beta.localhost' });
    expect(profile).toMatchObject({ name: 'Alice', badge: { kind: 'contested', signer: { by: 'alpha.localhost' } } });
  });
});
