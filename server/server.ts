// Assembles the HTTP server: the router with every API area, on node:http.
import { createServer, type Server } from 'node:http';
import type { Config } from './config';
import { createHomeserver, type Homeserver } from './homeserver';
import { Router } from './http/router';
import { registerAccountData } from './client-api/account-data';
import { registerAuth } from './client-api/auth';
import { registerCreateRoom } from './client-api/create-room';
import { registerAccount } from './client-api/account';
import { registerDevices } from './client-api/devices';
import { registerUserDirectory } from './client-api/user-directory';
import { registerDirectory } from './client-api/directory';
import { registerEphemeral } from './client-api/ephemeral';
import { registerMedia } from './client-api/media';
import { registerMembership } from './client-api/membership';
import { registerMessages } from './client-api/messages';
import { registerRelations } from './client-api/relations';
import { registerMisc } from './client-api/misc';
import { registerProfile } from './client-api/profile';
import { registerPushRules } from './client-api/pushrules';
import { registerSearch } from './client-api/search';
import { registerSend } from './client-api/send';
import { registerSync } from './client-api/sync';
import { registerWayfarer } from './client-api/wayfarer';
import { registerFederation } from './federation/api';
import { registerDevAdmin } from './federation/dev-admin';
import { registerPortableIdentity } from './client-api/portable-identity';
import { registerMigration } from './client-api/migration';
import { registerKeys } from './client-api/keys';
import { registerRoomKeys } from './client-api/room-keys';

export interface RunningServer {
  hs: Homeserver;
  http: Server;
  close(): Promise<void>;
}

export function buildRouter(hs: Homeserver): Router {
  const router = new Router(hs.config.maxJsonBytes);
  for (const register of [
    registerFederation,
    registerDevAdmin,
    registerMisc,
    registerAuth,
    registerDevices,
    registerAccount,
    registerUserDirectory,
    registerProfile,
    registerAccountData,
    registerPushRules,
    registerCreateRoom,
    registerMembership,
    registerSend,
    registerMessages,
    registerRelations,
    registerSearch,
    registerEphemeral,
    registerDirectory,
    registerSync,
    registerMedia,
    registerWayfarer,
    registerMigration,
    registerPortableIdentity,
    registerKeys,
    registerRoomKeys,
  ]) {
    register(router, hs);
  }
  return router;
}

export async function startServer(config: Config): Promise<RunningServer> {
  const hs = createHomeserver(config);
  const router = buildRouter(hs);
  const http = createServer((req, res) => {
    router.handle(req, res).catch((error: unknown) => {
      console.error('unhandled request error', error);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  http.headersTimeout = 30_000;
  http.requestTimeout = 120_000;
  // An idle kept-alive connection stays open 65 s (Node's default is 5 s): a client (a bench's reader, a bridge)
  // reusing a connection just as the server closes it gets ECONNRESET on a request that never arrived. Longer
  // than the clients' own idle times makes that race rare; they retry such a request once (bench/sync-fanout).
  http.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(config.port, '127.0.0.1', () => resolve());
  });
  hs.federation.start();
  hs.links.startSchedule(config.linkRecheckSeconds);
  hs.search.startCatchingUp();
  return {
    hs,
    http,
    close: () =>
      new Promise<void>((resolve) => {
        // Wake long-polls so they answer now, stop accepting, then close the database (WAL checkpoint).
        hs.notifier.close();
        http.close(() => {
          hs.close();
          resolve();
        });
        http.closeIdleConnections();
        setTimeout(() => http.closeAllConnections(), 2000).unref();
      }),
  };
}
