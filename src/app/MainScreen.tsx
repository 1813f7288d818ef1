import { lazy, Suspense, useEffect, useState } from 'react';
import type { MatrixClient } from 'matrix-js-sdk';
import type { Session } from '../matrix/session';
import { describeMatrixError } from '../matrix/errors';
import { useChat } from '../state/chatStore';
import { ClientContext } from '../ui/clientContext';
import { RoomListPanel } from '../features/rooms/RoomListPanel';
import { ConnectionBanner } from './ConnectionBanner';
import { NoticeToast } from './NoticeToast';
import { openSession, signOut } from './session';
import { useTabTitle } from '../features/notifications/useTabTitle';
import { phoneQuery, useMediaQuery } from '../ui/useMediaQuery';
import { selectOpenRoomId, useRoute } from '../state/navigation';
import { RouteView } from './RouteView';
import { t } from '../i18n';

const MembersPanel = lazy(() => import('../features/members/MembersPanel'));

export default function MainScreen({ session }: { session: Session }) {
  const [client, setClient] = useState<MatrixClient>();
  const [error, setError] = useState<string>();
  const route = useRoute((s) => s.route);
  // The room list takes the screen on a phone until the route opens something else.
  const showsPage = route.kind !== 'home';
  const openRoomId = useRoute(selectOpenRoomId);
  const roomShown = useChat((s) => openRoomId !== undefined && s.rooms.some((r) => r.roomId === openRoomId && r.membership === 'join'));
  const membersOpen = useChat((s) => s.membersOpen);
  // On a phone the members panel is a modal dialog over the room: nothing behind it takes focus or clicks.
  const phone = useMediaQuery(phoneQuery);
  const behindModal = phone && membersOpen && roomShown;
  useTabTitle();

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
            <RoomListPanel onSignOut={() => signOut(client)} />
          </div>
          <div inert={behindModal} className={`${showsPage ? 'flex' : 'hidden md:flex'} min-w-0 flex-1`}>
            <RouteView route={route} />
          </div>
          {openRoomId && roomShown && membersOpen && (
            <Suspense fallback={null}>
              <MembersPanel roomId={openRoomId} />
            </Suspense>
          )}
        </div>
        <NoticeToast />
      </div>
    </ClientContext.Provider>
  );
}
