// Outgoing Server-Server requests: resolves a server name to a base URL (`*.localhost` is always 127.0.0.1,
// whatever the system resolver says), signs each request with X-Matrix, and turns every failure into a typed error.
import { signXMatrixRequest } from '../../src/protocol';
import type { Homeserver } from '../homeserver';
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

/** `https://host:port` (8448 by default) for a server name; plain HTTP when `insecure`. */
export function baseUrlFor(serverName: string, insecure: boolean): string {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:]+)(?::(\d{1,5}))?$/.exec(serverName);
  if (!match) throw new Error(`${JSON.stringify(serverName)} is not a server name`);
  const host = match[1]!;
  const port = match[2] ?? '8448';
  const isLocalhost = host === 'localhost' || host.endsWith('.localhost');
  return `${insecure ? 'http' : 'https'}://${isLocalhost ? '127.0.0.1' : host}:${port}`;
}

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
  constructor(private readonly hs: Homeserver) {}

  async request<T = any>(destination: string, method: string, pathAndQuery: string, options: FederationRequestOptions = {}): Promise<T> {
    const { status, body } = await this.raw(destination, method, pathAndQuery, options);
    if (status !== 200) {
      const text = typeof body === 'object' && body !== null && 'error' in body ? String((body as { error: unknown }).error) : `HTTP ${status}`;
      throw new FederationError(destination, status, `${destination} answered ${status} to ${method} ${pathAndQuery.split('?')[0]}: ${text}`, body);
    }
    return body as T;
  }

  /** The HTTP status and parsed body, or FederationError(status 0) when no valid HTTP response came. */
  async raw(destination: string, method: string, pathAndQuery: string, options: FederationRequestOptions = {}): Promise<{ status: number; body: unknown }> {
    if (!this.enabled) throw new FederationError(destination, 0, 'federation is switched off on this server');
    if (destination === this.hs.config.serverName) throw new FederationError(destination, 0, 'refusing to federate with ourselves');
    let url: URL;
    try {
      url = new URL(baseUrlFor(destination, this.hs.config.insecureHttp) + pathAndQuery);
    } catch (error) {
      throw new FederationError(destination, 0, (error as Error).message);
    }
    // Sign the URI exactly as it goes on the wire (after URL normalisation).
    const uri = url.pathname + url.search;
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    if (!options.unsigned) {
      const key = this.hs.signingKey;
      headers.Authorization = signXMatrixRequest(
        { method, uri, origin: this.hs.config.serverName, destination, ...(options.body !== undefined ? { content: options.body } : {}) },
        key.keyId,
        key.seed,
      );
    }
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      throw new FederationError(destination, 0, `${destination} is unreachable (${cause})`);
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw new FederationError(destination, 0, `${destination} broke off its answer (${(error as Error).name})`);
    }
    let body: unknown;
    try {
      body = text ? parseBoundedJson(text, MAX_FEDERATION_JSON_DEPTH) : {};
    } catch {
      if (response.status === 200) throw new FederationError(destination, 0, `${destination} answered with invalid JSON`);
      body = { error: text.slice(0, 200) };
    }
    return { status: response.status, body };
  }
}
