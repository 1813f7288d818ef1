// Leaving a room asks first, and offers to forget it too (Element's "Forget room"): after leaving, the room is
// forgotten (POST /forget, which the spec allows only once you are out), so its history leaves your account.
import { useState } from 'react';
import type { Room } from 'matrix-js-sdk';
import { t } from '../../i18n';
import { useClient } from '../../ui/clientContext';
import { describeMatrixError } from '../../matrix/errors';
import { Dialog, FormError } from '../../ui/Dialog';
import { primaryButton, secondaryButton } from '../../ui/controls';
import { goHome } from '../../state/navigation';

export function LeaveRoomDialog({ room, onClose, onLeft }: { room: Room; onClose: () => void; onLeft?: () => void }) {
  const client = useClient();
  const [forget, setForget] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  async function leave() {
    setBusy(true);
    setError(undefined);
    try {
      if (room.getMyMembership() !== 'leave') await client.leave(room.roomId);
      if (forget) await client.forget(room.roomId, true);
      goHome({ replace: true });
      onClose();
      onLeft?.();
    } catch (err) {
      setError(describeMatrixError(err, forget ? t('roomSettings.forgetFailed') : t('chat.leave.failed')));
      setBusy(false);
    }
  }
  return (
    <Dialog title={t('chat.leave.title', { room: room.name })} onClose={onClose}>
      <p className="text-sm">{t('chat.leave.intro')}</p>
      <label className="flex items-start gap-2 text-sm">
        <input type="checkbox" className="mt-1" checked={forget} onChange={(e) => setForget(e.target.checked)} />
        <span>
          <span className="block">{t('roomSettings.forget')}</span>
          <span className="block text-xs text-subtle">{t('roomSettings.forgetDescription')}</span>
        </span>
      </label>
      <FormError error={error} />
      <div className="flex justify-end gap-2">
        <button type="button" className={secondaryButton} onClick={onClose}>
          {t('chat.leave.stay')}
        </button>
        <button type="button" className={`${primaryButton} bg-red-600 hover:bg-red-500`} disabled={busy} onClick={() => void leave()}>
          {forget ? t('roomSettings.leaveAndForget') : t('chat.leave.submit')}
        </button>
      </div>
    </Dialog>
  );
}
