// The migration wizard's state and actions, apart from its views (Hydrogen's view-model discipline): one controller
// per opening of the wizard, a vanilla zustand store the stage views select from, and the journal (through a
// JournalStore) as the only thing that outlives it. The recovery key lives in the controller's memory only.
import { createStore, type StoreApi } from 'zustand/vanilla';
import { deriveMemberRoot } from '../../protocol';
import { loginWithPassword, registerWithPassword } from '../../matrix/auth';
import {
  accountKeyId,
  loginWithAccountKey,
  proveAccountKey,
  registerWithAccountKey,
  isUnknownAccountKey,
} from '../portable/accountKeyAuth';
import type { PortableStatus } from '../portable/portableRooms';
import { createExecutor, markOldAccountMoved, memberSeedFor, type Endpoint } from './executor';
import {
  createJournal,
  markDue,
  progressOf,
  retryItem,
  summaryOf,
  UnreadableJournalError,
  type AccountRef,
  type MigrationJournal,
  type MigrationOptions,
  type MigrationSummary,
  type Progress,
  type TargetSession,
} from './journal';
import type { JournalStore } from './persistence';
import type { RateLimitWait } from './rateLimit';
import { buildPlan, toggleItem, type AccountSnapshot, type MigrationPath, type PlanItem } from './plan';
import { errorText, runMigration, type StepExecutor } from './runner';
import { checkTarget, choosePath, type TargetServer } from './targetCheck';
import { logger } from '../../platform/logger';
import { MatrixHttpError } from '../../matrix/http';
import { t, type Message } from '../../i18n';

const log = logger('migration');

export type WizardStage = 'loading' | 'blocked' | 'target' | 'prove' | 'plan' | 'move';

/** Why no new move can be planned: something is stored that may be an unfinished move, and it is never overwritten. */
export interface Blocked {
  reason: 'newer-format' | 'damaged' | 'storage';
  message: string;
  /** What is stored, as it is, for the user to download ('storage': nothing could be read). */
  stored?: unknown;
}

export interface MigrationWizardState {
  stage: WizardStage;
  blocked?: Blocked;
  /** `undefined`: the old server could not be asked (offline); the recovery key and the plan decide. */
  oldPortable: boolean | undefined;
  oldAccountKey?: string;

  // Where to
  checking: boolean;
  checked?: TargetServer;
  choice?: { path: MigrationPath; explanation: Message };
  targetError?: string;
  target?: TargetServer;
  path: MigrationPath;

  // Prove it's you: what is under way, in words
  proving?: string;
  proveError?: string;

  // Plan
  session?: TargetSession;
  snapshot?: AccountSnapshot;
  items: PlanItem[];
  options: MigrationOptions;
  starting: boolean;
  planError?: string;

  // Move, check and finish
  journal?: MigrationJournal;
  progress?: Progress;
  hasSecret: boolean;
  /** Portable adoptions are left and the recovery key is not in memory: the move waits for it. */
  needsSecret: boolean;
  running: boolean;
  moveError?: string;
  /** A server answered 429: the move waits this out and goes on (shown at the progress bar). */
  rateLimit?: RateLimitWait;
  askKeyToMark: boolean;
  marking?: string;
}

export type ProveInput =
  | { path: 'portable'; secret: Uint8Array; username: string }
  | { path: 'classic'; mode: 'register' | 'login'; username: string; password: string };

interface NewSession {
  userId: string;
  accessToken: string;
  deviceId: string;
}

export interface MigrationControllerDeps {
  /** The old account. */
  source: AccountRef;
  /** The old account's access token, read when a run starts. */
  accessToken: () => string;
  store: JournalStore;
  portableStatus: () => Promise<PortableStatus>;
  /** The old account as this device last synced it (works with the old server offline). */
  takeSnapshot: (portable: boolean) => Promise<AccountSnapshot>;
  /** The rest talks to real servers unless a test says otherwise. */
  fetch?: typeof fetch;
  checkTarget?: (input: string, sourceServerName: string) => Promise<TargetServer>;
  auth?: {
    loginWithAccountKey: (server: { baseUrl: string; serverName: string }, secret: Uint8Array) => Promise<NewSession>;
    registerWithAccountKey: (server: { baseUrl: string; serverName: string }, secret: Uint8Array, username: string) => Promise<NewSession>;
    loginWithPassword: (baseUrl: string, username: string, password: string) => Promise<NewSession>;
    registerWithPassword: (baseUrl: string, username: string, password: string) => Promise<NewSession>;
  };
  createExecutor?: (deps: {
    fetch: typeof fetch;
    source: Endpoint;
    memberRoot?: Uint8Array;
    onRateLimit?: (wait: RateLimitWait | undefined) => void;
  }) => StepExecutor;
  /** Tells the old server the account moved, proving the account key with the recovery key. */
  markMoved?: (journal: MigrationJournal, secret: Uint8Array, source: Endpoint, fetchImpl: typeof fetch) => Promise<void>;
  now?: () => number;
  newId?: () => string;
}

const realAuth: NonNullable<MigrationControllerDeps['auth']> = {
  loginWithAccountKey,
  registerWithAccountKey,
  loginWithPassword,
  registerWithPassword,
};

const realMarkMoved: NonNullable<MigrationControllerDeps['markMoved']> = (journal, secret, source, fetchImpl) =>
  markOldAccountMoved(fetchImpl, source, journal.target.userId, async (patient) => ({
    ...(await proveAccountKey({ baseUrl: journal.source.baseUrl, serverName: journal.source.serverName }, secret, patient)),
  }));

/**
 * The run under way per journal store and old account, across controllers (openings of the wizard, React's double
 * mount) in this page: a queue, so a second run waits for the first to finish its step and goes on from what it saved.
 */
const runQueues = new WeakMap<JournalStore, Map<string, Promise<void>>>();

async function takeRunLock(store: JournalStore, owner: string): Promise<{ waited: boolean; release: () => void }> {
  let queues = runQueues.get(store);
  if (!queues) runQueues.set(store, (queues = new Map()));
  const earlier = queues.get(owner);
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const tail = (earlier ?? Promise.resolve()).then(() => mine);
  queues.set(owner, tail);
  await earlier;
  return {
    waited: earlier !== undefined,
    release: () => {
      release();
      if (queues.get(owner) === tail) queues.delete(owner);
    },
  };
}

function blockedBy(error: unknown, userId: string): Blocked {
  if (error instanceof UnreadableJournalError) {
    return error.reason === 'newer-format'
      ? {
          reason: 'newer-format',
          stored: error.stored,
          message: t('migration.blocked.newerFormat', { userId, problem: error.message }),
        }
      : {
          reason: 'damaged',
          stored: error.stored,
          message: t('migration.blocked.damaged', { userId, problem: error.message }),
        };
  }
  return {
    reason: 'storage',
    message: t('migration.blocked.storage', { userId, problem: errorText(error) }),
  };
}

export class MigrationController {
  readonly state: StoreApi<MigrationWizardState>;
  private secret: Uint8Array | undefined;
  private readonly stops = new Set<AbortController>();
  private disposed = false;
  private marking = false;
  private readonly fetch: typeof fetch;
  private readonly auth: NonNullable<MigrationControllerDeps['auth']>;

  constructor(private readonly deps: MigrationControllerDeps) {
    this.fetch = deps.fetch ?? globalThis.fetch.bind(globalThis);
    this.auth = deps.auth ?? realAuth;
    this.state = createStore<MigrationWizardState>()(() => ({
      stage: 'loading',
      oldPortable: undefined,
      checking: false,
      path: 'classic',
      items: [],
      options: { notice: true, leaveOld: false },
      starting: false,
      hasSecret: false,
      needsSecret: false,
      running: false,
      askKeyToMark: false,
    }));
  }

  get userId(): string {
    return this.deps.source.userId;
  }

  get serverName(): string {
    return this.deps.source.serverName;
  }

  private get now(): number {
    return (this.deps.now ?? Date.now)();
  }

  private set(patch: Partial<MigrationWizardState>): void {
    this.state.setState(patch);
  }

  private get current(): MigrationWizardState {
    return this.state.getState();
  }

  private setJournal(journal: MigrationJournal): void {
    this.set({ journal, progress: progressOf(journal), needsSecret: this.needsSecretFor(journal) });
  }

  private needsSecretFor(journal: MigrationJournal): boolean {
    return journal.path === 'portable' && !this.secret && journal.steps.some((s) => s.kind === 'adopt' && s.status !== 'done');
  }

  private keepSecret(secret: Uint8Array): void {
    this.secret = secret;
    const { journal } = this.current;
    this.set({ hasSecret: true, ...(journal ? { needsSecret: this.needsSecretFor(journal) } : {}) });
  }

  /** Reads the old server's view of the account and this device's journal: resumes a saved move, or starts at "Where to". */
  async open(): Promise<void> {
    // Unknown (the old server is offline) is an answer: the recovery key and the plan decide.
    const status = await this.deps.portableStatus().catch(log.ignored('the old server did not say whether the account is portable'));
    if (this.disposed) return;
    this.set(
      status === undefined
        ? { oldPortable: undefined }
        : status.portable
          ? { oldPortable: true, oldAccountKey: status.accountKey }
          : { oldPortable: false },
    );
    let saved: MigrationJournal | undefined;
    try {
      saved = await this.deps.store.load(this.userId);
    } catch (error) {
      if (!this.disposed) this.set({ stage: 'blocked', blocked: blockedBy(error, this.userId) });
      return;
    }
    if (this.disposed) return;
    if (saved) this.enterMove(saved);
    else this.set({ stage: 'target' });
  }

  /** Closing the wizard: no new steps start; the one under way finishes and is recorded. */
  dispose(): void {
    this.disposed = true;
    for (const stop of this.stops) stop.abort();
  }

  // ── Where to ──

  async checkTarget(input: string): Promise<void> {
    this.set({ checking: true, targetError: undefined, checked: undefined, choice: undefined });
    try {
      const checked = await (this.deps.checkTarget ?? checkTarget)(input, this.deps.source.serverName);
      this.set({ checked, choice: choosePath(this.current.oldPortable, checked) });
    } catch (error) {
      this.set({ targetError: errorText(error) });
    } finally {
      this.set({ checking: false });
    }
  }

  /** Goes on with the checked server and the path chosen for it. */
  chooseTarget(): void {
    const { checked, choice } = this.current;
    if (!checked || !choice) return;
    this.set({ target: checked, path: choice.path, stage: 'prove', proveError: undefined });
  }

  backToTarget(): void {
    this.set({ stage: 'target', checked: undefined, choice: undefined, targetError: undefined });
  }

  // ── Prove it's you ──

  async prove(input: ProveInput): Promise<void> {
    const { target } = this.current;
    if (!target) return;
    const server = { baseUrl: target.baseUrl, serverName: target.serverName };
    const toTarget = (s: NewSession): TargetSession => ({
      userId: s.userId,
      accessToken: s.accessToken,
      deviceId: s.deviceId,
      baseUrl: target.baseUrl,
      serverName: target.serverName,
    });
    this.set({ proveError: undefined });
    try {
      if (input.path === 'portable') {
        const { oldAccountKey } = this.current;
        if (oldAccountKey && accountKeyId(input.secret) !== oldAccountKey) {
          this.set({ proveError: t('migration.prove.wrongKey', { userId: this.userId }) });
          return;
        }
        this.set({ proving: t('migration.prove.signingInWithKey', { server: target.serverName }) });
        let session: NewSession;
        try {
          session = await this.auth.loginWithAccountKey(server, input.secret);
        } catch (error) {
          if (!isUnknownAccountKey(error)) throw error;
          this.set({ proving: t('migration.prove.bringing', { server: target.serverName, username: input.username }) });
          session = await this.auth.registerWithAccountKey(server, input.secret, input.username);
        }
        this.set({ proving: t('migration.prove.readingRooms') });
        await this.plan(toTarget(session), input.secret);
      } else {
        this.set({
          proving:
            input.mode === 'register'
              ? t('migration.prove.creating', { username: input.username, server: target.serverName })
              : t('migration.prove.signingIn', { server: target.serverName }),
        });
        const signIn = input.mode === 'register' ? this.auth.registerWithPassword : this.auth.loginWithPassword;
        const session = await signIn(target.baseUrl, input.username, input.password);
        this.set({ proving: t('migration.prove.readingRooms') });
        await this.plan(toTarget(session));
      }
    } catch (error) {
      this.set({ proveError: errorText(error) });
    } finally {
      this.set({ proving: undefined });
    }
  }

  private async plan(session: TargetSession, secret?: Uint8Array): Promise<void> {
    if (secret) this.keepSecret(secret);
    const { path, oldPortable } = this.current;
    const snapshot = await this.deps.takeSnapshot(oldPortable ?? path === 'portable');
    const root = secret ? deriveMemberRoot(secret) : undefined;
    const items = buildPlan({
      snapshot,
      path,
      targetUserId: session.userId,
      ...(root ? { keyIsDerivable: (room) => memberSeedFor(root, room) !== undefined } : {}),
    });
    this.set({ session, snapshot, items, options: { notice: path === 'classic', leaveOld: false }, planError: undefined, stage: 'plan' });
  }

  // ── Plan ──

  toggle(itemId: string, selected: boolean): void {
    this.set({ items: toggleItem(this.current.items, itemId, selected) });
  }

  setOptions(patch: Partial<MigrationOptions>): void {
    this.set({ options: { ...this.current.options, ...patch } });
  }

  /** Writes the journal before anything runs (from then on a closed tab resumes), then starts moving. */
  async start(): Promise<void> {
    const { session, snapshot, items, options, path } = this.current;
    if (!session || !snapshot || this.current.starting) return;
    this.set({ starting: true, planError: undefined });
    // Never overwrite what is saved: a move planned in another tab, or one this version can't read.
    let existing: MigrationJournal | undefined;
    try {
      existing = await this.deps.store.load(this.userId);
    } catch (error) {
      this.set({ starting: false, stage: 'blocked', blocked: blockedBy(error, this.userId) });
      return;
    }
    if (existing) {
      this.set({ starting: false, planError: t('migration.start.meanwhile', { userId: this.userId }) });
      return;
    }
    const journal = createJournal({
      id: this.deps.newId?.() ?? `${this.now.toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
      createdTs: this.now,
      path,
      source: { userId: this.userId, serverName: this.deps.source.serverName, baseUrl: this.deps.source.baseUrl },
      target: session,
      options,
      snapshot,
      items,
    });
    try {
      await this.deps.store.save(journal);
    } catch (error) {
      this.set({ starting: false, planError: t('migration.start.saveFailed', { problem: errorText(error) }) });
      return;
    }
    this.set({ starting: false });
    this.enterMove(journal);
  }

  // ── Move ──

  private enterMove(journal: MigrationJournal): void {
    this.setJournal(journal);
    this.set({ stage: 'move' });
    // Resume: steps left 'running' by a closed tab run again (each is idempotent); a finished move whose old server
    // was not told yet tries that again (this is the "every later start" of PROTOCOL.md §7 step 5).
    if (!this.current.needsSecret) void this.run();
  }

  /** Runs what can run now; resolves when nothing more can (or the wizard closed). Never two runs of one journal at once. */
  async run(): Promise<void> {
    let journal = this.current.journal;
    if (!journal || this.disposed) return;
    this.set({ running: true, moveError: undefined });
    const stop = new AbortController();
    this.stops.add(stop);
    const lock = await takeRunLock(this.deps.store, journal.source.userId);
    try {
      // A run of another opening may have finished steps meanwhile: go on from what it saved.
      if (lock.waited) {
        journal = (await this.deps.store.load(journal.source.userId)) ?? journal;
        this.setJournal(journal);
      }
      if (stop.signal.aborted) return;
      const execute = (this.deps.createExecutor ?? createExecutor)({
        fetch: this.fetch,
        source: { baseUrl: journal.source.baseUrl, accessToken: this.deps.accessToken() },
        ...(this.secret ? { memberRoot: deriveMemberRoot(this.secret) } : {}),
        onRateLimit: (rateLimit) => this.set({ rateLimit }),
      });
      journal = await runMigration(journal, execute, {
        save: this.deps.store.save,
        onChange: (next) => this.setJournal(next),
        signal: stop.signal,
      });
    } catch (error) {
      this.set({ moveError: t('migration.move.stopped', { problem: errorText(error) }) });
      return;
    } finally {
      lock.release();
      this.stops.delete(stop);
      this.set({ running: false, rateLimit: undefined });
    }
    // The move's last step, once the new server holds every room: the old server learns that the account moved.
    if (!stop.signal.aborted && markDue(journal)) await this.markMoved();
  }

  /** Puts a failed item back in the queue and runs. */
  async retry(itemId: string): Promise<void> {
    const { journal } = this.current;
    if (!journal) return;
    const next = retryItem(journal, itemId);
    await this.deps.store.save(next);
    this.setJournal(next);
    void this.run();
  }

  /** The recovery key asked for on the move stage: continues the move, or the marking it was asked for. */
  provideSecret(secret: Uint8Array): void {
    const { journal, oldAccountKey, askKeyToMark } = this.current;
    if (!journal) return;
    if (oldAccountKey && accountKeyId(secret) !== oldAccountKey) {
      this.set({ moveError: t('migration.move.wrongKey', { userId: journal.source.userId }) });
      return;
    }
    this.set({ moveError: undefined });
    this.keepSecret(secret);
    if (askKeyToMark) void this.markMoved();
    else void this.run();
  }

  /**
   * The portable path's last step (PROTOCOL.md §7 step 5), run on its own once the new server holds every room: the
   * old server learns where the account went, forgets its member keys and answers the old account's sessions with
   * where it went. It needs the recovery key (asked for when not in memory). An old server that can't be reached
   * leaves it pending in the journal, and every later start of the move tries again.
   */
  async markMoved(): Promise<void> {
    const { journal } = this.current;
    if (!journal || !markDue(journal) || this.marking) return;
    const secret = this.secret;
    if (!secret) {
      this.set({ askKeyToMark: true });
      return;
    }
    this.marking = true;
    this.set({ askKeyToMark: false, marking: t('migration.mark.marking', { server: journal.source.serverName }) });
    let next: MigrationJournal;
    try {
      await (this.deps.markMoved ?? realMarkMoved)(
        journal,
        secret,
        { baseUrl: journal.source.baseUrl, accessToken: journal.sourceAccessToken ?? this.deps.accessToken() },
        this.fetch,
      );
      const { markError: _done, ...rest } = this.current.journal!;
      next = { ...rest, markedMovedTs: this.now, markAttempts: (journal.markAttempts ?? 0) + 1 };
    } catch (error) {
      const unreachable = error instanceof MatrixHttpError ? !error.answered || error.httpStatus >= 500 : !(error instanceof Error);
      next = {
        ...this.current.journal!,
        markAttempts: (journal.markAttempts ?? 0) + 1,
        markError: unreachable
          ? t('migration.mark.unreachable', { server: journal.source.serverName, problem: errorText(error) })
          : t('migration.mark.failed', { problem: errorText(error) }),
      };
    } finally {
      this.marking = false;
      this.set({ marking: undefined });
    }
    try {
      await this.deps.store.save(next);
    } catch (error) {
      // Not saved: the next start tries the step again (marking twice with the same target is a no-op).
      log.warn('the outcome of marking the old account moved was not saved', error);
    }
    this.setJournal(next);
  }

  summary(): MigrationSummary | undefined {
    const { journal } = this.current;
    return journal ? summaryOf(journal) : undefined;
  }

  /**
   * Done: the new account this browser switches to. The journal is no longer needed once the old server was told;
   * while that is still pending it stays, with the old account's token, so a later start can finish the move.
   */
  async finish(): Promise<{ target: TargetSession; markPending: boolean } | undefined> {
    const { journal } = this.current;
    if (!journal) return undefined;
    const markPending = journal.path === 'portable' && !journal.markedMovedTs;
    if (markPending) await this.deps.store.save({ ...journal, sourceAccessToken: journal.sourceAccessToken ?? this.deps.accessToken() });
    else await this.deps.store.remove(this.userId);
    return { target: journal.target, markPending };
  }

  // ── Blocked ──

  /** The user chose to throw away what blocks a new move (it can't be read or continued here); then plan anew. */
  async discardBlocking(): Promise<void> {
    try {
      await this.deps.store.remove(this.userId);
      this.set({ stage: 'target', blocked: undefined });
    } catch (error) {
      const blocked = this.current.blocked;
      if (blocked)
        this.set({
          blocked: { ...blocked, message: t('migration.blocked.discardFailed', { message: blocked.message, problem: errorText(error) }) },
        });
    }
  }
}

export function createMigrationController(deps: MigrationControllerDeps): MigrationController {
  return new MigrationController(deps);
}
