// The migration journal: the plan and every step's outcome, persisted before and after each step so a closed tab
// or a crash resumes exactly where it stopped (PROTOCOL.md §7). Pure state transitions; persistence is elsewhere.
import type { AccountSnapshot, MigrationPath, PlanItem } from './plan';
import { msg, t } from '../../i18n';

export type StepKind =
  | 'adopt'
  | 'invite'
  | 'join'
  | 'power'
  | 'notice'
  | 'verify'
  | 'leave'
  | 'profile'
  | 'direct'
  | 'tags'
  | 'push-rules'
  | 'ignored';

export type StepStatus = 'pending' | 'running' | 'done' | 'failed';

export interface StepRecord {
  id: string;
  itemId: string;
  kind: StepKind;
  status: StepStatus;
  /** How many times the step started; a step found 'running' on resume was interrupted and runs again (steps are idempotent). */
  attempts: number;
  error?: string;
  /** What the step found or did, e.g. "already invited" or the event ID it sent. */
  outcome?: string;
  startedTs?: number;
  finishedTs?: number;
}

export interface AccountRef {
  userId: string;
  serverName: string;
  baseUrl: string;
}

export interface TargetSession extends AccountRef {
  accessToken: string;
  deviceId: string;
}

export interface MigrationOptions {
  /** Classic path: post a notice in each room that the account moved. */
  notice: boolean;
  /** Classic path: the old account leaves each room once the new one holds it. */
  leaveOld: boolean;
}

export interface MigrationJournal {
  format: typeof JOURNAL_FORMAT;
  id: string;
  createdTs: number;
  path: MigrationPath;
  source: AccountRef;
  target: TargetSession;
  options: MigrationOptions;
  snapshot: AccountSnapshot;
  items: PlanItem[];
  steps: StepRecord[];
  /** Set once the old server accepted that the account moved (the portable path's last step, PROTOCOL.md §7 step 5). */
  markedMovedTs?: number;
  /** Why the last try to mark the old account moved did not go through; it is tried again at every later start. */
  markError?: string;
  markAttempts?: number;
  /**
   * The old account's access token, kept once "Done" switched this browser to the new account while the old server
   * had not been told yet: a later start needs it (with the recovery key) to finish the move.
   */
  sourceAccessToken?: string;
}

const STEP_WORDS: Record<StepKind, string> = {
  adopt: 'taking over your membership on the new server',
  invite: 'old account invites the new one',
  join: 'new account joins',
  power: 'giving the new account your power level',
  notice: 'posting a notice in the room',
  verify: 'checking the new server’s view',
  leave: 'old account leaves',
  profile: 'copying display name and avatar',
  direct: 'copying your DM list',
  tags: 'copying room tags',
  'push-rules': 'copying notification rules',
  ignored: 'copying ignored users',
};

export function stepWords(kind: StepKind): string {
  return STEP_WORDS[kind];
}

/** The ordered steps of one selected item. Leaving comes last: nothing is removed before the target holds the room. */
export function stepKindsFor(item: PlanItem, options: MigrationOptions): StepKind[] {
  if (!item.selected || !item.movable) return [];
  switch (item.kind) {
    case 'room': {
      if (item.action === 'adopt') return ['adopt', 'verify'];
      const kinds: StepKind[] = item.action === 'reinvite' ? ['invite', 'join'] : ['join'];
      if (item.carryPowerLevel !== undefined && !item.powerNotCarried) kinds.push('power');
      if (options.notice) kinds.push('notice');
      kinds.push('verify');
      if (options.leaveOld) kinds.push('leave');
      return kinds;
    }
    case 'profile':
      return ['profile'];
    case 'direct':
      return ['direct'];
    case 'tags':
      return ['tags'];
    case 'push-rules':
      return ['push-rules'];
    case 'ignored':
      return ['ignored'];
    case 'invite':
    case 'media':
      return []; // listed with their reason, never run
  }
}

export function createJournal(init: Omit<MigrationJournal, 'format' | 'steps' | 'createdTs'> & { createdTs?: number }): MigrationJournal {
  const steps = init.items.flatMap((item) =>
    stepKindsFor(item, init.options).map(
      (kind): StepRecord => ({ id: `${item.id}#${kind}`, itemId: item.id, kind, status: 'pending', attempts: 0 }),
    ),
  );
  return { format: JOURNAL_FORMAT, createdTs: init.createdTs ?? Date.now(), ...init, steps };
}

/**
 * The journal format this version writes and reads. 2: plan items' label, summary and reason are message
 * descriptors ({ key, values }) instead of English; format 1 journals are read and upgraded (upgradeJournal).
 */
export const JOURNAL_FORMAT = 2;

/** A format 1 journal (English words in its plan items) as format 2: each text becomes a verbatim message. */
function upgradeJournal(stored: unknown): unknown {
  const v = stored as { format?: unknown; items?: unknown } | null;
  if (v?.format !== 1 || !Array.isArray(v.items)) return stored;
  const text = (value: unknown) => (typeof value === 'string' ? msg('migration.text', { text: value }) : value);
  const items = v.items.map((item: unknown) => {
    if (typeof item !== 'object' || item === null) return item;
    const old = item as { label?: unknown; summary?: unknown; reason?: unknown };
    return {
      ...old,
      label: text(old.label),
      summary: text(old.summary),
      ...(old.reason === undefined ? {} : { reason: text(old.reason) }),
    };
  });
  return { ...v, format: 2, items };
}

export function isJournal(value: unknown): value is MigrationJournal {
  const v = value as Partial<MigrationJournal> | null;
  return (
    !!v &&
    v.format === JOURNAL_FORMAT &&
    typeof v.id === 'string' &&
    Array.isArray(v.items) &&
    Array.isArray(v.steps) &&
    typeof v.target?.accessToken === 'string'
  );
}

/**
 * Something is stored where a journal belongs but this version cannot use it: written by a newer version
 * ('newer-format') or damaged. It may be an unfinished move, so a new plan must never overwrite it.
 */
export class UnreadableJournalError extends Error {
  constructor(
    readonly reason: 'newer-format' | 'damaged',
    /** The stored value as it is, for the user to keep. */
    readonly stored: unknown,
    readonly format?: number,
  ) {
    super(
      reason === 'newer-format'
        ? t('migration.journal.newerFormat', { format: String(format), current: String(JOURNAL_FORMAT) })
        : t('migration.journal.damaged'),
    );
  }
}

/** A stored value as a journal: undefined when nothing is stored, UnreadableJournalError when it can't be used. */
export function readJournal(stored: unknown): MigrationJournal | undefined {
  if (stored === undefined || stored === null) return undefined;
  const upgraded = upgradeJournal(stored);
  if (isJournal(upgraded)) return upgraded;
  const format = (stored as { format?: unknown }).format;
  if (typeof format === 'number' && format > JOURNAL_FORMAT) throw new UnreadableJournalError('newer-format', stored, format);
  throw new UnreadableJournalError('damaged', stored, typeof format === 'number' ? format : undefined);
}

/**
 * The next step to run, or undefined when nothing can run. A step runs when every earlier step of its item is
 * done; an item with a failed step waits for a retry while the others go on. Account data that names rooms
 * (tags, DMs) waits until every room item is settled, so it only lists rooms the target really holds; the profile
 * waits too, so its change (the avatar uploaded again) reaches every room the target holds.
 */
export function nextStep(journal: MigrationJournal, busyItemIds: ReadonlySet<string> = new Set()): StepRecord | undefined {
  const roomsSettled = journal.steps
    .filter((s) => s.itemId.startsWith('room:'))
    .every((s) => s.status === 'done' || s.status === 'failed' || blockedByFailure(journal, s));
  for (const step of journal.steps) {
    if (step.status !== 'pending' && step.status !== 'running') continue;
    if (busyItemIds.has(step.itemId)) continue;
    if (!earlierStepsDone(journal, step)) continue;
    // The profile too: its avatar, uploaded again to the new server, then reaches every room the new account is in.
    if ((step.kind === 'tags' || step.kind === 'direct' || step.kind === 'profile') && !roomsSettled) continue;
    return step;
  }
  return undefined;
}

function earlierStepsDone(journal: MigrationJournal, step: StepRecord): boolean {
  for (const other of journal.steps) {
    if (other.id === step.id) return true;
    if (other.itemId === step.itemId && other.status !== 'done') return false;
  }
  return true;
}

function blockedByFailure(journal: MigrationJournal, step: StepRecord): boolean {
  return journal.steps.some((s) => s.itemId === step.itemId && s.status === 'failed');
}

function patchStep(journal: MigrationJournal, stepId: string, patch: (step: StepRecord) => StepRecord): MigrationJournal {
  let found = false;
  const steps = journal.steps.map((s) => {
    if (s.id !== stepId) return s;
    found = true;
    return patch(s);
  });
  if (!found) throw new Error(`No step ${stepId} in this migration`);
  return { ...journal, steps };
}

export function markRunning(journal: MigrationJournal, stepId: string, now = Date.now()): MigrationJournal {
  return patchStep(journal, stepId, (s) => ({ ...s, status: 'running', attempts: s.attempts + 1, startedTs: now, error: undefined }));
}

export function markDone(journal: MigrationJournal, stepId: string, outcome?: string, now = Date.now()): MigrationJournal {
  return patchStep(journal, stepId, (s) => ({
    ...s,
    status: 'done',
    finishedTs: now,
    error: undefined,
    ...(outcome !== undefined ? { outcome } : {}),
  }));
}

export function markFailed(journal: MigrationJournal, stepId: string, error: string, now = Date.now()): MigrationJournal {
  return patchStep(journal, stepId, (s) => ({ ...s, status: 'failed', finishedTs: now, error }));
}

/** Puts an item's failed step back in the queue. */
export function retryItem(journal: MigrationJournal, itemId: string): MigrationJournal {
  return { ...journal, steps: journal.steps.map((s) => (s.itemId === itemId && s.status === 'failed' ? { ...s, status: 'pending' } : s)) };
}

export type ItemState = 'waiting' | 'running' | 'done' | 'failed' | 'skipped';

export interface ItemProgress {
  item: PlanItem;
  state: ItemState;
  done: number;
  total: number;
  /** The step in words while running or failed. */
  current?: string;
  error?: string;
}

export interface Progress {
  done: number;
  total: number;
  failed: number;
  items: ItemProgress[];
  /** Nothing more can run until a failed item is retried (or everything is done). */
  finished: boolean;
}

export function progressOf(journal: MigrationJournal): Progress {
  const items = journal.items.map((item): ItemProgress => {
    const steps = journal.steps.filter((s) => s.itemId === item.id);
    if (steps.length === 0) return { item, state: 'skipped', done: 0, total: 0 };
    const done = steps.filter((s) => s.status === 'done').length;
    const failed = steps.find((s) => s.status === 'failed');
    const running = steps.find((s) => s.status === 'running');
    const next = steps.find((s) => s.status !== 'done');
    if (failed) return { item, state: 'failed', done, total: steps.length, current: stepWords(failed.kind), error: failed.error };
    if (done === steps.length) return { item, state: 'done', done, total: steps.length };
    return { item, state: running ? 'running' : 'waiting', done, total: steps.length, current: next ? stepWords(next.kind) : undefined };
  });
  const done = journal.steps.filter((s) => s.status === 'done').length;
  const failed = items.filter((i) => i.state === 'failed').length;
  // Finished: nothing left that could run without a retry (steps behind a failed one wait for it).
  return { done, total: journal.steps.length, failed, items, finished: nextStep(journal) === undefined };
}

export interface MigrationSummary {
  migration: string;
  path: MigrationPath;
  from: string;
  to: string;
  started: string;
  markedMoved: string | null;
  items: {
    item: string;
    kind: string;
    roomId?: string;
    plan: string;
    reason?: string;
    unblock?: string;
    outcome: 'moved' | 'failed' | 'not selected' | 'cannot move' | 'stays on the old server' | 'in progress';
    steps: { step: StepKind; status: StepStatus; attempts: number; outcome?: string; error?: string }[];
  }[];
}

/** The downloadable record of the migration: every item and its outcome. */
export function summaryOf(journal: MigrationJournal): MigrationSummary {
  const progress = progressOf(journal);
  return {
    migration: journal.id,
    path: journal.path,
    from: journal.source.userId,
    to: journal.target.userId,
    started: new Date(journal.createdTs).toISOString(),
    markedMoved: journal.markedMovedTs ? new Date(journal.markedMovedTs).toISOString() : null,
    items: progress.items.map(({ item, state }) => ({
      item: t(item.label),
      kind: item.kind,
      ...(item.roomId ? { roomId: item.roomId } : {}),
      plan: t(item.summary),
      ...(item.reason ? { reason: t(item.reason) } : {}),
      ...(item.unblock ? { unblock: t(item.unblock) } : {}),
      outcome: !item.movable
        ? item.kind === 'media'
          ? 'stays on the old server'
          : 'cannot move'
        : state === 'skipped'
          ? 'not selected'
          : state === 'done'
            ? 'moved'
            : state === 'failed'
              ? 'failed'
              : 'in progress',
      steps: journal.steps
        .filter((s) => s.itemId === item.id)
        .map((s) => ({
          step: s.kind,
          status: s.status,
          attempts: s.attempts,
          ...(s.outcome ? { outcome: s.outcome } : {}),
          ...(s.error ? { error: s.error } : {}),
        })),
    })),
  };
}

/** Every room item's steps are done: the new server holds (and the check confirmed) every room that was to move. */
export function roomsHeld(journal: MigrationJournal): boolean {
  return journal.steps.filter((s) => s.itemId.startsWith('room:')).every((s) => s.status === 'done');
}

/**
 * The portable path's last step is due (PROTOCOL.md §7 step 5): the new server holds every room, and the old
 * server has not accepted yet that the account moved. A classic move has no such step (its old account is not
 * portable, or the new server can't take the identity).
 */
export function markDue(journal: MigrationJournal): boolean {
  return journal.path === 'portable' && !journal.markedMovedTs && roomsHeld(journal);
}

/**
 * A move that ended on `userId` (its "Done" switched this browser there) while its old server was not told yet:
 * the new account's session offers to finish it (PROTOCOL.md §7 step 5, "retried at every later start").
 */
export function pendingMarkFor(journals: readonly MigrationJournal[], userId: string): MigrationJournal | undefined {
  return journals.find((j) => j.target.userId === userId && j.source.userId !== userId && j.sourceAccessToken && markDue(j));
}

/** Room IDs the target holds: their check on the target passed. */
export function movedRoomIds(journal: MigrationJournal): Set<string> {
  const ids = new Set<string>();
  for (const step of journal.steps) {
    if (step.kind !== 'verify' || step.status !== 'done') continue;
    const roomId = journal.items.find((i) => i.id === step.itemId)?.roomId;
    if (roomId) ids.add(roomId);
  }
  return ids;
}
