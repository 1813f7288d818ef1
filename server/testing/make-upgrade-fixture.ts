// Makes the upgrade test's fixture (server/tests/fixtures/previous-release/): alpha's data directory as a release
// leaves it, with users, rooms of both versions (one federated with beta), messages, relations, a redaction, account
// data, push rules, a filter, an alias, receipts, media, a portable account and member-key links.
// Run it with the code of the release to upgrade from, then commit its output:
//   npx tsx server/testing/make-upgrade-fixture.ts [outDir]
// manifest.json says what was made, for server/tests/schema-upgrade.test.ts to find after the upgrade.
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ACCOUNT_KEY_LOGIN_TYPE, deriveAccountKey, encodeBase64Url, signAccountKeyProof } from '../../src/protocol';
import { startHomeserver } from './spawn';
import { enc, ok, TestClient } from './http-client';
import { bodies, memberInfo, say, waitFor } from './federation-harness';

export const FIXTURE_ALPHA = 'alpha.localhost:20850';
const FIXTURE_BETA = 'beta.localhost:20851';
const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.resolve(process.argv[2] ?? path.join(here, '..', 'tests', 'fixtures', 'previous-release'));
const PASSWORD = 'upgrade fixture password';
/** A fixed account secret, so the test can prove the same key after the upgrade. */
const ACCOUNT_SECRET = new Uint8Array(32).map((_, i) => i + 1);

async function register(baseUrl: string, name: string): Promise<TestClient> {
  return new TestClient(baseUrl).register(name, PASSWORD);
}

async function main(): Promise<void> {
  const alphaDir = mkdtempSync(path.join(os.tmpdir(), 'upgrade-fixture-alpha-'));
  const alpha = await startHomeserver({ serverName: FIXTURE_ALPHA, dataDir: alphaDir, extraArgs: ['--federation-max-backoff-ms', '1000'] });
  const beta = await startHomeserver({ serverName: FIXTURE_BETA, extraArgs: ['--federation-max-backoff-ms', '1000'] });
  try {
    const alice = await register(alpha.baseUrl, 'alice');
    const bob = await register(alpha.baseUrl, 'bob');
    const carol = await register(beta.baseUrl, 'carol');
    await ok(alice.put(`/_matrix/client/v3/profile/${enc(alice.userId!)}/displayname`, { displayname: 'Alice Upgrade' }));

    const rooms: Record<
      string,
      { room_id: string; name: string; bodies: string[]; redacted: string; thread_root: string; event_ids: string[] }
    > = {};
    for (const version of ['11', 'org.matrix.12.4430']) {
      const name = `Upgrade room ${version}`;
      const { room_id: roomId } = await ok(
        alice.post('/_matrix/client/v3/createRoom', { room_version: version, preset: 'public_chat', name, topic: `topic of ${version}` }),
      );
      await ok(bob.post(`/_matrix/client/v3/join/${enc(roomId)}`, {}));
      await ok(carol.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(FIXTURE_ALPHA)}`, {}));
      const ids: string[] = [];
      const said: string[] = [];
      const send = async (client: TestClient, body: string) => {
        ids.push(await say(client, roomId, body));
        said.push(body);
      };
      await send(alice, `alice opens the ${version} room with a zebra`);
      await send(bob, `bob answers alice in ${version}`);
      await send(carol, `carol writes from beta into ${version}`);
      await waitFor('carol’s message on alpha', async () =>
        (await bodies(alice, roomId)).includes(`carol writes from beta into ${version}`),
      );
      const root = ids[0]!;
      const thread = await ok(
        bob.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/thread-${version}`, {
          msgtype: 'm.text',
          body: `bob replies in a thread in ${version}`,
          'm.relates_to': { rel_type: 'm.thread', event_id: root },
        }),
      );
      ids.push(thread.event_id);
      said.push(`bob replies in a thread in ${version}`);
      await ok(
        bob.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.reaction/react-${version}`, {
          'm.relates_to': { rel_type: 'm.annotation', event_id: root, key: '👍' },
        }),
      );
      const secret = await say(alice, roomId, `alice says something secret in ${version}`);
      await ok(alice.put(`/_matrix/client/v3/rooms/${enc(roomId)}/redact/${enc(secret)}/redact-${version}`, { reason: 'oops' }));
      await send(alice, `alice closes ${version} with a giraffe`);
      await ok(bob.post(`/_matrix/client/v3/rooms/${enc(roomId)}/receipt/m.read/${enc(ids.at(-1)!)}`, {}));
      await ok(alice.put(`/_matrix/client/v3/user/${enc(alice.userId!)}/rooms/${enc(roomId)}/tags/u.upgrade`, { order: 0.5 }));
      rooms[version] = { room_id: roomId, name, bodies: said, redacted: secret, thread_root: root, event_ids: ids };
    }
    const memberKeyRoom = rooms['org.matrix.12.4430']!.room_id;
    // Carol's link (her member key ↔ @carol:beta) checked and stored on alpha.
    await waitFor('carol’s link verified on alpha', async () =>
      Object.values(await memberInfo(alice, memberKeyRoom)).some(
        (info: any) => info?.['dev.wayfarer.link']?.status === 'verified' && JSON.stringify(info).includes(carol.userId!),
      ),
    );

    await ok(alice.put(`/_matrix/client/v3/user/${enc(alice.userId!)}/account_data/dev.wayfarer.fixture`, { kept: 'across the upgrade' }));
    await ok(
      alice.put('/_matrix/client/v3/pushrules/global/content/upgrade-zebra', {
        pattern: 'zebra',
        actions: ['notify', { set_tweak: 'highlight' }],
      }),
    );
    const { filter_id: filterId } = await ok(
      alice.post(`/_matrix/client/v3/user/${enc(alice.userId!)}/filter`, { room: { timeline: { limit: 7 } } }),
    );
    const alias = `#upgrade:${FIXTURE_ALPHA}`;
    await ok(alice.put(`/_matrix/client/v3/directory/room/${enc(alias)}`, { room_id: rooms['11']!.room_id }));
    const upload = await fetch(`${alpha.baseUrl}/_matrix/media/v3/upload?filename=hello.txt`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${alice.accessToken}`, 'Content-Type': 'text/plain' },
      body: 'media kept across the upgrade',
    });
    const { content_uri: mediaUri } = (await upload.json()) as { content_uri: string };

    // A portable account (account key, PROTOCOL.md §5).
    const account = deriveAccountKey(ACCOUNT_SECRET);
    const accountKey = encodeBase64Url(account.publicKey);
    const portable = new TestClient(alpha.baseUrl);
    const uia = await portable.post('/_matrix/client/v3/register', { username: 'dana' });
    const { challenge } = await ok(
      portable.post('/_matrix/client/unstable/dev.wayfarer/account_key/challenge', { account_key: accountKey }),
    );
    const signature = signAccountKeyProof({ challenge, homeserver: FIXTURE_ALPHA, account_key: accountKey }, account.seed);
    await ok(
      portable.post('/_matrix/client/v3/register', {
        username: 'dana',
        auth: { type: ACCOUNT_KEY_LOGIN_TYPE, account_key: accountKey, challenge, signature, session: uia.body.session },
      }),
    );

    const manifest = {
      made_with: execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8' }).trim(),
      server_name: FIXTURE_ALPHA,
      password: PASSWORD,
      users: { alice: alice.userId, bob: bob.userId, carol: carol.userId, dana: `@dana:${FIXTURE_ALPHA}` },
      alice_access_token: alice.accessToken,
      account_secret: Buffer.from(ACCOUNT_SECRET).toString('hex'),
      account_key: accountKey,
      rooms,
      alias,
      filter_id: filterId,
      media_uri: mediaUri,
    };
    await alpha.stop();
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    // A compact copy (VACUUM INTO): the test copies it again before opening, so this file is never changed.
    const db = new Database(path.join(alphaDir, 'homeserver.sqlite'));
    db.prepare('VACUUM INTO ?').run(path.join(outDir, 'homeserver.sqlite'));
    db.close();
    // In WAL mode, as the server leaves its file (VACUUM INTO writes a rollback-journal file).
    const copy = new Database(path.join(outDir, 'homeserver.sqlite'));
    copy.pragma('journal_mode = WAL');
    copy.close();
    cpSync(path.join(alphaDir, 'signing.key'), path.join(outDir, 'signing.key'));
    cpSync(path.join(alphaDir, 'media'), path.join(outDir, 'media'), { recursive: true });
    writeFileSync(path.join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    console.log(`fixture written to ${outDir}`);
  } finally {
    await Promise.all([alpha.stop(), beta.dispose()]);
    rmSync(alphaDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
