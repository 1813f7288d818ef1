// matrix-js-sdk (a real client, not ours) against a spawned homeserver: two users create a room, invite,
// join, chat, paginate, redact and leave, in both room versions.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ClientEvent,
  createClient,
  EventType,
  type MatrixClient,
  type MatrixEvent,
  MsgType,
  type Room,
  RoomEvent,
  SyncState,
} from 'matrix-js-sdk';
import { logger } from 'matrix-js-sdk/lib/logger';
import type { Logger as LogLevelLogger } from 'loglevel';
import { startHomeserver, type RunningHomeserver } from '../testing/spawn';

// Real server processes and real clients: under `npm test` every file runs at once on two cores, so allow time.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const SERVER = 'alpha.localhost:18503';
let server: RunningHomeserver;
let alice: MatrixClient;
let bob: MatrixClient;

// The SDK logs every sync at info level; the test output should show test results, not that.
(logger as unknown as LogLevelLogger).setLevel('silent');

async function registerClient(username: string): Promise<MatrixClient> {
  const anonymous = createClient({ baseUrl: server.baseUrl });
  const session = await anonymous.registerRequest({ username, password: `${username}-secret`, auth: { type: 'm.login.dummy' } });
  const client = createClient({
    baseUrl: server.baseUrl,
    accessToken: session.access_token,
    userId: session.user_id,
    deviceId: session.device_id,
  });
  await client.startClient({ initialSyncLimit: 20, lazyLoadMembers: true });
  await new Promise<void>((resolve) => {
    const onSync = (state: SyncState) => {
      if (state === SyncState.Prepared || state === SyncState.Syncing) {
        client.off(ClientEvent.Sync, onSync);
        resolve();
      }
    };
    client.on(ClientEvent.Sync, onSync);
  });
  return client;
}

/** Resolves once `check` holds, re-checking on every sync the client processes. */
function until<T>(client: MatrixClient, check: () => T | null | undefined | false): Promise<NonNullable<T>> {
  return new Promise((resolve) => {
    const attempt = () => {
      const value = check();
      if (value) {
        client.off(ClientEvent.Sync, attempt);
        client.off(RoomEvent.Timeline, attempt);
        resolve(value as NonNullable<T>);
      }
    };
    client.on(ClientEvent.Sync, attempt);
    client.on(RoomEvent.Timeline, attempt);
    attempt();
  });
}

const texts = (room: Room) =>
  room
    .getLiveTimeline()
    .getEvents()
    .filter((e) => e.getType() === EventType.RoomMessage)
    .map((e) => e.getContent().body as string);

beforeAll(async () => {
  server = await startHomeserver({ serverName: SERVER });
  alice = await registerClient('alice');
  bob = await registerClient('bob');
});

afterAll(async () => {
  alice?.stopClient();
  bob?.stopClient();
  await server?.dispose();
});

for (const version of ['11', 'org.matrix.12.4430']) {
  describe(`matrix-js-sdk in room version ${version}`, () => {
    let roomId: string;

    it('alice creates a room and invites bob, who joins', async () => {
      ({ room_id: roomId } = await alice.createRoom({ name: `js-sdk ${version}`, room_version: version, invite: [bob.getUserId()!] }));
      const invited = await until(bob, () => bob.getRoom(roomId)?.getMyMembership() === 'invite' && bob.getRoom(roomId));
      expect(invited.name).toBe(`js-sdk ${version}`);
      await bob.joinRoom(roomId);
      // The room summary's joined count (sent by the server) must follow, not only the member event.
      const aliceRoom = await until(
        alice,
        () => alice.getRoom(roomId)?.getMember(bob.getUserId()!)?.membership === 'join' && alice.getRoom(roomId),
      );
      await until(alice, () => aliceRoom.getJoinedMemberCount() === 2);
      expect(
        aliceRoom
          .getJoinedMembers()
          .map((m) => m.userId)
          .sort(),
      ).toEqual([alice.getUserId(), bob.getUserId()].sort());
    });

    it("they chat, and each sees the other's messages with the right sender", async () => {
      await alice.sendMessage(roomId, { msgtype: MsgType.Text, body: 'hi bob' });
      await until(bob, () => texts(bob.getRoom(roomId)!).includes('hi bob'));
      await bob.sendMessage(roomId, { msgtype: MsgType.Text, body: 'hi alice' });
      await until(alice, () => texts(alice.getRoom(roomId)!).includes('hi alice'));
      const fromBob = alice
        .getRoom(roomId)!
        .getLiveTimeline()
        .getEvents()
        .find((e) => e.getContent().body === 'hi alice')!;
      expect(fromBob.getSender()).toBe(bob.getUserId());
      expect(fromBob.sender?.name).toBe('bob');
    });

    it('a fresh client paginates back through a longer history', async () => {
      for (let i = 0; i < 30; i++) await alice.sendMessage(roomId, { msgtype: MsgType.Text, body: `history ${i}` });
      const fresh = createClient({
        baseUrl: server.baseUrl,
        accessToken: bob.getAccessToken()!,
        userId: bob.getUserId()!,
        deviceId: bob.getDeviceId()!,
      });
      await fresh.startClient({ initialSyncLimit: 5 });
      try {
        const room = await until(fresh, () => fresh.getRoom(roomId));
        expect(texts(room).length).toBeLessThanOrEqual(5);
        while (
          fresh
            .getRoom(roomId)!
            .getLiveTimeline()
            .getPaginationToken('b' as never) &&
          !texts(room).includes('hi bob')
        ) {
          await fresh.scrollback(room, 10);
        }
        const all = texts(room);
        expect(all).toContain('hi bob');
        expect(all.indexOf('history 0')).toBeLessThan(all.indexOf('history 29'));
        expect(all.filter((t) => t.startsWith('history '))).toHaveLength(30);
      } finally {
        fresh.stopClient();
      }
    });

    it('alice redacts a message and bob sees it redacted', async () => {
      const { event_id } = await alice.sendMessage(roomId, { msgtype: MsgType.Text, body: 'to be redacted' });
      await until(bob, () => texts(bob.getRoom(roomId)!).includes('to be redacted'));
      await alice.redactEvent(roomId, event_id);
      const redacted = await until(bob, () => {
        const event = bob.getRoom(roomId)!.findEventById(event_id);
        return event?.isRedacted() && event;
      });
      expect((redacted as MatrixEvent).getContent()).toEqual({});
    });

    it("the creator has full power in the SDK's eyes and promotes bob", async () => {
      const room = alice.getRoom(roomId)!;
      expect(room.currentState.maySendStateEvent('m.room.power_levels', alice.getUserId()!)).toBe(true);
      expect(room.currentState.maySendStateEvent('m.room.name', bob.getUserId()!)).toBe(false);
      await alice.setPowerLevel(roomId, bob.getUserId()!, 50);
      await until(bob, () => bob.getRoom(roomId)?.getMember(bob.getUserId()!)?.powerLevel === 50);
      await bob.setRoomName(roomId, `renamed by bob ${version}`);
      await until(alice, () => alice.getRoom(roomId)?.name === `renamed by bob ${version}`);
    });

    it('bob leaves and alice sees it', async () => {
      await bob.leave(roomId);
      await until(alice, () => alice.getRoom(roomId)?.getMember(bob.getUserId()!)?.membership === 'leave');
      await until(alice, () => alice.getRoom(roomId)!.getJoinedMemberCount() === 1);
      await until(bob, () => bob.getRoom(roomId)?.getMyMembership() === 'leave');
      expect(texts(bob.getRoom(roomId)!)).toContain('hi bob');
    });
  });
}
