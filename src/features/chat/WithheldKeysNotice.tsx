// In an encrypted member-key room, says how many members get no room keys because their handle is unverified
// (PROTOCOL.md §8: keys go only to the devices of members whose link is verified; domain/room/keyRecipients.ts).
import { memo, useEffect, useState } from 'react';
import { RoomStateEvent, type MatrixClient, type MatrixEvent, type Room } from 'matrix-js-sdk';
import { t } from '../../i18n';
import { useIdentity } from '../../domain/identity/identityStore';
import { keyRecipients } from '../../domain/room/keyRecipients';

// Memoised: it reads every member of the room, so it runs when they or their links change, not with each message.
export const WithheldKeysNotice = memo(function WithheldKeysNotice({ client, room }: { client: MatrixClient; room: Room }) {
  const memberInfo = useIdentity((s) => s.memberInfo[room.roomId]);
  const [, setMembersSeen] = useState(0);
  useEffect(() => {
    const onMembers = () => setMembersSeen((n) => n + 1);
    // Any state of this room: the encryption event turns the notice on.
    const onState = (event: MatrixEvent) => event.getRoomId() === room.roomId && onMembers();
    client.on(RoomStateEvent.Members, onMembers);
    client.on(RoomStateEvent.Events, onState);
    return () => {
      client.off(RoomStateEvent.Members, onMembers);
      client.off(RoomStateEvent.Events, onState);
    };
  }, [client, room]);
  if (!room.hasEncryptionStateEvent()) return null;
  const me = client.getUserId();
  const members = [...room.getMembersWithMembership('join'), ...room.getMembersWithMembership('invite')].filter((m) => m.userId !== me);
  const { withheld } = keyRecipients(room, members, memberInfo);
  if (withheld.length === 0) return null;
  return (
    <p role="status" data-testid="withheld-keys" className="mx-4 mb-1 rounded-md bg-warning-surface px-3 py-1 text-sm text-warning-fg">
      🔓 {t('chat.withheldKeys', { count: withheld.length })}
    </p>
  );
});
