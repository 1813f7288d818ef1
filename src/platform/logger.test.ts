import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installDebugSwitch, logger, parseDebugSetting, resetDebugSetting, setDebug, setLogSink, type LogRecord } from './logger';

/** A Storage in memory, as the browser's localStorage. */
function memoryStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() {
      return items.size;
    },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    key: (i) => [...items.keys()][i] ?? null,
    removeItem: (key) => void items.delete(key),
    setItem: (key, value) => void items.set(key, String(value)),
  };
}

describe('logger', () => {
  let records: LogRecord[];
  let restore: () => void;
  beforeEach(() => {
    records = [];
    restore = setLogSink((record) => records.push(record));
    (globalThis as { localStorage?: Storage }).localStorage = memoryStorage();
    resetDebugSetting();
  });
  afterEach(() => {
    restore();
    delete (globalThis as { localStorage?: Storage }).localStorage;
    resetDebugSetting();
  });

  it('always writes info, warnings and errors, with the namespace; debug lines only when switched on', () => {
    const log = logger('http');
    log.debug('hidden');
    log.info('i');
    log.warn('w', { detail: 1 });
    log.error('e');
    expect(records.map((r) => `${r.level} ${r.namespace} ${r.message}`)).toEqual(['info http i', 'warn http w', 'error http e']);
    expect(records[1]!.details).toEqual([{ detail: 1 }]);
    setDebug(true);
    log.debug('shown');
    expect(records.at(-1)).toMatchObject({ level: 'debug', message: 'shown' });
  });

  it('reads the switch from localStorage.wayfarerDebug, for all or some namespaces (children included)', () => {
    localStorage.setItem('wayfarerDebug', 'migration,identity');
    logger('http').debug('no');
    logger('migration').debug('yes');
    logger('identity:verify').debug('child');
    expect(records.map((r) => r.message)).toEqual(['yes', 'child']);
    expect(logger('http').debugEnabled()).toBe(false);
  });

  it('is switched at run time by window.wayfarerDebug, which also stores the switch for later loads', () => {
    const win = {} as Window;
    installDebugSwitch(win);
    expect(win.wayfarerDebug!(true)).toBe('debug: all namespaces');
    expect(localStorage.getItem('wayfarerDebug')).toBe('1');
    logger('anything').debug('on');
    expect(win.wayfarerDebug!('http')).toBe('debug: http');
    logger('anything').debug('off again');
    expect(win.wayfarerDebug!(false)).toBe('debug: off');
    expect(localStorage.getItem('wayfarerDebug')).toBeNull();
    expect(records.map((r) => r.message)).toEqual(['on']);
  });

  it('ignored(reason) swallows a failure as before and says why at debug level', async () => {
    const log = logger('chat');
    await expect(Promise.reject(new Error('offline')).catch(log.ignored('typing notice not sent'))).resolves.toBeUndefined();
    expect(records).toEqual([]);
    setDebug('chat');
    await Promise.reject(new Error('offline')).catch(log.ignored('typing notice not sent'));
    expect(records).toEqual([{ level: 'debug', namespace: 'chat', message: 'typing notice not sent', details: [new Error('offline')] }]);
  });

  it('parses the switch', () => {
    expect(parseDebugSetting('1')).toBe(true);
    expect(parseDebugSetting('*')).toBe(true);
    expect(parseDebugSetting('0')).toEqual(new Set());
    expect(parseDebugSetting(null)).toEqual(new Set());
    expect(parseDebugSetting(' http , sync ')).toEqual(new Set(['http', 'sync']));
  });

  it('never throws into the code it logs for', () => {
    restore();
    restore = setLogSink(() => {
      throw new Error('sink broke');
    });
    expect(() => logger('x').error('still fine')).not.toThrow();
  });
});
