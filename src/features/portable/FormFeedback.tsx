/** A form's error (announced as an alert) and the step it is busy with (announced as a status), each shown only when set. */
export function FormFeedback({ error, busy }: { error?: string; busy?: string }) {
  return (
    <>
      {error && (
        <p role="alert" className="rounded-md bg-danger-surface p-3 text-sm text-danger-fg">
          {error}
        </p>
      )}
      {busy && (
        <p role="status" className="text-center text-sm text-subtle">
          {busy}
        </p>
      )}
    </>
  );
}
