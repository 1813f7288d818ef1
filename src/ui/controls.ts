// Shared class names, so every control looks and focuses the same in both themes.
export const inputClass =
  'w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-slate-900 placeholder:text-slate-400 dark:border-slate-700 dark:bg-slate-900 dark:text-slate-100 focus:outline-2 focus:outline-indigo-500';
export const primaryButton =
  'rounded-md bg-indigo-600 px-3 py-2 font-medium text-white hover:bg-indigo-500 disabled:opacity-50 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-500';
export const secondaryButton =
  'rounded-md border border-slate-300 px-3 py-2 font-medium hover:bg-slate-100 disabled:opacity-50 dark:border-slate-700 dark:hover:bg-slate-800 focus-visible:outline-2 focus-visible:outline-indigo-500';
export const iconButton =
  'inline-flex h-9 min-w-9 items-center justify-center rounded-md px-2 text-slate-600 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800 focus-visible:outline-2 focus-visible:outline-indigo-500';
