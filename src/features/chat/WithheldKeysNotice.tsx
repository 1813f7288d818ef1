// In an encrypted member-key room, says how many members get no room keys because their handle is unverified
// (PROTOCOL.md §8: keys go only to the devices of members whose link is verified; domain/room/keyRecipients.ts). The
// count is the room view model's (withheldKeys): it follows the members, their links and the room's encryption.
import { memo } from 'react';
import { t } from '../../i18n';
import type { RoomViewModel } from '../../domain/room/roomViewModel';
import { selectWithheldKeys, useRoomView } from './useRoomViewModel';

export const WithheldKeysNotice = memo(function WithheldKeysNotice({ vm }: { vm: RoomViewModel }) {
  const withheld = useRoomView(vm, selectWithheldKeys);
  if (withheld === 0) return null;
  return (
    <p role="status" data-testid="withheld-keys" className="mx-4 mb-1 rounded-md bg-warning-surface px-3 py-1 text-sm text-warning-fg">
      🔓 {t('chat.withheldKeys', { count: withheld })}
    </p>
  );
});
