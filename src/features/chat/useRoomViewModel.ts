import { useEffect, useMemo } from 'react';
import { useStore } from 'zustand';
import type { MatrixClient, Room } from 'matrix-js-sdk';
import { useClient } from '../../ui/clientContext';
import { chatStore } from '../../state/chatStore';
import { identityStore } from '../../domain/identity/identityStore';
import { createRoomViewModel, type RoomViewModel, type RoomViewState } from './roomViewModel';

/** The open room's view model (made by the bindings), held while this view is mounted. */
export function useRoomViewModel(room: Room): RoomViewModel {
  const client = useClient();
  const vm = useMemo(() => roomViewModel(client, room), [client, room]);
  useEffect(() => holdRoomViewModel(client, vm), [client, vm]);
  return vm;
}

/** A slice of the view model's state; pass a selector defined once (module level), so it is stable. */
export function useRoomView<T>(vm: RoomViewModel, selector: (state: RoomViewState) => T): T {
  return useStore(vm, selector);
}

// Stable selectors for the slices views read.
export const selectRows = (s: RoomViewState) => s.rows;
export const selectName = (s: RoomViewState) => s.name;
export const selectTopic = (s: RoomViewState) => s.topic;
export const selectMyIdentity = (s: RoomViewState) => s.myIdentity;
export const selectReaders = (s: RoomViewState) => s.readers;
export const selectTyping = (s: RoomViewState) => s.typing;
export const selectCanRedactOthers = (s: RoomViewState) => s.canRedactOthers;
export const selectCanLoadOlder = (s: RoomViewState) => s.canLoadOlder;
export const selectLoadingOlder = (s: RoomViewState) => s.loadingOlder;
export const selectLoadError = (s: RoomViewState) => s.loadError;
export const selectHasMemberInfo = (s: RoomViewState) => s.hasMemberInfo;
export const selectMembers = (s: RoomViewState) => s.members;

interface OpenRoom {
  vm: RoomViewModel;
  room: Room;
  users: number;
  closing?: ReturnType<typeof setTimeout>;
}

const openRooms = new WeakMap<MatrixClient, Map<string, OpenRoom>>();
/** A view model nobody holds (a render React threw away, the room just closed) lives this long before it stops. */
const idleMs = 5_000;

function closeLater(client: MatrixClient, open: OpenRoom): void {
  clearTimeout(open.closing);
  open.closing = setTimeout(() => {
    if (open.users > 0) return;
    open.vm.dispose();
    if (openRooms.get(client)?.get(open.room.roomId) === open) openRooms.get(client)?.delete(open.room.roomId);
  }, idleMs);
}

/** The view model of an open room: made on first use, shared by every view of the room (timeline, members). */
export function roomViewModel(client: MatrixClient, room: Room): RoomViewModel {
  let rooms = openRooms.get(client);
  if (!rooms) openRooms.set(client, (rooms = new Map()));
  let open = rooms.get(room.roomId);
  if (open && open.room !== room) {
    // The SDK replaced the Room object (a rejoin): the old model follows a room that is gone.
    clearTimeout(open.closing);
    open.vm.dispose();
    open = undefined;
  }
  if (!open) {
    open = { vm: createRoomViewModel({ client, room, chat: chatStore, identity: identityStore }), room, users: 0 };
    rooms.set(room.roomId, open);
    closeLater(client, open);
  }
  return open.vm;
}

/** Keeps a room's view model running while a view shows it; returns the release (it stops a while after the last). */
export function holdRoomViewModel(client: MatrixClient, vm: RoomViewModel): () => void {
  const open = [...(openRooms.get(client)?.values() ?? [])].find((o) => o.vm === vm);
  if (!open) return () => undefined;
  open.users++;
  clearTimeout(open.closing);
  return () => {
    open.users--;
    if (open.users === 0) closeLater(client, open);
  };
}
