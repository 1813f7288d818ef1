// The handle, or the badge that stands in its place (Bluesky's "⚠ Invalid Handle" is the model), and the
// "same name as another member" warning. Thin views over features/identity/badge.
import { badgeDescription, badgeLabel, type Badge } from '../../domain/identity/badge';
import { t } from '../../i18n';
import type { ConfusableMatch } from '../../protocol/confusables';

const warningChip =
  'inline-flex items-center gap-1 whitespace-nowrap rounded-full border px-1.5 py-px text-xs font-medium border-warning-line bg-warning-surface text-warning-fg';
const contestedChip =
  'inline-flex items-center gap-1 whitespace-nowrap rounded-full border px-1.5 py-px text-xs font-medium border-danger-line bg-danger-surface text-danger-fg';
const neutralChip =
  'inline-flex items-center gap-1 whitespace-nowrap rounded-full border px-1.5 py-px text-xs font-medium border-line-strong bg-surface-muted text-fg-soft';

export function HandleBadge({ badge, className = '' }: { badge: Badge; className?: string }) {
  const description = badgeDescription(badge);
  const accessibleName = t(description.accessibleName);
  const tooltip = t(description.tooltip);
  const label = t(badgeLabel(badge));
  if (badge.kind === 'plain' || badge.kind === 'verified') {
    return (
      <span className={`truncate text-xs text-subtle ${className}`} title={tooltip} data-badge={badge.kind}>
        {label}
      </span>
    );
  }
  // Erased and not-yet-verified are neutral: neither is an impostor. Only unverified and contested warn.
  const chip = badge.kind === 'contested' ? contestedChip : badge.kind === 'erased' || badge.kind === 'pending' ? neutralChip : warningChip;
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
    <span
      role="img"
      aria-label={t('identity.sameName.name')}
      title={tooltip}
      data-warning="same-name"
      className={`${warningChip} ${className}`}
    >
      <span aria-hidden>{t('identity.sameName.label')}</span>
    </span>
  );
}
