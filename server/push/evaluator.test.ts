// The shared per-event evaluation (PushEvaluation over compiled rulesets) must give every recipient exactly the
// verdict the plain evaluator gives: random rulesets (defaults plus user rules), events and recipients.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultPushRules } from '../client-api/pushrules';
import { compilePushRules, evaluatePushRules, PushEvaluation, type PushCondition, type PushEvent, type PushRule, type PushRuleset } from './evaluator';
import { putUserRule } from './ruleset';

const words = fc.constantFrom('alice', 'Alice Liddell', 'bob', 'lunch', 'meeting', 'room', '@room', 'cake', 'ALICE', 'liddell', '');
const pattern = fc.oneof(words, fc.constantFrom('lunch*', '*', 'm.room.*', 'm.room.message', '?ob', '!r:x', '@bob:x', '*cake*'));
const key = fc.constantFrom('content.body', 'type', 'room_id', 'sender', 'content.msgtype', 'content.m\\.mentions.room', 'state_key');
const primitive = fc.oneof(fc.boolean(), fc.constant(null), fc.integer({ min: -2, max: 2 }), words);
const condition: fc.Arbitrary<PushCondition> = fc.oneof(
  fc.record({ kind: fc.constant('event_match'), key, pattern }),
  fc.record({ kind: fc.constant('event_property_is'), key, value: primitive }),
  fc.record({ kind: fc.constant('event_property_contains'), key: fc.constantFrom('content.m\\.mentions.user_ids', 'content.tags'), value: primitive }),
  fc.record({ kind: fc.constant('contains_display_name') }),
  fc.record({ kind: fc.constant('room_member_count'), is: fc.constantFrom('2', '<3', '>=2', '>10', 'x', '==5') }),
  fc.record({ kind: fc.constant('sender_notification_permission'), key: fc.constantFrom('room', 'other') }),
  fc.record({ kind: fc.constant('no_such_kind'), key }),
);
const actions = fc.constantFrom<unknown[]>(['notify'], ['dont_notify'], ['notify', { set_tweak: 'highlight' }], ['notify', { set_tweak: 'highlight', value: false }], [], ['notify', { set_tweak: 'sound', value: 'default' }]);
const userRule = fc.record({
  kind: fc.constantFrom('override', 'content', 'room', 'sender', 'underride') as fc.Arbitrary<'override' | 'content' | 'room' | 'sender' | 'underride'>,
  ruleId: fc.constantFrom('a', 'b', '!r:x', '@bob:x', 'lunch'),
  conditions: fc.array(condition, { maxLength: 3 }),
  pattern,
  actions,
});
const users = ['@alice:x', '@carol:x', '@dave:x'];
const recipient = fc.record({
  userId: fc.constantFrom(...users),
  displayName: fc.option(words, { nil: undefined }),
  rules: fc.array(userRule, { maxLength: 4 }),
  disabled: fc.subarray(['.m.rule.message', '.m.rule.is_user_mention', '.m.rule.contains_display_name', '.m.rule.master', '.m.rule.suppress_notices']),
});
const event: fc.Arbitrary<PushEvent> = fc.record({
  type: fc.constantFrom('m.room.message', 'm.room.member', 'm.reaction', 'm.room.encrypted'),
  sender: fc.constantFrom('@bob:x', '@alice:x'),
  room_id: fc.constant('!r:x'),
  event_id: fc.constant('$e'),
  content: fc.record(
    {
      body: fc.array(words, { maxLength: 5 }).map((w) => w.join(' ')),
      msgtype: fc.constantFrom('m.text', 'm.notice'),
      'm.mentions': fc.record({ user_ids: fc.subarray(users), room: fc.boolean() }, { requiredKeys: [] }),
    },
    { requiredKeys: [] },
  ),
});

type UserRule = { kind: 'override' | 'content' | 'room' | 'sender' | 'underride'; ruleId: string; conditions: PushCondition[]; pattern: string; actions: unknown[] };

function rulesetOf(r: { userId: string; rules: UserRule[]; disabled: string[] }): PushRuleset {
  let rules = defaultPushRules(r.userId, r.userId.slice(1, r.userId.indexOf(':'))) as PushRuleset;
  for (const rule of r.rules) rules = putUserRule(rules, rule.kind, rule.ruleId, { conditions: rule.conditions, pattern: rule.pattern, actions: rule.actions });
  for (const list of Object.values(rules.global)) for (const rule of list as PushRule[]) if (r.disabled.includes(rule.rule_id)) rule.enabled = false;
  return rules;
}

describe('PushEvaluation', () => {
  it('gives each recipient the verdict evaluatePushRules gives', () => {
    fc.assert(
      fc.property(event, fc.array(recipient, { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 100 }), fc.option(fc.constant({ room: 100 }), { nil: undefined }), (ev, recipients, memberCount, senderPowerLevel, notificationLevels) => {
        const shared = { memberCount, senderPowerLevel, notificationLevels };
        const evaluation = new PushEvaluation(ev, shared);
        for (const r of recipients) {
          const ruleset = rulesetOf(r);
          const expected = evaluatePushRules(ruleset, ev, { ...shared, userId: r.userId, displayName: r.displayName });
          expect(evaluation.evaluate(compilePushRules(ruleset), r.userId, r.displayName)).toEqual(expected);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
