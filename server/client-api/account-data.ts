// Global and per-room account data, and sync filters.
import type { Homeserver } from '../homeserver';
import { requireSession } from '../http/auth';
import { badJson, forbidden, MatrixError, notFound } from '../http/errors';
import type { RequestContext, Router } from '../http/router';
import { asObject } from '../http/validate';
import { parseFilter } from '../sync/filter';

export function registerAccountData(router: Router, hs: Homeserver): void {
  const ownUser = (ctx: RequestContext) => {
    const session = requireSession(hs, ctx);
    if (ctx.params.userId !== session.userId) throw forbidden('Cannot access account data of other users');
    return session;
  };
  const put = (roomScoped: boolean) => async (ctx: RequestContext) => {
    const session = ownUser(ctx);
    const type = ctx.params.type!;
    if (type === 'm.fully_read' || type === 'm.push_rules')
      throw new MatrixError(405, 'M_BAD_JSON', `${type} is controlled by the server; it cannot be set through this API`);
    const content = asObject(await ctx.json(), 'account data content');
    if (roomScoped) requireRoom(hs, ctx.params.roomId!);
    hs.accountData.put(session.userId, roomScoped ? ctx.params.roomId! : '', type, content);
    hs.notifier.notifyUsers([session.userId]);
    return {};
  };
  const get = (roomScoped: boolean) => (ctx: RequestContext) => {
    const session = ownUser(ctx);
    const content = hs.accountData.get(session.userId, roomScoped ? ctx.params.roomId! : '', ctx.params.type!);
    if (!content) throw notFound('Account data not found');
    return content;
  };
  router.put('~/user/{userId}/account_data/{type}', put(false));
  router.get('~/user/{userId}/account_data/{type}', get(false));
  router.put('~/user/{userId}/rooms/{roomId}/account_data/{type}', put(true));
  router.get('~/user/{userId}/rooms/{roomId}/account_data/{type}', get(true));

  // Room tags live in the room's m.tag account data, as the spec describes.
  const tagsOf = (userId: string, roomId: string) => (hs.accountData.get(userId, roomId, 'm.tag')?.tags ?? {}) as Record<string, unknown>;
  router.get('~/user/{userId}/rooms/{roomId}/tags', (ctx) => ({ tags: tagsOf(ownUser(ctx).userId, ctx.params.roomId!) }));
  router.put('~/user/{userId}/rooms/{roomId}/tags/{tag}', async (ctx) => {
    const session = ownUser(ctx);
    const body = asObject(await ctx.json(), 'tag');
    if (body.order !== undefined && typeof body.order !== 'number') throw badJson("'order' must be a number");
    requireRoom(hs, ctx.params.roomId!);
    const tags = { ...tagsOf(session.userId, ctx.params.roomId!), [ctx.params.tag!]: body };
    hs.accountData.put(session.userId, ctx.params.roomId!, 'm.tag', { tags });
    hs.notifier.notifyUsers([session.userId]);
    return {};
  });
  router.delete('~/user/{userId}/rooms/{roomId}/tags/{tag}', (ctx) => {
    const session = ownUser(ctx);
    const tags = { ...tagsOf(session.userId, ctx.params.roomId!) };
    delete tags[ctx.params.tag!];
    hs.accountData.put(session.userId, ctx.params.roomId!, 'm.tag', { tags });
    hs.notifier.notifyUsers([session.userId]);
    return {};
  });

  router.post('~/user/{userId}/filter', async (ctx) => {
    const session = ownUser(ctx);
    const body = asObject(await ctx.json(), 'filter');
    parseFilter(body);
    return { filter_id: hs.accountData.putFilter(session.userId, body) };
  });
  router.get('~/user/{userId}/filter/{filterId}', (ctx) => {
    const session = ownUser(ctx);
    const filter = hs.accountData.getFilter(session.userId, ctx.params.filterId!);
    if (!filter) throw notFound('No such filter');
    return filter;
  });
}

function requireRoom(hs: Homeserver, roomId: string): void {
  if (!roomId.startsWith('!')) throw badJson('Invalid room ID');
  hs.rooms.versionOf(roomId);
}
