// Verifying by comparing emoji (SAS, m.sas.v1), as in Element: one side asks, the other accepts, both show the same
// seven emoji, and each side says whether they match. One of your own sessions (to-device): done, the new session is
// cross-signed. Another user (an in-room request, in the room you see them in): done, you have signed their identity,
// and a later change of it is a warning (domain/identity/identityResets.ts). The incoming side is mounted for the
// whole signed-in app (IncomingVerification).
import { useCallback, useEffect, useRef, useState } from 'react';
import type { MatrixClient } from 'matrix-js-sdk';
import { CryptoEvent } from 'matrix-js-sdk/lib/crypto-api/CryptoEvent.js';
import {
  VerificationPhase,
  VerificationRequestEvent,
  VerifierEvent,
  type ShowSasCallbacks,
  type VerificationRequest,
  type Verifier,
} from 'matrix-js-sdk/lib/crypto-api/verification.js';
import { t } from '../../i18n';
import { useClient } from '../../ui/clientContext';
import { Dialog, FormError } from '../../ui/Dialog';
import { primaryButton, secondaryButton } from '../../ui/controls';
import { logger } from '../../platform/logger';
import { requestAnswered, whenAnswered, type InRoomRequest } from '../../domain/identity/verificationRequests';
import { queueRequest } from '../../domain/identity/incomingRequests';

const log = logger('crypto');

export type SasState =
  | { step: 'waiting' }
  | { step: 'compare'; sas: ShowSasCallbacks }
  | { step: 'confirmed' }
  | { step: 'done' }
  | { step: 'cancelled'; reason?: string };

/** Follows a request to its SAS: starts it (the side that asked) or waits for the other side's start. */
export function useSas(request: VerificationRequest | undefined, start: boolean): SasState {
  const [state, setState] = useState<SasState>({ step: 'waiting' });
  useEffect(() => {
    if (!request) return;
    let verifier: Verifier | undefined;
    let live = true;
    const follow = (v: Verifier) => {
      if (verifier) return;
      verifier = v;
      v.on(VerifierEvent.ShowSas, (sas) => live && setState({ step: 'compare', sas }));
      v.on(VerifierEvent.Cancel, (e) => live && setState({ step: 'cancelled', reason: e instanceof Error ? e.message : undefined }));
      v.verify().then(
        () => live && setState({ step: 'done' }),
        (error: unknown) => {
          log.warn('the emoji verification did not finish', error);
          if (live) setState({ step: 'cancelled', reason: error instanceof Error ? error.message : undefined });
        },
      );
    };
    const onChange = () => {
      if (request.phase === VerificationPhase.Cancelled)
        return setState({ step: 'cancelled', reason: request.cancellationCode ?? undefined });
      if (request.verifier) return follow(request.verifier);
      if (start && request.phase === VerificationPhase.Ready && request.initiatedByMe) {
        request.startVerification('m.sas.v1').then(follow, (error: unknown) => log.warn('could not start the emoji verification', error));
      }
    };
    request.on(VerificationRequestEvent.Change, onChange);
    onChange();
    return () => {
      live = false;
      request.off(VerificationRequestEvent.Change, onChange);
    };
  }, [request, start]);
  return state;
}

/** The words that name the other side: your other session, or another user. */
export interface SasWording {
  waiting: string;
  compare: string;
  waitingOther: string;
}

const ownSessionWording = (): SasWording => ({
  waiting: t('encryption.sas.waiting'),
  compare: t('encryption.sas.compare'),
  waitingOther: t('encryption.sas.waitingOther'),
});

export const otherUserWording = (name: string): SasWording => ({
  waiting: t('encryption.sasUser.waiting', { name }),
  compare: t('encryption.sasUser.compare', { name }),
  waitingOther: t('encryption.sasUser.waitingOther', { name }),
});

export function SasCompare({
  state,
  onClose,
  wording = ownSessionWording(),
}: {
  state: SasState;
  onClose: () => void;
  wording?: SasWording;
}) {
  const [confirmed, setConfirmed] = useState(false);
  switch (state.step) {
    case 'waiting':
      return (
        <p role="status" className="text-sm text-subtle">
          {wording.waiting}
        </p>
      );
    case 'compare':
      return (
        <div className="space-y-3">
          <p className="text-sm">{wording.compare}</p>
          <ol aria-label={t('encryption.sas.emojiLabel')} className="grid grid-cols-4 gap-2 text-center sm:grid-cols-7">
            {(state.sas.sas.emoji ?? []).map(([emoji, name], i) => (
              <li key={i} className="flex flex-col items-center">
                <span aria-hidden="true" className="text-3xl">
                  {emoji}
                </span>
                <span className="text-xs">{name}</span>
              </li>
            ))}
          </ol>
          {confirmed ? (
            <p role="status" className="text-sm text-subtle">
              {wording.waitingOther}
            </p>
          ) : (
            <div className="flex justify-end gap-2">
              <button type="button" className={secondaryButton} onClick={() => state.sas.mismatch()}>
                {t('encryption.sas.mismatch')}
              </button>
              <button
                type="button"
                className={primaryButton}
                onClick={() => {
                  setConfirmed(true);
                  void state.sas.confirm();
                }}
              >
                {t('encryption.sas.match')}
              </button>
            </div>
          )}
        </div>
      );
    case 'confirmed':
    case 'done':
      return (
        <div className="space-y-3">
          <p role="status" className="text-sm text-success">
            {t('encryption.sas.done')}
          </p>
          <div className="flex justify-end">
            <button type="button" className={primaryButton} onClick={onClose}>
              {t('encryption.close')}
            </button>
          </div>
        </div>
      );
    case 'cancelled':
      return (
        <div className="space-y-3">
          <FormError error={t('encryption.sas.cancelled')} />
          <div className="flex justify-end">
            <button type="button" className={secondaryButton} onClick={onClose}>
              {t('encryption.close')}
            </button>
          </div>
        </div>
      );
  }
}

/** This session asks your other sessions to verify it. */
export function VerifyOtherSession({ onDone }: { onDone: () => void }) {
  const client = useClient();
  const [request, setRequest] = useState<VerificationRequest>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let live = true;
    client
      .getCrypto()
      ?.requestOwnUserVerification()
      .then(
        (r) => live && setRequest(r),
        (e: unknown) => live && setError(e instanceof Error ? e.message : String(e)),
      );
    return () => {
      live = false;
    };
  }, [client]);
  const state = useSas(request, true);
  if (error) return <FormError error={error} />;
  return (
    <div className="space-y-3">
      {state.step === 'waiting' && <p className="text-sm">{t('encryption.sas.askOther')}</p>}
      <SasCompare state={state} onClose={onDone} />
    </div>
  );
}

/** An in-room request's room, event and the two people who may answer it; undefined for a to-device one. */
function inRoomRequest(client: MatrixClient, request: VerificationRequest): InRoomRequest | undefined {
  const { roomId, transactionId, otherUserId } = request;
  if (!roomId || !transactionId) return undefined;
  return { roomId, requestEventId: transactionId, participants: [client.getSafeUserId(), otherUserId] };
}

/**
 * Someone asks to verify you (another of your sessions, or another user in a room): accept, compare, done. One
 * request at a time, the others waiting in turn (see queueRequest: nobody can replace a flow you are in, or flood it).
 */
export function IncomingVerification({ client }: { client: MatrixClient }) {
  const [queue, setQueue] = useState<readonly VerificationRequest[]>([]);
  const request = queue[0];
  // The request accepted, if it is the one shown: a request that replaces the shown one starts unaccepted.
  const [acceptedRequest, setAcceptedRequest] = useState<VerificationRequest>();
  const accepted = request !== undefined && acceptedRequest === request;
  const acceptedNow = useRef(accepted);
  acceptedNow.current = accepted;
  const dismiss = useCallback((done: VerificationRequest) => setQueue((q) => q.filter((r) => r !== done)), []);
  useEffect(() => {
    const onRequest = (r: VerificationRequest) => {
      // Your own sessions ask to-device (Element's self-verification); other users in a room you share with them.
      if (r.initiatedByMe || (r.otherUserId !== client.getUserId() && !r.roomId)) return;
      const inRoom = inRoomRequest(client, r);
      if (isOver(r) || (inRoom && requestAnswered(client, inRoom))) return;
      setQueue((q) => {
        const next = queueRequest(q, r, acceptedNow.current);
        if (next === q) log.warn(`a verification request from ${r.otherUserId} was dropped: ${q.length} are waiting`);
        return next;
      });
    };
    client.on(CryptoEvent.VerificationRequestReceived, onRequest);
    return () => {
      client.off(CryptoEvent.VerificationRequestReceived, onRequest);
    };
  }, [client]);
  // A request that ends before it is accepted (withdrawn, answered on another device, or an old one a reload replays
  // with the rest of its flow) takes its dialog with it; one that ended while it waited is skipped.
  useEffect(() => {
    if (!request || accepted) return;
    const onChange = () => isOver(request) && dismiss(request);
    request.on(VerificationRequestEvent.Change, onChange);
    onChange();
    // An in-room request whose answer comes back after it (a reload replays both, not always in order) was answered.
    const inRoom = inRoomRequest(client, request);
    if (inRoom && requestAnswered(client, inRoom)) dismiss(request);
    const stopWatching = inRoom ? whenAnswered(client, inRoom, () => dismiss(request)) : undefined;
    return () => {
      request.off(VerificationRequestEvent.Change, onChange);
      stopWatching?.();
    };
  }, [client, request, accepted, dismiss]);
  const state = useSas(accepted ? request : undefined, false);
  if (!request) return null;
  const close = () => {
    if (state.step !== 'done') void request.cancel().catch(log.ignored('the request was already over'));
    dismiss(request);
  };
  const fromOtherUser = request.otherUserId !== client.getUserId();
  const name = fromOtherUser ? displayNameOf(client, request) : '';
  return (
    <Dialog title={fromOtherUser ? t('encryption.sasUser.incomingTitle', { name }) : t('encryption.sas.incomingTitle')} onClose={close}>
      {!accepted ? (
        <div className="space-y-3">
          <p className="text-sm">
            {fromOtherUser
              ? t('encryption.sasUser.incoming', { name, userId: request.otherUserId })
              : t('encryption.sas.incoming', { device: request.otherDeviceId ?? '' })}
          </p>
          <div className="flex justify-end gap-2">
            <button type="button" className={secondaryButton} onClick={close}>
              {t('encryption.sas.decline')}
            </button>
            <button
              type="button"
              className={primaryButton}
              onClick={() => {
                setAcceptedRequest(request);
                void request.accept();
              }}
            >
              {t('encryption.sas.accept')}
            </button>
          </div>
        </div>
      ) : (
        <SasCompare state={state} onClose={() => dismiss(request)} {...(fromOtherUser ? { wording: otherUserWording(name) } : {})} />
      )}
    </Dialog>
  );
}

const isOver = (r: VerificationRequest) => r.phase === VerificationPhase.Done || r.phase === VerificationPhase.Cancelled;

/** The asking user's name in the room the request came in, else their user ID. */
function displayNameOf(client: MatrixClient, request: VerificationRequest): string {
  const member = request.roomId ? client.getRoom(request.roomId)?.getMember(request.otherUserId) : undefined;
  return member?.name || request.otherUserId;
}
