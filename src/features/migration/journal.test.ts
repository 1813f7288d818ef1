import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildPlan, rewriteDirect, rewriteIgnored, toggleItem, viaServers, type AccountSnapshot, type RoomSnapshot } from './plan';
import {
  JOURNAL_FORMAT,
  readJournal,
  createJournal,
  isJournal,
  markDone,
  markFailed,
  markRunning,
  movedRoomIds,
  nextStep,
  progressOf,
  retryItem,
  summaryOf,
  type MigrationJournal,
  type StepRecord,
} from './journal';
import { runMigration } from './runner';
import { memoryJournalStore } from './persistence';
import { t } from '../../i18n';

const room = (over: Partial<RoomSnapshot> & { roomId: string }): RoomSnapshot => ({
  name: over.roomId,
  version: 'org.matrix.12.4430',
  memberKeys: true,
  memberKey: `@key${over.roomId}`,
  servers: ['gamma.localhost'],
  joinRule: 'invite',
  myPowerLevel: 0,
  usersDefault: 0,
  invitePowerLevel: 0,
  powerLevelsChangeLevel: 100,
  tags: {},
  ...over,
});

const snapshot = (rooms: RoomSnapshot[], over: Partial<AccountSnapshot> = {}): AccountSnapshot => ({
  takenTs: 1,
  userId: '@alice:alpha',
  serverName: 'alpha',
  baseUrl: 'http://alpha',
  portable: true,
  displayname: 'Alice',
  direct: { '@bob:gamma': ['!dm'] },
  ignoredUsers: ['@troll:x'],
  rooms,
  ...over,
});

function journalFor(
  snap: AccountSnapshot,
  path: 'portable' | 'classic' = 'portable',
  options = { notice: false, leaveOld: false },
): MigrationJournal {
  return createJournal({
    id: 'm1',
    path,
    source: { userId: snap.userId, serverName: 'alpha', baseUrl: 'http://alpha' },
    target: { userId: '@alice:beta', serverName: 'beta', baseUrl: 'http://beta', accessToken: 't', deviceId: 'D' },
    options,
    snapshot: snap,
    items: buildPlan({ snapshot: snap, path, targetUserId: '@alice:beta' }),
  });
}

describe('journal format', () => {
  it('a format 1 journal (English in its plan items) is read as format 2, the words kept verbatim', () => {
    const current = journalFor(snapshot([room({ roomId: '!a', name: 'Alpha talk' })]), 'portable');
    const old = {
      ...current,
      format: 1,
      items: current.items.map((item) => ({
        ...item,
        label: t(item.label),
        summary: t(item.summary),
        ...(item.reason ? { reason: t(item.reason) } : {}),
      })),
    };
    const read = readJournal(JSON.parse(JSON.stringify(old)))!;
    expect(read.format).toBe(JOURNAL_FORMAT);
    expect(read.items[0]!.label).toEqual({ key: 'migration.text', values: { text: 'Alpha talk' } });
    expect(read.items.map((i) => [t(i.label), t(i.summary), i.reason && t(i.reason)])).toEqual(
      current.items.map((i) => [t(i.label), t(i.summary), i.reason && t(i.reason)]),
    );
    expect(summaryOf(read)).toEqual(summaryOf(current));
  });
});

describe('plan', () => {
  it('portable member-key rooms move seamlessly; classic rooms are re-invited; invite-only without power cannot move, with the reason and the way out', () => {
    const items = buildPlan({
      snapshot: snapshot([
        room({ roomId: '!a', name: 'Alpha talk' }),
        room({
          roomId: '!b',
          name: 'Classic',
          memberKeys: false,
          memberKey: undefined,
          version: '11',
          myPowerLevel: 50,
          invitePowerLevel: 50,
          powerLevelsChangeLevel: 50,
        }),
        room({ roomId: '!c', name: 'Closed', memberKeys: false, memberKey: undefined, version: '11', invitePowerLevel: 50 }),
        room({
          roomId: '!d',
          name: 'Public',
          memberKeys: false,
          memberKey: undefined,
          version: '11',
          invitePowerLevel: 50,
          joinRule: 'public',
        }),
      ]),
      path: 'portable',
      targetUserId: '@alice:beta',
    });
    const byRoom = Object.fromEntries(items.filter((i) => i.roomId).map((i) => [i.roomId, i]));
    expect(byRoom['!a']).toMatchObject({
      action: 'adopt',
      label: { key: 'migration.plan.room', values: { name: 'Alpha talk' } },
      summary: { key: 'migration.plan.seamless' },
      selected: true,
    });
    expect(byRoom['!b']).toMatchObject({ action: 'reinvite', summary: { key: 'migration.plan.reinvite' }, carryPowerLevel: 50 });
    expect(byRoom['!b']!.reason).toEqual({
      key: 'migration.plan.reasonAndPower',
      values: { reason: { key: 'migration.plan.classicRoom' }, power: { key: 'migration.plan.powerCarried', values: { level: 50 } } },
    });
    expect(byRoom['!b']!.powerNotCarried).toBeUndefined();
    expect(byRoom['!c']).toMatchObject({ action: 'cannot', selected: false, movable: false });
    expect(byRoom['!c']).toMatchObject({
      blocker: 'no-invite',
      reason: { key: 'migration.plan.blocked.noInvite', values: { needs: 50, has: 0, target: '@alice:beta' } },
      unblock: { key: 'migration.plan.unblock.noInvite', values: { needs: 50, has: 0, target: '@alice:beta' } },
    });
    expect(t(byRoom['!c']!.reason!)).toMatch(/invite-only.*needs power level 50, has 0/);
    expect(t(byRoom['!c']!.unblock!)).toMatch(/Ask a moderator to invite @alice:beta/);
    // Counts are plural messages: 1 DM, 1 ignored user; 2 ignored users.
    expect(items.filter((i) => !i.roomId).map((i) => t(i.summary))).toEqual([
      'display name copied',
      '1 DM kept marked as DMs',
      '1 ignored user',
      'stay on alpha',
    ]);
    const two = buildPlan({ snapshot: snapshot([], { ignoredUsers: ['@a:x', '@b:x'] }), path: 'portable', targetUserId: '@alice:beta' });
    expect(two.find((i) => i.kind === 'ignored')!.summary).toEqual({ key: 'migration.plan.ignoredSummary', values: { count: 2 } });
    expect(t(two.find((i) => i.kind === 'ignored')!.summary)).toBe('2 ignored users');
    expect(byRoom['!d']!.action).toBe('join-public');
    expect(items.map((i) => i.kind)).toEqual(['room', 'room', 'room', 'room', 'profile', 'direct', 'ignored', 'media']);
  });

  it('the classic path re-invites member-key rooms too, and a key not made from the recovery key falls back with the reason', () => {
    const snap = snapshot([room({ roomId: '!a', invitePowerLevel: 0 })]);
    expect(buildPlan({ snapshot: snap, path: 'classic', targetUserId: '@n:beta' })[0]!.action).toBe('reinvite');
    const fallback = buildPlan({ snapshot: snap, path: 'portable', targetUserId: '@n:beta', keyIsDerivable: () => false })[0]!;
    expect(fallback.action).toBe('reinvite');
    expect(fallback.reason).toEqual({ key: 'migration.plan.keyFromServer' });
  });

  it('a creator (room version 12: unbounded power) hands the new account power level 100', () => {
    const item = buildPlan({
      snapshot: snapshot([room({ roomId: '!x', myPowerLevel: Number.MAX_SAFE_INTEGER })]),
      path: 'classic',
      targetUserId: '@n:b',
    })[0]!;
    expect(item).toMatchObject({ carryPowerLevel: 100 });
    expect(item.reason).toMatchObject({ values: { power: { key: 'migration.plan.powerCreator' } } });
    expect(t(item.reason!)).toBe(
      'A classic move: the new account is a new member. You created this room; creators cannot be added, so the new account gets power level 100.',
    );
  });

  it('a power level the old account may not grant is listed, not attempted', () => {
    const item = buildPlan({
      snapshot: snapshot([room({ roomId: '!x', memberKeys: false, myPowerLevel: 50, powerLevelsChangeLevel: 100 })]),
      path: 'classic',
      targetUserId: '@n:b',
    })[0]!;
    expect(item).toMatchObject({ carryPowerLevel: 50, powerNotCarried: true });
    expect(
      journalFor(snapshot([room({ roomId: '!x', memberKeys: false, myPowerLevel: 50, powerLevelsChangeLevel: 100 })]), 'classic').steps.map(
        (s) => s.kind,
      ),
    ).not.toContain('power');
  });

  it('unticking removes an item’s steps; items that cannot move cannot be ticked', () => {
    const snap = snapshot([room({ roomId: '!a' }), room({ roomId: '!c', memberKeys: false, invitePowerLevel: 50 })]);
    let items = buildPlan({ snapshot: snap, path: 'portable', targetUserId: '@alice:beta' });
    items = toggleItem(toggleItem(items, 'room:!a', false), 'room:!c', true);
    expect(items.find((i) => i.id === 'room:!a')!.selected).toBe(false);
    expect(items.find((i) => i.id === 'room:!c')!.selected).toBe(false);
  });

  it('rewrites m.direct to rooms the target holds and the old ID to the new one; ignored users never include the new account', () => {
    expect(rewriteDirect({ '@bob:g': ['!1', '!2'], '@alice:alpha': ['!3'] }, '@alice:alpha', '@alice:beta', new Set(['!1', '!3']))).toEqual(
      { '@bob:g': ['!1'], '@alice:beta': ['!3'] },
    );
    expect(rewriteIgnored(['@x:y', '@alice:beta', '@x:y'], '@alice:beta')).toEqual(['@x:y']);
    expect(viaServers(room({ roomId: '!a', servers: ['alpha', 'beta', 'gamma'] }), 'alpha', 'beta')).toEqual(['gamma', 'alpha']);
  });
});

describe('journal', () => {
  it('orders steps per item, leaves the old account last, and waits with account data until rooms are settled', () => {
    const j = journalFor(
      snapshot([
        room({
          roomId: '!a',
          memberKeys: false,
          memberKey: undefined,
          myPowerLevel: 50,
          invitePowerLevel: 0,
          powerLevelsChangeLevel: 50,
          tags: { 'm.favourite': {} },
        }),
      ]),
      'classic',
      { notice: true, leaveOld: true },
    );
    expect(j.steps.filter((s) => s.itemId === 'room:!a').map((s) => s.kind)).toEqual([
      'invite',
      'join',
      'power',
      'notice',
      'verify',
      'leave',
    ]);
    let state = j;
    const order: string[] = [];
    for (let step = nextStep(state); step; step = nextStep(state)) {
      order.push(step.kind);
      state = markDone(markRunning(state, step.id), step.id);
    }
    expect(order.indexOf('tags')).toBeGreaterThan(order.indexOf('leave'));
    expect(order.indexOf('direct')).toBeGreaterThan(order.indexOf('leave'));
    expect(progressOf(state)).toMatchObject({ done: state.steps.length, total: state.steps.length, finished: true, failed: 0 });
    expect(isJournal(structuredClone(state))).toBe(true);
  });

  it('a failed item waits for a retry while the others go on; its error is shown with the step in words', () => {
    let j = journalFor(snapshot([room({ roomId: '!a' }), room({ roomId: '!b' })]));
    j = markFailed(markRunning(j, 'room:!a#adopt'), 'room:!a#adopt', 'beta answered 502');
    expect(nextStep(j)!.id).toBe('room:!b#adopt');
    const failed = progressOf(j).items.find((i) => i.item.id === 'room:!a')!;
    expect(failed).toMatchObject({ state: 'failed', current: 'taking over your membership on the new server', error: 'beta answered 502' });
    expect(progressOf(j).finished).toBe(false);
    j = markDone(markRunning(j, 'room:!b#adopt'), 'room:!b#adopt');
    for (let step = nextStep(j); step; step = nextStep(j)) j = markDone(markRunning(j, step.id), step.id);
    expect(progressOf(j)).toMatchObject({ finished: true, failed: 1 });
    j = retryItem(j, 'room:!a');
    expect(progressOf(j).finished).toBe(false);
    expect(nextStep(j)!.id).toBe('room:!a#adopt');
  });

  it('the summary lists every item and its outcome', () => {
    let j = journalFor(snapshot([room({ roomId: '!a' }), room({ roomId: '!c', memberKeys: false, invitePowerLevel: 50 })]));
    for (let step = nextStep(j); step; step = nextStep(j)) j = markDone(markRunning(j, step.id), step.id, 'ok');
    const summary = summaryOf(j);
    expect(summary.items.map((i) => [i.roomId ?? i.kind, i.outcome])).toEqual([
      ['!a', 'moved'],
      ['!c', 'cannot move'],
      ['profile', 'moved'],
      ['direct', 'moved'],
      ['ignored', 'moved'],
      ['media', 'stays on the old server'],
    ]);
    expect([...movedRoomIds(j)]).toEqual(['!a']);
    expect(JSON.parse(JSON.stringify(summary))).toEqual(summary);
  });
});

describe('runner', () => {
  it('writes each step as running before it runs and as done after; failures are recorded and the rest continues', async () => {
    const store = memoryJournalStore();
    const j = journalFor(snapshot([room({ roomId: '!a' }), room({ roomId: '!b' })]));
    const seenBeforeRun: string[] = [];
    const result = await runMigration(
      j,
      async (step) => {
        const saved = await store.load('@alice:alpha');
        seenBeforeRun.push(saved!.steps.find((s) => s.id === step.id)!.status);
        if (step.id === 'room:!b#adopt') throw new Error('beta is down');
        return `did ${step.kind}`;
      },
      { save: store.save, concurrency: 2 },
    );
    expect(seenBeforeRun.every((s) => s === 'running')).toBe(true);
    const saved = (await store.load('@alice:alpha'))!;
    expect(saved).toEqual(result);
    expect(saved.steps.find((s) => s.id === 'room:!b#adopt')).toMatchObject({ status: 'failed', error: 'beta is down', attempts: 1 });
    expect(saved.steps.find((s) => s.id === 'room:!b#verify')!.status).toBe('pending');
    expect(saved.steps.filter((s) => s.itemId !== 'room:!b').every((s) => s.status === 'done')).toBe(true);
  });

  it('resumes after a crash at any point: every effect happens exactly once, except the one interrupted step which runs again', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 0, max: 30 }),
        fc.integer({ min: 1, max: 4 }),
        async (roomCount, crashAt, concurrency) => {
          const rooms = Array.from({ length: roomCount }, (_, i) => room({ roomId: `!r${i}`, tags: i % 2 ? { u: {} } : {} }));
          const store = memoryJournalStore();
          const initial = journalFor(snapshot(rooms));
          await store.save(initial);
          // An idempotent "server": each effect is applied at most once, however often a step runs.
          const effects = new Map<string, number>();
          const starts = new Map<string, number>();
          let calls = 0;
          // Closing the tab: from call number `crashAt` on, nothing more is saved and no step ever finishes.
          let closed = false;
          let onClosed!: () => void;
          const closedNow = new Promise<void>((resolve) => (onClosed = resolve));
          const hang = () => new Promise<never>(() => undefined);
          const execute = async (step: StepRecord) => {
            starts.set(step.id, (starts.get(step.id) ?? 0) + 1);
            if (!effects.has(step.id)) effects.set(step.id, 1);
          };
          const beforeClose = async (step: StepRecord) => {
            if (closed) return hang();
            if (calls++ === crashAt) {
              // Half the crashes come after the server did the work but before the journal heard of it.
              if (crashAt % 2 === 1) await execute(step);
              closed = true;
              onClosed();
              return hang();
            }
            return execute(step);
          };
          const saveUntilClosed = (journal: MigrationJournal) => (closed ? hang() : store.save(journal));
          const first = runMigration(initial, beforeClose, { save: saveUntilClosed, concurrency });
          await Promise.race([first, closedNow]);
          // Reopen: load what was saved and run to the end with a fresh runner.
          const reloaded = (await store.load('@alice:alpha'))!;
          const doneBefore = new Set(reloaded.steps.filter((s) => s.status === 'done').map((s) => s.id));
          const rerun: string[] = [];
          const done = await runMigration(reloaded, async (step) => (rerun.push(step.id), execute(step)), {
            save: store.save,
            concurrency,
          });
          expect(rerun.filter((id) => doneBefore.has(id))).toEqual([]);
          expect(done.steps.every((s) => s.status === 'done')).toBe(true);
          for (const step of done.steps) expect(effects.get(step.id)).toBe(1);
          const repeated = [...starts.values()].filter((n) => n > 1).length;
          expect(repeated).toBeLessThanOrEqual(concurrency);
        },
      ),
      { numRuns: 60 },
    );
  });
});
