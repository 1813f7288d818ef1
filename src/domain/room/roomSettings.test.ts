import { describe, expect, it } from 'vitest';
import { canonicalAliasContent, localAlias, notificationLevelChanges, notificationLevelOf, stateLevel } from './roomSettings';

const ROOM = '!garden:alpha.localhost';

describe('stateLevel', () => {
  it('reads the event’s own level, else state_default, else 50; no power_levels event means 0', () => {
    const levels = { events: { 'm.room.name': 10 }, state_default: 75 };
    expect(stateLevel(levels, 'm.room.name')).toBe(10);
    expect(stateLevel(levels, 'm.room.topic')).toBe(75);
    expect(stateLevel({}, 'm.room.topic')).toBe(50);
    expect(stateLevel(undefined, 'm.room.topic')).toBe(0);
  });
});

describe('localAlias', () => {
  it('completes what the user types to a local alias, and refuses what cannot be one', () => {
    expect(localAlias('garden', 'alpha.localhost:8448')).toBe('#garden:alpha.localhost:8448');
    expect(localAlias(' #garden:alpha.localhost ', 'alpha.localhost')).toBe('#garden:alpha.localhost');
    expect(localAlias('two words', 'alpha.localhost')).toBeUndefined();
    expect(localAlias('#x:beta.localhost', 'alpha.localhost')).toBeUndefined();
    expect(localAlias('', 'alpha.localhost')).toBeUndefined();
    expect(localAlias('a'.repeat(260), 'alpha.localhost')).toBeUndefined();
  });

  it('a new main address keeps the other alternatives', () => {
    expect(canonicalAliasContent({ canonicalAlias: '#a:s', altAliases: ['#b:s', '#c:s'] }, '#b:s')).toEqual({
      alias: '#b:s',
      alt_aliases: ['#c:s'],
    });
    expect(canonicalAliasContent({ altAliases: [] }, undefined)).toEqual({});
  });
});

describe('notification level (push rules, as Element writes them)', () => {
  const mute = { rule_id: ROOM, enabled: true, conditions: [{ kind: 'event_match', key: 'room_id', pattern: ROOM }], actions: [] };
  const mentions = { rule_id: ROOM, enabled: true, actions: ['dont_notify'] };

  it('reads all, mentions and keywords, and mute', () => {
    expect(notificationLevelOf({ global: { override: [], room: [] } }, ROOM)).toBe('all');
    expect(notificationLevelOf({ global: { room: [mentions] } }, ROOM)).toBe('mentions');
    expect(notificationLevelOf({ global: { override: [mute], room: [mentions] } }, ROOM)).toBe('mute');
    expect(notificationLevelOf({ global: { override: [{ ...mute, enabled: false }] } }, ROOM)).toBe('all');
    expect(notificationLevelOf({ global: { room: [{ ...mentions, actions: ['notify'] }] } }, ROOM)).toBe('all');
    expect(
      notificationLevelOf(
        {
          global: {
            override: [{ ...mute, rule_id: '!other:x', conditions: [{ kind: 'event_match', key: 'room_id', pattern: '!other:x' }] }],
          },
        },
        ROOM,
      ),
    ).toBe('all');
  });

  it('writes the rule the level needs and deletes the one it replaces', () => {
    expect(notificationLevelChanges({ global: {} }, ROOM, 'mute')).toEqual([
      {
        op: 'add',
        kind: 'override',
        ruleId: ROOM,
        body: { conditions: [{ kind: 'event_match', key: 'room_id', pattern: ROOM }], actions: [] },
      },
    ]);
    expect(notificationLevelChanges({ global: { override: [mute] } }, ROOM, 'mentions')).toEqual([
      { op: 'delete', kind: 'override', ruleId: ROOM },
      { op: 'add', kind: 'room', ruleId: ROOM, body: { actions: [] } },
    ]);
    expect(notificationLevelChanges({ global: { override: [mute], room: [mentions] } }, ROOM, 'all')).toEqual([
      { op: 'delete', kind: 'override', ruleId: ROOM },
      { op: 'delete', kind: 'room', ruleId: ROOM },
    ]);
    expect(notificationLevelChanges({ global: {} }, ROOM, 'all')).toEqual([]);
  });
});
