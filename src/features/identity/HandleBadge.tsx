// The handle, or the badge that stands in its place (Bluesky's "⚠ Invalid Handle" is the model), and the
// "same name as another member" warning. Thin views over features/identity/badge.
import { badgeDescription, badgeLabel, type Badge } from './badge';
import type { ConfusableMatch } from '../../protocol/confusables';

const warningChip =
  'inline-flex items-center gap-1 whitespace-nowrap rounded-full border px-1.5 py-px text-xs font-medium border-amber-400 bg-amber-100 text-amber-950 dark:border-amber-500/60 dark:bg-amber-950 dark:text-amber-100';
const contestedChip =
  'inline-flex items-center gap-1 whitespace-nowrap rounded-full border px-1.5 py-px text-xs font-medium border-red-400 bg-red-100 text-red-950 dark:border-red-500/60 dark:bg-red-950 dark:text-red-100';
const erasedChip =
  'inline-flex items-center gap-1 whitespace-nowrap rounded-full border px-1.5 py-px text-xs font-medium border-slate-300 bg-slate-100 text-slate-700 dark:border-slate-600 dark:bg-slate-800 dark:text-slate-200';

export function HandleBadge({ badge, className = '' }: { badge: Badge; className?: string }) {
  const { accessibleName, tooltip } = badgeDescription(badge);
  const label = badgeLabel(badge);
  if (badge.kind === 'plain' || badge.kind === 'verified') {
    return (
      <span className={`truncate text-xs text-slate-500 dark:text-slate-400 ${className}`} title={tooltip} data-badge={badge.kind}>
        {label}
      </span>
    );
  }
  const chip = badge.kind === 'contested' ? contestedChip : badge.kind === 'erased' ? erasedChip : warningChip;
  return (
    <span role="img" aria-label={accessibleName} title={tooltip} data-badge={badge.kind} className={`${chip} ${className}`}>
      <span aria-hidden>{label}</span>
    </span>
  );
}

/** "Same name as another member", on both members, with what looks alike in the tooltip. */
export function SameNameWarning({ warnings, className = '' }: { warnings: readonly ConfusableMatch[]; className?: string }) {
  if (warnings.length === 0) return null;
  const tooltip = warnings.map((w) => w.detail).join('\n');
  return (
    <span role="img" aria-label="same name as another member" title={tooltip} data-warning="same-name" className={`${warningChip} ${className}`}>
      <span aria-hidden>⚠ Same name as another member</span>
    </span>
  );
}
