// End-to-end encryption on the server (spec: "End-to-end encryption" and the federation's device management): key
// queries and claims (local, and over federation), to-device messages (local inboxes, m.direct_to_device out and in),
// device lists (local changes go to the servers we share rooms with as m.device_list_update; remote ones are cached,
// in prev_id order, with a resync through /user/devices when a gap shows), and what /sync reports of all that.
// The server never sees plaintext: keys are public, messages and backups are ciphertext it stores and relays.
import { randomBytes } from 'node:crypto';
import type { Federation } from '../federation/federation';
import { isServerName } from '../federation/client';
import { serverOfUserId } from '../federation/pdu-rules';
import type { LinkService } from '../links/link-service';
import { usesMemberKeys } from '../rooms/room-versions';
import type { AccountStore, Session } from '../storage/accounts';
import type { E2eKeyStore, RemoteDeviceList } from '../storage/e2e-keys';
import type { EventStore } from '../storage/events';
import type { Notifier } from '../sync/notifier';
import type { SyncToken } from '../sync/tokens';

type Json = Record<string, unknown>;

/** At most this many to-device messages per /sync (the rest follow in the next one, in order). */
export const TO_DEVICE_PER_SYNC = 100;
/** At most this many users and devices per key query or claim, local or from another server. */
export const MAX_QUERY_USERS = 1000;
export const MAX_DEVICES_PER_USER = 1000;
/** At most this many (user, device) messages in one m.direct_to_device EDU, and in one /sendToDevice. */
export const MAX_TO_DEVICE_MESSAGES = 10_000;
const REMOTE_TIMEOUT_MS = 10_000;

export interface E2eeDeps {
  serverName: string;
  keys: E2eKeyStore;
  events: EventStore;
  links: LinkService;
  notifier: Notifier;
  accounts: AccountStore;
  federation: Federation;
}

export interface KeyQueryResult {
  device_keys: Record<string, Record<string, Json>>;
  master_keys: Record<string, Json>;
  self_signing_keys: Record<string, Json>;
  user_signing_keys: Record<string, Json>;
  failures: Record<string, Json>;
}

export interface E2eeSync {
  toDevice: Json[];
  changed: string[];
  left: string[];
  oneTimeKeyCounts: Record<string, number>;
  unusedFallbackKeyTypes: string[];
  /** Lower than the requested position when the to-device messages were capped: the next sync starts there. */
  position: number;
}

const isUserId = (id: unknown): id is string => typeof id === 'string' && /^@[^:\s]+:\S+$/.test(id) && id.length <= 255;

export class E2ee {
  readonly keys: E2eKeyStore;
  private readonly serverName: string;
  private readonly events: EventStore;
  private readonly links: LinkService;
  private readonly notifier: Notifier;
  private readonly accounts: AccountStore;
  private readonly federation: Federation;
  private readonly joinedCache = new Map<string, { version: string; users: ReadonlySet<string> }>();
  private readonly resyncs = new Map<string, Promise<void>>();

  constructor(deps: E2eeDeps) {
    ({
      serverName: this.serverName,
      keys: this.keys,
      events: this.events,
      links: this.links,
      notifier: this.notifier,
      accounts: this.accounts,
      federation: this.federation,
    } = deps);
    for (const type of ['m.direct_to_device', 'm.device_list_update', 'm.signing_key_update'])
      this.federation.edus.handle(type, (origin, content) => this.receiveEdu(origin, type, content));
    // A deleted device's keys go with it, and everyone who shares a room hears that its list changed.
    this.accounts.onDevicesDeleted((userId, deviceIds) => {
      for (const deviceId of deviceIds) {
        this.keys.deleteDevice(userId, deviceId);
        this.localDeviceChanged(userId, deviceId, { deleted: true });
      }
    });
  }

  private isLocal(userId: string): boolean {
    return serverOfUserId(userId) === this.serverName;
  }

  // ---- who shares rooms with whom -------------------------------------------------------------------------

  /** The user IDs of a room's joined members (member-key rooms: those whose link is verified). */
  joinedUserIds(roomId: string): ReadonlySet<string> {
    const room = this.events.room(roomId);
    if (!room) return new Set();
    const version = `${this.events.stateVersion(roomId)}/${this.links.verdictVersion()}`;
    const cached = this.joinedCache.get(roomId);
    if (cached && cached.version === version) return cached.users;
    const memberKeys = usesMemberKeys(room.room_version);
    const users = new Set<string>();
    for (const event of this.events.currentStateView(roomId).values()) {
      if (event.pdu.type !== 'm.room.member' || event.pdu.content.membership !== 'join' || !event.pdu.state_key) continue;
      const userId = memberKeys ? this.links.memberInfo(roomId, event.pdu.state_key).user_id : event.pdu.state_key;
      if (userId) users.add(userId);
    }
    if (!this.events.inTransaction()) {
      if (this.joinedCache.size >= 10_000) this.joinedCache.clear();
      this.joinedCache.set(roomId, { version, users });
    }
    return users;
  }

  /** The user ID a member event names (member-key rooms: its verified link), if any. */
  userIdOfMember(roomId: string, version: string, stateKey: string): string | undefined {
    if (!usesMemberKeys(version)) return stateKey;
    return this.links.memberInfo(roomId, stateKey).user_id ?? undefined;
  }

  /** Rooms with a local member joined. */
  private localRooms(): string[] {
    return this.keys.localJoinedRoomIds();
  }

  private roomsOfLocalUser(userId: string): string[] {
    return this.events
      .membershipsOf(userId)
      .filter((m) => m.membership === 'join')
      .map((m) => m.room_id);
  }

  /** Everyone (local or remote) who shares a joined room with the local user `userId`, the user included. */
  usersSharingRoomWith(userId: string): Set<string> {
    const users = new Set<string>([userId]);
    for (const roomId of this.roomsOfLocalUser(userId)) for (const u of this.joinedUserIds(roomId)) users.add(u);
    return users;
  }

  /** Local users sharing a joined room with `userId` (local or remote). */
  localUsersSharingRoomWith(userId: string): Set<string> {
    const users = new Set<string>();
    if (this.isLocal(userId)) users.add(userId);
    for (const roomId of this.localRooms()) {
      const joined = this.joinedUserIds(roomId);
      if (!joined.has(userId)) continue;
      for (const u of joined) if (this.isLocal(u)) users.add(u);
    }
    return users;
  }

  /** Other servers that share a room with the local user (they get its device-list updates). */
  private serversSharingRoomWith(userId: string): Set<string> {
    const servers = new Set<string>();
    for (const roomId of this.roomsOfLocalUser(userId)) {
      if (this.federation.federationForbidden(roomId)) continue;
      for (const server of this.federation.serversInRoom(roomId)) servers.add(server);
    }
    return servers;
  }

  // ---- local device changes ---------------------------------------------------------------------------------

  /**
   * A local device was added, re-keyed, re-signed or deleted: a new position on the device-list stream (local
   * clients that share a room see the user in `device_lists.changed`) and an m.device_list_update to every server
   * that shares a room, chained by `prev_id` so the receiver can tell it missed one.
   */
  localDeviceChanged(userId: string, deviceId: string, change: { deleted?: boolean } = {}): void {
    const previous = this.keys.lastDeviceListChange(userId);
    const streamId = this.keys.recordDeviceListChange(userId);
    this.notifier.notifyUsers(this.localUsersSharingRoomWith(userId));
    const servers = this.serversSharingRoomWith(userId);
    if (servers.size === 0) return;
    const keys = change.deleted ? undefined : this.keys.deviceKeys(userId).get(deviceId);
    const displayName = change.deleted ? undefined : this.accounts.device(userId, deviceId)?.display_name;
    this.federation.sendEduTo(servers, 'm.device_list_update', {
      user_id: userId,
      device_id: deviceId,
      stream_id: streamId,
      prev_id: previous !== undefined ? [previous] : [],
      ...(change.deleted ? { deleted: true } : {}),
      ...(keys ? { keys } : {}),
      ...(displayName ? { device_display_name: displayName } : {}),
    });
  }

  /** The local user's cross-signing keys changed: the stream, and m.signing_key_update to the servers sharing rooms. */
  localSigningKeysChanged(userId: string): void {
    this.keys.recordDeviceListChange(userId);
    this.notifier.notifyUsers(this.localUsersSharingRoomWith(userId));
    const servers = this.serversSharingRoomWith(userId);
    if (servers.size === 0) return;
    const master = this.keys.crossSigningKey(userId, 'master', userId);
    const selfSigning = this.keys.crossSigningKey(userId, 'self_signing', userId);
    this.federation.sendEduTo(servers, 'm.signing_key_update', {
      user_id: userId,
      ...(master ? { master_key: master } : {}),
      ...(selfSigning ? { self_signing_key: selfSigning } : {}),
    });
  }

  /**
   * `signer` signed `target`'s master key with its user-signing key: the signer's devices must query the target again
   * to see the signature (and the target as verified). Synapse tells only the signer; this stream has no per-viewer
   * rows, so whoever shares a room with the target re-queries too (and a server sent its next device update sees a
   * gap and resyncs): a query more, nothing wrong.
   */
  signedOtherUser(signer: string, target: string): void {
    this.keys.recordDeviceListChange(target);
    this.notifier.notifyUsers([signer]);
  }

  // ---- key queries and claims --------------------------------------------------------------------------------

  /** Local users' keys as `viewer` may see them (user-signing keys only to their owner; `viewer` undefined: a server). */
  localKeys(request: Record<string, string[]>, viewer: string | undefined): Omit<KeyQueryResult, 'failures'> {
    const result: Omit<KeyQueryResult, 'failures'> = { device_keys: {}, master_keys: {}, self_signing_keys: {}, user_signing_keys: {} };
    for (const [userId, wanted] of Object.entries(request)) {
      if (!this.isLocal(userId)) continue;
      const devices: Record<string, Json> = {};
      const names = new Map(this.accounts.devices(userId).map((d) => [d.device_id, d.display_name]));
      for (const [deviceId, keys] of this.keys.deviceKeys(userId)) {
        if (wanted.length > 0 && !wanted.includes(deviceId)) continue;
        if (!names.has(deviceId)) continue;
        const name = names.get(deviceId);
        devices[deviceId] = { ...keys, unsigned: { ...(name ? { device_display_name: name } : {}) } };
      }
      result.device_keys[userId] = devices;
      const master = this.keys.crossSigningKey(userId, 'master', viewer ?? userId);
      if (master) result.master_keys[userId] = master;
      const selfSigning = this.keys.crossSigningKey(userId, 'self_signing', viewer ?? userId);
      if (selfSigning) result.self_signing_keys[userId] = selfSigning;
      if (viewer === userId) {
        const userSigning = this.keys.crossSigningKey(userId, 'user_signing', userId);
        if (userSigning) result.user_signing_keys[userId] = userSigning;
      }
    }
    return result;
  }

  /** A request's remote users grouped by their server (one federation request each); unusable server names dropped. */
  private remoteUsersByServer<T>(request: Record<string, T>): Map<string, Record<string, T>> {
    const byServer = new Map<string, Record<string, T>>();
    for (const [userId, value] of Object.entries(request)) {
      if (this.isLocal(userId)) continue;
      const server = serverOfUserId(userId);
      if (!isServerName(server)) continue;
      const group = byServer.get(server) ?? {};
      group[userId] = value;
      byServer.set(server, group);
    }
    return byServer;
  }

  /** /keys/query: local users from the store, remote users from their servers (their cache if a server is down). */
  async queryKeys(viewer: string, request: Record<string, string[]>, timeoutMs = REMOTE_TIMEOUT_MS): Promise<KeyQueryResult> {
    const result: KeyQueryResult = { ...this.localKeys(request, viewer), failures: {} };
    const byServer = this.remoteUsersByServer(request);
    await Promise.all(
      [...byServer].map(async ([server, users]) => {
        try {
          const answer = await this.federation.client.request<Json>(server, 'POST', '/_matrix/federation/v1/user/keys/query', {
            body: { device_keys: users },
            timeoutMs: Math.min(timeoutMs, REMOTE_TIMEOUT_MS),
          });
          mergeRemoteKeys(result, answer, server, users);
        } catch (error) {
          result.failures[server] = { status: 503, message: (error as Error).message };
          // Down: what its last device-list updates told us, for users we track.
          for (const [userId, wanted] of Object.entries(users)) {
            const cached = this.keys.remoteDeviceList(userId);
            if (cached) addCached(result, cached, wanted);
          }
        }
      }),
    );
    return result;
  }

  /** Claims local one-time keys (fallback keys when none are left). */
  claimLocal(request: Record<string, Record<string, string>>): Record<string, Record<string, Json>> {
    const claimed: Record<string, Record<string, Json>> = {};
    this.keys.transaction(() => {
      for (const [userId, devices] of Object.entries(request)) {
        if (!this.isLocal(userId)) continue;
        for (const [deviceId, algorithm] of Object.entries(devices)) {
          const key = this.keys.claimKey(userId, deviceId, algorithm);
          if (!key) continue;
          ((claimed[userId] ??= {})[deviceId] ??= {})[key.keyId] = key.key;
        }
      }
    });
    return claimed;
  }

  async claimKeys(request: Record<string, Record<string, string>>, timeoutMs = REMOTE_TIMEOUT_MS) {
    const one_time_keys = this.claimLocal(request);
    const failures: Record<string, Json> = {};
    const byServer = this.remoteUsersByServer(request);
    await Promise.all(
      [...byServer].map(async ([server, users]) => {
        try {
          const answer = await this.federation.client.request<Json>(server, 'POST', '/_matrix/federation/v1/user/keys/claim', {
            body: { one_time_keys: users },
            timeoutMs: Math.min(timeoutMs, REMOTE_TIMEOUT_MS),
          });
          const keys = answer.one_time_keys;
          if (!isJsonObject(keys)) return;
          // A server answers for its own users, and only for the devices asked about.
          for (const [userId, devices] of Object.entries(keys)) {
            if (!(userId in users) || !isJsonObject(devices)) continue;
            for (const [deviceId, key] of Object.entries(devices)) {
              if (!(deviceId in users[userId]!) || !isJsonObject(key)) continue;
              (one_time_keys[userId] ??= {})[deviceId] = key;
            }
          }
        } catch (error) {
          failures[server] = { status: 503, message: (error as Error).message };
        }
      }),
    );
    return { one_time_keys, failures };
  }

  // ---- to-device ---------------------------------------------------------------------------------------------

  /**
   * /sendToDevice: local recipients get the message in their inboxes now; remote ones through one m.direct_to_device
   * EDU per server, on the persisted outbound queue (in order, once). A retried transaction ID does nothing.
   */
  sendToDevice(session: Session, txnId: string, type: string, messages: Record<string, Record<string, Json>>): void {
    const local = new Set<string>();
    const remote = new Map<string, Record<string, Record<string, Json>>>();
    this.keys.transaction(() => {
      if (!this.keys.firstToDeviceTxn(session.userId, session.deviceId, txnId)) return;
      for (const [userId, devices] of Object.entries(messages)) {
        if (this.isLocal(userId)) {
          const known = this.accounts.devices(userId).map((d) => d.device_id);
          for (const [deviceId, content] of Object.entries(devices)) {
            const targets = deviceId === '*' ? known : known.includes(deviceId) ? [deviceId] : [];
            for (const target of targets) this.keys.enqueueToDevice(userId, target, { type, sender: session.userId, content });
            if (targets.length > 0) local.add(userId);
          }
        } else {
          const server = serverOfUserId(userId);
          if (!isServerName(server)) continue;
          const forServer = remote.get(server) ?? {};
          forServer[userId] = devices;
          remote.set(server, forServer);
        }
      }
      for (const [server, byUser] of remote) {
        this.federation.sendEduTo([server], 'm.direct_to_device', {
          sender: session.userId,
          type,
          message_id: randomBytes(16).toString('base64url'),
          messages: byUser,
        });
      }
    });
    if (local.size > 0) this.notifier.notifyUsers(local);
  }

  // ---- inbound EDUs ------------------------------------------------------------------------------------------

  /** The EDUs of this module, from `origin`; each is about users of `origin` only (anything else is dropped). */
  receiveEdu(origin: string, type: string, content: Json): void {
    if (type === 'm.direct_to_device') this.receiveToDevice(origin, content);
    else if (type === 'm.device_list_update') this.receiveDeviceListUpdate(origin, content);
    else if (type === 'm.signing_key_update') this.receiveSigningKeyUpdate(origin, content);
  }

  private receiveToDevice(origin: string, content: Json): void {
    const { sender, type, message_id: messageId, messages } = content;
    if (!isUserId(sender) || serverOfUserId(sender) !== origin) return;
    if (typeof type !== 'string' || type.length > 255 || typeof messageId !== 'string' || messageId.length > 255) return;
    if (!isJsonObject(messages)) return;
    const recipients = new Set<string>();
    this.keys.transaction(() => {
      if (!this.keys.firstReceived(origin, messageId)) return;
      let budget = MAX_TO_DEVICE_MESSAGES;
      for (const [userId, devices] of Object.entries(messages)) {
        if (!isUserId(userId) || !this.isLocal(userId) || !isJsonObject(devices)) continue;
        const known = this.accounts.devices(userId).map((d) => d.device_id);
        for (const [deviceId, message] of Object.entries(devices)) {
          if (!isJsonObject(message)) continue;
          const targets = deviceId === '*' ? known : known.includes(deviceId) ? [deviceId] : [];
          for (const target of targets) {
            if (budget-- <= 0) return;
            this.keys.enqueueToDevice(userId, target, { type, sender, content: message });
            recipients.add(userId);
          }
        }
      }
    });
    if (recipients.size > 0) this.notifier.notifyUsers(recipients);
  }

  private receiveDeviceListUpdate(origin: string, content: Json): void {
    const {
      user_id: userId,
      device_id: deviceId,
      stream_id: streamId,
      prev_id: prevIds,
      deleted,
      keys,
      device_display_name: name,
    } = content;
    if (!isUserId(userId) || serverOfUserId(userId) !== origin) return;
    if (typeof deviceId !== 'string' || deviceId.length > 255 || !Number.isSafeInteger(streamId)) return;
    const prev = Array.isArray(prevIds) ? prevIds.filter((p): p is number => Number.isSafeInteger(p)) : [];
    // Only users someone here shares a room with are tracked: a server can't fill our database with strangers.
    const interested = this.localUsersSharingRoomWith(userId);
    if (interested.size === 0) return;
    const cached = this.keys.remoteDeviceList(userId);
    if (cached && (streamId as number) <= cached.streamId) return; // seen already (a retry, or out of date)
    const inOrder =
      cached !== undefined && prev.every((p) => p <= cached.streamId) && (prev.length === 0 || prev.includes(cached.streamId));
    if (!inOrder) {
      // A gap (or the first we hear of this user): fetch the whole list from its server.
      void this.resync(origin, userId);
      return;
    }
    const devices = { ...cached.devices };
    if (deleted === true) delete devices[deviceId];
    else {
      if (keys !== undefined && !validDeviceKeys(keys, userId, deviceId)) return;
      devices[deviceId] = { ...(isJsonObject(keys) ? { keys } : {}), ...(typeof name === 'string' ? { device_display_name: name } : {}) };
    }
    this.keys.putRemoteDeviceList({ ...cached, streamId: streamId as number, devices });
    this.keys.recordDeviceListChange(userId);
    this.notifier.notifyUsers(interested);
  }

  private receiveSigningKeyUpdate(origin: string, content: Json): void {
    const { user_id: userId, master_key: master, self_signing_key: selfSigning } = content;
    if (!isUserId(userId) || serverOfUserId(userId) !== origin) return;
    if (master !== undefined && !validCrossSigningKey(master, userId, 'master')) return;
    if (selfSigning !== undefined && !validCrossSigningKey(selfSigning, userId, 'self_signing')) return;
    const interested = this.localUsersSharingRoomWith(userId);
    if (interested.size === 0) return;
    const cached = this.keys.remoteDeviceList(userId);
    if (!cached) {
      void this.resync(origin, userId);
      return;
    }
    this.keys.putRemoteDeviceList({
      ...cached,
      ...(master ? { masterKey: master as Json } : {}),
      ...(selfSigning ? { selfSigningKey: selfSigning as Json } : {}),
    });
    this.keys.recordDeviceListChange(userId);
    this.notifier.notifyUsers(interested);
  }

  /** Fetches a remote user's whole device list (once at a time per user) and tells local users it changed. */
  resync(origin: string, userId: string): Promise<void> {
    const running = this.resyncs.get(userId);
    if (running) return running;
    const work = (async () => {
      try {
        const answer = await this.federation.client.request<Json>(
          origin,
          'GET',
          `/_matrix/federation/v1/user/devices/${encodeURIComponent(userId)}`,
          { timeoutMs: REMOTE_TIMEOUT_MS },
        );
        if (answer.user_id !== userId || !Number.isSafeInteger(answer.stream_id) || !Array.isArray(answer.devices)) return;
        const devices: RemoteDeviceList['devices'] = {};
        for (const device of answer.devices.slice(0, MAX_DEVICES_PER_USER)) {
          if (!isJsonObject(device) || typeof device.device_id !== 'string') continue;
          if (device.keys !== undefined && !validDeviceKeys(device.keys, userId, device.device_id)) continue;
          devices[device.device_id] = {
            ...(isJsonObject(device.keys) ? { keys: device.keys } : {}),
            ...(typeof device.device_display_name === 'string' ? { device_display_name: device.device_display_name } : {}),
          };
        }
        const master = validCrossSigningKey(answer.master_key, userId, 'master') ? (answer.master_key as Json) : undefined;
        const selfSigning = validCrossSigningKey(answer.self_signing_key, userId, 'self_signing')
          ? (answer.self_signing_key as Json)
          : undefined;
        this.keys.putRemoteDeviceList({
          userId,
          streamId: answer.stream_id as number,
          devices,
          ...(master ? { masterKey: master } : {}),
          ...(selfSigning ? { selfSigningKey: selfSigning } : {}),
        });
        this.keys.recordDeviceListChange(userId);
        this.notifier.notifyUsers(this.localUsersSharingRoomWith(userId));
      } catch (error) {
        console.error(`e2ee: device list resync of ${userId} from ${origin} failed: ${(error as Error).message}`);
      } finally {
        this.resyncs.delete(userId);
      }
    })();
    this.resyncs.set(userId, work);
    return work;
  }

  /** /user/devices for another server: the local user's devices and cross-signing keys, at its stream position. */
  userDevices(userId: string): Json {
    const names = new Map(this.accounts.devices(userId).map((d) => [d.device_id, d.display_name]));
    const keys = this.keys.deviceKeys(userId);
    const devices = [...names].map(([deviceId, name]) => ({
      device_id: deviceId,
      ...(keys.get(deviceId) ? { keys: keys.get(deviceId) } : {}),
      ...(name ? { device_display_name: name } : {}),
    }));
    const master = this.keys.crossSigningKey(userId, 'master', userId);
    const selfSigning = this.keys.crossSigningKey(userId, 'self_signing', userId);
    return {
      user_id: userId,
      stream_id: this.keys.lastDeviceListChange(userId) ?? 0,
      devices,
      ...(master ? { master_key: master } : {}),
      ...(selfSigning ? { self_signing_key: selfSigning } : {}),
    };
  }

  // ---- /sync -----------------------------------------------------------------------------------------------------

  /**
   * The device's E2EE sections of a /sync from `since` to `next`. A token past a to-device message acknowledges it
   * (it goes); messages come oldest first, at most TO_DEVICE_PER_SYNC, and when capped `position` stops at the last
   * one given, so the next sync continues from there.
   */
  syncSections(session: Session, since: SyncToken | undefined, upTo: number): E2eeSync {
    const { userId, deviceId } = session;
    if (since) this.keys.acknowledgeToDevice(userId, deviceId, since.position);
    const rows = this.keys.toDeviceMessages(userId, deviceId, since?.position ?? 0, upTo, TO_DEVICE_PER_SYNC);
    const position = rows.length === TO_DEVICE_PER_SYNC ? rows.at(-1)!.streamId : upTo;
    const counts = this.keys.oneTimeKeyCounts(userId, deviceId);
    const sections: E2eeSync = {
      toDevice: rows.map((r) => r.message as unknown as Json),
      changed: [],
      left: [],
      oneTimeKeyCounts: { signed_curve25519: 0, ...counts },
      unusedFallbackKeyTypes: this.keys.unusedFallbackKeyTypes(userId, deviceId),
      position,
    };
    if (since && position > since.position) Object.assign(sections, this.changesBetween(userId, since.position, position));
    return sections;
  }

  /**
   * Users whose devices changed, or who came to share a room with `userId`, in (from, to]; and users who no longer
   * share any room with it. Read only when something moved in that range (most syncs read two indexes and stop).
   */
  changesBetween(userId: string, from: number, to: number): { changed: string[]; left: string[] } {
    const changedUsers = this.keys.deviceListChanges(from, to);
    const memberChanges = this.keys.memberChanges(from, to);
    if (changedUsers.length === 0 && memberChanges.length === 0) return { changed: [], left: [] };
    const myRooms = new Set(this.events.membershipsOf(userId).map((m) => m.room_id));
    const changed = new Set<string>();
    const leftCandidates = new Set<string>();
    for (const change of memberChanges) {
      if (!myRooms.has(change.roomId)) continue;
      const room = this.events.room(change.roomId);
      if (!room) continue;
      const member = this.userIdOfMember(change.roomId, room.room_version, change.stateKey);
      if (member === userId) {
        // My own join: everyone there now shares a room with me; my leave: they may not any more.
        const everyone = this.joinedUserIds(change.roomId);
        for (const u of everyone) (change.membership === 'join' ? changed : leftCandidates).add(u);
        if (change.membership !== 'join') for (const u of this.everJoinedUserIds(change.roomId)) leftCandidates.add(u);
      } else if (member) (change.membership === 'join' ? changed : leftCandidates).add(member);
    }
    let sharing: Set<string> | undefined;
    const shares = (u: string) => (sharing ??= this.usersSharingRoomWith(userId)).has(u);
    for (const u of changedUsers) if (shares(u)) changed.add(u);
    const left = [...leftCandidates].filter((u) => u !== userId && !shares(u));
    for (const u of left) changed.delete(u);
    for (const u of changed) if (!shares(u)) changed.delete(u);
    return { changed: [...changed], left };
  }

  /** Members a room had (any membership): who may have shared it with a user who just left. */
  private everJoinedUserIds(roomId: string): Set<string> {
    const room = this.events.room(roomId);
    const users = new Set<string>();
    if (!room) return users;
    for (const event of this.events.currentStateView(roomId).values()) {
      if (event.pdu.type !== 'm.room.member' || !event.pdu.state_key) continue;
      const u = this.userIdOfMember(roomId, room.room_version, event.pdu.state_key);
      if (u) users.add(u);
    }
    return users;
  }
}

function isJsonObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Device keys must name the user and device they are filed under (a server can't slip in another's keys). */
export function validDeviceKeys(keys: unknown, userId: string, deviceId: string): keys is Json {
  return isJsonObject(keys) && keys.user_id === userId && keys.device_id === deviceId && isJsonObject(keys.keys);
}

/** A cross-signing key of `usage` for `userId`: one ed25519 key, named by its public key. */
export function validCrossSigningKey(key: unknown, userId: string, usage: string): key is Json {
  if (!isJsonObject(key) || key.user_id !== userId || !Array.isArray(key.usage) || !key.usage.includes(usage)) return false;
  if (!isJsonObject(key.keys)) return false;
  const entries = Object.entries(key.keys);
  return entries.length === 1 && entries[0]![0] === `ed25519:${entries[0]![1]}` && typeof entries[0]![1] === 'string';
}

/** Takes from a server's /user/keys/query answer only what concerns its own users and the devices asked about. */
function mergeRemoteKeys(result: KeyQueryResult, answer: Json, server: string, asked: Record<string, string[]>): void {
  const deviceKeys = isJsonObject(answer.device_keys) ? answer.device_keys : {};
  for (const [userId, wanted] of Object.entries(asked)) {
    if (serverOfUserId(userId) !== server) continue;
    const devices = deviceKeys[userId];
    const out: Record<string, Json> = {};
    if (isJsonObject(devices)) {
      for (const [deviceId, keys] of Object.entries(devices)) {
        if (wanted.length > 0 && !wanted.includes(deviceId)) continue;
        if (validDeviceKeys(keys, userId, deviceId)) out[deviceId] = keys;
      }
    }
    result.device_keys[userId] = out;
    for (const [field, usage] of [
      ['master_keys', 'master'],
      ['self_signing_keys', 'self_signing'],
    ] as const) {
      const byUser = answer[field];
      const key = isJsonObject(byUser) ? byUser[userId] : undefined;
      if (validCrossSigningKey(key, userId, usage)) result[field][userId] = key;
    }
  }
}

function addCached(result: KeyQueryResult, cached: RemoteDeviceList, wanted: string[]): void {
  const out: Record<string, Json> = {};
  for (const [deviceId, device] of Object.entries(cached.devices)) {
    if (wanted.length > 0 && !wanted.includes(deviceId)) continue;
    if (device.keys)
      out[deviceId] = { ...device.keys, unsigned: device.device_display_name ? { device_display_name: device.device_display_name } : {} };
  }
  result.device_keys[cached.userId] = out;
  if (cached.masterKey) result.master_keys[cached.userId] = cached.masterKey;
  if (cached.selfSigningKey) result.self_signing_keys[cached.userId] = cached.selfSigningKey;
}
