// Requests to join (knocks) where those who can let people in see them, as Element's banner does: the room says
// who is asking without the member list being open, and "View" opens it at the requests, where Approve and Deny are.
import { memo } from 'react';
import { t } from '../../i18n';
import { chatStore, useChat } from '../../state/chatStore';
import { secondaryButton } from '../../ui/controls';
import type { RoomViewModel } from '../../domain/room/roomViewModel';
import { useRoomView, selectMembers, selectCanInvite } from '../chat/useRoomViewModel';
import { SentenceWithNames } from '../identity/SenderName';

// Memoised: it changes with the members and the members panel, not with each message the room view renders for.
export const JoinRequestsBanner = memo(function JoinRequestsBanner({ vm }: { vm: RoomViewModel }) {
  const members = useRoomView(vm, selectMembers);
  const canInvite = useRoomView(vm, selectCanInvite);
  const membersOpen = useChat((s) => s.membersOpen);
  if (!canInvite || membersOpen) return null;
  const asking = members.filter((m) => m.membership === 'knock');
  if (asking.length === 0) return null;
  const label = t('members.knockBanner.label');
  return (
    <section
      aria-label={label}
      className="flex items-center gap-2 border-b border-line bg-accent-surface px-3 py-1.5 text-sm text-accent-fg"
    >
      <p className="min-w-0 flex-1 truncate">
        {asking.length === 1 ? (
          // The name isolated and sanitised like every name: a right-to-left one must not turn the sentence around.
          <SentenceWithNames format={(name) => t('members.knockBanner.one', { name })} names={[asking[0]!.name]} />
        ) : (
          t('members.knockBanner.many', { count: asking.length })
        )}
      </p>
      <button type="button" className={secondaryButton} onClick={() => chatStore.getState().toggleMembers(true)}>
        {t('members.knockBanner.view')}
      </button>
    </section>
  );
});
