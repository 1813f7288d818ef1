import { describe, expect, it } from 'vitest';
import { squareCrop } from './avatarCrop';

describe('squareCrop', () => {
  it('takes the centred square of a landscape or portrait image, scaled down to the limit', () => {
    expect(squareCrop(4000, 3000)).toEqual({ sx: 500, sy: 0, side: 3000, size: 512 });
    expect(squareCrop(300, 801)).toEqual({ sx: 0, sy: 250, side: 300, size: 300 });
  });
  it('never scales a small image up, and refuses an image without a size', () => {
    expect(squareCrop(64, 64)).toEqual({ sx: 0, sy: 0, side: 64, size: 64 });
    expect(() => squareCrop(0, 10)).toThrow(RangeError);
  });
});
