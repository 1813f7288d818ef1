// The English catalogue against the code that uses it: every key named in src/ exists, every message parses as
// ICU MessageFormat, a message given a count has plural forms, and no message is left unused.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileMessage } from '@lingui/message-utils/compileMessage';
import { msg, t, type MessageKey } from './index';
import { isFirstScreenKey } from './firstScreen';

const srcDir = path.resolve(import.meta.dirname, '..');
const catalogue = JSON.parse(readFileSync(path.join(import.meta.dirname, 'en.json'), 'utf8')) as Record<string, string>;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'protocol' ? [] : sourceFiles(full);
    return /\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) ? [full] : [];
  });
}

const sources = sourceFiles(srcDir).map((file) => ({ file: path.relative(srcDir, file), text: readFileSync(file, 'utf8') }));

/** Every `t('key'…)`, `msg('key'…)` and `key: 'key'` in the client, with the text of its arguments up to the closing parenthesis or brace. */
function usages(): { file: string; key: string; args: string }[] {
  const found: { file: string; key: string; args: string }[] = [];
  for (const { file, text } of sources) {
    for (const match of text.matchAll(/\b(?:t|msg)\(\s*'([\w.-]+)'([^)]*)\)|\bkey: '([\w.-]+)'([^}]*)\}/g)) {
      found.push({ file, key: (match[1] ?? match[3])!, args: match[2] ?? match[4] ?? '' });
    }
  }
  return found;
}

function isPlural(message: string): boolean {
  return /\{count, plural,/.test(message) && /\bone \{/.test(message) && /\bother \{/.test(message);
}

describe('English catalogue', () => {
  it('parses every message as ICU MessageFormat', () => {
    for (const [key, message] of Object.entries(catalogue)) {
      expect(() => compileMessage(message), key).not.toThrow();
    }
  });

  it('has every key the client names, with plural forms where a count is given', () => {
    const used = usages();
    expect(used.length).toBeGreaterThan(0);
    for (const { file, key, args } of used) {
      expect(catalogue, `${file} names ${key}`).toHaveProperty([key]);
      if (/\bcount\b/.test(args)) expect(isPlural(catalogue[key]!), `${key} (given a count in ${file}) has one and other forms`).toBe(true);
    }
  });

  it('has no message the client never names', () => {
    const all = sources.map((s) => s.text).join('\n');
    const unused = Object.keys(catalogue).filter((key) => !all.includes(`'${key}'`));
    expect(unused).toEqual([]);
  });

  it('says every simple message as written: apostrophes and quotes are text, each {placeholder} its value', () => {
    for (const [key, message] of Object.entries(catalogue)) {
      if (/, (plural|select),/.test(message)) continue;
      const names = [...message.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
      const values = Object.fromEntries(names.map((name) => [name, `<${name}>`]));
      expect(t(key as MessageKey, values), key).toBe(message.replace(/\{(\w+)\}/g, '<$1>'));
    }
  });

  it('picks the plural form by count', () => {
    expect(t('migration.plan.ignoredSummary', { count: 1 })).toBe('1 ignored user');
    expect(t('migration.plan.ignoredSummary', { count: 2 })).toBe('2 ignored users');
    expect(t('migration.plan.ignoredSummary', { count: 0 })).toBe('0 ignored users');
  });

  it('formats through one t(), from a key or a descriptor', () => {
    expect(t('theme.label')).toBe('Theme');
    expect(t(msg('theme.dark'))).toBe('Dark');
    expect(t({ key: 'theme.light' as MessageKey })).toBe('Light');
  });

  it('has, in its first-screen part, every sentence that the modules the first screen loads can show', () => {
    // The modules src/main.tsx imports statically, as the build puts them in the first download.
    const seen = new Set<string>();
    const stack = [path.join(srcDir, 'main.tsx')];
    const resolve = (from: string, spec: string) =>
      ['', '.ts', '.tsx', '/index.ts']
        .map((ext) => path.resolve(path.dirname(from), spec) + ext)
        .find((file) => sources.some((s) => path.join(srcDir, s.file) === file));
    while (stack.length) {
      const file = stack.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const text = sources.find((s) => path.join(srcDir, s.file) === file)?.text ?? '';
      for (const m of text.matchAll(/^\s*(?:import|export)\s+(?!type\b)(?:[^'";]*?\sfrom\s+)?'(\.[^']+)'/gm)) {
        const next = resolve(file, m[1]!);
        if (next) stack.push(next);
      }
    }
    expect(seen.size).toBeGreaterThan(5);
    const firstScreen = [...seen].map((file) => sources.find((s) => path.join(srcDir, s.file) === file)!);
    const missing = firstScreen.flatMap(({ file, text }) =>
      [...text.matchAll(/'([a-zA-Z]+\.[\w.-]+)'/g)]
        .map((m) => m[1]!)
        .filter((key) => key in catalogue && !isFirstScreenKey(key))
        .map((key) => `${file}: ${key}`),
    );
    expect(missing, 'add the prefix to FIRST_SCREEN_PREFIXES (src/i18n/firstScreen.ts), or load the module lazily').toEqual([]);
  });
});
