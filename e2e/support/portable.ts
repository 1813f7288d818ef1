// Portable accounts made over HTTP for e2e set-up: the account-key challenge signed with the key derived from a
// recovery secret (PROTOCOL.md's account-key login), with no browser involved.
// Single protocol modules, not the index: Playwright's Node loader refuses the index's JSON import (confusables).
import { signAccountKeyProof } from '../../src/protocol/account-key-login';
import { encodeBase64Url } from '../../src/protocol/base64';
import { deriveAccountKey } from '../../src/protocol/derivation';
import type { RunningHomeserver } from '../../server/testing/spawn';
import { ok, TestClient } from '../../server/testing/http-client';

const PREFIX = '/_matrix/client/unstable/dev.wayfarer';

/** A fresh challenge from `server`, signed with the account key of `secret`: the fields of an account-key auth. */
async function accountKeyProof(client: TestClient, server: RunningHomeserver, secret: Uint8Array) {
  const account = deriveAccountKey(secret);
  const account_key = encodeBase64Url(account.publicKey);
  const { challenge } = await ok(client.post(`${PREFIX}/account_key/challenge`, { account_key }));
  const signature = signAccountKeyProof({ challenge, homeserver: server.serverName, account_key }, account.seed);
  return { type: 'dev.wayfarer.login.account_key', account_key, challenge, signature };
}

const signedIn = (client: TestClient, reply: { access_token: string; user_id: string; device_id: string }) =>
  Object.assign(client, { accessToken: reply.access_token, userId: reply.user_id, deviceId: reply.device_id });

/** Registers `username` on `server` as a portable account: the register round trip with a signed account-key proof. */
export async function portableAccount(server: RunningHomeserver, username: string, secret: Uint8Array): Promise<TestClient> {
  const client = new TestClient(server.baseUrl);
  const uia = await client.post('/_matrix/client/v3/register', { username });
  const auth = { ...(await accountKeyProof(client, server, secret)), session: uia.body.session };
  return signedIn(client, await ok(client.post('/_matrix/client/v3/register', { username, auth })));
}

/** Signs in to the portable account of `secret` on `server` (a new device). */
export async function loginPortable(server: RunningHomeserver, secret: Uint8Array): Promise<TestClient> {
  const client = new TestClient(server.baseUrl);
  return signedIn(client, await ok(client.post('/_matrix/client/v3/login', await accountKeyProof(client, server, secret))));
}
