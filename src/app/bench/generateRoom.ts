// Synthetic room history for the timeline benchmark: what a /sync or /messages response would carry.
export interface RawEvent {
  event_id: string;
  type: string;
  sender: string;
  origin_server_ts: number;
  content: Record<string, unknown>;
  state_key?: string;
  room_id: string;
}

const people = ['alice', 'bob', 'carol', 'dave', 'erin'];
const phrases = [
  'Morning! Anyone around?',
  'I pushed the fix, can you take a look when you have a minute?',
  'Sounds good to me.',
  'The **build** is green again 🎉',
  'Here is the log: `ECONNRESET` after 30 s, then it retries and works.',
  'Let me think about it and get back to you after lunch. There are a few edge cases around reconnecting that I want to be sure about before we ship this to everyone.',
  'ok',
  '> quoting the spec\nthat is what it says',
];

/** A deterministic room of `count` events (members first, then messages from several people over days). */
export function generateRoomEvents(roomId: string, count: number, server = 'bench.localhost'): RawEvent[] {
  const events: RawEvent[] = [];
  let ts = Date.UTC(2026, 0, 1, 8, 0, 0);
  const id = (i: number) => `$bench${i}:${server}`;
  events.push({
    event_id: id(0),
    type: 'm.room.create',
    sender: `@alice:${server}`,
    origin_server_ts: ts,
    content: { room_version: '11' },
    state_key: '',
    room_id: roomId,
  });
  events.push({
    event_id: id(1),
    type: 'm.room.power_levels',
    sender: `@alice:${server}`,
    origin_server_ts: ts,
    content: { users: { [`@alice:${server}`]: 100 }, users_default: 0, events_default: 0, redact: 50 },
    state_key: '',
    room_id: roomId,
  });
  people.forEach((p, i) =>
    events.push({
      event_id: id(2 + i),
      type: 'm.room.member',
      sender: `@${p}:${server}`,
      origin_server_ts: ts,
      content: { membership: 'join', displayname: p[0]!.toUpperCase() + p.slice(1) },
      state_key: `@${p}:${server}`,
      room_id: roomId,
    }),
  );
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let i = events.length; i < count; i++) {
    ts += rand() < 0.7 ? Math.floor(rand() * 90_000) : Math.floor(rand() * 3_600_000);
    const who = people[Math.floor(rand() * people.length)]!;
    const body = phrases[Math.floor(rand() * phrases.length)]!;
    const content: Record<string, unknown> = { msgtype: 'm.text', body };
    if (body.includes('**') || body.includes('`')) {
      content.format = 'org.matrix.custom.html';
      content.formatted_body = body.replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>').replace(/`(.+?)`/g, '<code>$1</code>');
    }
    events.push({ event_id: id(i), type: 'm.room.message', sender: `@${who}:${server}`, origin_server_ts: ts, content, room_id: roomId });
  }
  return events;
}
