import { useEffect, useMemo } from 'react';
import { useStore } from 'zustand';
import type { Room } from 'matrix-js-sdk';
import { useClient } from '../../ui/clientContext';
import type { RoomViewModel, RoomViewState } from '../../domain/room/roomViewModel';
import { holdRoomViewModel, roomViewModel } from '../../domain/bindings';

/** The open room's view model (made by the client's bindings, src/domain/bindings.ts), held while this view is mounted. */
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
export const selectCanInvite = (s: RoomViewState) => s.canInvite;
export const selectCanKick = (s: RoomViewState) => s.canKick;
export const selectWithheldKeys = (s: RoomViewState) => s.withheldKeys;
export const selectCanMentionRoom = (s: RoomViewState) => s.canMentionRoom;
export const selectCanLoadOlder = (s: RoomViewState) => s.canLoadOlder;
export const selectLoadingOlder = (s: RoomViewState) => s.loadingOlder;
export const selectLoadError = (s: RoomViewState) => s.loadError;
export const selectHasMemberInfo = (s: RoomViewState) => s.hasMemberInfo;
export const selectMembers = (s: RoomViewState) => s.members;
export const selectFocus = (s: RoomViewState) => s.focus;
export const selectAnchored = (s: RoomViewState) => s.anchored;
export const selectReadMarker = (s: RoomViewState) => s.readMarker;
export const selectReadUntil = (s: RoomViewState) => s.readUntil;
export const selectLoadingNewer = (s: RoomViewState) => s.loadingNewer;
export const selectUnverifiedChanges = (s: RoomViewState) => s.unverifiedChanges;
