/** A form's error (announced as an alert) and the step it is busy with (announced as a status), each shown only when set. */
export function FormFeedback({ error, busy }: { error?: string; busy?: string }) {
  return (
    <>
      {error && (
        <p role="alert" className="rounded-md bg-red-100 p-3 text-sm text-red-900 dark:bg-red-950 dark:text-red-100">
          {error}
        </p>
      )}
      {busy && (
        <p role="status" className="text-center text-sm text-slate-500 dark:text-slate-400">
          {busy}
        </p>
      )}
    </>
  );
}
