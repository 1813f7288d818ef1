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

const ChatView = lazy(() => import('../features/chat/ChatView'));
const MembersPanel = lazy(() => import('../features/members/MembersPanel'));

export default function MainScreen({ session }: { session: Session }) {
  const [client, setClient] = useState<MatrixClient>();
  const [error, setError] = useState<string>();
  const selectedRoomId = useChat((s) => s.selectedRoomId);
  const membersOpen = useChat((s) => s.membersOpen);
  // On a phone the members panel is a modal dialog over the room: nothing behind it takes focus or clicks.
  const phone = useMediaQuery(phoneQuery);
  const behindModal = phone && membersOpen && selectedRoomId !== undefined;
  useTabTitle();

  useEffect(() => {
    let live = true;
    openSession(session).then(
      (c) => live && setClient(c),
      (err) => live && setError(describeMatrixError(err, 'Could not start')),
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
          Reload
        </button>
      </div>
    );
  }
  if (!client) {
    return (
      <div role="status" className="flex min-h-screen items-center justify-center text-subtle">
        Opening your rooms…
      </div>
    );
  }
  return (
    <ClientContext.Provider value={client}>
      <div className="flex h-dvh flex-col overflow-hidden">
        <ConnectionBanner />
        <div className="flex min-h-0 flex-1">
          <div inert={behindModal} className={`${selectedRoomId ? 'hidden md:flex' : 'flex'} w-full min-w-0 md:w-80 md:shrink-0`}>
            <RoomListPanel onSignOut={() => signOut(client)} />
          </div>
          <div inert={behindModal} className={`${selectedRoomId ? 'flex' : 'hidden md:flex'} min-w-0 flex-1`}>
            {selectedRoomId ? (
              <Suspense fallback={<div role="status" className="m-auto text-subtle">Loading…</div>}>
                <ChatView key={selectedRoomId} roomId={selectedRoomId} />
              </Suspense>
            ) : (
              <div className="m-auto p-6 text-center text-subtle">Pick a room, or create one.</div>
            )}
          </div>
          {selectedRoomId && membersOpen && (
            <Suspense fallback={null}>
              <MembersPanel roomId={selectedRoomId} />
            </Suspense>
          )}
        </div>
        <NoticeToast />
      </div>
    </ClientContext.Provider>
  );
}
