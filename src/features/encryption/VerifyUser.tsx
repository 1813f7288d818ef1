// Another member's encryption identity in their inspector: verified or not (or changed: MSC4161's words), and
// Element's "Verify by emoji": an in-room request (requestVerificationDM) in the room you see them in, the same
// emoji comparison as between your own sessions. Once verified, a change of their identity is a warning.
import { useEffect, useState } from 'react';
import type { MatrixClient } from 'matrix-js-sdk';
import { VerificationPhase, type VerificationRequest } from 'matrix-js-sdk/lib/crypto-api/verification.js';
import { useStore } from 'zustand';
import { t } from '../../i18n';
import { identityTrustStore } from '../../domain/identity/identityResets';
import { Dialog, FormError } from '../../ui/Dialog';
import { secondaryButton } from '../../ui/controls';
import { logger } from '../../platform/logger';
import { otherUserWording, SasCompare, useSas } from './SasVerification';

const log = logger('crypto');

export function UserEncryptionSection({
  client,
  roomId,
  userId,
  name,
}: {
  client: MatrixClient;
  roomId: string;
  userId: string;
  name: string;
}) {
  const trust = useStore(identityTrustStore, (s) => s.trust[userId]);
  const [verifying, setVerifying] = useState(false);
  useEffect(() => {
    identityTrustStore
      .getState()
      .refresh(client, userId)
      .catch((error: unknown) => log.warn(`could not read ${userId}’s identity status`, error));
  }, [client, userId]);
  return (
    <section aria-label={t('identity.encryption.title')} className="space-y-2 text-sm">
      <h3 className="text-xs font-semibold uppercase tracking-wide text-subtle">{t('identity.encryption.title')}</h3>
      <p data-testid="encryption-trust" aria-live="polite">
        {!trust
          ? t('identity.encryption.unknown')
          : trust.verified
            ? t('identity.encryption.verified', { name })
            : trust.warning === 'verificationViolation'
              ? t('identity.encryption.wasVerified', { name })
              : trust.warning === 'pinViolation'
                ? t('identity.encryption.changed', { name })
                : t('identity.encryption.notVerified', { name })}
      </p>
      {!trust?.verified && (
        <button type="button" className={secondaryButton + ' text-sm'} onClick={() => setVerifying(true)}>
          {t('identity.encryption.verify')}
        </button>
      )}
      {verifying && <VerifyUserDialog client={client} roomId={roomId} userId={userId} name={name} onClose={() => setVerifying(false)} />}
    </section>
  );
}

function VerifyUserDialog({
  client,
  roomId,
  userId,
  name,
  onClose,
}: {
  client: MatrixClient;
  roomId: string;
  userId: string;
  name: string;
  onClose: () => void;
}) {
  const [request, setRequest] = useState<VerificationRequest>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let live = true;
    let asked: VerificationRequest | undefined;
    client
      .getCrypto()
      ?.requestVerificationDM(userId, roomId)
      .then(
        (r) => {
          asked = r;
          if (live) setRequest(r);
          else void r.cancel().catch(log.ignored('the request was already over'));
        },
        (e: unknown) => live && setError(e instanceof Error ? e.message : String(e)),
      );
    return () => {
      live = false;
      // Closed before the end: the other side is told, rather than left waiting.
      if (asked && asked.phase !== VerificationPhase.Done && asked.phase !== VerificationPhase.Cancelled)
        void asked.cancel().catch(log.ignored('the request was already over'));
    };
  }, [client, roomId, userId]);
  const state = useSas(request, true);
  // Their identity is signed once the emoji match; the crypto may say so only on a later key query: read it now.
  useEffect(() => {
    if (state.step !== 'done') return;
    identityTrustStore
      .getState()
      .refresh(client, userId)
      .catch((error: unknown) => log.warn(`could not read ${userId}’s identity status`, error));
  }, [client, userId, state.step]);
  const wording = otherUserWording(name);
  return (
    <Dialog title={t('identity.encryption.dialogTitle', { name })} onClose={onClose}>
      {error ? (
        <>
          <FormError error={t('identity.encryption.failed', { reason: error })} />
          <div className="flex justify-end">
            <button type="button" className={secondaryButton} onClick={onClose}>
              {t('encryption.close')}
            </button>
          </div>
        </>
      ) : (
        <>
          {state.step === 'waiting' && <p className="text-sm">{t('identity.encryption.asked', { name })}</p>}
          <SasCompare state={state} onClose={onClose} wording={wording} />
        </>
      )}
    </Dialog>
  );
}
