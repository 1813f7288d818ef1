// Mention pills (Element's and Cinny's): a matrix.to link to a person or a room in a message's HTML shows as a
// pill. A person goes through the identity function like every sender (the room's identity of that user ID: in
// member-key rooms their member key), with the badge that stands for their handle; a pill that names you stands
// out. A person's pill opens their identity inspector; a room's opens the room.
import { createContext, useContext, useLayoutEffect, useRef, useState } from 'react';
import { createPortal } from 'react-dom';
import { t } from '../../i18n';
import { Avatar } from '../../ui/Avatar';
import { useClient } from '../../ui/clientContext';
import type { RoomViewModel } from '../../domain/room/roomViewModel';
import { parseMatrixTo, parseRoute } from '../../domain/routes';
import { HandleBadge } from '../identity/HandleBadge';
import { SenderName } from '../identity/SenderName';
import { selectMembers, useRoomView } from './useRoomViewModel';

/** The open room's view model and your user ID, for pills and mention highlights inside its timeline. */
export const MentionContext = createContext<{ vm: RoomViewModel; myUserId: string } | null>(null);

type PillTarget = { kind: 'user'; userId: string } | { kind: 'room'; roomIdOrAlias: string };

/** What a sanitised link names, if it is a pill: a user (matrix.to) or a room (its in-app link), not an event. */
export function pillTarget(href: string): PillTarget | undefined {
  const user = parseMatrixTo(href);
  if (user?.kind === 'user') return user;
  if (!href.startsWith('#/room/')) return undefined;
  const route = parseRoute(href);
  return route.kind === 'room' && !route.eventId ? { kind: 'room', roomIdOrAlias: route.roomIdOrAlias } : undefined;
}

const pillClass = 'inline-flex max-w-full items-center gap-1 rounded-full px-1.5 align-bottom text-sm font-medium no-underline';

function UserPill({ userId, vm, me }: { userId: string; vm: RoomViewModel; me: boolean }) {
  useRoomView(vm, selectMembers); // a new name or badge of a member draws the pill again
  const profile = vm.getState().profileOfUser(userId);
  const warns = profile.badge.kind !== 'plain' && profile.badge.kind !== 'verified';
  return (
    <span
      data-pill="user"
      data-pill-me={me || undefined}
      className={`${pillClass} ${me ? 'bg-danger-surface text-danger-fg' : 'bg-accent-surface text-accent-fg'}`}
    >
      <Avatar name={profile.name} mxc={profile.avatarMxc} seed={profile.identity} size={16} />
      <SenderName name={profile.name} className="truncate" />
      {warns && <HandleBadge badge={profile.badge} />}
    </span>
  );
}

function RoomPill({ roomIdOrAlias }: { roomIdOrAlias: string }) {
  const client = useClient();
  const room = roomIdOrAlias.startsWith('!')
    ? client.getRoom(roomIdOrAlias)
    : client.getRooms().find((r) => r.getCanonicalAlias() === roomIdOrAlias || r.getAltAliases().includes(roomIdOrAlias));
  const name = room?.name ?? roomIdOrAlias;
  return (
    <span data-pill="room" className={`${pillClass} bg-surface-strong text-fg`}>
      <span aria-hidden>#</span>
      <span className="truncate">{room ? name : roomIdOrAlias.replace(/^#/, '')}</span>
    </span>
  );
}

/** Message HTML (already sanitised) with its mention links drawn as pills. */
export function HtmlWithPills({ html }: { html: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const mentions = useContext(MentionContext);
  const [pills, setPills] = useState<{ anchor: HTMLAnchorElement; target: PillTarget }[]>([]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: new HTML means new anchors
  useLayoutEffect(() => {
    const root = ref.current;
    if (!root || !mentions) return setPills([]);
    const found: { anchor: HTMLAnchorElement; target: PillTarget }[] = [];
    const cleanups: (() => void)[] = [];
    for (const anchor of root.querySelectorAll<HTMLAnchorElement>('a[href]')) {
      const target = pillTarget(anchor.getAttribute('href') ?? '');
      if (!target) continue;
      // Once per anchor: after that its children are the pill React renders into it.
      if (!anchor.dataset.pill) {
        anchor.textContent = '';
        anchor.dataset.pill = target.kind;
      }
      if (target.kind === 'user') {
        // A person's pill opens their identity (key, link, handle history) here, not matrix.to in a new tab.
        anchor.removeAttribute('target');
        const open = (event: MouseEvent) => {
          event.preventDefault();
          const { vm } = mentions;
          const profile = vm.getState().profileOfUser(target.userId);
          vm.getState().inspect(profile.identity);
        };
        anchor.addEventListener('click', open);
        anchor.title = t('chat.pill.userTitle', { userId: target.userId });
        cleanups.push(() => anchor.removeEventListener('click', open));
      }
      found.push({ anchor, target });
    }
    setPills(found);
    return () => {
      for (const cleanup of cleanups) cleanup();
    };
  }, [html, mentions]);
  return (
    <>
      {/* biome-ignore lint/security/noDangerouslySetInnerHtml: sanitizeMessageHtml (DOMPurify, an allow-list of the spec's tags) made it safe */}
      <div ref={ref} className="message-html" dangerouslySetInnerHTML={{ __html: html }} />
      {mentions &&
        pills.map(({ anchor, target }, i) =>
          createPortal(
            target.kind === 'user' ? (
              <UserPill userId={target.userId} vm={mentions.vm} me={target.userId === mentions.myUserId} />
            ) : (
              <RoomPill roomIdOrAlias={target.roomIdOrAlias} />
            ),
            anchor,
            `pill-${i}`,
          ),
        )}
    </>
  );
}
