// The signed-in session's life, apart from the views: start its one client, and end it, by signing out or because
// the server ended it. Signing in and resuming on load are sessionStore's (src/state), which the first screen loads
// without matrix-js-sdk; this module carries the SDK and loads with the signed-in app.
import type { MatrixClient } from 'matrix-js-sdk';
import { loadSession, type Session } from '../matrix/session';
import { createSessionClient, signOutClient, startSessionClient } from '../matrix/client';
import { SecretStorageUnlock, startCrypto } from '../matrix/crypto';
import { clientRetrySources, retryFromBackup } from '../matrix/backupRetry';
import { setUpOneKey, type AuthAnswer } from '../matrix/oneKey';
import { takeRecoverySecret } from '../matrix/recoverySecret';
import { proveAccountKey } from '../features/portable/accountKeyAuth';
import { ACCOUNT_KEY_LOGIN_TYPE } from '../protocol';
import { createLiveness, livenessSettings } from '../matrix/liveness';
import { bindClient } from '../domain/bindings';
import { shareKeysWithVerifiedLinks } from '../domain/room/keyRecipients';
import { followIdentityResets, identityTrustStore } from '../domain/identity/identityResets';
import { movedAccountFetch } from '../matrix/moved';
import { serverNameOf } from '../protocol/ids';
import { loadMemberRoot, rememberMemberRoot } from '../features/portable/deviceKeys';
import type { Route } from '../domain/routes';
import { chatStore } from '../state/chatStore';
import { sessionStore, type SignInHint } from '../state/sessionStore';
import { forgetMemberRoots } from '../features/portable/deviceKeys';
import { invitePoolFollower } from '../features/portable/invitePool';
import { identityStore } from '../domain/identity/identityStore';
import { memberInfoFetch } from '../domain/identity/memberInfoFetch';
import { followLinkChanges, linkNoticeStore, localLinkNoticeStorage } from '../domain/identity/linkNotices';
import { forgetLinkChecks } from '../features/identity/verifyInBrowser';
import { bindNotifications } from '../features/notifications/notifier';
import { followRooms, navigate, resetRoute } from '../state/navigation';
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
      // The invite-key pool's count comes with /sync as well: topped up with a remembered K (PROTOCOL.md §5).
      const followPool = invitePoolFollower(session, () => loadMemberRoot(session.userId));
      // A hung server (no answer at all) is noticed by the fetch watchdog, long before the SDK's own timeouts.
      // A 403 naming where the account moved (PROTOCOL.md §7) stops the client and shows the moved screen (MainScreen).
      let created: MatrixClient | undefined;
      const onMoved = (movedTo: string) => {
        created?.stopClient();
        sessionStore.getState().accountMoved(movedTo);
      };
      const settings = livenessSettings();
      const liveness = createLiveness({
        inner: memberInfoFetch(movedAccountFetch(window.fetch.bind(window), onMoved), identityStore, followPool),
        baseUrl: session.baseUrl,
        settings,
      });
      const unlock = new SecretStorageUnlock();
      const client = (created = await createSessionClient(session, liveness.fetch, unlock));
      // Encryption starts before the first sync, so that sync's to-device messages and encrypted events are read.
      await startCrypto(client).catch((error: unknown) => log.error('encryption could not start; encrypted rooms stay unreadable', error));
      // Link changes come with no event: each one this client sees is kept, to show it where it was seen.
      const unfollowLinks = followLinkChanges(identityStore, localLinkNoticeStorage(session.userId));
      const unbindChat = bindClient(client, chatStore, () => void sessionEnded(client, session), liveness);
      void notificationSettings.getState().load();
      const unbindNotifications = bindNotifications(client);
      // Member-key rooms: room keys go only to members whose link is verified (PROTOCOL.md §8).
      const unshareKeys = shareKeysWithVerifiedLinks(client, identityStore);
      // Other users' encryption identities that changed: notices in the rooms shared with them.
      const unfollowResets = followIdentityResets(client, linkNoticeStore, identityTrustStore);
      // A message whose key reaches the key backup after this device looked for it fills in without a reload.
      const unretry = retryFromBackup(clientRetrySources(client));
      const unfollowRooms = followRooms(chatStore);
      unbinders.set(client, () => {
        unbindChat();
        liveness.stop();
        unbindNotifications();
        unfollowRooms();
        unfollowLinks();
        unshareKeys();
        unfollowResets();
        unretry();
      });
      await startSessionClient(client, settings.pollTimeoutMs);
      const secret = takeRecoverySecret(session.userId);
      if (secret && client.getCrypto()) {
        void setUpOneKey(client, unlock, secret, accountKeyAnswer(session, secret)).then(
          (outcome) => log.info(`the recovery key and encryption: ${outcome}`),
          (error: unknown) => log.error('could not set up or unlock encryption with the recovery key', error),
        );
      }
      return client;
    })();
    running.set(session.accessToken, promise);
  }
  return promise;
}

/** Answers the server's user-interactive auth (cross-signing keys' upload) with a proof of the account key. */
function accountKeyAnswer(session: Session, secret: Uint8Array): AuthAnswer {
  return async ({ stages }) => {
    if (!stages.some((flow) => flow.length === 1 && flow[0] === ACCOUNT_KEY_LOGIN_TYPE)) return undefined;
    const serverName = serverNameOf(session.userId);
    if (!serverName) return undefined;
    return { ...(await proveAccountKey({ baseUrl: session.baseUrl, serverName }, secret)) };
  };
}

/**
 * Another tab of this browser signed in to another account meanwhile (the end of a move switches the browser to the
 * new account): this page follows it, wiping nothing, since the browser's storage is that tab's now. False when the
 * stored session is still this page's.
 */
export async function followOtherTab(client: MatrixClient | undefined, session: Session): Promise<boolean> {
  const stored = await loadSession().catch(log.ignored('the stored session is unreadable'));
  if (!stored || stored.accessToken === session.accessToken) return false;
  if (client) {
    unbinders.get(client)?.();
    client.stopClient();
  }
  running.delete(session.accessToken);
  chatStore.setState(chatStore.getInitialState(), true);
  identityStore.setState(identityStore.getInitialState(), true);
  await sessionStore.getState().restore();
  return true;
}

/** The server ended this page's session (401): sign out here, unless another tab switched the browser meanwhile. */
async function sessionEnded(client: MatrixClient, session: Session): Promise<void> {
  if (!(await followOtherTab(client, session))) await endSession(client, t('session.ended'));
}

/** Signs out on the server and forgets everything this session left in the browser. */
export function signOut(client: MatrixClient): Promise<void> {
  return endSession(client);
}

/**
 * The signed-in account moved away (MainScreen's moved screen): sign this session out and, for "Sign in there",
 * open the sign-in screen on the new account's server with the recovery key. `client` is undefined when the
 * session never started (its first request already said it moved).
 */
export async function leaveMovedAccount(
  client: MatrixClient | undefined,
  session: Session,
  movedTo: string,
  signInThere: boolean,
): Promise<void> {
  if (await followOtherTab(client, session)) return;
  const server = serverNameOf(movedTo);
  const hint = signInThere && server ? { homeserver: server, recoveryKey: true } : undefined;
  if (client) return endSession(client, undefined, hint);
  await sessionStore.getState().signedOut(undefined, hint);
}

/**
 * The end of a move (PROTOCOL.md §7 step 5): this browser signs in to the new account and signs out of the old one,
 * on the page it was on (a room keeps its ID across servers). A member-key root remembered for the old account is
 * kept for the new one: it is the same identity's, made from the same recovery key.
 */
export async function switchToMovedAccount(
  client: MatrixClient,
  next: Session,
  route: Route,
  { keepOldSession }: { keepOldSession: boolean },
): Promise<void> {
  const root = await loadMemberRoot(client.getSafeUserId()).catch(log.ignored('no remembered member-key root to carry over'));
  // The old session stays valid on its server while the move's last step waits for it (the journal keeps its token).
  await endSession(client, undefined, undefined, { keepSignedIn: true, keepServerSession: keepOldSession });
  if (root) await rememberMemberRoot(next.userId, root).catch(log.ignored('the member-key root is asked for again on the new account'));
  await sessionStore.getState().signedIn(next);
  navigate(route, { replace: true });
}

async function endSession(
  client: MatrixClient,
  notice?: string,
  hint?: SignInHint,
  { keepSignedIn = false, keepServerSession = false }: { keepSignedIn?: boolean; keepServerSession?: boolean } = {},
): Promise<void> {
  unbinders.get(client)?.();
  await signOutClient(client, { logout: !keepServerSession });
  // A remembered member-key root must not outlive the session on this browser.
  await forgetMemberRoots().catch((error: unknown) => log.warn('could not forget the remembered member-key roots on sign-out', error));
  running.clear();
  chatStore.setState(chatStore.getInitialState(), true);
  resetRoute();
  identityStore.setState(identityStore.getInitialState(), true);
  // What this browser saw of the account's rooms goes with the session.
  linkNoticeStore.getState().storage?.clear();
  linkNoticeStore.getState().attach(undefined);
  identityTrustStore.getState().clear();
  await forgetLinkChecks().catch((error: unknown) => log.warn('could not forget the link checks on sign-out', error));
  if (!keepSignedIn) await sessionStore.getState().signedOut(notice, hint);
}
