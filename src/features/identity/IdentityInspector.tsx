// Who is this, really? The identity inspector: name and avatar, the handle and its badge, the member key (for
// reading aloud), the link as the homeserver and as this browser see it, the key's handle history in this room,
// look-alike members, power and membership, "Verify now" and "Copy member event JSON".
import { useCallback, useEffect, useRef, useState } from 'react';
import type { MatrixClient, Room } from 'matrix-js-sdk';
import { Avatar } from '../../ui/Avatar';
import { secondaryButton, iconButton } from '../../ui/controls';
import { roleOf } from '../../domain/rooms/members';
import { badgeOf, disagreement, handleOf, type BrowserCheck } from '../../domain/identity/badge';
import { describeSender, identityState, memberOfIdentity } from '../../domain/identity/describeSender';
import { HandleBadge } from './HandleBadge';
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

export function IdentityInspector({ client, room }: { client: MatrixClient; room: Room }) {
  const target = useIdentity((s) => (s.inspector?.roomId === room.roomId ? s.inspector.identity : undefined));
  // Re-derive on member_info changes and browser checks.
  useIdentity((s) => s.revision[room.roomId] ?? 0);
  const browser = useIdentity((s) => (target ? s.browser[browserKey(room.roomId, target)] : undefined));
  const ref = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const dialog = ref.current;
    if (target && dialog && !dialog.open) dialog.showModal();
  }, [target]);

  // Opening the inspector runs the browser's own check (from its cache when fresh).
  useEffect(() => {
    if (target && !target.startsWith('@') && !identityStore.getState().browser[browserKey(room.roomId, target)]) void verifyInBrowser(client, room, [target]).catch((error: unknown) => log.warn('the browser link check failed', error));
  }, [client, room, target]);

  if (!target) return null;
  const close = () => identityStore.getState().closeInspector();
  return (
    <dialog
      ref={ref}
      aria-label="Identity"
      onClose={close}
      className="m-auto max-h-[calc(100dvh-2rem)] w-[min(36rem,calc(100vw-1rem))] overflow-y-auto rounded-lg bg-surface-raised p-0 text-fg shadow-xl backdrop:bg-black/50"
    >
      <InspectorBody key={target} client={client} room={room} identity={target} browser={browser} onClose={close} />
    </dialog>
  );
}

function InspectorBody({ client, room, identity, browser, onClose }: { client: MatrixClient; room: Room; identity: string; browser?: BrowserCheck; onClose(): void }) {
  const profile = describeSender(room, { identity, sender: identity });
  const state = identityState(room, identity);
  const badge = badgeOf(state);
  const member = memberOfIdentity(room, identity);
  const [history, reloadHistory] = useHandleHistory(client, room, identity, state.isKey);
  const conflict = disagreement(state);
  const [copyStatus, setCopyStatus] = useState<string>();
  const link = state.link;
  const claimed = handleOf(link?.localpart ?? state.history.at(-1)?.localpart, link?.domain ?? state.history.at(-1)?.domain);

  async function copyMemberEvent() {
    setCopyStatus('Fetching…');
    try {
      const event = await fetchMemberEvent({ fetch: window.fetch.bind(window), homeserverUrl: client.getHomeserverUrl(), accessToken: client.getAccessToken() ?? '' }, room.roomId, identity);
      await navigator.clipboard.writeText(JSON.stringify(event, null, 2));
      setCopyStatus('Signed member event copied');
    } catch (error) {
      setCopyStatus(`Could not copy: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  return (
    <div className="space-y-4 p-5">
      <header className="flex items-start gap-3">
        <Avatar name={profile.name} mxc={profile.avatarMxc} seed={identity} size={48} />
        <div className="min-w-0 flex-1">
          <h2 className="truncate text-lg font-semibold">{profile.name}</h2>
          <HandleBadge badge={badge} className="text-sm" />
        </div>
        <button className={iconButton} aria-label="Close identity" onClick={onClose} autoFocus>
          ✕
        </button>
      </header>

      {conflict && (
        <p role="alert" className="rounded-md border border-danger-line bg-danger-surface p-3 text-sm font-medium text-danger-fg">
          ⚠ {t(conflict)}
        </p>
      )}

      {badge.kind === 'contested' && (
        <p role="alert" data-testid="contested-warning" className="rounded-md border border-danger-line bg-danger-surface p-3 text-sm font-medium text-danger-fg">
          ⚠ Contested identity: {t(badge.reason)}.
          {badge.signer && (
            <span className="mt-1 block font-normal">
              Your homeserver first saw it {dateTime.format(badge.signer.sinceTs)}, in event <code className="break-all font-mono text-xs">{badge.signer.eventId}</code>.
            </span>
          )}
        </p>
      )}

      {state.isKey ? (
        <section aria-label="Member key" className="space-y-1">
          <h3 className="text-xs font-semibold uppercase tracking-wide text-subtle">Member key</h3>
          <p className="flex items-start gap-2">
            <code className="flex-1 break-all rounded bg-surface-muted px-2 py-1 font-mono text-sm" data-testid="member-key">
              {keyGroups(identity)}
            </code>
            <button className={secondaryButton + ' text-sm'} onClick={() => void navigator.clipboard.writeText(identity).then(() => setCopyStatus('Member key copied'), () => setCopyStatus('Could not copy the key'))}>
              Copy key
            </button>
          </p>
          <p className="text-xs text-subtle">This key is specific to this room: the same person has a different key in every room.</p>
        </section>
      ) : (
        <p className="text-sm text-subtle">A classic room: the user ID {identity} is the identity; there is no member key or link to check.</p>
      )}

      {state.isKey && (
        <section aria-label="Link" className="space-y-2 text-sm">
          <h3 className="text-xs font-semibold uppercase tracking-wide text-subtle">Link</h3>
          <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1">
            <dt className="text-subtle">Claims</dt>
            <dd>{claimed ?? 'no handle'}</dd>
            <dt className="text-subtle">Domain</dt>
            <dd>{link?.domain ?? state.history.at(-1)?.domain ?? '—'}</dd>
            <dt className="text-subtle">Homeserver says</dt>
            <dd data-testid="homeserver-verdict">
              {link ? (
                <>
                  <strong>{link.status}</strong>
                  {link.key_id && <> with {link.key_id}</>}, checked {dateTime.format(link.checked_ts)}
                  {link.status !== 'verified' && link.reason && <span className="block text-muted">Reason: {link.reason}</span>}
                </>
              ) : (
                'not reported yet'
              )}
            </dd>
            <dt className="text-subtle">This browser</dt>
            <dd data-testid="browser-verdict" aria-live="polite">
              {!browser ? (
                'not checked'
              ) : browser.state === 'checking' ? (
                'checking…'
              ) : (
                <>
                  <strong>{browser.status}</strong>
                  {browser.keyId && <> with {browser.keyId}</>}, checked {dateTime.format(browser.checkedTs)}
                  <span className="block text-muted">
                    {browser.status === 'verified' ? '' : 'Reason: '}
                    {browser.reason}
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
                void verifyInBrowser(client, room, [identity], true).catch((error: unknown) => log.warn('the browser link check failed', error));
                reloadHistory(true);
              }}
            >
              {browser?.state === 'checking' ? 'Verifying…' : 'Verify now'}
            </button>
            <button className={secondaryButton + ' text-sm'} onClick={() => void copyMemberEvent()}>
              Copy member event JSON
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
        <section aria-label="Look-alike members" className="space-y-1 text-sm">
          <h3 className="text-xs font-semibold uppercase tracking-wide text-warning">⚠ Same or similar name as</h3>
          <ul className="space-y-1">
            {profile.warnings.map((warning) => {
              const other = describeSender(room, { identity: warning.other, sender: warning.other });
              return (
                <li key={warning.other}>
                  <button className="underline" onClick={() => identityStore.getState().openInspector(room.roomId, warning.other)}>
                    {other.name}
                  </button>{' '}
                  <span className="text-subtle">({other.handleLabel}) — {warning.detail}</span>
                </li>
              );
            })}
          </ul>
        </section>
      )}

      <section aria-label="Membership" className="text-sm">
        <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1">
          <dt className="text-subtle">Membership</dt>
          <dd>{member?.membership ?? 'unknown'}</dd>
          <dt className="text-subtle">Power level</dt>
          <dd>
            {member?.powerLevel ?? 0}
            {member && roleOf(member.powerLevel) ? ` (${roleOf(member.powerLevel)})` : ''}
          </dd>
        </dl>
      </section>
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
        (error: unknown) => request === latest.current && setLoad({ kind: 'failed', reason: error instanceof Error ? error.message : String(error) }),
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
    <section aria-label="Handle history" aria-busy={history.kind === 'loading'} className="space-y-1 text-sm">
      <h3 className="text-xs font-semibold uppercase tracking-wide text-subtle">Handle history in this room</h3>
      {history.kind === 'loading' && <p className="text-subtle">Loading the signed member events…</p>}
      {history.kind === 'failed' && <p className="text-danger">Could not load the handle history: {history.reason}</p>}
      {history.kind === 'loaded' && history.entries.length === 0 && <p className="text-subtle">No member events.</p>}
      {history.kind === 'loaded' && history.entries.length > 0 && (
        <ol className="space-y-1">
          {history.entries.map((entry) => (
            <li key={entry.key} data-testid="handle-history-entry" className="flex flex-wrap gap-x-2">
              <time className="text-subtle" dateTime={new Date(entry.ts).toISOString()}>
                {dateTime.format(entry.ts)}
              </time>
              <span className={entry.verified ? '' : 'font-medium text-warning'} title={entry.claim ? `Claims ${entry.claim}, not verified` : undefined}>
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
