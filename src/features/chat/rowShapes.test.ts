import { describe, expect, it } from 'vitest';
import type { RoomRow } from '../../domain/room/roomViewModel';
import { estimatedSize, shapeOf } from './TimelineList';

const message = (body: string, extra: Record<string, unknown> = {}, event: Record<string, unknown> = {}): RoomRow =>
  ({
    kind: 'message',
    key: body,
    event: { id: `$${body}`, status: 'sent', redacted: false, ...event },
    content: { msgtype: 'm.text', body },
    edited: false,
    startsGroup: false,
    reactions: [],
    ...extra,
  }) as unknown as RoomRow;

describe('row shapes for estimating a new row (TimelineList)', () => {
  it('a short sent line of text has a shape, with or without its sender; whatever varies with content has none', () => {
    expect(shapeOf(message('hi'))).toBe('short');
    expect(shapeOf(message('hi', { startsGroup: true }))).toBe('short-with-sender');
    expect(shapeOf({ kind: 'day', key: 'd', ts: 0 })).toBe('day');
    expect(shapeOf(message('a much longer message that may wrap on a phone'))).toBeUndefined();
    expect(shapeOf(message('two\nlines'))).toBeUndefined();
    expect(shapeOf(message('hi', { replyTo: '$x' }))).toBeUndefined();
    expect(shapeOf(message('hi', { reactions: [{ key: '👍' }] }))).toBeUndefined();
    expect(shapeOf(message('hi', {}, { status: 'sending' }))).toBeUndefined();
    expect(shapeOf(message('hi', { content: { msgtype: 'm.image', body: 'hi' } }))).toBeUndefined();
  });

  it('estimates a shape at what it last measured, anything else by kind', () => {
    const measured = new Map([['short', 31]]);
    expect(estimatedSize(message('hi'), measured)).toBe(31);
    expect(estimatedSize(message('hi', { startsGroup: true }), measured)).toBe(58);
    expect(estimatedSize(message('hi'))).toBe(26);
    expect(estimatedSize(message('hi'), measured, () => 'short+seen')).toBe(26);
  });
});
