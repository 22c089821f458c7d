/**
 * A many-peer CHORD-RELOAD simulation in one process: an in-memory "network" that carries out
 * the machines' actions (Attach, Ping, Join, Update, Leave) against each other under a fake
 * clock. No sockets, no crypto. Messages routed through the overlay follow each machine's
 * nextHop() hop by hop, so routing mistakes show up as failures or loops.
 */
import { bytesToBig, createChordTopology, Ring } from '../src/index.js';
import type { ChordAction, ChordOptions, ChordTopology } from '../src/index.js';

/** Deterministic PRNG (mulberry32) returning floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Event {
  at: number;
  seq: number;
  run: () => void;
}

/** A simulated peer: its machine plus the links it has. */
export interface SimNode {
  id: bigint;
  bytes: Uint8Array;
  chord: ChordTopology;
  alive: boolean;
  links: Set<bigint>;
  scheduled: number | undefined;
  log: ChordAction[];
}

/** Options of {@link ChordSim}. */
export interface SimOptions {
  seed?: number;
  nodeIdLength?: number;
  /** Extra machine options applied to every peer. */
  chord?: Partial<ChordOptions>;
  /** One-way latency bounds per hop (ms). */
  latency?: [number, number];
  /** How long until the peers linked to a crashed peer notice (ms). */
  failureDetectMs?: number;
  /** Keep every action in SimNode.log (tests that look at them). */
  keepLog?: boolean;
}

/** An in-memory network of CHORD-RELOAD machines driven by a fake clock. */
export class ChordSim {
  time = 0;
  readonly rng: () => number;
  readonly ring: Ring;
  readonly nodes = new Map<bigint, SimNode>();
  private readonly queue: Event[] = [];
  private seq = 0;
  private readonly opts: Required<Omit<SimOptions, 'chord' | 'seed' | 'nodeIdLength'>> & {
    chord: Partial<ChordOptions>;
  };
  /** Bootstrap peers used for partition checks (§10.7.4.4); empty: any linked peer. */
  bootstraps: SimNode[] = [];
  /** Counters for the curious. */
  readonly stats = { messages: 0, routedHops: 0, failedRoutes: 0, transfers: 0 };

  constructor(opts: SimOptions = {}) {
    this.rng = prng(opts.seed ?? 1);
    this.ring = new Ring(opts.nodeIdLength ?? 16);
    this.opts = {
      chord: opts.chord ?? {},
      latency: opts.latency ?? [1, 5],
      failureDetectMs: opts.failureDetectMs ?? 2000,
      keepLog: opts.keepLog ?? false,
    };
  }

  /** A random NodeId not yet used. */
  randomId(): bigint {
    for (;;) {
      const id = this.ring.randomInRange(0n, this.ring.modulus - 1n, this.rng);
      if (!this.nodes.has(id)) return id;
    }
  }

  /** Creates a peer (not joined). */
  addNode(id: bigint = this.randomId()): SimNode {
    const bytes = this.ring.toBytes(id);
    const chord = createChordTopology({
      nodeId: bytes,
      nodeIdLength: this.ring.bytes,
      now: () => this.time,
      random: this.rng,
      ...this.opts.chord,
    });
    const node: SimNode = {
      id,
      bytes,
      chord,
      alive: true,
      links: new Set(),
      scheduled: undefined,
      log: [],
    };
    this.nodes.set(id, node);
    return node;
  }

  /** Makes `node` the first peer of the overlay. */
  create(node: SimNode): void {
    this.apply(node, node.chord.createOverlay());
  }

  /** `node` connects to `bootstrap` and starts the §10.5 join. */
  join(node: SimNode, bootstrap: SimNode): void {
    this.link(node, bootstrap);
    this.apply(node, node.chord.join(bootstrap.bytes));
  }

  /** Graceful leave: Leave messages go out, then the links close. */
  leave(node: SimNode): void {
    const actions = node.chord.leave();
    this.apply(node, actions);
    node.alive = false;
    const lat = this.opts.latency[1] * 2;
    for (const l of [...node.links]) {
      this.after(lat, () => this.unlink(node.id, l));
    }
  }

  /** Crash: the peer vanishes; linked peers notice after failureDetectMs. */
  crash(node: SimNode): void {
    node.alive = false;
    for (const l of [...node.links]) {
      this.after(this.opts.failureDetectMs, () => this.unlink(node.id, l));
    }
  }

  /** Alive joined peers in ring order. */
  ringOrder(): SimNode[] {
    return [...this.nodes.values()]
      .filter((n) => n.alive && n.chord.state === 'joined')
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Runs events until `until` (absolute fake time). */
  runUntil(until: number): void {
    for (;;) {
      const e = this.peek();
      if (!e || e.at > until) break;
      this.pop();
      this.time = Math.max(this.time, e.at);
      e.run();
    }
    this.time = Math.max(this.time, until);
  }

  /** Runs for `ms` of fake time. */
  run(ms: number): void {
    this.runUntil(this.time + ms);
  }

  /** Runs until `pred` holds (checked after each event) or `ms` pass; returns whether it held. */
  runWhile(ms: number, done: () => boolean): boolean {
    const until = this.time + ms;
    for (;;) {
      if (done()) return true;
      const e = this.peek();
      if (!e || e.at > until) {
        this.time = Math.max(this.time, until);
        return done();
      }
      this.pop();
      this.time = Math.max(this.time, e.at);
      e.run();
    }
  }

  /**
   * Routes a lookup for `key` from `from` with each machine's nextHop(). Returns the node that
   * answered as responsible and the number of hops, or undefined on a dead end or loop.
   */
  lookup(from: SimNode, key: bigint): { node: SimNode; hops: number } | undefined {
    const bytes = this.ring.toBytes(key);
    let cur = from;
    for (let hops = 0; hops <= 100; hops++) {
      const nh = cur.chord.nextHop(bytes);
      if (nh.type === 'local') return { node: cur, hops };
      if (nh.type === 'none') return undefined;
      const next = this.nodes.get(bytesToBig(nh.nodeId));
      if (!next || !next.alive || !cur.links.has(next.id)) return undefined;
      cur = next;
    }
    return undefined;
  }

  /** The alive joined peer responsible for `key`, by the definition of §10.1. */
  responsibleFor(key: bigint, order: SimNode[] = this.ringOrder()): SimNode {
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (order[mid].id < key) lo = mid + 1;
      else hi = mid;
    }
    return order[lo] ?? order[0];
  }

  // -------------------------------------------------------------------------------------------

  private link(a: SimNode, b: SimNode): void {
    a.links.add(b.id);
    b.links.add(a.id);
  }

  private unlink(a: bigint, b: bigint): void {
    const na = this.nodes.get(a);
    const nb = this.nodes.get(b);
    const had = na?.links.has(b) || nb?.links.has(a);
    na?.links.delete(b);
    nb?.links.delete(a);
    if (!had) return;
    if (na?.alive) this.apply(na, na.chord.onLinkFailed(nb!.bytes));
    if (nb?.alive) this.apply(nb, nb.chord.onLinkFailed(na!.bytes));
  }

  private lat(): number {
    const [lo, hi] = this.opts.latency;
    return lo + this.rng() * (hi - lo);
  }

  private after(ms: number, run: () => void): void {
    const e = { at: this.time + ms, seq: this.seq++, run };
    // binary heap push
    const q = this.queue;
    q.push(e);
    let i = q.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(q[p], q[i])) break;
      [q[p], q[i]] = [q[i], q[p]];
      i = p;
    }
  }

  private peek(): Event | undefined {
    return this.queue[0];
  }

  private pop(): Event | undefined {
    const q = this.queue;
    const top = q[0];
    const last = q.pop();
    if (q.length > 0 && last) {
      q[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < q.length && less(q[l], q[m])) m = l;
        if (r < q.length && less(q[r], q[m])) m = r;
        if (m === i) break;
        [q[m], q[i]] = [q[i], q[m]];
        i = m;
      }
    }
    return top;
  }

  /**
   * Follows nextHop() from `from` towards `dest` (a resource id) or exactly to node `dest`.
   * `first` forces the first hop (source routing / bootstrap link).
   */
  private route(
    from: SimNode,
    dest: bigint,
    kind: 'node' | 'resource',
    first?: bigint,
  ): { node: SimNode; hops: number } | undefined {
    let cur = from;
    let hops = 0;
    if (first !== undefined && first !== from.id) {
      const n = this.nodes.get(first);
      if (!n || !n.alive || !from.links.has(first)) return undefined;
      cur = n;
      hops = 1;
    }
    const bytes = this.ring.toBytes(dest);
    for (; hops <= 100; hops++) {
      if (kind === 'node' && cur.id === dest) return { node: cur, hops };
      let nextId: bigint | undefined;
      if (kind === 'node' && cur.links.has(dest)) nextId = dest;
      else {
        const nh = cur.chord.nextHop(bytes);
        if (nh.type === 'local') {
          return kind === 'resource' ? { node: cur, hops } : undefined;
        }
        if (nh.type === 'none') return undefined;
        nextId = bytesToBig(nh.nodeId);
      }
      const next = this.nodes.get(nextId);
      if (!next || !next.alive || !cur.links.has(nextId)) return undefined;
      cur = next;
    }
    return undefined;
  }

  /** Carries out a list of actions of `node`. */
  apply(node: SimNode, actions: ChordAction[]): void {
    for (const a of actions) {
      if (this.opts.keepLog) node.log.push(a);
      this.exec(node, a);
    }
  }

  private deliver(to: SimNode, run: () => void, hops = 1): void {
    this.stats.messages++;
    let d = 0;
    for (let i = 0; i < Math.max(1, hops); i++) d += this.lat();
    this.after(d, () => {
      if (to.alive) run();
    });
  }

  private exec(node: SimNode, a: ChordAction): void {
    switch (a.type) {
      case 'schedule': {
        node.scheduled = a.at;
        const at = a.at;
        this.after(Math.max(0, at - this.time), () => {
          if (node.alive && node.scheduled === at) {
            node.scheduled = undefined;
            this.apply(node, node.chord.tick());
          }
        });
        return;
      }
      case 'attach': {
        const t = bytesToBig(a.target);
        const first = a.firstHop ? bytesToBig(a.firstHop) : a.via ? bytesToBig(a.via) : undefined;
        const r = this.route(node, t, a.destination, first);
        if (!r) {
          this.stats.failedRoutes++;
          this.after(this.lat() * 4, () => {
            if (node.alive) this.apply(node, node.chord.onAttachFailed(a.target));
          });
          return;
        }
        this.stats.routedHops += r.hops;
        const resp = r.node;
        const d = this.lat() * (2 * r.hops + 2);
        this.after(d, () => {
          if (!node.alive) return;
          if (!resp.alive) {
            this.apply(node, node.chord.onAttachFailed(a.target));
            return;
          }
          if (resp !== node) this.link(node, resp);
          this.apply(node, node.chord.onAttachAnswered(a.target, resp.bytes));
          if (resp !== node) {
            this.apply(resp, resp.chord.onPeerAttached(node.bytes, { sendUpdate: a.sendUpdate }));
          }
        });
        return;
      }
      case 'ping': {
        const t = bytesToBig(a.target);
        let first: bigint | undefined;
        if (a.viaBootstrap) {
          // §10.7.4.4: "repeat the discovery process … to locate an appropriate bootstrap
          // node": a configured bootstrap peer if any (connecting to it), else any link.
          const boots = this.bootstraps.filter((b) => b.alive && b !== node);
          if (boots.length) {
            const b = boots[Math.floor(this.rng() * boots.length)];
            this.link(node, b);
            first = b.id;
          } else {
            const links = [...node.links];
            first = links.length ? links[Math.floor(this.rng() * links.length)] : undefined;
          }
        }
        const r = this.route(node, t, 'resource', first);
        this.after(this.lat() * (2 * (r?.hops ?? 1) + 1), () => {
          if (!node.alive) return;
          if (!r || !r.node.alive) this.apply(node, node.chord.onPingFailed(a.target));
          else {
            const via = first === undefined ? undefined : this.ring.toBytes(first);
            this.apply(node, node.chord.onPingAnswered(a.target, r.node.bytes, via));
          }
        });
        return;
      }
      case 'join': {
        const ap = this.nodes.get(bytesToBig(a.to));
        if (!ap || !ap.alive || !node.links.has(ap.id)) {
          this.after(
            this.lat(),
            () => node.alive && this.apply(node, node.chord.onJoinFailed(a.to)),
          );
          return;
        }
        this.deliver(ap, () => {
          const d = ap.chord.onJoinReq(node.bytes);
          this.apply(ap, d.actions);
          this.deliver(node, () =>
            this.apply(
              node,
              d.accept ? node.chord.onJoinAnswered(ap.bytes) : node.chord.onJoinFailed(ap.bytes),
            ),
          );
        });
        return;
      }
      case 'update': {
        const to = this.nodes.get(bytesToBig(a.to));
        if (!to || !to.alive) {
          this.after(
            this.lat() * 4,
            () => node.alive && this.apply(node, node.chord.onLinkFailed(a.to)),
          );
          return;
        }
        // Through the wire codec, as the overlay will do.
        const body = node.chord.encodeUpdate(a.update);
        this.deliver(to, () =>
          this.apply(to, to.chord.onUpdate(node.bytes, to.chord.decodeUpdate(body))),
        );
        return;
      }
      case 'leave': {
        const to = this.nodes.get(bytesToBig(a.to));
        if (!to || !to.alive) return;
        const data = node.chord.encodeLeaveData(a.data);
        this.deliver(to, () =>
          this.apply(to, to.chord.onLeave(node.bytes, to.chord.decodeLeaveData(data))),
        );
        return;
      }
      case 'transfer':
        this.stats.transfers++;
        return;
      default:
        return;
    }
  }
}

function less(a: Event, b: Event): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/**
 * Finger Table problems of every alive joined peer: an entry outside its range or not alive
 * (always wrong), and — with `complete` — an empty entry although a peer lies in its range.
 */
export function fingerErrors(sim: ChordSim, complete: boolean): string[] {
  const order = sim.ringOrder();
  const ids = order.map((n) => n.id);
  const errs: string[] = [];
  for (const node of order) {
    const table = node.chord.fingers();
    table.forEach((f, idx) => {
      const i = idx + 1;
      const { start, end } = sim.ring.fingerRange(node.id, i);
      if (f !== undefined) {
        const fid = bytesToBig(f);
        if (!sim.ring.inClosed(fid, start, end))
          errs.push(`${sim.ring.hex(node.id)} finger ${i} out of range`);
        const fn = sim.nodes.get(fid);
        if (!fn || !fn.alive) errs.push(`${sim.ring.hex(node.id)} finger ${i} dead`);
      } else if (complete && ids.some((x) => x !== node.id && sim.ring.inClosed(x, start, end))) {
        errs.push(`${sim.ring.hex(node.id)} finger ${i} empty`);
      }
    });
  }
  return errs;
}

/** Checks every alive joined peer's successors and predecessors against the true ring. */
export function ringErrors(sim: ChordSim, depth = 3): string[] {
  const order = sim.ringOrder();
  const n = order.length;
  const errs: string[] = [];
  const hex = (x: bigint) => sim.ring.hex(x).slice(0, 8);
  order.forEach((node, i) => {
    const succ = node.chord.successors().map(bytesToBig);
    const pred = node.chord.predecessors().map(bytesToBig);
    const want = Math.min(depth, n - 1);
    for (let j = 0; j < want; j++) {
      const s = order[(i + 1 + j) % n].id;
      const p = order[(i - 1 - j + n * 4) % n].id;
      if (succ[j] !== s)
        errs.push(
          `${hex(node.id)} succ[${j}] ${succ[j] === undefined ? '-' : hex(succ[j])} != ${hex(s)}`,
        );
      if (pred[j] !== p)
        errs.push(
          `${hex(node.id)} pred[${j}] ${pred[j] === undefined ? '-' : hex(pred[j])} != ${hex(p)}`,
        );
    }
  });
  return errs;
}
