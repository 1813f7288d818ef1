// One t() for every sentence the client shows. The English catalogue (en.json) is ICU MessageFormat, so plurals,
// selects and placeholders follow the Unicode CLDR rules of the language ({count, plural, one {…} other {…}}).
// Lingui's runtime formats them; the catalogue is compiled at build time (vite.config.ts), so no parser ships.
import { i18n, type Messages } from '@lingui/core';
import type en from './en.json';
import firstScreen from './en.json?first-screen';

export type MessageKey = keyof typeof en;
/** Placeholder values; a value may itself be a message (a reason inside a tooltip), formatted first. */
export type MessageValues = { [name: string]: string | number | Message };

/** A sentence as data: pure modules return these, views render them with t(). */
export interface Message {
  key: MessageKey;
  values?: MessageValues;
}

i18n.loadAndActivate({ locale: 'en', messages: firstScreen as Messages });

let rest: Promise<void> | undefined;

/**
 * Loads the rest of the catalogue (src/i18n/firstScreen.ts): what loads a screen beyond sign-in awaits it with that
 * screen's code, so no sentence shows as its key.
 */
export function loadCatalogue(): Promise<void> {
  rest ??= import('./en.json?rest').then(
    (part) => i18n.load('en', part.default as Messages),
    (error: unknown) => {
      rest = undefined;
      throw error;
    },
  );
  return rest;
}

/** `lazy(() => import('./Screen'))` for a screen beyond sign-in: its code and the rest of the catalogue. */
export function withCatalogue<T>(load: () => Promise<T>): () => Promise<T> {
  return () => Promise.all([load(), loadCatalogue()]).then(([module]) => module);
}

/** A descriptor, so pure code names a sentence without building its English. */
export function msg(key: MessageKey, values?: MessageValues): Message {
  return values ? { key, values } : { key };
}

/** The sentence in the active language. */
export function t(message: Message): string;
export function t(key: MessageKey, values?: MessageValues): string;
export function t(message: MessageKey | Message, values?: MessageValues): string {
  const [key, given] = typeof message === 'string' ? [message, values] : [message.key, message.values];
  return i18n._(key, given && formatValues(given));
}

function formatValues(values: MessageValues): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(values)) out[name] = typeof value === 'object' ? t(value) : value;
  return out;
}
