// A tiny fetch wrapper for tests that talk to a spawned homeserver over real HTTP.
export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export class TestClient {
  accessToken?: string;
  userId?: string;
  deviceId?: string;
  constructor(readonly baseUrl: string) {}

  async request<T = any>(
    method: string,
    path: string,
    body?: unknown,
    options: { raw?: string; headers?: Record<string, string> } = {},
  ): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.accessToken) headers.Authorization = `Bearer ${this.accessToken}`;
    if (body !== undefined || options.raw !== undefined) headers['Content-Type'] ??= 'application/json';
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: options.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // non-JSON bodies (media) stay text
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  get<T = any>(path: string) {
    return this.request<T>('GET', path);
  }
  post<T = any>(path: string, body: unknown = {}) {
    return this.request<T>('POST', path, body);
  }
  put<T = any>(path: string, body: unknown = {}) {
    return this.request<T>('PUT', path, body);
  }

  /** Registers with the dummy flow (open registration) and keeps the session. */
  async register(username: string, password = 'correct horse battery staple'): Promise<this> {
    const reply = await this.post('/_matrix/client/v3/register', { username, password, auth: { type: 'm.login.dummy' } });
    if (reply.status !== 200) throw new Error(`register ${username}: ${reply.status} ${JSON.stringify(reply.body)}`);
    this.accessToken = reply.body.access_token;
    this.userId = reply.body.user_id;
    this.deviceId = reply.body.device_id;
    return this;
  }

  /** Sets this user's display name (set-up: it must work). */
  async setDisplayName(displayname: string): Promise<this> {
    const reply = await this.put(`/_matrix/client/v3/profile/${encodeURIComponent(this.userId!)}/displayname`, { displayname });
    if (reply.status !== 200) throw new Error(`displayname ${this.userId}: ${reply.status} ${JSON.stringify(reply.body)}`);
    return this;
  }
}

export const enc = encodeURIComponent;

/** The reply's body when it is a 200, else an error naming the status and body (for set-up steps that must work). */
export async function ok<T = any>(reply: Promise<Reply<T>>): Promise<T> {
  const r = await reply;
  if (r.status !== 200) throw new Error(`${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}
