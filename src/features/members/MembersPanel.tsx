import { useEffect, useMemo } from 'react';
import { useClient } from '../../app/clientContext';
import { chatStore, useChat } from '../../state/chatStore';
import { Avatar } from '../../ui/Avatar';
import { iconButton } from '../../ui/controls';
import { describeSender, memberIdentity } from '../identity/describeSender';
import { roleOf, sortMembers, type MemberSummary } from './members';

export default function MembersPanel({ roomId }: { roomId: string }) {
  const client = useClient();
  const revision = useChat((s) => s.roomRevision[roomId] ?? 0);
  const room = client.getRoom(roomId);
  const members = useMemo(() => {
    if (!room) return [];
    const list: MemberSummary[] = [];
    for (const member of room.getMembers()) {
      if (member.membership !== 'join' && member.membership !== 'invite') continue;
      const identity = memberIdentity(room, member.userId);
      const profile = describeSender(room, { identity, sender: member.userId });
      list.push({ userId: member.userId, identity, name: profile.name, membership: member.membership, powerLevel: member.powerLevel, avatarMxc: profile.avatarMxc });
    }
    return sortMembers(list);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [room, revision]);

  // Lazy-loaded members: fetch the full list when the panel opens.
  useEffect(() => {
    void room?.loadMembersIfNeeded().catch(() => undefined);
  }, [room]);

  const joined = members.filter((m) => m.membership === 'join');
  const invited = members.filter((m) => m.membership === 'invite');
  return (
    <aside
      aria-label="Members"
      className="fixed inset-0 z-40 flex w-full flex-col bg-white md:static md:w-64 md:border-l md:border-slate-200 dark:bg-slate-950 md:dark:border-slate-800"
    >
      <header className="flex items-center border-b border-slate-200 p-3 dark:border-slate-800">
        <h2 className="flex-1 font-semibold">Members ({joined.length})</h2>
        <button className={iconButton} aria-label="Close members" onClick={() => chatStore.getState().toggleMembers(false)}>
          ✕
        </button>
      </header>
      <div className="min-h-0 flex-1 overflow-y-auto p-2">
        <MemberList title="Joined" members={joined} />
        {invited.length > 0 && <MemberList title="Invited" members={invited} />}
      </div>
    </aside>
  );
}

function MemberList({ title, members }: { title: string; members: MemberSummary[] }) {
  return (
    <section aria-label={title} className="mb-3">
      <h3 className="px-2 pb-1 text-xs font-semibold uppercase tracking-wide text-slate-500">{title}</h3>
      <ul>
        {members.map((member) => {
          const role = roleOf(member.powerLevel);
          return (
            <li key={member.userId} className="flex items-center gap-2 rounded-md px-2 py-1.5">
              <Avatar name={member.name} mxc={member.avatarMxc} seed={member.identity} size={28} />
              <div className="min-w-0 flex-1">
                <p className="truncate text-sm">{member.name}</p>
                <p className="truncate text-xs text-slate-500">{member.userId}</p>
              </div>
              {role && (
                <span className={`rounded px-1.5 text-xs ${role === 'Admin' ? 'bg-indigo-100 text-indigo-900 dark:bg-indigo-950 dark:text-indigo-200' : 'bg-slate-200 dark:bg-slate-800'}`}>
                  {role}
                </span>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
