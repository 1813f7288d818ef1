import { lazy, Suspense, useEffect, useState } from 'react';
import type { MatrixClient } from 'matrix-js-sdk';
import type { Session } from '../matrix/session';
import { createSessionClient, signOutClient, startSessionClient } from '../matrix/client';
import { bindClient } from '../matrix/bindings';
import { describeMatrixError } from '../matrix/errors';
import { chatStore, useChat } from '../state/chatStore';
import { sessionStore } from '../state/sessionStore';
import { ClientContext } from './clientContext';
import { RoomListPanel } from '../features/rooms/RoomListPanel';
import { ConnectionBanner } from './ConnectionBanner';
import { NoticeToast } from './NoticeToast';
import { forgetMemberRoots } from '../features/portable/deviceKeys';
import { identityStore } from '../features/identity/identityStore';
import { forgetLinkChecks } from '../features/identity/verifyInBrowser';
import { bindNotifications } from '../features/notifications/notifier';
import { notificationSettings } from '../features/notifications/settings';
import { useTabTitle } from '../features/notifications/useTabTitle';
import { phoneQuery, useMediaQuery } from '../ui/useMediaQuery';
import { logger } from '../platform/logger';

const log = logger('session');

const ChatView = lazy(() => import('../features/chat/ChatView'));
const MembersPanel = lazy(() => import('../features/members/MembersPanel'));

// One client per session for the page's life (React StrictMode mounts effects twice).
const running = new Map<string, Promise<MatrixClient>>();
// A signed-out client must stop writing to the chat store, or a late flush could blank the next session's rooms.
const unbinders = new WeakMap<MatrixClient, () => void>();

function clientFor(session: Session): Promise<MatrixClient> {
  let promise = running.get(session.accessToken);
  if (!promise) {
    promise = (async () => {
      const client = await createSessionClient(session);
      const unbindChat = bindClient(client, chatStore, () => void endSession(client, 'Your session ended on the server. Sign in again.'));
      void notificationSettings.getState().load();
      const unbindNotifications = bindNotifications(client);
      unbinders.set(client, () => {
        unbindChat();
        unbindNotifications();
      });
      await startSessionClient(client);
      return client;
    })();
    running.set(session.accessToken, promise);
  }
  return promise;
}

async function endSession(client: MatrixClient, notice?: string): Promise<void> {
  unbinders.get(client)?.();
  await signOutClient(client);
  // A remembered member-key root must not outlive the session on this browser.
  await forgetMemberRoots().catch((error: unknown) => log.warn('could not forget the remembered member-key roots on sign-out', error));
  running.clear();
  chatStore.setState(chatStore.getInitialState(), true);
  identityStore.setState(identityStore.getInitialState(), true);
  await forgetLinkChecks().catch((error: unknown) => log.warn('could not forget the link checks on sign-out', error));
  await sessionStore.getState().signedOut(notice);
}

export function useSignOut(client: MatrixClient) {
  return () => endSession(client);
}

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
    clientFor(session).then(
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
            <RoomListPanel />
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
