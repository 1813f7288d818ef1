import { useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import type { Room } from 'matrix-js-sdk';
import { t } from '../../i18n';
import { useClient } from '../../ui/clientContext';
import { chatStore, useChat } from '../../state/chatStore';
import { Avatar } from '../../ui/Avatar';
import { iconButton } from '../../ui/controls';
import { phoneQuery, useMediaQuery } from '../../ui/useMediaQuery';
import type { RoomMemberRow, RoomViewModel } from '../../domain/room/roomViewModel';
import { useRoomView, useRoomViewModel, selectCanInvite, selectCanKick, selectMembers } from '../chat/useRoomViewModel';
import { describeMatrixError } from '../../matrix/errors';
import { secondaryButton, primaryButton } from '../../ui/controls';
import { identityStore, summarizeBrowserChecks } from '../../domain/identity/identityStore';
import { createTrustReader, identityTrustStore, type TrustReader } from '../../domain/identity/identityResets';
import { useStore } from 'zustand';
import { HandleBadge, SameNameWarning } from '../identity/HandleBadge';
import { SenderName } from '../identity/SenderName';
import { verifyInBrowser } from '../identity/verifyInBrowser';
import { roleOf } from '../../domain/rooms/members';

export default function MembersPanel({ roomId }: { roomId: string }) {
  const client = useClient();
  useChat((s) => s.rooms.some((r) => r.roomId === roomId)); // re-render when a room just joined arrives
  const room = client.getRoom(roomId);
  return room ? <RoomMembers room={room} /> : <MembersFrame roomId={roomId} joined={[]} invited={[]} />;
}

function RoomMembers({ room }: { room: Room }) {
  const client = useClient();
  const roomId = room.roomId;
  const vm = useRoomViewModel(room);
  // One row per identity (member key): the SDK may hold several user IDs for one key after a move or a link change.
  const members = useRoomView(vm, selectMembers);
  const [checking, setChecking] = useState(false);
  const [summary, setSummary] = useState<string>();
  const keyed = members.filter((m) => !m.identity.startsWith('@'));
  async function checkAll() {
    setChecking(true);
    setSummary(undefined);
    try {
      await verifyInBrowser(
        client,
        room,
        keyed.map((m) => m.identity),
        true,
      );
      setSummary(
        t(
          summarizeBrowserChecks(
            roomId,
            keyed.map((m) => m.identity),
          ),
        ),
      );
    } catch (error) {
      setSummary(t('members.checkFailed', { reason: error instanceof Error ? error.message : String(error) }));
    } finally {
      setChecking(false);
    }
  }

  // Lazy-loaded members: fetch the full list when the panel opens.
  const { loadMembers } = vm.getState();
  useEffect(() => loadMembers(), [loadMembers]);

  const joined = members.filter((m) => m.membership === 'join');
  const invited = members.filter((m) => m.membership === 'invite');
  const knocking = members.filter((m) => m.membership === 'knock');
  useMemberTrust(room, members);
  return (
    <MembersFrame roomId={roomId} joined={joined} invited={invited}>
      {knocking.length > 0 && <JoinRequests vm={vm} requests={knocking} />}
      {keyed.length > 0 && (
        <button
          className="mb-2 w-full rounded-md px-2 py-1 text-left text-xs text-accent hover:bg-surface-muted disabled:opacity-60"
          disabled={checking}
          onClick={() => void checkAll()}
        >
          {checking ? t('members.checking') : t('members.checkAll')}
        </button>
      )}
      {summary && (
        <p role="status" className="mb-2 px-2 text-xs text-muted">
          {summary}
        </p>
      )}
    </MembersFrame>
  );
}

function MembersFrame({
  roomId,
  joined,
  invited,
  children,
}: {
  roomId: string;
  joined: readonly RoomMemberRow[];
  invited: readonly RoomMemberRow[];
  children?: ReactNode;
}) {
  // On a phone the panel covers the room: a modal dialog (MainScreen makes the rest inert), so focus moves
  // in when it opens. The room's Members button takes it back when the panel closes.
  const phone = useMediaQuery(phoneQuery);
  const closeButton = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (phone) closeButton.current?.focus();
  }, [phone]);
  const close = () => chatStore.getState().toggleMembers(false);
  function onKeyDown(event: KeyboardEvent<HTMLElement>) {
    // Only keys pressed in the panel itself: the identity inspector is a dialog of its own (a portal, whose
    // events still bubble here through React) and handles its own Escape.
    if (event.key === 'Escape' && event.currentTarget.contains(event.target as Node)) {
      event.preventDefault();
      close();
    }
  }

  return (
    <aside
      aria-label={t('members.title')}
      {...(phone ? { role: 'dialog', 'aria-modal': true } : {})}
      onKeyDown={onKeyDown}
      className="fixed inset-0 z-40 flex w-full flex-col bg-surface md:static md:w-64 md:border-l md:border-line"
    >
      <header className="flex items-center border-b border-line p-3">
        <h2 className="flex-1 font-semibold">{t('members.heading', { number: joined.length })}</h2>
        <button ref={closeButton} className={iconButton} aria-label={t('members.close')} onClick={close}>
          ✕
        </button>
      </header>
      <div className="min-h-0 flex-1 overflow-y-auto p-2">
        {children}
        <MemberList title={t('members.joined')} roomId={roomId} members={joined} />
        {invited.length > 0 && <MemberList title={t('members.invited')} roomId={roomId} members={invited} />}
      </div>
    </aside>
  );
}

/** "Verified" beside someone whose encryption identity you verified (the crypto's view, as the inspector's line). */
function VerifiedMark({ userId }: { userId: string }) {
  const verified = useStore(identityTrustStore, (s) => s.trust[userId]?.verified === true);
  if (!verified) return null;
  return (
    <span className="text-xs font-medium text-success" title={t('members.verifiedTitle')}>
      {t('members.verified')}
    </span>
  );
}

/** In an encrypted room, the joined members' identities are read for their marks (createTrustReader). */
function useMemberTrust(room: Room, members: readonly RoomMemberRow[]): void {
  const client = useClient();
  const encrypted = room.hasEncryptionStateEvent();
  const me = client.getUserId();
  const reader = useRef<TrustReader | undefined>(undefined);
  useEffect(() => {
    const created = createTrustReader(client);
    reader.current = created;
    return () => created.stop();
  }, [client]);
  useEffect(() => {
    if (encrypted) reader.current?.want(members.filter((m) => m.membership === 'join' && m.userId !== me).map((m) => m.userId));
  }, [encrypted, members, me]);
}

function MemberList({ title, roomId, members }: { title: string; roomId: string; members: readonly RoomMemberRow[] }) {
  return (
    <section aria-label={title} className="mb-3">
      <h3 className="px-2 pb-1 text-xs font-semibold uppercase tracking-wide text-subtle">{title}</h3>
      <ul>
        {members.map((member) => {
          const role = roleOf(member.powerLevel);
          const profile = member.profile;
          return (
            <li
              key={member.identity}
              data-identity={member.identity}
              className="flex items-center gap-2 rounded-md px-2 py-1.5 hover:bg-surface-muted"
            >
              <Avatar name={member.name} mxc={member.avatarMxc} seed={member.identity} size={28} />
              <div className="min-w-0 flex-1">
                <button
                  className="block max-w-full truncate text-left text-sm hover:underline focus-visible:outline-2 focus-visible:outline-indigo-500"
                  aria-label={t('members.showIdentity', { name: member.name })}
                  onClick={() => identityStore.getState().openInspector(roomId, member.identity)}
                >
                  <SenderName name={member.name} />
                </button>
                <p className="flex min-w-0 flex-wrap items-center gap-1">
                  <HandleBadge badge={profile.badge} />
                  <SameNameWarning profile={profile} />
                  <VerifiedMark userId={member.userId} />
                </p>
              </div>
              {role && (
                <span
                  className={`rounded px-1.5 text-xs ${role === 'members.admin' ? 'bg-accent-surface text-accent-fg' : 'bg-surface-strong'}`}
                >
                  {t(role)}
                </span>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/**
 * Requests to join (knocks), for members who may answer them: Approve invites the member that knocked (its member
 * key in member-key rooms), Deny kicks it (the spec's way to refuse a knock). Names come through the identity
 * function, like every member row; others see the list without the buttons. Who may answer, and the answer, are the
 * room view model's.
 */
function JoinRequests({ vm, requests }: { vm: RoomViewModel; requests: readonly RoomMemberRow[] }) {
  const canInvite = useRoomView(vm, selectCanInvite);
  const canKick = useRoomView(vm, selectCanKick);
  const [busy, setBusy] = useState<string>();
  const [error, setError] = useState<string>();
  const roomId = vm.getState().roomId;
  async function answer(member: RoomMemberRow, approve: boolean) {
    setBusy(member.identity);
    setError(undefined);
    try {
      await vm.getState().answerKnock(member.identity, approve);
    } catch (err) {
      setError(t('members.knockFailed', { reason: describeMatrixError(err, '') }));
    } finally {
      setBusy(undefined);
    }
  }
  const title = t('members.knocked');
  return (
    <section aria-label={title} className="mb-3 rounded-md border border-line px-1 pt-2 pb-1">
      <h3 className="px-2 pb-1 text-xs font-semibold uppercase tracking-wide text-subtle">{title}</h3>
      <ul>
        {requests.map((member) => (
          <li key={member.identity} data-identity={member.identity} className="rounded-md px-2 py-1.5">
            <div className="flex items-center gap-2">
              <Avatar name={member.name} mxc={member.avatarMxc} seed={member.identity} size={28} />
              <div className="min-w-0 flex-1">
                <button
                  className="block max-w-full truncate text-left text-sm hover:underline focus-visible:outline-2 focus-visible:outline-indigo-500"
                  aria-label={t('members.showIdentity', { name: member.name })}
                  onClick={() => identityStore.getState().openInspector(roomId, member.identity)}
                >
                  <SenderName name={member.name} />
                </button>
                <p className="flex min-w-0 flex-wrap items-center gap-1">
                  <HandleBadge badge={member.profile.badge} />
                  <SameNameWarning profile={member.profile} />
                </p>
              </div>
            </div>
            {(canInvite || canKick) && (
              <div className="mt-1 flex justify-end gap-2">
                {canKick && (
                  <button
                    type="button"
                    className={`text-xs ${secondaryButton}`}
                    aria-label={t('members.denyName', { name: member.name })}
                    disabled={busy !== undefined}
                    onClick={() => void answer(member, false)}
                  >
                    {t('members.deny')}
                  </button>
                )}
                {canInvite && (
                  <button
                    type="button"
                    className={`text-xs ${primaryButton}`}
                    aria-label={t('members.approveName', { name: member.name })}
                    disabled={busy !== undefined}
                    onClick={() => void answer(member, true)}
                  >
                    {t('members.approve')}
                  </button>
                )}
              </div>
            )}
          </li>
        ))}
      </ul>
      {error && (
        <p role="alert" className="px-2 text-xs text-danger">
          {error}
        </p>
      )}
    </section>
  );
}
