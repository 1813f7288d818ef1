// Runs a migration journal: each step is written as 'running' before it starts and as done or failed after, so a
// resumed run repeats at most the one interrupted step (and steps are idempotent, so repeating it changes nothing).
import { markDone, markFailed, markRunning, nextStep, type MigrationJournal, type StepRecord } from './journal';

/** Does one step for real; returns a short outcome ("already invited", an event ID, …). Throws to fail it. */
export type StepExecutor = (step: StepRecord, journal: MigrationJournal) => Promise<string | void>;

export interface RunOptions {
  /** Writes the journal durably; awaited before a step starts and after it ends. */
  save: (journal: MigrationJournal) => Promise<void>;
  onChange?: (journal: MigrationJournal) => void;
  /** Items worked on at once (rooms are independent); default 4. */
  concurrency?: number;
  /** Stops taking new steps (a step under way finishes and is recorded). */
  signal?: AbortSignal;
}

export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : 'Unknown error';
}

/** Runs every runnable step; resolves with the final journal when nothing more can run now. */
export async function runMigration(initial: MigrationJournal, execute: StepExecutor, options: RunOptions): Promise<MigrationJournal> {
  let journal = initial;
  const busy = new Set<string>();
  // Saves are chained so an older journal never overwrites a newer one; each save writes the latest state.
  let saving: Promise<void> = Promise.resolve();
  const commit = (next: MigrationJournal): Promise<void> => {
    journal = next;
    options.onChange?.(journal);
    saving = saving.then(() => options.save(journal));
    return saving;
  };

  const worker = async (): Promise<void> => {
    for (;;) {
      if (options.signal?.aborted) return;
      const step = nextStep(journal, busy);
      if (!step) return;
      busy.add(step.itemId);
      try {
        await commit(markRunning(journal, step.id));
        let outcome: string | void;
        try {
          outcome = await execute({ ...step, status: 'running' }, journal);
        } catch (error) {
          await commit(markFailed(journal, step.id, errorText(error)));
          continue;
        }
        await commit(markDone(journal, step.id, outcome ?? undefined));
      } finally {
        busy.delete(step.itemId);
      }
    }
  };

  // Workers that find nothing to do end; as steps finish, new ones may become runnable, so loop until quiet.
  for (;;) {
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
    if (options.signal?.aborted || !nextStep(journal, busy)) break;
  }
  await saving;
  return journal;
}
