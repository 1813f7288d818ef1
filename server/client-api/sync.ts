// GET /sync: builds the response at once, or long-polls until something for this user changes or `timeout` passes.
import type { Homeserver } from '../homeserver';
import { requireSession } from '../http/auth';
import { invalidParam } from '../http/errors';
import type { Router } from '../http/router';
import { parseFilter, parseInlineFilter, type Filter } from '../sync/filter';
import { buildSync } from '../sync/sync-builder';
import { parseSyncToken } from '../sync/tokens';

const MAX_TIMEOUT_MS = 60_000;

export function registerSync(router: Router, hs: Homeserver): void {
  router.get('~/sync', async (ctx) => {
    const session = requireSession(hs, ctx);
    hs.accounts.touchDevice(session, ctx.remoteAddress);
    const filter = resolveFilter(hs, session.userId, ctx.query.get('filter'));
    const sinceText = ctx.query.get('since');
    const since = sinceText ? parseSyncToken(sinceText) : undefined;
    const timeoutText = ctx.query.get('timeout') ?? '0';
    if (!/^\d{1,9}$/.test(timeoutText)) throw invalidParam('timeout must be a non-negative integer (milliseconds)');
    const deadline = Date.now() + Math.min(Number(timeoutText), MAX_TIMEOUT_MS);
    const fullState = ctx.query.get('full_state') === 'true';
    const request = { session, filter, since, fullState };
    // Nothing at all written since the client's token (the re-poll that follows every answer): wait first and
    // build once something changes or the poll runs out, instead of building an empty answer to throw away.
    // Everything /sync reports moves the stream position or the typing serial, so an equal token means no news.
    if (since && !fullState && since.position === hs.stream.current() && since.typing === hs.typing.current() && !hs.notifier.isClosed) {
      const remaining = deadline - Date.now();
      if (remaining > 0) {
        await hs.notifier.wait(remaining, ctx.signal, session.userId);
        requireSession(hs, ctx);
      }
    }
    for (;;) {
      const result = await buildSync(hs, request);
      const remaining = deadline - Date.now();
      if (!since || result.hasUpdates || remaining <= 0 || ctx.signal.aborted || hs.notifier.isClosed) return result.body;
      // Anything written while the response was being built? Then build again rather than sleep.
      if (hs.stream.current() !== result.next.position || hs.typing.current() !== result.next.typing) continue;
      await hs.notifier.wait(remaining, ctx.signal, session.userId);
      if (ctx.signal.aborted) return result.body;
      // Woken perhaps because this session was ended (logout, device deleted elsewhere): say so now rather
      // than when the long-poll runs out.
      requireSession(hs, ctx);
    }
  });
}

export function resolveFilter(hs: Homeserver, userId: string, text: string | null): Filter {
  if (!text) return parseFilter({});
  if (text.startsWith('{')) return parseFilter(parseInlineFilter(text));
  // Stored filters never change (an upload gets a new ID): parse each once, not on every long-poll.
  const key = `${userId}\u0000${text}`;
  let storedFilters = filterCaches.get(hs);
  if (!storedFilters) filterCaches.set(hs, (storedFilters = new Map()));
  const cached = storedFilters.get(key);
  if (cached) return cached;
  const stored = hs.accountData.getFilter(userId, text);
  if (!stored) throw invalidParam(`Unknown filter ${JSON.stringify(text.slice(0, 20))}`);
  const filter = parseFilter(stored);
  if (storedFilters.size >= MAX_CACHED_FILTERS) storedFilters.clear();
  storedFilters.set(key, filter);
  return filter;
}

const MAX_CACHED_FILTERS = 10_000;
const filterCaches = new WeakMap<Homeserver, Map<string, Filter>>();
