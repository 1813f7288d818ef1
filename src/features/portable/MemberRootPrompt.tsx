import { useState, type FormEvent } from 'react';
import { t } from '../../i18n';
import { deriveMemberRoot, normaliseKey } from '../../protocol';
import { accountKeyId } from './accountKeyAuth';
import { isSharedComputer, keepMemberRoot } from './deviceKeys';
import { readRecoveryKeyField } from './recoveryKeyInput';
import { RecoveryKeyField } from './RecoveryKeyField';
import { SharedComputerCheckbox } from './SharedComputerCheckbox';
import { Dialog, DialogActions, FormError } from '../../ui/Dialog';
import { describeMatrixError } from '../../matrix/errors';

/** Does this recovery secret belong to the account key the server reports? (Either base64 form.) */
export function secretMatchesAccountKey(secret: Uint8Array, accountKey: string): boolean {
  try {
    return normaliseKey(accountKeyId(secret)) === normaliseKey(accountKey);
  } catch {
    return false;
  }
}

/**
 * Asks for the recovery key when a new member key must be derived and K is not remembered on this device.
 * Checks that the key is this account's before handing K on.
 */
export function MemberRootPrompt({
  userId,
  accountKey,
  action,
  onRoot,
  onCancel,
}: {
  userId: string;
  accountKey: string;
  /** What the key is needed for, e.g. "join this room". */
  action: 'create' | 'join' | 'decline';
  onRoot: (memberRoot: Uint8Array) => void;
  onCancel: () => void;
}) {
  const [recoveryKey, setRecoveryKey] = useState('');
  const [sharedComputer, setSharedComputer] = useState(() => isSharedComputer(userId));
  const [tried, setTried] = useState(false);
  const [error, setError] = useState<string>();

  async function submit(event: FormEvent) {
    event.preventDefault();
    setTried(true);
    const field = readRecoveryKeyField(recoveryKey);
    if (field.state !== 'valid') return;
    if (!secretMatchesAccountKey(field.secret, accountKey)) {
      setError(t('portable.root.otherIdentity', { userId }));
      return;
    }
    const root = deriveMemberRoot(field.secret);
    await keepMemberRoot(userId, root, sharedComputer);
    setRecoveryKey('');
    onRoot(root);
  }

  return (
    <form className="space-y-3" onSubmit={submit} noValidate aria-label={t('portable.root.title')}>
      <p className="text-sm text-muted">{t('portable.root.intro', { action })}</p>
      <RecoveryKeyField value={recoveryKey} onChange={setRecoveryKey} strict={tried} autoFocus />
      <SharedComputerCheckbox checked={sharedComputer} onChange={setSharedComputer} />
      <FormError error={error} />
      <DialogActions submit={t('portable.root.continue')} onCancel={onCancel} />
    </form>
  );
}

/**
 * A dialog that only asks for the recovery key, then runs `run` with the member-key root (creating a room or a DM):
 * its failure is said in the dialog it came from (`onError`), its progress through `onBusy`.
 */
export function MemberRootDialog({
  title,
  userId,
  accountKey,
  action,
  run,
  failed,
  onBusy,
  onError,
  onCancel,
  onClose,
}: {
  title: string;
  userId: string;
  accountKey: string;
  action: 'create' | 'join';
  run: (memberRoot: Uint8Array) => Promise<void>;
  /** The fallback words when the error has none of its own. */
  failed: string;
  onBusy: (busy: boolean) => void;
  onError: (message: string) => void;
  onCancel: () => void;
  onClose: () => void;
}) {
  return (
    <Dialog title={title} onClose={onClose}>
      <MemberRootPrompt
        userId={userId}
        accountKey={accountKey}
        action={action}
        onCancel={onCancel}
        onRoot={(root) => {
          onCancel();
          onBusy(true);
          run(root)
            .catch((err) => onError(describeMatrixError(err, failed)))
            .finally(() => onBusy(false));
        }}
      />
    </Dialog>
  );
}
