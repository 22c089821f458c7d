/**
 * Decoded values and the host interface of the CHORD-RELOAD state machine: the events the
 * host feeds in are methods of {@link ChordTopology}; what it must do comes back as
 * {@link ChordAction}s.
 */
import type { ChordLeaveData, ChordUpdate } from '@reload/wire';

export type { ChordLeaveData, ChordRouteQueryAns, ChordUpdate } from '@reload/wire';

/** A NodeId as bytes (big-endian, exactly the overlay's NodeId length, 16 by default). */
export type NodeIdBytes = Uint8Array;

/** The `type` of a ChordUpdate (§10.7) by its RFC name. */
export type ChordUpdateTypeName = ChordUpdate['type'];

/**
 * A clockwise arc of the circle: the ids x with x ∈ (start, end]. When `start` equals `end` the
 * arc is the whole circle (a lone peer's responsibility).
 */
export interface IdRange {
  /** Exclusive start. */
  start: NodeIdBytes;
  /** Inclusive end. */
  end: NodeIdBytes;
}

/** Why the machine asks for an Attach. */
export type AttachPurpose = 'admitting' | 'neighbor' | 'finger' | 'partition';

/**
 * What the host must do, in order. Every method of {@link ChordTopology} that takes an event
 * returns a list of these.
 *
 * - `attach`: send an AttachReq (§6.5.1). `destination` says how to address `target`: as a
 *   `node` (Destination type node) or as a `resource` (Destination type resource, routed to
 *   the responsible peer). With `via` set, source-route it: destination list [via, target]
 *   (§10.6). With `firstHop` set, send it over the link to that node whatever the routing
 *   table says (the bootstrap link of §11.4). Set `send_update` as given. Report the outcome with
 *   {@link ChordTopology.onAttachAnswered} (link to the answering peer is up) or
 *   {@link ChordTopology.onAttachFailed}, passing back the same `target`.
 * - `ping`: send a PingReq to Resource-ID `target` (routed normally, or — `viaBootstrap` — as
 *   the first hop through a bootstrap peer, §10.7.4.4). Report with
 *   {@link ChordTopology.onPingAnswered} (the responding NodeId) or `onPingFailed`.
 * - `join`: send a JoinReq (§6.4.2.1, empty overlay_specific_data) to `to`; report with
 *   `onJoinAnswered` / `onJoinFailed`.
 * - `update`: send an UpdateReq whose body is `update` (§10.7) to `to` (a connected node);
 *   report a failure of the request with `onLinkFailed(to)`.
 * - `leave`: send a LeaveReq whose overlay_specific_data is `data` (§10.9) to `to`.
 * - `transfer`: Store every value whose Resource-ID lies in `range` to `to` (§10.5 step 6,
 *   §6.4.2.3, §10.9 handover). Must be carried out before later `update` actions to `to` in the
 *   same list are sent (the JN learns that it is in the ring from that Update).
 * - `replicas`: the replica set (§10.4, next two successors) is now `replicas`; Store the data
 *   of the responsible range to each peer in `added` (§10.7.3).
 * - `ranges`: the responsible range (§10.1, (predecessor, self]) and the range whose data
 *   this peer keeps as responsible peer or replica (§10.7.3: (third predecessor, self]).
 *   Data outside `keep` may be deleted. `null` when not in the ring.
 * - `joined`: this peer is now part of the ring (§10.5 step 7).
 * - `isolated`: the last connection to a ring member is gone; the host should contact a
 *   bootstrap node again and call {@link ChordTopology.join} (§10.7.1). Until then the peer
 *   stays responsible for the whole circle.
 * - `schedule`: call {@link ChordTopology.tick} at time `at` (ms, the injected clock); replaces
 *   any earlier schedule.
 */
export type ChordAction =
  | {
      type: 'attach';
      target: NodeIdBytes;
      destination: 'node' | 'resource';
      via?: NodeIdBytes;
      firstHop?: NodeIdBytes;
      sendUpdate: boolean;
      purpose: AttachPurpose;
    }
  | {
      type: 'ping';
      target: NodeIdBytes;
      viaBootstrap: boolean;
      purpose: 'finger' | 'partition';
    }
  | { type: 'join'; to: NodeIdBytes }
  | { type: 'update'; to: NodeIdBytes; update: ChordUpdate }
  | { type: 'leave'; to: NodeIdBytes; data: ChordLeaveData }
  | { type: 'transfer'; range: IdRange; to: NodeIdBytes }
  | { type: 'replicas'; replicas: NodeIdBytes[]; added: NodeIdBytes[] }
  | { type: 'ranges'; responsible: IdRange | null; keep: IdRange | null }
  | { type: 'joined' }
  | { type: 'isolated' }
  | { type: 'schedule'; at: number };

/** The machine's life cycle. */
export type ChordState = 'idle' | 'joining' | 'joined' | 'left';

/** Answer of {@link ChordTopology.nextHop} (§10.3). */
export type NextHop =
  | { type: 'local' }
  | { type: 'forward'; nodeId: NodeIdBytes }
  /** No connection to route through (a lone peer that is not responsible, or not joined yet). */
  | { type: 'none' };

/** Result of {@link ChordTopology.onJoinReq}. */
export type JoinDecision =
  | { accept: true; actions: ChordAction[] }
  | { accept: false; errorCode: number; reason: string; actions: ChordAction[] };

/** Result of {@link ChordTopology.onRouteQuery} (§10.8). */
export interface RouteQueryResult {
  /** ChordRouteQueryAns.next_peer. */
  nextPeer: NodeIdBytes;
  /** The encoded ChordRouteQueryAns: the RouteQueryAns body to send back. */
  body: Uint8Array;
  actions: ChordAction[];
}

/**
 * Options of {@link createChordTopology}. Times are milliseconds of the injected clock.
 * Defaults follow RFC 6940 §10 and the configuration defaults of §11.1.
 */
export interface ChordOptions {
  /** This peer's NodeId (`nodeIdLength` bytes). */
  nodeId: NodeIdBytes;
  /** NodeId length in bytes, 16–20 (§11.1 `node-id-length`); default 16. */
  nodeIdLength?: number;
  /** Current time in ms (monotonic is fine); the machine never reads a real clock. */
  now: () => number;
  /** Uniform random float in [0, 1); the machine has no other source of randomness. */
  random: () => number;
  /** Successors kept (≥ 3, §10.7); default 3. */
  successors?: number;
  /** Predecessors kept (≥ 3, §10.7); default 3. */
  predecessors?: number;
  /** Minimum finger table size, 16..128 (§10.7.4.3); default 16. */
  fingerTableSize?: number;
  /** chord-update-interval in ms (§10.7.4.1); default 600 000. */
  updateIntervalMs?: number;
  /** chord-ping-interval in ms (§10.7.4.2); default 3 600 000. */
  pingIntervalMs?: number;
  /** chord-reactive (§10, §11.1): reactive recovery; default true. */
  reactive?: boolean;
  /** Successor replacement hold-down (§10.7.1); default 30 000. */
  successorHoldDownMs?: number;
  /**
   * Interval of partition detection (§10.7.4.4), ms; 0 disables it. Default: the update
   * interval (decision 0352).
   */
  partitionCheckIntervalMs?: number;
  /** Local guard for unreported Attach/Ping/Join outcomes; default 30 000. */
  operationTimeoutMs?: number;
  /** Delay before a failed join is retried; default 5 000. */
  joinRetryMs?: number;
  /** How long a failed/departed peer is ignored when others still list it; default 60 000. */
  tombstoneMs?: number;
}
