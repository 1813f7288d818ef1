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

export const Avatar = memo(function Avatar({ name, mxc, size = 32, seed }: { name: string; mxc?: string; size?: number; seed?: string }) {
  const media = useAuthedMedia(mxc, { width: size * 2, height: size * 2 });
  const style = { width: size, height: size };
  if (media.status === 'ready') return <img src={media.url} alt="" style={style} className="shrink-0 rounded-full object-cover" />;
  return (
    <span
      aria-hidden
      style={{ ...style, fontSize: size * 0.45 }}
      className={`inline-flex shrink-0 items-center justify-center rounded-full font-semibold text-white ${colourFor(seed ?? name)}`}
    >
      {initialOf(name)}
    </span>
  );
});
