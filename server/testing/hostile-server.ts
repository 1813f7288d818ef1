// A scripted hostile server for tests: it publishes its own signing keys (current and old), signs its own X-Matrix
// requests and events, joins rooms on a real homeserver the way a real server does (make_join/send_join), and then
// sends whatever a test tells it to. It answers the target's requests to it through handlers a test installs.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { randomBytes } from 'node:crypto';
import {
  buildServerKeyResponse,
  computeEventId,
  encodeBase64,
  keyPairFromSeed,
  MEMBER_KEY_ID,
  memberIdFromPublicKey,
  signEvent,
  signXMatrixRequest,
} from '../../src/protocol';
import { hasRoomIdFromCreate, usesMemberKeys } from '../rooms/room-versions';
import type { RunningHomeserver } from './spawn';
import { enc } from './http-client';

type Json = Record<string, any>;
export interface SigningKeyPair {
  keyId: string;
  seed: Uint8Array;
}
export interface FedReply {
  status: number;
  body: any;
  /** A handler's reply sent as these bytes and headers instead of `body` as JSON (media, malformed answers). */
  raw?: { headers: Record<string, string>; body: Buffer };
}
/** Answers a request the target makes to the hostile server (the body is parsed JSON, or undefined). */
export type HostileHandler = (request: {
  method: string;
  path: string;
  query: URLSearchParams;
  body: unknown;
  headers: IncomingMessage['headers'];
}) => FedReply | Promise<FedReply> | undefined;

/** A member of a room, as the hostile server tracks it: its key (member-key rooms) and the room state it knows. */
export interface HostileMember {
  roomId: string;
  version: string;
  /** The member ID: `@<key>` in member-key rooms, `@localpart:evil` in classic rooms. */
  id: string;
  /** Member-key seed (member-key rooms only). */
  seed?: Uint8Array;
  localpart: string;
  joinId: string;
  /** Room state as of the join: state key ("type\0stateKey") → event ID, and every PDU the join handed back. */
  state: Map<string, string>;
  pdus: Map<string, Json>;
  /** The newest event this member built on; new events take it as their prev_event. */
  latest: string;
  depth: number;
}

const stateKey = (type: string, key: string) => `${type}\u0000${key}`;

export class HostileServer {
  readonly serverName: string;
  key: SigningKeyPair = { keyId: 'ed25519:evil1', seed: new Uint8Array(randomBytes(32)) };
  /** Keys published under old_verify_keys. */
  readonly oldKeys = new Map<string, { pair: SigningKeyPair; expiredTs: number }>();
  /** What /_matrix/key/v2/server does: answer, answer 404, never answer, or answer a valid key response padded past 12 MiB. */
  keyMode: 'normal' | '404' | 'hang' | 'oversized' = 'normal';
  /** TCP connections the target opened to us (a refused target must not even connect). */
  connections = 0;
  /** Requests the target made to us (method and path), newest last: a test can assert what was fetched. */
  readonly requests: { method: string; path: string }[] = [];
  private readonly handlers: HostileHandler[] = [];

  private constructor(
    readonly port: number,
    private readonly http: Server,
    name: string,
  ) {
    this.serverName = `${name}.localhost:${port}`;
  }

  static async start(port: number, name = 'evil'): Promise<HostileServer> {
    let self: HostileServer | undefined;
    const http = createServer((req, res) => void self!.answer(req, res));
    self = new HostileServer(port, http, name);
    http.on('connection', () => self!.connections++);
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(port, '127.0.0.1', () => resolve());
    });
    return self;
  }

  async close(): Promise<void> {
    this.http.closeAllConnections?.();
    await new Promise((resolve) => this.http.close(resolve));
  }

  /** Adds a handler for requests the target makes to us; the first that returns a reply wins. */
  on(handler: HostileHandler): void {
    this.handlers.push(handler);
  }

  /** Moves the current key to old_verify_keys (expired now) and starts signing with a new one. */
  rotateKey(expiredTs = Date.now()): SigningKeyPair {
    this.oldKeys.set(this.key.keyId, { pair: this.key, expiredTs });
    this.key = { keyId: `ed25519:evil${this.oldKeys.size + 1}`, seed: new Uint8Array(randomBytes(32)) };
    return this.key;
  }

  keyResponse(validUntilTs = Date.now() + 3_600_000): Json {
    const old: Record<string, { key: string; expired_ts: number }> = {};
    for (const [keyId, { pair, expiredTs }] of this.oldKeys)
      old[keyId] = { key: encodeBase64(keyPairFromSeed(pair.seed).publicKey), expired_ts: expiredTs };
    return buildServerKeyResponse(this.serverName, this.key.keyId, this.key.seed, validUntilTs, old);
  }

  private async answer(req: IncomingMessage, res: import('node:http').ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push({ method: req.method ?? 'GET', path: url.pathname });
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: unknown;
    try {
      body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
    } catch {
      body = undefined;
    }
    const reply = (status: number, json: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(json));
    };
    if (url.pathname.startsWith('/_matrix/key/v2/server')) {
      if (this.keyMode === 'hang') return; // never answers
      if (this.keyMode === '404') return reply(404, { errcode: 'M_NOT_FOUND', error: 'no keys' });
      if (this.keyMode === 'oversized') return reply(200, { ...this.keyResponse(), padding: 'x'.repeat(12 * 1024 * 1024) });
      return reply(200, this.keyResponse());
    }
    for (const handler of this.handlers) {
      const answer = await handler({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        body,
        headers: req.headers,
      });
      if (answer?.raw) {
        res.writeHead(answer.status, answer.raw.headers);
        res.end(answer.raw.body);
        return;
      }
      if (answer) return reply(answer.status, answer.body);
    }
    reply(404, { errcode: 'M_UNRECOGNIZED', error: 'not here' });
  }

  // ---- talking to a target -----------------------------------------------------------------------------

  /**
   * A federation request to `target`, signed with X-Matrix by `signer` (our current key by default; null: unsigned).
   * `raw` sends that text as the body instead of `body` as JSON; the signature still covers `body` when it is given
   * (so hostile text that canonical JSON cannot encode, e.g. nested too deep, goes out signed without content).
   */
  async fed(
    target: RunningHomeserver,
    method: string,
    path: string,
    body?: unknown,
    options: { signer?: SigningKeyPair | null; destination?: string; origin?: string; raw?: string } = {},
  ): Promise<FedReply> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    const signer = options.signer === undefined ? this.key : options.signer;
    if (signer) {
      headers.Authorization = signXMatrixRequest(
        {
          method,
          uri: path,
          origin: options.origin ?? this.serverName,
          destination: options.destination ?? target.serverName,
          ...(body !== undefined ? { content: body } : {}),
        },
        signer.keyId,
        signer.seed,
      );
    }
    const response = await fetch(`${target.baseUrl}${path}`, {
      method,
      headers,
      body: options.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // keep the text
    }
    return { status: response.status, body: parsed };
  }

  /** PUT /send/{txnId} with these PDUs and EDUs. */
  sendTxn(target: RunningHomeserver, pdus: unknown[], edus: unknown[] = []): Promise<FedReply> {
    const txnId = `t${Date.now()}${randomBytes(4).toString('hex')}`;
    return this.fed(target, 'PUT', `/_matrix/federation/v1/send/${txnId}`, {
      origin: this.serverName,
      origin_server_ts: Date.now(),
      pdus,
      edus,
    });
  }

  /** A fresh member key: `@<key>` and its seed. */
  static memberKey(): { id: string; seed: Uint8Array } {
    const seed = new Uint8Array(randomBytes(32));
    return { id: memberIdFromPublicKey(keyPairFromSeed(seed).publicKey), seed };
  }

  /** Signs a PDU as its sender: the member key in member-key rooms, else our server key. */
  sign(pdu: Json, version: string, memberSeed?: Uint8Array): { pdu: Json; eventId: string } {
    let signed: Json = pdu;
    if (usesMemberKeys(version)) {
      if (!memberSeed) throw new Error('a member-key room event needs the member seed');
      signed = signEvent(signed, version, pdu.sender, MEMBER_KEY_ID, memberSeed);
      // Member events carry the claimed domain's co-signature (PROTOCOL.md §3).
      if (pdu.type === 'm.room.member' && pdu.content?.domain === this.serverName)
        signed = signEvent(signed, version, this.serverName, this.key.keyId, this.key.seed);
    } else {
      signed = signEvent(signed, version, this.serverName, this.key.keyId, this.key.seed);
    }
    return { pdu: signed, eventId: computeEventId(signed, version) };
  }

  /**
   * Joins `localpart` of this server to `roomId` on `target`, as a real server does; returns the member. `content`
   * overrides the join's content (e.g. `{ domain: 'beta…' }`: a member key claiming another server's user). In
   * member-key rooms `options.key` reuses a member key (e.g. one already joined to another room) instead of a fresh one.
   */
  async join(
    target: RunningHomeserver,
    roomId: string,
    localpart: string,
    version: string,
    content: Json = {},
    options: { key?: { id: string; seed: Uint8Array } } = {},
  ): Promise<HostileMember> {
    const memberKeys = usesMemberKeys(version);
    const key = memberKeys ? (options.key ?? HostileServer.memberKey()) : undefined;
    const id = key ? key.id : `@${localpart}:${this.serverName}`;
    const made = await this.fed(target, 'GET', `/_matrix/federation/v1/make_join/${enc(roomId)}/${enc(id)}?ver=${enc(version)}`);
    if (made.status !== 200) throw new Error(`make_join: ${made.status} ${JSON.stringify(made.body)}`);
    const joinContent: Json = { membership: 'join', ...(memberKeys ? { localpart, domain: this.serverName } : {}), ...content };
    const { pdu, eventId } = this.sign({ ...made.body.event, content: joinContent, origin_server_ts: Date.now() }, version, key?.seed);
    const sent = await this.fed(target, 'PUT', `/_matrix/federation/v2/send_join/${enc(roomId)}/${enc(eventId)}`, pdu);
    if (sent.status !== 200) throw new Error(`send_join: ${sent.status} ${JSON.stringify(sent.body)}`);
    const member: HostileMember = {
      roomId,
      version,
      id,
      seed: key?.seed,
      localpart,
      joinId: eventId,
      state: new Map(),
      pdus: new Map(),
      latest: eventId,
      depth: pdu.depth,
    };
    for (const event of [...(sent.body.state ?? []), ...(sent.body.auth_chain ?? [])] as Json[]) {
      const eid = computeEventId(event, version);
      member.pdus.set(eid, event);
    }
    for (const event of (sent.body.state ?? []) as Json[])
      member.state.set(stateKey(event.type, event.state_key), computeEventId(event, version));
    member.pdus.set(eventId, pdu);
    member.state.set(stateKey('m.room.member', id), eventId);
    return member;
  }

  /** The auth events the spec selects for an event of `member` (create event only before room version 12). */
  authEventsFor(member: HostileMember, type: string, targetStateKey?: string, membership?: string): string[] {
    const ids = new Set<string>();
    const add = (t: string, k: string) => {
      const found = member.state.get(stateKey(t, k));
      if (found) ids.add(found);
    };
    if (!hasRoomIdFromCreate(member.version)) add('m.room.create', '');
    add('m.room.power_levels', '');
    add('m.room.member', member.id);
    if (type === 'm.room.member' && targetStateKey !== undefined) {
      add('m.room.member', targetStateKey);
      if (membership === 'join' || membership === 'invite') add('m.room.join_rules', '');
    }
    return [...ids];
  }

  /**
   * Builds and signs an event of `member`: prev_events = the member's latest event, auth events as the spec selects;
   * `extra` overrides any field (prev_events, auth_events, room_id, depth, ...) to build the attack. Does not send it.
   * Moves `member.latest` forward unless `advance` is false.
   */
  event(member: HostileMember, type: string, content: Json, extra: Json = {}, advance = true): { pdu: Json; eventId: string } {
    const base: Json = {
      type,
      room_id: member.roomId,
      sender: member.id,
      content,
      origin_server_ts: Date.now(),
      depth: member.depth + 1,
      prev_events: [member.latest],
      auth_events: this.authEventsFor(member, type, extra.state_key, content.membership),
      ...extra,
    };
    const signed = this.sign(base, member.version, member.seed);
    if (advance) {
      member.latest = signed.eventId;
      member.depth = Math.max(member.depth, base.depth);
      member.pdus.set(signed.eventId, signed.pdu);
      if (base.state_key !== undefined) member.state.set(stateKey(type, base.state_key), signed.eventId);
    }
    return signed;
  }

  /** PUT /v2/invite with this (signed) invite event, as the inviting server does. */
  invite(
    target: RunningHomeserver,
    version: string,
    invite: { pdu: Json; eventId: string },
    inviteRoomState: unknown[] = [],
  ): Promise<FedReply> {
    return this.fed(target, 'PUT', `/_matrix/federation/v2/invite/${enc(invite.pdu.room_id)}/${enc(invite.eventId)}`, {
      room_version: version,
      event: invite.pdu,
      invite_room_state: inviteRoomState,
    });
  }

  /** The member key `target` hands out for its user in a member-key room (MSC4430's member_key lookup). */
  async memberKeyOf(target: RunningHomeserver, roomId: string, userId: string): Promise<string> {
    const reply = await this.fed(target, 'GET', `/_matrix/federation/unstable/org.matrix.msc4430/member_key/${enc(roomId)}/${enc(userId)}`);
    if (reply.status !== 200) throw new Error(`member_key: ${reply.status} ${JSON.stringify(reply.body)}`);
    return reply.body.member_key;
  }

  /** Answers the target's GET /event/{id} for every PDU this member knows (so it can fetch what we reference). */
  serveEventsOf(member: HostileMember): void {
    this.on(({ method, path }) => {
      const match = /^\/_matrix\/federation\/v1\/event\/(.+)$/.exec(path);
      if (method !== 'GET' || !match) return undefined;
      const pdu = member.pdus.get(decodeURIComponent(match[1]!));
      return pdu ? { status: 200, body: { origin: this.serverName, origin_server_ts: Date.now(), pdus: [pdu] } } : undefined;
    });
  }
}
