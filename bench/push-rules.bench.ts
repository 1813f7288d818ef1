// Push-rule evaluation cost: the spec's default rules (plus a user's muted room and keyword rule) evaluated
// for typical messages, in process. Each stored message is evaluated once per local member of its room, so
// this figure times the member count is what push rules add to a send.
import { defaultPushRules } from '../server/client-api/pushrules';
import { evaluatePushRules, type PushContext, type PushEvent, type PushRuleset } from '../server/push/evaluator';
import { effectiveRuleset, putUserRule } from '../server/push/ruleset';

const ROUNDS = Number(process.env.BENCH_PUSH_ROUNDS ?? 50_000);
const ME = '@alice:alpha.localhost';

let rules = defaultPushRules(ME, 'alice') as PushRuleset;
rules = putUserRule(rules, 'override', '!muted:alpha.localhost', {
  conditions: [{ kind: 'event_match', key: 'room_id', pattern: '!muted:alpha.localhost' }],
  actions: ['dont_notify'],
});
rules = putUserRule(rules, 'content', 'lunch', { pattern: 'lunch*', actions: ['notify', { set_tweak: 'highlight' }] });

const message = (body: string, extra: Record<string, unknown> = {}): PushEvent => ({
  type: 'm.room.message',
  sender: '@bob:alpha.localhost',
  room_id: '!room:alpha.localhost',
  event_id: '$e',
  content: { msgtype: 'm.text', body, ...extra },
});
const events: Array<[string, PushEvent]> = [
  ['plain message (falls through to .m.rule.message)', message('see you at the meeting tomorrow, the slides are in the usual folder')],
  ['m.mentions of the user', message('alice: ready?', { 'm.mentions': { user_ids: [ME] } })],
  ['display-name mention', message('ask Alice Liddell about it')],
];
const context: PushContext = { userId: ME, displayName: 'Alice Liddell', memberCount: 12, senderPowerLevel: 0 };

console.log(`push-rule evaluation (${ROUNDS} rounds each, default rules + 2 user rules):`);
for (const [label, event] of events) {
  for (let i = 0; i < 1000; i++) evaluatePushRules(rules, event, context); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < ROUNDS; i++) evaluatePushRules(rules, event, context);
  const us = ((performance.now() - t0) * 1000) / ROUNDS;
  console.log(`  ${label}: ${us.toFixed(2)} µs per evaluation (${Math.round(1e6 / us)} /s)`);
}

// What the server does for a recipient whose rules are not cached yet (first event, or after a /pushrules write).
const stored = JSON.parse(JSON.stringify(rules)) as unknown;
const t0 = performance.now();
for (let i = 0; i < ROUNDS; i++) effectiveRuleset(defaultPushRules(ME, 'alice') as PushRuleset, stored);
console.log(`  ruleset build on a cache miss (defaults + stored changes): ${(((performance.now() - t0) * 1000) / ROUNDS).toFixed(2)} µs`);
