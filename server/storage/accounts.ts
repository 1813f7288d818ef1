// Accounts, devices and access tokens. Tokens are 256-bit random and only their SHA-256 is stored.
import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import type { Db } from './database';

export interface Session {
  userId: string;
  deviceId: string;
}

export interface DeviceRow {
  device_id: string;
  display_name: string | null;
  last_seen_ts: number | null;
  last_seen_ip: string | null;
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password.normalize('NFKC'), salt, 32);
  return `scrypt$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export function checkPassword(password: string, stored: string | null): boolean {
  if (!stored) return false;
  const [scheme, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = scryptSync(password.normalize('NFKC'), Buffer.from(salt, 'base64'), expected.length);
  return timingSafeEqual(expected, actual);
}

const MAX_CACHED_SESSIONS = 10_000;

export class AccountStore {
  private readonly statements;
  private readonly lastTouched = new Map<string, number>();
  /** Sessions by access token (see sessionForToken). */
  private readonly sessions = new Map<string, Session>();
  private readonly deletedListeners: ((userId: string, deviceIds: string[]) => void)[] = [];

  /** `sessionsEnded` runs after access tokens are revoked, so long-polls holding one can answer now. */
  constructor(
    private readonly db: Db,
    private readonly sessionsEnded: () => void = () => undefined,
  ) {
    this.statements = {
      insertUser: db.prepare('INSERT INTO users (user_id, localpart, password_hash, displayname, created_ts) VALUES (?, ?, ?, ?, ?)'),
      userById: db.prepare('SELECT user_id, password_hash, displayname, avatar_url, deactivated FROM users WHERE user_id = ?'),
      insertDevice: db.prepare(
        'INSERT INTO devices (user_id, device_id, display_name, last_seen_ts, last_seen_ip) VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, device_id) DO UPDATE SET display_name = COALESCE(excluded.display_name, display_name), last_seen_ts = excluded.last_seen_ts, last_seen_ip = excluded.last_seen_ip',
      ),
      insertToken: db.prepare('INSERT INTO access_tokens (token_hash, user_id, device_id, created_ts) VALUES (?, ?, ?, ?)'),
      session: db.prepare('SELECT user_id AS userId, device_id AS deviceId FROM access_tokens WHERE token_hash = ?'),
      deleteToken: db.prepare('DELETE FROM access_tokens WHERE token_hash = ?'),
      deleteDeviceTokens: db.prepare('DELETE FROM access_tokens WHERE user_id = ? AND device_id = ?'),
      deleteUserTokens: db.prepare('DELETE FROM access_tokens WHERE user_id = ?'),
      deleteDevice: db.prepare('DELETE FROM devices WHERE user_id = ? AND device_id = ?'),
      deleteUserDevices: db.prepare('DELETE FROM devices WHERE user_id = ?'),
      devices: db.prepare('SELECT device_id, display_name, last_seen_ts, last_seen_ip FROM devices WHERE user_id = ? ORDER BY device_id'),
      device: db.prepare('SELECT device_id, display_name, last_seen_ts, last_seen_ip FROM devices WHERE user_id = ? AND device_id = ?'),
      renameDevice: db.prepare('UPDATE devices SET display_name = ? WHERE user_id = ? AND device_id = ?'),
      touchDevice: db.prepare('UPDATE devices SET last_seen_ts = ?, last_seen_ip = ? WHERE user_id = ? AND device_id = ?'),
      setDisplayname: db.prepare('UPDATE users SET displayname = ? WHERE user_id = ?'),
      setAvatar: db.prepare('UPDATE users SET avatar_url = ? WHERE user_id = ?'),
      allUsers: db.prepare('SELECT user_id FROM users ORDER BY created_ts'),
      searchUsers: db.prepare(
        "SELECT user_id, displayname, avatar_url FROM users WHERE deactivated = 0 AND (instr(lower(user_id), @needle) > 0 OR instr(lower(coalesce(displayname, '')), @needle) > 0) ORDER BY user_id LIMIT @limit",
      ),
      setPassword: db.prepare('UPDATE users SET password_hash = ? WHERE user_id = ?'),
      deactivate: db.prepare('UPDATE users SET deactivated = 1, password_hash = NULL WHERE user_id = ?'),
      erase: db.prepare('INSERT OR IGNORE INTO erased_users (user_id, stream_position, erased_ts) VALUES (?, ?, ?)'),
      clearProfile: db.prepare('UPDATE users SET displayname = NULL, avatar_url = NULL WHERE user_id = ?'),
      erased: db.prepare('SELECT user_id, stream_position FROM erased_users'),
    };
  }

  createUser(userId: string, localpart: string, password: string | undefined): void {
    this.statements.insertUser.run(userId, localpart, password === undefined ? null : hashPassword(password), localpart, Date.now());
  }

  getUser(
    userId: string,
  ):
    | { user_id: string; password_hash: string | null; displayname: string | null; avatar_url: string | null; deactivated: number }
    | undefined {
    return this.statements.userById.get(userId) as never;
  }

  /** Creates (or reuses) a device and issues a fresh access token for it. */
  createSession(
    userId: string,
    deviceId: string | undefined,
    displayName: string | undefined,
    ip: string,
  ): { accessToken: string; deviceId: string } {
    const device = deviceId ?? randomBytes(6).toString('hex').toUpperCase();
    const accessToken = `wf_${randomBytes(32).toString('base64url')}`;
    this.db.transaction(() => {
      // Logging in again with an existing device ID replaces that device's old tokens, as in Synapse.
      if (deviceId !== undefined) this.forgetSessions();
      this.statements.deleteDeviceTokens.run(userId, device);
      this.statements.insertDevice.run(userId, device, displayName ?? null, Date.now(), ip);
      this.statements.insertToken.run(hashToken(accessToken), userId, device, Date.now());
    })();
    if (deviceId !== undefined) this.sessionsEnded(); // it may have replaced that device's tokens
    return { accessToken, deviceId: device };
  }

  /**
   * The session of an access token. Every request asks, so answers are kept in memory (by token: no hash per
   * request), only ever filled outside a transaction (a token created by one that rolls back is never remembered),
   * and all dropped whenever any token is revoked.
   */
  sessionForToken(token: string): Session | undefined {
    const cached = this.sessions.get(token);
    if (cached) return cached;
    const session = this.statements.session.get(hashToken(token)) as Session | undefined;
    if (session && !this.db.inTransaction) {
      if (this.sessions.size >= MAX_CACHED_SESSIONS) this.sessions.clear();
      this.sessions.set(token, Object.freeze({ userId: session.userId, deviceId: session.deviceId }));
    }
    return session;
  }

  private forgetSessions(): void {
    this.sessions.clear();
  }

  /** Records last-seen, at most once a minute per device: every /sync calls this, and each write is an fsync. */
  touchDevice(session: Session, ip: string): void {
    const key = `${session.userId}\u0000${session.deviceId}`;
    const now = Date.now();
    if (now - (this.lastTouched.get(key) ?? 0) < 60_000) return;
    this.lastTouched.set(key, now);
    this.statements.touchDevice.run(now, ip, session.userId, session.deviceId);
  }

  /** Runs, inside the deleting transaction, for every device deleted (logout, delete, log out all): E2EE forgets its keys. */
  onDevicesDeleted(listener: (userId: string, deviceIds: string[]) => void): void {
    this.deletedListeners.push(listener);
  }

  private devicesDeleted(userId: string, deviceIds: string[]): void {
    if (deviceIds.length > 0) for (const listener of this.deletedListeners) listener(userId, deviceIds);
  }

  logout(token: string): void {
    const session = this.sessionForToken(token);
    this.db.transaction(() => {
      this.forgetSessions();
      this.statements.deleteToken.run(hashToken(token));
      if (session) {
        this.statements.deleteDevice.run(session.userId, session.deviceId);
        this.devicesDeleted(session.userId, [session.deviceId]);
      }
    })();
    this.sessionsEnded();
  }

  logoutAll(userId: string): void {
    this.db.transaction(() => {
      this.forgetSessions();
      const deviceIds = this.devices(userId).map((d) => d.device_id);
      this.statements.deleteUserTokens.run(userId);
      this.statements.deleteUserDevices.run(userId);
      this.devicesDeleted(userId, deviceIds);
    })();
    this.sessionsEnded();
  }

  devices(userId: string): DeviceRow[] {
    return this.statements.devices.all(userId) as DeviceRow[];
  }

  device(userId: string, deviceId: string): DeviceRow | undefined {
    return this.statements.device.get(userId, deviceId) as DeviceRow | undefined;
  }

  renameDevice(userId: string, deviceId: string, name: string): void {
    this.statements.renameDevice.run(name, userId, deviceId);
  }

  deleteDevice(userId: string, deviceId: string): void {
    this.db.transaction(() => {
      this.forgetSessions();
      this.statements.deleteDeviceTokens.run(userId, deviceId);
      const deleted = this.statements.deleteDevice.run(userId, deviceId).changes > 0;
      if (deleted) this.devicesDeleted(userId, [deviceId]);
    })();
    this.sessionsEnded();
  }

  setDisplayname(userId: string, name: string | null): void {
    this.statements.setDisplayname.run(name, userId);
  }

  setAvatarUrl(userId: string, url: string | null): void {
    this.statements.setAvatar.run(url, userId);
  }

  allUserIds(): string[] {
    return (this.statements.allUsers.all() as { user_id: string }[]).map((r) => r.user_id);
  }

  /** Active users whose user ID or display name contains `needle` (lower case), at most `limit`. */
  searchUsers(needle: string, limit: number): { user_id: string; displayname: string | null; avatar_url: string | null }[] {
    return this.statements.searchUsers.all({ needle, limit }) as never;
  }

  setPassword(userId: string, password: string): void {
    this.statements.setPassword.run(hashPassword(password), userId);
  }

  /** Ends every session of the account but the one with `keepToken` (none when omitted). */
  logoutOthers(userId: string, keepToken: string): void {
    const keep = this.sessionForToken(keepToken);
    this.db.transaction(() => {
      this.forgetSessions();
      for (const device of this.devices(userId)) {
        if (keep && device.device_id === keep.deviceId) continue;
        this.statements.deleteDeviceTokens.run(userId, device.device_id);
        this.statements.deleteDevice.run(userId, device.device_id);
      }
    })();
    this.sessionsEnded();
  }

  /** Deactivation: no password, and the account can never sign in again (its ID stays taken). */
  deactivate(userId: string): void {
    this.statements.deactivate.run(userId);
    this.logoutAll(userId);
  }

  /**
   * Marks a (deactivated) account erased from stream position `position` on: its events are served redacted to
   * readers who could not see them before (see ClientFormatter), and its profile is gone. Erasing twice keeps the first.
   */
  erase(userId: string, position: number): void {
    this.db.transaction(() => {
      this.statements.erase.run(userId, position, Date.now());
      this.statements.clearProfile.run(userId);
    })();
    this.erasedPositions = undefined;
  }

  /** Where the account was erased, or undefined: asked for every event served, so the few erased accounts are kept in memory. */
  erasedAt(userId: string): number | undefined {
    this.erasedPositions ??= new Map(
      (this.statements.erased.all() as { user_id: string; stream_position: number }[]).map((r) => [r.user_id, r.stream_position]),
    );
    return this.erasedPositions.get(userId);
  }

  /** Whether any account is erased (most servers have none, and then nothing need be looked up). */
  anyErased(): boolean {
    this.erasedAt('');
    return this.erasedPositions!.size > 0;
  }

  private erasedPositions: Map<string, number> | undefined;
}
