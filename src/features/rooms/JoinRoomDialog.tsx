import { useState, type FormEvent } from 'react';
import { t } from '../../i18n';
import { useClient } from '../../ui/clientContext';
import { describeMatrixError } from '../../matrix/errors';
import { openRoom } from '../../state/navigation';
import { Dialog, DialogActions, FormError } from '../../ui/Dialog';
import { inputClass } from '../../ui/controls';
import { loadMemberRoot } from '../portable/deviceKeys';
import { MemberRootPrompt } from '../portable/MemberRootPrompt';
import { joinWithMemberRoot, memberRootNeed, waitForRoom } from '../portable/portableRooms';

/** Room IDs start with !, aliases with #: anything else is a typo worth pointing out before asking the server. */
export function checkRoomAddress(text: string): string | undefined {
  const value = text.trim();
  if (!value) return t('rooms.join.empty');
  if (!/^[!#]\S+$/.test(value)) return t('rooms.join.badStart');
  if (value.startsWith('#') && !value.includes(':')) return t('rooms.join.aliasServer');
  return undefined;
}

export function JoinRoomDialog({
  onClose,
  initialAddress = '',
  onJoined = (roomId) => openRoom(roomId, { arriving: true }),
}: {
  onClose: () => void;
  initialAddress?: string;
  onJoined?: (roomId: string) => void;
}) {
  const client = useClient();
  const [address, setAddress] = useState(initialAddress);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  // Portable accounts without a remembered member-key root are asked for the recovery key first.
  const [askFor, setAskFor] = useState<string>();

  async function onSubmit(event: FormEvent) {
    event.preventDefault();
    const problem = checkRoomAddress(address);
    if (problem) return setError(problem);
    setBusy(true);
    setError(undefined);
    try {
      const need = await memberRootNeed(client, loadMemberRoot);
      if (need.kind === 'ask') return setAskFor(need.accountKey);
      await join(need.kind === 'root' ? need.memberRoot : undefined);
    } catch (err) {
      setError(describeMatrixError(err, t('rooms.joinFailed')));
    } finally {
      setBusy(false);
    }
  }

  async function join(memberRoot: Uint8Array | undefined) {
    let roomId: string;
    if (memberRoot) {
      roomId = await joinWithMemberRoot(client, address.trim(), memberRoot);
      await waitForRoom(client, roomId);
    } else {
      roomId = (await client.joinRoom(address.trim())).roomId;
    }
    onJoined(roomId);
    onClose();
  }

  if (askFor) {
    return (
      <Dialog title={t('rooms.join.title')} onClose={onClose}>
        <MemberRootPrompt
          userId={client.getSafeUserId()}
          accountKey={askFor}
          action="join"
          onCancel={() => setAskFor(undefined)}
          onRoot={(root) => {
            setAskFor(undefined);
            setBusy(true);
            join(root)
              .catch((err) => setError(describeMatrixError(err, t('rooms.joinFailed'))))
              .finally(() => setBusy(false));
          }}
        />
      </Dialog>
    );
  }

  return (
    <Dialog title={t('rooms.join.title')} onClose={onClose}>
      <form className="space-y-3" onSubmit={onSubmit} noValidate>
        <label className="block space-y-1">
          <span className="text-sm">{t('rooms.join.address')}</span>
          <input
            className={inputClass}
            value={address}
            onChange={(e) => setAddress(e.target.value)}
            placeholder="#room:example.org"
            autoFocus
            spellCheck={false}
          />
        </label>
        <FormError error={error} />
        <DialogActions submit={t('rooms.join.submit')} busy={busy} busyLabel={t('rooms.join.busy')} onCancel={onClose} />
      </form>
    </Dialog>
  );
}
