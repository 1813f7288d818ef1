// End-to-end encryption storage: device keys, one-time and fallback keys, cross-signing keys and the signatures
// others made of them, the device-list change stream, remote device lists (federation's cache), to-device inboxes.
// The server stores public keys and opaque ciphertext only.
import type { Db, StreamCounter } from './database';

type Json = Record<string, unknown>;

export type CrossSigningKeyType = 'master' | 'self_signing' | 'user_signing';

export interface OneTimeKey {
  algorithm: string;
  keyId: string;
  key: unknown;
}

export interface RemoteDeviceList {
  userId: string;
  streamId: number;
  devices: Record<string, { keys?: Json; device_display_name?: string }>;
  masterKey?: Json;
  selfSigningKey?: Json;
}

export interface ToDeviceRow {
  streamId: number;
  message: { type: string; sender: string; content: Json };
}

export class E2eKeyStore {
  private readonly s;

  constructor(
    private readonly db: Db,
    private readonly stream: StreamCounter,
  ) {
    this.s = {
      deviceKeys: db.prepare('SELECT device_id, key_json FROM e2e_device_keys WHERE user_id = ?'),
      deviceKey: db.prepare('SELECT key_json FROM e2e_device_keys WHERE user_id = ? AND device_id = ?').pluck(),
      putDeviceKeys: db.prepare('INSERT OR REPLACE INTO e2e_device_keys (user_id, device_id, key_json) VALUES (?, ?, ?)'),
      deleteDeviceKeys: db.prepare('DELETE FROM e2e_device_keys WHERE user_id = ? AND device_id = ?'),
      otk: db
        .prepare('SELECT key_json FROM e2e_one_time_keys WHERE user_id = ? AND device_id = ? AND algorithm = ? AND key_id = ?')
        .pluck(),
      putOtk: db.prepare('INSERT INTO e2e_one_time_keys (user_id, device_id, algorithm, key_id, key_json) VALUES (?, ?, ?, ?, ?)'),
      otkCounts: db.prepare(
        'SELECT algorithm, COUNT(*) AS n FROM e2e_one_time_keys WHERE user_id = ? AND device_id = ? GROUP BY algorithm',
      ),
      takeOtk: db.prepare(
        'DELETE FROM e2e_one_time_keys WHERE rowid = (SELECT rowid FROM e2e_one_time_keys WHERE user_id = ? AND device_id = ? AND algorithm = ? ORDER BY key_id LIMIT 1) RETURNING key_id, key_json',
      ),
      deleteOtks: db.prepare('DELETE FROM e2e_one_time_keys WHERE user_id = ? AND device_id = ?'),
      fallback: db.prepare('SELECT key_id, key_json, used FROM e2e_fallback_keys WHERE user_id = ? AND device_id = ? AND algorithm = ?'),
      putFallback: db.prepare(
        'INSERT OR REPLACE INTO e2e_fallback_keys (user_id, device_id, algorithm, key_id, key_json, used) VALUES (?, ?, ?, ?, ?, 0)',
      ),
      useFallback: db.prepare('UPDATE e2e_fallback_keys SET used = 1 WHERE user_id = ? AND device_id = ? AND algorithm = ?'),
      unusedFallbacks: db.prepare('SELECT algorithm FROM e2e_fallback_keys WHERE user_id = ? AND device_id = ? AND used = 0').pluck(),
      deleteFallbacks: db.prepare('DELETE FROM e2e_fallback_keys WHERE user_id = ? AND device_id = ?'),
      crossSigningKey: db.prepare('SELECT key_json FROM e2e_cross_signing_keys WHERE user_id = ? AND key_type = ?').pluck(),
      putCrossSigningKey: db.prepare('INSERT OR REPLACE INTO e2e_cross_signing_keys (user_id, key_type, key_json) VALUES (?, ?, ?)'),
      signaturesOf: db.prepare(
        'SELECT signer_user_id, signer_key_id, signature FROM e2e_signatures WHERE target_user_id = ? AND target_key_id = ?',
      ),
      putSignature: db.prepare(
        'INSERT OR REPLACE INTO e2e_signatures (target_user_id, target_key_id, signer_user_id, signer_key_id, signature) VALUES (?, ?, ?, ?, ?)',
      ),
      deleteSignaturesOf: db.prepare('DELETE FROM e2e_signatures WHERE target_user_id = ? AND target_key_id = ?'),
      addChange: db.prepare('INSERT INTO device_list_changes (stream_id, user_id) VALUES (?, ?)'),
      changes: db.prepare('SELECT DISTINCT user_id FROM device_list_changes WHERE stream_id > ? AND stream_id <= ?').pluck(),
      lastChange: db.prepare('SELECT MAX(stream_id) FROM device_list_changes WHERE user_id = ?').pluck(),
      memberChanges: db.prepare(
        "SELECT room_id, state_key, json_extract(pdu, '$.content.membership') AS membership FROM events WHERE type = 'm.room.member' AND stream_ordering > ? AND stream_ordering <= ? ORDER BY stream_ordering",
      ),
      localJoinedRooms: db.prepare("SELECT DISTINCT room_id FROM local_memberships WHERE membership = 'join'").pluck(),
      remoteList: db.prepare('SELECT * FROM remote_device_lists WHERE user_id = ?'),
      putRemoteList: db.prepare(
        'INSERT OR REPLACE INTO remote_device_lists (user_id, stream_id, devices_json, master_key_json, self_signing_key_json, updated_ts) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      deleteRemoteList: db.prepare('DELETE FROM remote_device_lists WHERE user_id = ?'),
      enqueueToDevice: db.prepare('INSERT INTO to_device_inbox (stream_id, user_id, device_id, message_json) VALUES (?, ?, ?, ?)'),
      toDevice: db.prepare(
        'SELECT stream_id, message_json FROM to_device_inbox WHERE user_id = ? AND device_id = ? AND stream_id > ? AND stream_id <= ? ORDER BY stream_id LIMIT ?',
      ),
      hasAcked: db.prepare('SELECT 1 FROM to_device_inbox WHERE user_id = ? AND device_id = ? AND stream_id <= ? LIMIT 1').pluck(),
      ackToDevice: db
        .prepare('DELETE FROM to_device_inbox WHERE user_id = ? AND device_id = ? AND stream_id <= ? RETURNING stream_id')
        .pluck(),
      deleteInbox: db.prepare('DELETE FROM to_device_inbox WHERE user_id = ? AND device_id = ? RETURNING stream_id').pluck(),
      raiseFloor: db.prepare(
        "INSERT INTO stream_floor (name, position) VALUES ('to_device', ?) ON CONFLICT (name) DO UPDATE SET position = MAX(position, excluded.position)",
      ),
      recordTxn: db.prepare('INSERT OR IGNORE INTO to_device_txns (user_id, device_id, txn_id, created_ts) VALUES (?, ?, ?, ?)'),
      deleteTxns: db.prepare('DELETE FROM to_device_txns WHERE user_id = ? AND device_id = ?'),
      recordReceived: db.prepare('INSERT OR IGNORE INTO to_device_received (origin, message_id, received_ts) VALUES (?, ?, ?)'),
    };
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  // ---- device keys ------------------------------------------------------------------------------------------

  /** The user's device keys by device ID, with the signatures others uploaded for them merged in. */
  deviceKeys(userId: string): Map<string, Json> {
    const out = new Map<string, Json>();
    for (const row of this.s.deviceKeys.all(userId) as { device_id: string; key_json: string }[])
      out.set(row.device_id, this.withSignatures(userId, row.device_id, JSON.parse(row.key_json) as Json));
    return out;
  }

  /** One device's keys as uploaded (no other signatures). */
  ownDeviceKeys(userId: string, deviceId: string): Json | undefined {
    const text = this.s.deviceKey.get(userId, deviceId) as string | undefined;
    return text ? (JSON.parse(text) as Json) : undefined;
  }

  putDeviceKeys(userId: string, deviceId: string, keys: Json): void {
    this.s.putDeviceKeys.run(userId, deviceId, JSON.stringify(keys));
  }

  /** Forgets everything of a deleted device: keys, one-time and fallback keys, signatures of it, its inbox. */
  deleteDevice(userId: string, deviceId: string): void {
    this.s.deleteDeviceKeys.run(userId, deviceId);
    this.s.deleteOtks.run(userId, deviceId);
    this.s.deleteFallbacks.run(userId, deviceId);
    this.s.deleteSignaturesOf.run(userId, deviceId);
    this.raiseFloor(this.s.deleteInbox.all(userId, deviceId) as number[]);
    this.s.deleteTxns.run(userId, deviceId);
  }

  // ---- one-time and fallback keys ------------------------------------------------------------------------

  /** Stores new one-time keys; one already stored under the same ID must be the same key (else: the ID returned). */
  addOneTimeKeys(userId: string, deviceId: string, keys: OneTimeKey[]): string | undefined {
    for (const key of keys) {
      const existing = this.s.otk.get(userId, deviceId, key.algorithm, key.keyId) as string | undefined;
      if (existing !== undefined) {
        if (existing !== JSON.stringify(key.key)) return `${key.algorithm}:${key.keyId}`;
        continue;
      }
      this.s.putOtk.run(userId, deviceId, key.algorithm, key.keyId, JSON.stringify(key.key));
    }
    return undefined;
  }

  oneTimeKeyCounts(userId: string, deviceId: string): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const row of this.s.otkCounts.all(userId, deviceId) as { algorithm: string; n: number }[]) counts[row.algorithm] = row.n;
    return counts;
  }

  /** Takes one one-time key of `algorithm` (never handed out twice), else the fallback key (marked used). */
  claimKey(userId: string, deviceId: string, algorithm: string): { keyId: string; key: unknown } | undefined {
    const taken = this.s.takeOtk.get(userId, deviceId, algorithm) as { key_id: string; key_json: string } | undefined;
    if (taken) return { keyId: `${algorithm}:${taken.key_id}`, key: JSON.parse(taken.key_json) };
    const fallback = this.s.fallback.get(userId, deviceId, algorithm) as { key_id: string; key_json: string } | undefined;
    if (!fallback) return undefined;
    this.s.useFallback.run(userId, deviceId, algorithm);
    return { keyId: `${algorithm}:${fallback.key_id}`, key: JSON.parse(fallback.key_json) };
  }

  /** A new fallback key replaces the old one and is unused; the same key uploaded again keeps its used flag. */
  setFallbackKey(userId: string, deviceId: string, key: OneTimeKey): void {
    const existing = this.s.fallback.get(userId, deviceId, key.algorithm) as { key_id: string; key_json: string } | undefined;
    if (existing && existing.key_id === key.keyId && existing.key_json === JSON.stringify(key.key)) return;
    this.s.putFallback.run(userId, deviceId, key.algorithm, key.keyId, JSON.stringify(key.key));
  }

  unusedFallbackKeyTypes(userId: string, deviceId: string): string[] {
    return this.s.unusedFallbacks.all(userId, deviceId) as string[];
  }

  // ---- cross-signing ---------------------------------------------------------------------------------------

  /**
   * A cross-signing key with the signatures others made of it that `viewer` may see: the owner's own, and the
   * viewer's (a user-signing signature of someone's master key is for the signer's eyes, as in Synapse).
   */
  crossSigningKey(userId: string, type: CrossSigningKeyType, viewer: string): Json | undefined {
    const text = this.s.crossSigningKey.get(userId, type) as string | undefined;
    if (!text) return undefined;
    const key = JSON.parse(text) as Json;
    const keyId = Object.keys((key.keys as Json) ?? {})[0];
    return keyId ? this.withSignatures(userId, keyId, key, (signer) => signer === userId || signer === viewer) : key;
  }

  putCrossSigningKey(userId: string, type: CrossSigningKeyType, key: Json): void {
    this.s.putCrossSigningKey.run(userId, type, JSON.stringify(key));
    // A new master key starts without the old one's signatures by others.
    const keyId = Object.keys((key.keys as Json) ?? {})[0];
    if (keyId) this.s.deleteSignaturesOf.run(userId, keyId);
  }

  /** A signature of `targetKeyId` (a device ID, or `ed25519:<public key>` of a cross-signing key). */
  addSignature(targetUserId: string, targetKeyId: string, signerUserId: string, signerKeyId: string, signature: string): void {
    this.s.putSignature.run(targetUserId, targetKeyId, signerUserId, signerKeyId, signature);
  }

  private withSignatures(userId: string, keyId: string, key: Json, visible: (signer: string) => boolean = () => true): Json {
    const rows = (this.s.signaturesOf.all(userId, keyId) as { signer_user_id: string; signer_key_id: string; signature: string }[]).filter(
      (r) => visible(r.signer_user_id),
    );
    if (rows.length === 0) return key;
    const signatures = structuredClone((key.signatures as Record<string, Record<string, string>> | undefined) ?? {});
    for (const row of rows) (signatures[row.signer_user_id] ??= {})[row.signer_key_id] = row.signature;
    return { ...key, signatures };
  }

  // ---- the device-list stream ------------------------------------------------------------------------------

  /** Records that `userId`'s devices or cross-signing keys changed; returns the stream position taken. */
  recordDeviceListChange(userId: string): number {
    const position = this.stream.next();
    this.s.addChange.run(position, userId);
    return position;
  }

  /** Users whose device lists changed in (from, to]. */
  deviceListChanges(from: number, to: number): string[] {
    if (to <= from) return [];
    return this.s.changes.all(from, to) as string[];
  }

  /** Member events in (from, to], oldest first (a partial index on member events keeps this a short range read). */
  memberChanges(from: number, to: number): { roomId: string; stateKey: string; membership: string }[] {
    if (to <= from) return [];
    return (this.s.memberChanges.all(from, to) as { room_id: string; state_key: string; membership: unknown }[]).map((r) => ({
      roomId: r.room_id,
      stateKey: r.state_key,
      membership: String(r.membership),
    }));
  }

  /** Rooms some local user is joined to. */
  localJoinedRoomIds(): string[] {
    return this.s.localJoinedRooms.all() as string[];
  }

  lastDeviceListChange(userId: string): number | undefined {
    return (this.s.lastChange.get(userId) as number | null) ?? undefined;
  }

  // ---- remote device lists (what other servers told us) ----------------------------------------------------

  remoteDeviceList(userId: string): RemoteDeviceList | undefined {
    const row = this.s.remoteList.get(userId) as
      | { stream_id: number; devices_json: string; master_key_json: string | null; self_signing_key_json: string | null }
      | undefined;
    if (!row) return undefined;
    return {
      userId,
      streamId: row.stream_id,
      devices: JSON.parse(row.devices_json) as RemoteDeviceList['devices'],
      ...(row.master_key_json ? { masterKey: JSON.parse(row.master_key_json) as Json } : {}),
      ...(row.self_signing_key_json ? { selfSigningKey: JSON.parse(row.self_signing_key_json) as Json } : {}),
    };
  }

  putRemoteDeviceList(list: RemoteDeviceList): void {
    this.s.putRemoteList.run(
      list.userId,
      list.streamId,
      JSON.stringify(list.devices),
      list.masterKey ? JSON.stringify(list.masterKey) : null,
      list.selfSigningKey ? JSON.stringify(list.selfSigningKey) : null,
      Date.now(),
    );
  }

  forgetRemoteDeviceList(userId: string): void {
    this.s.deleteRemoteList.run(userId);
  }

  // ---- to-device inboxes -----------------------------------------------------------------------------------

  /** Queues a message for one device at the next stream position. */
  enqueueToDevice(userId: string, deviceId: string, message: ToDeviceRow['message']): number {
    const position = this.stream.next();
    this.s.enqueueToDevice.run(position, userId, deviceId, JSON.stringify(message));
    return position;
  }

  /** The device's messages in (after, upTo], oldest first, at most `limit`. */
  toDeviceMessages(userId: string, deviceId: string, after: number, upTo: number, limit: number): ToDeviceRow[] {
    return (this.s.toDevice.all(userId, deviceId, after, upTo, limit) as { stream_id: number; message_json: string }[]).map((r) => ({
      streamId: r.stream_id,
      message: JSON.parse(r.message_json) as ToDeviceRow['message'],
    }));
  }

  /** The device has seen every message up to `upTo` (it synced with a token past them): they go. */
  acknowledgeToDevice(userId: string, deviceId: string, upTo: number): void {
    // Most syncs acknowledge nothing: an indexed read first, so they take no write lock.
    if (this.s.hasAcked.get(userId, deviceId, upTo) === undefined) return;
    this.raiseFloor(this.s.ackToDevice.all(userId, deviceId, upTo) as number[]);
  }

  /** Deleted messages keep their positions taken: the stream restarts above them (database.ts StreamCounter). */
  private raiseFloor(deleted: number[]): void {
    if (deleted.length > 0) this.s.raiseFloor.run(Math.max(...deleted));
  }

  /** True the first time a client's (device, transaction ID) is seen: a retried /sendToDevice is answered, not re-sent. */
  firstToDeviceTxn(userId: string, deviceId: string, txnId: string): boolean {
    return this.s.recordTxn.run(userId, deviceId, txnId, Date.now()).changes === 1;
  }

  /** True the first time `origin` sends a to-device EDU with this message_id (a retried transaction delivers once). */
  firstReceived(origin: string, messageId: string): boolean {
    return this.s.recordReceived.run(origin, messageId, Date.now()).changes === 1;
  }
}
