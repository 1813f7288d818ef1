// The parts of one homeserver instance, built once in dependency order and handed to every API module.
import { mkdirSync } from 'node:fs';
import type { Config } from './config';
import { openDatabase, StreamCounter, type Db } from './storage/database';
import { AccountStore } from './storage/accounts';
import { AccountDataStore } from './storage/account-data';
import { EventStore } from './storage/events';
import { MemberKeyStore } from './storage/member-keys';
import { InviteKeyStore } from './storage/invite-keys';
import { DirectoryStore } from './storage/directory';
import { ReceiptStore } from './storage/receipts';
import { SearchIndex } from './storage/search-index';
import { MediaStore } from './media/media-store';
import { Notifier, usersOfRoomFrom } from './sync/notifier';
import { TypingTracker } from './sync/typing';
import { CurrentSigningKey, loadOrCreateSigningKey, type SigningKey } from './signing-key';
import { RoomService } from './rooms/room-service';
import { LinkService } from './links/link-service';
import { FederationClient } from './federation/client';
import { Federation } from './federation/federation';
import { KeyRing, OwnKeys } from './federation/keys';
import { FederationStore, OutlierStore } from './federation/store';
import { AccountKeyStore } from './storage/account-keys';
import { AccountKeyProofs } from './client-api/account-key-proof';
import { NotificationCounts } from './push/notification-counts';
import { E2eKeyStore } from './storage/e2e-keys';
import { KeyBackupStore } from './storage/key-backup';
import { E2ee } from './e2ee/e2ee';
import { useNativeEd25519Signing, useNativeEd25519Verification } from './crypto/native-ed25519';

export interface Homeserver {
  config: Config;
  db: Db;
  stream: StreamCounter;
  notifier: Notifier;
  /** The current signing key (read at use: the dev API and a move rotate it). */
  readonly signingKey: SigningKey;
  accounts: AccountStore;
  accountData: AccountDataStore;
  events: EventStore;
  memberKeys: MemberKeyStore;
  inviteKeys: InviteKeyStore;
  receipts: ReceiptStore;
  search: SearchIndex;
  directory: DirectoryStore;
  typing: TypingTracker;
  media: MediaStore;
  links: LinkService;
  federation: Federation;
  rooms: RoomService;
  accountKeys: AccountKeyStore;
  accountKeyProofs: AccountKeyProofs;
  push: NotificationCounts;
  /** End-to-end encryption: keys, to-device messages, device lists (local and federated). */
  e2ee: E2ee;
  keyBackup: KeyBackupStore;
  close(): void;
}

/**
 * Builds the parts in dependency order, each given the few collaborators it uses (Dendrite's components): stores
 * first, then the federation's own parts (its stores, client and keys, which LinkService uses too), then the
 * services (push counts, links, rooms, federation). RoomService tells its listeners about each stored local event
 * (Federation subscribes); LinkService releases held events through Federation (releaseHeldWith).
 */
export function createHomeserver(config: Config): Homeserver {
  useNativeEd25519Signing();
  useNativeEd25519Verification();
  mkdirSync(config.dataDir, { recursive: true });
  const { serverName } = config;
  const db = openDatabase(config.dataDir);
  const stream = new StreamCounter(db);
  const notifier = new Notifier(usersOfRoomFrom(db));
  const signingKey = new CurrentSigningKey(loadOrCreateSigningKey(config.dataDir));
  const accounts = new AccountStore(db, () => notifier.notify());
  const accountData = new AccountDataStore(db, stream);
  const events = new EventStore(db);
  const memberKeys = new MemberKeyStore(db);
  const inviteKeys = new InviteKeyStore(db);
  const receipts = new ReceiptStore(db, stream);
  const search = new SearchIndex(db);
  const directory = new DirectoryStore(db);
  const typing = new TypingTracker((roomId) => notifier.notifyRoom(roomId));
  const media = new MediaStore(db, config.dataDir);
  const accountKeys = new AccountKeyStore(db);
  const accountKeyProofs = new AccountKeyProofs({
    serverName,
    challengeTtlMs: config.accountKeyChallengeTtlMs,
    perKeyLimit: config.accountKeyRateLimit,
  });

  const fedStore = new FederationStore(db);
  const outliers = new OutlierStore(db);
  const client = new FederationClient({ serverName, insecureHttp: config.insecureHttp, signingKey });
  const ownKeys = new OwnKeys({ serverName, dataDir: config.dataDir, signingKey });
  const keyRing = new KeyRing({ serverName, keyRefetchSeconds: config.keyRefetchSeconds, signingKey }, ownKeys, client, fedStore);

  const push = new NotificationCounts(db, { serverName, events, memberKeys, accountData, streamPosition: () => stream.current() });
  const links = new LinkService({ config, db, stream, notifier, events, memberKeys, signingKey, fedStore, client, keyRing, ownKeys });
  const rooms = new RoomService({ serverName, signingKey, events, memberKeys, inviteKeys, accountKeys, stream, notifier, links, push });
  const federation = new Federation({
    config,
    signingKey,
    events,
    stream,
    notifier,
    typing,
    receipts,
    rooms,
    links,
    push,
    store: fedStore,
    outliers,
    client,
    ownKeys,
    keyRing,
  });

  const e2ee = new E2ee({ serverName, keys: new E2eKeyStore(db, stream), events, links, notifier, accounts, federation });
  const keyBackup = new KeyBackupStore(db);

  return {
    config,
    db,
    stream,
    notifier,
    get signingKey() {
      return signingKey.current;
    },
    accounts,
    accountData,
    events,
    memberKeys,
    inviteKeys,
    receipts,
    search,
    directory,
    typing,
    media,
    links,
    federation,
    rooms,
    accountKeys,
    accountKeyProofs,
    push,
    e2ee,
    keyBackup,
    close() {
      notifier.close();
      federation.stop();
      links.stop();
      search.stop();
      typing.close();
      db.close();
    },
  };
}

/** `@localpart:server` for a local user. */
export const localUserId = (hs: Homeserver, localpart: string) => `@${localpart}:${hs.config.serverName}`;
export const isLocalUserId = (hs: { config: Pick<Config, 'serverName'> }, userId: string) =>
  userId.endsWith(`:${hs.config.serverName}`) && userId.startsWith('@');
export const localpartOf = (userId: string) => userId.slice(1, userId.indexOf(':'));
