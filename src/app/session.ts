// The signed-in session's life, apart from the views: start its one client, and end it, by signing out or because
// the server ended it. Signing in and resuming on load are sessionStore's (src/state), which the first screen loads
// without matrix-js-sdk; this module carries the SDK and loads with the signed-in app.
import type { MatrixClient } from 'matrix-js-sdk';
import type { Session } from '../matrix/session';
import { createSessionClient, signOutClient, startSessionClient } from '../matrix/client';
import { createLiveness, livenessSettings } from '../matrix/liveness';
import { bindClient } from '../domain/bindings';
import { chatStore } from '../state/chatStore';
import { sessionStore } from '../state/sessionStore';
import { forgetMemberRoots } from '../features/portable/deviceKeys';
import { identityStore } from '../domain/identity/identityStore';
import { memberInfoFetch } from '../domain/identity/memberInfoFetch';
import { forgetLinkChecks } from '../features/identity/verifyInBrowser';
import { bindNotifications } from '../features/notifications/notifier';
import { followRooms, resetRoute } from '../state/navigation';
import { notificationSettings } from '../features/notifications/settings';
import { logger } from '../platform/logger';
import { t } from '../i18n';

const log = logger('session');

// One client per session for the page's life (React StrictMode mounts effects twice).
const running = new Map<string, Promise<MatrixClient>>();
// A signed-out client must stop writing to the chat store, or a late flush could blank the next session's rooms.
const unbinders = new WeakMap<MatrixClient, () => void>();

/** The session's client, bound to the stores and syncing; the same promise for every caller of one session. */
export function openSession(session: Session): Promise<MatrixClient> {
  let promise = running.get(session.accessToken);
  if (!promise) {
    promise = (async () => {
      // member_info (link status per member key) is not read by the SDK: the identity store takes it from the raw responses.
      // A hung server (no answer at all) is noticed by the fetch watchdog, long before the SDK's own timeouts.
      const settings = livenessSettings();
      const liveness = createLiveness({
        inner: memberInfoFetch(window.fetch.bind(window), identityStore),
        baseUrl: session.baseUrl,
        settings,
      });
      const client = await createSessionClient(session, liveness.fetch);
      const unbindChat = bindClient(client, chatStore, () => void endSession(client, t('session.ended')), liveness);
      void notificationSettings.getState().load();
      const unbindNotifications = bindNotifications(client);
      const unfollowRooms = followRooms(chatStore);
      unbinders.set(client, () => {
        unbindChat();
        liveness.stop();
        unbindNotifications();
        unfollowRooms();
      });
      await startSessionClient(client, settings.pollTimeoutMs);
      return client;
    })();
    running.set(session.accessToken, promise);
  }
  return promise;
}

/** Signs out on the server and forgets everything this session left in the browser. */
export function signOut(client: MatrixClient): Promise<void> {
  return endSession(client);
}

async function endSession(client: MatrixClient, notice?: string): Promise<void> {
  unbinders.get(client)?.();
  await signOutClient(client);
  // A remembered member-key root must not outlive the session on this browser.
  await forgetMemberRoots().catch((error: unknown) => log.warn('could not forget the remembered member-key roots on sign-out', error));
  running.clear();
  chatStore.setState(chatStore.getInitialState(), true);
  resetRoute();
  identityStore.setState(identityStore.getInitialState(), true);
  await forgetLinkChecks().catch((error: unknown) => log.warn('could not forget the link checks on sign-out', error));
  await sessionStore.getState().signedOut(notice);
}
