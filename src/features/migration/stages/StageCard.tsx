// What every stage of the migration wizard shows the same way: its card, a problem, a progress bar.
import type { ReactNode } from 'react';
import { useStore } from 'zustand';
import type { MigrationController, MigrationWizardState } from '../migrationController';

/** A slice of the wizard's state; the view re-renders when that slice changes. */
export function useWizard<T>(controller: MigrationController, select: (state: MigrationWizardState) => T): T {
  return useStore(controller.state, select);
}

export function Card({ title, step, children }: { title: string; step?: number; children: ReactNode }) {
  return (
    <section aria-labelledby="migration-stage" className="space-y-4">
      {step !== undefined && <p className="text-sm text-subtle">Step {step} of 5</p>}
      <h2 id="migration-stage" className="text-xl font-semibold">
        {title}
      </h2>
      {children}
    </section>
  );
}

export function Problem({ text }: { text?: string }) {
  return text ? (
    <p role="alert" className="rounded-md bg-danger-surface p-2 text-sm text-danger-fg">
      {text}
    </p>
  ) : null;
}

export function Bar({ label, value, max }: { label: string; value: number; max: number }) {
  return <progress aria-label={label} className="h-2 w-full accent-indigo-600" value={value} max={Math.max(1, max)} />;
}

/** Saves JSON as a file the browser downloads. */
export function downloadJson(value: unknown, fileName: string): void {
  const blob = new Blob([JSON.stringify(value, null, 2)], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
