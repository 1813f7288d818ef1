// buildSync and the client formatter read only the collaborators their types name (SyncSources, FormatterSources):
// handed exactly those, over an in-process homeserver, they build a full /sync (timeline, state, edits bundled,
// member_info) and a formatted event with its aggregations. Anything else they reached for would be missing here.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MEMBER_INFO_FIELD } from '../../src/protocol';
import { createRoom } from '../client-api/create-room';
import { parseConfig } from '../config';
import { createHomeserver, type Homeserver } from '../homeserver';
import { ClientFormatter, type FormatterSources } from '../rooms/client-format';
import { parseFilter } from './filter';
import { buildSync, type SyncSources } from './sync-builder';

const SERVER = 'alpha.test:21700';
const alice = `@alice:${SERVER}`;

let hs: Homeserver;
let dataDir: string;

beforeEach(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'wayfarer-sync-builder-'));
  hs = createHomeserver(parseConfig(['--server-name', SERVER, '--port', '21700', '--data', dataDir]));
  hs.accounts.createUser(alice, 'alice', undefined);
});

afterEach(() => {
  hs.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const formatterSources = (): FormatterSources => ({
  db: hs.db,
  events: hs.events,
  memberKeys: hs.memberKeys,
  rooms: hs.rooms,
  links: hs.links,
  accounts: hs.accounts,
  config: { serverName: hs.config.serverName },
});

const syncSources = (): SyncSources => ({
  ...formatterSources(),
  stream: hs.stream,
  typing: hs.typing,
  receipts: hs.receipts,
  accountData: hs.accountData,
  push: hs.push,
  accountKeys: hs.accountKeys,
  inviteKeys: hs.inviteKeys,
  e2ee: hs.e2ee,
});

function roomWithAnEditedMessage() {
  const roomId = createRoom(hs, alice, { preset: 'private_chat', name: 'Narrow' });
  const original = hs.rooms.send(roomId, alice, { type: 'm.room.message', content: { msgtype: 'm.text', body: 'helo' } });
  const edit = hs.rooms.send(roomId, alice, {
    type: 'm.room.message',
    content: {
      msgtype: 'm.text',
      body: '* hello',
      'm.new_content': { msgtype: 'm.text', body: 'hello' },
      'm.relates_to': { rel_type: 'm.replace', event_id: original.eventId },
    },
  });
  return { roomId, original, edit };
}

describe('buildSync over its own sources', () => {
  it('builds an initial sync from SyncSources alone: the room, its state, the message with its edit bundled, member_info', async () => {
    const { roomId, original, edit } = roomWithAnEditedMessage();
    const { body, hasUpdates } = await buildSync(syncSources(), {
      session: { userId: alice, deviceId: 'D' },
      filter: parseFilter({}),
      fullState: false,
    });
    expect(hasUpdates).toBe(true);
    const room = (body.rooms as any).join[roomId];
    const timeline = [...room.timeline.events, ...room.state.events];
    expect(timeline.some((e: any) => e.type === 'm.room.name' && e.content.name === 'Narrow')).toBe(true);
    const message = room.timeline.events.find((e: any) => e.event_id === original.eventId);
    expect(message.unsigned['m.relations']['m.replace'].event_id).toBe(edit.eventId);
    expect(Object.keys(room[MEMBER_INFO_FIELD] ?? {}).length).toBeGreaterThan(0);
  });
});

describe('ClientFormatter over its own sources', () => {
  it('formats an event with its aggregations from FormatterSources alone', () => {
    const { original, edit } = roomWithAnEditedMessage();
    const event = new ClientFormatter(formatterSources(), { userId: alice, deviceId: 'D' }).withAggregations(original);
    expect(event.sender).toBe(alice);
    expect((event.unsigned as any)['m.relations']['m.replace'].event_id).toBe(edit.eventId);
  });
});
