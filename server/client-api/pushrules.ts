// The spec's default push rules (Client-Server API, "Predefined rules"), with the user's ID and name filled in.
import type { Homeserver } from '../homeserver';
import { requireSession } from '../http/auth';
import { MatrixError } from '../http/errors';
import type { Router } from '../http/router';
import type { PushRuleset } from '../push/evaluator';
import { deleteUserRule, effectiveRuleset, putUserRule, validateActions } from '../push/ruleset';

const notify = ['notify'];
const sound = (value: string) => ({ set_tweak: 'sound', value });
const highlight = { set_tweak: 'highlight' };

export function defaultPushRules(userId: string, localpart: string) {
  return {
    global: {
      override: [
        { rule_id: '.m.rule.master', default: true, enabled: false, conditions: [], actions: [] },
        {
          rule_id: '.m.rule.suppress_notices',
          default: true,
          enabled: true,
          conditions: [{ kind: 'event_match', key: 'content.msgtype', pattern: 'm.notice' }],
          actions: [],
        },
        {
          rule_id: '.m.rule.invite_for_me',
          default: true,
          enabled: true,
          conditions: [
            { kind: 'event_match', key: 'type', pattern: 'm.room.member' },
            { kind: 'event_match', key: 'content.membership', pattern: 'invite' },
            { kind: 'event_match', key: 'state_key', pattern: userId },
          ],
          actions: [...notify, sound('default')],
        },
        {
          rule_id: '.m.rule.member_event',
          default: true,
          enabled: true,
          conditions: [{ kind: 'event_match', key: 'type', pattern: 'm.room.member' }],
          actions: [],
        },
        {
          rule_id: '.m.rule.is_user_mention',
          default: true,
          enabled: true,
          conditions: [{ kind: 'event_property_contains', key: 'content.m\\.mentions.user_ids', value: userId }],
          actions: [...notify, sound('default'), highlight],
        },
        {
          rule_id: '.m.rule.contains_display_name',
          default: true,
          enabled: true,
          conditions: [{ kind: 'contains_display_name' }],
          actions: [...notify, sound('default'), highlight],
        },
        {
          rule_id: '.m.rule.is_room_mention',
          default: true,
          enabled: true,
          conditions: [
            { kind: 'event_property_is', key: 'content.m\\.mentions.room', value: true },
            { kind: 'sender_notification_permission', key: 'room' },
          ],
          actions: [...notify, highlight],
        },
        {
          rule_id: '.m.rule.roomnotif',
          default: true,
          enabled: true,
          conditions: [
            { kind: 'event_match', key: 'content.body', pattern: '@room' },
            { kind: 'sender_notification_permission', key: 'room' },
          ],
          actions: [...notify, highlight],
        },
        {
          rule_id: '.m.rule.tombstone',
          default: true,
          enabled: true,
          conditions: [
            { kind: 'event_match', key: 'type', pattern: 'm.room.tombstone' },
            { kind: 'event_match', key: 'state_key', pattern: '' },
          ],
          actions: [...notify, highlight],
        },
        {
          rule_id: '.m.rule.reaction',
          default: true,
          enabled: true,
          conditions: [{ kind: 'event_match', key: 'type', pattern: 'm.reaction' }],
          actions: [],
        },
        {
          rule_id: '.m.rule.room.server_acl',
          default: true,
          enabled: true,
          conditions: [
            { kind: 'event_match', key: 'type', pattern: 'm.room.server_acl' },
            { kind: 'event_match', key: 'state_key', pattern: '' },
          ],
          actions: [],
        },
        {
          rule_id: '.m.rule.suppress_edits',
          default: true,
          enabled: true,
          conditions: [{ kind: 'event_property_is', key: 'content.m\\.relates_to.rel_type', value: 'm.replace' }],
          actions: [],
        },
      ],
      content: [
        {
          rule_id: '.m.rule.contains_user_name',
          default: true,
          enabled: true,
          pattern: localpart,
          actions: [...notify, sound('default'), highlight],
        },
      ],
      room: [],
      sender: [],
      underride: [
        {
          rule_id: '.m.rule.call',
          default: true,
          enabled: true,
          conditions: [{ kind: 'event_match', key: 'type', pattern: 'm.call.invite' }],
          actions: [...notify, sound('ring')],
        },
        {
          rule_id: '.m.rule.encrypted_room_one_to_one',
          default: true,
          enabled: true,
          conditions: [
            { kind: 'room_member_count', is: '2' },
            { kind: 'event_match', key: 'type', pattern: 'm.room.encrypted' },
          ],
          actions: [...notify, sound('default')],
        },
        {
          rule_id: '.m.rule.room_one_to_one',
          default: true,
          enabled: true,
          conditions: [
            { kind: 'room_member_count', is: '2' },
            { kind: 'event_match', key: 'type', pattern: 'm.room.message' },
          ],
          actions: [...notify, sound('default')],
        },
        {
          rule_id: '.m.rule.message',
          default: true,
          enabled: true,
          conditions: [{ kind: 'event_match', key: 'type', pattern: 'm.room.message' }],
          actions: notify,
        },
        {
          rule_id: '.m.rule.encrypted',
          default: true,
          enabled: true,
          conditions: [{ kind: 'event_match', key: 'type', pattern: 'm.room.encrypted' }],
          actions: notify,
        },
      ],
    },
  };
}

type Ruleset = ReturnType<typeof defaultPushRules>;
const KINDS = ['override', 'underride', 'sender', 'room', 'content'] as const;

/** The user's rules: the defaults merged with stored changes (account data `m.push_rules`, which /sync also reports). */
export function rulesOf(hs: Pick<Homeserver, 'accountData'>, userId: string): Ruleset {
  const defaults = defaultPushRules(userId, userId.slice(1, userId.indexOf(':')));
  return effectiveRuleset(defaults, hs.accountData.get(userId, '', 'm.push_rules')) as Ruleset;
}

function saveRules(hs: Homeserver, userId: string, rules: Ruleset | PushRuleset): void {
  hs.accountData.put(userId, '', 'm.push_rules', rules);
  hs.push.forgetRules(userId);
  hs.notifier.notifyUsers([userId]);
}

export function registerPushRules(router: Router, hs: Homeserver): void {
  router.get('~/pushrules/', (ctx) => rulesOf(hs, requireSession(hs, ctx).userId));
  router.get('~/pushrules', (ctx) => rulesOf(hs, requireSession(hs, ctx).userId));
  router.get('~/pushrules/global/', (ctx) => rulesOf(hs, requireSession(hs, ctx).userId).global);

  const findRule = (rules: Ruleset, kind: string, ruleId: string) => {
    if (!(KINDS as readonly string[]).includes(kind)) throw new MatrixError(400, 'M_INVALID_PARAM', `unknown rule kind ${kind}`);
    const list = (rules.global as Record<string, Array<{ rule_id: string; enabled: boolean; actions: unknown[] }>>)[kind]!;
    const rule = list.find((r) => r.rule_id === ruleId);
    if (!rule) throw new MatrixError(404, 'M_NOT_FOUND', 'No such push rule');
    return rule;
  };
  router.get('~/pushrules/global/{kind}/{ruleId}', (ctx) =>
    findRule(rulesOf(hs, requireSession(hs, ctx).userId), ctx.params.kind!, ctx.params.ruleId!),
  );
  router.get('~/pushrules/global/{kind}/{ruleId}/enabled', (ctx) => ({
    enabled: findRule(rulesOf(hs, requireSession(hs, ctx).userId), ctx.params.kind!, ctx.params.ruleId!).enabled,
  }));
  router.get('~/pushrules/global/{kind}/{ruleId}/actions', (ctx) => ({
    actions: findRule(rulesOf(hs, requireSession(hs, ctx).userId), ctx.params.kind!, ctx.params.ruleId!).actions,
  }));
  router.put('~/pushrules/global/{kind}/{ruleId}/enabled', async (ctx) => {
    const session = requireSession(hs, ctx);
    const body = (await ctx.json()) as { enabled?: unknown };
    if (typeof body?.enabled !== 'boolean') throw new MatrixError(400, 'M_BAD_JSON', "'enabled' must be a boolean");
    const rules = rulesOf(hs, session.userId);
    findRule(rules, ctx.params.kind!, ctx.params.ruleId!).enabled = body.enabled;
    saveRules(hs, session.userId, rules);
    return {};
  });
  router.put('~/pushrules/global/{kind}/{ruleId}/actions', async (ctx) => {
    const session = requireSession(hs, ctx);
    const body = (await ctx.json()) as { actions?: unknown };
    const actions = validateActions(body?.actions);
    const rules = rulesOf(hs, session.userId);
    findRule(rules, ctx.params.kind!, ctx.params.ruleId!).actions = actions;
    saveRules(hs, session.userId, rules);
    return {};
  });
  router.put('~/pushrules/global/{kind}/{ruleId}', async (ctx) => {
    const session = requireSession(hs, ctx);
    const body = await ctx.json();
    const position = { before: ctx.query.get('before') ?? undefined, after: ctx.query.get('after') ?? undefined };
    const rules = putUserRule(rulesOf(hs, session.userId), ctx.params.kind!, ctx.params.ruleId!, body, position);
    saveRules(hs, session.userId, rules);
    return {};
  });
  router.delete('~/pushrules/global/{kind}/{ruleId}', (ctx) => {
    const session = requireSession(hs, ctx);
    const rules = deleteUserRule(rulesOf(hs, session.userId), ctx.params.kind!, ctx.params.ruleId!);
    saveRules(hs, session.userId, rules);
    return {};
  });
}
