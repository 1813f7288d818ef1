import { describe, expect, it } from 'vitest';
import { memberInfoFetch, memberInfoSource } from './memberInfoFetch';
import { createIdentityStore } from './identityStore';

const key = 'l8Hft5qXKn1v-Hrg3p4_W8gELQVo8N13JkluMfmn2sQ';
const info = (status: string) => ({ [`@${key}`]: { user_id: null, 'dev.wayfarer.link': { status, checked_ts: 1 } } });

describe('member_info from raw responses', () => {
  it('knows initial syncs, incremental syncs and current /members from other requests', () => {
    expect(memberInfoSource(new URL('http://hs/_matrix/client/v3/sync?timeout=0'))).toEqual({ kind: 'sync', initial: true });
    expect(memberInfoSource(new URL('http://hs/_matrix/client/v3/sync?since=s12'))).toEqual({ kind: 'sync', initial: false });
    expect(memberInfoSource(new URL('http://hs/_matrix/client/v3/rooms/!a%3Ab/members?not_membership=leave'))).toEqual({
      kind: 'members',
      roomId: '!a:b',
    });
    expect(memberInfoSource(new URL('http://hs/_matrix/client/v3/rooms/!a%3Ab/members?at=t1'))).toBeUndefined();
    expect(memberInfoSource(new URL('http://hs/_matrix/client/v3/rooms/!a/messages'))).toBeUndefined();
  });

  it('feeds the store and hands the SDK an unread response', async () => {
    const store = createIdentityStore();
    const bodies: Record<string, unknown> = {
      '/_matrix/client/v3/sync': { next_batch: 's1', rooms: { join: { '!r': { 'org.matrix.msc4428.member_info': info('verified') } } } },
      '/_matrix/client/v3/rooms/!r/members': { chunk: [], 'org.matrix.msc4428.member_info': info('unverified') },
    };
    const inner = (async (input: string | URL | Request) => Response.json(bodies[new URL(String(input)).pathname] ?? {})) as typeof fetch;
    const wrapped = memberInfoFetch(inner, store);
    const response = await wrapped('http://hs/_matrix/client/v3/sync?timeout=0');
    expect(await response.json()).toMatchObject({ next_batch: 's1' });
    expect(store.getState().memberInfo['!r']?.[key]?.['dev.wayfarer.link']?.status).toBe('verified');
    await wrapped('http://hs/_matrix/client/v3/rooms/!r/members');
    expect(store.getState().memberInfo['!r']?.[key]?.['dev.wayfarer.link']?.status).toBe('unverified');
    const broken = memberInfoFetch((async () => new Response('not json', { status: 200 })) as typeof fetch, store);
    expect(await (await broken('http://hs/_matrix/client/v3/sync')).text()).toBe('not json');
  });
});
