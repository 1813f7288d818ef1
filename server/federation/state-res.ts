// State resolution v2 (room version 11) and v2.1 (room version 12 line, MSC4297: the conflicted state subgraph
// joins the full conflicted set and iterative auth checks start from empty state). Pure: events come from `lookup`.
import { authKey, checkAuth, creatorsOf, powerLevelOf, type AuthState } from '../rooms/authorization';
import type { Pdu } from '../rooms/pdu';
import { hasRoomIdFromCreate } from '../rooms/room-versions';

/** A state map: authKey(type, state_key) → event ID. */
export type StateIds = Map<string, string>;

export interface ResolveInput {
  version: string;
  /** The states to merge, e.g. the state after each prev_event. */
  states: StateIds[];
  /** Every event the algorithm may touch (conflicted events, their auth chains). */
  lookup: (eventId: string) => Pdu | undefined;
  /** The room's create event ID (room version 12 leaves it out of auth_events). */
  createEventId: string;
}

const keyOf = (event: Pdu) => authKey(event.type, event.state_key ?? '');

export function resolveState(input: ResolveInput): StateIds {
  const { states } = input;
  if (states.length === 0) return new Map();
  if (states.length === 1) return new Map(states[0]);
  const { unconflicted, conflicted } = splitConflicted(states);
  if (conflicted.size === 0) return unconflicted;
  const resolver = new Resolver(input);
  return resolver.resolve(unconflicted, conflicted);
}

function splitConflicted(states: StateIds[]): { unconflicted: StateIds; conflicted: Set<string> } {
  const keys = new Set(states.flatMap((s) => [...s.keys()]));
  const unconflicted: StateIds = new Map();
  const conflicted = new Set<string>();
  for (const key of keys) {
    const ids = new Set(states.map((s) => s.get(key)));
    if (ids.size === 1 && !ids.has(undefined)) unconflicted.set(key, [...ids][0]!);
    else for (const id of ids) if (id) conflicted.add(id);
  }
  return { unconflicted, conflicted };
}

class Resolver {
  private readonly chains = new Map<string, Set<string>>();
  private readonly v21: boolean;
  constructor(private readonly input: ResolveInput) {
    this.v21 = hasRoomIdFromCreate(input.version);
  }

  private event(id: string): Pdu | undefined {
    return this.input.lookup(id);
  }

  /** Auth events, with the create event made explicit for room versions that leave it out. */
  private authOf(id: string): string[] {
    const event = this.event(id);
    if (!event) return [];
    const auth = [...event.auth_events];
    if (this.v21 && event.type !== 'm.room.create' && !auth.includes(this.input.createEventId)) auth.push(this.input.createEventId);
    return auth;
  }

  /** The full auth chain of an event (not including itself). */
  authChain(id: string): Set<string> {
    const cached = this.chains.get(id);
    if (cached) return cached;
    const chain = new Set<string>();
    const stack = [...this.authOf(id)];
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (chain.has(next) || !this.event(next)) continue;
      chain.add(next);
      stack.push(...this.authOf(next));
    }
    this.chains.set(id, chain);
    return chain;
  }

  resolve(unconflicted: StateIds, conflicted: Set<string>): StateIds {
    const full = new Set([...conflicted].filter((id) => this.event(id)));
    for (const id of this.authDifference()) full.add(id);
    if (this.v21) for (const id of this.conflictedSubgraph(conflicted)) full.add(id);

    const power = new Set([...full].filter((id) => isPowerEvent(this.event(id)!)));
    for (const id of [...power]) for (const a of this.authChain(id)) if (full.has(a)) power.add(a);
    const sortedPower = this.reverseTopologicalPowerOrder(power);
    let partial = this.iterativeAuthChecks(sortedPower, this.v21 ? new Map() : unconflicted);

    const others = [...full].filter((id) => !power.has(id));
    const powerLevelsId = partial.get(authKey('m.room.power_levels', ''));
    const sortedOthers = this.mainlineOrder(others, powerLevelsId);
    partial = this.iterativeAuthChecks(sortedOthers, partial);
    for (const [key, id] of unconflicted) partial.set(key, id);
    return partial;
  }

  private authDifference(): Set<string> {
    const chains = this.input.states.map((state) => {
      const union = new Set<string>();
      for (const id of state.values()) {
        union.add(id);
        for (const a of this.authChain(id)) union.add(a);
      }
      return union;
    });
    const all = new Set(chains.flatMap((c) => [...c]));
    const difference = new Set<string>();
    for (const id of all) if (!chains.every((c) => c.has(id)) && this.event(id)) difference.add(id);
    return difference;
  }

  /** Events on an auth path between two conflicted events (MSC4297). */
  private conflictedSubgraph(conflicted: Set<string>): Set<string> {
    const reaches = new Map<string, boolean>();
    const reachesConflicted = (id: string): boolean => {
      const known = reaches.get(id);
      if (known !== undefined) return known;
      reaches.set(id, false);
      const result = this.authOf(id).some((a) => this.event(a) && (conflicted.has(a) || reachesConflicted(a)));
      reaches.set(id, result);
      return result;
    };
    const subgraph = new Set<string>();
    for (const id of conflicted) {
      for (const ancestor of this.authChain(id)) if (reachesConflicted(ancestor) || conflicted.has(ancestor)) subgraph.add(ancestor);
    }
    return subgraph;
  }

  private senderPower(id: string): number {
    const event = this.event(id)!;
    const state: Map<string, Pdu> = new Map();
    for (const a of this.authOf(id)) {
      const auth = this.event(a);
      if (auth && (auth.type === 'm.room.power_levels' || auth.type === 'm.room.create')) state.set(keyOf(auth), auth);
    }
    return powerLevelOf(event.sender, state, this.input.version);
  }

  /** Kahn's algorithm over auth edges inside `ids`, ties broken by higher sender power, older ts, smaller ID. */
  private reverseTopologicalPowerOrder(ids: Set<string>): string[] {
    const power = new Map([...ids].map((id) => [id, this.senderPower(id)]));
    const compare = (a: string, b: string) => {
      const pa = power.get(a)!;
      const pb = power.get(b)!;
      if (pa !== pb) return pb > pa ? 1 : -1;
      return tsThenId(this.event(a)!, a, this.event(b)!, b);
    };
    return kahn(ids, (id) => this.authOf(id).filter((a) => ids.has(a)), compare);
  }

  private mainlineOrder(ids: string[], powerLevelsId: string | undefined): string[] {
    const mainline: string[] = [];
    for (let current = powerLevelsId; current; ) {
      mainline.push(current);
      current = this.authOf(current).find((a) => this.event(a)?.type === 'm.room.power_levels');
    }
    // Position counts from the oldest power levels event: older mainline anchors sort first.
    const position = new Map(mainline.map((id, i) => [id, mainline.length - i]));
    const depthCache = new Map<string, number>();
    const mainlineDepth = (id: string): number => {
      let current: string | undefined = id;
      const seen: string[] = [];
      while (current) {
        const known = depthCache.get(current) ?? position.get(current);
        if (known !== undefined) {
          for (const s of seen) depthCache.set(s, known);
          return known;
        }
        seen.push(current);
        current = this.authOf(current).find((a) => this.event(a)?.type === 'm.room.power_levels');
      }
      for (const s of seen) depthCache.set(s, 0);
      return 0;
    };
    const depth = new Map(ids.map((id) => [id, mainlineDepth(id)]));
    return [...ids].sort((a, b) => depth.get(a)! - depth.get(b)! || tsThenId(this.event(a)!, a, this.event(b)!, b));
  }

  private iterativeAuthChecks(ids: string[], start: StateIds): StateIds {
    const partial = new Map(start);
    for (const id of ids) {
      const event = this.event(id);
      if (!event) continue;
      const authState: Map<string, Pdu> = new Map();
      for (const a of this.authOf(id)) {
        const auth = this.event(a);
        if (auth) authState.set(keyOf(auth), auth);
      }
      for (const key of authTypesFor(event)) {
        const current = partial.get(key);
        const currentEvent = current ? this.event(current) : undefined;
        if (currentEvent) authState.set(key, currentEvent);
      }
      const previousIsCreate = event.prev_events.length === 1 && event.prev_events[0] === this.input.createEventId;
      try {
        checkAuth(event, authState as AuthState, this.input.version, previousIsCreate);
        partial.set(keyOf(event), id);
      } catch {
        // not allowed at this point in the order: ignored
      }
    }
    return partial;
  }
}

function tsThenId(a: Pdu, aId: string, b: Pdu, bId: string): number {
  if (a.origin_server_ts !== b.origin_server_ts) return a.origin_server_ts - b.origin_server_ts;
  return aId < bId ? -1 : aId > bId ? 1 : 0;
}

/** Topological order (parents first) with `compare` choosing among ready events. */
function kahn(ids: Set<string>, parentsOf: (id: string) => string[], compare: (a: string, b: string) => number): string[] {
  const waiting = new Map<string, number>();
  const children = new Map<string, string[]>();
  for (const id of ids) {
    const parents = parentsOf(id);
    waiting.set(id, parents.length);
    for (const p of parents) (children.get(p) ?? children.set(p, []).get(p)!).push(id);
  }
  const ready = [...ids].filter((id) => waiting.get(id) === 0);
  const out: string[] = [];
  while (ready.length > 0) {
    ready.sort(compare);
    const next = ready.shift()!;
    out.push(next);
    for (const child of children.get(next) ?? []) {
      const left = waiting.get(child)! - 1;
      waiting.set(child, left);
      if (left === 0) ready.push(child);
    }
  }
  return out;
}

export function isPowerEvent(event: Pdu): boolean {
  if (event.type === 'm.room.power_levels' || event.type === 'm.room.join_rules' || event.type === 'm.room.create')
    return event.state_key === '';
  if (event.type !== 'm.room.member') return false;
  const membership = event.content.membership;
  return (membership === 'leave' || membership === 'ban') && event.sender !== event.state_key;
}

/** The state keys the auth rules read for this event (the spec's "auth events selection"). */
export function authTypesFor(event: Pdu): string[] {
  if (event.type === 'm.room.create') return [];
  const keys = [authKey('m.room.create', ''), authKey('m.room.power_levels', ''), authKey('m.room.member', event.sender)];
  if (event.type === 'm.room.member' && typeof event.state_key === 'string') {
    keys.push(authKey('m.room.member', event.state_key));
    const membership = event.content.membership;
    if (membership === 'join' || membership === 'invite' || membership === 'knock') keys.push(authKey('m.room.join_rules', ''));
  }
  return keys;
}

export { creatorsOf };
