// The mentions autocomplete list: one option per key, its name and its handle or badge (never an unverified claim).
import { t } from '../../i18n';
import { Avatar } from '../../ui/Avatar';
import type { RoomMemberRow } from '../../domain/room/roomViewModel';
import { HandleBadge } from './HandleBadge';
import { SenderName } from './SenderName';
import type { MentionCandidate } from './mentions';

export const mentionListId = 'mention-suggestions';
export const mentionOptionId = (index: number) => `mention-option-${index}`;

/** Joined and invited members of the room, one per identity, excluding `exceptIdentity` (yourself). */
export function mentionCandidates(members: readonly RoomMemberRow[], exceptIdentity: string): MentionCandidate[] {
  const out: MentionCandidate[] = [];
  for (const member of members) {
    if (member.identity === exceptIdentity) continue;
    out.push({ identity: member.identity, userId: member.userId, name: member.profile.name, badge: member.profile.badge });
  }
  return out;
}

export function MentionSuggestions({
  options,
  active,
  onPick,
}: {
  options: readonly MentionCandidate[];
  active: number;
  onPick(candidate: MentionCandidate): void;
}) {
  // The ARIA combobox pattern: focus stays in the composer, which points at the active option (aria-activedescendant).
  return (
    <ul
      id={mentionListId}
      // biome-ignore lint/a11y/noNoninteractiveElementToInteractiveRole: the combobox pattern's listbox, driven from the composer
      role="listbox"
      aria-label={t('identity.mention.label')}
      className="absolute bottom-full left-2 z-20 mb-1 max-h-72 w-[min(24rem,calc(100%-1rem))] overflow-y-auto rounded-md border border-line bg-surface-raised py-1 shadow-lg"
    >
      {options.map((option, index) => (
        // biome-ignore lint/a11y/useFocusableInteractive: the composer keeps the focus and points at the active option
        <li
          key={option.identity}
          id={mentionOptionId(index)}
          // biome-ignore lint/a11y/noNoninteractiveElementToInteractiveRole: the combobox pattern's options
          role="option"
          aria-selected={index === active}
          // mousedown, not click: the textarea must keep its focus and caret.
          onMouseDown={(event) => {
            event.preventDefault();
            onPick(option);
          }}
          className={`flex cursor-pointer items-center gap-2 px-2 py-1 ${index === active ? 'bg-accent-surface' : 'hover:bg-surface-muted'}`}
        >
          <Avatar name={option.name} seed={option.identity} size={24} />
          <SenderName name={option.name} className="truncate text-sm" />
          <HandleBadge badge={option.badge} />
        </li>
      ))}
    </ul>
  );
}
