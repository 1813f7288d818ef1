import { useState, type FormEvent } from 'react';
import { EventType, Preset, Visibility, type MatrixClient } from 'matrix-js-sdk';
import { t } from '../../i18n';
import { useClient } from '../../ui/clientContext';
import { describeMatrixError } from '../../matrix/errors';
import { openRoom } from '../../state/navigation';
import { Dialog, DialogActions, FormError } from '../../ui/Dialog';
import { UserIdField } from '../../ui/UserIdField';
import { isUserId } from '../../protocol/ids';
import { loadMemberRoot } from '../portable/deviceKeys';
import { MemberRootDialog } from '../portable/MemberRootPrompt';
import { createRoomWithMemberRoot, memberRootNeed, waitForRoom } from '../portable/portableRooms';

/** Adds `roomId` to this account's `m.direct` under `userId` (the spec's way of marking a DM), keeping the rest. */
export async function markDirect(client: MatrixClient, userId: string, roomId: string): Promise<void> {
  const direct = { ...(client.getAccountData(EventType.Direct)?.getContent<Record<string, string[]>>() ?? {}) };
  const rooms = direct[userId] ?? [];
  if (rooms.includes(roomId)) return;
  direct[userId] = [...rooms, roomId];
  await client.setAccountData(EventType.Direct, direct);
}

/** Starts a direct message: a private room (`is_direct`, trusted private chat) with one invitee, marked in m.direct. */
export function DirectMessageDialog({ onClose, initialUserId = '' }: { onClose: () => void; initialUserId?: string }) {
  const client = useClient();
  const [userId, setUserId] = useState(initialUserId);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  // Portable accounts without a remembered member-key root are asked for the recovery key first.
  const [askFor, setAskFor] = useState<string>();

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const target = userId.trim();
    if (!target) return setError(t('rooms.dm.empty'));
    if (!isUserId(target)) return setError(t('rooms.dm.badUserId'));
    if (target === client.getUserId()) return setError(t('rooms.dm.self'));
    setBusy(true);
    setError(undefined);
    try {
      const need = await memberRootNeed(client, loadMemberRoot);
      if (need.kind === 'ask') return setAskFor(need.accountKey);
      await start(need.kind === 'root' ? need.memberRoot : undefined);
    } catch (err) {
      setError(describeMatrixError(err, t('rooms.dm.failed')));
    } finally {
      setBusy(false);
    }
  }

  async function start(memberRoot: Uint8Array | undefined) {
    const target = userId.trim();
    const options = { is_direct: true, preset: Preset.TrustedPrivateChat, visibility: Visibility.Private, invite: [target] };
    const roomId = memberRoot ? await createRoomWithMemberRoot(client, options, memberRoot) : (await client.createRoom(options)).room_id;
    if (memberRoot) await waitForRoom(client, roomId);
    await markDirect(client, target, roomId);
    openRoom(roomId, { arriving: true });
    onClose();
  }

  if (askFor) {
    return (
      <MemberRootDialog
        title={t('rooms.dm.title')}
        userId={client.getSafeUserId()}
        accountKey={askFor}
        action="create"
        run={start}
        failed={t('rooms.dm.failed')}
        onBusy={setBusy}
        onError={setError}
        onCancel={() => setAskFor(undefined)}
        onClose={onClose}
      />
    );
  }

  return (
    <Dialog title={t('rooms.dm.title')} onClose={onClose}>
      <form className="space-y-3" onSubmit={onSubmit} noValidate>
        <UserIdField label={t('rooms.dm.userId')} value={userId} onChange={setUserId} />
        <FormError error={error} />
        <DialogActions submit={t('rooms.dm.submit')} busy={busy} busyLabel={t('rooms.dm.busy')} onCancel={onClose} />
      </form>
    </Dialog>
  );
}
