import { describe, expect, it } from 'vitest';
import { MatrixEvent } from 'matrix-js-sdk';
import { t } from '../../i18n';
import { aggregateReactions, annotationOf, ownReaction, reactionLabel } from './reactions';
import { buildTimelineRows, type TimelineEvent, type TimelineRow } from './timeline';
import { toTimelineEvent } from './fromSdk';

const noon = new Date(2026, 10, 20, 12, 0, 0).getTime();
let counter = 0;

function message(sender: string, ts: number, extra: Partial<TimelineEvent> = {}): TimelineEvent {
  counter += 1;
  return {
    id: `$m${counter}`,
    type: 'm.room.message',
    sender,
    identity: sender,
    ts,
    content: { msgtype: 'm.text', body: 'hi' },
    redacted: false,
    status: 'sent',
    ...extra,
  };
}

function reaction(target: string, key: string, sender: string, ts: number, extra: Partial<TimelineEvent> = {}): TimelineEvent {
  counter += 1;
  return {
    id: `$r${counter}`,
    type: 'm.reaction',
    sender,
    identity: sender,
    ts,
    content: { 'm.relates_to': { rel_type: 'm.annotation', event_id: target, key } },
    redacted: false,
    status: 'sent',
    ...extra,
  };
}

const nameOf = (id: string) => id.slice(1, id.indexOf(':'));
const messageRows = (rows: TimelineRow[]) => rows.filter((r): r is Extract<TimelineRow, { kind: 'message' }> => r.kind === 'message');
const summary = (groups: ReturnType<typeof aggregateReactions>, target: string) =>
  groups.get(target)?.map((g) => [g.key, g.reactors.map((r) => r.identity)]);

describe('aggregateReactions', () => {
  it('groups by key and counts each identity once, however often it reacts with that key', () => {
    const m = message('@bob:x', noon);
    const groups = aggregateReactions([
      m,
      reaction(m.id, '👍', '@alice:x', noon + 1),
      reaction(m.id, '👍', '@alice:x', noon + 2),
      reaction(m.id, '👍', '@bob:x', noon + 3),
    ]);
    expect(summary(groups, m.id)).toEqual([['👍', ['@alice:x', '@bob:x']]]);
  });

  it('keys reactors on identity, not handle: two keys behind one handle are two people, one key under two handles one', () => {
    const m = message('@bob:x', noon);
    const groups = aggregateReactions([
      m,
      reaction(m.id, '🎉', '@alice:x', noon + 1, { identity: 'keyA' }),
      reaction(m.id, '🎉', '@alice:x', noon + 2, { identity: 'keyB' }), // an impostor claiming alice's handle
      reaction(m.id, '🎉', '@_unverified_a:y', noon + 3, { identity: 'keyA' }), // keyA again, its handle now unverified
    ]);
    expect(summary(groups, m.id)).toEqual([['🎉', ['keyA', 'keyB']]]);
    // The first event of an identity is the one its toggle redacts.
    expect(ownReaction(groups.get(m.id)![0]!, 'keyA')?.eventId).toBe(groups.get(m.id)![0]!.reactors[0]!.eventId);
  });

  it('ignores redacted and failed reactions, and annotations that are malformed', () => {
    const m = message('@bob:x', noon);
    const groups = aggregateReactions([
      m,
      reaction(m.id, '👍', '@alice:x', noon + 1, { redacted: true, content: {} }),
      reaction(m.id, '👍', '@carol:x', noon + 2, { redacted: true }), // redacted with content still around
      reaction(m.id, '❤️', '@dan:x', noon + 3, { status: 'failed' }),
      reaction(m.id, '', '@erin:x', noon + 4),
      { ...reaction(m.id, '😮', '@fay:x', noon + 5), content: { 'm.relates_to': { rel_type: 'm.reference', event_id: m.id, key: '😮' } } },
      { ...reaction(m.id, '😮', '@gil:x', noon + 6), content: { 'm.relates_to': 'nonsense' } },
    ]);
    expect(groups.get(m.id)).toBeUndefined();
  });

  it('when an identity takes its reaction back and reacts again, it counts once, at its new place', () => {
    const m = message('@bob:x', noon);
    const first = reaction(m.id, '👍', '@alice:x', noon + 1, { redacted: true, content: {} });
    const groups = aggregateReactions([m, first, reaction(m.id, '👍', '@bob:x', noon + 2), reaction(m.id, '👍', '@alice:x', noon + 3)]);
    expect(summary(groups, m.id)).toEqual([['👍', ['@bob:x', '@alice:x']]]);
  });

  it('orders keys by their first reaction and reactors by when they reacted, whatever the arrival order', () => {
    const m = message('@bob:x', noon);
    const groups = aggregateReactions([
      m,
      reaction(m.id, '😂', '@carol:x', noon + 30),
      reaction(m.id, '👍', '@alice:x', noon + 10),
      reaction(m.id, '😂', '@alice:x', noon + 20),
      reaction(m.id, '👍', '@dan:x', noon + 40),
    ]);
    expect(summary(groups, m.id)).toEqual([
      ['👍', ['@alice:x', '@dan:x']],
      ['😂', ['@alice:x', '@carol:x']],
    ]);
  });

  it('keeps reactions to different messages apart', () => {
    const a = message('@bob:x', noon);
    const b = message('@bob:x', noon + 1);
    const groups = aggregateReactions([a, b, reaction(a.id, '👍', '@alice:x', noon + 2), reaction(b.id, '❤️', '@alice:x', noon + 3)]);
    expect(summary(groups, a.id)).toEqual([['👍', ['@alice:x']]]);
    expect(summary(groups, b.id)).toEqual([['❤️', ['@alice:x']]]);
  });

  it('annotationOf reads only m.reaction events', () => {
    const m = message('@bob:x', noon, { content: { body: 'x', 'm.relates_to': { rel_type: 'm.annotation', event_id: '$t', key: 'k' } } });
    expect(annotationOf(m)).toBeUndefined();
    expect(annotationOf(reaction('$t', 'k', '@a:x', noon))).toEqual({ target: '$t', key: 'k' });
  });
});

describe('reactions in the row model', () => {
  it('folds reactions into their message: no rows of their own, group chains unbroken', () => {
    const a = message('@bob:x', noon);
    const b = message('@bob:x', noon + 1000);
    const rows = buildTimelineRows([a, reaction(a.id, '👍', '@alice:x', noon + 500), b], nameOf);
    const messages = messageRows(rows);
    expect(rows.filter((r) => r.kind !== 'day')).toHaveLength(2);
    expect(messages.map((r) => r.startsGroup)).toEqual([true, false]);
    expect(messages[0]!.reactions.map((g) => [g.key, g.reactors.length])).toEqual([['👍', 1]]);
    expect(messages[1]!.reactions).toEqual([]);
  });

  it('a deleted message shows no reactions', () => {
    const a = message('@bob:x', noon, { redacted: true, content: {} });
    const rows = buildTimelineRows([a, reaction(a.id, '👍', '@alice:x', noon + 1)], nameOf);
    expect(messageRows(rows)[0]!.reactions).toEqual([]);
  });
});

describe('toTimelineEvent for reactions', () => {
  it('treats a reaction whose redaction is on its way as gone, and back when the redaction is cancelled', () => {
    const raw = {
      type: 'm.reaction',
      event_id: '$re',
      sender: '@alice:x',
      origin_server_ts: 1,
      content: { 'm.relates_to': { rel_type: 'm.annotation', event_id: '$m', key: '👍' } },
    };
    const sdkEvent = new MatrixEvent(raw);
    expect(toTimelineEvent(sdkEvent).redacted).toBe(false);
    const redaction = new MatrixEvent({ type: 'm.room.redaction', redacts: '$re', sender: '@alice:x', origin_server_ts: 2, content: {} });
    sdkEvent.markLocallyRedacted(redaction);
    expect(annotationOf(toTimelineEvent(sdkEvent))).toBeUndefined();
    sdkEvent.unmarkLocallyRedacted();
    expect(annotationOf(toTimelineEvent(sdkEvent))).toEqual({ target: '$m', key: '👍' });
  });
});

describe('reactionLabel', () => {
  it('names the key, count and people, and what pressing does', () => {
    expect(reactionLabel('👍', ['alice', 'bob'], true)).toEqual({
      key: 'chat.reactions.summary',
      values: { key: '👍', count: 2, names: 'alice, bob', mine: 'yes' },
    });
    expect(t(reactionLabel('👍', ['alice', 'bob'], true))).toBe('👍 2 reactions: alice, bob — press to remove yours');
    expect(t(reactionLabel('👍', ['alice'], false))).toBe('👍 1 reaction: alice — press to add yours');
  });
});
