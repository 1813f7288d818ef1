import { describe, expect, it } from 'vitest';
import { createChatStore, selectComposerMode, selectTotalUnread, selectVisibleRooms } from './chatStore';
import { createSessionStore, type SessionPersistence } from './sessionStore';
import type { Session } from '../matrix/session';
import { badgeText } from '../domain/rooms/roomList';
import { roomSummary } from '../domain/rooms/roomFixtures';
import { cameBack, connectionFromSync } from '../matrix/connection';

function memoryPersistence(initial?: Session): SessionPersistence & { stored?: Session } {
  const p: SessionPersistence & { stored?: Session } = {
    stored: initial,
    load: async () => p.stored,
    save: async (s) => void (p.stored = s),
    clear: async () => void (p.stored = undefined),
  };
  return p;
}

const session: Session = { baseUrl: 'http://a.localhost:1', userId: '@me:a', accessToken: 't', deviceId: 'D' };

describe('session store', () => {
  it('restores a saved session, or lands signed out', async () => {
    const withSession = createSessionStore(memoryPersistence(session));
    expect(withSession.getState().phase).toBe('loading');
    await withSession.getState().restore();
    expect(withSession.getState()).toMatchObject({ phase: 'signed-in', session });

    const empty = createSessionStore(memoryPersistence());
    await empty.getState().restore();
    expect(empty.getState().phase).toBe('signed-out');
  });

  it('persists on sign-in and wipes on sign-out', async () => {
    const persistence = memoryPersistence();
    const store = createSessionStore(persistence);
    await store.getState().signedIn(session);
    expect(persistence.stored).toEqual(session);
    await store.getState().signedOut('Your session ended.');
    expect(persistence.stored).toBeUndefined();
    expect(store.getState()).toMatchObject({ phase: 'signed-out', notice: 'Your session ended.' });
  });

  it('treats unreadable storage as signed out instead of hanging', async () => {
    const store = createSessionStore({ ...memoryPersistence(), load: async () => Promise.reject(new Error('idb broken')) });
    await store.getState().restore();
    expect(store.getState().phase).toBe('signed-out');
  });
});

const room = roomSummary;

describe('chat store', () => {
  it('lists invites first, then rooms by recent activity, filtered by name or alias', () => {
    const store = createChatStore();
    store
      .getState()
      .setRooms([
        room('!old', { lastActivity: 1, name: 'Old news' }),
        room('!new', { lastActivity: 9, name: 'Café talk', alias: '#cafe:a' }),
        room('!inv', { membership: 'invite', lastActivity: 0, name: 'Invite' }),
      ]);
    expect(selectVisibleRooms(store.getState()).map((r) => r.roomId)).toEqual(['!inv', '!new', '!old']);
    store.getState().setRoomFilter('cafe');
    expect(selectVisibleRooms(store.getState()).map((r) => r.roomId)).toEqual(['!new']);
    store.getState().setRoomFilter('#CAFE');
    expect(selectVisibleRooms(store.getState()).map((r) => r.roomId)).toEqual(['!new']);
  });

  it('bumps room revisions so views re-derive', () => {
    const store = createChatStore();
    store.getState().touchRooms(['!a', '!a', '!b']);
    expect(store.getState().roomRevision).toEqual({ '!a': 2, '!b': 1 });
  });

  it('keeps composer mode and drafts per room', () => {
    const store = createChatStore();
    expect(selectComposerMode('!a')(store.getState())).toEqual({ kind: 'normal' });
    store.getState().setComposerMode('!a', { kind: 'edit', eventId: '$1', originalBody: 'x' });
    store.getState().setDraft('!a', 'draft');
    expect(selectComposerMode('!a')(store.getState()).kind).toBe('edit');
    expect(selectComposerMode('!b')(store.getState()).kind).toBe('normal');
    expect(store.getState().drafts['!a']).toBe('draft');
  });

  it('counts unread messages of joined rooms only', () => {
    const store = createChatStore();
    store.getState().setRooms([room('!a', { unread: 3 }), room('!b', { unread: 2, membership: 'invite' })]);
    expect(selectTotalUnread(store.getState())).toBe(3);
    expect(badgeText(150)).toBe('99+');
  });
});

describe('connection state', () => {
  it('maps sync states and the browser flag', () => {
    expect(connectionFromSync('PREPARED', true)).toBe('syncing');
    expect(connectionFromSync('CATCHUP', true)).toBe('syncing');
    expect(connectionFromSync('RECONNECTING', true)).toBe('reconnecting');
    expect(connectionFromSync('ERROR', true)).toBe('reconnecting');
    expect(connectionFromSync('SYNCING', false)).toBe('offline');
    expect(connectionFromSync(null, true)).toBe('starting');
  });
  it('notices when the server comes back', () => {
    expect(cameBack('reconnecting', 'syncing')).toBe(true);
    expect(cameBack('offline', 'syncing')).toBe(true);
    expect(cameBack('syncing', 'syncing')).toBe(false);
    expect(cameBack('syncing', 'reconnecting')).toBe(false);
  });
});
