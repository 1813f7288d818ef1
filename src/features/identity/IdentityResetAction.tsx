// The action on a changed-identity notice, as Element's identity warning offers it: "OK" pins the new identity,
// "Withdraw verification" drops the requirement that a verified identity stay verified. Its state (busy, failed)
// lives in the domain store; once the action is done the notice's row no longer offers it.
import { useStore } from 'zustand';
import { t } from '../../i18n';
import { identityTrustStore } from '../../domain/identity/identityResets';
import type { IdentityAction } from '../../domain/identity/linkNotices';
import { useClient } from '../../ui/clientContext';

const buttonClass =
  'rounded border border-line-strong px-1.5 py-0.5 font-medium text-fg hover:bg-surface-muted disabled:opacity-50 focus-visible:outline-2 focus-visible:outline-indigo-500';

export function IdentityResetAction({ userId, action, describedBy }: { userId: string; action: IdentityAction; describedBy?: string }) {
  const client = useClient();
  const pending = useStore(identityTrustStore, (s) => !!s.pending[userId]);
  const failed = useStore(identityTrustStore, (s) => s.failed[userId]);
  return (
    <>
      <button
        type="button"
        className={buttonClass}
        disabled={pending}
        aria-describedby={describedBy}
        data-identity-action={action}
        onClick={() => void identityTrustStore.getState().approve(client, userId, action)}
      >
        {pending ? t('identity.reset.busy') : action === 'pin' ? t('identity.reset.pin') : t('identity.reset.withdraw')}
      </button>
      {failed && (
        <span role="alert" className="text-danger-fg">
          {t('identity.reset.failed', { reason: failed })}
        </span>
      )}
    </>
  );
}
