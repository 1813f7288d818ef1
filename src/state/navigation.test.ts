// @vitest-environment jsdom
import { beforeEach, describe, expect, it } from 'vitest';
import { createChatStore } from '../state/chatStore';
import { roomSummary } from '../domain/rooms/roomFixtures';
import { followRooms, goHome, navigate, openRoom, routeStore, selectOpenEventId, selectOpenRoomId } from './navigation';

const open = () => selectOpenRoomId(routeStore.getState());

describe('navigation', () => {
  beforeEach(() => {
    history.replaceState(null, '', '#/');
    routeStore.setState({ route: { kind: 'home' }, arriving: [] });
  });

  it('opening a room writes the URL, a new history entry each time; replace takes the current one', () => {
    const before = history.length;
    openRoom('!a:x');
    expect(location.hash).toBe('#/room/!a:x');
    expect(open()).toBe('!a:x');
    openRoom('!b:x', { eventId: '$e/1' });
    expect(location.hash).toBe('#/room/!b:x/$e%2F1');
    expect(selectOpenEventId(routeStore.getState())).toBe('$e/1');
    expect(history.length).toBe(before + 2);
    openRoom('!c:x', { replace: true });
    expect(history.length).toBe(before + 2);
    expect(location.hash).toBe('#/room/!c:x');
    expect(open()).toBe('!c:x');
  });

  it('follows the address bar: a hash typed or reached by Back and Forward is the route', () => {
    history.replaceState(null, '', '#/room/%21typed%3Ax');
    window.dispatchEvent(new HashChangeEvent('hashchange'));
    expect(open()).toBe('!typed:x');
    history.replaceState(null, '', '#/room/%23lounge:x');
    window.dispatchEvent(new HashChangeEvent('hashchange'));
    // An alias names no room ID until it is resolved.
    expect(routeStore.getState().route).toEqual({ kind: 'room', roomIdOrAlias: '#lounge:x' });
    expect(open()).toBeUndefined();
  });

  it('the open room leaving the list returns to the room list; a room just joined is awaited, not dropped', () => {
    const chat = createChatStore();
    const stop = followRooms(chat);
    chat.getState().setRooms([roomSummary('!a:x'), roomSummary('!b:x')]);
    openRoom('!b:x');
    chat.getState().setRooms([roomSummary('!a:x')]);
    expect(routeStore.getState().route).toEqual({ kind: 'home' });
    expect(location.hash).toBe('#/');

    openRoom('!new:x', { arriving: true });
    expect(routeStore.getState().arriving).toEqual(['!new:x']);
    chat.getState().setRooms([roomSummary('!a:x')]);
    expect(open()).toBe('!new:x');
    chat.getState().setRooms([roomSummary('!a:x'), roomSummary('!new:x')]);
    expect(open()).toBe('!new:x');
    expect(routeStore.getState().arriving).toEqual([]);
    stop();
  });

  it('navigate takes a route or a hash; goHome leaves rooms', () => {
    navigate('#/settings/notifications');
    expect(routeStore.getState().route).toEqual({ kind: 'settings', section: 'notifications' });
    goHome();
    expect(location.hash).toBe('#/');
  });
});
