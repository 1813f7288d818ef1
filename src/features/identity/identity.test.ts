// Identity resolution, grouping by key and the badge state machine (issue 6).
import { describe, expect, it } from 'vitest';
import { buildTimelineRows, type TimelineEvent, type TimelineRow } from '../../domain/room/timeline';
import { senderIdentity } from '../../domain/identity/sender';
import {
  badgeDescription,
  badgeLabel,
  badgeOf,
  disagreement,
  initialIdentityState,
  reduceIdentity,
  type IdentityAction,
  type KeyIdentityState,
} from '../../domain/identity/badge';
import { t } from '../../i18n';
import { describeHandleChange, handleChangeOf, withHandleChangeNotices } from '../../domain/room/handleChanges';
import { createIdentityStore, ingestSyncBody, summarizeBrowserChecks } from '../../domain/identity/identityStore';
import type { LinkInfo } from '../../protocol';

const keyA = 'l8Hft5qXKn1v-Hrg3p4_W8gELQVo8N13JkluMfmn2sQ';
const keyB = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaE';
const keyAStd = keyA.replace(/-/g, '+').replace(/_/g, '/');
const t0 = new Date(2026, 10, 22, 9, 0).getTime();

let n = 0;
function event(fields: Partial<TimelineEvent> & { identity: string }): TimelineEvent {
  n++;
  return {
    id: `$e${n}`,
    type: 'm.room.message',
    sender: '@bob:beta',
    ts: t0 + n * 1000,
    content: { msgtype: 'm.text', body: `m${n}` },
    redacted: false,
    status: 'sent',
    ...fields,
  };
}
const messages = (rows: TimelineRow[]) => rows.filter((r): r is Extract<TimelineRow, { kind: 'message' }> => r.kind === 'message');

describe('identity resolution', () => {
  it('is the member key in either base64 encoding, else the stable ID, else the sender', () => {
    expect(senderIdentity({ sender: '@alice:alpha', sender_key: keyAStd })).toBe(keyA);
    expect(senderIdentity({ sender: '@_unverified_alice_alpha:beta', unsigned: { 'org.matrix.msc4428.stable_id': `@${keyA}` } })).toBe(
      keyA,
    );
    expect(
      senderIdentity({ sender: '@alice:alpha', sender_key: 'not a key', unsigned: { 'org.matrix.msc4428.stable_id': `@${keyA}` } }),
    ).toBe(keyA);
    expect(senderIdentity({ sender: '@alice:alpha' })).toBe('@alice:alpha');
  });
});

describe('grouping by key', () => {
  it('keeps one key one group across a handle change, with an inline notice', () => {
    const first = event({ identity: keyA, sender: '@alice:alpha' });
    const move = event({
      identity: keyA,
      type: 'm.room.member',
      sender: '@alice:beta',
      stateKey: '@alice:beta',
      content: { membership: 'join', localpart: 'alice', domain: 'beta', displayname: 'Alice' },
      prevContent: { membership: 'join', localpart: 'alice', domain: 'alpha', displayname: 'Alice' },
    });
    const second = event({ identity: keyA, sender: '@alice:beta' });
    const events = [first, move, second];
    const rows = withHandleChangeNotices(
      events,
      buildTimelineRows(events, () => 'x'),
      () => ({ name: 'Alice', verified: true }),
    );
    expect(messages(rows).map((r) => r.startsGroup)).toEqual([true, false]);
    const notice = rows.find((r) => r.kind === 'notice');
    expect(notice && notice.kind === 'notice' && notice.text).toEqual({
      key: 'identity.handle.changed',
      values: { name: 'Alice', from: '@alice:alpha', to: '@alice:beta' },
    });
    expect(notice && notice.kind === 'notice' && t(notice.text)).toBe('Alice’s handle changed from @alice:alpha to @alice:beta');
    expect(rows.map((r) => r.kind)).toEqual(['day', 'message', 'notice', 'message']);
  });

  it('never groups two keys, even with the same sender user ID and display name', () => {
    const events = [
      event({ identity: keyA, sender: '@bob:beta' }),
      event({ identity: keyB, sender: '@bob:beta' }),
      event({ identity: keyB, sender: '@bob:beta' }),
    ];
    expect(messages(buildTimelineRows(events, () => 'Bob')).map((r) => r.startsGroup)).toEqual([true, true, false]);
  });

  it('ignores member events that change no handle, and words erasure', () => {
    const rename = event({
      identity: keyA,
      type: 'm.room.member',
      content: { membership: 'join', localpart: 'a', domain: 'x' },
      prevContent: { membership: 'join', localpart: 'a', domain: 'x' },
    });
    expect(handleChangeOf(rename)).toBeUndefined();
    expect(describeHandleChange('Bob', { from: '@bob:beta' })).toEqual({ key: 'identity.handle.erased', values: { name: 'Bob' } });
    expect(t(describeHandleChange('Bob', { from: '@bob:beta' }))).toBe('Bob’s handle was erased');
    // An unverified claim is said to be one, not shown as a handle change.
    expect(describeHandleChange('Member 3Tim', { from: '@mallory:gamma', to: '@bob:beta' }, false)).toEqual({
      key: 'identity.handle.claimsUnverified',
      values: { name: 'Member 3Tim', to: '@bob:beta' },
    });
    expect(t(describeHandleChange('Member 3Tim', { from: '@mallory:gamma', to: '@bob:beta' }, false))).toBe(
      'Member 3Tim now claims @bob:beta (⚠ unverified handle)',
    );
  });
});

const link = (fields: Partial<LinkInfo>): LinkInfo => ({
  status: 'verified',
  localpart: 'bob',
  domain: 'beta',
  key_id: 'ed25519:b1',
  checked_ts: 1,
  ...fields,
});
const run = (state: KeyIdentityState, ...actions: IdentityAction[]) => actions.reduce(reduceIdentity, state);
const record = (eventId: string, ts: number, domain: string, localpart = 'bob') =>
  ({ type: 'member_event', record: { eventId, ts, domain, localpart, membership: 'join' } }) as const;

describe('badge state machine', () => {
  it('classic rooms show the user ID plainly', () => {
    expect(badgeOf(initialIdentityState('@bob:beta', false))).toEqual({ kind: 'plain', handle: '@bob:beta' });
  });

  it('verified → unverified (key rotated) → verified (re-signed), following member_info', () => {
    let state = run(initialIdentityState(keyA, true), { type: 'member_info', link: link({}) });
    expect(badgeLabel(badgeOf(state))).toEqual({ key: 'identity.badge.handle', values: { handle: '@bob:beta' } });
    state = run(state, {
      type: 'member_info',
      link: link({ status: 'unverified', reason: 'beta no longer publishes the key ed25519:b1' }),
    });
    const badge = badgeOf(state);
    expect(badgeLabel(badge)).toEqual({ key: 'identity.badge.unverified' });
    expect(badgeDescription(badge).accessibleName).toEqual({ key: 'identity.badge.unverifiedName' });
    const reason = { key: 'identity.reason.text', values: { reason: 'beta no longer publishes the key ed25519:b1' } };
    expect(badgeDescription(badge).tooltip).toEqual({
      key: 'identity.badge.unverifiedClaimTooltip',
      values: { claim: '@bob:beta', reason },
    });
    // The view's words, through t().
    expect(t(badgeLabel(badge))).toBe('⚠ Unverified handle');
    expect(t(badgeDescription(badge).tooltip)).toBe('Claims @bob:beta, not verified: beta no longer publishes the key ed25519:b1');
    state = run(state, { type: 'member_info', link: link({ key_id: 'ed25519:b2' }) });
    expect(badgeOf(state)).toMatchObject({ kind: 'verified', handle: '@bob:beta', keyId: 'ed25519:b2' });
  });

  it('never shows an unverified claim as a handle; before any report it is unverified', () => {
    const state = run(initialIdentityState(keyA, true), record('$1', 1, 'beta'));
    expect(badgeOf(state)).toMatchObject({ kind: 'unverified', claimedHandle: '@bob:beta' });
    expect(badgeLabel(badgeOf(state))).toEqual({ key: 'identity.badge.unverified' });
    expect(badgeOf(state)).toMatchObject({ reason: { key: 'identity.unverified.notReported' } });
  });

  it('a pending link (an invite whose server has not co-signed yet) is "not yet verified": neutral, never the impostor warning', () => {
    const reason = 'beta.example has not co-signed this member event';
    const state = run(initialIdentityState(keyA, true), {
      type: 'member_info',
      link: { status: 'pending', localpart: 'bob', domain: 'beta', checked_ts: 1, reason },
    });
    const badge = badgeOf(state);
    expect(badge).toMatchObject({ kind: 'pending', claimedHandle: '@bob:beta' });
    expect(t(badgeLabel(badge))).toBe('Not yet verified');
    expect(t(badgeDescription(badge).accessibleName)).toBe('handle not yet verified');
    expect(t(badgeDescription(badge).tooltip)).toBe(`Claims @bob:beta, not yet verified: ${reason}`);
  });

  it('erased members are named by their short key', () => {
    const state = run(initialIdentityState(keyA, true), { type: 'member_info', link: { status: 'erased', domain: 'beta', checked_ts: 1 } });
    expect(badgeLabel(badgeOf(state))).toEqual({ key: 'identity.badge.erased', values: { shortKey: keyA.slice(0, 8) } });
    expect(t(badgeLabel(badgeOf(state)))).toBe(`Erased member ${keyA.slice(0, 8)}`);
  });

  it('a handle that moves away and back is contested, even if verified', () => {
    const state = run(
      initialIdentityState(keyA, true),
      { type: 'member_info', link: link({ domain: 'alpha' }) },
      record('$1', 1, 'alpha'),
      record('$2', 2, 'beta'),
      record('$3', 3, 'alpha'),
    );
    const badge = badgeOf(state);
    expect(badge).toMatchObject({ kind: 'contested', linkStatus: 'verified' });
    expect(badge.kind === 'contested' && badge.reason).toEqual({
      key: 'identity.contested.movedBack',
      values: { from: 'beta', to: 'alpha', trail: 'alpha → beta → alpha' },
    });
    expect(badgeDescription(badge).accessibleName).toEqual({ key: 'identity.badge.contestedName' });
    // A single move is not contested.
    expect(
      badgeOf(
        run(initialIdentityState(keyA, true), { type: 'member_info', link: link({}) }, record('$1', 1, 'alpha'), record('$2', 2, 'beta')),
      ).kind,
    ).toBe('verified');
  });

  it('reports where the browser and the homeserver disagree', () => {
    const state = run(
      initialIdentityState(keyA, true),
      { type: 'member_info', link: link({}) },
      {
        type: 'browser_check',
        check: { state: 'done', status: 'unverified', code: 'key_missing', reason: 'beta no longer publishes ed25519:b1', checkedTs: 2 },
      },
    );
    expect(disagreement(state)).toEqual({
      key: 'identity.disagreement',
      values: { server: 'verified', browser: 'unverified', reason: 'beta no longer publishes ed25519:b1' },
    });
    expect(t(disagreement(state)!)).toBe(
      'Your homeserver says verified; this browser found: unverified — beta no longer publishes ed25519:b1',
    );
    expect(disagreement(run(state, { type: 'member_info', link: link({ status: 'unverified' }) }))).toBeUndefined();
  });
});

describe('member_info from /sync', () => {
  it('takes the whole map on an initial sync and changes on incremental ones, keyed by normalised key', () => {
    const store = createIdentityStore();
    ingestSyncBody(
      store,
      {
        rooms: {
          join: {
            '!r': { 'org.matrix.msc4428.member_info': { [`@${keyA}`]: { user_id: '@bob:beta', 'dev.wayfarer.link': link({}) }, junk: 5 } },
          },
        },
      },
      true,
    );
    expect(store.getState().memberInfo['!r']?.[keyA]?.user_id).toBe('@bob:beta');
    const before = store.getState().revision['!r'];
    ingestSyncBody(
      store,
      {
        rooms: {
          join: {
            '!r': {
              'org.matrix.msc4428.member_info': { [`@${keyAStd}`]: { user_id: null, 'dev.wayfarer.link': link({ status: 'unverified' }) } },
            },
          },
        },
      },
      false,
    );
    expect(store.getState().memberInfo['!r']?.[keyA]?.['dev.wayfarer.link']?.status).toBe('unverified');
    expect(store.getState().revision['!r']).toBe(before! + 1);
    ingestSyncBody(store, { rooms: { join: { '!r': { timeline: { events: [] } } } } }, false);
    expect(store.getState().revision['!r']).toBe(before! + 1);
    expect(() => ingestSyncBody(store, null, false)).not.toThrow();
  });
});

describe('browser check summary', () => {
  it('counts verdicts and disagreements with the homeserver', () => {
    const store = createIdentityStore();
    store.getState().ingestMemberInfo(
      '!r',
      {
        [`@${keyA}`]: { user_id: null, 'dev.wayfarer.link': link({}) },
        [`@${keyB}`]: { user_id: null, 'dev.wayfarer.link': link({ status: 'unverified' }) },
      },
      true,
    );
    store.getState().setBrowserChecks('!r', [
      [keyA, { state: 'done', status: 'unverified', code: 'key_missing', reason: 'gone', checkedTs: 1 }],
      [keyB, { state: 'done', status: 'unverified', code: 'no_co_signature', reason: 'never', checkedTs: 1 }],
    ]);
    const summary = summarizeBrowserChecks('!r', [keyA, keyB], store.getState());
    expect(summary).toEqual({ key: 'identity.check.summaryDisagreeing', values: { count: 2, found: '2 unverified', disagreeing: 1 } });
    expect(t(summary)).toBe(
      'Checked 2 links in this browser: 2 unverified; 1 disagrees with your homeserver (open the member to see why).',
    );
  });
});
