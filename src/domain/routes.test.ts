import { describe, expect, it } from 'vitest';
import { encodeSegment, formatRoute, inAppHrefForMatrixTo, parseMatrixTo, parseRoute, roomHref, type Route } from './routes';

describe('app routes', () => {
  it('formats rooms and events readably: `!`, `:`, `@` and `$` stay, `#`, `/`, `?`, `%` and spaces are escaped', () => {
    expect(roomHref('!abc:alpha.localhost:20751')).toBe('#/room/!abc:alpha.localhost:20751');
    expect(roomHref('!abc:alpha.localhost', '$ev+Ent/Id=')).toBe('#/room/!abc:alpha.localhost/$ev%2BEnt%2FId%3D');
    expect(roomHref('#lounge:alpha.localhost')).toBe('#/room/%23lounge:alpha.localhost');
    expect(roomHref('#a/b?c%d e:x')).toBe('#/room/%23a%2Fb%3Fc%25d%20e:x');
    expect(formatRoute({ kind: 'home' })).toBe('#/');
    expect(formatRoute({ kind: 'settings' })).toBe('#/settings');
    expect(formatRoute({ kind: 'settings', section: 'notifications' })).toBe('#/settings/notifications');
    expect(roomHref('!abc:x', undefined, ['alpha.localhost:8448', 'beta'])).toBe('#/room/!abc:x?via=alpha.localhost:8448&via=beta');
    expect(encodeSegment('@alice:x')).toBe('@alice:x');
  });

  it('parses what it formats, for IDs made of every awkward character', () => {
    const routes: Route[] = [
      { kind: 'home' },
      { kind: 'room', roomIdOrAlias: '!abc:alpha.localhost:20751' },
      { kind: 'room', roomIdOrAlias: '!abc:alpha.localhost', eventId: '$ev+Ent/Id=' },
      { kind: 'room', roomIdOrAlias: '#lounge:alpha.localhost', eventId: '$x' },
      { kind: 'room', roomIdOrAlias: '#a/b?c%d&e#f:x' },
      { kind: 'room', roomIdOrAlias: '#café:x' },
      { kind: 'room', roomIdOrAlias: '!abc:x', via: ['alpha.localhost:8448', 'beta'] },
      { kind: 'room', roomIdOrAlias: '!AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' },
      { kind: 'settings' },
      { kind: 'settings', section: 'notifications' },
      { kind: 'room', roomIdOrAlias: '!abc:x', panel: { kind: 'threads' } },
      { kind: 'room', roomIdOrAlias: '!abc:x', panel: { kind: 'thread', rootId: '$ro/ot+=' } },
      { kind: 'room', roomIdOrAlias: '#lounge:x', panel: { kind: 'thread', rootId: '$r' } },
    ];
    for (const route of routes) expect(parseRoute(formatRoute(route))).toEqual(route);
  });

  it('names a thread panel after the room: the URL is the selection', () => {
    expect(formatRoute({ kind: 'room', roomIdOrAlias: '!abc:x', panel: { kind: 'thread', rootId: '$root' } })).toBe(
      '#/room/!abc:x/thread/$root',
    );
    expect(formatRoute({ kind: 'room', roomIdOrAlias: '!abc:x', panel: { kind: 'threads' } })).toBe('#/room/!abc:x/threads');
    expect(parseRoute('#/room/!abc:x/thread/notAnEvent').kind).toBe('unknown');
    expect(parseRoute('#/room/!abc:x/thread').kind).toBe('unknown');
    expect(parseRoute('#/room/!abc:x/threads/more').kind).toBe('unknown');
  });

  it('reads hashes as browsers and people write them', () => {
    expect(parseRoute('')).toEqual({ kind: 'home' });
    expect(parseRoute('#')).toEqual({ kind: 'home' });
    expect(parseRoute('#/')).toEqual({ kind: 'home' });
    expect(parseRoute('/room/!abc:x/')).toEqual({ kind: 'room', roomIdOrAlias: '!abc:x' });
    // Fully encoded (as Cinny and encodeURIComponent write them), and a raw `#` in an alias.
    expect(parseRoute('#/room/%21abc%3Ax/%24ev')).toEqual({ kind: 'room', roomIdOrAlias: '!abc:x', eventId: '$ev' });
    expect(parseRoute('#/room/#lounge:x')).toEqual({ kind: 'room', roomIdOrAlias: '#lounge:x' });
  });

  it('anything else is unknown, never a throw', () => {
    for (const hash of [
      '#/room',
      '#/room/lounge',
      '#/room/!abc:x/notanevent',
      '#/room/!abc:x/$e/more',
      '#/room/%E0%A4%A:x',
      '#/nowhere',
      '#/room//$e',
      '#/settings/a/b',
      '#/room/!a b:x',
    ]) {
      expect(parseRoute(hash).kind, hash).toBe('unknown');
    }
  });
});

describe('matrix.to links', () => {
  it('read rooms, aliases and events, encoded or raw, with via servers', () => {
    expect(parseMatrixTo('https://matrix.to/#/!abc:alpha.localhost')).toEqual({ kind: 'room', roomIdOrAlias: '!abc:alpha.localhost' });
    expect(parseMatrixTo('https://matrix.to/#/%23lounge%3Aalpha.localhost')).toEqual({
      kind: 'room',
      roomIdOrAlias: '#lounge:alpha.localhost',
    });
    expect(parseMatrixTo('https://matrix.to/#/#lounge:alpha.localhost/$ev?via=alpha.localhost&via=beta')).toEqual({
      kind: 'room',
      roomIdOrAlias: '#lounge:alpha.localhost',
      eventId: '$ev',
      via: ['alpha.localhost', 'beta'],
    });
    expect(parseMatrixTo('https://matrix.to/#/!abc:x/%24ev%2Fslash')).toEqual({
      kind: 'room',
      roomIdOrAlias: '!abc:x',
      eventId: '$ev/slash',
    });
    expect(parseMatrixTo('https://matrix.to/#/@alice:alpha.localhost')).toEqual({ kind: 'user', userId: '@alice:alpha.localhost' });
  });

  it('ignore everything that is not a matrix.to permalink', () => {
    for (const href of [
      'https://example.org/#/!abc:x',
      'http://matrix.to/#/!abc:x',
      'https://matrix.to.evil.example/#/!abc:x',
      'https://matrix.to:8443/#/!abc:x',
      'https://matrix.to/',
      'https://matrix.to/#/',
      'https://matrix.to/#/lounge',
      'https://matrix.to/#/!abc:x/notanevent',
      'https://matrix.to/#/@alice:x/$ev',
      'not a url',
    ]) {
      expect(parseMatrixTo(href), href).toBeUndefined();
    }
  });

  it('open rooms and events in the app; user links stay matrix.to links', () => {
    expect(inAppHrefForMatrixTo('https://matrix.to/#/!abc:x/$ev')).toBe('#/room/!abc:x/$ev');
    expect(inAppHrefForMatrixTo('https://matrix.to/#/#lounge:x?via=x')).toBe('#/room/%23lounge:x?via=x');
    expect(inAppHrefForMatrixTo('https://matrix.to/#/@alice:x')).toBeUndefined();
    expect(inAppHrefForMatrixTo('https://example.org')).toBeUndefined();
  });
});
