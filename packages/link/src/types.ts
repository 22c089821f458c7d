/**
 * The link-layer contract (RFC 6940 §6.6): a {@link Link} carries whole RELOAD messages to one
 * authenticated neighbour; a {@link LinkTransport} connects to addresses and listens for
 * incoming links. Every link protocol (TLS-TCP-FH-NO-ICE now; DTLS-UDP-SR and ICE later; the
 * in-memory link for tests) implements these interfaces, so nothing above the link changes
 * when a protocol is added.
 */
import type { EventEmitter } from 'node:events';
import type { OverlayLinkTypeCode } from './constants.js';
import type { RttStats } from './rto.js';

/** A transport address: IP literal (or a virtual name on the memory network) and port. */
export interface LinkAddress {
  readonly host: string;
  readonly port: number;
}

/** Formats an address as `host:port` (`[v6]:port` for IPv6 literals). */
export function formatAddress(a: LinkAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/**
 * Minimal pino-compatible logger (`logger.warn({ obj }, 'message')`). A pino instance or a
 * child logger fits as is.
 */
export interface LinkLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** A logger that drops everything. */
export const silentLogger: LinkLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

/**
 * What the peer's certificate proves (§4.1): its Node-IDs (from the `reload:` URIs of the
 * subjectAltName), and the chain it presented.
 */
export interface PeerIdentity {
  /** Node-IDs the certificate entitles the peer to use (16–20 bytes each). */
  readonly nodeIds: readonly Uint8Array[];
  /** The chain as presented, DER, leaf first. */
  readonly chain: readonly Uint8Array[];
}

/** Context given to a {@link PeerVerifier}. */
export interface PeerVerifyContext {
  /** Our role in the handshake: `client` verifies a server, `server` verifies a client. */
  readonly role: 'client' | 'server';
  /** Where the peer connects from / we connected to. */
  readonly remoteAddress: LinkAddress;
  /** Node-ID the connecting side expects to reach (from the Attach), when known. */
  readonly expectedNodeId?: Uint8Array;
}

/**
 * Verifies the certificate chain a peer presented (DER, leaf first; empty when the peer sent
 * none) against the overlay's trust anchors, validity, bad-node list and self-signed policy,
 * and returns the Node-IDs of the leaf. Throws a ReloadError whose string `code` names the
 * refusal (`NO_PEER_CERT`, `CERT_UNTRUSTED`, `CERT_EXPIRED`, `BAD_NODE`,
 * `SELF_SIGNED_NOT_PERMITTED`, `NODE_ID_MISMATCH`, …). May be asynchronous.
 *
 * The link itself additionally refuses a peer whose Node-IDs do not contain the
 * `expectedNodeId` of an outgoing connection.
 */
export type PeerVerifier = (
  chain: readonly Uint8Array[],
  context: PeerVerifyContext,
) =>
  | { readonly nodeIds: readonly Uint8Array[] }
  | Promise<{ readonly nodeIds: readonly Uint8Array[] }>;

/** Why a link closed. */
export type LinkCloseReason =
  /** `close()` was called on this side. */
  | 'LOCAL_CLOSE'
  /** The peer closed the connection. */
  | 'REMOTE_CLOSE'
  /** RTO expired and no ACK came back within the retention period (§6.6.5). */
  | 'LINK_FAILED'
  /** The peer sent bytes that are not a valid frame stream (§6.6.2). */
  | 'FRAMING_ERROR'
  /** The underlying connection failed (reset, TLS alert, …). */
  | 'TRANSPORT_ERROR';

/** Payload of a link's `close` event. */
export interface LinkCloseInfo {
  readonly reason: LinkCloseReason;
  /** Human-readable detail. */
  readonly message: string;
  /** The error behind `FRAMING_ERROR` / `TRANSPORT_ERROR`, if any. */
  readonly error?: Error;
}

/** Payload of a link's `failed` event: the RTO timer expired without an ACK (§6.6.5). */
export interface LinkFailureInfo {
  /** RTO that expired, ms. */
  readonly rtoMs: number;
  /** Data frames sent and not yet acknowledged. */
  readonly unacknowledged: number;
  /** How long the link is retained before it is closed as `LINK_FAILED`, ms. */
  readonly retentionMs: number;
}

/**
 * Payload of a link's `messageTooLarge` event: the peer sent a message over
 * `max-message-size` (§6.6). The link discarded it and stays usable; the overlay should answer
 * Error_Message_Too_Large (built from the forwarding header in `prefix`) and then close the
 * link, or close it at once when the forwarding header does not fit in `prefix`.
 */
export interface OversizeInfo {
  /** Framing sequence number of the discarded frame. */
  readonly sequence: number;
  /** Declared length of the message, bytes. */
  readonly length: number;
  /** First `maxMessageSize` bytes of the message (a copy). */
  readonly prefix: Uint8Array;
  /** The limit it exceeded, bytes. */
  readonly maxMessageSize: number;
}

/** Events of a {@link Link}. */
export interface LinkEvents {
  /**
   * One whole RELOAD message, in the order sent. The bytes may be a view of a receive buffer:
   * copy what you keep beyond the handler.
   */
  message: [message: Uint8Array];
  /** Buffered bytes fell below the high-water mark after `send()` returned false. */
  drain: [];
  /** The RTO expired: remove the link from the routing table (§6.6, §6.6.5). */
  failed: [info: LinkFailureInfo];
  /** ACKs resumed on a failed link before it was closed: it may be used again. */
  restored: [];
  /** A message over `max-message-size` arrived and was discarded (§6.6). */
  messageTooLarge: [info: OversizeInfo];
  /** The link closed (emitted exactly once). */
  close: [info: LinkCloseInfo];
}

/** State of a link: `failed` links are still open but should not be routed through. */
export type LinkState = 'open' | 'failed' | 'closed';

/**
 * One overlay link to one neighbour (§6.6): whole RELOAD messages in, whole messages out,
 * in order, over an authenticated, encrypted association.
 */
export interface Link extends EventEmitter<LinkEvents> {
  /** Process-unique id, for logs. */
  readonly id: string;
  /** OverlayLinkType of this link (§6.5.1.1). */
  readonly type: OverlayLinkTypeCode;
  /** Implementation name: `tls`, `memory`, … */
  readonly protocol: string;
  /** True on the side that opened the connection. */
  readonly initiator: boolean;
  /** Node-IDs proven by the peer's certificate (§4.1). */
  readonly remoteNodeIds: readonly Uint8Array[];
  /** The peer's certificate chain, DER, leaf first (empty on unauthenticated test links). */
  readonly remoteChain: readonly Uint8Array[];
  /** The peer's transport address. */
  readonly remoteAddress: LinkAddress;
  /** Our transport address on this link. */
  readonly localAddress: LinkAddress;
  /** Largest message `send()` accepts and the peer may send us, bytes (max-message-size). */
  readonly maxMessageSize: number;
  /** Current state. */
  readonly state: LinkState;
  /** Bytes accepted by `send()` and not yet handed to the operating system. */
  readonly bufferedBytes: number;
  /** Resolves with the close info when the link closes. */
  readonly closed: Promise<LinkCloseInfo>;
  /** RTT / RTO measured with the framing header (§6.6.2, RFC 6298). */
  rtt(): RttStats;
  /**
   * Sends one whole RELOAD message (a forwarding header first). Do not modify `message`
   * until the current tick ends. Returns false when the buffered bytes exceed the high-water
   * mark: wait for `drain` before sending more (backpressure).
   * @throws ReloadError(Error_Message_Too_Large) when `message` exceeds `maxMessageSize`
   *   (the link stays open); ReloadError('LINK_CLOSED') after close.
   */
  send(message: Uint8Array): boolean;
  /** Stops delivering messages (and reading from the network) until `resume()`. */
  pause(): void;
  /** Resumes delivery after `pause()`. */
  resume(): void;
  /** Closes the link gracefully after flushing what was sent; idempotent. */
  close(): void;
}

/** Options of {@link LinkTransport.connect}. */
export interface ConnectOptions {
  /** Node-ID the peer must prove; the link is refused with `NODE_ID_MISMATCH` otherwise. */
  readonly expectedNodeId?: Uint8Array;
}

/** Why an incoming or outgoing link was refused. */
export interface LinkRefusal {
  /** Stable code: `NO_PEER_CERT`, `CERT_UNTRUSTED`, `CERT_EXPIRED`, `BAD_NODE`, … */
  readonly code: string;
  readonly message: string;
  readonly remoteAddress: LinkAddress;
  readonly role: 'client' | 'server';
  readonly error: Error;
}

/** Events of a {@link LinkListener}. */
export interface ListenerEvents {
  /** A peer connected and was authenticated. */
  link: [link: Link];
  /** A peer was refused (also logged at `warn`). */
  refused: [refusal: LinkRefusal];
}

/** A listening endpoint that accepts many links. */
export interface LinkListener extends EventEmitter<ListenerEvents> {
  /** The bound address (port resolved when 0 was asked). */
  readonly address: LinkAddress;
  /** Stops accepting; established links stay open. */
  close(): Promise<void>;
}

/**
 * A link protocol: dials and listens. One instance per local node identity.
 */
export interface LinkTransport {
  /** OverlayLinkType of the links it makes. */
  readonly type: OverlayLinkTypeCode;
  /** Implementation name (`tls`, `memory`). */
  readonly protocol: string;
  /** Starts listening at `address` (port 0 picks a free port). */
  listen(address: LinkAddress): Promise<LinkListener>;
  /**
   * Connects to `address` and authenticates the peer.
   * @throws ReloadError with a refusal code (`CERT_UNTRUSTED`, `NODE_ID_MISMATCH`, …) or
   *   `LINK_CONNECT_FAILED` / `LINK_HANDSHAKE_TIMEOUT`.
   */
  connect(address: LinkAddress, options?: ConnectOptions): Promise<Link>;
}
