/**
 * The RELOAD peer (RFC 6940 §6, §10, §11.4): composes a link transport (@reload/link), the
 * CHORD-RELOAD state machine (@reload/chord), the message transport (./transport.ts) and,
 * optionally, the storage engine (@reload/storage). It owns the Connection Table (one link
 * per neighbour Node-ID), carries out the topology plug-in's actions and dispatches each
 * request to its method handler (./handlers).
 */
import { iceToken } from './ice.js';
import {
  type ChordAction,
  type ChordOptions,
  type ChordTopology,
  createChordTopology,
} from '@reload/chord';
import type { Link, LinkAddress, LinkListener, LinkTransport } from '@reload/link';
import {
  type Credentials,
  type TrustStore,
  idEquals,
  nodeIdToHex,
  overlayHash,
} from '@reload/security';
import type { Storage } from '@reload/storage';
import {
  AttachReqAnsCodec,
  type ConfigUpdateReq,
  ConfigUpdateReqCodec,
  type Destination,
  ErrorCode,
  type IceCandidate,
  MessageCode,
  OverlayLinkType,
  PingReqCodec,
  ReloadError,
  decodeExact,
  isReloadError,
  encodeToBytes,
  formatIpAddress,
  ipAddressPort,
  joinReqCodec,
  leaveReqCodec,
  messageCodeName,
  JoinAnsCodec,
} from '@reload/wire';
import { handleRequest, type HandlerContext } from './handlers/index.js';
import { sendStoreExport } from './handlers/store.js';
import type { RoutingTable } from './routing.js';
import {
  type IncomingResponse,
  type MessageTransport,
  type RequestOptions,
  type TransportClock,
  type TransportLogger,
  createMessageTransport,
} from './transport.js';

/** Overlay parameters the peer needs, from the configuration document (§11.1). */
export interface PeerConfig {
  /** Overlay name (instance-name). */
  overlay: string;
  /** configuration sequence number (§6.3.2.1). */
  sequence: number;
  /** node-id-length in bytes (16–20, default 16). */
  nodeIdLength: number;
  /** initial-ttl (default 100). */
  initialTtl: number;
  /** max-message-size in bytes (default 5000). */
  maxMessageSize: number;
  /** overlay-reliability-timer in ms (default 3000). */
  reliabilityTimerMs: number;
  /** chord-update-interval, ms (default 600 000). */
  chordUpdateIntervalMs?: number;
  /** chord-ping-interval, ms (default 3 600 000). */
  chordPingIntervalMs?: number;
  /** chord-reactive (default true). */
  chordReactive?: boolean;
}

/** Options of {@link createPeer}. */
export interface PeerOptions {
  config: PeerConfig;
  /** This peer's certificate and key (§11.3). */
  credentials: Credentials;
  /** The Node-ID to use (one of the certificate's). */
  nodeId: Uint8Array;
  /** Trust anchors and policy of the overlay (root-certs, bad-nodes, self-signed). */
  trust: TrustStore;
  /** How links are made (TLS in production, memory in tests). */
  linkTransport: LinkTransport;
  /** Where to listen; the address is advertised in Attach candidates (§6.5.1.11). */
  listen: LinkAddress;
  /**
   * Storage engine; without it, storage methods answer Error_Forbidden. Owned by the caller:
   * `close()` does not close it.
   */
  storage?: Storage;
  clock?: TransportClock;
  /** Uniform [0,1) source for the topology plug-in; default Math.random. */
  random?: () => number;
  logger?: TransportLogger & { error?(obj: object, msg?: string): void };
  /** Interval of housekeeping (cache expiry, purge of expired and foreign data), ms; default 5000. */
  housekeepingMs?: number;
  /**
   * How long data must stay outside the range this peer keeps — (third predecessor, self],
   * §10.7.3 — before housekeeping deletes it, ms; default 30000. Guards against deleting a
   * replica because the neighbour table lags during churn (decision 0611).
   */
  foreignDataGraceMs?: number;
  /**
   * Via List length from which requests this peer forwards carry one compressed id instead
   * (§6.1.2 list compression); 0 = never. Default `VIA_LIST_COMPRESSION_AT` (4).
   */
  viaListCompressionAt?: number;
  /** Extra CHORD-RELOAD options (e.g. a shorter successor hold-down in tests). */
  chordOptions?: Partial<Omit<ChordOptions, 'nodeId' | 'now' | 'random'>>;
  /** Answers AppAttach for an application-ID with the address of the local application (§6.5.2). */
  applications?: ReadonlyMap<number, LinkAddress>;
  /**
   * Verifies and applies a configuration received in a ConfigUpdate (§6.5.4, §11.1); throw to
   * refuse it. Without it, ConfigUpdates are refused.
   */
  onConfigUpdate?: (update: ConfigUpdateReq) => Promise<void>;
  /**
   * The signed configuration document in force (UTF-8 XML bytes, §11.1). When given, a request
   * that carried an older configuration sequence is answered Error_Config_Too_Old and its
   * sender is sent a ConfigUpdate with this document (§6.3.2.1).
   */
  configurationDocument?: () => Uint8Array | undefined;
}

/** A snapshot for `reload-node status` and tests. */
export interface PeerStatus {
  nodeId: string;
  overlay: string;
  state: string;
  listen: string;
  uptimeSeconds: number;
  predecessors: string[];
  successors: string[];
  fingers: string[];
  links: { nodeId: string; address: string; protocol: string; state: string; rttMs?: number }[];
  storedBytes?: number;
  transport: MessageTransport['stats'];
}

interface LinkWaiter {
  resolve(): void;
  reject(e: Error): void;
  timer: unknown;
}

const realClock: TransportClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

const silent: TransportLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
};

/** A running peer; see {@link createPeer}. */
export class Peer {
  readonly nodeId: Uint8Array;
  readonly chord: ChordTopology;
  readonly transport: MessageTransport;
  readonly config: PeerConfig;
  readonly storage: Storage | undefined;
  /** This peer's certificate and key. */
  readonly credentials: Credentials;
  /** Connection Table: links by remote Node-ID (hex). */
  readonly links = new Map<string, Link>();
  private listener: LinkListener | undefined;
  private readonly o: PeerOptions;
  private readonly clock: TransportClock;
  private readonly log: TransportLogger;
  private tickTimer: unknown;
  private housekeepingTimer: unknown;
  /** Attaches this peer sent and is waiting for the answerer's link (§6.5.1.13). */
  private readonly awaitingLink = new Map<string, LinkWaiter[]>();
  private readonly joinWaiters: { resolve(): void; reject(e: Error): void }[] = [];
  private joined = false;
  /** Last responsible range announced by the topology plug-in (§10.1). */
  private responsible: { start: Uint8Array; end: Uint8Array } | null = null;
  /** Range whose data this peer keeps as responsible peer or replica (§10.7.3). */
  private keep: { start: Uint8Array; end: Uint8Array } | null = null;
  /** Replica → responsible range it last received completely (see syncReplicas). */
  private readonly replicaSynced = new Map<string, string>();
  private syncing = false;
  /** Resource-ID (hex) → when it was first seen outside `keep` (ms, clock); see dropOutside. */
  private readonly outsideSince = new Map<string, number>();
  private dropping = false;
  /** ConfigUpdates already sent, `node/sequence` (§6.3.2.1). */
  private readonly configUpdatesSent = new Set<string>();
  private closed = false;
  private readonly startedAt: number;

  constructor(o: PeerOptions) {
    this.o = o;
    this.config = o.config;
    this.nodeId = o.nodeId;
    this.storage = o.storage;
    this.credentials = o.credentials;
    this.clock = o.clock ?? realClock;
    this.log = o.logger ?? silent;
    this.startedAt = this.clock.now();
    this.chord = createChordTopology({
      nodeId: o.nodeId,
      nodeIdLength: o.config.nodeIdLength,
      now: () => this.clock.now(),
      random: o.random ?? Math.random,
      ...(o.config.chordUpdateIntervalMs
        ? { updateIntervalMs: o.config.chordUpdateIntervalMs }
        : {}),
      ...(o.config.chordPingIntervalMs ? { pingIntervalMs: o.config.chordPingIntervalMs } : {}),
      ...(o.config.chordReactive !== undefined ? { reactive: o.config.chordReactive } : {}),
      ...o.chordOptions,
    });
    const routing: RoutingTable = {
      nodeId: o.nodeId,
      isResponsible: (id) => this.chord.isResponsible(id),
      isConnected: (id) => this.links.has(nodeIdToHex(id)),
      nextHop: (id) => {
        // §10.3 over the entries this peer has a link to: an entry whose link has just gone
        // (and that chord has not yet been told about) gives way to the next-best one.
        const hop = this.chord.nextHop(id, (n) => this.links.has(nodeIdToHex(n)));
        if (hop.type === 'forward') return hop.nodeId;
        // Before this peer is in the ring, anything goes through the bootstrap link (§11.4).
        if (hop.type === 'none' && !this.joined) {
          const first = this.links.values().next();
          if (!first.done) return first.value.remoteNodeIds[0];
        }
        return undefined;
      },
    };
    this.transport = createMessageTransport({
      overlayHash: overlayHash(o.config.overlay),
      nodeId: o.nodeId,
      nodeIdLength: o.config.nodeIdLength,
      credentials: o.credentials,
      trust: o.trust,
      routing,
      sendToNeighbor: (id, bytes) => {
        const link = this.links.get(nodeIdToHex(id));
        if (!link || link.state === 'closed') return false;
        try {
          link.send(bytes);
          return true;
        } catch (e) {
          this.log.warn({ to: nodeIdToHex(id), error: (e as Error).message }, 'send failed');
          return false;
        }
      },
      maxMessageSize: (id) =>
        this.links.get(nodeIdToHex(id))?.maxMessageSize ?? o.config.maxMessageSize,
      config: () => ({
        sequence: this.config.sequence,
        initialTtl: this.config.initialTtl,
        reliabilityTimerMs: this.config.reliabilityTimerMs,
      }),
      clock: this.clock,
      logger: this.log,
      onRequest: (req) => handleRequest(this.handlerContext(), req),
      onConfigTooOld: (requester) => this.sendConfigUpdate(requester),
      ...(o.viaListCompressionAt !== undefined
        ? { viaListCompressionAt: o.viaListCompressionAt }
        : {}),
    });
  }

  /** Address the listener is bound to (after {@link Peer.start}). */
  get address(): LinkAddress {
    if (!this.listener) throw new ReloadError('PEER_NOT_STARTED', 'peer not started');
    return this.listener.address;
  }

  /** True once the peer is part of the ring (§10.5 step 7). */
  get isJoined(): boolean {
    return this.joined;
  }

  /** Starts listening for links. */
  async start(): Promise<void> {
    this.listener = await this.o.linkTransport.listen(this.o.listen);
    this.listener.on('link', (link) => this.addLink(link));
    this.housekeepingTimer = this.every(this.o.housekeepingMs ?? 5_000, () => {
      this.transport.housekeeping();
      // Copies pushed to us during churn that we are no longer a replica for (§10.7.3).
      void this.dropOutside();
      void this.syncReplicas();
      void this.storage?.purgeExpired().catch(() => undefined);
    });
  }

  private every(ms: number, fn: () => void): unknown {
    const loop = (): void => {
      if (this.closed) return;
      fn();
      this.housekeepingTimer = this.clock.setTimeout(loop, ms);
    };
    return this.clock.setTimeout(loop, ms);
  }

  /** Starts a new overlay with this peer alone in the ring. */
  createOverlay(): void {
    this.run(this.chord.createOverlay());
  }

  /**
   * Joins through a bootstrap node (§11.4, §10.5): connects to `bootstrap`, then runs the
   * CHORD-RELOAD join. Resolves when this peer is in the ring.
   * @throws ReloadError when the bootstrap cannot be reached or the join does not finish
   *   within `timeoutMs` (default 30 000).
   */
  async join(bootstrap: LinkAddress, timeoutMs = 30_000): Promise<void> {
    const link = await this.o.linkTransport.connect(bootstrap);
    this.addLink(link);
    const bootstrapId = link.remoteNodeIds[0];
    if (!bootstrapId)
      throw new ReloadError('BOOTSTRAP_NO_NODE_ID', 'bootstrap certificate has no Node-ID');
    const done = new Promise<void>((resolve, reject) => {
      this.joinWaiters.push({ resolve, reject });
      const t = this.clock.setTimeout(
        () => reject(new ReloadError('JOIN_TIMEOUT', `join did not finish within ${timeoutMs} ms`)),
        timeoutMs,
      );
      void t;
    });
    this.run(this.chord.join(bootstrapId));
    await done;
  }

  /** Sends a request through the overlay (used by storage clients and tools). */
  request(opts: RequestOptions): Promise<IncomingResponse> {
    return this.transport.request(opts);
  }

  /** Pings a Node-ID or Resource-ID; resolves with the response (hops, rtt). */
  ping(destination: Destination): Promise<IncomingResponse> {
    return this.transport.request({
      destinationList: [destination],
      messageCode: MessageCode.ping_req,
      body: encodeToBytes(PingReqCodec, { padding: new Uint8Array(0) }),
    });
  }

  /** Leaves the overlay gracefully (§10.9) and closes every link. */
  async leave(): Promise<void> {
    if (this.joined) {
      const actions = this.chord.leave();
      await this.runAndWait(actions);
    }
    await this.close();
  }

  /** Closes links, listener and timers without a Leave (a crash, for tests). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.clock.clearTimeout(this.tickTimer);
    this.clock.clearTimeout(this.housekeepingTimer);
    this.transport.close();
    for (const list of this.awaitingLink.values()) {
      for (const w of list) {
        this.clock.clearTimeout(w.timer);
        w.reject(new ReloadError('PEER_CLOSED', 'peer closed'));
      }
    }
    this.awaitingLink.clear();
    for (const l of this.links.values()) l.close();
    this.links.clear();
    await this.listener?.close();
  }

  /** A snapshot of the peer's state. */
  status(): PeerStatus {
    const hex = (ids: (Uint8Array | undefined)[]): string[] =>
      ids.filter((x): x is Uint8Array => !!x).map(nodeIdToHex);
    return {
      nodeId: nodeIdToHex(this.nodeId),
      overlay: this.config.overlay,
      state: this.chord.state,
      listen: this.listener ? `${this.listener.address.host}:${this.listener.address.port}` : '',
      uptimeSeconds: Math.floor((this.clock.now() - this.startedAt) / 1000),
      predecessors: hex(this.chord.predecessors()),
      successors: hex(this.chord.successors()),
      fingers: [...new Set(hex(this.chord.fingers()))],
      links: [...new Map([...this.links.entries()].map(([id, l]) => [l, id])).entries()].map(
        ([l, id]) => ({
          nodeId: id,
          address: `${l.remoteAddress.host}:${l.remoteAddress.port}`,
          protocol: l.protocol,
          state: l.state,
          rttMs: l.rtt().srttMs,
        }),
      ),
      ...(this.storage ? { storedBytes: this.storage.usage().bytes } : {}),
      transport: this.transport.stats,
    };
  }

  // ---- links --------------------------------------------------------------------------

  private addLink(link: Link): void {
    const id = link.remoteNodeIds[0];
    if (!id || this.closed) {
      link.close();
      return;
    }
    const k = nodeIdToHex(id);
    const old = this.links.get(k);
    if (old && old !== link && old.state !== 'closed') {
      // Two links to one neighbour (both sides Attached at once): keep the one opened by the
      // smaller Node-ID, a rule both ends apply alike, so they keep the same link.
      if (this.preferred(old, link, id) === old) {
        link.close();
        return;
      }
      old.removeAllListeners('close');
      old.close();
    }
    // A certificate may carry several Node-IDs (§4.1): the link answers to each of them.
    const keys = link.remoteNodeIds.map(nodeIdToHex);
    for (const key of keys) this.links.set(key, link);
    link.on('message', (bytes) => this.transport.receive(id, bytes.slice()));
    link.on('failed', () => this.run(this.chord.onLinkFailed(id)));
    // ACKs came back before the link was given up (§6.6.5): tell the neighbour we are here so
    // both tables list each other again.
    link.on('restored', () => this.run(this.chord.onPeerAttached(id, { sendUpdate: true })));
    link.on('messageTooLarge', (info) =>
      this.log.warn({ from: k, length: info.length }, 'message over max-message-size discarded'),
    );
    link.on('close', () => {
      if (this.links.get(k) === link) {
        for (const key of keys) if (this.links.get(key) === link) this.links.delete(key);
        if (!this.closed) this.run(this.chord.onLinkFailed(id));
      }
    });
    for (const key of keys) {
      const waiters = this.awaitingLink.get(key);
      if (!waiters) continue;
      this.awaitingLink.delete(key);
      for (const w of waiters) {
        this.clock.clearTimeout(w.timer);
        w.resolve();
      }
    }
  }

  private preferred(a: Link, b: Link, remote: Uint8Array): Link {
    const initiatorOf = (l: Link): string => nodeIdToHex(l.initiator ? this.nodeId : remote);
    const ia = initiatorOf(a);
    const ib = initiatorOf(b);
    if (ia === ib) return b; // same opener: a reconnect, the newer wins
    return ia < ib ? a : b;
  }

  private waitForLink(nodeId: Uint8Array, timeoutMs: number): Promise<void> {
    const k = nodeIdToHex(nodeId);
    if (this.links.has(k)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: LinkWaiter = {
        resolve,
        reject,
        timer: this.clock.setTimeout(() => {
          const list = this.awaitingLink.get(k);
          const rest = list?.filter((w) => w !== waiter) ?? [];
          if (rest.length > 0) this.awaitingLink.set(k, rest);
          else this.awaitingLink.delete(k);
          reject(new ReloadError('ATTACH_NO_LINK', `no link from ${k} after Attach`));
        }, timeoutMs),
      };
      const list = this.awaitingLink.get(k);
      if (list) list.push(waiter);
      else this.awaitingLink.set(k, [waiter]);
    });
  }

  /** Our Attach candidate: a passive TLS-TCP-FH-NO-ICE host candidate (§6.5.1.11, §6.6.5). */
  candidates(): IceCandidate[] {
    const a = this.address;
    return [
      {
        type: 'host',
        addrPort: ipAddressPort(a.host, a.port),
        overlayLink: this.o.linkTransport.type ?? OverlayLinkType['TLS-TCP-FH-NO-ICE'],
        foundation: new TextEncoder().encode('1'),
        priority: 1,
        extensions: [],
      },
    ];
  }

  /**
   * Sends an AttachReq (§6.5.1) and waits for the answerer to connect to us: the Attach
   * sender is the TLS server (§6.5.1.13). Resolves with the answerer's Node-ID.
   */
  async attach(
    destinationList: Destination[],
    opts: { sendUpdate: boolean; firstHop?: Uint8Array },
  ): Promise<Uint8Array> {
    const body = encodeToBytes(AttachReqAnsCodec, {
      ufrag: iceToken(6),
      password: iceToken(18),
      role: new TextEncoder().encode('passive'),
      candidates: this.candidates(),
      sendUpdate: opts.sendUpdate,
    });
    const res = await this.transport.request({
      destinationList,
      messageCode: MessageCode.attach_req,
      body,
      ...(opts.firstHop ? { firstHop: opts.firstHop } : {}),
    });
    const responder = res.signer.nodeId;
    if (!responder) throw new ReloadError(ErrorCode.Forbidden, 'AttachAns signer has no Node-ID');
    if (!idEquals(responder, this.nodeId)) {
      await this.waitForLink(responder, this.config.reliabilityTimerMs * 3);
    }
    return responder;
  }

  /**
   * Answers an AttachReq: connect, as TLS client, to the requester's candidate and check that
   * its certificate is the Attach sender's (§6.5.1.11, §6.5.1.13).
   */
  connectToAttacher(requester: Uint8Array, candidates: IceCandidate[], sendUpdate: boolean): void {
    const k = nodeIdToHex(requester);
    if (idEquals(requester, this.nodeId)) return;
    const after = (): void => this.run(this.chord.onPeerAttached(requester, { sendUpdate }));
    if (this.links.has(k)) {
      after();
      return;
    }
    const c = candidates.find((x) => 'address' in x.addrPort);
    if (!c || !('address' in c.addrPort)) return;
    const address = { host: formatIpAddress(c.addrPort), port: c.addrPort.port };
    this.o.linkTransport.connect(address, { expectedNodeId: requester }).then(
      (link) => {
        this.addLink(link);
        after();
      },
      (e: Error) => this.log.warn({ to: k, error: e.message }, 'connect after Attach failed'),
    );
  }

  // ---- topology actions -----------------------------------------------------------------

  private handlerContext(): HandlerContext {
    return { peer: this, log: this.log };
  }

  /** Carries out the topology plug-in's actions (see @reload/chord ChordAction). */
  run(actions: ChordAction[]): void {
    void this.runAndWait(actions);
  }

  private async runAndWait(actions: ChordAction[]): Promise<void> {
    const waits: Promise<unknown>[] = [];
    for (const a of actions) {
      if (this.closed) return;
      try {
        const p = this.execute(a);
        // A transfer must be complete before the Updates that follow it in the same list
        // are sent: the joining peer learns it is in the ring from them (§10.5 steps 6–7).
        if (p && a.type === 'transfer') await p;
        else if (p) waits.push(p);
      } catch (e) {
        this.log.warn({ action: a.type, error: (e as Error).message }, 'topology action failed');
      }
    }
    await Promise.allSettled(waits);
  }

  private execute(a: ChordAction): Promise<unknown> | undefined {
    const c = this.chord;
    switch (a.type) {
      case 'attach': {
        const dest: Destination[] = [];
        if (a.via) dest.push({ kind: 'node', nodeId: a.via });
        dest.push(
          a.destination === 'node'
            ? { kind: 'node', nodeId: a.target }
            : { kind: 'resource', resourceId: a.target },
        );
        return this.attach(dest, {
          sendUpdate: a.sendUpdate,
          ...(a.firstHop ? { firstHop: a.firstHop } : {}),
        }).then(
          (responder) => this.run(c.onAttachAnswered(a.target, responder)),
          (e: Error) => {
            this.log.debug({ target: nodeIdToHex(a.target), error: e.message }, 'attach failed');
            this.run(c.onAttachFailed(a.target));
          },
        );
      }
      case 'ping': {
        const first = a.viaBootstrap
          ? this.links.values().next().value?.remoteNodeIds[0]
          : undefined;
        return this.transport
          .request({
            destinationList: [{ kind: 'resource', resourceId: a.target }],
            messageCode: MessageCode.ping_req,
            body: encodeToBytes(PingReqCodec, { padding: new Uint8Array(0) }),
            ...(first ? { firstHop: first } : {}),
          })
          .then(
            (r) => {
              if (r.signer.nodeId) this.run(c.onPingAnswered(a.target, r.signer.nodeId));
              else this.run(c.onPingFailed(a.target));
            },
            () => this.run(c.onPingFailed(a.target)),
          );
      }
      case 'join': {
        const body = encodeToBytes(joinReqCodec(this.config.nodeIdLength), {
          joiningPeerId: this.nodeId,
          overlaySpecificData: new Uint8Array(0),
        });
        return this.transport
          .request({
            destinationList: [{ kind: 'node', nodeId: a.to }],
            messageCode: MessageCode.join_req,
            body,
            expectedResponder: a.to,
          })
          .then(
            (r) => {
              decodeExact(JoinAnsCodec, r.body);
              this.run(c.onJoinAnswered(a.to));
            },
            (e: Error) => {
              this.log.warn({ to: nodeIdToHex(a.to), error: e.message }, 'join refused');
              this.run(c.onJoinFailed(a.to));
            },
          );
      }
      case 'update':
        return this.transport
          .request({
            destinationList: [{ kind: 'node', nodeId: a.to }],
            messageCode: MessageCode.update_req,
            body: c.encodeUpdate(a.update),
            expectedResponder: a.to,
          })
          .catch((e: Error) => {
            this.log.debug({ to: nodeIdToHex(a.to), error: e.message }, 'update failed');
            // An open, healthy link means the neighbour is alive (the framing layer detects
            // failures, §6.6.5): a lost Update is repaired by stabilization. Only a neighbour
            // we have no working link to is dropped from the tables.
            const link = this.links.get(nodeIdToHex(a.to));
            if (!link || link.state !== 'open') this.run(c.onLinkFailed(a.to));
          });
      case 'leave': {
        const body = encodeToBytes(leaveReqCodec(this.config.nodeIdLength), {
          leavingPeerId: this.nodeId,
          overlaySpecificData: c.encodeLeaveData(a.data),
        });
        return this.transport
          .request({
            destinationList: [{ kind: 'node', nodeId: a.to }],
            messageCode: MessageCode.leave_req,
            body,
            transmissions: 1,
          })
          .catch(() => undefined);
      }
      case 'transfer':
        return this.transferRange(a.range.start, a.range.end, a.to, 0);
      case 'replicas':
        return Promise.all(
          a.added.map((to) => {
            const r = c.responsibleRange();
            const idx = a.replicas.findIndex((x) => idEquals(x, to));
            return r ? this.transferRange(r.start, r.end, to, idx + 1) : Promise.resolve();
          }),
        );
      case 'ranges': {
        const prev = this.responsible;
        this.responsible = a.responsible;
        const now = a.responsible;
        this.keep = a.keep; // data outside it is dropped by housekeeping, after a grace period
        if (!now || !prev || idEquals(prev.start, now.start)) return undefined;
        // §10.7.3: when a predecessor failed or left, this peer became responsible for
        // (new start, old start]: its replicas must get that data too.
        if (!inRange(prev.start, now.start, now.end)) return undefined;
        const replicas = c.replicaSet();
        return Promise.all(
          replicas.map((to, i) => this.transferRange(now.start, prev.start, to, i + 1)),
        );
      }
      case 'joined':
        this.joined = true;
        for (const w of this.joinWaiters.splice(0)) w.resolve();
        return undefined;
      case 'isolated':
        this.log.warn({}, 'isolated from the overlay');
        return undefined;
      case 'schedule': {
        this.clock.clearTimeout(this.tickTimer);
        const delay = Math.max(0, a.at - this.clock.now());
        this.tickTimer = this.clock.setTimeout(() => this.run(c.tick()), delay);
        return undefined;
      }
    }
  }

  /**
   * §10.7.3: "When peer x detects that it is no longer in the replica set for a resource R
   * (i.e., there are three predecessors between x and R), it SHOULD delete all data associated
   * with R". Data outside `keep` = (third predecessor, self] is deleted only after it has stayed
   * outside for `foreignDataGraceMs`: during churn a replica Store can arrive from a peer that
   * already knows the new topology while this peer's neighbour table still lags (a dead
   * predecessor not yet removed makes `keep` too short), and deleting at once lost the only
   * copies of a resource — the sender counts that replica as synced and never pushes again
   * (decision 0611). Runs on housekeeping ticks, one pass at a time.
   */
  private async dropOutside(): Promise<void> {
    const storage = this.storage;
    if (!storage || this.dropping) return;
    this.dropping = true;
    try {
      const grace = this.o.foreignDataGraceMs ?? 30_000;
      const now = this.clock.now();
      const outside = new Set<string>();
      const keep = this.keep;
      if (keep && !idEquals(keep.start, keep.end)) {
        for (const r of await storage.resourcesInRange(keep.end, keep.start)) {
          if (inRange(r, keep.start, keep.end)) continue;
          const k = nodeIdToHex(r);
          outside.add(k);
          const since = this.outsideSince.get(k);
          if (since === undefined) {
            this.outsideSince.set(k, now);
            continue;
          }
          // Deleted only when still outside the range kept *now* (tables may have moved on
          // while the storage was read) and continuously outside for the whole grace period.
          const current = this.keep;
          if (now - since < grace || !current || idEquals(current.start, current.end)) continue;
          if (inRange(r, current.start, current.end)) continue;
          await storage.deleteResource(r);
          this.outsideSince.delete(k);
          this.log.debug({ resource: k }, 'dropped data this peer no longer replicates');
        }
      }
      for (const k of [...this.outsideSince.keys()])
        if (!outside.has(k)) this.outsideSince.delete(k);
    } catch (e) {
      this.log.warn({ error: (e as Error).message }, 'cleanup of foreign data failed');
    } finally {
      this.dropping = false;
    }
  }

  /**
   * Sends every resource stored in (start, end] to `to` as StoreReqs with `replicaNumber`
   * (§10.4, §10.5 step 6, §10.9), one after the other. Returns the number of resources not
   * transferred (0 = all there). Stops at the first push that fails for another reason than
   * "the receiver already has this or newer": a receiver that does not answer (it just died,
   * or its link is failing) would otherwise cost one request timeout — up to 5 transmissions
   * of the reliability timer — per resource, and anti-entropy (syncReplicas) would stall
   * behind it for minutes while the new replicas wait (decision 0612). The next housekeeping
   * tick retries with the replica set in force then.
   */
  private async transferRange(
    start: Uint8Array,
    end: Uint8Array,
    to: Uint8Array,
    replicaNumber: number,
  ): Promise<number> {
    const storage = this.storage;
    if (!storage) return 0;
    const resources = await storage.resourcesInRange(start, end);
    for (let i = 0; i < resources.length; i++) {
      const exp = await storage.exportResource(resources[i], replicaNumber);
      if (!exp) continue;
      try {
        await sendStoreExport(this, exp, to);
      } catch (e) {
        // The receiver already has this data (or newer): nothing was lost.
        if (
          isReloadError(e) &&
          (e.code === ErrorCode.DataTooOld || e.code === ErrorCode.GenerationCounterTooLow)
        )
          continue;
        this.log.debug(
          { to: nodeIdToHex(to), error: (e as Error).message, left: resources.length - i },
          'transfer store failed; the rest of the range waits for the next housekeeping tick',
        );
        return resources.length - i;
      }
    }
    return 0;
  }

  /**
   * Anti-entropy for §10.4 replication: each housekeeping tick, a replica that has not had a
   * complete copy of the current responsible range (new replica, grown range, or a failed
   * push) gets one. Pushes that fail are retried on the next tick.
   */
  private async syncReplicas(): Promise<void> {
    const r = this.chord.responsibleRange();
    if (!this.joined || !this.storage || this.syncing || !r) return;
    const key = `${nodeIdToHex(r.start)}/${nodeIdToHex(r.end)}`;
    this.syncing = true;
    try {
      const replicas = this.chord.replicaSet();
      const current = new Set(replicas.map(nodeIdToHex));
      for (const k of [...this.replicaSynced.keys()])
        if (!current.has(k)) this.replicaSynced.delete(k);
      // each replica on its own: one that stopped answering does not hold up the others
      await Promise.all(
        replicas.map(async (to, i) => {
          const k = nodeIdToHex(to);
          if (this.replicaSynced.get(k) === key) return;
          const failed = await this.transferRange(r.start, r.end, to, i + 1);
          if (failed === 0) this.replicaSynced.set(k, key);
        }),
      );
    } catch (e) {
      this.log.debug({ error: (e as Error).message }, 'replica sync failed');
    } finally {
      this.syncing = false;
    }
  }

  /** A replica Store to `to` failed: the next housekeeping tick resends the range (§10.4). */
  replicaPushFailed(to: Uint8Array): void {
    this.replicaSynced.delete(nodeIdToHex(to));
  }

  /**
   * §6.3.2.1: a node whose configuration is older than ours gets a ConfigUpdate carrying the
   * document in force. Sent at most once per node and sequence number.
   */
  private sendConfigUpdate(to: Uint8Array): void {
    const doc = this.o.configurationDocument?.();
    if (!doc) return;
    const k = `${nodeIdToHex(to)}/${this.config.sequence}`;
    if (this.configUpdatesSent.has(k)) return;
    this.configUpdatesSent.add(k);
    this.transport
      .request({
        destinationList: [{ kind: 'node', nodeId: to }],
        messageCode: MessageCode.config_update_req,
        body: encodeToBytes(ConfigUpdateReqCodec, { type: 'config', configData: doc }),
        // The receiver's sequence is older than ours: 65535 is accepted whatever it holds.
        configurationSequence: 0xffff,
        transmissions: 1,
      })
      .catch((e: Error) =>
        this.log.debug({ to: nodeIdToHex(to), error: e.message }, 'ConfigUpdate not accepted'),
      );
  }

  /** Address of the local application for an Application-ID (§6.5.2), if registered. */
  application(id: number): LinkAddress | undefined {
    return this.o.applications?.get(id);
  }

  /** Applies a ConfigUpdate through the `onConfigUpdate` hook (§6.5.4). */
  async applyConfigUpdate(u: ConfigUpdateReq): Promise<void> {
    if (!this.o.onConfigUpdate)
      throw new ReloadError(ErrorCode.Forbidden, 'configuration updates not accepted');
    await this.o.onConfigUpdate(u);
  }

  /**
   * §10.4: a replica or transferred Store must come from a neighbour (a predecessor storing
   * replicas, a successor handing over data on join, a leaving neighbour). For the storage
   * engine's `replicaSenderAllowed` hook.
   */
  isNeighbor(nodeId: Uint8Array | undefined): boolean {
    if (!nodeId) return false;
    return [...this.chord.predecessors(), ...this.chord.successors()].some((n) =>
      idEquals(n, nodeId),
    );
  }

  /**
   * The storage engine's `replicaSenderAllowed` hook (§10.4): a replica Store must come from
   * one of the two predecessors responsible for the resource (CHORD-RELOAD's check), and data
   * handed over on join or leave from a neighbour.
   */
  acceptsStoreFrom(resource: Uint8Array, nodeId: Uint8Array | undefined): boolean {
    if (!nodeId) return false;
    // Neighbour tables lag during churn, so the CHORD-RELOAD range check alone would refuse
    // legitimate replica pushes; any current neighbour is accepted (decision 0600), and
    // copies this peer should not hold are dropped by housekeeping (§10.7.3).
    return this.chord.acceptsReplicaFrom(nodeId, resource) || this.isNeighbor(nodeId);
  }

  /** Describes a request for logs. */
  static describe(code: number): string {
    return messageCodeName(code);
  }
}

function toBig(b: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(b).toString('hex') || '0'}`);
}

/** True when `x` ∈ (start, end] going clockwise round the ring (§10.1). */
function inRange(x: Uint8Array, start: Uint8Array, end: Uint8Array): boolean {
  const [v, a, b] = [toBig(x), toBig(start), toBig(end)];
  if (a === b) return true;
  return a < b ? v > a && v <= b : v > a || v <= b;
}

/** Creates a {@link Peer}; call `start()` then `createOverlay()` or `join()`. */
export function createPeer(o: PeerOptions): Peer {
  return new Peer(o);
}
