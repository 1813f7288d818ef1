// Shared class names, so every control looks and focuses the same in both themes.
export const inputClass =
  'w-full rounded-md border border-line-strong bg-surface-raised px-3 py-2 text-fg placeholder:text-slate-400 focus:outline-2 focus:outline-indigo-500';
export const primaryButton =
  'rounded-md bg-indigo-600 px-3 py-2 font-medium text-white hover:bg-indigo-500 disabled:opacity-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-500';
export const secondaryButton =
  'rounded-md border border-line-strong px-3 py-2 font-medium hover:bg-surface-muted disabled:opacity-50 focus-visible:outline-2 focus-visible:outline-indigo-500';
export const iconButton =
  'inline-flex h-9 min-w-9 items-center justify-center rounded-md px-2 text-muted hover:bg-surface-muted focus-visible:outline-2 focus-visible:outline-indigo-500';
