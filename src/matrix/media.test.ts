import { describe, expect, it } from 'vitest';
import { safeBlobType } from './media';

describe('safeBlobType', () => {
  it('keeps plain image, video and audio types', () => {
    expect(safeBlobType('image/png')).toBe('image/png');
    expect(safeBlobType('video/webm')).toBe('video/webm');
    expect(safeBlobType('audio/wav')).toBe('audio/wav');
    expect(safeBlobType('Image/JPEG; charset=binary')).toBe('image/jpeg');
  });

  it('types anything that could run script in this origin as a download', () => {
    for (const type of ['text/html', 'image/svg+xml', 'application/xhtml+xml', 'text/xml', 'application/javascript', '', 'video/x-evil'])
      expect(safeBlobType(type)).toBe('application/octet-stream');
  });
});
