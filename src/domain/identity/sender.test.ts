import { describe, expect, it } from 'vitest';
import { senderIdentity } from './sender';

const keyStd = 'l8Hft5qXKn1v+Hrg3p4/W8gELQVo8N13JkluMfmn2sQ';
const keyUrl = '@l8Hft5qXKn1v-Hrg3p4_W8gELQVo8N13JkluMfmn2sQ';

describe('senderIdentity', () => {
  it('is the sender in classic rooms', () => {
    expect(senderIdentity({ sender: '@alice:alpha' })).toBe('@alice:alpha');
  });
  it('prefers the member key and normalises both encodings to one form', () => {
    const fromKey = senderIdentity({ sender: '@alice:alpha', sender_key: keyStd });
    const fromStable = senderIdentity({ sender: '@x:y', unsigned: { 'org.matrix.msc4428.stable_id': keyUrl } });
    expect(fromKey).toBe(fromStable);
    expect(fromKey).not.toBe('@alice:alpha');
  });
  it('does not throw on a malformed event', () => {
    expect(senderIdentity({})).toBe('');
  });
});
