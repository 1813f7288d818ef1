import { describe, expect, it, vi } from 'vitest';
import { movedAccountFetch, movedToOf } from './moved';

const reply = (status: number, body: unknown) => async () =>
  new Response(typeof body === 'string' ? body : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });

describe('movedAccountFetch', () => {
  it('says where the account went on a moved 403 and still hands the SDK the whole answer', async () => {
    const onMoved = vi.fn();
    const fetchFn = movedAccountFetch(
      reply(403, { errcode: 'M_FORBIDDEN', error: 'moved', 'dev.wayfarer.moved_to': '@dana:beta.localhost' }),
      onMoved,
    );
    const response = await fetchFn('https://alpha.localhost/_matrix/client/v3/sync');
    expect(onMoved).toHaveBeenCalledWith('@dana:beta.localhost');
    expect(response.status).toBe(403);
    expect((await response.json())['dev.wayfarer.moved_to']).toBe('@dana:beta.localhost');
  });

  it('ignores other 403s, other statuses, bodies that are not JSON, and a moved_to that is not a user ID', async () => {
    const onMoved = vi.fn();
    for (const inner of [
      reply(403, { errcode: 'M_FORBIDDEN', error: 'You don’t have permission' }),
      reply(200, { 'dev.wayfarer.moved_to': '@dana:beta.localhost' }),
      reply(403, '<html>forbidden</html>'),
      reply(403, { 'dev.wayfarer.moved_to': 'somewhere else' }),
      reply(403, { 'dev.wayfarer.moved_to': 42 }),
    ])
      await movedAccountFetch(inner, onMoved)('https://alpha.localhost/x');
    expect(onMoved).not.toHaveBeenCalled();
    expect(movedToOf(null)).toBeUndefined();
  });
});
