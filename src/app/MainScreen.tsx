import { IncomingVerification } from '../features/encryption/SasVerification';
import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import type { MatrixClient } from 'matrix-js-sdk';
import type { Session } from '../matrix/session';
import { describeMatrixError } from '../matrix/errors';
import { useChat } from '../state/chatStore';
import { ClientContext } from '../ui/clientContext';
import { RoomListPanel } from '../features/rooms/RoomListPanel';
import { ConnectionBanner } from './ConnectionBanner';
import { NoticeToast } from './NoticeToast';
import { followOtherTab, leaveMovedAccount, openSession, signOut, switchToMovedAccount } from './session';
import { MovedScreen } from './MovedScreen';
import { useSession } from '../state/sessionStore';
import { useTabTitle } from '../features/notifications/useTabTitle';
import { phoneQuery, useMediaQuery } from '../ui/useMediaQuery';
import { selectOpenRoomId, useRoute } from '../state/navigation';
import { RouteView } from './RouteView';
import { t } from '../i18n';

const MembersPanel = lazy(() => import('../features/members/MembersPanel'));
const ThreadsPanel = lazy(() => import('../features/chat/ThreadsPanel'));

export default function MainScreen({ session }: { session: Session }) {
  const [client, setClient] = useState<MatrixClient>();
  const [error, setError] = useState<string>();
  const route = useRoute((s) => s.route);
  // The room list takes the screen on a phone until the route opens something else.
  const showsPage = route.kind !== 'home';
  const openRoomId = useRoute(selectOpenRoomId);
  const roomShown = useChat((s) => openRoomId !== undefined && s.rooms.some((r) => r.roomId === openRoomId && r.membership === 'join'));
  const membersOpen = useChat((s) => s.membersOpen);
  const panel = route.kind === 'room' ? route.panel : undefined;
  // On a phone the members and thread panels are modal dialogs over the room: nothing behind takes focus or clicks.
  const phone = useMediaQuery(phoneQuery);
  const behindModal = phone && (membersOpen || panel !== undefined) && roomShown;
  // The account moved away (a 403 with dev.wayfarer.moved_to): nothing else of this session is shown.
  // The page that runs the move stays in its wizard until "Done" (which switches accounts): not news there.
  const movedTo = useSession((s) => (s.movedTo !== undefined && s.movedTo !== s.movingTo ? s.movedTo : undefined));
  useTabTitle();
  const followTab = useCallback(() => followOtherTab(client, session), [client, session]);

  useEffect(() => {
    let live = true;
    openSession(session).then(
      (c) => live && setClient(c),
      (err) => live && setError(describeMatrixError(err, t('app.startFailed'))),
    );
    return () => {
      live = false;
    };
  }, [session]);

  if (movedTo)
    return (
      <MovedScreen
        movedTo={movedTo}
        onLeave={(signInThere) => leaveMovedAccount(client, session, movedTo, signInThere)}
        onOtherTab={followTab}
      />
    );
  if (error) {
    return (
      <div role="alert" className="flex min-h-screen flex-col items-center justify-center gap-3 p-4 text-center">
        <p>{error}</p>
        <button className="underline" onClick={() => location.reload()}>
          {t('app.reload')}
        </button>
      </div>
    );
  }
  if (!client) {
    return (
      <div role="status" className="flex min-h-screen items-center justify-center text-subtle">
        {t('app.openingRooms')}
      </div>
    );
  }
  return (
    <ClientContext.Provider value={client}>
      <div className="flex h-dvh flex-col overflow-hidden">
        <ConnectionBanner />
        <div className="flex min-h-0 flex-1">
          <div inert={behindModal} className={`${showsPage ? 'hidden md:flex' : 'flex'} w-full min-w-0 md:w-80 md:shrink-0`}>
            <RoomListPanel
              onSignOut={() => signOut(client)}
              onMoved={(next, options) => switchToMovedAccount(client, next, route, options)}
            />
          </div>
          <div inert={behindModal} className={`${showsPage ? 'flex' : 'hidden md:flex'} min-w-0 flex-1`}>
            <RouteView route={route} onSignOut={() => signOut(client)} />
          </div>
          {openRoomId && roomShown && panel && (
            <Suspense fallback={null}>
              <ThreadsPanel roomId={openRoomId} panel={panel} />
            </Suspense>
          )}
          {openRoomId && roomShown && membersOpen && !(phone && panel) && (
            <Suspense fallback={null}>
              <MembersPanel roomId={openRoomId} />
            </Suspense>
          )}
        </div>
        <NoticeToast />
        <IncomingVerification client={client} />
      </div>
    </ClientContext.Provider>
  );
}
