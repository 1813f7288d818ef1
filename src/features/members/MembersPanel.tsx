import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { t } from '../../i18n';
import { useClient } from '../../ui/clientContext';
import { chatStore, useChat } from '../../state/chatStore';
import { Avatar } from '../../ui/Avatar';
import { iconButton } from '../../ui/controls';
import { phoneQuery, useMediaQuery } from '../../ui/useMediaQuery';
import { describeSender, roomIdentities, type SenderProfile } from '../../domain/identity/describeSender';
import { identityStore, summarizeBrowserChecks, useIdentity } from '../../domain/identity/identityStore';
import { HandleBadge, SameNameWarning } from '../identity/HandleBadge';
import { verifyInBrowser } from '../identity/verifyInBrowser';
import { roleOf, sortMembers, type MemberSummary } from '../../domain/rooms/members';
import { logger } from '../../platform/logger';

const log = logger('members');

export default function MembersPanel({ roomId }: { roomId: string }) {
  const client = useClient();
  const revision = useChat((s) => s.roomRevision[roomId] ?? 0);
  const identityRevision = useIdentity((s) => `${s.revision[roomId] ?? 0}|${s.browserRevision}`);
  const room = client.getRoom(roomId);
  // One row per identity (member key): the SDK may hold several user IDs for one key after a move or a link change.
  // biome-ignore lint/correctness/useExhaustiveDependencies: revision and identityRevision stands for the mutable Room's changes (the view models of issue 13 item 1 replace this)
  const { members, profiles } = useMemo(() => {
    const profiles = new Map<string, SenderProfile>();
    if (!room) return { members: [], profiles };
    const list: MemberSummary[] = [];
    for (const [identity, member] of roomIdentities(room)) {
      if (member.membership !== 'join' && member.membership !== 'invite') continue;
      const profile = describeSender(room, { identity, sender: member.userId });
      profiles.set(identity, profile);
      list.push({ userId: member.userId, identity, name: profile.name, membership: member.membership, powerLevel: member.powerLevel, avatarMxc: profile.avatarMxc });
    }
    return { members: sortMembers(list), profiles };
  }, [room, revision, identityRevision]);
  const [checking, setChecking] = useState(false);
  const [summary, setSummary] = useState<string>();
  const keyed = members.filter((m) => !m.identity.startsWith('@'));
  async function checkAll() {
    if (!room) return;
    setChecking(true);
    setSummary(undefined);
    try {
      await verifyInBrowser(client, room, keyed.map((m) => m.identity), true);
      setSummary(t(summarizeBrowserChecks(roomId, keyed.map((m) => m.identity))));
    } catch (error) {
      setSummary(t('members.checkFailed', { reason: error instanceof Error ? error.message : String(error) }));
    } finally {
      setChecking(false);
    }
  }

  // Lazy-loaded members: fetch the full list when the panel opens.
  useEffect(() => {
    void room?.loadMembersIfNeeded().catch(log.ignored('the full member list did not load; the panel shows the members known so far'));
  }, [room]);

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

  const joined = members.filter((m) => m.membership === 'join');
  const invited = members.filter((m) => m.membership === 'invite');
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
        {keyed.length > 0 && (
          <button className="mb-2 w-full rounded-md px-2 py-1 text-left text-xs text-accent hover:bg-surface-muted disabled:opacity-60" disabled={checking} onClick={() => void checkAll()}>
            {checking ? t('members.checking') : t('members.checkAll')}
          </button>
        )}
        {summary && (
          <p role="status" className="mb-2 px-2 text-xs text-muted">
            {summary}
          </p>
        )}
        <MemberList title={t('members.joined')} roomId={roomId} members={joined} profiles={profiles} />
        {invited.length > 0 && <MemberList title={t('members.invited')} roomId={roomId} members={invited} profiles={profiles} />}
      </div>
    </aside>
  );
}

function MemberList({ title, roomId, members, profiles }: { title: string; roomId: string; members: MemberSummary[]; profiles: Map<string, SenderProfile> }) {
  return (
    <section aria-label={title} className="mb-3">
      <h3 className="px-2 pb-1 text-xs font-semibold uppercase tracking-wide text-subtle">{title}</h3>
      <ul>
        {members.map((member) => {
          const role = roleOf(member.powerLevel);
          const profile = profiles.get(member.identity)!;
          return (
            <li key={member.identity} data-identity={member.identity} className="flex items-center gap-2 rounded-md px-2 py-1.5 hover:bg-surface-muted">
              <Avatar name={member.name} mxc={member.avatarMxc} seed={member.identity} size={28} />
              <div className="min-w-0 flex-1">
                <button
                  className="block max-w-full truncate text-left text-sm hover:underline focus-visible:outline-2 focus-visible:outline-indigo-500"
                  aria-label={t('members.showIdentity', { name: member.name })}
                  onClick={() => identityStore.getState().openInspector(roomId, member.identity)}
                >
                  {member.name}
                </button>
                <p className="flex min-w-0 flex-wrap items-center gap-1">
                  <HandleBadge badge={profile.badge} />
                  <SameNameWarning warnings={profile.warnings} />
                </p>
              </div>
              {role && (
                <span className={`rounded px-1.5 text-xs ${role === 'members.admin' ? 'bg-accent-surface text-accent-fg' : 'bg-surface-strong'}`}>
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
