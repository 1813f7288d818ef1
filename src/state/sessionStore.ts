// Whether someone is signed in. Knows nothing of matrix-js-sdk, so the first screen stays small.
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import { clearSession, loadSession, saveSession, type Session } from '../matrix/session';
import { logger } from '../platform/logger';

const log = logger('session');

export type SessionPhase = 'loading' | 'signed-out' | 'signed-in';

export interface SessionState {
  phase: SessionPhase;
  session?: Session;
  /** Shown on the sign-in screen after a forced sign-out (e.g. the token was revoked). */
  notice?: string;
  restore(): Promise<void>;
  signedIn(session: Session): Promise<void>;
  signedOut(notice?: string): Promise<void>;
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
      set(session ? { phase: 'signed-in', session } : { phase: 'signed-out', session: undefined });
    },
    async signedIn(session) {
      await persistence.save(session);
      set({ phase: 'signed-in', session, notice: undefined });
    },
    async signedOut(notice) {
      await persistence.clear();
      set({ phase: 'signed-out', session: undefined, notice });
    },
  }));
}

export const sessionStore = createSessionStore();

export function useSession<T>(selector: (state: SessionState) => T): T {
  return useStore(sessionStore, selector);
}
