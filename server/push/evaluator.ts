// Push-rule evaluation (Client-Server API, "Push Rules"): a pure function of a ruleset, an event and what the
// server knows about the room and the user; it decides whether the event notifies and highlights.

export const RULE_KINDS = ['override', 'content', 'room', 'sender', 'underride'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

export interface PushCondition {
  kind: string;
  [field: string]: unknown;
}

export interface PushRule {
  rule_id: string;
  default?: boolean;
  enabled: boolean;
  conditions?: PushCondition[];
  pattern?: string;
  actions: unknown[];
}

export interface PushRuleset {
  global: Partial<Record<RuleKind, PushRule[]>>;
}

/** The event as push rules see it: the client-format fields they can match on. */
export type PushEvent = Record<string, unknown> & { type: string; sender: string; content: Record<string, unknown> };

export interface PushContext {
  /** The user the rules belong to. */
  userId: string;
  /** The user's display name in the room (from their member event), if any. */
  displayName?: string;
  /** Joined members of the room. */
  memberCount: number;
  senderPowerLevel: number;
  /** The room's `m.room.power_levels` `notifications` object (absent keys default to 50). */
  notificationLevels?: Record<string, unknown>;
}

export interface PushOutcome {
  notify: boolean;
  highlight: boolean;
  sound?: string;
  /** The rule that matched, or undefined when none did. */
  ruleId?: string;
}

const NOTHING: PushOutcome = { notify: false, highlight: false };

/** Deprecated since v1.7: the spec enables these only for events without `m.mentions`. */
const LEGACY_MENTION_RULES = new Set(['.m.rule.contains_display_name', '.m.rule.roomnotif', '.m.rule.contains_user_name']);

/** Runs the rules in the spec's order (override, content, room, sender, underride); the first enabled match decides. */
export function evaluatePushRules(ruleset: PushRuleset, event: PushEvent, context: PushContext): PushOutcome {
  const hasMentions = isObject(event.content) && Object.hasOwn(event.content, 'm.mentions');
  for (const kind of RULE_KINDS) {
    const rules = ruleset.global?.[kind];
    if (!Array.isArray(rules)) continue;
    for (const rule of rules) {
      if (!rule || rule.enabled === false) continue;
      if (hasMentions && LEGACY_MENTION_RULES.has(rule.rule_id)) continue;
      const conditions = conditionsOf(kind, rule);
      if (conditions?.every((condition) => conditionMatches(condition, event, context))) {
        return { ...outcomeOf(rule.actions), ruleId: rule.rule_id };
      }
    }
  }
  return NOTHING;
}

/**
 * A ruleset prepared once for many evaluations: each rule's conditions resolved (shorthands expanded), its actions
 * read, and every condition given a key that says what its verdict depends on. See PushEvaluation.
 */
export interface CompiledPushRules {
  readonly rules: readonly CompiledRule[];
}

interface CompiledRule {
  readonly ruleId: string;
  readonly legacyMention: boolean;
  readonly conditions: readonly CompiledCondition[];
  readonly outcome: PushOutcome;
}

interface CompiledCondition {
  readonly condition: PushCondition;
  /**
   * Equal keys give equal verdicts for one event: the verdict depends only on the condition's own fields, the
   * event and what all of the event's recipients share (member count, sender power, notification levels);
   * `contains_display_name` also on the display name, so that goes into the key at evaluation time.
   */
  readonly key: string;
  readonly byDisplayName: boolean;
}

export function compilePushRules(ruleset: PushRuleset): CompiledPushRules {
  const rules: CompiledRule[] = [];
  for (const kind of RULE_KINDS) {
    const list = ruleset.global?.[kind];
    if (!Array.isArray(list)) continue;
    for (const rule of list) {
      if (!rule || rule.enabled === false) continue;
      const conditions = conditionsOf(kind, rule);
      if (!conditions) continue; // malformed: never matches
      rules.push({
        ruleId: rule.rule_id,
        legacyMention: LEGACY_MENTION_RULES.has(rule.rule_id),
        conditions: conditions.map((condition) => ({
          condition,
          key: JSON.stringify(condition) ?? '',
          byDisplayName: condition?.kind === 'contains_display_name',
        })),
        outcome: { ...outcomeOf(rule.actions), ruleId: rule.rule_id },
      });
    }
  }
  return { rules };
}

/**
 * One event evaluated for each of its recipients, with the same verdicts as `evaluatePushRules`: conditions that
 * every recipient's rules share (nearly all of the defaults) are tested once per event instead of once per member.
 */
export class PushEvaluation {
  private readonly memo = new Map<string, boolean>();
  private readonly hasMentions: boolean;
  constructor(
    private readonly event: PushEvent,
    private readonly shared: Omit<PushContext, 'userId' | 'displayName'>,
  ) {
    this.hasMentions = isObject(event.content) && Object.hasOwn(event.content, 'm.mentions');
  }

  evaluate(compiled: CompiledPushRules, userId: string, displayName: string | undefined): PushOutcome {
    for (const rule of compiled.rules) {
      if (this.hasMentions && rule.legacyMention) continue;
      let matches = true;
      for (const { condition, key, byDisplayName } of rule.conditions) {
        const memoKey = byDisplayName ? `${key}\u0000${displayName ?? ''}` : key;
        let verdict = this.memo.get(memoKey);
        if (verdict === undefined) {
          verdict = conditionMatches(condition, this.event, { ...this.shared, userId, displayName });
          this.memo.set(memoKey, verdict);
        }
        if (!verdict) {
          matches = false;
          break;
        }
      }
      if (matches) return { ...rule.outcome };
    }
    return NOTHING;
  }
}

/** Content, room and sender rules are shorthands for one `event_match` condition; undefined when the rule is malformed. */
function conditionsOf(kind: RuleKind, rule: PushRule): PushCondition[] | undefined {
  switch (kind) {
    case 'content':
      return typeof rule.pattern === 'string' ? [{ kind: 'event_match', key: 'content.body', pattern: rule.pattern }] : undefined;
    case 'room':
      return [{ kind: 'event_match', key: 'room_id', pattern: rule.rule_id }];
    case 'sender':
      return [{ kind: 'event_match', key: 'sender', pattern: rule.rule_id }];
    default:
      return Array.isArray(rule.conditions) ? rule.conditions : rule.conditions === undefined ? [] : undefined;
  }
}

/** `notify` notifies; `set_tweak: highlight` highlights (value defaults to true); `dont_notify`/`coalesce` are no-ops. */
export function outcomeOf(actions: unknown): PushOutcome {
  if (!Array.isArray(actions)) return NOTHING;
  let notify = false;
  let highlight = false;
  let sound: string | undefined;
  for (const action of actions) {
    if (action === 'notify') notify = true;
    else if (isObject(action) && action.set_tweak === 'highlight') highlight = action.value === undefined || action.value === true;
    else if (isObject(action) && action.set_tweak === 'sound' && typeof action.value === 'string') sound = action.value;
  }
  return { notify, highlight, ...(sound !== undefined ? { sound } : {}) };
}

/** Unknown condition kinds never match (the spec: the rule is then ignored). */
export function conditionMatches(condition: PushCondition, event: PushEvent, context: PushContext): boolean {
  switch (condition.kind) {
    case 'event_match':
      return eventMatch(condition, event);
    case 'event_property_is': {
      const value = valueAt(event, condition.key);
      return isPrimitive(condition.value) && value === condition.value;
    }
    case 'event_property_contains': {
      const value = valueAt(event, condition.key);
      return isPrimitive(condition.value) && Array.isArray(value) && value.some((item) => item === condition.value);
    }
    case 'contains_display_name': {
      const body = event.content.body;
      const name = context.displayName;
      return typeof body === 'string' && typeof name === 'string' && name !== '' && containsWord(body, name);
    }
    case 'room_member_count':
      return memberCountMatches(condition.is, context.memberCount);
    case 'sender_notification_permission': {
      if (typeof condition.key !== 'string') return false;
      const required = context.notificationLevels?.[condition.key];
      return context.senderPowerLevel >= (Number.isSafeInteger(required) ? (required as number) : 50);
    }
    default:
      return false;
  }
}

function eventMatch(condition: PushCondition, event: PushEvent): boolean {
  if (typeof condition.key !== 'string' || typeof condition.pattern !== 'string') return false;
  const value = valueAt(event, condition.key);
  if (typeof value !== 'string') return false;
  // content.body matches whole words anywhere in the text; every other key matches the entire value.
  const words = condition.key === 'content.body';
  return cached(words ? wordRegExps : wholeRegExps, condition.pattern, () =>
    words
      ? wordRegExp(globToRegExpSource(condition.pattern as string))
      : new RegExp(`^${globToRegExpSource(condition.pattern as string)}$`, 'isu'),
  ).test(value);
}

/** A word boundary is the start or end of the text or any character outside [A-Za-z0-9_]. */
function containsWord(text: string, literal: string): boolean {
  return cached(literalWordRegExps, literal, () => wordRegExp(escapeRegExp(literal))).test(text);
}

const wordRegExp = (source: string) => new RegExp(`(?:^|[^A-Za-z0-9_])${source}(?:[^A-Za-z0-9_]|$)`, 'isu');

// Every stored event is evaluated once per local member against mostly the same keys and patterns: parse and
// compile each once. The caches are bounded; a full one starts over.
const CACHE_LIMIT = 2000;
const wholeRegExps = new Map<string, RegExp>();
const wordRegExps = new Map<string, RegExp>();
const literalWordRegExps = new Map<string, RegExp>();
const keyPaths = new Map<string, string[]>();
function cached<T>(cache: Map<string, T>, key: string, make: () => T): T {
  let value = cache.get(key);
  if (value === undefined) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    value = make();
    cache.set(key, value);
  }
  return value;
}

/** `*` is any run of characters, `?` exactly one; everything else is literal. */
export function globToRegExpSource(glob: string): string {
  let source = '';
  for (const char of glob) {
    if (char === '*') source += '.*?';
    else if (char === '?') source += '.';
    else source += escapeRegExp(char);
  }
  return source;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Splits a dotted key, where `\.` is a literal dot and `\\` a literal backslash. */
export function splitKey(key: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < key.length; i++) {
    const char = key[i]!;
    const next = key[i + 1];
    if (char === '\\' && (next === '.' || next === '\\')) {
      current += next;
      i++;
    } else if (char === '.') {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts;
}

function valueAt(event: PushEvent, key: unknown): unknown {
  if (typeof key !== 'string') return undefined;
  let value: unknown = event;
  for (const part of cached(keyPaths, key, () => splitKey(key))) {
    if (!isObject(value) || !Object.hasOwn(value, part)) return undefined;
    value = value[part];
  }
  return value;
}

function memberCountMatches(is: unknown, count: number): boolean {
  if (typeof is !== 'string') return false;
  const match = /^(==|<=|>=|<|>)?([0-9]+)$/.exec(is);
  if (!match) return false;
  const bound = Number(match[2]);
  switch (match[1] ?? '==') {
    case '<':
      return count < bound;
    case '>':
      return count > bound;
    case '<=':
      return count <= bound;
    case '>=':
      return count >= bound;
    default:
      return count === bound;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isPrimitive = (value: unknown) =>
  value === null || typeof value === 'string' || typeof value === 'boolean' || Number.isSafeInteger(value);
