import { describe, expect, it } from 'vitest';
import { formatBytes, imageContent, isImageFile, uploadRefusal } from './imageUpload';

describe('image upload rules', () => {
  it('takes images only', () => {
    expect(isImageFile({ type: 'image/png' })).toBe(true);
    expect(isImageFile({ type: 'image/webp' })).toBe(true);
    expect(isImageFile({ type: 'application/pdf' })).toBe(false);
    expect(isImageFile({ type: '' })).toBe(false);
  });

  it('refuses a file over the server limit, and an empty one, in words', () => {
    expect(uploadRefusal({ name: 'a.png', size: 4096 }, 4096)).toBeUndefined();
    expect(uploadRefusal({ name: 'a.png', size: 4097 }, 4096)).toBe('a.png is 4097 bytes; your homeserver accepts files up to 4096 bytes');
    expect(uploadRefusal({ name: 'big.jpg', size: 60 * 1024 * 1024 }, 50 * 1024 * 1024)).toBe(
      'big.jpg is 60 MB; your homeserver accepts files up to 50 MB',
    );
    expect(uploadRefusal({ name: 'any.png', size: 10 }, undefined)).toBeUndefined();
    expect(uploadRefusal({ name: 'empty.png', size: 0 }, 4096)).toBe('empty.png is empty');
  });

  it('formats sizes', () => {
    expect(formatBytes(125)).toBe('125 B');
    expect(formatBytes(1536)).toBe('1.5 KB');
    expect(formatBytes(300 * 1024)).toBe('300 KB');
    expect(formatBytes(2.5 * 1024 * 1024)).toBe('2.5 MB');
  });

  it('builds m.image with info, leaving out a pixel size the browser could not read', () => {
    expect(imageContent('cat.png', 'mxc://hs/abc', { mimetype: 'image/png', size: 125, w: 48, h: 32 })).toEqual({
      msgtype: 'm.image',
      body: 'cat.png',
      url: 'mxc://hs/abc',
      info: { mimetype: 'image/png', size: 125, w: 48, h: 32 },
    });
    expect(imageContent('x.heic', 'mxc://hs/d', { mimetype: 'image/heic', size: 9 })).toEqual({
      msgtype: 'm.image',
      body: 'x.heic',
      url: 'mxc://hs/d',
      info: { mimetype: 'image/heic', size: 9 },
    });
  });
});
