import { useMemo, useState } from 'react';
import { t } from '../../i18n';
import { useClient } from '../../ui/clientContext';
import { openRoom, selectOpenRoomId, useRoute } from '../../state/navigation';
import { formatRoute } from '../../domain/routes';
import { describeMatrixError } from '../../matrix/errors';
import { chatStore, useChat } from '../../state/chatStore';
import { iconButton, inputClass, secondaryButton } from '../../ui/controls';
import { Avatar } from '../../ui/Avatar';
import { badgeText, visibleRooms, type RoomListEntry } from '../../domain/rooms/roomList';
import { CreateRoomDialog } from './CreateRoomDialog';
import { JoinRoomDialog } from './JoinRoomDialog';
import { RoomDirectoryDialog } from './RoomDirectoryDialog';
import { DirectMessageDialog } from './DirectMessageDialog';
import { useDirectPartnerLinks } from './useDirectPartnerLinks';
import { identityFactsOf, roomIdentities } from '../../domain/room/roomIdentities';
import { identityStore } from '../../domain/identity/identityStore';
import { MoveAccountButton, PendingMoveNotice } from '../migration/MoveAccountButton';
import type { OnMoved } from '../migration/MigrationWizard';
import { NotificationToggle } from '../notifications/NotificationToggle';
import { SenderName } from '../identity/SenderName';
import { ThemeControl } from '../../ui/ThemeControl';
import { ConfirmDialog, Dialog } from '../../ui/Dialog';
import { MemberRootPrompt } from '../portable/MemberRootPrompt';
import { pendingInviteKeyNonce } from '../portable/portableRooms';
import { answerInvite, clientInviteAnswers } from './answerInvite';
import { NotPortableNote, useInviteKeyFromServer } from '../portable/NotPortable';
import { ProfileButton } from '../profile/ProfileDialog';

/**
 * `onSignOut` ends the session and `onMoved` switches this browser to the account a move ended on (src/app/session.ts):
 * the shell passes them down, so no feature imports the shell.
 */
export function RoomListPanel({ onSignOut, onMoved }: { onSignOut(): Promise<void>; onMoved: OnMoved }) {
  const client = useClient();
  const rooms = useChat((s) => s.rooms);
  const filter = useChat((s) => s.roomFilter);
  const selected = useRoute(selectOpenRoomId);
  const settingsOpen = useRoute((s) => s.route.kind === 'settings');
  const shown = useMemo(() => visibleRooms(rooms, filter), [rooms, filter]);
  useDirectPartnerLinks(shown);
  const [dialog, setDialog] = useState<'create' | 'direct' | 'join' | 'explore' | undefined>();
  const [signingOut, setSigningOut] = useState(false);
  const [confirmSignOut, setConfirmSignOut] = useState(false);
  const invites = shown.filter((r) => r.membership === 'invite');
  const joined = shown.filter((r) => r.membership === 'join');
  const knocks = shown.filter((r) => r.membership === 'knock');

  return (
    <nav aria-label={t('rooms.nav')} className="flex w-full flex-col border-r border-line bg-surface-sunken">
      {/* Who you are gets its own line when the actions don't fit beside it: a user ID cut to "@b…" says nothing. */}
      <header className="flex flex-wrap items-center gap-2 border-b border-line p-3">
        <ProfileButton />
        <div className="min-w-0 flex-1 basis-44">
          <p className="truncate font-semibold">{t('app.name')}</p>
          <p className="truncate text-xs text-subtle" title={client.getUserId() ?? ''}>
            {client.getUserId()}
          </p>
        </div>
        <div className="ml-auto flex items-center gap-1">
          <a className={iconButton} href={formatRoute({ kind: 'settings' })} aria-current={settingsOpen ? 'page' : undefined}>
            {t('settings.open')}
          </a>
          <MoveAccountButton onMoved={onMoved} />
          <button className={iconButton} disabled={signingOut} onClick={() => setConfirmSignOut(true)}>
            {t('rooms.signOut')}
          </button>
        </div>
      </header>
      {confirmSignOut && (
        <ConfirmDialog
          title={t('rooms.signOut.title')}
          body={t('rooms.signOut.intro')}
          confirm={t('rooms.signOut.submit')}
          onConfirm={() => {
            setSigningOut(true);
            void onSignOut();
          }}
          onClose={() => setConfirmSignOut(false)}
        />
      )}
      <PendingMoveNotice onMoved={onMoved} />
      <div className="space-y-2 p-3">
        <div className="grid grid-cols-2 gap-1.5">
          <button className={`flex-1 whitespace-nowrap text-sm ${secondaryButton}`} onClick={() => setDialog('create')}>
            {t('rooms.new')}
          </button>
          <button className={`flex-1 whitespace-nowrap text-sm ${secondaryButton}`} onClick={() => setDialog('direct')}>
            {t('rooms.newDirect')}
          </button>
          <button className={`flex-1 whitespace-nowrap text-sm ${secondaryButton}`} onClick={() => setDialog('join')}>
            {t('rooms.join')}
          </button>
          <button
            className={`flex-1 whitespace-nowrap text-sm ${secondaryButton}`}
            aria-label={t('rooms.explore.label')}
            onClick={() => setDialog('explore')}
          >
            {t('rooms.explore')}
          </button>
        </div>
        <input
          type="search"
          aria-label={t('rooms.filter')}
          placeholder={t('rooms.filter')}
          className={inputClass}
          value={filter}
          onChange={(e) => chatStore.getState().setRoomFilter(e.target.value)}
        />
      </div>
      <div className="min-h-0 flex-1 overflow-y-auto px-2 pb-3">
        {invites.length > 0 && (
          <section aria-label={t('rooms.invites')} className="mb-3">
            <h2 className="px-2 pb-1 text-xs font-semibold uppercase tracking-wide text-subtle">{t('rooms.invites')}</h2>
            <ul className="space-y-1">
              {invites.map((room) => (
                <InviteItem key={room.roomId} room={room} />
              ))}
            </ul>
          </section>
        )}
        <h2 className="px-2 pb-1 text-xs font-semibold uppercase tracking-wide text-subtle">{t('rooms.heading')}</h2>
        {joined.length === 0 ? (
          <p className="px-2 text-sm text-subtle">{filter ? t('rooms.noMatch') : t('rooms.none')}</p>
        ) : (
          <ul className="space-y-0.5">
            {joined.map((room) => (
              <RoomItem key={room.roomId} room={room} selected={room.roomId === selected} />
            ))}
          </ul>
        )}
        {knocks.length > 0 && (
          <section aria-label={t('rooms.knocks')} className="mt-3">
            <h2 className="px-2 pb-1 text-xs font-semibold uppercase tracking-wide text-subtle">{t('rooms.knocks')}</h2>
            <ul className="space-y-1">
              {knocks.map((room) => (
                <KnockItem key={room.roomId} room={room} />
              ))}
            </ul>
          </section>
        )}
      </div>
      <footer className="border-t border-line">
        <NotificationToggle />
        <ThemeControl />
      </footer>
      {dialog === 'create' && <CreateRoomDialog onClose={() => setDialog(undefined)} />}
      {dialog === 'direct' && <DirectMessageDialog onClose={() => setDialog(undefined)} />}
      {dialog === 'join' && <JoinRoomDialog onClose={() => setDialog(undefined)} />}
      {dialog === 'explore' && <RoomDirectoryDialog onClose={() => setDialog(undefined)} />}
    </nav>
  );
}

function RoomItem({ room, selected }: { room: RoomListEntry; selected: boolean }) {
  const label = [
    room.name,
    room.hint ?? '',
    room.isDirect ? t('rooms.direct') : '',
    room.unread ? t('rooms.unread', { number: room.unread }) : '',
    room.highlights ? t('rooms.mentions', { count: room.highlights }) : '',
    room.notify ? t(room.notify === 'mute' ? 'rooms.notifyMute' : 'rooms.notifyMentions') : '',
  ]
    .filter(Boolean)
    .join(', ');
  return (
    <li>
      <button
        aria-label={label}
        aria-current={selected ? 'page' : undefined}
        onClick={() => openRoom(room.roomId)}
        className={`flex w-full items-center gap-2 rounded-md px-2 py-2 text-left focus-visible:outline-2 focus-visible:outline-indigo-500 ${
          selected ? 'bg-accent-surface' : 'hover:bg-surface-strong'
        }`}
      >
        <Avatar name={room.name} mxc={room.avatarMxc} size={32} />
        <span className="min-w-0 flex-1">
          <span className={`block truncate ${room.unread ? 'font-semibold' : ''}`}>
            {room.isDirect ? <SenderName name={room.name} /> : <bdi>{room.name}</bdi>}
          </span>
          {room.hint && <RoomHint hint={room.hint} />}
          {room.preview && <span className="block truncate text-xs text-subtle">{t(room.preview)}</span>}
        </span>
        {room.isDirect && (
          <span className="rounded bg-surface-strong px-1.5 text-[10px] uppercase text-muted" aria-hidden>
            {t('rooms.dmTag')}
          </span>
        )}
        {room.notify && <NotifyLevelIcon level={room.notify} />}
        {room.unread > 0 && (
          <span
            aria-hidden
            className={`rounded-full px-1.5 text-xs font-semibold text-white ${room.highlights ? 'bg-red-600' : 'bg-slate-500'}`}
          >
            {badgeText(room.unread)}
          </span>
        )}
      </button>
    </li>
  );
}

/** Muted, or mentions and keywords only (Element's icons): the row's name says it, the icon shows it. */
function NotifyLevelIcon({ level }: { level: 'mentions' | 'mute' }) {
  return (
    <span
      aria-hidden
      data-notify={level}
      className="shrink-0 text-muted"
      title={t(level === 'mute' ? 'rooms.notifyMuteTitle' : 'rooms.notifyMentionsTitle')}
    >
      <svg
        aria-hidden
        viewBox="0 0 24 24"
        className="h-4 w-4"
        fill="none"
        stroke="currentColor"
        strokeWidth="2"
        strokeLinecap="round"
        strokeLinejoin="round"
      >
        {level === 'mute' ? (
          <>
            <path d="M13.73 21a2 2 0 0 1-3.46 0" />
            <path d="M18.63 13A17.9 17.9 0 0 1 18 8" />
            <path d="M6.26 6.26A5.9 5.9 0 0 0 6 8c0 7-3 9-3 9h14" />
            <path d="M18 8a6 6 0 0 0-9.33-5" />
            <path d="M2 2l20 20" />
          </>
        ) : (
          <>
            <circle cx="12" cy="12" r="4" />
            <path d="M16 8v5a3 3 0 0 0 6 0v-1a10 10 0 1 0-3.92 7.94" />
          </>
        )}
      </svg>
    </span>
  );
}

/** What tells this room apart from others of the same name: a line of its own, so a long name cannot hide it. */
function RoomHint({ hint }: { hint: string }) {
  return (
    <span className="block truncate text-xs text-muted" title={hint}>
      {hint}
    </span>
  );
}

function InviteItem({ room }: { room: RoomListEntry }) {
  const client = useClient();
  const [busy, setBusy] = useState(false);
  // A pool-keyed invite (PROTOCOL.md §5) needs K to answer: asked for when it is not remembered on this device.
  const [askFor, setAskFor] = useState<{ accountKey: string; accept: boolean }>();
  const sdkRoom = client.getRoom(room.roomId);
  const nonce = sdkRoom ? pendingInviteKeyNonce(sdkRoom, client.getSafeUserId()) : undefined;
  const keyFromServer = useInviteKeyFromServer(sdkRoom?.getVersion(), nonce);
  const inviter =
    room.inviter && sdkRoom
      ? roomIdentities(sdkRoom).nameOfUser(room.inviter, identityFactsOf(identityStore.getState(), room.roomId))
      : room.inviter;
  const target = room.hint ? `${room.name} (${room.hint})` : room.name;
  async function act(accept: boolean, memberRoot?: Uint8Array) {
    setBusy(true);
    const invite = { roomId: room.roomId, isDirect: room.isDirect, ...(room.inviter ? { inviter: room.inviter } : {}) };
    const answer = await answerInvite(clientInviteAnswers(client), nonce ? { ...invite, poolNonce: nonce } : invite, accept, memberRoot);
    setBusy(false);
    if (answer.kind === 'needs-recovery-key') setAskFor({ accountKey: answer.accountKey, accept });
    if (answer.kind === 'failed')
      chatStore.getState().showNotice(describeMatrixError(answer.error, accept ? t('rooms.joinFailed') : t('rooms.declineFailed')));
  }
  return (
    <li className="rounded-md border border-line p-2">
      {askFor && (
        <Dialog title={t('rooms.answerInvite.title', { room: target })} onClose={() => setAskFor(undefined)}>
          <MemberRootPrompt
            userId={client.getSafeUserId()}
            accountKey={askFor.accountKey}
            action={askFor.accept ? 'join' : 'decline'}
            onCancel={() => setAskFor(undefined)}
            onRoot={(root) => {
              setAskFor(undefined);
              void act(askFor.accept, root);
            }}
          />
        </Dialog>
      )}
      <p className="truncate font-medium">
        {room.isDirect ? <SenderName name={room.name} /> : <bdi>{room.name}</bdi>}
        {room.isDirect && <span className="ml-1 text-xs text-subtle">({t('rooms.direct')})</span>}
      </p>
      {room.hint && (
        <p className="truncate text-xs text-subtle" title={room.hint}>
          {room.hint}
        </p>
      )}
      {inviter && <p className="truncate text-xs text-subtle">{t('rooms.invitedBy', { inviter })}</p>}
      {keyFromServer && <NotPortableNote reason={t('rooms.notPortable.inviteReason')} />}
      <div className="mt-2 flex gap-2">
        <button
          disabled={busy}
          aria-label={t('rooms.acceptInvite', { room: target })}
          className="rounded bg-indigo-600 px-2 py-1 text-sm text-white"
          onClick={() => act(true)}
        >
          {t('rooms.accept')}
        </button>
        <button
          disabled={busy}
          aria-label={t('rooms.declineInvite', { room: target })}
          className="rounded border border-line-strong px-2 py-1 text-sm"
          onClick={() => act(false)}
        >
          {t('rooms.decline')}
        </button>
      </div>
    </li>
  );
}

/** A room we asked to join: "Request sent", with Cancel (a leave rescinds the knock). */
function KnockItem({ room }: { room: RoomListEntry }) {
  const client = useClient();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  async function cancel() {
    setBusy(true);
    setError(undefined);
    try {
      await client.leave(room.roomId);
    } catch (err) {
      setError(describeMatrixError(err, t('rooms.explore.knockFailed')));
      setBusy(false);
    }
  }
  return (
    <li className="rounded-md border border-line p-2">
      <p className="truncate text-sm font-medium">
        <bdi>{room.name}</bdi>
      </p>
      <div className="mt-1 flex items-center justify-between gap-2">
        <span className="text-xs text-muted">{t('rooms.explore.knockSent')}</span>
        <button
          type="button"
          className={`text-xs ${secondaryButton}`}
          aria-label={t('rooms.explore.knockCancelRoom', { name: room.name })}
          disabled={busy}
          onClick={() => void cancel()}
        >
          {t('rooms.explore.knockCancel')}
        </button>
      </div>
      {error && (
        <p role="alert" className="text-xs text-danger">
          {error}
        </p>
      )}
    </li>
  );
}
