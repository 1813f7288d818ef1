// The rules a user's events are evaluated with: the server defaults, with the user's changes to them and the
// user's own rules. Stored rulesets may predate a default rule; merging by rule_id keeps them current.
import { MatrixError } from '../http/errors';
import { RULE_KINDS, type PushRule, type PushRuleset, type RuleKind } from './evaluator';

const MASTER_RULE = '.m.rule.master';

/**
 * Defaults (with `enabled`/`actions` as the user set them) plus the user's rules. User rules come before the
 * defaults of the same kind, except `.m.rule.master`, which always comes first (spec: "Push Rules").
 */
export function effectiveRuleset(defaults: PushRuleset, stored: unknown): PushRuleset {
  const global: Partial<Record<RuleKind, PushRule[]>> = {};
  const storedGlobal = isObject(stored) && isObject(stored.global) ? stored.global : {};
  for (const kind of RULE_KINDS) {
    const storedRules = (Array.isArray(storedGlobal[kind]) ? storedGlobal[kind] : []).filter(isRule);
    const byId = new Map(storedRules.map((rule) => [rule.rule_id, rule]));
    const serverDefaults = (defaults.global[kind] ?? []).map((rule) => {
      const changed = byId.get(rule.rule_id);
      return changed ? { ...rule, enabled: changed.enabled, actions: changed.actions } : { ...rule };
    });
    const defaultIds = new Set(serverDefaults.map((rule) => rule.rule_id));
    const userRules = storedRules.filter((rule) => !defaultIds.has(rule.rule_id) && rule.default !== true);
    const master = serverDefaults.filter((rule) => rule.rule_id === MASTER_RULE);
    const rest = serverDefaults.filter((rule) => rule.rule_id !== MASTER_RULE);
    global[kind] = [...master, ...userRules, ...rest];
  }
  return { global };
}

function isRule(value: unknown): value is PushRule {
  return isObject(value) && typeof value.rule_id === 'string' && typeof value.enabled === 'boolean' && Array.isArray(value.actions);
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export interface RulePosition {
  before?: string;
  after?: string;
}

/**
 * PUT /pushrules/global/{kind}/{ruleId}: adds or replaces a user rule. A new rule without `before`/`after`
 * becomes the user's most important rule of its kind; a replaced one keeps its place. Returns a new ruleset.
 */
export function putUserRule(ruleset: PushRuleset, kind: string, ruleId: string, body: unknown, position: RulePosition = {}): PushRuleset {
  const ruleKind = requireKind(kind);
  if (ruleId.startsWith('.'))
    throw new MatrixError(400, 'M_INVALID_PARAM', 'rule IDs starting with "." are reserved for server-default rules');
  if (ruleId === '' || /[/\\]/.test(ruleId))
    throw new MatrixError(400, 'M_INVALID_PARAM', 'rule IDs must be non-empty and contain no "/" or "\\"');
  const rule = ruleFromBody(ruleKind, ruleId, body);
  const rules = [...(ruleset.global[ruleKind] ?? [])];
  const existing = rules.findIndex((r) => r.rule_id === ruleId);
  const anchorId = position.before ?? position.after;
  if (anchorId === undefined && existing >= 0) {
    rules[existing] = rule;
    return withRules(ruleset, ruleKind, rules);
  }
  if (existing >= 0) rules.splice(existing, 1);
  let index: number;
  if (anchorId !== undefined) {
    const anchor = rules.findIndex((r) => r.rule_id === anchorId && !r.default);
    if (anchor < 0) throw new MatrixError(400, 'M_UNKNOWN', `before/after rule not found: ${anchorId}`);
    index = position.before !== undefined ? anchor : anchor + 1;
  } else {
    // First place among the user's rules: after .m.rule.master, before every other rule of the kind.
    index = rules.findIndex((r) => r.rule_id !== MASTER_RULE);
    if (index < 0) index = rules.length;
  }
  rules.splice(index, 0, rule);
  return withRules(ruleset, ruleKind, rules);
}

/** DELETE /pushrules/global/{kind}/{ruleId}: server-default rules can be disabled, not deleted. */
export function deleteUserRule(ruleset: PushRuleset, kind: string, ruleId: string): PushRuleset {
  const ruleKind = requireKind(kind);
  const rules = ruleset.global[ruleKind] ?? [];
  const rule = rules.find((r) => r.rule_id === ruleId);
  if (!rule) throw new MatrixError(404, 'M_NOT_FOUND', 'The push rule was not found.');
  if (rule.default) throw new MatrixError(400, 'M_INVALID_PARAM', 'server-default rules cannot be deleted; disable them instead');
  return withRules(
    ruleset,
    ruleKind,
    rules.filter((r) => r !== rule),
  );
}

export function requireKind(kind: string): RuleKind {
  if (!(RULE_KINDS as readonly string[]).includes(kind)) throw new MatrixError(400, 'M_INVALID_PARAM', `unknown rule kind ${kind}`);
  return kind as RuleKind;
}

/** Actions are strings (`notify`, ...) or tweak objects; anything else is refused rather than stored. */
export function validateActions(actions: unknown): unknown[] {
  if (!Array.isArray(actions)) throw new MatrixError(400, 'M_BAD_JSON', "'actions' must be an array");
  for (const action of actions) {
    const ok = typeof action === 'string' || (isObject(action) && typeof action.set_tweak === 'string');
    if (!ok) throw new MatrixError(400, 'M_BAD_JSON', 'each action must be a string or an object with set_tweak');
  }
  return actions;
}

function ruleFromBody(kind: RuleKind, ruleId: string, body: unknown): PushRule {
  if (!isObject(body)) throw new MatrixError(400, 'M_BAD_JSON', 'the push rule must be a JSON object');
  const rule: PushRule = { rule_id: ruleId, default: false, enabled: true, actions: validateActions(body.actions) };
  if (kind === 'override' || kind === 'underride') {
    const conditions = body.conditions ?? [];
    if (!Array.isArray(conditions) || !conditions.every((c) => isObject(c) && typeof c.kind === 'string')) {
      throw new MatrixError(400, 'M_BAD_JSON', "'conditions' must be an array of objects with a 'kind'");
    }
    rule.conditions = conditions as PushRule['conditions'];
  }
  if (kind === 'content') {
    if (typeof body.pattern !== 'string') throw new MatrixError(400, 'M_BAD_JSON', "content rules need a string 'pattern'");
    rule.pattern = body.pattern;
  }
  return rule;
}

const withRules = (ruleset: PushRuleset, kind: RuleKind, rules: PushRule[]): PushRuleset => ({
  ...ruleset,
  global: { ...ruleset.global, [kind]: rules },
});
