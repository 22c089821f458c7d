/**
 * An in-memory link network for many-peer tests in one process (house style §9): the same
 * {@link Link} / {@link LinkTransport} interfaces and the same §6.6.2 framing engine as the TLS
 * link, over simulated channels with injectable latency, loss and partitions.
 *
 * Peers can present a certificate chain and verify each other with a {@link PeerVerifier}
 * exactly as over TLS, or (for tests that do not care) simply declare their Node-IDs.
 */
import { EventEmitter } from 'node:events';
import { OverlayLinkType, ReloadError, isReloadError } from '@reload/wire';
import type { LinkClock, TimerHandle } from './clock.js';
import { systemClock } from './clock.js';
import { DEFAULT_MAX_MESSAGE_SIZE } from './constants.js';
import type { OverlayLinkTypeCode } from './constants.js';
import type { ByteChannel } from './framed-link.js';
import { FramedLink } from './framed-link.js';
import type { RtoOptions } from './rto.js';
import type {
  ConnectOptions,
  Link,
  LinkAddress,
  LinkListener,
  LinkLogger,
  LinkTransport,
  ListenerEvents,
  PeerVerifier,
} from './types.js';
import { formatAddress, silentLogger } from './types.js';
import { checkExpectedNodeId, refusalCode } from './verify.js';

/** Options of a {@link MemoryNetwork}. */
export interface MemoryNetworkOptions {
  /** Clock for latency and link timers (default: the system clock). */
  clock?: LinkClock;
  /** One-way latency of every delivery, ms (default 0: next turn of the event loop). */
  latencyMs?: number;
  /** Probability in [0, 1] that a write (a batch of whole frames) is lost (default 0). */
  lossRate?: number;
  /** Random source in [0, 1) for loss (default Math.random). */
  random?: () => number;
}

interface Delivery {
  at: number;
  chunk: Uint8Array | 'fin';
}

/** One direction of a simulated connection. */
class Pipe {
  readonly queue: Delivery[] = [];
  inFlight = 0;
  timer: TimerHandle | undefined;
  immediate = false;
  constructor(
    readonly from: MemoryEndpoint,
    readonly to: MemoryEndpoint,
  ) {}
}

/** One side of a simulated connection: the ByteChannel of a FramedLink. */
class MemoryEndpoint implements ByteChannel {
  link!: FramedLink;
  out!: Pipe;
  peer!: MemoryEndpoint;
  paused = false;
  dead = false;
  readonly inbox: Uint8Array[] = [];
  inboxBytes = 0;
  sawFin = false;

  constructor(
    readonly net: MemoryNetwork,
    readonly address: LinkAddress,
  ) {}

  get writableLength(): number {
    return this.out.inFlight + this.peer.inboxBytes;
  }

  write(chunk: Uint8Array): void {
    if (this.dead) return;
    this.net.transmit(this.out, chunk);
  }

  end(): void {
    if (this.dead) return;
    this.dead = true;
    this.net.transmit(this.out, 'fin');
  }

  destroy(): void {
    this.end();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    setImmediate(() => this.drainInbox());
  }

  /** A chunk arrived from the peer. */
  arrive(chunk: Uint8Array): void {
    if (this.dead) return;
    if (this.paused || this.inbox.length > 0) {
      this.inbox.push(chunk);
      this.inboxBytes += chunk.length;
      return;
    }
    this.link.receive(chunk);
  }

  arriveFin(): void {
    if (this.paused || this.inbox.length > 0) {
      this.sawFin = true;
      return;
    }
    this.dead = true;
    this.link.channelClosed();
  }

  drainInbox(): void {
    while (!this.paused && this.inbox.length > 0) {
      const chunk = this.inbox.shift()!;
      this.inboxBytes -= chunk.length;
      if (!this.dead) this.link.receive(chunk);
    }
    this.peer.link.channelDrained();
    if (!this.paused && this.sawFin && !this.dead) {
      this.dead = true;
      this.link.channelClosed();
    }
  }
}

/**
 * A simulated network of {@link MemoryTransport}s. Impairments apply to every delivery:
 * latency (ordered per direction), random loss of writes, and partitions between hosts.
 * Loss and partitions drop frames silently, so the framing layer's RTO detects the failure
 * exactly as it would on a real network.
 */
export class MemoryNetwork {
  readonly clock: LinkClock;
  /** One-way latency, ms. */
  latencyMs: number;
  /** Loss probability of a write, [0, 1]. */
  lossRate: number;
  private readonly random: () => number;
  private readonly listeners = new Map<string, MemoryListener>();
  private readonly cuts = new Set<string>();
  private nextPort = 40000;
  private nextHost = 0;

  constructor(options: MemoryNetworkOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.latencyMs = options.latencyMs ?? 0;
    this.lossRate = options.lossRate ?? 0;
    this.random = options.random ?? Math.random;
  }

  /** Creates a transport (one node's endpoint) on this network. */
  createTransport(options: MemoryTransportOptions = {}): MemoryTransport {
    return new MemoryTransport(this, options);
  }

  /** Drops all traffic between every host in `a` and every host in `b` (both directions). */
  partition(a: readonly string[], b: readonly string[]): void {
    for (const x of a) for (const y of b) this.cuts.add(`${x}|${y}`).add(`${y}|${x}`);
  }

  /** Removes every partition. */
  heal(): void {
    this.cuts.clear();
  }

  /** True when traffic from host `a` to host `b` is dropped. */
  isPartitioned(a: string, b: string): boolean {
    return this.cuts.has(`${a}|${b}`);
  }

  /** @internal */
  allocateHost(): string {
    return `mem-${++this.nextHost}`;
  }

  /** @internal */
  allocatePort(): number {
    return this.nextPort++;
  }

  /** @internal */
  register(listener: MemoryListener): void {
    const key = formatAddress(listener.address);
    if (this.listeners.has(key)) {
      throw new ReloadError('LINK_ADDRESS_IN_USE', `${key} is already listening`);
    }
    this.listeners.set(key, listener);
  }

  /** @internal */
  unregister(listener: MemoryListener): void {
    const key = formatAddress(listener.address);
    if (this.listeners.get(key) === listener) this.listeners.delete(key);
  }

  /** @internal */
  lookup(address: LinkAddress): MemoryListener | undefined {
    return this.listeners.get(formatAddress(address));
  }

  /** @internal Creates a connected endpoint pair. */
  pair(a: LinkAddress, b: LinkAddress): [MemoryEndpoint, MemoryEndpoint] {
    const ea = new MemoryEndpoint(this, a);
    const eb = new MemoryEndpoint(this, b);
    ea.peer = eb;
    eb.peer = ea;
    ea.out = new Pipe(ea, eb);
    eb.out = new Pipe(eb, ea);
    return [ea, eb];
  }

  /** @internal Sends a chunk (or the end of the stream) through a pipe. */
  transmit(pipe: Pipe, chunk: Uint8Array | 'fin'): void {
    if (this.isPartitioned(pipe.from.address.host, pipe.to.address.host)) return;
    if (chunk !== 'fin' && this.lossRate > 0 && this.random() < this.lossRate) return;
    const at = Math.max(
      this.clock.now() + this.latencyMs,
      pipe.queue.length ? pipe.queue[pipe.queue.length - 1].at : 0,
    );
    pipe.queue.push({ at, chunk });
    if (chunk !== 'fin') pipe.inFlight += chunk.length;
    this.schedule(pipe);
  }

  private schedule(pipe: Pipe): void {
    if (pipe.timer !== undefined || pipe.immediate || pipe.queue.length === 0) return;
    const wait = pipe.queue[0].at - this.clock.now();
    if (this.latencyMs === 0 && wait <= 0) {
      pipe.immediate = true;
      setImmediate(() => {
        pipe.immediate = false;
        this.deliver(pipe);
      });
    } else {
      pipe.timer = this.clock.setTimeout(() => {
        pipe.timer = undefined;
        this.deliver(pipe);
      }, wait);
    }
  }

  private deliver(pipe: Pipe): void {
    const now = this.clock.now();
    while (pipe.queue.length > 0 && pipe.queue[0].at <= now) {
      const d = pipe.queue.shift()!;
      if (d.chunk === 'fin') {
        pipe.to.arriveFin();
      } else {
        pipe.inFlight -= d.chunk.length;
        pipe.to.arrive(d.chunk);
      }
    }
    if (!pipe.from.dead) pipe.from.link.channelDrained();
    this.schedule(pipe);
  }
}

/** Options of a {@link MemoryTransport}. */
export interface MemoryTransportOptions extends RtoOptions {
  /** Host name of this node on the memory network (default: a fresh `mem-N`). */
  host?: string;
  /** Node-IDs this node claims when no verifier is used. */
  nodeIds?: readonly Uint8Array[];
  /** Certificate chain presented to peers (DER, leaf first). */
  chain?: readonly Uint8Array[];
  /** Verifies the peer's chain; without it the peer's declared `nodeIds` are believed. */
  verifier?: PeerVerifier;
  /** OverlayLinkType reported by links (default TLS-TCP-FH-NO-ICE, whose semantics it has). */
  linkType?: OverlayLinkTypeCode;
  /** max-message-size, bytes (default 5000). */
  maxMessageSize?: number;
  /** Backpressure threshold, bytes. */
  highWaterMark?: number;
  /** Failed-link retention, ms (default 30 000). */
  retentionMs?: number;
  logger?: LinkLogger;
}

/** Listener of a {@link MemoryTransport}. */
class MemoryListener extends EventEmitter<ListenerEvents> implements LinkListener {
  constructor(
    readonly address: LinkAddress,
    readonly transport: MemoryTransport,
  ) {
    super();
  }

  close(): Promise<void> {
    this.transport.net.unregister(this);
    return Promise.resolve();
  }
}

/** A node's endpoint on a {@link MemoryNetwork}; implements {@link LinkTransport}. */
export class MemoryTransport implements LinkTransport {
  readonly type: OverlayLinkTypeCode;
  readonly protocol = 'memory';
  readonly host: string;
  /** @internal */
  readonly net: MemoryNetwork;
  private readonly options: MemoryTransportOptions;
  private readonly log: LinkLogger;

  constructor(net: MemoryNetwork, options: MemoryTransportOptions) {
    this.net = net;
    this.options = options;
    this.host = options.host ?? net.allocateHost();
    this.type = options.linkType ?? OverlayLinkType['TLS-TCP-FH-NO-ICE'];
    this.log = options.logger ?? silentLogger;
  }

  listen(address: LinkAddress): Promise<LinkListener> {
    const bound = { host: address.host, port: address.port || this.net.allocatePort() };
    const listener = new MemoryListener(bound, this);
    this.net.register(listener);
    return Promise.resolve(listener);
  }

  async connect(address: LinkAddress, options: ConnectOptions = {}): Promise<Link> {
    const listener = this.net.lookup(address);
    if (!listener || this.net.isPartitioned(this.host, address.host)) {
      throw new ReloadError('LINK_CONNECT_FAILED', `no route to ${formatAddress(address)}`);
    }
    const server = listener.transport;
    const local = { host: this.host, port: this.net.allocatePort() };
    // "Handshake": each side verifies the other's chain.
    let serverIds: readonly Uint8Array[];
    let clientIds: readonly Uint8Array[];
    try {
      serverIds = await this.authenticate(server.options, {
        role: 'client',
        remoteAddress: address,
        expectedNodeId: options.expectedNodeId,
      });
    } catch (err) {
      const e = asError(err);
      this.log.warn(
        { remote: formatAddress(address), code: refusalCode(e), err: e.message },
        `refused memory link: ${e.message}`,
      );
      throw e;
    }
    try {
      clientIds = await server.authenticate(this.options, { role: 'server', remoteAddress: local });
    } catch (err) {
      const e = asError(err);
      server.log.warn(
        { remote: formatAddress(local), code: refusalCode(e), err: e.message },
        `refused memory link: ${e.message}`,
      );
      listener.emit('refused', {
        code: refusalCode(e),
        message: e.message,
        remoteAddress: local,
        role: 'server',
        error: e,
      });
      throw new ReloadError('LINK_REFUSED_BY_PEER', `peer refused the link: ${e.message}`, {
        cause: e,
      });
    }
    const [ce, se] = this.net.pair(local, address);
    const clientLink = this.makeLink(
      ce,
      true,
      serverIds,
      server.options.chain ?? [],
      address,
      local,
    );
    const serverLink = server.makeLink(
      se,
      false,
      clientIds,
      this.options.chain ?? [],
      local,
      address,
    );
    listener.emit('link', serverLink);
    return clientLink;
  }

  /** @internal Verifies the peer described by `peer` from this node's point of view. */
  async authenticate(
    peer: MemoryTransportOptions,
    ctx: { role: 'client' | 'server'; remoteAddress: LinkAddress; expectedNodeId?: Uint8Array },
  ): Promise<readonly Uint8Array[]> {
    const chain = peer.chain ?? [];
    const nodeIds = this.options.verifier
      ? (await this.options.verifier(chain, ctx)).nodeIds
      : (peer.nodeIds ?? []);
    checkExpectedNodeId(nodeIds, ctx.expectedNodeId);
    return nodeIds;
  }

  /** @internal */
  makeLink(
    channel: MemoryEndpoint,
    initiator: boolean,
    remoteNodeIds: readonly Uint8Array[],
    remoteChain: readonly Uint8Array[],
    remoteAddress: LinkAddress,
    localAddress: LinkAddress,
  ): FramedLink {
    const o = this.options;
    const link = new FramedLink(channel, {
      type: this.type,
      protocol: 'memory',
      initiator,
      remoteNodeIds,
      remoteChain,
      remoteAddress,
      localAddress,
      maxMessageSize: o.maxMessageSize ?? DEFAULT_MAX_MESSAGE_SIZE,
      clock: this.net.clock,
      logger: this.log,
      highWaterMark: o.highWaterMark,
      retentionMs: o.retentionMs,
      initialRtoMs: o.initialRtoMs,
      minRtoMs: o.minRtoMs,
      maxRtoMs: o.maxRtoMs,
    });
    channel.link = link;
    return link;
  }
}

function asError(err: unknown): Error {
  if (err instanceof Error || isReloadError(err)) return err;
  return new Error(String(err));
}
