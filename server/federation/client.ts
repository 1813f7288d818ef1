// Outgoing Server-Server requests: checks that the destination is a server name, resolves it (`*.localhost` is always
// 127.0.0.1, whatever the system resolver says) and refuses private and loopback addresses outside --insecure-http,
// signs each request with X-Matrix, bounds its time and answer size, and turns every failure into a typed error.
import { lookup } from 'node:dns/promises';
import { Agent as HttpAgent, type IncomingHttpHeaders, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { signXMatrixRequest } from '../../src/protocol';
import { MatrixError } from '../http/errors';
import type { CurrentSigningKey } from '../signing-key';
import { MAX_FEDERATION_JSON_DEPTH, parseBoundedJson } from '../http/json';

export class FederationError extends Error {
  constructor(
    readonly destination: string,
    /** HTTP status, or 0 when there was no valid HTTP response (refused, timed out, offline). */
    readonly status: number,
    message: string,
    readonly body?: unknown,
  ) {
    super(message);
  }
  get errcode(): string | undefined {
    const body = this.body as { errcode?: unknown } | undefined;
    return typeof body?.errcode === 'string' ? body.errcode : undefined;
  }
}

/** A parsed Matrix server name (spec appendix "Server Name"): hostname (IPv4, [IPv6] or DNS name) and optional port. */
// The spec's server-name grammar lives with the other Matrix identifiers (src/protocol/ids.ts, property-tested
// against Node's isIP); the client and this server parse names one way.
import { isServerName, parseServerName, type ServerName } from '../../src/protocol/ids';

export { isServerName, parseServerName, type ServerName };

/** For client requests naming another server (a user ID's, an alias's, a `via`): 400 M_INVALID_PARAM before anything is resolved. */
export function requireServerName(name: string, what: string): string {
  if (!isServerName(name)) throw new MatrixError(400, 'M_INVALID_PARAM', `${what}: ${JSON.stringify(name)} is not a server name`);
  return name;
}

/**
 * Addresses a federation request may never reach outside `--insecure-http` development mode: loopback, private,
 * link-local, unspecified, shared (CGNAT), multicast and reserved ranges, IPv4 and IPv6 (IPv4-mapped IPv6 included).
 */
const PRIVATE = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv6');

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** `https://host:port` (8448 by default) for a server name; plain HTTP when `insecure`. `*.localhost` names 127.0.0.1. */
export function baseUrlFor(serverName: string, insecure: boolean): string {
  const parsed = parseServerName(serverName);
  if (!parsed) throw new Error(`${JSON.stringify(serverName)} is not a server name`);
  const host = parsed.kind === 'ipv6' ? `[${parsed.host}]` : isLocalhostName(parsed.host) ? '127.0.0.1' : parsed.host;
  return `${insecure ? 'http' : 'https'}://${host}:${parsed.port ?? 8448}`;
}

const isLocalhostName = (host: string) => host.toLowerCase() === 'localhost' || host.toLowerCase().endsWith('.localhost');

type Resolved = { address: string; family: 4 | 6 };

/**
 * The addresses to connect to for a server name, checked: outside `insecure` mode every address the name resolves
 * to must be public, or the request is refused before any connection. `*.localhost` is always 127.0.0.1.
 */
export async function resolveTarget(name: ServerName, insecure: boolean, destination: string): Promise<Resolved[]> {
  let addresses: Resolved[];
  if (name.kind !== 'dns') addresses = [{ address: name.host, family: name.kind === 'ipv4' ? 4 : 6 }];
  else if (isLocalhostName(name.host)) addresses = [{ address: '127.0.0.1', family: 4 }];
  else {
    try {
      addresses = (await lookup(name.host, { all: true, verbatim: true })).map((a) => ({
        address: a.address,
        family: a.family === 6 ? 6 : 4,
      }));
    } catch (error) {
      throw new FederationError(destination, 0, `${destination} does not resolve (${(error as { code?: string }).code ?? 'DNS error'})`);
    }
    if (addresses.length === 0) throw new FederationError(destination, 0, `${destination} does not resolve`);
  }
  if (!insecure) {
    const refused = addresses.find((a) => isPrivateAddress(a.address));
    if (refused)
      throw new FederationError(
        destination,
        0,
        `${destination} is a private or loopback address (${refused.address}): refused outside --insecure-http development mode`,
      );
  }
  return addresses;
}

/** Every outgoing federation answer is read up to this size at most (a key answer: much less, see keys.ts). */
export const MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 15_000;

export interface FederationRequestOptions {
  body?: unknown;
  timeoutMs?: number;
  /** Unsigned (key fetches need no authentication). */
  unsigned?: boolean;
  /** Refuse an answer larger than this many bytes. */
  maxBytes?: number;
}

export class FederationClient {
  /** Dev switch: when false, all federation traffic is refused, as if offline. */
  enabled = true;
  constructor(private readonly config: { serverName: string; insecureHttp: boolean; signingKey: CurrentSigningKey }) {}

  async request<T = unknown>(
    destination: string,
    method: string,
    pathAndQuery: string,
    options: FederationRequestOptions = {},
  ): Promise<T> {
    const { status, body } = await this.raw(destination, method, pathAndQuery, options);
    if (status !== 200) {
      const text =
        typeof body === 'object' && body !== null && 'error' in body ? String((body as { error: unknown }).error) : `HTTP ${status}`;
      throw new FederationError(
        destination,
        status,
        `${destination} answered ${status} to ${method} ${pathAndQuery.split('?')[0]}: ${text}`,
        body,
      );
    }
    return body as T;
  }

  /**
   * The HTTP status and parsed body, or FederationError(status 0) when no valid HTTP response came. The destination
   * must be a server name; it is resolved here and every address checked (see `resolveTarget`), and the connection
   * goes to a checked address (no second lookup). The whole exchange has a deadline and the answer a size limit.
   */
  async raw(
    destination: string,
    method: string,
    pathAndQuery: string,
    options: FederationRequestOptions = {},
  ): Promise<{ status: number; body: unknown }> {
    if (!this.enabled) throw new FederationError(destination, 0, 'federation is switched off on this server');
    if (destination === this.config.serverName) throw new FederationError(destination, 0, 'refusing to federate with ourselves');
    const name = parseServerName(destination);
    if (!name) throw new FederationError(destination, 0, `${JSON.stringify(destination)} is not a server name`);
    const insecure = this.config.insecureHttp;
    let url: URL;
    try {
      url = new URL(baseUrlFor(destination, insecure) + pathAndQuery);
    } catch (error) {
      throw new FederationError(destination, 0, (error as Error).message);
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    const addresses = await withDeadline(
      resolveTarget(name, insecure, destination),
      timeoutMs,
      () => new FederationError(destination, 0, `${destination} is unreachable (DNS timeout)`),
    );
    // Sign the URI exactly as it goes on the wire (after URL normalisation).
    const uri = url.pathname + url.search;
    const headers: Record<string, string> = { Accept: 'application/json' };
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    if (payload) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    if (!options.unsigned) {
      const key = this.config.signingKey.current;
      headers.Authorization = signXMatrixRequest(
        { method, uri, origin: this.config.serverName, destination, ...(options.body !== undefined ? { content: options.body } : {}) },
        key.keyId,
        key.seed,
      );
    }
    const answer = await send(
      url,
      method,
      headers,
      payload,
      addresses,
      Math.max(1, deadline - Date.now()),
      options.maxBytes ?? MAX_RESPONSE_BYTES,
      destination,
    );
    const { status } = answer;
    const text = answer.bytes.toString('utf8');
    let body: unknown;
    try {
      body = text ? parseBoundedJson(text, MAX_FEDERATION_JSON_DEPTH) : {};
    } catch {
      if (status === 200) throw new FederationError(destination, 0, `${destination} answered with invalid JSON`);
      body = { error: text.slice(0, 200) };
    }
    return { status, body };
  }

  /**
   * A signed GET whose answer is kept as bytes (media): the same name checks, address pinning, deadline and size
   * cap as `raw`. Non-200 answers are a FederationError carrying the parsed JSON error when there is one.
   */
  async bytes(
    destination: string,
    pathAndQuery: string,
    options: { timeoutMs?: number; maxBytes: number },
  ): Promise<{ headers: IncomingHttpHeaders; bytes: Buffer }> {
    if (!this.enabled) throw new FederationError(destination, 0, 'federation is switched off on this server');
    if (destination === this.config.serverName) throw new FederationError(destination, 0, 'refusing to federate with ourselves');
    const name = parseServerName(destination);
    if (!name) throw new FederationError(destination, 0, `${JSON.stringify(destination)} is not a server name`);
    const insecure = this.config.insecureHttp;
    const url = new URL(baseUrlFor(destination, insecure) + pathAndQuery);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    const addresses = await withDeadline(
      resolveTarget(name, insecure, destination),
      timeoutMs,
      () => new FederationError(destination, 0, `${destination} is unreachable (DNS timeout)`),
    );
    const key = this.config.signingKey.current;
    const headers = {
      Accept: 'multipart/mixed, application/json',
      Authorization: signXMatrixRequest(
        { method: 'GET', uri: url.pathname + url.search, origin: this.config.serverName, destination },
        key.keyId,
        key.seed,
      ),
    };
    const answer = await send(url, 'GET', headers, undefined, addresses, Math.max(1, deadline - Date.now()), options.maxBytes, destination);
    if (answer.status !== 200) {
      let body: unknown;
      try {
        body = parseBoundedJson(answer.bytes.toString('utf8'), MAX_FEDERATION_JSON_DEPTH);
      } catch {
        body = undefined;
      }
      const text =
        typeof body === 'object' && body !== null && 'error' in body ? String((body as { error: unknown }).error) : `HTTP ${answer.status}`;
      throw new FederationError(
        destination,
        answer.status,
        `${destination} answered ${answer.status} to GET ${url.pathname}: ${text}`,
        body,
      );
    }
    return { headers: answer.headers, bytes: answer.bytes };
  }

  /**
   * A plain GET of a URL another server redirected us to (a multipart `Location` part): unsigned, and held to the
   * same address policy as a server name (its host must resolve to public addresses outside --insecure-http).
   */
  async fetchLocation(
    location: string,
    destination: string,
    options: { timeoutMs?: number; maxBytes: number },
  ): Promise<{ headers: IncomingHttpHeaders; bytes: Buffer }> {
    if (!this.enabled) throw new FederationError(destination, 0, 'federation is switched off on this server');
    const insecure = this.config.insecureHttp;
    let url: URL;
    try {
      url = new URL(location);
    } catch {
      throw new FederationError(destination, 0, `${destination} redirected to an invalid URL`);
    }
    if (url.protocol !== 'https:' && !(insecure && url.protocol === 'http:'))
      throw new FederationError(destination, 0, `${destination} redirected to a ${url.protocol} URL`);
    if (url.username || url.password) throw new FederationError(destination, 0, `${destination} redirected to a URL with credentials`);
    const name = parseServerName(url.host);
    if (!name) throw new FederationError(destination, 0, `${destination} redirected to an unusable host`);
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    const addresses = await withDeadline(
      resolveTarget(name, insecure, destination),
      timeoutMs,
      () => new FederationError(destination, 0, `${destination}'s redirect is unreachable (DNS timeout)`),
    );
    if (name.kind === 'dns' && isLocalhostName(name.host)) url.hostname = '127.0.0.1';
    const answer = await send(url, 'GET', {}, undefined, addresses, Math.max(1, deadline - Date.now()), options.maxBytes, destination);
    if (answer.status !== 200) throw new FederationError(destination, answer.status, `${destination}'s redirect answered ${answer.status}`);
    return { headers: answer.headers, bytes: answer.bytes };
  }
}

function withDeadline<T>(promise: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(error()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Connections are kept alive per destination (host and port): a pooled connection was opened to an address checked
 * for that same name, so reusing it keeps the address policy.
 */
const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 16 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 16 }) };

/** One HTTP(S) exchange to already-checked addresses, with a deadline and a cap on the answer's size. */
function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  payload: Buffer | undefined,
  addresses: Resolved[],
  timeoutMs: number,
  maxBytes: number,
  destination: string,
): Promise<{ status: number; headers: IncomingHttpHeaders; bytes: Buffer }> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      reject(new FederationError(destination, 0, message));
    };
    // Connect only to the addresses checked above: the name is never looked up again.
    const pinned = ((_host: string, opts: { all?: boolean }, callback: (...args: unknown[]) => void) => {
      if (opts?.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    }) as unknown as LookupFunction;
    const secure = url.protocol === 'https:';
    const request = (secure ? httpsRequest : httpRequest)(url, {
      method,
      headers,
      lookup: pinned,
      agent: secure ? agents.https : agents.http,
    });
    const timer = setTimeout(() => fail(`${destination} is unreachable (timed out after ${timeoutMs} ms)`), timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) => fail(`${destination} is unreachable (${error.code ?? error.name})`));
    request.on('response', (response) => {
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) return fail(`${destination} answered with more than ${maxBytes} bytes`);
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) return fail(`${destination} answered with more than ${maxBytes} bytes`);
        chunks.push(chunk);
      });
      response.on('error', (error) => fail(`${destination} broke off its answer (${error.name})`));
      response.on('aborted', () => fail(`${destination} broke off its answer`));
      response.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve({ status: response.statusCode ?? 0, headers: response.headers, bytes: Buffer.concat(chunks) });
      });
    });
    request.end(payload);
  });
}
