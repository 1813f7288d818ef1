// POST /createRoom: presets, initial state, invites, name/topic/alias, room version, member-key seeds.
import type { Homeserver } from '../homeserver';
import { requireSession } from '../http/auth';
import { badJson, MatrixError } from '../http/errors';
import type { Router } from '../http/router';
import {
  asObject,
  isObject,
  optionalArray,
  optionalBoolean,
  optionalObject,
  optionalString,
  optionalStringArray,
  type JsonObject,
} from '../http/validate';
import { DEFAULT_ROOM_VERSION, hasRoomIdFromCreate, isSupportedRoomVersion, usesMemberKeys } from '../rooms/room-versions';
import { powerLevelsToMemberKeys } from './send';
import { requireServerName } from '../federation/client';

type Preset = 'private_chat' | 'trusted_private_chat' | 'public_chat';
const PRESETS: Preset[] = ['private_chat', 'trusted_private_chat', 'public_chat'];

export function registerCreateRoom(router: Router, hs: Homeserver): void {
  router.post('~/createRoom', async (ctx) => {
    const session = requireSession(hs, ctx);
    const body = asObject(await ctx.json());
    // Users of other servers are invited over federation once the room exists (member keys come from their server).
    const invites = Array.isArray(body.invite) ? body.invite : [];
    const remote = invites.filter(
      (u): u is string => typeof u === 'string' && /^@[^:]+:.+$/.test(u) && !u.endsWith(`:${hs.config.serverName}`),
    );
    for (const invitee of remote) requireServerName(invitee.slice(invitee.indexOf(':') + 1), `invite of ${invitee}`);
    const roomId = createRoom(
      hs,
      session.userId,
      remote.length > 0 ? { ...body, invite: invites.filter((u) => !remote.includes(u as string)) } : body,
    );
    const isDirect = body.is_direct === true;
    for (const invitee of remote) await hs.federation.inviteRemote(roomId, session.userId, invitee, isDirect ? { is_direct: true } : {});
    return { room_id: roomId };
  });
}

export function createRoom(hs: Homeserver, userId: string, body: JsonObject): string {
  const version = optionalString(body, 'room_version') ?? DEFAULT_ROOM_VERSION;
  if (!isSupportedRoomVersion(version))
    throw new MatrixError(400, 'M_UNSUPPORTED_ROOM_VERSION', `Room version ${version} is not supported`);
  const visibility = optionalString(body, 'visibility') ?? 'private';
  if (visibility !== 'public' && visibility !== 'private')
    throw new MatrixError(400, 'M_INVALID_PARAM', "visibility must be 'public' or 'private'");
  const presetText = optionalString(body, 'preset') ?? (visibility === 'public' ? 'public_chat' : 'private_chat');
  if (!PRESETS.includes(presetText as Preset)) throw new MatrixError(400, 'M_INVALID_PARAM', `Unknown preset ${presetText}`);
  const preset = presetText as Preset;
  const invites = optionalStringArray(body, 'invite') ?? [];
  for (const invitee of invites)
    if (!/^@[^:]+:.+$/.test(invitee)) throw new MatrixError(400, 'M_INVALID_PARAM', `${invitee} is not a user ID`);
  const initialState = (optionalArray(body, 'initial_state') ?? []).map((entry, i) => {
    if (!isObject(entry) || typeof entry.type !== 'string' || !isObject(entry.content))
      throw badJson(`initial_state[${i}] needs a type and a content object`);
    if (entry.state_key !== undefined && typeof entry.state_key !== 'string')
      throw badJson(`initial_state[${i}].state_key must be a string`);
    return { type: entry.type, stateKey: (entry.state_key as string | undefined) ?? '', content: entry.content };
  });
  const name = optionalString(body, 'name');
  const topic = optionalString(body, 'topic');
  const isDirect = optionalBoolean(body, 'is_direct') ?? false;
  const creationContent = optionalObject(body, 'creation_content') ?? {};
  const plOverride = optionalObject(body, 'power_level_content_override');
  const aliasName = optionalString(body, 'room_alias_name');
  const alias = aliasName === undefined ? undefined : `#${aliasName}:${hs.config.serverName}`;
  if (aliasName !== undefined && (!aliasName || /[:\s#]/.test(aliasName)))
    throw new MatrixError(400, 'M_INVALID_PARAM', 'Invalid room_alias_name');
  if (alias && hs.directory.lookup(alias)) throw new MatrixError(400, 'M_ROOM_IN_USE', `${alias} is already taken`);
  const memberSeed = hs.rooms.parseMemberSeed(body['dev.wayfarer.member_seed']);
  const creatorNonce = optionalString(body, 'dev.wayfarer.creator_nonce');
  if (memberSeed && !creatorNonce && usesMemberKeys(version)) {
    throw new MatrixError(400, 'M_MISSING_PARAM', 'dev.wayfarer.member_seed for createRoom needs dev.wayfarer.creator_nonce');
  }

  const user = hs.accounts.getUser(userId);
  const { room_version: _ignored, creator: _creator, ...createExtra } = creationContent;
  const roomId = hs.rooms.createRoomWithCreator({
    userId,
    version,
    createContent: createExtra,
    memberContent: {
      membership: 'join',
      ...(user?.displayname ? { displayname: user.displayname } : {}),
      ...(user?.avatar_url ? { avatar_url: user.avatar_url } : {}),
    },
    creatorSeed: memberSeed,
    creatorNonce,
    isPublic: visibility === 'public',
  });

  const send = (type: string, content: JsonObject, stateKey = '') => hs.rooms.send(roomId, userId, { type, stateKey, content });

  const creatorId = hs.rooms.memberIdFor(roomId, version, userId);
  const users: JsonObject = hasRoomIdFromCreate(version) ? {} : { [creatorId]: 100 };
  if (preset === 'trusted_private_chat') for (const invitee of invites) users[hs.rooms.resolveTarget(roomId, version, invitee)] = 100;
  let powerLevels: JsonObject = {
    users,
    users_default: 0,
    events: {
      'm.room.name': 50,
      'm.room.power_levels': 100,
      'm.room.history_visibility': 100,
      'm.room.canonical_alias': 50,
      'm.room.avatar': 50,
      'm.room.tombstone': 100,
      'm.room.server_acl': 100,
      'm.room.encryption': 100,
    },
    events_default: 0,
    state_default: 50,
    ban: 50,
    kick: 50,
    redact: 50,
    invite: preset === 'public_chat' ? 50 : 0,
    notifications: { room: 50 },
  };
  if (plOverride) {
    const overrideUsers = usesMemberKeys(version) ? powerLevelsToMemberKeys(hs, roomId, version, plOverride).users : plOverride.users;
    powerLevels = { ...powerLevels, ...plOverride, ...(overrideUsers ? { users: { ...users, ...(overrideUsers as JsonObject) } } : {}) };
  }
  send('m.room.power_levels', powerLevels);

  if (alias) {
    if (!hs.directory.add(alias, roomId, userId)) throw new MatrixError(400, 'M_ROOM_IN_USE', `${alias} is already taken`);
    send('m.room.canonical_alias', { alias });
  }
  const presetState: Array<[string, JsonObject]> = [
    ['m.room.join_rules', { join_rule: preset === 'public_chat' ? 'public' : 'invite' }],
    ['m.room.history_visibility', { history_visibility: 'shared' }],
    ['m.room.guest_access', { guest_access: preset === 'public_chat' ? 'forbidden' : 'can_join' }],
  ];
  const overridden = new Set(initialState.map((s) => `${s.type}\u0000${s.stateKey}`));
  for (const [type, content] of presetState) if (!overridden.has(`${type}\u0000`)) send(type, content);
  for (const state of initialState) {
    if (state.type === 'm.room.create' || state.type === 'm.room.member') continue;
    send(state.type, state.content as JsonObject, state.stateKey);
  }
  if (name !== undefined) send('m.room.name', { name });
  if (topic !== undefined) send('m.room.topic', { topic, 'm.topic': [{ mimetype: 'text/plain', body: topic }] });
  for (const invitee of invites) {
    const target = hs.rooms.resolveTarget(roomId, version, invitee);
    const invitedUser = hs.accounts.getUser(invitee);
    send(
      'm.room.member',
      {
        membership: 'invite',
        ...(isDirect ? { is_direct: true } : {}),
        ...(invitedUser?.displayname ? { displayname: invitedUser.displayname } : {}),
      },
      target,
    );
  }
  return roomId;
}
