// The mentions autocomplete list: one option per key, its name and its handle or badge (never an unverified claim).
import { t } from '../../i18n';
import { Avatar } from '../../ui/Avatar';
import type { RoomMemberRow } from '../../domain/room/roomViewModel';
import { HandleBadge } from './HandleBadge';
import { SenderName } from './SenderName';
import type { MentionCandidate, RoomCandidate } from './mentions';

/** An option of the composer's autocomplete: a person (`@`), the whole room (`@room`), or a room (`#`). */
export type Suggestion = { kind: 'user'; candidate: MentionCandidate } | { kind: 'atroom' } | { kind: 'room'; room: RoomCandidate };

const suggestionKey = (s: Suggestion) => (s.kind === 'user' ? s.candidate.identity : s.kind === 'room' ? s.room.roomId : '@room');

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
  options: readonly Suggestion[];
  active: number;
  onPick(option: Suggestion): void;
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
          key={suggestionKey(option)}
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
          {option.kind === 'user' ? (
            <>
              <Avatar name={option.candidate.name} seed={option.candidate.identity} size={24} />
              <SenderName name={option.candidate.name} className="truncate text-sm" />
              <HandleBadge badge={option.candidate.badge} />
            </>
          ) : option.kind === 'room' ? (
            <>
              <Avatar name={option.room.name} seed={option.room.roomId} size={24} />
              <span className="truncate text-sm">{option.room.name}</span>
              {option.room.alias && <bdi className="truncate text-xs text-subtle">{option.room.alias}</bdi>}
            </>
          ) : (
            <>
              <span
                aria-hidden
                className="inline-flex h-6 w-6 items-center justify-center rounded-full bg-danger-surface text-xs font-bold text-danger-fg"
              >
                @
              </span>
              <span className="text-sm font-medium">@room</span>
              <span className="truncate text-xs text-subtle">{t('identity.mention.atRoom')}</span>
            </>
          )}
        </li>
      ))}
    </ul>
  );
}
