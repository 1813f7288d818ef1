// The outgoing queue: one persisted queue per destination (PDUs by event ID, EDUs inline), sent as transactions.
// Each destination runs on its own, so a server that is down only delays itself; failures back off exponentially
// (capped), and any request from that server, or a restart, sends what is waiting straight away.
import type { Pdu } from '../rooms/pdu';
import type { FederationClient } from './client';
import type { FederationStore } from './store';

const MAX_PDUS = 50;
const MAX_EDUS = 100;
const FIRST_BACKOFF_MS = 500;
const STALE_TYPING_MS = 30_000;

export interface OutboundDeps {
  serverName: string;
  store: FederationStore;
  client: FederationClient;
  findPdu(eventId: string): Pdu | undefined;
  maxBackoffMs: number;
}

export class OutboundQueue {
  private readonly running = new Set<string>();
  private readonly again = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;
  /** Transactions delivered, per destination (for tests and logs). */
  readonly delivered = new Map<string, number>();

  constructor(private readonly deps: OutboundDeps) {}

  start(): void {
    for (const destination of this.deps.store.destinationsWithWork()) this.kick(destination);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  enqueuePdu(destinations: Iterable<string>, eventId: string): void {
    for (const destination of destinations) this.deps.store.enqueue(destination, 'pdu', eventId);
  }

  enqueueEdu(destinations: Iterable<string>, edu: { edu_type: string; content: unknown }): void {
    for (const destination of destinations) this.deps.store.enqueue(destination, 'edu', { ...edu, queued_ts: Date.now() });
  }

  /** Sends what is waiting for `destination`; `now` ignores the backoff (the destination just showed it is up). */
  kick(destination: string, now = false): void {
    if (this.stopped) return;
    if (now) {
      const timer = this.timers.get(destination);
      if (timer) clearTimeout(timer);
      this.timers.delete(destination);
      this.deps.store.setBackoff(destination, 0, 0);
    }
    if (this.running.has(destination)) {
      this.again.add(destination);
      return;
    }
    if (this.timers.has(destination)) return;
    const wait = this.deps.store.backoff(destination).retry_at - Date.now();
    if (wait > 0) return this.schedule(destination, wait);
    void this.run(destination);
  }

  private schedule(destination: string, delayMs: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(destination);
      this.kick(destination);
    }, delayMs);
    timer.unref();
    this.timers.set(destination, timer);
  }

  private async run(destination: string): Promise<void> {
    this.running.add(destination);
    const { store, client } = this.deps;
    try {
      for (;;) {
        if (this.stopped) return;
        const pduRows = store.pending(destination, 'pdu', MAX_PDUS);
        const eduRows = store.pending(destination, 'edu', MAX_EDUS);
        if (pduRows.length === 0 && eduRows.length === 0) break;
        const pdus = pduRows.map((r) => this.deps.findPdu(JSON.parse(r.payload) as string)).filter((p): p is Pdu => !!p);
        const now = Date.now();
        const edus = eduRows
          .map((r) => JSON.parse(r.payload) as { edu_type: string; content: unknown; queued_ts: number })
          .filter((e) => e.edu_type !== 'm.typing' || now - e.queued_ts < STALE_TYPING_MS)
          .map(({ edu_type, content }) => ({ edu_type, content }));
        const ids = [...pduRows, ...eduRows].map((r) => r.id);
        const txnId = `${Math.min(...ids)}-${Math.max(...ids)}`;
        await client.request(destination, 'PUT', `/_matrix/federation/v1/send/${txnId}`, {
          body: { origin: this.deps.serverName, origin_server_ts: now, pdus: pdus.map(stripUnsigned), edus },
        });
        store.removeOutbox(ids);
        store.setBackoff(destination, 0, 0);
        this.delivered.set(destination, (this.delivered.get(destination) ?? 0) + 1);
      }
    } catch (error) {
      // Stopped while the request was out (a shutdown): the store may be closed already; the outbox keeps the work.
      if (this.stopped) return;
      const failures = store.backoff(destination).failures + 1;
      if (failures === 1 || failures % 50 === 0)
        console.error(`federation: sending to ${destination} failed (${(error as Error).message}); retrying with backoff`);
      const delay = Math.min(FIRST_BACKOFF_MS * 2 ** (failures - 1), this.deps.maxBackoffMs);
      store.setBackoff(destination, failures, Date.now() + delay);
      this.again.delete(destination);
      this.running.delete(destination);
      this.schedule(destination, delay);
      return;
    }
    this.running.delete(destination);
    if (this.again.delete(destination)) this.kick(destination);
  }
}

/** Local bookkeeping (e.g. the invite's stripped state) stays home. */
export function stripUnsigned(pdu: Pdu): Pdu {
  const { unsigned: _u, ...rest } = pdu;
  return rest;
}
