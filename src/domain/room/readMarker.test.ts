// Where the "New messages" line goes: before the first message of someone else after the fully-read marker.
import { describe, expect, it } from 'vitest';
import { firstUnreadRow } from './readMarker';

const msg = (id: string, identity: string) => ({ kind: 'message', event: { id, identity, sender: `@${identity}:x` } });
const day = { kind: 'day' };
const notice = (id: string) => ({ kind: 'notice', event: { id, identity: 'alice', sender: '@alice:x' } });

describe('firstUnreadRow', () => {
  const rows = [msg('$1', 'alice'), msg('$2', 'me'), day, notice('$n'), msg('$3', 'me'), msg('$4', 'alice'), msg('$5', 'alice')];

  it('puts the line before the first message of someone else after the marker', () => {
    expect(firstUnreadRow(rows, '$1', 'me')).toBe('$4');
    expect(firstUnreadRow(rows, '$4', 'me')).toBe('$5');
  });

  it('skips day separators, notices and your own messages', () => {
    expect(firstUnreadRow(rows, '$2', 'me')).toBe('$4');
  });

  it('has no line when the marker is at the end, unknown, or not loaded', () => {
    expect(firstUnreadRow(rows, '$5', 'me')).toBeUndefined();
    expect(firstUnreadRow(rows, undefined, 'me')).toBeUndefined();
    expect(firstUnreadRow(rows, '$older', 'me')).toBeUndefined();
  });

  it('has no line when only your own messages follow the marker', () => {
    expect(firstUnreadRow([msg('$1', 'alice'), msg('$2', 'me')], '$1', 'me')).toBeUndefined();
  });

  it('has no line for what arrived after the marker was taken (the reader saw it arrive)', () => {
    expect(firstUnreadRow(rows, '$2', 'me', '$3')).toBeUndefined();
    expect(firstUnreadRow(rows, '$2', 'me', '$4')).toBe('$4');
    expect(firstUnreadRow(rows, '$1', 'me', '$1')).toBeUndefined();
  });
});
