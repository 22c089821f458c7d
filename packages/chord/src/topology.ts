/**
 * The CHORD-RELOAD topology plug-in (RFC 6940 §10) as a pure, event-driven state machine.
 *
 * The host (the overlay peer) owns sockets, timers, signing and message transport. It calls one
 * method per event (a link came up, an Update arrived, a Ping was answered, the timer fired …)
 * and carries out the {@link ChordAction}s each call returns, in order. Time comes from the
 * injected `now()` (ms) and randomness from the injected `random()`, so a hundred machines can
 * run in one process under a fake clock.
 *
 * Internally NodeIds are `bigint`s on the circle of {@link Ring}; on the interface they are
 * byte arrays of the overlay's NodeId length.
 */
import {
  chordLeaveDataCodec,
  chordRouteQueryAnsCodec,
  chordUpdateCodec,
  decodeExact,
  encodeToBytes,
  ErrorCode,
  ReloadError,
  type ChordLeaveData,
  type ChordRouteQueryAns,
  type ChordUpdate,
  type Codec,
} from '@reload/wire';
import {
  DEFAULT_JOIN_RETRY_MS,
  DEFAULT_OPERATION_TIMEOUT_MS,
  DEFAULT_PING_INTERVAL_MS,
  DEFAULT_TOMBSTONE_MS,
  DEFAULT_UPDATE_INTERVAL_MS,
  MAX_FINGER_SEARCH_PINGS,
  MAX_FINGER_TABLE_SIZE,
  MIN_FINGER_TABLE_SIZE,
  MIN_NEIGHBORS_EACH_SIDE,
  REPLICA_COUNT,
  SUCCESSOR_HOLD_DOWN_MS,
} from './constants.js';
import { Ring } from './ring.js';
import type {
  AttachPurpose,
  ChordAction,
  ChordOptions,
  ChordState,
  ChordUpdateTypeName,
  IdRange,
  JoinDecision,
  NextHop,
  NodeIdBytes,
  RouteQueryResult,
} from './types.js';

/** A live link in the Connection Table; `peer` once we know the node is a ring member. */
interface Conn {
  bytes: Uint8Array;
  peer: boolean;
}

interface PendingAttach {
  purposes: Set<AttachPurpose>;
  deadline: number;
}

type PendingPing =
  | {
      purpose: 'finger';
      slot: number;
      tries: number;
      deadline: number;
    }
  | { purpose: 'partition'; deadline: number };

type JoinPhase = 'admitting' | 'awaitingUpdate' | 'attaching' | 'joinSent';

interface Config {
  numSucc: number;
  numPred: number;
  minFingers: number;
  maxFingers: number;
  updateIntervalMs: number;
  pingIntervalMs: number;
  reactive: boolean;
  holdDownMs: number;
  partitionMs: number;
  opTimeoutMs: number;
  joinRetryMs: number;
  tombstoneMs: number;
}

/**
 * Creates a CHORD-RELOAD state machine for the peer `opts.nodeId`. Call
 * {@link ChordTopology.createOverlay} (first peer) or {@link ChordTopology.join} next.
 * @throws ReloadError('CHORD_BAD_OPTION') for out-of-range options,
 *   ReloadError('CHORD_BAD_NODE_ID_LENGTH') for a NodeId length outside 16–20 bytes.
 */
export function createChordTopology(opts: ChordOptions): ChordTopology {
  return new ChordTopology(opts);
}

/** The CHORD-RELOAD machine of one peer. Construct with {@link createChordTopology}. */
export class ChordTopology {
  /** The circle arithmetic of this overlay. */
  readonly ring: Ring;
  /** This peer's NodeId as an integer. */
  readonly id: bigint;
  /** This peer's NodeId bytes. */
  readonly nodeId: Uint8Array;

  private readonly now: () => number;
  private readonly random: () => number;
  private readonly cfg: Config;
  private readonly startedAt: number;
  private stateValue: ChordState = 'idle';

  // Connection Table (§10.1: "kept in the Connection Table") and what we know of other peers.
  private readonly conns = new Map<bigint, Conn>();
  /** Ring members learned from Updates/Leaves but not connected: id → forget-after time. */
  private readonly known = new Map<bigint, number>();
  /** Failed or departed peers, ignored when third parties still list them: id → until. */
  private readonly tombstones = new Map<bigint, number>();

  // Neighbor Table and Finger Table (§10.1), derived from connected peers.
  private succ: bigint[] = [];
  private pred: bigint[] = [];
  private fingerTable: (bigint | undefined)[] = [];
  /** Neighbor Table ∪ Finger Table, rebuilt by recompute(). */
  private routing: bigint[] = [];
  /** Set by learn() when a connected node turned out to be a ring member. */
  private learnedConnectedPeer = false;
  /** The same sorted by clockwise distance from us (nextHop is on the hot path). */
  private routingByDist: { id: bigint; d: bigint }[] = [];
  /** §10.7.4.2 alternative 2: candidates seen in Updates for invalid finger entries. */
  private readonly fingerFlags = new Map<number, bigint>();

  private readonly pendingAttach = new Map<bigint, PendingAttach>();
  private readonly pendingPing = new Map<bigint, PendingPing>();

  // Join procedure (§10.5).
  private bootstrap: bigint | undefined;
  private ap: bigint | undefined;
  private joinPhase: JoinPhase | undefined;
  /** Updates that arrived while the admitting Attach was outstanding (see onUpdate). */
  private readonly earlyUpdates = new Map<bigint, ChordUpdate>();
  private joinDeadline = Infinity;
  private joinRetryAt = Infinity;
  private readonly joinWait = new Set<bigint>();

  // Consequences already announced to the host.
  private announcedPred0: bigint | undefined;
  private announcedRanges = '';
  private announcedReplicas: bigint[] = [];
  private holdDownUntil = 0;
  private hadPeers = false;

  // Stabilization timers (§10.7.4).
  private nextUpdateAt = Infinity;
  private nextFingerAt = Infinity;
  private nextPartitionAt = Infinity;
  private lastSchedule: number | undefined;

  // Output of the current event.
  private out: ChordAction[] = [];
  private codecCache:
    | {
        update: Codec<ChordUpdate>;
        leaveData: Codec<ChordLeaveData>;
        routeQueryAns: Codec<ChordRouteQueryAns>;
      }
    | undefined;
  private readonly updatesTo = new Map<bigint, { bytes: Uint8Array; type: ChordUpdateTypeName }>();

  constructor(opts: ChordOptions) {
    this.ring = new Ring(opts.nodeIdLength ?? 16);
    this.id = this.ring.toBig(opts.nodeId, 'ChordOptions.nodeId');
    this.nodeId = Uint8Array.from(opts.nodeId);
    this.now = opts.now;
    this.random = opts.random;
    const int = (name: string, v: number | undefined, dflt: number, min: number, max: number) => {
      const x = v ?? dflt;
      if (!Number.isFinite(x) || x < min || x > max) {
        throw new ReloadError('CHORD_BAD_OPTION', `${name} must be in ${min}..${max}, got ${x}`);
      }
      return x;
    };
    const maxF = Math.min(MAX_FINGER_TABLE_SIZE, this.ring.bits);
    this.cfg = {
      numSucc: int('successors', opts.successors, 3, MIN_NEIGHBORS_EACH_SIDE, 64),
      numPred: int('predecessors', opts.predecessors, 3, MIN_NEIGHBORS_EACH_SIDE, 64),
      minFingers: int('fingerTableSize', opts.fingerTableSize, MIN_FINGER_TABLE_SIZE, 16, maxF),
      maxFingers: maxF,
      updateIntervalMs: int(
        'updateIntervalMs',
        opts.updateIntervalMs,
        DEFAULT_UPDATE_INTERVAL_MS,
        1,
        2 ** 40,
      ),
      pingIntervalMs: int(
        'pingIntervalMs',
        opts.pingIntervalMs,
        DEFAULT_PING_INTERVAL_MS,
        1,
        2 ** 40,
      ),
      reactive: opts.reactive ?? true,
      holdDownMs: int(
        'successorHoldDownMs',
        opts.successorHoldDownMs,
        SUCCESSOR_HOLD_DOWN_MS,
        0,
        2 ** 40,
      ),
      partitionMs: int(
        'partitionCheckIntervalMs',
        opts.partitionCheckIntervalMs,
        opts.updateIntervalMs ?? DEFAULT_UPDATE_INTERVAL_MS,
        0,
        2 ** 40,
      ),
      opTimeoutMs: int(
        'operationTimeoutMs',
        opts.operationTimeoutMs,
        DEFAULT_OPERATION_TIMEOUT_MS,
        1,
        2 ** 40,
      ),
      joinRetryMs: int('joinRetryMs', opts.joinRetryMs, DEFAULT_JOIN_RETRY_MS, 1, 2 ** 40),
      tombstoneMs: int('tombstoneMs', opts.tombstoneMs, DEFAULT_TOMBSTONE_MS, 0, 2 ** 40),
    };
    this.fingerTable = new Array<bigint | undefined>(this.cfg.minFingers).fill(undefined);
    this.startedAt = this.now();
  }

  // -------------------------------------------------------------------------------------------
  // Read-only views

  /** Life-cycle state: idle → joining → joined → left. */
  get state(): ChordState {
    return this.stateValue;
  }

  /** Successors, closest first (at most `successors`, never this peer, §10.7.3). */
  successors(): NodeIdBytes[] {
    return this.succ.map((x) => this.bytesOf(x));
  }

  /** Predecessors, closest first (at most `predecessors`, never this peer). */
  predecessors(): NodeIdBytes[] {
    return this.pred.map((x) => this.bytesOf(x));
  }

  /**
   * The Finger Table: entry i−1 holds finger i (§10.5: i = 1 is half-way round), `undefined`
   * where the entry is invalid (no peer known in [n+2^(k−i), n+2^(k−i+1)−1], §10.7.4.2).
   */
  fingers(): (NodeIdBytes | undefined)[] {
    return this.fingerTable.map((x) => (x === undefined ? undefined : this.bytesOf(x)));
  }

  /** The Routing Table: union of Neighbor Table and Finger Table (§10.3), ascending by id. */
  routingTable(): NodeIdBytes[] {
    return [...this.routing].sort(cmpBig).map((x) => this.bytesOf(x));
  }

  /** Every node with a live link that this machine knows of (the Connection Table). */
  connections(): NodeIdBytes[] {
    return [...this.conns.values()].map((c) => c.bytes);
  }

  /** The replica set (§10.4): the first two successors. */
  replicaSet(): NodeIdBytes[] {
    return this.succ.slice(0, REPLICA_COUNT).map((x) => this.bytesOf(x));
  }

  /** (predecessor, self] while joined (the whole circle when alone), else null (§10.1). */
  responsibleRange(): IdRange | null {
    if (this.stateValue !== 'joined') return null;
    return { start: this.bytesOf(this.pred[0] ?? this.id), end: this.nodeId };
  }

  /**
   * True when this peer is responsible for `id` (a Resource-ID or NodeId): joined and
   * id ∈ (predecessor, self] (§10.1).
   */
  isResponsible(id: Uint8Array): boolean {
    return this.isResponsibleBig(this.ring.resourceToBig(id));
  }

  /**
   * §10.4: should a replica Store for Resource-ID `resourceId` sent by `from` be accepted?
   * True when `from` is one of our first two predecessors (we are in its replica set) and the
   * id lies in the range `from` is responsible for, as far as our predecessor list tells.
   */
  acceptsReplicaFrom(from: Uint8Array, resourceId: Uint8Array): boolean {
    if (this.stateValue !== 'joined') return false;
    const f = this.ring.toBig(from, 'from');
    const k = this.ring.resourceToBig(resourceId);
    const j = this.pred.indexOf(f);
    if (j < 0 || j >= REPLICA_COUNT) return false;
    const before = this.pred[j + 1];
    // Without a further predecessor (tiny ring) anything not ours is the sender's.
    if (before === undefined) return !this.isResponsibleBig(k) || this.pred.length === 1;
    return this.ring.inOpenClosed(k, before, f);
  }

  /** The responsible fraction of the circle in parts per billion, for Probe (§6.4.2.5.2). */
  responsiblePpb(): number {
    if (this.stateValue !== 'joined') return 0;
    const p = this.pred[0];
    if (p === undefined) return 1_000_000_000;
    const d = this.ring.distance(p, this.id);
    return Number((d * 1_000_000_000n) / this.ring.modulus);
  }

  /** Seconds since this machine was created (ChordUpdate.uptime, Probe uptime). */
  uptimeSeconds(): number {
    return Math.max(0, Math.floor((this.now() - this.startedAt) / 1000));
  }

  /** When the host must call {@link tick} next (ms), or undefined when nothing is pending. */
  nextTickAt(): number | undefined {
    if (this.stateValue === 'idle' || this.stateValue === 'left') return undefined;
    let t = Infinity;
    for (const p of this.pendingAttach.values()) t = Math.min(t, p.deadline);
    for (const p of this.pendingPing.values()) t = Math.min(t, p.deadline);
    if (this.stateValue === 'joining') {
      t = Math.min(t, this.joinDeadline, this.joinRetryAt);
    } else {
      t = Math.min(t, this.nextUpdateAt, this.nextFingerAt, this.nextPartitionAt);
      if (this.holdDownUntil > this.now() && this.replicasDiffer())
        t = Math.min(t, this.holdDownUntil);
    }
    return t === Infinity ? undefined : t;
  }

  /**
   * Next hop for a message to Resource-ID (or NodeId) `dest` (RFC 6940 §10.3):
   * `local` when this peer is responsible; the node itself when directly connected to it;
   * else the Routing Table entry with the largest id in (self, dest); else the one with the
   * smallest id at or after `dest`. `none` when there is nothing to route through.
   *
   * A NodeId destination other than the host's own NodeId that comes back `local` names a node
   * this peer does not know; the host answers as §6.1.1 prescribes.
   *
   * @param usable optional filter of the host's (e.g. "has an open link in the Connection
   *   Table"): Routing Table entries it refuses are skipped and the next-best entry in the same
   *   order is taken, so an intermediate hop whose link has just gone does not make the message
   *   undeliverable. A destination that is itself a connected node but refused gives `none`.
   */
  nextHop(dest: Uint8Array, usable?: (nodeId: Uint8Array) => boolean): NextHop {
    const k = this.ring.resourceToBig(dest);
    if (k === this.id || this.isResponsibleBig(k)) return { type: 'local' };
    const direct = this.conns.get(k);
    if (direct) {
      // A node we are connected to but cannot use (its link just went) is not routed round:
      // the request fails at once, which is how the host learns of the failure quickly.
      return !usable || usable(direct.bytes)
        ? { type: 'forward', nodeId: direct.bytes }
        : { type: 'none' };
    }
    const r = this.nextHopBig(k, usable);
    return r === undefined ? { type: 'none' } : { type: 'forward', nodeId: this.bytesOf(r) };
  }

  // -------------------------------------------------------------------------------------------
  // Life cycle

  /**
   * Makes this peer the first peer of a new overlay: it is responsible for the whole circle
   * (§4.5.2, §6.4.2.1 "potentially the first node"). Returns `joined`, `ranges`, `schedule`.
   * @throws ReloadError('CHORD_BAD_STATE') unless idle.
   */
  createOverlay(): ChordAction[] {
    if (this.stateValue !== 'idle') {
      throw new ReloadError('CHORD_BAD_STATE', `createOverlay in state ${this.stateValue}`);
    }
    this.becomeJoined();
    return this.flush();
  }

  /**
   * Starts (or restarts) the join procedure of §10.5 through `bootstrap`, a node the host has
   * just connected to (§11.4 step 1). Emits an Attach to Resource-ID n+1 with send_update,
   * sent over the bootstrap link (§10.5 step 2, §11.4). The rest follows from events.
   * @throws ReloadError('CHORD_BAD_STATE') after {@link leave};
   *   ReloadError(Error_Invalid_Message) for a NodeId of the wrong length.
   */
  join(bootstrap: Uint8Array): ChordAction[] {
    const b = this.ring.toBig(bootstrap, 'bootstrap');
    if (this.stateValue === 'left') throw new ReloadError('CHORD_BAD_STATE', 'join after leave');
    if (b === this.id) throw new ReloadError('CHORD_BAD_STATE', 'cannot bootstrap through self');
    if (this.stateValue === 'joined' && this.hasPeers()) return this.flush();
    this.addConn(b, true);
    this.bootstrap = b;
    this.stateValue = 'joining';
    this.announcedPred0 = undefined;
    this.startJoin();
    return this.flush();
  }

  /**
   * Leaves the overlay (§10.9): hands the responsible range to the successor (a `transfer`
   * action) and sends a Leave to every member of the Neighbor Table — `from_succ` with our
   * successor list to predecessors, `from_pred` with our predecessor list to successors.
   * Afterwards every event is ignored.
   */
  leave(): ChordAction[] {
    if (this.stateValue === 'joined') {
      const s0 = this.succ[0];
      if (s0 !== undefined) {
        this.out.push({
          type: 'transfer',
          range: { start: this.bytesOf(this.pred[0] ?? this.id), end: this.nodeId },
          to: this.bytesOf(s0),
        });
      }
      const succBytes = this.successors();
      const predBytes = this.predecessors();
      for (const n of this.neighborSet()) {
        const pi = this.pred.indexOf(n);
        const si = this.succ.indexOf(n);
        const toPred = pi >= 0 && (si < 0 || pi <= si);
        this.out.push({
          type: 'leave',
          to: this.bytesOf(n),
          data: toPred
            ? { type: 'from_succ', successors: succBytes }
            : { type: 'from_pred', predecessors: predBytes },
        });
      }
    }
    this.stateValue = 'left';
    const out = this.out;
    this.out = [];
    this.updatesTo.clear();
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Events from the host

  /**
   * An Attach this machine asked for (`attach` action with this `target`) succeeded and the
   * link to `responder` is up (§6.5.1). `responder` is the NodeId of the answering peer (for a
   * Resource-ID target, the responsible peer).
   */
  onAttachAnswered(target: Uint8Array, responder: Uint8Array): ChordAction[] {
    const t = this.ring.toBig(target, 'target');
    const r = this.ring.toBig(responder, 'responder');
    if (this.stateValue === 'left' || this.stateValue === 'idle') return [];
    const p = this.pendingAttach.get(t);
    this.pendingAttach.delete(t);
    this.joinWait.delete(t);
    if (r !== this.id) {
      // Whoever answers an Attach we routed to a ring position is a ring member.
      this.tombstones.delete(r);
      this.known.delete(r);
      this.addConn(r, true);
      if (p?.purposes.has('admitting') && this.stateValue === 'joining') {
        this.ap = r;
        this.joinPhase = 'awaitingUpdate';
        this.joinDeadline = this.now() + this.cfg.opTimeoutMs;
      }
    }
    this.recompute(false);
    if (r !== this.id && this.stateValue === 'joined') {
      // Tell the new contact that we are a peer it may route through (§10.7 peer_ready), or
      // our neighbor set if it is a neighbor.
      this.queueUpdate(r, this.isNeighbor(r) ? 'neighbors' : 'peer_ready');
    }
    this.maybeSendJoin();
    const actions = this.flush();
    if (this.joinPhase === 'awaitingUpdate' && this.ap === r) {
      const early = this.earlyUpdates.get(r);
      this.earlyUpdates.clear();
      if (early) actions.push(...this.onUpdate(responder, early));
    }
    return actions;
  }

  /** An Attach this machine asked for failed (no answer, error, or no link). */
  onAttachFailed(target: Uint8Array): ChordAction[] {
    const t = this.ring.toBig(target, 'target');
    if (this.stateValue === 'left' || this.stateValue === 'idle') return [];
    this.attachFailed(t);
    return this.flush();
  }

  /**
   * A node attached to us (an inbound AttachReq completed and the link is up). With
   * `sendUpdate` (the AttachReq's send_update flag) a joined peer answers with a `full` Update
   * (§6.4.2.3, decision 0355). The node is routed through only once known to be a peer.
   */
  onPeerAttached(nodeId: Uint8Array, opts: { sendUpdate?: boolean } = {}): ChordAction[] {
    const n = this.ring.toBig(nodeId, 'nodeId');
    if (this.stateValue === 'left' || n === this.id) return [];
    const isPeer = this.conns.get(n)?.peer === true || this.known.has(n);
    this.addConn(n, isPeer);
    if (isPeer) {
      this.known.delete(n);
      this.recompute(false);
    }
    if (opts.sendUpdate && this.stateValue === 'joined') this.queueUpdate(n, 'full');
    return this.flush();
  }

  /**
   * The link to `nodeId` is gone, or a request to it failed (§10.7.1, §10.7.2): it is removed
   * from every table, replaced from the Routing Table, and — with reactive recovery — the
   * neighbors are told at once and a new finger is searched for.
   */
  onLinkFailed(nodeId: Uint8Array): ChordAction[] {
    const n = this.ring.toBig(nodeId, 'nodeId');
    if (this.stateValue === 'left' || this.stateValue === 'idle' || n === this.id) return [];
    this.removePeer(n);
    return this.flush();
  }

  /**
   * An UpdateReq from `from` (§10.7.3). The sender and every NodeId it lists are ring members;
   * those that belong in our Neighbor Table and are not connected are attached to, source-routed
   * through the sender (§10.6). The host answers UpdateAns success.
   * @throws ReloadError(Error_Invalid_Message) for a bad type or a NodeId of the wrong length.
   */
  onUpdate(from: Uint8Array, update: ChordUpdate): ChordAction[] {
    const f = this.ring.toBig(from, 'from');
    const u = update as Partial<Record<'predecessors' | 'successors' | 'fingers', Uint8Array[]>>;
    if (!Object.hasOwn(UPDATE_RANK, update.type)) {
      throw new ReloadError(
        ErrorCode.InvalidMessage,
        `bad ChordUpdateType ${String(update.type)}`,
        { field: 'ChordUpdate.type' },
      );
    }
    const preds = this.bigList(u.predecessors, 'ChordUpdate.predecessors');
    const succs = this.bigList(u.successors, 'ChordUpdate.successors');
    const fings = this.bigList(u.fingers, 'ChordUpdate.fingers');
    if (this.stateValue === 'left' || this.stateValue === 'idle' || f === this.id) return [];

    // The sender is alive and a peer.
    this.tombstones.delete(f);
    const fc = this.conns.get(f);
    let changed = false;
    if (fc) {
      changed = !fc.peer;
      fc.peer = true;
    } else this.known.set(f, this.now() + this.cfg.updateIntervalMs);

    const listed = [...preds, ...succs, ...fings];
    this.learnedConnectedPeer = false;
    const fresh = this.learn(listed);
    // Most periodic Updates change nothing: rebuild the tables only when the peer set grew.
    if (changed || this.learnedConnectedPeer) this.recompute(false);

    const via = this.conns.has(f) ? f : undefined;
    const issued = this.attachToBetterNeighbors(fc ? fresh : [f, ...fresh], via);
    this.flagFingerCandidates(fresh);

    if (this.stateValue === 'joining' && this.joinPhase === 'admitting') {
      // The admitting peer's Update can overtake its AttachAns (it connects straight back to
      // us while the answer travels the overlay): keep it for onAttachAnswered.
      this.earlyUpdates.set(f, update);
    }
    if (this.stateValue === 'joining') {
      if (this.joinPhase === 'awaitingUpdate' && f === this.ap) {
        // §10.5 step 3: attach to the neighbors (done above) and to the fingers.
        this.joinPhase = 'attaching';
        this.joinDeadline = this.now() + this.cfg.opTimeoutMs;
        for (const t of issued) this.joinWait.add(t);
        this.attachInitialFingers();
        this.maybeSendJoin();
      } else if (
        this.joinPhase === 'joinSent' &&
        (preds.includes(this.id) || succs.includes(this.id))
      ) {
        // §10.5 step 7: an Update that places us in the sender's neighbor set.
        this.becomeJoined();
      }
    }
    return this.flush();
  }

  /**
   * A JoinReq from `from` (§6.4.2.1, §10.5 steps 5–8). The host has already checked that
   * joining_peer_id equals the signer and the link's NodeId. Accepted when this peer is joined
   * and `from` falls between its farthest known predecessor and itself (decision 0356); then
   * the actions carry the `transfer` of (old predecessor, JN] (step 6) followed by Updates to
   * JN and every neighbor (steps 7–8). Otherwise the host answers with `errorCode`.
   */
  onJoinReq(from: Uint8Array): JoinDecision {
    const f = this.ring.toBig(from, 'joining_peer_id');
    const reject = (reason: string): JoinDecision => ({
      accept: false,
      errorCode: ErrorCode.Forbidden,
      reason,
      actions: this.flush(),
    });
    if (this.stateValue !== 'joined') return reject('not part of the overlay');
    if (f === this.id) return reject('joining_peer_id is the admitting peer');
    const far = this.pred[this.pred.length - 1];
    if (far !== undefined && !this.ring.inOpen(f, far, this.id)) {
      return reject('joining peer is not adjacent to this peer');
    }
    this.tombstones.delete(f);
    this.known.delete(f);
    this.addConn(f, true);
    this.recompute(false);
    // Steps 7–8: Update to JN and to all neighbors, whatever the recovery mode.
    this.queueUpdate(f, 'neighbors');
    for (const n of this.neighborSet()) this.queueUpdate(n, 'neighbors');
    return { accept: true, actions: this.flush() };
  }

  /** The JoinAns arrived (§10.5 step 5); the machine now waits for the AP's Update. */
  onJoinAnswered(ap: Uint8Array): ChordAction[] {
    this.ring.toBig(ap, 'ap');
    if (this.stateValue === 'joining' && this.joinPhase === 'joinSent') {
      this.joinDeadline = this.now() + this.cfg.opTimeoutMs;
    }
    return this.flush();
  }

  /** The JoinReq failed or was rejected: the join restarts after `joinRetryMs`. */
  onJoinFailed(ap: Uint8Array): ChordAction[] {
    this.ring.toBig(ap, 'ap');
    if (this.stateValue === 'joining') this.scheduleJoinRetry();
    return this.flush();
  }

  /**
   * A LeaveReq from `from` with its ChordLeaveData (§10.9): handled as a failure of `from`
   * (§10.7.1); the lists it carries are candidates for our Neighbor Table, attached to through
   * normal routing.
   * @throws ReloadError(Error_Invalid_Message) for a bad type or a NodeId of the wrong length.
   */
  onLeave(from: Uint8Array, data: ChordLeaveData): ChordAction[] {
    const f = this.ring.toBig(from, 'leaving_peer_id');
    let listed: bigint[];
    if (data.type === 'from_succ') {
      listed = this.bigList(data.successors, 'ChordLeaveData.successors');
    } else if (data.type === 'from_pred') {
      listed = this.bigList(data.predecessors, 'ChordLeaveData.predecessors');
    } else {
      throw new ReloadError(
        ErrorCode.InvalidMessage,
        `bad ChordLeaveType ${String((data as { type: unknown }).type)}`,
        { field: 'ChordLeaveData.type' },
      );
    }
    if (this.stateValue === 'left' || this.stateValue === 'idle' || f === this.id) return [];
    this.removePeer(f);
    const fresh = this.learn(listed.filter((x) => x !== f));
    this.recompute(false);
    this.attachToBetterNeighbors(fresh, undefined);
    return this.flush();
  }

  /**
   * The answer to a Ping this machine asked for: `responder` is the NodeId that answered
   * (the peer responsible for `target`). `via` is the bootstrap peer used for a partition
   * check (§10.7.4.4).
   */
  onPingAnswered(target: Uint8Array, responder: Uint8Array, via?: Uint8Array): ChordAction[] {
    const t = this.ring.toBig(target, 'target');
    const r = this.ring.toBig(responder, 'responder');
    const b = via === undefined ? undefined : this.ring.toBig(via, 'via');
    const p = this.pendingPing.get(t);
    if (!p || this.stateValue !== 'joined') return this.flush();
    this.pendingPing.delete(t);
    if (p.purpose === 'finger') this.fingerPingAnswered(t, r, p);
    else this.partitionPingAnswered(r, b);
    return this.flush();
  }

  /** A Ping this machine asked for failed. */
  onPingFailed(target: Uint8Array): ChordAction[] {
    this.pendingPing.delete(this.ring.toBig(target, 'target'));
    return this.flush();
  }

  /**
   * A RouteQueryReq (§6.4.2.4, §10.8): returns the ChordRouteQueryAns next_peer — the peer this
   * peer would route `destination` to, or its own NodeId when it would deliver locally
   * (decision 0357). With `sendUpdate`, a `full` Update to `from` follows.
   */
  onRouteQuery(from: Uint8Array, destination: Uint8Array, sendUpdate: boolean): RouteQueryResult {
    const f = this.ring.toBig(from, 'from');
    const nh = this.nextHop(destination);
    const nextPeer = nh.type === 'forward' ? nh.nodeId : Uint8Array.from(this.nodeId);
    const body = encodeToBytes(this.codecs.routeQueryAns, { nextPeer });
    if (sendUpdate && this.stateValue === 'joined' && f !== this.id) {
      this.queueUpdate(f, 'full');
    }
    return { nextPeer, body, actions: this.flush() };
  }

  /**
   * Timer: runs whatever is due at `now()` — periodic neighbor Updates (§10.7.4.1), finger
   * refresh (§10.7.4.2), partition checks (§10.7.4.4), the successor hold-down (§10.7.1),
   * join retries and timeouts of unreported operations.
   */
  tick(): ChordAction[] {
    const now = this.now();
    if (this.stateValue === 'idle' || this.stateValue === 'left') return [];
    this.expire(now);
    if (this.stateValue === 'joining') {
      if (now >= this.joinRetryAt) {
        this.joinRetryAt = Infinity;
        this.startJoin();
      } else if (now >= this.joinDeadline) {
        this.joinDeadline = Infinity;
        if (
          this.joinPhase === 'awaitingUpdate' &&
          this.ap !== undefined &&
          this.conns.has(this.ap)
        ) {
          // No Update from the AP: go on with the neighbors we know (§10.5 allows populating
          // the Neighbor Table incrementally later).
          this.joinPhase = 'attaching';
          this.attachInitialFingers();
          this.maybeSendJoin();
        } else {
          this.scheduleJoinRetry();
        }
      }
      return this.flush();
    }
    // joined
    if (now >= this.nextUpdateAt) {
      for (const n of this.neighborSet()) this.queueUpdate(n, 'neighbors');
      this.nextUpdateAt = now + this.jitter(this.cfg.updateIntervalMs);
      if (!this.hasPeers() && this.bootstrap !== undefined) this.out.push({ type: 'isolated' });
    }
    if (now >= this.nextFingerAt) {
      this.refreshFingers();
      this.nextFingerAt = now + this.cfg.pingIntervalMs;
    }
    if (now >= this.nextPartitionAt) {
      if (this.hasPeers() || this.bootstrap !== undefined) {
        const target = this.ring.add(this.id, 1n);
        this.pendingPing.set(target, {
          purpose: 'partition',
          deadline: now + this.cfg.opTimeoutMs,
        });
        this.out.push({
          type: 'ping',
          target: this.bytesOf(target),
          viaBootstrap: true,
          purpose: 'partition',
        });
      }
      this.nextPartitionAt = now + this.jitter(this.cfg.partitionMs);
    }
    this.announceReplicas();
    return this.flush();
  }

  // -------------------------------------------------------------------------------------------
  // Internals: tables

  private isResponsibleBig(k: bigint): boolean {
    if (this.stateValue !== 'joined') return false;
    const p = this.pred[0];
    return p === undefined || this.ring.inOpenClosed(k, p, this.id);
  }

  /**
   * §10.3 on the routing table sorted by clockwise distance from us: the entry with the
   * largest id in (self, k) is the last one closer than k; if there is none, the first one at
   * or after k (the smallest id greater than k, wrapping round) is the first entry.
   */
  private nextHopBig(k: bigint, usable?: (nodeId: Uint8Array) => boolean): bigint | undefined {
    const rs = this.routingByDist;
    if (rs.length === 0) return undefined;
    const dk = this.ring.distance(this.id, k);
    let lo = 0;
    let hi = rs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (rs[mid].d < dk) lo = mid + 1;
      else hi = mid;
    }
    if (!usable) return lo > 0 ? rs[lo - 1].id : rs[0].id;
    // Closest preceding usable entry first, then the usable entries at or after k in order.
    for (let i = lo - 1; i >= 0; i--) if (usable(this.bytesOf(rs[i].id))) return rs[i].id;
    for (let i = lo; i < rs.length; i++) if (usable(this.bytesOf(rs[i].id))) return rs[i].id;
    return undefined;
  }

  private neighborSet(): bigint[] {
    const s = new Set<bigint>([...this.pred, ...this.succ]);
    return [...s];
  }

  private isNeighbor(n: bigint): boolean {
    return this.succ.includes(n) || this.pred.includes(n);
  }

  private hasPeers(): boolean {
    for (const c of this.conns.values()) if (c.peer) return true;
    return false;
  }

  private peerIds(): bigint[] {
    const out: bigint[] = [];
    for (const [id, c] of this.conns) if (c.peer) out.push(id);
    return out;
  }

  /** The n ids closest after this peer going clockwise, closest first. */
  private closestSucc(ids: Iterable<bigint>, n: number): bigint[] {
    return this.closest(ids, n, (x) => this.ring.distance(this.id, x));
  }

  /** The n ids closest before this peer, closest first. */
  private closestPred(ids: Iterable<bigint>, n: number): bigint[] {
    return this.closest(ids, n, (x) => this.ring.distance(x, this.id));
  }

  /** Partial selection: the n smallest by `dist` (n is small), by insertion. */
  private closest(ids: Iterable<bigint>, n: number, dist: (x: bigint) => bigint): bigint[] {
    const out: bigint[] = [];
    const ds: bigint[] = [];
    for (const x of ids) {
      const d = dist(x);
      if (out.length === n && d >= ds[n - 1]) continue;
      let i = out.length === n ? n - 1 : out.length;
      while (i > 0 && ds[i - 1] > d) {
        ds[i] = ds[i - 1];
        out[i] = out[i - 1];
        i--;
      }
      ds[i] = d;
      out[i] = x;
    }
    return out;
  }

  /**
   * Rebuilds Neighbor and Finger Tables from the connected peers (§10.7.1: "replace it with the
   * best match it has from the other peers in its Routing Table") and, when joined, announces
   * what changed: responsibility (§10.7.3 last paragraph), transfers, reactive Updates, replicas.
   */
  private recompute(successorFailed: boolean): void {
    const oldSucc = this.succ;
    const oldPred = this.pred;
    const peers = this.peerIds();
    this.succ = this.closestSucc(peers, this.cfg.numSucc);
    this.pred = this.closestPred(peers, this.cfg.numPred);

    // §10.7.4.3: at least 16 entries, enough to reach the last successor, at most 128.
    const last = this.succ[this.succ.length - 1];
    const need = last === undefined ? 0 : this.ring.fingerIndex(this.id, last);
    const size = Math.min(this.cfg.maxFingers, Math.max(this.cfg.minFingers, need));
    const byIndex = new Map<number, bigint[]>();
    for (const p of peers) {
      const i = this.ring.fingerIndex(this.id, p);
      if (i >= 1 && i <= size) {
        const l = byIndex.get(i);
        if (l) l.push(p);
        else byIndex.set(i, [p]);
      }
    }
    const next: (bigint | undefined)[] = [];
    for (let i = 1; i <= size; i++) {
      const cands = byIndex.get(i);
      const cur = this.fingerTable[i - 1];
      if (!cands) next.push(undefined);
      else if (cur !== undefined && cands.includes(cur)) next.push(cur);
      else {
        const start = this.ring.fingerStart(this.id, i);
        next.push(this.closestFrom(start, cands));
      }
      if (cands) this.fingerFlags.delete(i);
    }
    this.fingerTable = next;
    const rs = new Set<bigint>([...this.succ, ...this.pred]);
    for (const f of next) if (f !== undefined) rs.add(f);
    this.routing = [...rs];
    this.routingByDist = this.routing
      .map((id) => ({ id, d: this.ring.distance(this.id, id) }))
      .sort((x, y) => cmpBig(x.d, y.d));

    if (peers.length > 0) this.hadPeers = true;
    if (this.stateValue !== 'joined') return;
    const p0 = this.pred[0];
    if (p0 !== this.announcedPred0) {
      const old = this.announcedPred0;
      // The range shrank when the new predecessor lies between the old one and us: the keys
      // in (old, new] now belong to it (§6.4.2.3, §10.5 step 6).
      if (p0 !== undefined && (old === undefined || this.ring.inOpen(p0, old, this.id))) {
        this.out.push({
          type: 'transfer',
          range: { start: this.bytesOf(old ?? this.id), end: this.bytesOf(p0) },
          to: this.bytesOf(p0),
        });
      }
      this.announcedPred0 = p0;
      // §10.7.1 / §10.7.3: a changed range is announced to the whole Connection Table.
      for (const id of this.conns.keys()) this.queueUpdate(id, 'neighbors');
    }
    const changed = !sameList(oldSucc, this.succ) || !sameList(oldPred, this.pred);
    if (changed && this.cfg.reactive) {
      // §10.7.1 (failure: all neighbors) and §10.7.3 (new neighbors: Connection Table); we
      // tell every connected peer (decision 0358).
      for (const id of this.peerIds()) this.queueUpdate(id, 'neighbors');
      for (const n of oldSucc.concat(oldPred)) {
        if (this.conns.has(n)) this.queueUpdate(n, 'neighbors');
      }
    }
    if (successorFailed) this.holdDownUntil = this.now() + this.cfg.holdDownMs;
    this.announceRanges();
    this.announceReplicas();
    // §10.7.1 last paragraph: with no ring member left, the host must rejoin.
    if (!this.hasPeers() && this.hadPeers) {
      this.hadPeers = false;
      this.out.push({ type: 'isolated' });
    }
  }

  private closestFrom(start: bigint, ids: bigint[]): bigint {
    let best = ids[0];
    let bestD = this.ring.distance(start, best);
    for (const x of ids) {
      const d = this.ring.distance(start, x);
      if (d < bestD) {
        best = x;
        bestD = d;
      }
    }
    return best;
  }

  private announceRanges(): void {
    const resp = this.responsibleRange();
    const keepStart = this.pred.length > REPLICA_COUNT ? this.pred[REPLICA_COUNT] : this.id;
    const keep: IdRange | null = resp ? { start: this.bytesOf(keepStart), end: this.nodeId } : null;
    const key = resp ? `${this.ring.hex(this.pred[0] ?? this.id)}/${this.ring.hex(keepStart)}` : '';
    if (key === this.announcedRanges) return;
    this.announcedRanges = key;
    this.out.push({ type: 'ranges', responsible: resp, keep });
  }

  private replicasDiffer(): boolean {
    return !sameList(this.succ.slice(0, REPLICA_COUNT), this.announcedReplicas);
  }

  /** §10.7.3: a new member of the replica set gets our data — after the §10.7.1 hold-down. */
  private announceReplicas(): void {
    if (this.stateValue !== 'joined' || !this.replicasDiffer()) return;
    if (this.now() < this.holdDownUntil) return;
    const now = this.succ.slice(0, REPLICA_COUNT);
    const added = now.filter((x) => !this.announcedReplicas.includes(x));
    this.announcedReplicas = now;
    this.out.push({
      type: 'replicas',
      replicas: now.map((x) => this.bytesOf(x)),
      added: added.map((x) => this.bytesOf(x)),
    });
  }

  // -------------------------------------------------------------------------------------------
  // Internals: events

  private addConn(id: bigint, peer: boolean): void {
    const c = this.conns.get(id);
    if (c) c.peer = c.peer || peer;
    else this.conns.set(id, { bytes: this.ring.toBytes(id), peer });
  }

  private removePeer(n: bigint): void {
    const wasSucc = this.succ.includes(n);
    const slots: number[] = [];
    this.fingerTable.forEach((f, i) => {
      if (f === n) slots.push(i + 1);
    });
    this.conns.delete(n);
    this.known.delete(n);
    this.tombstones.set(n, this.now() + this.cfg.tombstoneMs);
    for (const [slot, c] of this.fingerFlags) if (c === n) this.fingerFlags.delete(slot);
    if (this.stateValue === 'joining') {
      this.joinWait.delete(n);
      if (n === this.ap || (this.ap === undefined && n === this.bootstrap)) {
        this.recompute(false);
        this.scheduleJoinRetry();
        return;
      }
    }
    this.recompute(wasSucc);
    if (this.stateValue === 'joined' && this.cfg.reactive) {
      // §10.7.2: search for a replacement finger at once with reactive recovery.
      for (const s of slots) if (this.fingerTable[s - 1] === undefined) this.startFingerSearch(s);
    }
    this.maybeSendJoin();
  }

  /** Records NodeIds listed by others as ring members; returns those not connected. */
  private learn(ids: bigint[]): bigint[] {
    const now = this.now();
    const fresh: bigint[] = [];
    const seen = new Set<bigint>();
    for (const x of ids) {
      if (x === this.id || seen.has(x)) continue;
      seen.add(x);
      const until = this.tombstones.get(x);
      if (until !== undefined) {
        if (until > now) continue;
        this.tombstones.delete(x);
      }
      const c = this.conns.get(x);
      if (c) {
        if (!c.peer) this.learnedConnectedPeer = true;
        c.peer = true;
      } else {
        this.known.set(x, now + this.cfg.updateIntervalMs);
        fresh.push(x);
      }
    }
    return fresh;
  }

  /**
   * §10.7.3 second case: candidates that would be in the Neighbor Table are attached to
   * (source-routed through `via`, §10.6). Returns the targets of the Attaches issued.
   */
  private attachToBetterNeighbors(cands: bigint[], via: bigint | undefined): bigint[] {
    if (cands.length === 0) return [];
    const all = new Set<bigint>([...this.peerIds(), ...cands]);
    all.delete(this.id);
    const want = new Set([
      ...this.closestSucc(all, this.cfg.numSucc),
      ...this.closestPred(all, this.cfg.numPred),
    ]);
    const issued: bigint[] = [];
    for (const c of cands) {
      if (!want.has(c) || this.conns.has(c)) continue;
      if (this.requestAttach(c, 'node', 'neighbor', c === via ? undefined : via)) issued.push(c);
      else if (this.pendingAttach.has(c)) issued.push(c);
    }
    return issued;
  }

  /** §10.7.4.2 alternative 2: remember Update-listed peers that would fill invalid fingers. */
  private flagFingerCandidates(cands: bigint[]): void {
    for (const c of cands) {
      const i = this.ring.fingerIndex(this.id, c);
      if (i >= 1 && i <= this.fingerTable.length && this.fingerTable[i - 1] === undefined) {
        if (!this.fingerFlags.has(i)) this.fingerFlags.set(i, c);
      }
    }
  }

  /** Emits an Attach unless one to `target` is pending; returns true when emitted. */
  private requestAttach(
    target: bigint,
    destination: 'node' | 'resource',
    purpose: AttachPurpose,
    via?: bigint,
    firstHop?: bigint,
  ): boolean {
    const p = this.pendingAttach.get(target);
    if (p) {
      p.purposes.add(purpose);
      return false;
    }
    this.pendingAttach.set(target, {
      purposes: new Set([purpose]),
      deadline: this.now() + this.cfg.opTimeoutMs,
    });
    const a: ChordAction = {
      type: 'attach',
      target: this.bytesOf(target),
      destination,
      sendUpdate: purpose !== 'finger',
      purpose,
    };
    if (via !== undefined) a.via = this.bytesOf(via);
    if (firstHop !== undefined) a.firstHop = this.bytesOf(firstHop);
    this.out.push(a);
    return true;
  }

  private attachFailed(t: bigint): void {
    const p = this.pendingAttach.get(t);
    this.pendingAttach.delete(t);
    if (!p) return;
    if (p.purposes.has('neighbor') || p.purposes.has('partition')) {
      this.known.delete(t);
      if (!this.conns.has(t)) this.tombstones.set(t, this.now() + this.cfg.tombstoneMs);
    }
    this.joinWait.delete(t);
    if (p.purposes.has('admitting') && this.stateValue === 'joining') this.scheduleJoinRetry();
    this.maybeSendJoin();
  }

  private startJoin(): void {
    this.joinPhase = 'admitting';
    this.ap = undefined;
    this.joinWait.clear();
    this.joinRetryAt = Infinity;
    this.joinDeadline = this.now() + this.cfg.opTimeoutMs;
    const target = this.ring.add(this.id, 1n);
    this.pendingAttach.delete(target);
    // §10.5 step 2, §11.4: Attach to Resource-ID n+1 over the bootstrap link, send_update set.
    this.requestAttach(target, 'resource', 'admitting', undefined, this.bootstrap);
  }

  private scheduleJoinRetry(): void {
    this.joinPhase = undefined;
    this.joinDeadline = Infinity;
    this.joinWait.clear();
    this.joinRetryAt = this.now() + this.cfg.joinRetryMs;
  }

  /** §10.5 step 3: Attach to n + 2^(k−i) for fingers not already covered by the neighbors. */
  private attachInitialFingers(): void {
    const known = [...this.peerIds(), ...this.known.keys()];
    const last = this.closestSucc(known, this.cfg.numSucc).pop();
    for (let i = 1; i <= this.fingerTable.length; i++) {
      const t = this.ring.fingerStart(this.id, i);
      if (last !== undefined && this.ring.inOpenClosed(t, this.id, last)) continue;
      this.requestAttach(t, 'resource', 'finger');
    }
  }

  /**
   * §10.5 steps 4–5: once every Attach to a would-be neighbor has finished, send the Join to
   * the AP. (The last paragraph of §10.5 forbids Updates placing JN in the ring before that.)
   */
  private maybeSendJoin(): void {
    if (this.stateValue !== 'joining' || this.joinPhase !== 'attaching') return;
    for (const t of this.joinWait) if (this.pendingAttach.has(t)) return;
    if (this.ap === undefined || !this.conns.has(this.ap)) {
      this.scheduleJoinRetry();
      return;
    }
    this.joinWait.clear();
    this.joinPhase = 'joinSent';
    this.joinDeadline = this.now() + this.cfg.opTimeoutMs;
    this.out.push({ type: 'join', to: this.bytesOf(this.ap) });
  }

  private becomeJoined(): void {
    this.recompute(false); // tables only: not joined yet, so nothing is announced
    this.stateValue = 'joined';
    this.joinPhase = undefined;
    this.joinDeadline = Infinity;
    this.joinRetryAt = Infinity;
    this.joinWait.clear();
    const now = this.now();
    this.nextUpdateAt = now + this.jitter(this.cfg.updateIntervalMs);
    this.nextFingerAt = now + this.cfg.pingIntervalMs * (0.5 + this.random() * 0.5);
    this.nextPartitionAt =
      this.cfg.partitionMs > 0 ? now + this.jitter(this.cfg.partitionMs) : Infinity;
    this.announcedPred0 = this.pred[0];
    this.out.push({ type: 'joined' });
    this.announceRanges();
    this.announceReplicas();
    // §10.5 step 9 and figure 6: Updates to the neighbors, peer_ready to the other peers.
    for (const id of this.peerIds()) {
      this.queueUpdate(id, this.isNeighbor(id) ? 'neighbors' : 'peer_ready');
    }
  }

  private expire(now: number): void {
    for (const [t, p] of [...this.pendingAttach]) if (p.deadline <= now) this.attachFailed(t);
    for (const [t, p] of [...this.pendingPing]) if (p.deadline <= now) this.pendingPing.delete(t);
    for (const [t, until] of [...this.known]) if (until <= now) this.known.delete(t);
    for (const [t, until] of [...this.tombstones]) if (until <= now) this.tombstones.delete(t);
  }

  /**
   * §10.7.4.2 alternative 1 (with alternative 2's flags preferred): walk the entries from i = 1;
   * each invalid one is picked with probability ½; one search per chord-ping-interval. Entries
   * whose whole range lies before our last successor are skipped: a peer there would be one of
   * our successors already.
   */
  private refreshFingers(): void {
    const last = this.succ[this.succ.length - 1];
    for (let i = 1; i <= this.fingerTable.length; i++) {
      if (this.fingerTable[i - 1] !== undefined) continue;
      const { end } = this.ring.fingerRange(this.id, i);
      if (last !== undefined && this.ring.inOpenClosed(end, this.id, last)) continue;
      if (this.random() < 0.5) {
        this.startFingerSearch(i);
        return;
      }
    }
  }

  /** Searches a peer for finger `slot`: a flagged candidate, else a Ping to a random id in range. */
  private startFingerSearch(slot: number): void {
    for (const p of this.pendingPing.values())
      if (p.purpose === 'finger' && p.slot === slot) return;
    const flagged = this.fingerFlags.get(slot);
    if (flagged !== undefined) {
      this.fingerFlags.delete(slot);
      if (!this.conns.has(flagged)) {
        this.requestAttach(flagged, 'node', 'finger');
        return;
      }
    }
    const { start, end } = this.ring.fingerRange(this.id, slot);
    this.sendFingerPing(slot, start, end, 1);
  }

  private sendFingerPing(slot: number, lo: bigint, hi: bigint, tries: number): void {
    const target = this.ring.randomInRange(lo, hi, this.random);
    this.pendingPing.set(target, {
      purpose: 'finger',
      slot,
      tries,
      deadline: this.now() + this.cfg.opTimeoutMs,
    });
    this.out.push({
      type: 'ping',
      target: this.bytesOf(target),
      viaBootstrap: false,
      purpose: 'finger',
    });
  }

  /**
   * The responsible peer of a random point r of range i answered. In range: attach to it. Past
   * the range: [r, end] holds no peer, so search [start, r−1] (decision 0354).
   */
  private fingerPingAnswered(t: bigint, r: bigint, p: { slot: number; tries: number }): void {
    const { start, end } = this.ring.fingerRange(this.id, p.slot);
    if (r !== this.id && this.ring.inClosed(r, start, end)) {
      if (this.tombstones.has(r)) return;
      const c = this.conns.get(r);
      if (c) {
        c.peer = true;
        this.recompute(false);
      } else {
        this.requestAttach(r, 'node', 'finger');
      }
      return;
    }
    if (t !== start && p.tries < MAX_FINGER_SEARCH_PINGS) {
      this.sendFingerPing(p.slot, start, this.ring.add(t, -1n), p.tries + 1);
    }
  }

  /**
   * §10.7.4.4: our Ping for n+1 through a bootstrap peer was answered by `r`; anything but our
   * successor (or ourselves) means a partition: attach to it through the bootstrap peer and
   * send it an Update (decision 0352).
   */
  private partitionPingAnswered(r: bigint, b: bigint | undefined): void {
    const expected = this.succ[0] ?? this.id;
    if (r === expected || r === this.id) return;
    if (this.conns.has(r)) {
      this.conns.get(r)!.peer = true;
      this.recompute(false);
      this.queueUpdate(r, 'neighbors');
      return;
    }
    this.requestAttach(r, 'node', 'partition', b !== undefined && b !== r ? b : undefined);
  }

  // -------------------------------------------------------------------------------------------
  // Internals: output

  private queueUpdate(id: bigint, type: ChordUpdateTypeName): void {
    const cur = this.updatesTo.get(id);
    if (cur) {
      if (UPDATE_RANK[type] > UPDATE_RANK[cur.type]) cur.type = type;
    } else this.updatesTo.set(id, { bytes: this.conns.get(id)?.bytes ?? this.bytesOf(id), type });
  }

  /** The current ChordUpdate of the given type (§10.7). */
  buildUpdate(type: ChordUpdateTypeName): ChordUpdate {
    const uptime = this.uptimeSeconds();
    if (type === 'peer_ready') return { uptime, type };
    const predecessors = this.predecessors();
    const successors = this.successors();
    if (type === 'neighbors') return { uptime, type, predecessors, successors };
    const fs = new Set<bigint>();
    for (const f of this.fingerTable) if (f !== undefined) fs.add(f);
    const fingers = [...fs].sort(cmpBig).map((x) => this.bytesOf(x));
    return { uptime, type, predecessors, successors, fingers };
  }

  /** The @reload/wire codecs for this overlay's NodeId length (§10.7, §10.8, §10.9). */
  get codecs(): {
    update: Codec<ChordUpdate>;
    leaveData: Codec<ChordLeaveData>;
    routeQueryAns: Codec<ChordRouteQueryAns>;
  } {
    this.codecCache ??= {
      update: chordUpdateCodec(this.ring.bytes),
      leaveData: chordLeaveDataCodec(this.ring.bytes),
      routeQueryAns: chordRouteQueryAnsCodec(this.ring.bytes),
    };
    return this.codecCache;
  }

  /** Encodes a ChordUpdate as an UpdateReq body (§10.7). */
  encodeUpdate(update: ChordUpdate): Uint8Array {
    return encodeToBytes(this.codecs.update, update);
  }

  /**
   * Decodes an UpdateReq body (§10.7).
   * @throws ReloadError(Error_Invalid_Message) when malformed.
   */
  decodeUpdate(body: Uint8Array): ChordUpdate {
    return decodeExact(this.codecs.update, body, 0, body.length, 'ChordUpdate');
  }

  /** Encodes ChordLeaveData as a LeaveReq overlay_specific_data (§10.9). */
  encodeLeaveData(data: ChordLeaveData): Uint8Array {
    return encodeToBytes(this.codecs.leaveData, data);
  }

  /**
   * Decodes a LeaveReq overlay_specific_data (§10.9).
   * @throws ReloadError(Error_Invalid_Message) when malformed.
   */
  decodeLeaveData(data: Uint8Array): ChordLeaveData {
    return decodeExact(this.codecs.leaveData, data, 0, data.length, 'ChordLeaveData');
  }

  private flush(): ChordAction[] {
    if (this.stateValue !== 'left') {
      for (const [, u] of this.updatesTo) {
        this.out.push({ type: 'update', to: u.bytes, update: this.buildUpdate(u.type) });
      }
    }
    this.updatesTo.clear();
    const at = this.nextTickAt();
    if (at !== undefined && at !== this.lastSchedule) {
      this.out.push({ type: 'schedule', at });
    }
    this.lastSchedule = at;
    const out = this.out;
    this.out = [];
    return out;
  }

  private jitter(ms: number): number {
    // §10.7.4.1: "randomly offset these Update requests so they do not occur all at once".
    return ms * (0.75 + 0.5 * this.random());
  }

  private bigList(list: NodeIdBytes[] | undefined, field: string): bigint[] {
    if (list === undefined) return [];
    return list.map((b) => this.ring.toBig(b, field));
  }

  private bytesOf(x: bigint): Uint8Array {
    return this.conns.get(x)?.bytes ?? this.ring.toBytes(x);
  }
}

/** Coalescing order of Update types: one Update per peer per event, the richest wins. */
const UPDATE_RANK: Record<ChordUpdateTypeName, number> = { peer_ready: 1, neighbors: 2, full: 3 };

function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sameList(a: bigint[], b: bigint[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
