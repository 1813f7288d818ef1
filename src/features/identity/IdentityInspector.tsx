// Who is this, really? The identity inspector: name and avatar, the handle and its badge, the member key (for
// reading aloud), the link as the homeserver and as this browser see it, the key's handle history in this room,
// look-alike members, power and membership, "Verify now" and "Copy member event JSON".
import { memo, useCallback, useEffect, useRef, useState } from 'react';
import type { MatrixClient, Room } from 'matrix-js-sdk';
import { Avatar } from '../../ui/Avatar';
import { secondaryButton, iconButton } from '../../ui/controls';
import { CREATOR_POWER_LEVEL, roleOf } from '../../domain/rooms/members';
import { badgeOf, disagreement, handleOf, type BrowserCheck } from '../../domain/identity/badge';
import { roomIdentities } from '../../domain/room/roomIdentities';
import { useIdentityFacts } from './useIdentityFacts';
import { HandleBadge } from './HandleBadge';
import { SenderName } from './SenderName';
import { MemberActions } from './MemberActions';
import { UserEncryptionSection } from '../encryption/VerifyUser';
import { identityStore, useIdentity, browserKey } from '../../domain/identity/identityStore';
import { fetchMemberEvent } from './browserVerify';
import { loadHandleHistory, verifyInBrowser } from './verifyInBrowser';
import type { HandleHistoryEntry } from './handleHistory';
import { t } from '../../i18n';
import { logger } from '../../platform/logger';

const log = logger('identity');

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** The key in groups of four, so two people can read it to each other. */
export function keyGroups(identity: string): string {
  return identity.match(/.{1,4}/g)?.join(' ') ?? identity;
}

/** Memoised: it changes with the inspector's store, not with the room view around it (a message arriving). */
export const IdentityInspector = memo(function IdentityInspector({ client, room }: { client: MatrixClient; room: Room }) {
  const target = useIdentity((s) => (s.inspector?.roomId === room.roomId ? s.inspector.identity : undefined));
  const browser = useIdentity((s) => (target ? s.browser[browserKey(room.roomId, target)] : undefined));
  const ref = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const dialog = ref.current;
    if (target && dialog && !dialog.open) dialog.showModal();
  }, [target]);

  // Opening the inspector runs the browser's own check (from its cache when fresh).
  useEffect(() => {
    if (target && !target.startsWith('@') && !identityStore.getState().browser[browserKey(room.roomId, target)])
      void verifyInBrowser(client, room, [target]).catch((error: unknown) => log.warn('the browser link check failed', error));
  }, [client, room, target]);

  if (!target) return null;
  const close = () => identityStore.getState().closeInspector();
  return (
    <dialog
      ref={ref}
      aria-label={t('identity.inspector.title')}
      onClose={close}
      className="m-auto max-h-[calc(100dvh-2rem)] w-[min(36rem,calc(100vw-1rem))] overflow-y-auto rounded-lg bg-surface-raised p-0 text-fg shadow-xl backdrop:bg-black/50"
    >
      <InspectorBody key={target} client={client} room={room} identity={target} browser={browser} onClose={close} />
    </dialog>
  );
});

function InspectorBody({
  client,
  room,
  identity,
  browser,
  onClose,
}: {
  client: MatrixClient;
  room: Room;
  identity: string;
  browser?: BrowserCheck;
  onClose(): void;
}) {
  // Re-derived on member_info changes and browser checks: the facts object changes with them.
  const facts = useIdentityFacts(room.roomId);
  const identities = roomIdentities(room);
  const profile = identities.profile({ identity, sender: identity }, facts);
  const state = identities.identityState(identity, facts);
  const badge = badgeOf(state);
  const member = identities.member(identity);
  const [history, reloadHistory] = useHandleHistory(client, room, identity, state.isKey);
  const conflict = disagreement(state);
  const [copyStatus, setCopyStatus] = useState<string>();
  const link = state.link;
  const claimed = handleOf(link?.localpart ?? state.history.at(-1)?.localpart, link?.domain ?? state.history.at(-1)?.domain);

  async function copyMemberEvent() {
    setCopyStatus(t('identity.inspector.fetching'));
    try {
      const event = await fetchMemberEvent(
        { fetch: window.fetch.bind(window), homeserverUrl: client.getHomeserverUrl(), accessToken: client.getAccessToken() ?? '' },
        room.roomId,
        identity,
      );
      await navigator.clipboard.writeText(JSON.stringify(event, null, 2));
      setCopyStatus(t('identity.inspector.eventCopied'));
    } catch (error) {
      setCopyStatus(t('identity.inspector.copyFailed', { reason: error instanceof Error ? error.message : String(error) }));
    }
  }

  return (
    <div className="space-y-4 p-5">
      <header className="flex items-start gap-3">
        <Avatar name={profile.name} mxc={profile.avatarMxc} seed={identity} size={48} />
        <div className="min-w-0 flex-1">
          <h2 className="truncate text-lg font-semibold">
            <SenderName name={profile.name} />
          </h2>
          <HandleBadge badge={badge} className="text-sm" />
        </div>
        <button className={iconButton} aria-label={t('identity.inspector.close')} onClick={onClose} autoFocus>
          ✕
        </button>
      </header>

      {conflict && (
        <p role="alert" className="rounded-md border border-danger-line bg-danger-surface p-3 text-sm font-medium text-danger-fg">
          ⚠ {t(conflict)}
        </p>
      )}

      {badge.kind === 'contested' && (
        <p
          role="alert"
          data-testid="contested-warning"
          className="rounded-md border border-danger-line bg-danger-surface p-3 text-sm font-medium text-danger-fg"
        >
          {t('identity.inspector.contested', { reason: badge.reason })}
          {badge.signer && (
            <span className="mt-1 block font-normal">
              {t('identity.inspector.firstSeen', { when: dateTime.format(badge.signer.sinceTs) })}{' '}
              <code className="break-all font-mono text-xs">{badge.signer.eventId}</code>.
            </span>
          )}
        </p>
      )}

      {state.isKey ? (
        <section aria-label={t('identity.inspector.memberKey')} className="space-y-1">
          <h3 className="text-xs font-semibold uppercase tracking-wide text-subtle">{t('identity.inspector.memberKey')}</h3>
          <p className="flex items-start gap-2">
            <code className="flex-1 break-all rounded bg-surface-muted px-2 py-1 font-mono text-sm" data-testid="member-key">
              {keyGroups(identity)}
            </code>
            <button
              className={secondaryButton + ' text-sm'}
              onClick={() =>
                void navigator.clipboard.writeText(identity).then(
                  () => setCopyStatus(t('identity.inspector.keyCopied')),
                  () => setCopyStatus(t('identity.inspector.keyCopyFailed')),
                )
              }
            >
              {t('identity.inspector.copyKey')}
            </button>
          </p>
          <p className="text-xs text-subtle">{t('identity.inspector.keyPerRoom')}</p>
        </section>
      ) : (
        <p className="text-sm text-subtle">{t('identity.inspector.classic', { userId: identity })}</p>
      )}

      {state.isKey && (
        <section aria-label={t('identity.inspector.link')} className="space-y-2 text-sm">
          <h3 className="text-xs font-semibold uppercase tracking-wide text-subtle">{t('identity.inspector.link')}</h3>
          <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1">
            <dt className="text-subtle">{t('identity.inspector.claims')}</dt>
            <dd>{claimed ?? t('identity.inspector.noHandle')}</dd>
            <dt className="text-subtle">{t('identity.inspector.domain')}</dt>
            <dd>{link?.domain ?? state.history.at(-1)?.domain ?? '—'}</dd>
            <dt className="text-subtle">{t('identity.inspector.homeserverSays')}</dt>
            <dd data-testid="homeserver-verdict">
              {link ? (
                <>
                  <strong>{link.status === 'pending' ? t('identity.inspector.pending') : link.status}</strong>
                  {link.key_id && <> {t('identity.inspector.withKey', { keyId: link.key_id })}</>},{' '}
                  {t('identity.inspector.checked', { when: dateTime.format(link.checked_ts) })}
                  {link.status !== 'verified' && link.reason && (
                    <span className="block text-muted">{t('identity.inspector.reason', { reason: link.reason })}</span>
                  )}
                </>
              ) : (
                t('identity.inspector.notReported')
              )}
            </dd>
            <dt className="text-subtle">{t('identity.inspector.thisBrowser')}</dt>
            <dd data-testid="browser-verdict" aria-live="polite">
              {!browser ? (
                t('identity.inspector.notChecked')
              ) : browser.state === 'checking' ? (
                t('identity.inspector.checking')
              ) : browser.unreachable ? (
                // Fail open (PROTOCOL.md §4): verified before, not re-checked now; never shown as unverified.
                <>
                  <strong>{browser.status}</strong>
                  {browser.keyId && <> {t('identity.inspector.withKey', { keyId: browser.keyId })}</>}
                  <span className="block font-medium text-warning" data-testid="not-rechecked">
                    {t(
                      browser.unreachable.by === 'browser'
                        ? 'identity.inspector.notRecheckedBrowser'
                        : 'identity.inspector.notRecheckedHomeserver',
                      {
                        domain: browser.unreachable.domain,
                        when: dateTime.format(browser.unreachable.lastVerifiedTs),
                      },
                    )}
                  </span>
                  <span className="block text-muted">
                    {t('identity.inspector.triedAt', { when: dateTime.format(browser.checkedTs), reason: browser.reason })}
                  </span>
                </>
              ) : (
                <>
                  <strong>{browser.status}</strong>
                  {browser.keyId && <> {t('identity.inspector.withKey', { keyId: browser.keyId })}</>},{' '}
                  {t('identity.inspector.checked', { when: dateTime.format(browser.checkedTs) })}
                  <span className="block text-muted">
                    {browser.status === 'verified' ? browser.reason : t('identity.inspector.reason', { reason: browser.reason })}
                  </span>
                </>
              )}
            </dd>
          </dl>
          <div className="flex flex-wrap gap-2">
            <button
              className={secondaryButton + ' text-sm'}
              disabled={browser?.state === 'checking'}
              onClick={() => {
                void verifyInBrowser(client, room, [identity], true).catch((error: unknown) =>
                  log.warn('the browser link check failed', error),
                );
                reloadHistory(true);
              }}
            >
              {browser?.state === 'checking' ? t('identity.inspector.verifying') : t('identity.inspector.verify')}
            </button>
            <button className={secondaryButton + ' text-sm'} onClick={() => void copyMemberEvent()}>
              {t('identity.inspector.copyEvent')}
            </button>
          </div>
          {copyStatus && (
            <p role="status" className="text-xs text-subtle">
              {copyStatus}
            </p>
          )}
        </section>
      )}

      {state.isKey && <HandleHistorySection history={history} />}

      {profile.warnings.length > 0 && (
        <section aria-label={t('identity.inspector.lookAlikes')} className="space-y-1 text-sm">
          {[true, false].map((warned) => {
            const list = profile.warnings.filter((w) => w.warn === warned);
            if (list.length === 0) return null;
            return (
              <div key={String(warned)} className="space-y-1" data-look-alikes={warned ? 'warned' : 'original'}>
                <h3 className={`text-xs font-semibold uppercase tracking-wide ${warned ? 'text-warning' : 'text-subtle'}`}>
                  {warned ? t('identity.inspector.lookAlikesHeading') : t('identity.inspector.lookAlikesOriginal')}
                </h3>
                <ul className="space-y-1">
                  {list.map((warning) => {
                    const other = identities.profile({ identity: warning.other, sender: warning.other }, facts);
                    return (
                      <li key={warning.other}>
                        <button className="underline" onClick={() => identityStore.getState().openInspector(room.roomId, warning.other)}>
                          <SenderName name={other.name} />
                        </button>{' '}
                        <span className="text-subtle">
                          (<bdi>{other.handleLabel}</bdi>) — <bdi data-look-alike-detail>{warning.detail}</bdi>
                        </span>
                      </li>
                    );
                  })}
                </ul>
              </div>
            );
          })}
        </section>
      )}

      <section aria-label={t('identity.inspector.membership')} className="text-sm">
        <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1">
          <dt className="text-subtle">{t('identity.inspector.membership')}</dt>
          <dd>{member?.membership ?? t('identity.inspector.unknown')}</dd>
          <dt className="text-subtle">{t('identity.inspector.powerLevel')}</dt>
          <dd>{describePowerLevel(member?.powerLevel ?? 0)}</dd>
        </dl>
      </section>

      {room.hasEncryptionStateEvent() && member?.userId && member.userId !== client.getUserId() && client.getCrypto() && (
        <UserEncryptionSection client={client} roomId={room.roomId} userId={member.userId} name={profile.name} />
      )}

      <MemberActions
        client={client}
        room={room}
        identity={identity}
        name={profile.name}
        badge={badge}
        handleLabel={profile.handleLabel}
        member={member}
        onClose={onClose}
      />
    </div>
  );
}

type HistoryLoad = { kind: 'loading' } | { kind: 'loaded'; entries: HandleHistoryEntry[] } | { kind: 'failed'; reason: string };

/** The key's handle history, fetched when the inspector opens and again on demand ("Verify now"). */
function useHandleHistory(client: MatrixClient, room: Room, identity: string, isKey: boolean): [HistoryLoad, (force: boolean) => void] {
  const [load, setLoad] = useState<HistoryLoad>({ kind: 'loading' });
  const latest = useRef(0);
  const reload = useCallback(
    (force: boolean) => {
      if (!isKey) return;
      // Only the newest request may land: an older answer must not overwrite a fresher one.
      const request = ++latest.current;
      setLoad({ kind: 'loading' });
      loadHandleHistory(client, room, identity, force).then(
        (entries) => request === latest.current && setLoad({ kind: 'loaded', entries }),
        (error: unknown) =>
          request === latest.current && setLoad({ kind: 'failed', reason: error instanceof Error ? error.message : String(error) }),
      );
    },
    [client, room, identity, isKey],
  );
  useEffect(() => {
    reload(false);
    return () => void ++latest.current;
  }, [reload]);
  return [load, reload];
}

/** Each member event of the key: date, handle (or the badge words), membership, and who co-signed it. */
export function HandleHistorySection({ history }: { history: HistoryLoad }) {
  return (
    <section aria-label={t('identity.history.title')} aria-busy={history.kind === 'loading'} className="space-y-1 text-sm">
      <h3 className="text-xs font-semibold uppercase tracking-wide text-subtle">{t('identity.history.heading')}</h3>
      {history.kind === 'loading' && <p className="text-subtle">{t('identity.history.loading')}</p>}
      {history.kind === 'failed' && <p className="text-danger">{t('identity.history.failed', { reason: history.reason })}</p>}
      {history.kind === 'loaded' && history.entries.length === 0 && <p className="text-subtle">{t('identity.history.none')}</p>}
      {history.kind === 'loaded' && history.entries.length > 0 && (
        <ol className="space-y-1">
          {history.entries.map((entry) => (
            <li key={entry.key} data-testid="handle-history-entry" className="flex flex-wrap gap-x-2">
              <time className="text-subtle" dateTime={new Date(entry.ts).toISOString()}>
                {dateTime.format(entry.ts)}
              </time>
              <span
                className={entry.verified ? '' : 'font-medium text-warning'}
                title={entry.claim ? t('identity.history.claimNotVerified', { claim: entry.claim }) : undefined}
              >
                {entry.label}
              </span>
              <span className="text-subtle">{entry.membership ?? ''} ·</span>
              <span data-testid="co-signature" className={entry.coSignedByClaimedDomain ? 'text-subtle' : 'font-medium text-danger'}>
                {entry.coSignature}
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}

/** The power level as people read it: "Owner" (a room creator, as Element says) rather than 9007199254740991, else the number and its role. */
export function describePowerLevel(powerLevel: number): string {
  if (powerLevel >= CREATOR_POWER_LEVEL) return t('members.creator');
  const role = roleOf(powerLevel);
  return role ? `${powerLevel} (${t(role)})` : String(powerLevel);
}
