import { describe, expect, it } from 'vitest';
import { deriveMemberKey, deriveMemberRoot, generateRecoverySecret, memberIdFromPublicKey } from '../../protocol';
import { accountKeyId } from '../portable/accountKeyAuth';
import { createJournal, JOURNAL_FORMAT, pendingMarkFor, type MigrationJournal, type StepRecord } from './journal';
import {
  createMigrationController,
  type MigrationController,
  type MigrationControllerDeps,
  type MigrationWizardState,
} from './migrationController';
import { memoryJournalStore, type JournalStore, type MemoryJournalStore } from './persistence';
import { buildPlan, type AccountSnapshot, type RoomSnapshot } from './plan';
import { MatrixHttpError } from '../../matrix/http';

const ALICE = '@alice:alpha';
const secret = generateRecoverySecret();
const root = deriveMemberRoot(secret);

/** A member-key room whose key alice's recovery key makes: the portable path adopts it. */
const room = (roomId: string): RoomSnapshot => ({
  roomId,
  name: `Room ${roomId}`,
  version: 'org.matrix.12.4430',
  memberKeys: true,
  memberKey: memberIdFromPublicKey(deriveMemberKey(root, roomId).publicKey),
  servers: ['gamma'],
  joinRule: 'invite',
  myPowerLevel: 0,
  usersDefault: 0,
  invitePowerLevel: 0,
  powerLevelsChangeLevel: 100,
  tags: {},
});

const snapshot = (roomCount = 3): AccountSnapshot => ({
  takenTs: 1,
  userId: ALICE,
  serverName: 'alpha',
  baseUrl: 'http://alpha',
  portable: true,
  displayname: 'Alice',
  rooms: Array.from({ length: roomCount }, (_, i) => room(`!r${i}`)),
});

const beta = { serverName: 'beta', baseUrl: 'http://beta', supportsPortable: true, versions: ['v1.11'] };

/** An idempotent pretend server: counts how often each step ran and which controller ran it. */
function fakeServer() {
  const runs = new Map<string, number>();
  const ranBy: string[] = [];
  let inFlight = 0;
  let maxInFlightPerStep = 0;
  const active = new Map<string, number>();
  const executor =
    (
      who: string,
      behave: (step: StepRecord, n: number) => Promise<void> | void = () => undefined,
    ): MigrationControllerDeps['createExecutor'] =>
    () =>
    async (step) => {
      const n = (runs.get(step.id) ?? 0) + 1;
      runs.set(step.id, n);
      ranBy.push(`${who}:${step.id}`);
      active.set(step.id, (active.get(step.id) ?? 0) + 1);
      maxInFlightPerStep = Math.max(maxInFlightPerStep, active.get(step.id)!);
      inFlight += 1;
      try {
        await Promise.resolve();
        await behave(step, n);
        return `${step.kind} ok`;
      } finally {
        inFlight -= 1;
        active.set(step.id, active.get(step.id)! - 1);
      }
    };
  return { runs, ranBy, executor, inFlight: () => inFlight, maxInFlightPerStep: () => maxInFlightPerStep };
}

function controllerOver(store: JournalStore, over: Partial<MigrationControllerDeps> = {}): MigrationController {
  return createMigrationController({
    source: { userId: ALICE, serverName: 'alpha', baseUrl: 'http://alpha' },
    accessToken: () => 'old-token',
    store,
    portableStatus: async () => ({ portable: true, accountKey: accountKeyId(secret) }),
    takeSnapshot: async () => snapshot(),
    checkTarget: async (input) => {
      if (input !== 'beta') throw new Error(`${input} is not a Matrix homeserver`);
      return beta;
    },
    auth: {
      loginWithAccountKey: async () => ({ userId: '@alice:beta', accessToken: 'new-token', deviceId: 'NEW' }),
      registerWithAccountKey: async () => ({ userId: '@alice:beta', accessToken: 'new-token', deviceId: 'NEW' }),
      loginWithPassword: async (_, username) => ({ userId: `@${username}:beta`, accessToken: 'new-token', deviceId: 'NEW' }),
      registerWithPassword: async (_, username) => ({ userId: `@${username}:beta`, accessToken: 'new-token', deviceId: 'NEW' }),
    },
    createExecutor: fakeServer().executor('default'),
    markMoved: async () => undefined,
    ...over,
  });
}

/** Resolves once the controller's state satisfies `test`. */
function until(controller: MigrationController, test: (state: MigrationWizardState) => boolean): Promise<MigrationWizardState> {
  return new Promise((resolve) => {
    const check = () => {
      const state = controller.state.getState();
      if (!test(state)) return false;
      unsubscribe?.();
      resolve(state);
      return true;
    };
    let unsubscribe: (() => void) | undefined;
    if (!check()) unsubscribe = controller.state.subscribe(() => void check());
  });
}

const idle = (s: MigrationWizardState) => s.stage === 'move' && !s.running && !!s.progress?.finished;

/** Where to → Prove → Plan for the portable path. */
async function toPlan(controller: MigrationController): Promise<void> {
  await controller.open();
  expect(controller.state.getState().stage).toBe('target');
  await controller.checkTarget('beta');
  expect(controller.state.getState().choice?.path).toBe('portable');
  controller.chooseTarget();
  await controller.prove({ path: 'portable', secret, username: 'alice' });
  expect(controller.state.getState().stage).toBe('plan');
}

/** A planned journal as another tab would have saved it. */
function savedJournal(rooms = 3, path: 'portable' | 'classic' = 'classic'): MigrationJournal {
  const snap = snapshot(rooms);
  return createJournal({
    id: 'm1',
    path,
    source: { userId: ALICE, serverName: 'alpha', baseUrl: 'http://alpha' },
    target: { userId: '@alice:beta', serverName: 'beta', baseUrl: 'http://beta', accessToken: 't', deviceId: 'D' },
    options: { notice: false, leaveOld: false },
    snapshot: snap,
    items: buildPlan({ snapshot: snap, path, targetUserId: '@alice:beta' }),
  });
}

describe('migration controller', () => {
  it('plans, saves the journal before anything runs, and runs it to the end', async () => {
    const store = memoryJournalStore();
    const server = fakeServer();
    const statusOnDevice: string[] = [];
    const controller = controllerOver(store, {
      createExecutor: server.executor('one', async (step) => {
        statusOnDevice.push((await store.load(ALICE))!.steps.find((s) => s.id === step.id)!.status);
      }),
    });
    await controller.checkTarget('gamma');
    expect(controller.state.getState().targetError).toBe('gamma is not a Matrix homeserver');
    await toPlan(controller);
    const plan = controller.state.getState();
    expect(plan.items.filter((i) => i.kind === 'room').map((i) => i.action)).toEqual(['adopt', 'adopt', 'adopt']);
    controller.toggle('room:!r2', false);
    await controller.start();
    const done = await until(controller, idle);
    // Every step found itself written as running on the device before it ran.
    expect(statusOnDevice).toEqual(done.journal!.steps.map(() => 'running'));
    expect(done.progress).toMatchObject({ failed: 0, finished: true });
    expect(done.journal!.steps.every((s) => s.status === 'done')).toBe(true);
    expect(done.journal!.steps.some((s) => s.itemId === 'room:!r2')).toBe(false);
    expect(await store.load(ALICE)).toEqual(done.journal);
    expect([...server.runs.values()].every((n) => n === 1)).toBe(true);
    expect(controller.summary()!.items.find((i) => i.roomId === '!r2')!.outcome).toBe('not selected');
  });

  it('refuses a recovery key that is not the old account’s, on the prove stage and when resuming', async () => {
    const store = memoryJournalStore();
    const controller = controllerOver(store);
    await controller.open();
    await controller.checkTarget('beta');
    controller.chooseTarget();
    await controller.prove({ path: 'portable', secret: generateRecoverySecret(), username: 'alice' });
    expect(controller.state.getState()).toMatchObject({ stage: 'prove', proveError: expect.stringMatching(/not the one of @alice:alpha/) });

    await store.save(savedJournal(2, 'portable'));
    const resumed = controllerOver(store.reopen());
    await resumed.open();
    expect(resumed.state.getState()).toMatchObject({ stage: 'move', needsSecret: true, running: false });
    resumed.provideSecret(generateRecoverySecret());
    expect(resumed.state.getState()).toMatchObject({ needsSecret: true, moveError: 'This recovery key is not the one of @alice:alpha.' });
    resumed.provideSecret(secret);
    expect((await until(resumed, idle)).moveError).toBeUndefined();
  });

  it('resumes after a crash: a new controller over the same journal finishes it, repeating only the interrupted step', async () => {
    const disk = memoryJournalStore();
    const server = fakeServer();
    let hung!: () => void;
    const hanging = new Promise<void>((resolve) => (hung = resolve));
    // The tab dies while a room's takeover is under way: that step never finishes or gets recorded.
    const first = controllerOver(disk, {
      createExecutor: server.executor('first', (step, n) => {
        if (step.id === 'room:!r1#adopt' && n === 1) {
          hung();
          return new Promise<never>(() => undefined);
        }
      }),
    });
    await toPlan(first);
    await first.start();
    await hanging;

    // A new page: the same IndexedDB, new module state, the recovery key forgotten.
    const afterCrash = disk.reopen();
    const saved = (await afterCrash.load(ALICE))!;
    const doneBefore = saved.steps.filter((s) => s.status === 'done').map((s) => s.id);
    const interrupted = saved.steps.filter((s) => s.status === 'running').map((s) => s.id);
    expect(interrupted.length).toBeGreaterThanOrEqual(1);
    const second = controllerOver(afterCrash, { createExecutor: server.executor('second') });
    await second.open();
    expect(second.state.getState()).toMatchObject({ stage: 'move', needsSecret: true, running: false });
    second.provideSecret(secret);
    const done = await until(second, idle);
    expect(done.journal!.steps.every((s) => s.status === 'done')).toBe(true);
    const rerun = server.ranBy.filter((r) => r.startsWith('second:')).map((r) => r.slice('second:'.length));
    expect(rerun.filter((id) => doneBefore.includes(id))).toEqual([]);
    for (const id of interrupted) expect(done.journal!.steps.find((s) => s.id === id)!.attempts).toBe(2);
    expect(await afterCrash.load(ALICE)).toEqual(done.journal);
  });

  it('closing the wizard (dispose) stops new steps; the one under way finishes and is recorded; reopening goes on', async () => {
    const store = memoryJournalStore();
    await store.save(savedJournal(3));
    const server = fakeServer();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const firstStarted = new Promise<void>((resolve) => (started = resolve));
    const controller = controllerOver(store, {
      createExecutor: server.executor('closed', async () => {
        started();
        await held;
      }),
    });
    await controller.open();
    await firstStarted;
    controller.dispose();
    release();
    await until(controller, (s) => !s.running);
    const saved = (await store.load(ALICE))!;
    const ran = server.ranBy.length;
    expect(ran).toBeGreaterThanOrEqual(1);
    expect(saved.steps.filter((s) => s.status === 'done')).toHaveLength(ran);
    expect(saved.steps.filter((s) => s.status === 'running')).toHaveLength(0);
    expect(saved.steps.some((s) => s.status === 'pending')).toBe(true);

    const reopened = controllerOver(store, { createExecutor: server.executor('reopened') });
    await reopened.open();
    const done = await until(reopened, idle);
    expect(done.journal!.steps.every((s) => s.status === 'done')).toBe(true);
    expect([...server.runs.values()].every((n) => n === 1)).toBe(true);
  });

  it('two controllers over one journal never run it at once: the second waits, then goes on from what the first saved', async () => {
    const store = memoryJournalStore();
    await store.save(savedJournal(4));
    const server = fakeServer();
    const a = controllerOver(store, { createExecutor: server.executor('a', () => new Promise((r) => setTimeout(r, 2))) });
    const b = controllerOver(store, { createExecutor: server.executor('b', () => new Promise((r) => setTimeout(r, 2))) });
    await Promise.all([a.open(), b.open()]);
    await Promise.all([until(a, idle), until(b, idle)]);
    expect(server.maxInFlightPerStep()).toBe(1);
    expect([...server.runs.values()].every((n) => n === 1)).toBe(true);
    expect(server.ranBy.every((r) => r.startsWith('a:'))).toBe(true);
    expect(b.state.getState().journal).toEqual(await store.load(ALICE));
    expect(b.state.getState().progress!.done).toBe(b.state.getState().progress!.total);
  });

  it('a failed item waits for Retry, which saves first and runs it again', async () => {
    const store = memoryJournalStore();
    await store.save(savedJournal(2));
    const server = fakeServer();
    const controller = controllerOver(store, {
      createExecutor: server.executor('flaky', (step, n) => {
        if (step.id === 'room:!r1#invite' && n === 1) throw new Error('beta answered 502: bad gateway');
      }),
    });
    await controller.open();
    const failed = await until(controller, idle);
    expect(failed.progress).toMatchObject({ failed: 1 });
    expect(failed.progress!.items.find((i) => i.item.id === 'room:!r1')).toMatchObject({
      state: 'failed',
      error: 'beta answered 502: bad gateway',
    });
    await controller.retry('room:!r1');
    const done = await until(controller, (s) => idle(s) && s.progress!.failed === 0);
    expect(done.journal!.steps.every((s) => s.status === 'done')).toBe(true);
  });

  it('ends the move by marking the old account moved on its own, once the new server holds every room (not before)', async () => {
    const store = memoryJournalStore();
    const marked: { to: string; secret: Uint8Array; token: string }[] = [];
    const markMoved: MigrationControllerDeps['markMoved'] = async (journal, key, source) =>
      void marked.push({ to: journal.target.userId, secret: key, token: source.accessToken });
    // The first check of room !r1 fails: the mark waits for it.
    const server = fakeServer();
    const controller = controllerOver(store, {
      markMoved,
      now: () => 1234,
      createExecutor: server.executor('a', (step, n) => {
        if (step.id === 'room:!r1#verify' && n === 1) throw new Error('beta does not list the room as joined');
      }),
    });
    await toPlan(controller);
    await controller.start();
    await until(controller, idle);
    expect(controller.state.getState().progress!.failed).toBe(1);
    expect(marked).toEqual([]);
    expect((await store.load(ALICE))!.markedMovedTs).toBeUndefined();
    await controller.retry('room:!r1');
    await until(controller, (s) => !!s.journal?.markedMovedTs);
    expect(marked).toEqual([{ to: '@alice:beta', secret, token: 'old-token' }]);
    expect((await store.load(ALICE))!.markedMovedTs).toBe(1234);
    expect(controller.state.getState()).toMatchObject({ marking: undefined, askKeyToMark: false });
    // Done: nothing is left to finish, so the journal goes and the wizard says where to switch to.
    expect(await controller.finish()).toMatchObject({ target: { userId: '@alice:beta', accessToken: 'new-token' }, markPending: false });
    expect(await store.load(ALICE)).toBeUndefined();
  });

  it('old server unreachable: the mark stays pending in the journal, Done keeps it with the old token, and every later start tries again', async () => {
    const store = memoryJournalStore();
    let reachable = false;
    const tries: string[] = [];
    const markMoved: MigrationControllerDeps['markMoved'] = async (_journal, _key, source) => {
      tries.push(source.accessToken);
      if (!reachable) throw new MatrixHttpError({ kind: 'network', url: 'http://alpha/x', cause: new TypeError('Failed to fetch') });
    };
    const controller = controllerOver(store, { markMoved });
    await toPlan(controller);
    await controller.start();
    const pending = await until(controller, (s) => !!s.journal?.markError);
    expect(pending.journal!.markError).toMatch(/^alpha can’t be reached \(cannot reach alpha/);
    expect(pending.journal!.markedMovedTs).toBeUndefined();
    expect((await store.load(ALICE))!.markError).toBe(pending.journal!.markError);
    // Done while it is pending: the journal stays, with the old session's token for the later try.
    expect(await controller.finish()).toMatchObject({ markPending: true });
    expect((await store.load(ALICE))!.sourceAccessToken).toBe('old-token');
    controller.dispose();

    // A later start (a new page: the recovery key is gone, the old session ended here) opens the move and asks for it.
    const later = controllerOver(store.reopen(), { markMoved, accessToken: () => 'not-the-old-session' });
    await later.open();
    await until(later, (s) => s.askKeyToMark);
    expect(tries).toEqual(['old-token']);
    later.provideSecret(secret);
    await until(later, (s) => s.marking === undefined && (s.journal?.markAttempts ?? 0) === 2);
    expect(tries).toEqual(['old-token', 'old-token']);
    expect((await store.load(ALICE))!.markedMovedTs).toBeUndefined();
    // The old server is back: the next start, with the key in memory, finishes the move.
    reachable = true;
    await later.markMoved();
    expect(tries).toHaveLength(3);
    expect((await store.load(ALICE))!).toMatchObject({ markAttempts: 3 });
    expect((await store.load(ALICE))!.markedMovedTs).toBeGreaterThan(0);
    expect((await store.load(ALICE))!.markError).toBeUndefined();
    expect(await later.finish()).toMatchObject({ markPending: false });
    expect(await store.load(ALICE)).toBeUndefined();
  });

  it('after Done with the mark pending, the new account finds the move (pendingMarkFor over the stored journals) and only that one', async () => {
    const store = memoryJournalStore();
    const controller = controllerOver(store, {
      markMoved: async () => {
        throw new MatrixHttpError({ kind: 'timeout', url: 'http://alpha/x' });
      },
    });
    await toPlan(controller);
    await controller.start();
    await until(controller, (s) => !!s.journal?.markError);
    // Not yet Done: the old token is not kept, so the new account has nothing to finish.
    expect(pendingMarkFor(await store.list(), '@alice:beta')).toBeUndefined();
    await controller.finish();
    store.put('@zed:alpha', { format: 99 }); // unreadable: left out, never in the way
    const found = pendingMarkFor(await store.reopen().list(), '@alice:beta');
    expect(found).toMatchObject({ source: { userId: ALICE }, sourceAccessToken: 'old-token' });
    expect(pendingMarkFor(await store.list(), ALICE)).toBeUndefined();
    expect(pendingMarkFor(await store.list(), '@carol:beta')).toBeUndefined();
    // Once marked, nothing is pending any more.
    await store.save({ ...found!, markedMovedTs: 5 });
    expect(pendingMarkFor(await store.list(), '@alice:beta')).toBeUndefined();
  });

  it('a refusal of the mark is said in words, and a wrong recovery key is refused before anything is sent', async () => {
    const store = memoryJournalStore();
    const controller = controllerOver(store, {
      markMoved: async () => {
        throw new Error('alpha answered 403: wrong key');
      },
    });
    await toPlan(controller);
    await controller.start();
    const refused = await until(controller, (s) => !!s.journal?.markError);
    expect(refused.journal!.markError).toBe('Could not mark the old account moved: alpha answered 403: wrong key');
    const later = controllerOver(store.reopen());
    await later.open();
    await until(later, (s) => s.askKeyToMark);
    later.provideSecret(generateRecoverySecret());
    expect(later.state.getState().moveError).toMatch(/recovery key/);
  });
});

describe('a saved move that cannot be read blocks a new plan', () => {
  const newer = { ...savedJournal(1), format: JOURNAL_FORMAT + 1, steps: [{ id: 'x', novel: true }] };

  it('a journal of a newer format: blocked with the reason, never overwritten', async () => {
    const store = memoryJournalStore();
    store.put(ALICE, newer);
    const controller = controllerOver(store);
    await controller.open();
    const state = controller.state.getState();
    expect(state.stage).toBe('blocked');
    expect(state.blocked).toMatchObject({ reason: 'newer-format', stored: newer });
    expect(state.blocked!.message).toMatch(
      /saved by a newer version of Wayfarer \(the saved move has journal format 3; this version reads format 2\)/,
    );
    expect(state.blocked!.message).toMatch(/A new move can’t start here/);
    await controller.start();
    await expect(store.load(ALICE)).rejects.toMatchObject({ reason: 'newer-format', stored: newer });
  });

  it('a newer-format journal written while the user plans: Start moving blocks instead of overwriting it', async () => {
    const store = memoryJournalStore();
    const controller = controllerOver(store);
    await toPlan(controller);
    store.put(ALICE, newer);
    await controller.start();
    expect(controller.state.getState()).toMatchObject({ stage: 'blocked', blocked: { reason: 'newer-format' } });
    expect(controller.state.getState().journal).toBeUndefined();
    expect(store.saves).toBe(0);
    await expect(store.load(ALICE)).rejects.toMatchObject({ stored: newer });
  });

  it('a damaged journal: blocked; only an explicit discard clears the way', async () => {
    const store = memoryJournalStore();
    store.put(ALICE, { format: 1, id: 'm1', steps: 'garbled' });
    const controller = controllerOver(store);
    await controller.open();
    expect(controller.state.getState().blocked).toMatchObject({ reason: 'damaged', stored: { format: 1, id: 'm1', steps: 'garbled' } });
    expect(controller.state.getState().blocked!.message).toMatch(/can’t be read .*download it to keep it, or discard it/);
    await controller.discardBlocking();
    expect(controller.state.getState()).toMatchObject({ stage: 'target', blocked: undefined });
    expect(await store.load(ALICE)).toBeUndefined();
  });

  it('storage that can’t be read at all: blocked, since an unfinished move may be there', async () => {
    const store = memoryJournalStore();
    let broken = true;
    const flaky: MemoryJournalStore = {
      ...store,
      load: (id) => (broken ? Promise.reject(new Error('IndexedDB is unavailable')) : store.load(id)),
    };
    const controller = controllerOver(flaky);
    await controller.open();
    expect(controller.state.getState()).toMatchObject({ stage: 'blocked', blocked: { reason: 'storage' } });
    expect(controller.state.getState().blocked!.message).toMatch(/can’t be read \(IndexedDB is unavailable\)/);

    // Broken only when Start moving looks: still no blind write.
    broken = false;
    const planner = controllerOver(flaky);
    await toPlan(planner);
    broken = true;
    await planner.start();
    expect(planner.state.getState()).toMatchObject({ stage: 'blocked', blocked: { reason: 'storage' } });
    expect(store.saves).toBe(0);
  });

  it('a readable move saved meanwhile (another tab) is not overwritten either', async () => {
    const store = memoryJournalStore();
    const controller = controllerOver(store);
    await toPlan(controller);
    const other = savedJournal(1);
    await store.save(other);
    await controller.start();
    expect(controller.state.getState()).toMatchObject({
      stage: 'plan',
      starting: false,
      planError: expect.stringMatching(/was started meanwhile/),
    });
    expect(await store.load(ALICE)).toEqual(other);
  });
});
