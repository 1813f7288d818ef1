import { memo } from 'react';
import { useAuthedMedia } from './useAuthedMedia';

const palette = [
  'bg-rose-500',
  'bg-amber-600',
  'bg-emerald-600',
  'bg-sky-600',
  'bg-violet-600',
  'bg-fuchsia-600',
  'bg-teal-600',
  'bg-indigo-600',
];

/** A stable colour per name, so people are recognisable without pictures. */
export function colourFor(seed: string): string {
  let hash = 0;
  for (let i = 0; i < seed.length; i++) hash = (hash * 31 + seed.charCodeAt(i)) | 0;
  return palette[Math.abs(hash) % palette.length]!;
}

export function initialOf(name: string): string {
  const letter = name.replace(/^[@#!+]/, '').match(/\p{L}|\p{N}/u)?.[0];
  return (letter ?? '?').toUpperCase();
}

/**
 * The box and the initial's size of each size the app uses, as classes (written whole, so Tailwind finds them): a new
 * row's avatar then sets no inline style, whose properties the browser parses one by one for each element.
 */
const sizeClasses: Partial<Record<number, { box: string; initial: string }>> = {
  16: { box: 'size-4', initial: 'text-[7.2px]' },
  20: { box: 'size-5', initial: 'text-[9px]' },
  24: { box: 'size-6', initial: 'text-[10.8px]' },
  28: { box: 'size-7', initial: 'text-[12.6px]' },
  32: { box: 'size-8', initial: 'text-[14.4px]' },
  48: { box: 'size-12', initial: 'text-[21.6px]' },
  64: { box: 'size-16', initial: 'text-[28.8px]' },
  72: { box: 'size-18', initial: 'text-[32.4px]' },
};

/** A member's or room's picture, or the initial of its name on a colour of its own while there is no picture to show. */
export const Avatar = memo(function Avatar({ name, mxc, size = 32, seed }: { name: string; mxc?: string; size?: number; seed?: string }) {
  // Without a picture (most members) there is nothing to fetch: no media state, no effect, for each new row's avatar.
  if (!mxc) return initialAvatar(name, size, seed);
  return <PictureAvatar name={name} mxc={mxc} size={size} seed={seed} />;
});

function PictureAvatar({ name, mxc, size, seed }: { name: string; mxc: string; size: number; seed?: string }) {
  const media = useAuthedMedia(mxc, { width: size * 2, height: size * 2 });
  if (media.status !== 'ready') return initialAvatar(name, size, seed);
  const known = sizeClasses[size];
  return (
    <img
      src={media.url}
      alt=""
      style={known ? undefined : { width: size, height: size }}
      className={`shrink-0 rounded-full object-cover ${known?.box ?? ''}`}
    />
  );
}

function initialAvatar(name: string, size: number, seed: string | undefined) {
  const known = sizeClasses[size];
  return (
    <span
      aria-hidden
      style={known ? undefined : { width: size, height: size, fontSize: size * 0.45 }}
      className={`inline-flex shrink-0 items-center justify-center rounded-full font-semibold text-white ${colourFor(seed ?? name)} ${
        known ? `${known.box} ${known.initial}` : ''
      }`}
    >
      {initialOf(name)}
    </span>
  );
}
