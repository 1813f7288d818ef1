// Notification keywords as push rules: one content rule per keyword (the spec's `content` kind matches whole words
// of the body), notifying with sound and highlight, as Element keeps them. Pure: the settings screen applies them.
import { msg, type Message } from '../../i18n';

export const KEYWORD_ACTIONS = ['notify', { set_tweak: 'sound', value: 'default' }, { set_tweak: 'highlight' }] as const;
export const MAX_KEYWORD_LENGTH = 100;

interface RuleLike {
  rule_id?: unknown;
  pattern?: unknown;
  default?: unknown;
}

/** The keywords of a push rule set: its user-made content rules (server defaults start with a dot). */
export function keywordsOf(rules: { global?: { content?: readonly RuleLike[] } } | undefined): string[] {
  const content = rules?.global?.content;
  if (!Array.isArray(content)) return [];
  return content
    .filter((r) => typeof r.rule_id === 'string' && !r.rule_id.startsWith('.') && r.default !== true && typeof r.pattern === 'string')
    .map((r) => r.pattern as string);
}

/**
 * The keyword as it will be kept, or why it cannot be: a rule's pattern is a glob and its ID a path segment, so
 * wildcards (which would match every message), slashes and leading dots are refused.
 */
export function readKeyword(text: string, existing: readonly string[]): { keyword: string } | { problem: Message } {
  const keyword = text.trim().replace(/\s+/g, ' ');
  if (!keyword) return { problem: msg('settings.keywords.empty') };
  if (keyword.length > MAX_KEYWORD_LENGTH) return { problem: msg('settings.keywords.tooLong', { max: MAX_KEYWORD_LENGTH }) };
  if (/[*?[\]/\\]/.test(keyword) || keyword.startsWith('.')) return { problem: msg('settings.keywords.badCharacters') };
  if (existing.some((k) => k.toLowerCase() === keyword.toLowerCase())) return { problem: msg('settings.keywords.duplicate', { keyword }) };
  return { keyword };
}
