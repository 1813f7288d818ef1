// Requests to join (knocks) where those who can let people in see them, as Element's banner does: the room says
// who is asking without the member list being open, and "View" opens it at the requests, where Approve and Deny are.
import type { Room } from 'matrix-js-sdk';
import { t } from '../../i18n';
import { useClient } from '../../ui/clientContext';
import { chatStore, useChat } from '../../state/chatStore';
import { secondaryButton } from '../../ui/controls';
import type { RoomViewModel } from '../../domain/room/roomViewModel';
import { mayInvite } from '../../domain/identity/memberActions';
import { useRoomView, selectMembers, selectMyIdentity } from '../chat/useRoomViewModel';
import { SentenceWithNames } from '../identity/SenderName';

export function JoinRequestsBanner({ room, vm }: { room: Room; vm: RoomViewModel }) {
  const client = useClient();
  const members = useRoomView(vm, selectMembers);
  const myIdentity = useRoomView(vm, selectMyIdentity);
  const membersOpen = useChat((s) => s.membersOpen);
  const asking = members.filter((m) => m.membership === 'knock');
  if (asking.length === 0 || membersOpen || !mayInvite(room, myIdentity, client.getSafeUserId())) return null;
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
}
