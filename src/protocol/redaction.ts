import { ProtocolError } from './errors';
import { resolveRoomVersion, type RedactionRules, type RoomVersion } from './room-versions';
import { isRecord } from './signing';

const TOP_LEVEL_V1 = [
  'event_id',
  'type',
  'room_id',
  'sender',
  'state_key',
  'content',
  'hashes',
  'signatures',
  'depth',
  'prev_events',
  'prev_state',
  'auth_events',
  'origin',
  'origin_server_ts',
  'membership',
];
// v11 (MSC2176) stops keeping origin, membership and prev_state.
const TOP_LEVEL_V11 = TOP_LEVEL_V1.filter((key) => key !== 'origin' && key !== 'membership' && key !== 'prev_state');

type ContentRule = readonly string[] | 'all';
type ContentRules = Readonly<Record<string, ContentRule>>;

const POWER_LEVELS_V1 = ['ban', 'events', 'events_default', 'kick', 'redact', 'state_default', 'users', 'users_default'];

const CONTENT_V1: ContentRules = {
  'm.room.member': ['membership'],
  'm.room.create': ['creator'],
  'm.room.join_rules': ['join_rule'],
  'm.room.power_levels': POWER_LEVELS_V1,
  'm.room.aliases': ['aliases'],
  'm.room.history_visibility': ['history_visibility'],
};
const { 'm.room.aliases': _aliases, ...CONTENT_V6 } = CONTENT_V1; // MSC2432
const CONTENT_V8: ContentRules = { ...CONTENT_V6, 'm.room.join_rules': ['join_rule', 'allow'] };
const CONTENT_V9: ContentRules = { ...CONTENT_V8, 'm.room.member': ['membership', 'join_authorised_via_users_server'] };
// v11 also keeps the `signed` part (only) of a member event's `third_party_invite`.
const CONTENT_V11: ContentRules = {
  ...CONTENT_V9,
  'm.room.member': ['membership', 'join_authorised_via_users_server', 'third_party_invite'],
  'm.room.create': 'all',
  'm.room.power_levels': [...POWER_LEVELS_V1, 'invite'],
  'm.room.redaction': ['redacts'],
};
// MSC4430: `domain` is routing information and survives redaction; `localpart` (personal data) does not.
// PROTOCOL.md §5: `dev.wayfarer.key_nonce` survives too, so K and room state alone re-derive an invited member's key.
const CONTENT_MEMBER_KEYS: ContentRules = {
  ...CONTENT_V11,
  'm.room.member': ['membership', 'join_authorised_via_users_server', 'third_party_invite', 'domain', 'dev.wayfarer.key_nonce'],
};

const RULES: Record<RedactionRules, { topLevel: readonly string[]; content: ContentRules }> = {
  v1: { topLevel: TOP_LEVEL_V1, content: CONTENT_V1 },
  v6: { topLevel: TOP_LEVEL_V1, content: CONTENT_V6 },
  v8: { topLevel: TOP_LEVEL_V1, content: CONTENT_V8 },
  v9: { topLevel: TOP_LEVEL_V1, content: CONTENT_V9 },
  v11: { topLevel: TOP_LEVEL_V11, content: CONTENT_V11 },
  member_keys: { topLevel: TOP_LEVEL_V11, content: CONTENT_MEMBER_KEYS },
};

/** The spec's redaction algorithm: the whole PDU as that room version redacts it (a new object; input untouched). */
export function redactEvent<T extends object>(event: T, roomVersion: string | RoomVersion): Record<string, unknown> {
  if (!isRecord(event)) throw new ProtocolError('invalid_event', 'an event must be a JSON object');
  const rules = RULES[resolveRoomVersion(roomVersion).redactionRules];
  const redacted: Record<string, unknown> = {};
  for (const key of rules.topLevel) {
    if (Object.hasOwn(event, key)) redacted[key] = event[key];
  }
  if (Object.hasOwn(event, 'content')) {
    redacted.content = redactContent(event.type, event.content, rules.content);
  }
  return redacted;
}

function redactContent(type: unknown, content: unknown, rules: ContentRules): unknown {
  if (!isRecord(content)) return {};
  const rule = typeof type === 'string' && Object.hasOwn(rules, type) ? rules[type] : undefined;
  if (rule === undefined) return {};
  if (rule === 'all') return content;
  const kept: Record<string, unknown> = {};
  for (const key of rule) {
    if (!Object.hasOwn(content, key)) continue;
    if (key !== 'third_party_invite') kept[key] = content[key];
    else if (isRecord(content[key]) && Object.hasOwn(content[key], 'signed')) kept[key] = { signed: content[key].signed };
  }
  return kept;
}
