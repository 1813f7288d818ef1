import { describe, expect, it } from 'vitest';
import { attachmentContent, attachmentMsgtype, formatBytes, imageContent, isImageFile, uploadRefusal } from './imageUpload';

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

  it('sends a file by its type: images, videos and audio as such, anything else as m.file', () => {
    expect(attachmentMsgtype({ type: 'image/png' })).toBe('m.image');
    expect(attachmentMsgtype({ type: 'video/webm' })).toBe('m.video');
    expect(attachmentMsgtype({ type: 'audio/wav' })).toBe('m.audio');
    expect(attachmentMsgtype({ type: 'application/pdf' })).toBe('m.file');
    expect(attachmentMsgtype({ type: '' })).toBe('m.file');
  });

  it('gives a video its thumbnail: thumbnail_url and thumbnail_info, or thumbnail_file in an encrypted room; never to others', () => {
    const info = { mimetype: 'video/webm', size: 900, w: 64, h: 48 };
    const thumbInfo = { mimetype: 'image/jpeg', size: 300, w: 64, h: 48 };
    expect(attachmentContent('m.video', 'clip.webm', 'mxc://hs/v', info, { url: 'mxc://hs/t', info: thumbInfo })).toEqual({
      msgtype: 'm.video',
      body: 'clip.webm',
      url: 'mxc://hs/v',
      info: { ...info, thumbnail_url: 'mxc://hs/t', thumbnail_info: thumbInfo },
    });
    const file = { url: 'mxc://hs/t', key: {}, iv: 'iv', hashes: { sha256: 'h' }, v: 'v2' } as never;
    const encrypted = attachmentContent('m.video', 'clip.webm', 'mxc://hs/v', info, { file, info: thumbInfo });
    expect(encrypted.info).toEqual({ ...info, thumbnail_file: file, thumbnail_info: thumbInfo });
    expect(
      attachmentContent('m.audio', 'a.wav', 'mxc://hs/a', { mimetype: 'audio/wav', size: 1 }, { url: 'mxc://hs/t', info: thumbInfo }).info,
    ).toEqual({
      mimetype: 'audio/wav',
      size: 1,
    });
    expect(attachmentContent('m.video', 'clip.webm', 'mxc://hs/v', info, { info: thumbInfo }).info).toEqual(info); // nowhere to point
  });

  it('builds m.video, m.audio and m.file with the info the spec gives each, leaving out what was not measured', () => {
    expect(
      attachmentContent('m.video', 'clip.webm', 'mxc://hs/v', { mimetype: 'video/webm', size: 900, w: 64, h: 48, duration: 1234.4 }),
    ).toEqual({
      msgtype: 'm.video',
      body: 'clip.webm',
      url: 'mxc://hs/v',
      info: { mimetype: 'video/webm', size: 900, w: 64, h: 48, duration: 1234 },
    });
    expect(
      attachmentContent('m.video', 'live.webm', 'mxc://hs/l', { mimetype: 'video/webm', size: 9, duration: Number.POSITIVE_INFINITY }),
    ).toEqual({
      msgtype: 'm.video',
      body: 'live.webm',
      url: 'mxc://hs/l',
      info: { mimetype: 'video/webm', size: 9 },
    });
    expect(attachmentContent('m.audio', 'tone.wav', 'mxc://hs/a', { mimetype: 'audio/wav', size: 100, duration: 500, w: 1, h: 1 })).toEqual(
      {
        msgtype: 'm.audio',
        body: 'tone.wav',
        url: 'mxc://hs/a',
        info: { mimetype: 'audio/wav', size: 100, duration: 500 },
      },
    );
    expect(attachmentContent('m.file', 'notes', 'mxc://hs/f', { mimetype: '', size: 3 })).toEqual({
      msgtype: 'm.file',
      body: 'notes',
      filename: 'notes',
      url: 'mxc://hs/f',
      info: { mimetype: 'application/octet-stream', size: 3 },
    });
  });
});
