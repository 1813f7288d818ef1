// Whether someone is signed in. Knows nothing of matrix-js-sdk, so the first screen stays small.
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import { clearSession, loadSession, saveSession, type Session } from '../matrix/session';
import { logger } from '../platform/logger';

const log = logger('session');

export type SessionPhase = 'loading' | 'signed-out' | 'signed-in';

/** Where the sign-in screen starts after a session ended: e.g. the new server of a moved account, with the recovery key. */
export interface SignInHint {
  homeserver: string;
  recoveryKey: boolean;
}

export interface SessionState {
  phase: SessionPhase;
  session?: Session;
  /** Shown on the sign-in screen after a forced sign-out (e.g. the token was revoked). */
  notice?: string;
  signInHint?: SignInHint;
  /** The signed-in account moved away (a 403 with `dev.wayfarer.moved_to`, PROTOCOL.md §7): where it went. */
  movedTo?: string;
  /** The account a move under way in this page is ending on: its old session hearing that it moved is expected, not news. */
  movingTo?: string;
  restore(): Promise<void>;
  signedIn(session: Session): Promise<void>;
  signedOut(notice?: string, hint?: SignInHint): Promise<void>;
  accountMoved(movedTo: string): void;
  setMovingTo(userId: string | undefined): void;
}

export interface SessionPersistence {
  load(): Promise<Session | undefined>;
  save(session: Session): Promise<void>;
  clear(): Promise<void>;
}

const idbPersistence: SessionPersistence = { load: loadSession, save: saveSession, clear: clearSession };

export function createSessionStore(persistence: SessionPersistence = idbPersistence) {
  return createStore<SessionState>()((set) => ({
    phase: 'loading',
    async restore() {
      let session: Session | undefined;
      try {
        session = await persistence.load();
      } catch (error) {
        session = undefined; // unreadable storage: sign in again rather than hang
        log.warn('the saved session is unreadable; signing in again', error);
      }
      // A moved account is the old session's news: the stored one may be another (a tab switched the browser to it).
      set(session ? { phase: 'signed-in', session, movedTo: undefined } : { phase: 'signed-out', session: undefined, movedTo: undefined });
    },
    async signedIn(session) {
      await persistence.save(session);
      set({ phase: 'signed-in', session, notice: undefined, signInHint: undefined, movedTo: undefined });
      announceSessionChange();
    },
    async signedOut(notice, hint) {
      await persistence.clear();
      set({ phase: 'signed-out', session: undefined, notice, signInHint: hint, movedTo: undefined });
    },
    setMovingTo(movingTo) {
      set({ movingTo });
    },
    accountMoved(movedTo) {
      set((s) => (s.phase === 'signed-in' && s.movedTo === undefined ? { movedTo } : {}));
    },
  }));
}

export const sessionStore = createSessionStore();

/** Tabs of this browser hear when one of them signed in (SESSION_CHANNEL), e.g. to the account a move ended on. */
export const SESSION_CHANNEL = 'wayfarer-session';

function announceSessionChange(): void {
  if (typeof BroadcastChannel === 'undefined') return;
  const channel = new BroadcastChannel(SESSION_CHANNEL);
  channel.postMessage('signed-in');
  channel.close();
}

export function useSession<T>(selector: (state: SessionState) => T): T {
  return useStore(sessionStore, selector);
}
