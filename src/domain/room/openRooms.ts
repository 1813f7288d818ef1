// The view models of a client's open rooms: one per room, shared by every view of it (timeline, composer, members).
// The bindings (src/domain/bindings.ts) make one of these per bound client and stop its models when they unbind.
import type { Room } from 'matrix-js-sdk';
import { createRoomViewModel, type RoomViewModel, type RoomViewModelDeps } from './roomViewModel';

interface OpenRoom {
  vm: RoomViewModel;
  room: Room;
  users: number;
  closing?: ReturnType<typeof setTimeout>;
}

/** A view model nobody holds (a render React threw away, the room just closed) lives this long before it stops. */
const idleMs = 5_000;

export class OpenRooms {
  private readonly rooms = new Map<string, OpenRoom>();

  constructor(private readonly deps: Omit<RoomViewModelDeps, 'room'>) {}

  /** The view model of an open room: made on first use, shared by every view of the room. */
  viewModel(room: Room): RoomViewModel {
    let open = this.rooms.get(room.roomId);
    if (open && open.room !== room) {
      // The SDK replaced the Room object (a rejoin): the old model follows a room that is gone.
      this.close(room.roomId);
      open = undefined;
    }
    if (!open) {
      open = { vm: createRoomViewModel({ ...this.deps, room }), room, users: 0 };
      this.rooms.set(room.roomId, open);
      this.closeLater(open);
    }
    return open.vm;
  }

  /** Keeps a room's view model running while a view shows it; returns the release (it stops a while after the last). */
  hold(vm: RoomViewModel): () => void {
    const open = [...this.rooms.values()].find((o) => o.vm === vm);
    if (!open) return () => undefined;
    open.users++;
    clearTimeout(open.closing);
    return () => {
      open.users--;
      if (open.users === 0) this.closeLater(open);
    };
  }

  /** Stops a room's view model now (the room was forgotten). */
  close(roomId: string): void {
    const open = this.rooms.get(roomId);
    if (!open) return;
    clearTimeout(open.closing);
    open.vm.dispose();
    this.rooms.delete(roomId);
  }

  /** Stops every view model (the client is unbound). */
  dispose(): void {
    for (const roomId of [...this.rooms.keys()]) this.close(roomId);
  }

  /** How many rooms have a running view model. */
  get size(): number {
    return this.rooms.size;
  }

  private closeLater(open: OpenRoom): void {
    clearTimeout(open.closing);
    open.closing = setTimeout(() => {
      if (open.users > 0) return;
      if (this.rooms.get(open.room.roomId) === open) this.close(open.room.roomId);
    }, idleMs);
  }
}
