import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { appendPage, highlightSegments, roomSearchBody, searchDecrypted, toSearchPage } from './searchResults';

const message = (id: string, body: string, extra: Record<string, unknown> = {}) => ({
  event_id: id,
  type: 'm.room.message',
  sender: '@bob:beta',
  origin_server_ts: 1_700_000_000_000,
  content: { msgtype: 'm.text', body },
  ...extra,
});

describe('highlightSegments', () => {
  it('marks whole words that start with a searched word, ignoring case and accents', () => {
    expect(highlightSegments('Tomatoes and a tomato, CAFÉ!', ['tomato', 'cafe'])).toEqual([
      { text: 'Tomatoes', match: true },
      { text: ' and a ', match: false },
      { text: 'tomato', match: true },
      { text: ', ', match: false },
      { text: 'CAFÉ', match: true },
      { text: '!', match: false },
    ]);
  });

  it('leaves markup-looking text as text and matches nothing without words', () => {
    expect(highlightSegments('<img src=x onerror=alert(1)> img', ['img'])).toEqual([
      { text: '<', match: false },
      { text: 'img', match: true },
      { text: ' src=x onerror=alert(1)> ', match: false },
      { text: 'img', match: true },
    ]);
    expect(highlightSegments('nothing here', [])).toEqual([{ text: 'nothing here', match: false }]);
    expect(highlightSegments('a b', ['!!'])).toEqual([{ text: 'a b', match: false }]);
  });

  it('always gives back the text unchanged when joined', () => {
    fc.assert(
      fc.property(fc.string(), fc.array(fc.string({ maxLength: 4 }), { maxLength: 3 }), (text, words) => {
        expect(
          highlightSegments(text, words)
            .map((s) => s.text)
            .join(''),
        ).toBe(text);
      }),
    );
  });
});

describe('toSearchPage', () => {
  it('reads results with the message before and after and the sender identity', () => {
    const page = toSearchPage({
      search_categories: {
        room_events: {
          count: 3,
          highlights: ['tomato'],
          next_batch: 'recent:5',
          results: [
            {
              rank: 1,
              result: message('$b', 'tomato', { sender_key: 'l8Hft5qXKn1vfHrg3p4+W8gELQVo8N13JkluMfmn2sQ' }),
              context: {
                events_before: [
                  { event_id: '$m', type: 'm.room.member', sender: '@bob:beta', content: { membership: 'join' } },
                  message('$a', 'earlier'),
                ],
                events_after: [message('$c', 'later')],
              },
            },
            { rank: 0.5, result: { nonsense: true } },
          ],
        },
      },
    });
    expect(page.count).toBe(3);
    expect(page.nextBatch).toBe('recent:5');
    expect(page.rows).toHaveLength(1);
    const [row] = page.rows;
    expect(row!.text).toBe('tomato');
    expect(row!.sender.sender).toBe('@bob:beta');
    expect(row!.sender.identity).not.toBe('@bob:beta');
    expect(row!.before?.text).toBe('earlier');
    expect(row!.after?.text).toBe('later');
    expect(row!.kind).toBe('message');
  });

  it('marks room name and topic results, and takes only messages as context', () => {
    const page = toSearchPage({
      search_categories: {
        room_events: {
          results: [
            {
              result: { event_id: '$n', type: 'm.room.name', sender: '@a:x', state_key: '', content: { name: 'Garden' } },
              context: {
                events_before: [{ event_id: '$c', type: 'm.room.create', sender: '@a:x', content: {} }],
                events_after: [{ event_id: '$t', type: 'm.room.topic', sender: '@a:x', content: { topic: 't' } }, message('$m', 'hi')],
              },
            },
          ],
        },
      },
    });
    expect(page.rows[0]).toMatchObject({ kind: 'name', text: 'Garden', after: { eventId: '$m' } });
    expect(page.rows[0]!.before).toBeUndefined();
  });

  it('takes an empty or odd answer as no results', () => {
    expect(toSearchPage({}).rows).toEqual([]);
    expect(toSearchPage(null).count).toBe(0);
    expect(toSearchPage({ search_categories: { room_events: { results: 'x' } } }).nextBatch).toBeUndefined();
  });

  it('appends a next page without repeating rows', () => {
    const first = toSearchPage({
      search_categories: { room_events: { count: 2, highlights: ['a'], next_batch: 'n', results: [{ result: message('$1', 'a') }] } },
    });
    const second = toSearchPage({
      search_categories: {
        room_events: { count: 2, highlights: ['ab'], results: [{ result: message('$1', 'a') }, { result: message('$2', 'ab') }] },
      },
    });
    const both = appendPage(first, second);
    expect(both.rows.map((r) => r.eventId)).toEqual(['$1', '$2']);
    expect(both.nextBatch).toBeUndefined();
    expect(both.highlights).toEqual(['a', 'ab']);
  });
});

it('asks for one room, newest first, with context', () => {
  const body = roomSearchBody('!r:x', 'tea');
  expect(body.search_categories.room_events.filter.rooms).toEqual(['!r:x']);
  expect(body.search_categories.room_events.event_context.before_limit).toBe(1);
});

describe('searchDecrypted (an encrypted room, searched in what this browser decrypted)', () => {
  const message = (id: string, body: string, ts: number) => ({
    event_id: id,
    type: 'm.room.message',
    sender: '@alice:alpha',
    origin_server_ts: ts,
    content: { msgtype: 'm.text', body },
  });
  const events = [
    message('$1', 'Meet at the Café at noon', 1),
    { event_id: '$s', type: 'm.room.member', sender: '@bob:beta', origin_server_ts: 2, content: { membership: 'join' } },
    message('$2', 'which cafe?', 3),
    message('$3', 'the one by the station', 4),
  ];

  it('finds messages whose words start with every searched word (case and accents ignored), newest first, with context', () => {
    const page = searchDecrypted(events, 'CAFE');
    expect(page.rows.map((r) => r.eventId)).toEqual(['$2', '$1']);
    expect(page.rows[0]).toMatchObject({ before: { eventId: '$1' }, after: { eventId: '$3' } });
    expect(page.count).toBe(2);
    expect(page.nextBatch).toBeUndefined();
    expect(searchDecrypted(events, 'cafe noon').rows.map((r) => r.eventId)).toEqual(['$1']);
    expect(searchDecrypted(events, 'stat').rows.map((r) => r.eventId)).toEqual(['$3']);
    expect(searchDecrypted(events, 'tram').rows).toEqual([]);
  });
});
