// History visibility per event: the spec's rules judged on the state at each event, as runs of positions.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  isVisibleAt,
  mayRead,
  visibilityOf,
  visibleRanges,
  visibleSegments,
  type Change,
  type VisibilityInput,
} from './history-visibility';

const seen = (input: VisibilityInput, positions: number[]) => {
  const segments = visibleSegments(input);
  return positions.filter((p) => isVisibleAt(segments, p));
};
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('mayRead (the spec rules)', () => {
  it('world_readable: anyone; joined: members at the event; shared: also later joiners; invited: also invitees', () => {
    expect(mayRead('world_readable', [undefined], false)).toBe(true);
    expect(mayRead('joined', ['join'], false)).toBe(true);
    expect(mayRead('joined', ['invite'], true)).toBe(false);
    expect(mayRead('shared', [undefined], true)).toBe(true);
    expect(mayRead('shared', ['leave'], false)).toBe(false);
    expect(mayRead('invited', ['invite'], false)).toBe(true);
    expect(mayRead('invited', [undefined], true)).toBe(false);
  });

  it('reads an unknown or missing setting as shared', () => {
    expect(visibilityOf({ history_visibility: 'nonsense' })).toBe('shared');
    expect(visibilityOf({})).toBe('shared');
    expect(visibilityOf(undefined)).toBe('shared');
    expect(visibilityOf({ history_visibility: 'joined' })).toBe('joined');
  });
});

describe('visibleSegments', () => {
  // create 1; shared at 2; A 3-4; joined at 5; B 6-7; bob joins 8; C 9; shared at 10; D 11.
  const room: VisibilityInput = {
    createPosition: 1,
    visibility: [
      { position: 2, value: 'shared' },
      { position: 5, value: 'joined' },
      { position: 10, value: 'shared' },
    ],
    members: [[{ position: 8, value: 'join' }]],
  };

  it('shared → A → joined → B → join → C → shared → D: a joiner sees A, C, D, not B', () => {
    expect(seen(room, range(1, 11))).toEqual([1, 2, 3, 4, 5, 8, 9, 10, 11]);
  });

  it('a setting changed later does not re-hide or un-hide what came before it', () => {
    const later = { ...room, visibility: [...room.visibility, { position: 12, value: 'joined' }] };
    expect(seen(later, range(1, 11))).toEqual(seen(room, range(1, 11)));
    const opened = { ...room, visibility: [...room.visibility, { position: 12, value: 'world_readable' }] };
    expect(seen(opened, range(6, 7))).toEqual([]);
  });

  it('shows the visibility event that closed history: the state before it allowed it (5), not the ones after', () => {
    expect(seen(room, [5, 6, 7])).toEqual([5]);
  });

  it('invited: events from the invite on, not before', () => {
    const invited: VisibilityInput = {
      createPosition: 1,
      visibility: [{ position: 2, value: 'invited' }],
      members: [
        [
          { position: 5, value: 'invite' },
          { position: 8, value: 'join' },
        ],
      ],
    };
    expect(seen(invited, range(3, 10))).toEqual([5, 6, 7, 8, 9, 10]);
  });

  it('an invitee who declines (or is banned) before joining sees their own leave, and nothing else of the room', () => {
    for (const ending of ['leave', 'ban']) {
      const declined: VisibilityInput = {
        createPosition: 1,
        visibility: [{ position: 2, value: 'shared' }],
        members: [
          [
            { position: 5, value: 'invite' },
            { position: 7, value: ending },
          ],
        ],
      };
      expect(seen(declined, range(1, 9))).toEqual([7]);
    }
  });

  it('a member who left is judged by the membership at each event; rejoining under shared shows the gap', () => {
    const input: VisibilityInput = {
      createPosition: 1,
      visibility: [{ position: 2, value: 'joined' }],
      members: [
        [
          { position: 3, value: 'join' },
          { position: 5, value: 'leave' },
          { position: 8, value: 'join' },
        ],
      ],
    };
    // Their own leave (5) is visible: the state before it had them joined.
    expect(seen(input, range(3, 9))).toEqual([3, 4, 5, 8, 9]);
    const shared = { ...input, visibility: [{ position: 2, value: 'shared' }] };
    expect(seen(shared, range(3, 9))).toEqual(range(3, 9));
  });

  it('a non-member sees world_readable runs only, and the events that switch in or out of them', () => {
    const input: VisibilityInput = {
      createPosition: 1,
      visibility: [
        { position: 3, value: 'world_readable' },
        { position: 6, value: 'joined' },
      ],
      members: [],
    };
    expect(seen(input, range(1, 8))).toEqual([3, 4, 5, 6]);
  });

  it('a server sees what any of its members could', () => {
    const input: VisibilityInput = {
      createPosition: 1,
      visibility: [{ position: 2, value: 'joined' }],
      members: [
        [
          { position: 4, value: 'join' },
          { position: 6, value: 'leave' },
        ],
        [{ position: 8, value: 'join' }],
      ],
    };
    expect(seen(input, range(3, 9))).toEqual([4, 5, 6, 8, 9]);
  });

  it('below the create event (backfilled, older state not here yet) the nearest known setting stands in', () => {
    const input: VisibilityInput = {
      createPosition: 50,
      visibility: [{ position: 49, value: 'joined' }],
      members: [[{ position: 60, value: 'join' }]],
    };
    expect(seen(input, [-10, -1])).toEqual([]);
    // Above the create event, no setting yet means shared.
    const complete: VisibilityInput = {
      createPosition: 1,
      visibility: [{ position: 49, value: 'joined' }],
      members: [[{ position: 60, value: 'join' }]],
    };
    expect(seen(complete, [2, 48])).toEqual([2, 48]);
  });

  it('visibleRanges clips the visible runs to the asked window', () => {
    const segments = visibleSegments(room);
    expect(visibleRanges(segments, 4, 9)).toEqual([
      { lo: 4, hi: 5 },
      { lo: 8, hi: 9 },
    ]);
  });

  it('agrees with judging each position on its own state (property)', () => {
    const value = fc.constantFrom('world_readable', 'shared', 'invited', 'joined');
    const membership = fc.constantFrom('join', 'invite', 'leave', 'ban');
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 2, max: 40 }), { maxLength: 12 }),
        fc.array(value, { minLength: 12, maxLength: 12 }),
        fc.array(membership, { minLength: 12, maxLength: 12 }),
        fc.boolean(),
        (positions, values, memberships, firstIsMember) => {
          const visibility: Change[] = [];
          const member: Change[] = [];
          positions.forEach((position, i) =>
            (i % 2 === 0) === firstIsMember
              ? member.push({ position, value: memberships[i]! })
              : visibility.push({ position, value: values[i]! }),
          );
          const input: VisibilityInput = { createPosition: 1, visibility, members: [member] };
          const segments = visibleSegments(input);
          const lastJoin = Math.max(...member.filter((c) => c.value === 'join').map((c) => c.position), -Infinity);
          const at = (list: Change[], p: number, strict: boolean) =>
            list
              .filter((c) => (strict ? c.position < p : c.position <= p))
              .sort((a, b) => a.position - b.position)
              .at(-1)?.value;
          const judge = (p: number, strict: boolean) =>
            mayRead(visibilityOf({ history_visibility: at(visibility, p, strict) ?? 'shared' }), [at(member, p, strict)], lastJoin >= p);
          for (let p = 1; p <= 42; p++) {
            const special = positions.includes(p);
            const ownEnding = member.some((c) => c.position === p && (c.value === 'leave' || c.value === 'ban'));
            expect(isVisibleAt(segments, p)).toBe(ownEnding || judge(p, false) || (special && judge(p, true)));
          }
        },
      ),
    );
  });
});
