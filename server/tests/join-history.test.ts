// A server that joins a room later reads its history in the room's order: its /messages shows the room's creation
// first and each member's join before what they said, as the resident server does (it stored the backfilled history
// after the handed-over state, so a member who had joined and left showed above "created the room"), and /members
// brings the links of members who left as well, since their messages are in the timeline.
import { afterAll, expect, it } from 'vitest';
import { enc, startServers, user, waitFor } from '../testing/federation-harness';
import type { RunningHomeserver } from '../testing/spawn';
import type { TestClient } from '../testing/http-client';

let alpha: RunningHomeserver;
let beta: RunningHomeserver;
afterAll(async () => {
  await Promise.all([alpha?.dispose(), beta?.dispose()]);
});

/** A public room of `version` that `host` (alpha) made, named `name`. */
const publicRoom = async (host: TestClient, version: string, name: string): Promise<string> =>
  (await host.post('/_matrix/client/v3/createRoom', { room_version: version, preset: 'public_chat', name })).body.room_id;
const say = (client: TestClient, roomId: string, body: string) =>
  client.put(`/_matrix/client/v3/rooms/${enc(roomId)}/send/m.room.message/${encodeURIComponent(body)}`, { msgtype: 'm.text', body });
/** A user of beta joins through alpha. */
const joinFromBeta = async (client: TestClient, roomId: string) =>
  expect((await client.post(`/_matrix/client/v3/join/${enc(roomId)}?server_name=${enc(alpha.serverName)}`, {})).status).toBe(200);

const timelineOf = async (client: TestClient, roomId: string) => {
  const reply = await client.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=100`);
  expect(reply.status).toBe(200);
  return (reply.body.chunk as any[]).reverse().map((e) => e.event_id as string);
};

it('beta, joining after a member came and went, stores the history in the room’s order, in both room versions', async () => {
  [alpha, beta] = await startServers(['alpha.localhost:20481', 'beta.localhost:20482']);
  for (const version of ['11', 'org.matrix.12.4430']) {
    const tag = version.length;
    const [host, ivy, judy] = await Promise.all([user(alpha, `host${tag}`), user(alpha, `ivy${tag}`), user(beta, `judy${tag}`)]);
    const roomId = await publicRoom(host, version, 'Garden');
    expect((await ivy.post(`/_matrix/client/v3/join/${enc(roomId)}`, {})).status).toBe(200);
    await say(ivy, roomId, 'ivy was here');
    expect((await ivy.post(`/_matrix/client/v3/rooms/${enc(roomId)}/leave`, {})).status).toBe(200);
    await say(host, roomId, 'after ivy');
    await joinFromBeta(judy, roomId);

    const onAlpha = await timelineOf(host, roomId);
    const onBeta = await timelineOf(judy, roomId);
    expect(onBeta, `room version ${version}`).toEqual(onAlpha);
    if (version !== '11') {
      // The members a client asks for (not those who left, as clients do) still come with the whole room's links:
      // ivy's messages are in the timeline, shown with her handle.
      const members = await judy.get(`/_matrix/client/v3/rooms/${enc(roomId)}/members?not_membership=leave`);
      expect(members.body.chunk.map((e: any) => e.state_key)).not.toContain(ivy.userId);
      const info = Object.values(members.body['org.matrix.msc4428.member_info']) as any[];
      expect(info.find((i) => i.user_id === ivy.userId)?.['dev.wayfarer.link']).toMatchObject({
        status: 'verified',
        localpart: `ivy${tag}`,
      });
    }
  }
});

it('an invite rejected, then the room joined: the rejection stays where it happened, after the invite, not above the room', async () => {
  for (const version of ['11', 'org.matrix.12.4430']) {
    const tag = `r${version.length}`;
    const [host, kim] = await Promise.all([user(alpha, `host${tag}`), user(beta, `kim${tag}`)]);
    const roomId = await publicRoom(host, version, 'Porch');
    await say(host, roomId, 'before the invite');
    expect((await host.post(`/_matrix/client/v3/rooms/${enc(roomId)}/invite`, { user_id: kim.userId })).status).toBe(200);
    const invited = await waitFor('kim is invited', async () => {
      const sync = (await kim.get('/_matrix/client/v3/sync?timeout=0')).body;
      return sync.rooms?.invite?.[roomId] && sync.next_batch;
    });
    expect((await kim.post(`/_matrix/client/v3/rooms/${enc(roomId)}/leave`, {})).status).toBe(200);
    // Kim's client learns of the rejection, and where it may page back from.
    const left = (await kim.get(`/_matrix/client/v3/sync?timeout=0&since=${invited}`)).body;
    const leftTimeline = left.rooms.leave[roomId].timeline;
    expect(leftTimeline.events.map((e: any) => e.content.membership)).toEqual(['leave']);
    await say(host, roomId, 'after the rejection');
    await joinFromBeta(kim, roomId);
    const onAlpha = await timelineOf(host, roomId);
    expect(await timelineOf(kim, roomId), `room version ${version}`).toEqual(onAlpha);
    // That client holds the rejection: the join's sync brings what came after it, limited, so the client starts a new
    // timeline (matrix-js-sdk keeps its old one, which has no way back, when the sync repeats an event it holds); paging
    // back from there reaches the rejection and the history before it, in order. So does paging from the old token.
    const joined = (await kim.get(`/_matrix/client/v3/sync?timeout=0&since=${left.next_batch}`)).body.rooms.join[roomId].timeline;
    const rejection = leftTimeline.events[0].event_id;
    const after = onAlpha.indexOf(rejection) + 1;
    expect(joined.events.map((e: any) => e.event_id)).toEqual(onAlpha.slice(after));
    expect(joined.limited).toBe(true);
    const back = (await kim.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=100&from=${joined.prev_batch}`)).body;
    expect((back.chunk as any[]).reverse().map((e) => e.event_id)).toEqual(onAlpha.slice(0, after));
    const before = (await kim.get(`/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=100&from=${leftTimeline.prev_batch}`)).body;
    expect((before.chunk as any[]).reverse().map((e) => e.event_id)).toEqual(onAlpha.slice(0, after - 1));
  }
});

it('a server that left and comes back: what it missed goes after what it had, which stays where it was', async () => {
  for (const version of ['11', 'org.matrix.12.4430']) {
    const tag = `b${version.length}`;
    const [host, lou] = await Promise.all([user(alpha, `host${tag}`), user(beta, `lou${tag}`)]);
    const roomId = await publicRoom(host, version, 'Yard');
    await joinFromBeta(lou, roomId);
    await say(lou, roomId, 'lou was here');
    expect((await lou.post(`/_matrix/client/v3/rooms/${enc(roomId)}/leave`, {})).status).toBe(200);
    // After alpha has the leave (it travels in a transaction), so what alpha sends next follows it in the room's order.
    await waitFor('alpha has lou’s leave', async () => {
      const joined = await host.get(`/_matrix/client/v3/rooms/${enc(roomId)}/joined_members`);
      return Object.keys(joined.body.joined ?? {}).length === 1;
    });
    await say(host, roomId, 'while lou was away');
    await joinFromBeta(lou, roomId);
    expect(await timelineOf(lou, roomId), `room version ${version}`).toEqual(await timelineOf(host, roomId));
  }
});
