import { describe, expect, it } from 'vitest';
import { createLinkNoticeStore, linkStatusAt, observeLinks, type LinkNotice, type RoomLinkLog } from '../identity/linkNotices';
import { describeLinkNotice, erasureNotices, placeLinkNotices, sentByUnverified } from './identityNotices';
import { withPlacedNotices } from './handleChanges';
import { buildTimelineRows, type TimelineEvent } from './timeline';
import { actionTarget, withPowerLevel } from '../identity/memberActions';
import { t } from '../../i18n';
import type { MemberInfo } from '../../protocol';

const BOB = 'B'.repeat(43);
const MALLORY = 'M'.repeat(43);
const ALICE = 'A'.repeat(43);

function info(status: 'verified' | 'unverified' | 'pending' | 'erased', extra: Record<string, unknown> = {}): MemberInfo {
  return {
    user_id: status === 'verified' ? '@bob:beta' : null,
    'dev.wayfarer.link': { status, localpart: 'bob', domain: 'beta', checked_ts: 1, ...extra },
  } as MemberInfo;
}

function event(id: string, ts: number, fields: Partial<TimelineEvent> = {}): TimelineEvent {
  return {
    id,
    type: 'm.room.message',
    sender: '@x:y',
    identity: ALICE,
    ts,
    content: { msgtype: 'm.text', body: id },
    redacted: false,
    status: 'sent',
    ...fields,
  };
}

describe('observing link changes', () => {
  it('says nothing of a link seen for the first time, then records lost and restored links', () => {
    const first = observeLinks(undefined, { [BOB]: info('verified') }, 100);
    expect(first.added).toEqual([]);
    const lost = observeLinks(first.log, { [BOB]: info('unverified', { reason: 'beta retired its key' }) }, 200);
    expect(lost.added).toMatchObject([
      { identity: BOB, kind: 'lost', from: 'verified', to: 'unverified', ts: 200, reason: 'beta retired its key', handle: '@bob:beta' },
    ]);
    const restored = observeLinks(lost.log, { [BOB]: info('verified') }, 300);
    expect(restored.added).toMatchObject([{ kind: 'restored', from: 'unverified', to: 'verified', ts: 300 }]);
    expect(restored.log.notices.map((n) => n.kind)).toEqual(['lost', 'restored']);
  });

  it('a first check (pending → verified) is not news, nor is a report that changes nothing', () => {
    const pending = observeLinks(undefined, { [BOB]: info('pending') }, 100).log;
    expect(observeLinks(pending, { [BOB]: info('verified') }, 200).added).toEqual([]);
    const verified = observeLinks(pending, { [BOB]: info('verified') }, 200).log;
    expect(observeLinks(verified, { [BOB]: info('verified') }, 300).added).toEqual([]);
  });

  it('a new contested report is a notice once; a malformed one is ignored', () => {
    const log = observeLinks(undefined, { [BOB]: info('verified', { domain: 'beta' }) }, 100).log;
    const contested = info('verified', { domain: 'beta', contested: { by: 'alpha', since_ts: 150, event_id: '$e' } });
    const once = observeLinks(log, { [BOB]: contested }, 200);
    expect(once.added).toMatchObject([{ kind: 'contested', by: 'alpha' }]);
    expect(observeLinks(once.log, { [BOB]: contested }, 300).added).toEqual([]);
    const malformed = info('verified', { contested: { by: 42 } });
    expect(observeLinks(log, { [BOB]: malformed }, 200).added).toEqual([]);
  });

  it('keeps the log per account across a reload, and notices a change made while no session was open', () => {
    let saved: Record<string, RoomLinkLog> | undefined;
    const storage = {
      load: () => saved && structuredClone(saved),
      save: (rooms: Record<string, RoomLinkLog>) => void (saved = rooms),
      clear() {},
    };
    const before = createLinkNoticeStore(storage);
    before.getState().observe('!r', { [BOB]: info('verified') }, 100);
    const after = createLinkNoticeStore(storage); // the page reloaded
    after.getState().observe('!r', { [BOB]: info('unverified') }, 500);
    expect(after.getState().rooms['!r']!.notices).toMatchObject([{ kind: 'lost', ts: 500 }]);
    expect(createLinkNoticeStore(storage).getState().rooms['!r']!.notices).toHaveLength(1);
  });
});

describe('link status when an event was sent', () => {
  const notices: LinkNotice[] = [
    { id: '1', identity: BOB, kind: 'lost', ts: 200, from: 'verified', to: 'unverified' },
    { id: '2', identity: BOB, kind: 'restored', ts: 400, from: 'unverified', to: 'verified' },
  ];
  it('is the status after the last change before it, else before the first change after it, else the current one', () => {
    expect(linkStatusAt(notices, BOB, 100, 'verified')).toBe('verified');
    expect(linkStatusAt(notices, BOB, 300, 'verified')).toBe('unverified');
    expect(linkStatusAt(notices, BOB, 500, 'unverified')).toBe('verified');
    expect(linkStatusAt(notices, MALLORY, 300, 'unverified')).toBe('unverified');
  });

  it('marks state changes by a member unverified then: a kick, power levels, a topic; not messages, own joins or pending links', () => {
    const current = (who: string) => (who === MALLORY ? 'unverified' : who === BOB ? 'verified' : 'pending');
    const kick = event('$kick', 100, {
      type: 'm.room.member',
      identity: MALLORY,
      stateKey: '@carol',
      subject: 'C'.repeat(43),
      content: { membership: 'leave' },
    });
    expect(sentByUnverified(kick, [], current)).toBe(true);
    expect(sentByUnverified({ ...kick, type: 'm.room.power_levels', stateKey: '', subject: undefined }, [], current)).toBe(true);
    expect(sentByUnverified({ ...kick, type: 'm.room.topic', stateKey: '', subject: undefined }, [], current)).toBe(true);
    expect(sentByUnverified({ ...kick, subject: MALLORY }, [], current)).toBe(false); // her own membership
    expect(sentByUnverified({ ...kick, stateKey: undefined, type: 'm.room.message' }, [], current)).toBe(false);
    expect(sentByUnverified({ ...kick, identity: BOB }, [], current)).toBe(false);
    expect(sentByUnverified({ ...kick, identity: ALICE }, [], current)).toBe(false); // pending is not suspicious
    // Bob kicked while his link was lost: marked, although it is verified again now.
    expect(sentByUnverified({ ...kick, identity: BOB, ts: 300 }, notices, current)).toBe(true);
    expect(sentByUnverified({ ...kick, identity: '@classic:server' }, [], () => 'unverified')).toBe(false);
  });
});

describe('placing identity notices', () => {
  const events = [event('$a', 100), event('$b', 300), event('$c', 500)];
  const lost: LinkNotice = {
    id: '9',
    identity: BOB,
    kind: 'lost',
    ts: 350,
    from: 'verified',
    to: 'unverified',
    handle: '@bob:beta',
    reason: 'gone',
  };

  it('puts a link change after the last event seen before it, opening the inspector', () => {
    const rows = withPlacedNotices(
      events,
      buildTimelineRows(events, (u) => u),
      placeLinkNotices(events, [lost], () => 'Bob', false),
    );
    const keys = rows.map((r) => r.key);
    expect(keys).toEqual([expect.stringMatching(/^day-/), '$a', '$b', 'link-9', '$c']);
    const row = rows[3]!;
    expect(row.kind === 'notice' && row.inspect).toBe(BOB);
    expect(row.kind === 'notice' && t(row.text)).toBe('Bob’s handle @bob:beta is no longer verified: gone');
  });

  it('leaves out a change older than the loaded events until the room start is loaded', () => {
    const early = { ...lost, ts: 50 };
    expect(placeLinkNotices(events, [early], () => 'Bob', false)).toEqual([]);
    expect(placeLinkNotices(events, [early], () => 'Bob', true).map((p) => p.index)).toEqual([-0.5]);
  });

  it('says lost, restored, contested and erased apart', () => {
    expect(t(describeLinkNotice({ ...lost, reason: undefined }, 'Bob'))).toBe('Bob’s handle @bob:beta is no longer verified');
    expect(t(describeLinkNotice({ ...lost, kind: 'restored' }, 'Bob'))).toBe('Bob’s handle @bob:beta is verified again');
    expect(t(describeLinkNotice({ ...lost, kind: 'contested', by: 'alpha' }, 'Bob'))).toBe(
      'Bob’s old server alpha kept signing as this member after the move',
    );
  });

  it('an erasure stands at the redaction of a member event, about the erased member', () => {
    const redaction = event('$r', 400, { type: 'm.room.redaction', identity: ALICE, content: { redacts: '$member' } });
    const other = event('$r2', 450, { type: 'm.room.redaction', identity: ALICE, content: { redacts: '$message' } });
    const placed = erasureNotices(
      [...events, redaction, other],
      (e) => (e.content.redacts === '$member' ? { subject: BOB } : undefined),
      (who) => (who === ALICE ? 'Alice' : 'Bob'),
      (who) => (who === BOB ? '@bob:beta' : undefined),
    );
    expect(placed).toHaveLength(1);
    expect(placed[0]!.index).toBe(3);
    expect(placed[0]!.row.inspect).toBe(BOB);
    expect(t(placed[0]!.row.text)).toBe('@bob:beta was erased: Alice redacted the member event');
    // Its handle gone with the redacted events too: the erasure is still said, without a name.
    const unknown = erasureNotices(
      [redaction],
      () => ({ subject: BOB }),
      () => 'Alice',
    );
    expect(t(unknown[0]!.row.text)).toBe('A member was erased: Alice redacted the member event');
  });
});

describe('inspector actions target the member key', () => {
  it('names a member key by its stable ID, a classic member by its user ID', () => {
    expect(actionTarget(MALLORY)).toBe(`@${MALLORY}`);
    expect(actionTarget('@bob:beta')).toBe('@bob:beta');
  });

  it('a power level goes on the key, and off the user ID it is shown as', () => {
    const content = { users: { '@_unverified_bob_beta:alpha': 50, '@alice:alpha': 100 }, users_default: 0 };
    expect(withPowerLevel(content, MALLORY, '@_unverified_bob_beta:alpha', 0)).toEqual({
      users: { '@alice:alpha': 100, [`@${MALLORY}`]: 0 },
      users_default: 0,
    });
  });
});
