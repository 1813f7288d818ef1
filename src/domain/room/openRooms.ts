// The registry of open rooms' view models: one per room and client, shared by every view of the room.
import type { MatrixClient, Room } from 'matrix-js-sdk';
import { chatStore } from '../../state/chatStore';
import { identityStore } from '../identity/identityStore';
import { createRoomViewModel, type RoomViewModel } from './roomViewModel';

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
