// View state of the signed-in app, kept out of the views (Hydrogen style). Plain data only: the
// matrix-js-sdk bindings (src/matrix/bindings.ts) feed it, components read it through selectors.
// Which room is open is not here: the URL says (src/state/navigation.ts).
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import type { ConnectionState } from '../matrix/connection';
import { visibleRooms, type RoomSummary } from '../domain/rooms/roomList';

export type ComposerMode =
  | { kind: 'normal' }
  | { kind: 'reply'; eventId: string; senderName: string; preview: string }
  | { kind: 'edit'; eventId: string; originalBody: string };

export interface ChatState {
  connection: ConnectionState;
  rooms: RoomSummary[];
  roomFilter: string;
  /** Bumped whenever a room's timeline, receipts or typing change; views re-derive from it. */
  roomRevision: Record<string, number>;
  composerMode: Record<string, ComposerMode>;
  drafts: Record<string, string>;
  membersOpen: boolean;
  /** Last error of an action, in words for people. */
  notice?: { text: string; tone: 'error' | 'info' };

  setConnection(connection: ConnectionState): void;
  setRooms(rooms: RoomSummary[]): void;
  touchRooms(roomIds: Iterable<string>): void;
  setRoomFilter(filter: string): void;
  setDraft(roomId: string, text: string): void;
  setComposerMode(roomId: string, mode: ComposerMode): void;
  toggleMembers(open?: boolean): void;
  showNotice(text: string, tone?: 'error' | 'info'): void;
  clearNotice(): void;
}

export function createChatStore() {
  return createStore<ChatState>()((set) => ({
    connection: 'starting',
    rooms: [],
    roomFilter: '',
    roomRevision: {},
    composerMode: {},
    drafts: {},
    membersOpen: false,
    setConnection: (connection) => set({ connection }),
    setRooms: (rooms) => set({ rooms }),
    touchRooms: (roomIds) =>
      set((state) => {
        const roomRevision = { ...state.roomRevision };
        for (const id of roomIds) roomRevision[id] = (roomRevision[id] ?? 0) + 1;
        return { roomRevision };
      }),
    setRoomFilter: (roomFilter) => set({ roomFilter }),
    setDraft: (roomId, text) => set((state) => ({ drafts: { ...state.drafts, [roomId]: text } })),
    setComposerMode: (roomId, mode) => set((state) => ({ composerMode: { ...state.composerMode, [roomId]: mode } })),
    toggleMembers: (open) => set((state) => ({ membersOpen: open ?? !state.membersOpen })),
    showNotice: (text, tone = 'error') => set({ notice: { text, tone } }),
    clearNotice: () => set({ notice: undefined }),
  }));
}

export type ChatStore = ReturnType<typeof createChatStore>;
export const chatStore = createChatStore();

export function useChat<T>(selector: (state: ChatState) => T): T {
  return useStore(chatStore, selector);
}

// Derived selectors.
export const selectVisibleRooms = (state: Pick<ChatState, 'rooms' | 'roomFilter'>) => visibleRooms(state.rooms, state.roomFilter);
export const selectComposerMode =
  (roomId: string) =>
  (state: Pick<ChatState, 'composerMode'>): ComposerMode =>
    state.composerMode[roomId] ?? normalMode;
export const selectTotalUnread = (state: Pick<ChatState, 'rooms'>) =>
  state.rooms.reduce((sum, room) => sum + (room.membership === 'join' ? room.unread : 0), 0);
const normalMode: ComposerMode = { kind: 'normal' };
