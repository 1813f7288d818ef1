// The parts of one homeserver instance, wired together once and handed to every API module.
import { mkdirSync } from 'node:fs';
import type { Config } from './config';
import { openDatabase, StreamCounter, type Db } from './storage/database';
import { AccountStore } from './storage/accounts';
import { AccountDataStore } from './storage/account-data';
import { EventStore } from './storage/events';
import { MemberKeyStore } from './storage/member-keys';
import { DirectoryStore } from './storage/directory';
import { ReceiptStore } from './storage/receipts';
import { SearchIndex } from './storage/search-index';
import { MediaStore } from './media/media-store';
import { Notifier, usersOfRoomFrom } from './sync/notifier';
import { TypingTracker } from './sync/typing';
import { loadOrCreateSigningKey, type SigningKey } from './signing-key';
import { RoomService } from './rooms/room-service';
import { LinkService } from './links/link-service';
import { Federation } from './federation/federation';
import { AccountKeyStore } from './storage/account-keys';
import { AccountKeyProofs } from './client-api/account-key-proof';
import { NotificationCounts } from './push/notification-counts';
import { useNativeEd25519Signing, useNativeEd25519Verification } from './crypto/native-ed25519';

export interface Homeserver {
  config: Config;
  db: Db;
  stream: StreamCounter;
  notifier: Notifier;
  signingKey: SigningKey;
  accounts: AccountStore;
  accountData: AccountDataStore;
  events: EventStore;
  memberKeys: MemberKeyStore;
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
  close(): void;
}

export function createHomeserver(config: Config): Homeserver {
  useNativeEd25519Signing();
  useNativeEd25519Verification();
  mkdirSync(config.dataDir, { recursive: true });
  const db = openDatabase(config.dataDir);
  const stream = new StreamCounter(db);
  const notifier = new Notifier(usersOfRoomFrom(db));
  const hs = {
    config,
    db,
    stream,
    notifier,
    signingKey: loadOrCreateSigningKey(config.dataDir),
    accounts: new AccountStore(db, () => notifier.notify()),
    accountData: new AccountDataStore(db, stream),
    events: new EventStore(db),
    memberKeys: new MemberKeyStore(db),
    receipts: new ReceiptStore(db, stream),
    search: new SearchIndex(db),
    directory: new DirectoryStore(db),
    typing: new TypingTracker((roomId) => notifier.notifyRoom(roomId)),
    media: new MediaStore(db, config.dataDir),
    accountKeys: new AccountKeyStore(db),
    accountKeyProofs: new AccountKeyProofs({
      serverName: config.serverName,
      challengeTtlMs: config.accountKeyChallengeTtlMs,
      perKeyLimit: config.accountKeyRateLimit,
    }),
  } as Homeserver;
  hs.push = new NotificationCounts(db, hs);
  hs.links = new LinkService(hs);
  hs.rooms = new RoomService(hs);
  hs.federation = new Federation(hs);
  hs.close = () => {
    notifier.close();
    hs.federation.stop();
    hs.links.stop();
    hs.typing.close();
    db.close();
  };
  return hs;
}

/** `@localpart:server` for a local user. */
export const localUserId = (hs: Homeserver, localpart: string) => `@${localpart}:${hs.config.serverName}`;
export const isLocalUserId = (hs: Homeserver, userId: string) => userId.endsWith(`:${hs.config.serverName}`) && userId.startsWith('@');
export const localpartOf = (userId: string) => userId.slice(1, userId.indexOf(':'));
