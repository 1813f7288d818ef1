// The signed-in session, kept in IndexedDB through idb-keyval so a reload keeps you signed in.
import { createStore, del, get, set, type UseStore } from 'idb-keyval';

export interface Session {
  baseUrl: string;
  userId: string;
  accessToken: string;
  deviceId: string;
}

const sessionKey = 'session';
let store: UseStore | undefined;
const sessionStore = () => (store ??= createStore('wayfarer-session', 'keyval'));

export function isSession(value: unknown): value is Session {
  const v = value as Partial<Session> | null;
  return (
    !!v &&
    typeof v.baseUrl === 'string' &&
    typeof v.userId === 'string' &&
    typeof v.accessToken === 'string' &&
    typeof v.deviceId === 'string'
  );
}

export async function loadSession(): Promise<Session | undefined> {
  const value = await get(sessionKey, sessionStore());
  return isSession(value) ? value : undefined;
}

export async function saveSession(session: Session): Promise<void> {
  await set(sessionKey, session, sessionStore());
}

export async function clearSession(): Promise<void> {
  await del(sessionKey, sessionStore());
}
