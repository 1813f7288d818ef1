import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  buildTimelineRows,
  continuesGroup,
  groupWindowMs,
  lastEditableMessage,
  withPendingUploads,
  type PendingImage,
  type TimelineEvent,
  type TimelineRow,
} from './timeline';
import { senderIdentity } from '../identity/sender';
import { t } from '../../i18n';

const noon = new Date(2026, 10, 20, 12, 0, 0).getTime();
const minute = 60_000;
let counter = 0;

function message(sender: string, ts: number, body = 'hi', extra: Partial<TimelineEvent> = {}): TimelineEvent {
  counter += 1;
  return {
    id: `$e${counter}`,
    type: 'm.room.message',
    sender,
    identity: sender,
    ts,
    content: { msgtype: 'm.text', body },
    redacted: false,
    status: 'sent',
    ...extra,
  };
}

const nameOf = (id: string) => id.slice(1, id.indexOf(':'));
const messages = (rows: TimelineRow[]) => rows.filter((r) => r.kind === 'message');

describe('in-room verification requests', () => {
  it('are a notice naming both sides, not a message showing the fallback body', () => {
    const request = message('@bob:x', noon + minute, '@bob:x is requesting to verify your key, but your client does not support it', {
      content: { msgtype: 'm.key.verification.request', to: '@alice:x', from_device: 'D', methods: ['m.sas.v1'], body: 'fallback' },
    });
    const rows = buildTimelineRows([message('@alice:x', noon), request, message('@alice:x', noon + 2 * minute)], nameOf);
    expect(rows.map((r) => r.kind)).toEqual(['day', 'message', 'notice', 'message']);
    const notice = rows[2]!;
    expect(notice.kind === 'notice' && t(notice.text)).toBe('bob asked alice to verify their identity by comparing emoji');
    expect(messages(rows).every((r) => r.kind === 'message' && r.startsGroup)).toBe(true);
  });
});

describe('grouping (Element rule)', () => {
  it('groups consecutive messages of one sender within 5 minutes', () => {
    const rows = buildTimelineRows(
      [message('@a:x', noon), message('@a:x', noon + 4 * minute), message('@a:x', noon + 9 * minute - 1)],
      nameOf,
    );
    expect(messages(rows).map((r) => r.kind === 'message' && r.startsGroup)).toEqual([true, false, false]);
  });

  it('starts a new group after more than 5 minutes', () => {
    const rows = buildTimelineRows([message('@a:x', noon), message('@a:x', noon + groupWindowMs + 1)], nameOf);
    expect(messages(rows).map((r) => r.kind === 'message' && r.startsGroup)).toEqual([true, true]);
  });

  it('starts a new group for another sender and when the first comes back', () => {
    const rows = buildTimelineRows([message('@a:x', noon), message('@b:x', noon + minute), message('@a:x', noon + 2 * minute)], nameOf);
    expect(messages(rows).map((r) => r.kind === 'message' && r.startsGroup)).toEqual([true, true, true]);
  });

  it('breaks a group at a day boundary and adds a day separator', () => {
    const lateEvening = new Date(2026, 10, 20, 23, 58).getTime();
    const rows = buildTimelineRows([message('@a:x', lateEvening), message('@a:x', lateEvening + 3 * minute)], nameOf);
    expect(rows.map((r) => r.kind)).toEqual(['day', 'message', 'day', 'message']);
    expect(messages(rows).every((r) => r.kind === 'message' && r.startsGroup)).toBe(true);
  });

  it('breaks a group at a state notice in between', () => {
    const join: TimelineEvent = {
      ...message('@b:x', noon + minute),
      type: 'm.room.member',
      stateKey: '@b:x',
      content: { membership: 'join' },
    };
    const rows = buildTimelineRows([message('@a:x', noon), join, message('@a:x', noon + 2 * minute)], nameOf);
    expect(rows.map((r) => r.kind)).toEqual(['day', 'message', 'notice', 'message']);
    expect(rows[3]!.kind === 'message' && rows[3]!.startsGroup).toBe(true);
  });

  it('groups by identity, not by the sender string: two keys with one handle are two people', () => {
    const a = message('@alice:x', noon, 'one', {
      identity: senderIdentity({ sender: '@alice:x', sender_key: 'l8Hft5qXKn1v+Hrg3p4/W8gELQVo8N13JkluMfmn2sQ' }),
    });
    const b = message('@alice:x', noon + minute, 'two', {
      identity: senderIdentity({ sender: '@alice:x', sender_key: 'A8Hft5qXKn1v+Hrg3p4/W8gELQVo8N13JkluMfmn2sQ' }),
    });
    const rows = buildTimelineRows([a, b], nameOf);
    expect(messages(rows).map((r) => r.kind === 'message' && r.startsGroup)).toEqual([true, true]);
  });

  it('never groups across more than 5 minutes or across senders (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ who: fc.constantFrom('@a:x', '@b:x'), gap: fc.integer({ min: 0, max: 10 * minute }) }), { maxLength: 40 }),
        (steps) => {
          let ts = noon;
          const events = steps.map((s) => message(s.who, (ts += s.gap)));
          const rows = messages(buildTimelineRows(events, nameOf));
          for (let i = 1; i < rows.length; i++) {
            const prev = rows[i - 1]!;
            const cur = rows[i]!;
            if (prev.kind !== 'message' || cur.kind !== 'message') continue;
            if (!cur.startsGroup) expect(continuesGroup(prev.event, cur.event)).toBe(true);
            else expect(continuesGroup(prev.event, cur.event)).toBe(false);
          }
        },
      ),
    );
  });
});

describe('edits and redactions', () => {
  it('shows the latest edit of the sender and marks it edited, hiding the edit events', () => {
    const original = message('@a:x', noon, 'frist');
    const edit = (body: string, ts: number, sender = '@a:x') =>
      message(sender, ts, `* ${body}`, {
        content: {
          msgtype: 'm.text',
          body: `* ${body}`,
          'm.new_content': { msgtype: 'm.text', body },
          'm.relates_to': { rel_type: 'm.replace', event_id: original.id },
        },
      });
    const rows = buildTimelineRows(
      [original, edit('first', noon + 1000), edit('first!', noon + 2000), edit('hijack', noon + 3000, '@b:x')],
      nameOf,
    );
    const shown = messages(rows);
    expect(shown).toHaveLength(1);
    expect(shown[0]!.kind === 'message' && shown[0]!.content.body).toBe('first!');
    expect(shown[0]!.kind === 'message' && shown[0]!.edited).toBe(true);
  });

  it('keeps redacted messages as rows (shown as deleted) and hides redaction events', () => {
    const gone = message('@a:x', noon, '', { redacted: true, content: {} });
    const redaction: TimelineEvent = { ...message('@a:x', noon + 1), type: 'm.room.redaction', content: { redacts: gone.id } };
    const rows = buildTimelineRows([gone, redaction], nameOf);
    expect(messages(rows)).toHaveLength(1);
    expect(messages(rows)[0]!.kind === 'message' && messages(rows)[0]!.event.redacted).toBe(true);
  });
});

describe('notices', () => {
  it('describes membership, name, topic and power-level changes compactly', () => {
    const base = message('@a:x', noon);
    const state = (
      type: string,
      content: Record<string, unknown>,
      stateKey = '',
      prevContent?: Record<string, unknown>,
    ): TimelineEvent => ({
      ...base,
      id: `$${type}${stateKey}${JSON.stringify(content)}`,
      type,
      content,
      stateKey,
      prevContent,
    });
    const rows = buildTimelineRows(
      [
        state('m.room.member', { membership: 'invite' }, '@b:x'),
        state('m.room.member', { membership: 'join', displayname: 'Bee' }, '@a:x'),
        state('m.room.name', { name: 'Lounge' }),
        state('m.room.topic', { topic: 'Chat' }),
        state('m.room.power_levels', {}),
      ],
      nameOf,
    );
    const notices = rows.flatMap((r) => (r.kind === 'notice' ? [r.text] : []));
    expect(notices).toEqual([
      { key: 'timeline.invited', values: { actor: 'a', target: 'b' } },
      { key: 'timeline.joined', values: { target: 'Bee' } },
      { key: 'timeline.renamed', values: { actor: 'a', name: 'Lounge' } },
      { key: 'timeline.topicChanged', values: { actor: 'a', topic: 'Chat' } },
      // Shown since issue 15: a power-level change by an unverified member is exactly what must be seen.
      { key: 'timeline.powerLevels', values: { actor: 'a' } },
    ]);
    expect(notices.map((m) => t(m))).toEqual([
      'a invited b',
      'Bee joined',
      'a renamed the room to “Lounge”',
      'a changed the topic to “Chat”',
      'a changed the power levels',
    ]);
  });
});

describe('lastEditableMessage', () => {
  it('finds my newest sent text message, skipping others, deleted and unsent ones', () => {
    const mine = message('@me:x', noon, 'mine');
    const rows = buildTimelineRows(
      [
        mine,
        message('@b:x', noon + 1),
        message('@me:x', noon + 2, 'x', { redacted: true }),
        message('@me:x', noon + 3, 'y', { status: 'failed' }),
      ],
      nameOf,
    );
    expect(lastEditableMessage(rows, '@me:x')?.event.id).toBe(mine.id);
    expect(lastEditableMessage(rows, '@c:x')).toBeUndefined();
  });
});

describe('pending image uploads', () => {
  const me = { sender: '@me:x', identity: '@me:x' };
  const upload = (id: string, ts: number, extra: Partial<PendingImage> = {}): PendingImage => ({
    id,
    msgtype: 'm.image',
    name: `${id}.png`,
    ts,
    previewUrl: `blob:${id}`,
    w: 48,
    h: 32,
    loaded: 0,
    total: 100,
    status: 'uploading',
    ...extra,
  });
  const summary = (rows: TimelineRow[]) =>
    rows.map((r) => (r.kind === 'day' ? 'day' : `${r.kind}:${r.key}${'startsGroup' in r && r.startsGroup ? '+' : ''}`));

  it('come last, in the order they started, after local echoes, as my own messages', () => {
    const rows = buildTimelineRows(
      [message('@b:x', noon), message('@me:x', noon + minute, 'echo', { id: '~!r:t1', txnId: 't1', status: 'sending' })],
      nameOf,
    );
    const merged = withPendingUploads(
      rows,
      [upload('t3', noon + 3 * minute), upload('t2', noon + 2 * minute, { status: 'failed', error: 'offline' })],
      me,
    );
    expect(summary(merged).slice(-3)).toEqual(['message:t1+', 'upload:t2', 'upload:t3']);
    const last = merged[merged.length - 1]!;
    expect(last.kind === 'upload' && last.event).toMatchObject({
      sender: '@me:x',
      identity: '@me:x',
      status: 'sending',
      content: { msgtype: 'm.image', body: 't3.png' },
    });
    const failed = merged[merged.length - 2]!;
    expect(failed.kind === 'upload' && failed.event.status).toBe('failed');
  });

  it('group with my messages just above, not with someone else’s or after the grouping window', () => {
    const mine = buildTimelineRows([message('@me:x', noon)], nameOf);
    expect(summary(withPendingUploads(mine, [upload('u', noon + minute)], me))).toEqual(['day', `message:${mine[1]!.key}+`, 'upload:u']);
    expect(summary(withPendingUploads(mine, [upload('u', noon + groupWindowMs + 1)], me)).at(-1)).toBe('upload:u+');
    const theirs = buildTimelineRows([message('@b:x', noon)], nameOf);
    expect(summary(withPendingUploads(theirs, [upload('u', noon + minute)], me)).at(-1)).toBe('upload:u+');
    const notice: TimelineEvent = { ...message('@me:x', noon + 1), type: 'm.room.name', stateKey: '', content: { name: 'Lounge' } };
    expect(summary(withPendingUploads(buildTimelineRows([notice], nameOf), [upload('u', noon + minute)], me)).at(-1)).toBe('upload:u+');
  });

  it('start a day separator on a new day, and in an empty room', () => {
    const lateEvening = new Date(2026, 10, 20, 23, 59).getTime();
    const rows = buildTimelineRows([message('@me:x', lateEvening)], nameOf);
    const merged = withPendingUploads(rows, [upload('u', lateEvening + 2 * minute)], me);
    expect(merged.map((r) => r.kind)).toEqual(['day', 'message', 'day', 'upload']);
    expect(merged[2]!.key).not.toBe(merged[0]!.key);
    expect(withPendingUploads([], [upload('u', noon)], me).map((r) => r.kind)).toEqual(['day', 'upload']);
  });

  it('give way to their event: the message sent with the upload’s transaction ID takes over the same row key, once', () => {
    const pending = withPendingUploads(buildTimelineRows([message('@me:x', noon)], nameOf), [upload('t9', noon + minute)], me);
    // The local echo (event ID "~room:txn"), then the remote echo (a real event ID): the key stays the transaction ID.
    const echo = (id: string, status: TimelineEvent['status']) =>
      message('@me:x', noon + minute, 't9.png', {
        id,
        txnId: 't9',
        status,
        content: { msgtype: 'm.image', body: 't9.png', url: 'mxc://x/1' },
      });
    const first = buildTimelineRows([message('@me:x', noon), echo('~!r:t9', 'sending')], nameOf);
    // The upload still in the store for a moment: one row, the event's.
    const both = withPendingUploads(first, [upload('t9', noon + minute)], me);
    expect(both.filter((r) => r.key === 't9').map((r) => r.kind)).toEqual(['message']);
    const sent = buildTimelineRows([message('@me:x', noon), echo('$real', 'sent')], nameOf);
    expect(pending.at(-1)!.key).toBe('t9');
    expect(both.at(-1)!.key).toBe('t9');
    const sentRow = sent.at(-1)!;
    expect(sentRow.key).toBe('t9');
    expect(sentRow.kind === 'message' && sentRow.event.id).toBe('$real');
    expect(pending.length).toBe(both.length);
  });

  it('leave the rows untouched when there are none', () => {
    const rows = buildTimelineRows([message('@me:x', noon)], nameOf);
    expect(withPendingUploads(rows, [], me)).toBe(rows);
  });
});
