// The client's one logger: namespaced (`logger('http')`), four levels, and a debug level that can be switched on
// at run time without a rebuild: `localStorage.wayfarerDebug = '1'` (or a list of namespaces, `'http,migration'`)
// survives reloads; `wayfarerDebug(true)` / `wayfarerDebug('http')` / `wayfarerDebug(false)` in the console
// switches at once. Warnings and errors are always written; debug lines only when switched on for the namespace.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  readonly namespace: string;
  debug(message: string, ...details: unknown[]): void;
  info(message: string, ...details: unknown[]): void;
  warn(message: string, ...details: unknown[]): void;
  error(message: string, ...details: unknown[]): void;
  /** Whether debug lines of this namespace are written now (to skip building costly details). */
  debugEnabled(): boolean;
  /**
   * For a failure that is deliberately ignored: `.catch(log.ignored('typing notice not sent; the next keystroke
   * sends another'))` keeps ignoring it, and says so (with the error) at debug level.
   */
  ignored(reason: string): (error: unknown) => undefined;
}

export interface LogRecord {
  level: LogLevel;
  namespace: string;
  message: string;
  details: unknown[];
}

export type LogSink = (record: LogRecord) => void;

const STORAGE_KEY = 'wayfarerDebug';

const consoleSink: LogSink = ({ level, namespace, message, details }) => {
  // The one place the client writes to the console.
  console[level](`[wayfarer:${namespace}] ${message}`, ...details);
};

let sink: LogSink = consoleSink;
/** `undefined`: not read yet; `true`: every namespace; a set: those namespaces (and their children, `http` → `http:media`). */
let debugSetting: true | ReadonlySet<string> | undefined;

/** Parses a debug switch: '1', 'true', '*' → all; '', '0', 'false' → none; otherwise a comma-separated list of namespaces. */
export function parseDebugSetting(value: string | null | undefined): true | ReadonlySet<string> {
  const text = (value ?? '').trim();
  if (text === '1' || text === 'true' || text === '*') return true;
  if (text === '' || text === '0' || text === 'false') return new Set();
  return new Set(
    text
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean),
  );
}

function storage(): Storage | undefined {
  try {
    return typeof localStorage === 'undefined' ? undefined : localStorage;
  } catch {
    return undefined; // storage disabled (some privacy modes throw on access): no stored switch, debug stays off
  }
}

function currentSetting(): true | ReadonlySet<string> {
  if (debugSetting === undefined) {
    let stored: string | null | undefined;
    try {
      stored = storage()?.getItem(STORAGE_KEY);
    } catch {
      stored = undefined; // unreadable storage: debug stays off
    }
    debugSetting = parseDebugSetting(stored);
  }
  return debugSetting;
}

function debugOn(namespace: string): boolean {
  const setting = currentSetting();
  if (setting === true) return true;
  if (setting.size === 0) return false;
  for (let name = namespace; ; name = name.slice(0, name.lastIndexOf(':'))) {
    if (setting.has(name)) return true;
    if (!name.includes(':')) return false;
  }
}

/**
 * Switches debug lines on (`true`, or some namespaces) or off, now and, where the browser has storage, for later
 * page loads too.
 */
export function setDebug(on: boolean | string): void {
  const value = on === true ? '1' : on === false ? '' : on;
  debugSetting = parseDebugSetting(value);
  try {
    const store = storage();
    if (value) store?.setItem(STORAGE_KEY, value);
    else store?.removeItem(STORAGE_KEY);
  } catch {
    // storage full or disabled: the switch holds for this page only, which is what was asked for first
  }
}

/** Where records go (tests collect them); returns a function that puts the previous sink back. */
export function setLogSink(next: LogSink): () => void {
  const previous = sink;
  sink = next;
  return () => {
    sink = previous;
  };
}

/** Forgets the switch read from storage, so the next line reads it again (tests). */
export function resetDebugSetting(): void {
  debugSetting = undefined;
}

export function logger(namespace: string): Logger {
  const write = (level: LogLevel, message: string, details: unknown[]) => {
    if (level === 'debug' && !debugOn(namespace)) return;
    try {
      sink({ level, namespace, message, details });
    } catch {
      // a logger never throws into the code it logs for
    }
  };
  return {
    namespace,
    debug: (message, ...details) => write('debug', message, details),
    info: (message, ...details) => write('info', message, details),
    warn: (message, ...details) => write('warn', message, details),
    error: (message, ...details) => write('error', message, details),
    debugEnabled: () => debugOn(namespace),
    ignored: (reason) => (error) => {
      write('debug', reason, [error]);
      return undefined;
    },
  };
}

declare global {
  interface Window {
    /** Console switch for debug lines: `wayfarerDebug(true)`, `wayfarerDebug('http,migration')`, `wayfarerDebug(false)`. */
    wayfarerDebug?: (on?: boolean | string) => string;
  }
}

/** Installs `window.wayfarerDebug` (called once by the app's entry point). */
export function installDebugSwitch(target: Window = window): void {
  target.wayfarerDebug = (on = true) => {
    setDebug(on);
    const setting = currentSetting();
    return setting === true ? 'debug: all namespaces' : setting.size === 0 ? 'debug: off' : `debug: ${[...setting].join(', ')}`;
  };
}
