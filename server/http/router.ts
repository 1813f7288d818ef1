// A small router over node:http: path patterns with named segments, JSON bodies with a size limit,
// CORS on every response, and every thrown error turned into the spec's error JSON (never a crash).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ProtocolError } from '../../src/protocol';
import { MatrixError, unrecognized } from './errors';
import { MAX_CLIENT_JSON_DEPTH, MAX_FEDERATION_JSON_DEPTH, parseRequestBody } from './json';

export interface RawResponse {
  raw: true;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export type HandlerResult = unknown | RawResponse | { status: number; json: unknown };

export interface RequestContext {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  remoteAddress: string;
  /**
   * The parsed JSON body (read lazily, once): always an object, `{}` when empty; 400 when it is not JSON, not an
   * object, or nested too deeply (json.ts).
   */
  json(): Promise<unknown>;
  /** The raw body, for uploads. */
  bytes(limit: number): Promise<Buffer>;
  /** Aborted when the client goes away (ends long-polls early). */
  signal: AbortSignal;
}

export type Handler = (ctx: RequestContext) => Promise<HandlerResult> | HandlerResult;

interface Route {
  method: string;
  /** As registered, e.g. `~/rooms/{roomId}/send/{type}/{txnId}`. */
  path: string;
  pattern: RegExp;
  names: string[];
  handler: Handler;
}

export const CORS_HEADERS: Record<string, string> = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE, OPTIONS',
  'Access-Control-Allow-Headers': 'X-Requested-With, Content-Type, Authorization, Date',
  'Access-Control-Max-Age': '86400',
};

/** Client-Server paths are served under r0 and v3 alike (older clients such as matrix-nio still use r0). */
const CLIENT_PREFIX = '/_matrix/client/(?:r0|v3)';

export class Router {
  private readonly routes: Route[] = [];
  constructor(private readonly maxJsonBytes: number) {}

  /** `path` uses `{name}` segments; a leading `~` stands for the Client-Server prefix (r0 or v3). */
  add(method: string, path: string, handler: Handler): void {
    const names: string[] = [];
    const source = path
      .replace(/^~/, '\u0000')
      .split(/(\{[a-zA-Z]+\*?\})/)
      .map((part) => {
        const match = /^\{([a-zA-Z]+)(\*?)\}$/.exec(part);
        if (!match) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace('\u0000', CLIENT_PREFIX);
        names.push(match[1]!);
        return match[2] ? '(.+)' : '([^/]+)';
      })
      .join('');
    this.routes.push({ method, path, pattern: new RegExp(`^${source}$`), names, handler });
  }

  /** Every registered route as `{method, path}` (paths as registered, `~` for the Client-Server prefix). */
  routeTable(): Array<{ method: string; path: string }> {
    return this.routes.map(({ method, path }) => ({ method, path }));
  }

  get(path: string, handler: Handler) {
    this.add('GET', path, handler);
  }
  post(path: string, handler: Handler) {
    this.add('POST', path, handler);
  }
  put(path: string, handler: Handler) {
    this.add('PUT', path, handler);
  }
  delete(path: string, handler: Handler) {
    this.add('DELETE', path, handler);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Only a request given up before its answer is aborted (an abort costs a DOMException: not for every request).
    // The controller itself is made only for a handler that asks for the signal (long-polls): making one per
    // request showed in the send path's profile.
    let abort: AbortController | undefined;
    let gone = false;
    res.on('close', () => {
      if (res.writableFinished) return;
      gone = true;
      abort?.abort();
    });
    const signal = () => {
      if (!abort) {
        abort = new AbortController();
        if (gone) abort.abort();
      }
      return abort.signal;
    };
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = req.method ?? 'GET';
      if (method === 'OPTIONS') return send(res, 204, {}, undefined);
      let pathMatched = false;
      for (const route of this.routes) {
        const match = route.pattern.exec(url.pathname);
        if (!match) continue;
        pathMatched = true;
        if (route.method !== method && !(route.method === 'GET' && method === 'HEAD')) continue;
        const params: Record<string, string> = {};
        route.names.forEach((name, i) => {
          params[name] = safeDecode(match[i + 1]!);
        });
        const ctx = this.context(req, url, params, signal);
        const result = await route.handler(ctx);
        return respond(res, result);
      }
      if (pathMatched) throw new MatrixError(405, 'M_UNRECOGNIZED', `Method ${method} not allowed here`);
      throw unrecognized();
    } catch (error) {
      if (error instanceof MatrixError) return sendJson(res, error.status, error.toJSON());
      // The protocol core refuses what can't be signed (floats, out-of-range integers, bad keys): the client's input.
      if (error instanceof ProtocolError) return sendJson(res, 400, { errcode: 'M_BAD_JSON', error: error.message });
      console.error('internal error', error);
      return sendJson(res, 500, { errcode: 'M_UNKNOWN', error: 'Internal server error' });
    }
  }

  private context(req: IncomingMessage, url: URL, params: Record<string, string>, signal: () => AbortSignal): RequestContext {
    let bodyPromise: Promise<Buffer> | undefined;
    const bytes = (limit: number) => (bodyPromise ??= readBody(req, limit));
    return {
      method: req.method ?? 'GET',
      path: url.pathname,
      params,
      query: url.searchParams,
      headers: req.headers,
      remoteAddress: req.socket.remoteAddress ?? 'unknown',
      get signal() {
        return signal();
      },
      bytes,
      json: async () => {
        const body = await bytes(this.maxJsonBytes);
        if (body.length === 0) return {};
        // Server-Server documents carry whole PDUs, so they may nest a little deeper than a client's body.
        const federation = url.pathname.startsWith('/_matrix/federation/') || url.pathname.startsWith('/_matrix/key/');
        return parseRequestBody(body.toString('utf8'), federation ? MAX_FEDERATION_JSON_DEPTH : MAX_CLIENT_JSON_DEPTH);
      },
    };
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new MatrixError(400, 'M_INVALID_PARAM', 'Malformed percent-encoding in path');
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      return reject(new MatrixError(413, 'M_TOO_LARGE', `Request body exceeds ${limit} bytes`));
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(new MatrixError(413, 'M_TOO_LARGE', `Request body exceeds ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function isRaw(result: unknown): result is RawResponse {
  return typeof result === 'object' && result !== null && (result as RawResponse).raw === true;
}

function respond(res: ServerResponse, result: HandlerResult): void {
  if (isRaw(result)) return send(res, result.status, result.headers, result.body);
  if (typeof result === 'object' && result !== null && 'status' in result && 'json' in result && Object.keys(result).length === 2) {
    const { status, json } = result as { status: number; json: unknown };
    return sendJson(res, status, json);
  }
  return sendJson(res, 200, result ?? {});
}

function sendJson(res: ServerResponse, status: number, json: unknown): void {
  send(res, status, { 'Content-Type': 'application/json' }, Buffer.from(JSON.stringify(json)));
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: Buffer | undefined): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { ...CORS_HEADERS, ...headers, ...(body ? { 'Content-Length': String(body.length) } : {}) });
  res.end(body);
}
