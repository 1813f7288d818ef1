// The URL is the source of truth for where the reader is: this store mirrors `location.hash` (hashchange,
// which Back and Forward fire too) and writes it when the app moves (a pushed entry, or a replaced one).
// A dozen lines over the History API: a router library would cost more than the three routes need.
import { createStore } from 'zustand/vanilla';
import { useStore } from 'zustand';
import { formatRoute, homeRoute, parseRoute, roomHref, type Route } from '../domain/routes';
import { isRoomId } from '../protocol/ids';

export interface RouteState {
  route: Route;
  /** Rooms this page just created or joined: until sync brings them, their route shows "opening", not "not found". */
  arriving: readonly string[];
}

const readRoute = (): Route => (typeof location === 'undefined' ? homeRoute : parseRoute(location.hash));

export const routeStore = createStore<RouteState>()(() => ({ route: readRoute(), arriving: [] }));

let listening = false;
/** Follows the address bar; once per page (the store outlives sessions, as the URL does). */
export function followLocation(): void {
  if (listening || typeof window === 'undefined') return;
  listening = true;
  window.addEventListener('hashchange', () => routeStore.setState({ route: readRoute() }));
}
followLocation();

export function useRoute<T>(selector: (state: RouteState) => T): T {
  return useStore(routeStore, selector);
}

/** Moves to `route`: a new history entry (Back returns), or with `replace` one that takes the current one's place. */
export function navigate(route: Route | string, { replace = false }: { replace?: boolean } = {}): void {
  const hash = typeof route === 'string' ? route : formatRoute(route);
  const next = parseRoute(hash);
  if (replace) history.replaceState(history.state, '', hash);
  else if (location.hash !== hash) location.hash = hash; // fires hashchange, which updates the store
  routeStore.setState({ route: next });
}

/** Opens a room (or one event in it). `arriving`: the room was just created or joined and sync may not have it yet. */
export function openRoom(
  roomIdOrAlias: string,
  options: { eventId?: string; via?: string[]; replace?: boolean; arriving?: boolean } = {},
): void {
  if (options.arriving) routeStore.setState((s) => ({ arriving: [...s.arriving.filter((id) => id !== roomIdOrAlias), roomIdOrAlias] }));
  navigate(roomHref(roomIdOrAlias, options.eventId, options.via), { replace: options.replace });
}

export const goHome = (options: { replace?: boolean } = {}) => navigate(homeRoute, options);

/** The room ID the current route shows (an alias route has none until it is resolved and replaced). */
export function routedRoomId(route: Route): string | undefined {
  return route.kind === 'room' && isRoomId(route.roomIdOrAlias) ? route.roomIdOrAlias : undefined;
}
export const selectOpenRoomId = (state: RouteState) => routedRoomId(state.route);
export const selectOpenEventId = (state: RouteState) => (state.route.kind === 'room' ? state.route.eventId : undefined);

/** A session ended: the next one starts at the room list. */
export function resetRoute(): void {
  routeStore.setState({ arriving: [] });
  if (routeStore.getState().route.kind !== 'home') goHome({ replace: true });
}

/**
 * Keeps the route honest as rooms come and go: the open room, once in the list, leaving it (left, kicked,
 * forgotten elsewhere) returns to the room list; a room that was arriving stops arriving once it is listed.
 */
export function followRooms(store: {
  subscribe(
    listener: (state: { rooms: readonly { roomId: string }[] }, previous: { rooms: readonly { roomId: string }[] }) => void,
  ): () => void;
}): () => void {
  return store.subscribe((state, previous) => {
    if (state.rooms === previous.rooms) return;
    const listed = new Set(state.rooms.map((r) => r.roomId));
    const { route, arriving } = routeStore.getState();
    const open = routedRoomId(route);
    if (open && !listed.has(open) && previous.rooms.some((r) => r.roomId === open)) goHome({ replace: true });
    if (arriving.some((id) => listed.has(id))) routeStore.setState({ arriving: arriving.filter((id) => !listed.has(id)) });
  });
}
