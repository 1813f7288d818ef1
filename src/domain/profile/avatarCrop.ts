// Avatars are square: the centre square of the chosen image, scaled down (never up) to at most AVATAR_SIZE pixels,
// so a phone photo is not uploaded at full size. The canvas work is the view's; this is the geometry.

export const AVATAR_SIZE = 512;

export interface SquareCrop {
  /** Source rectangle: the centred square. */
  sx: number;
  sy: number;
  side: number;
  /** Output width and height. */
  size: number;
}

export function squareCrop(width: number, height: number, max = AVATAR_SIZE): SquareCrop {
  if (!(width > 0 && height > 0)) throw new RangeError('image has no size');
  const side = Math.min(width, height);
  return {
    sx: Math.floor((width - side) / 2),
    sy: Math.floor((height - side) / 2),
    side,
    size: Math.min(side, max),
  };
}
