// The handle, or the badge that stands in its place (Bluesky's "⚠ Invalid Handle" is the model), and the
// "same name as another member" warning. Thin views over features/identity/badge.
import { badgeDescription, badgeLabel, type Badge } from '../../domain/identity/badge';
import { t } from '../../i18n';
import type { ConfusableKind } from '../../protocol/confusables';
import type { RankedMatch } from '../../domain/identity/lookAlikes';
import { identityStore } from '../../domain/identity/identityStore';

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
      <bdi className={`truncate text-xs text-subtle ${className}`} title={tooltip} data-badge={badge.kind}>
        {label}
      </bdi>
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

const CLOSENESS: readonly ConfusableKind[] = [
  'same_handle',
  'same_name',
  'confusable_name',
  'confusable_handle',
  'similar_handle',
  'confusable_domain',
];
const SAME_NAME_KINDS = new Set<ConfusableKind>(['same_handle', 'same_name', 'confusable_name', 'confusable_handle']);

const neutralNote =
  'inline-flex items-center gap-1 whitespace-nowrap rounded-full border px-1.5 py-px text-xs border-line bg-surface-muted text-fg-soft hover:underline focus-visible:outline-2 focus-visible:outline-indigo-500';

/**
 * Look-alikes of one member, as lookAlikes.ts ranked them. The copy (unverified, or newer) carries the amber
 * warning; the original (verified, or first in the room) only a neutral note, "another member uses this name",
 * that opens the other member's inspector. The warning says which kind: a same or similar name, or a look-alike
 * domain.
 */
export function SameNameWarning({
  profile,
  className = '',
}: {
  profile: { warnings: readonly RankedMatch[]; roomId?: string };
  className?: string;
}) {
  const warned = profile.warnings.filter((w) => w.warn);
  if (warned.length > 0) {
    const names = warned.filter((w) => w.kind !== 'confusable_domain');
    const domains = warned.filter((w) => w.kind === 'confusable_domain');
    return (
      <>
        {names.length > 0 && (
          <span
            role="img"
            aria-label={t('identity.sameName.name')}
            title={names.map((w) => w.detail).join('\n')}
            data-warning="same-name"
            className={`${warningChip} ${className}`}
          >
            <span aria-hidden>{t('identity.sameName.label')}</span>
          </span>
        )}
        {domains.length > 0 && (
          <span
            role="img"
            aria-label={t('identity.lookAlikeDomain.name')}
            title={domains.map((w) => w.detail).join('\n')}
            data-warning="look-alike-domain"
            className={`${warningChip} ${className}`}
          >
            <span aria-hidden>{t('identity.lookAlikeDomain.label')}</span>
          </span>
        )}
      </>
    );
  }
  // The closest look-alike first: someone with this very name or handle before one on a look-alike domain.
  const original = [...profile.warnings].sort((a, b) => CLOSENESS.indexOf(a.kind) - CLOSENESS.indexOf(b.kind))[0];
  if (!original) return null;
  const label = SAME_NAME_KINDS.has(original.kind) ? t('identity.lookAlike.original.name') : t('identity.lookAlike.original.handle');
  const roomId = profile.roomId;
  if (!roomId)
    return (
      <span data-note="look-alike-original" title={original.detail} className={`${neutralNote} ${className}`}>
        {label}
      </span>
    );
  return (
    <button
      type="button"
      data-note="look-alike-original"
      title={original.detail}
      aria-label={t('identity.lookAlike.original.show', { label })}
      className={`${neutralNote} ${className}`}
      onClick={() => identityStore.getState().openInspector(roomId, original.other)}
    >
      {label}
    </button>
  );
}
