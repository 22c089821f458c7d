/**
 * The RELOAD message transport (RFC 6940 §6.1–§6.3, §6.7): receives whole messages and
 * fragments from links, routes them by destination list (symmetric recursive routing, §6.2),
 * verifies and dispatches those addressed to this node, originates signed requests with
 * end-to-end retransmission, and answers duplicates from a response cache.
 *
 * It knows nothing of sockets or Chord: the peer gives it a {@link RoutingTable} and a way to
 * send bytes to a connected neighbour.
 */
import { randomBytes } from 'node:crypto';
import {
  type Credentials,
  type TrustStore,
  type VerifiedSigner,
  nodeIdToHex,
  signSecurityBlock,
  verifySecurityBlock,
} from '@reload/security';
import {
  CONFIG_SEQUENCE_ANY,
  type DecodedMessage,
  type Destination,
  ErrorCode,
  ErrorResponseCodec,
  type ForwardingHeader,
  MessageCode,
  RELOAD_VERSION,
  ReloadError,
  Writer,
  createReassembler,
  decodeExact,
  decodeForwardingHeader,
  decodeMessage,
  encodeForwardingHeader,
  encodeMessage,
  encodeMessageContents,
  encodeToBytes,
  forwardingHeaderLength,
  fragmentInfo,
  fragmentMessage,
  isReloadError,
  isRequest,
  messageCodeName,
  newForwardingHeader,
  responseCodeFor,
  type MessageExtension,
} from '@reload/wire';
import {
  type RoutingTable,
  responseDestinationList,
  routeDestinationList,
  viaContains,
} from './routing.js';

/** Error message code (§6.3.3). */
const ERROR_CODE = 0xffff;
/** §6.2.1: a request is sent at most 5 times. */
export const MAX_TRANSMISSIONS = 5;
/** §6.2.1: responses to retransmissions must be equivalent for 15 s. */
export const REQUEST_LIFETIME_MS = 15_000;

/** Minimal pino-compatible logger. */
export interface TransportLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Timer functions; a fake clock in tests. Times in ms. */
export interface TransportClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Configuration values the transport reads on every message (§11.1). */
export interface TransportConfig {
  /** Current configuration sequence number (§6.3.2.1). */
  sequence: number;
  /** initial-ttl (default 100). */
  initialTtl: number;
  /** overlay-reliability-timer, ms (default 3000). */
  reliabilityTimerMs: number;
}

/** A request addressed to this node, verified, ready for its method handler. */
export interface IncomingRequest {
  header: ForwardingHeader;
  messageCode: number;
  /** Encoded method body (a view; copy what you keep). */
  body: Uint8Array;
  extensions: MessageExtension[];
  /** Who signed it (§6.3.4). */
  signer: VerifiedSigner;
  /** Every X.509 certificate in the SecurityBlock (for StoredData signatures, §7.1). */
  certificates: Uint8Array[];
  /** Neighbour it arrived from; undefined when this node sent it to itself. */
  previousHop?: Uint8Array;
}

/** A handler's answer: the response body (the response code is the request code + 1). */
export interface Answer {
  body: Uint8Array;
  /** Extra certificates for the SecurityBlock (e.g. signers of returned StoredData). */
  certificates?: Uint8Array[];
}

/** A verified response to a request this node originated. */
export interface IncomingResponse {
  header: ForwardingHeader;
  messageCode: number;
  body: Uint8Array;
  signer: VerifiedSigner;
  certificates: Uint8Array[];
  /** Transmissions needed (1 = answered the first time). */
  transmissions: number;
  /** Overlay hops the response travelled: initial-ttl − received ttl. */
  hops: number;
  /** Round-trip time of the transaction, ms. */
  rttMs: number;
}

/** Options of {@link MessageTransport.request}. */
export interface RequestOptions {
  /** Destination list (§6.3.2.2); a single Node-ID or Resource-ID for plain routing. */
  destinationList: Destination[];
  messageCode: number;
  body: Uint8Array;
  /** Send over the link to this neighbour whatever the routing table says (§11.4, §10.5). */
  firstHop?: Uint8Array;
  /** §6.3.4 check 1: the response must be signed by this Node-ID. */
  expectedResponder?: Uint8Array;
  /** Extra certificates for the SecurityBlock (e.g. signers of StoredData). */
  certificates?: Uint8Array[];
  /** ForwardingHeader.max_response_length (0 = no limit). */
  maxResponseLength?: number;
  /** Overrides the configured reliability timer, ms. */
  timeoutMs?: number;
  /** Total transmissions (default 5). */
  transmissions?: number;
  /** Overrides the configuration sequence (ConfigUpdate may use 65535, §6.3.2.1). */
  configurationSequence?: number;
}

/** Options of {@link createMessageTransport}. */
export interface TransportOptions {
  /** Overlay name; its hash goes in ForwardingHeader.overlay (§6.3.2). */
  overlayHash: number;
  nodeId: Uint8Array;
  nodeIdLength: number;
  credentials: Credentials;
  trust: TrustStore;
  routing: RoutingTable;
  /** Sends one message or fragment to a connected neighbour; false when there is no link. */
  sendToNeighbor(nodeId: Uint8Array, bytes: Uint8Array): boolean;
  /** max-message-size of the link to `nodeId` (bytes): larger messages are fragmented. */
  maxMessageSize(nodeId: Uint8Array): number;
  config(): TransportConfig;
  clock: TransportClock;
  logger: TransportLogger;
  /** Handles a verified request addressed to this node; throw ReloadError(numeric) to answer an error. */
  onRequest(req: IncomingRequest): Promise<Answer>;
  /** Called when a request carried an older configuration sequence (§6.3.2.1: send ConfigUpdate). */
  onConfigTooOld?(requester: Uint8Array): void;
  /** Message extension types this node understands (§6.3.3). */
  knownExtensions?: ReadonlySet<number>;
  /** Forwarding option types this node understands (§6.3.2.3). */
  knownForwardingOptions?: ReadonlySet<number>;
  /** Largest message reassembled from fragments, bytes (default 1 MiB, §6.7). */
  maxReassembledBytes?: number;
  /**
   * List compression (§6.1.2, §6.1.3): when a request this node forwards would leave with a Via
   * List of at least this many entries, the list is replaced by one 16-bit compressed id
   * (§6.3.2.2) that this node expands back when the response passes on its way home.
   * 0 = never compress; default {@link VIA_LIST_COMPRESSION_AT}.
   */
  viaListCompressionAt?: number;
}

/** Default Via List length (entries) from which forwarded requests carry a compressed id. */
export const VIA_LIST_COMPRESSION_AT = 4;

/** Counters of what the transport did, for `status` and tests. */
export interface TransportStats {
  received: number;
  delivered: number;
  forwarded: number;
  dropped: number;
  sent: number;
  retransmissions: number;
  errorsSent: number;
  duplicates: number;
  /** Via Lists this node replaced with a compressed id (§6.1.2). */
  viaListsCompressed: number;
  /** Compressed ids expanded back into a Destination List (§6.1.3). */
  viaListsExpanded: number;
  /** Drop counts by reason. */
  dropReasons: Record<string, number>;
}

interface Pending {
  opts: RequestOptions;
  bytes: Uint8Array;
  header: ForwardingHeader;
  transmissions: number;
  started: number;
  timer: unknown;
  resolve(r: IncomingResponse): void;
  reject(e: Error): void;
}

interface CachedAnswer {
  at: number;
  code: number;
  body: Uint8Array;
  certificates?: Uint8Array[];
}

/** The transport; see {@link createMessageTransport}. */
export interface MessageTransport {
  /** Feeds one message or fragment received from connected neighbour `from`. Never throws. */
  receive(from: Uint8Array, bytes: Uint8Array): void;
  /**
   * Originates a signed request and resolves with the verified response.
   * @throws ReloadError with the RFC error code of an error response, or
   *   ErrorCode.RequestTimeout after the last transmission timed out, or 'NO_ROUTE'.
   */
  request(opts: RequestOptions): Promise<IncomingResponse>;
  /** Rejects every outstanding request with 'TRANSPORT_CLOSED' and stops timers. */
  close(): void;
  /** Drops expired cache and reassembly entries (called by the peer's housekeeping timer). */
  housekeeping(): void;
  readonly stats: TransportStats;
}

function key(id: Uint8Array): string {
  return nodeIdToHex(id);
}

/** Creates a {@link MessageTransport}. */
export function createMessageTransport(o: TransportOptions): MessageTransport {
  const wire = { nodeIdLength: o.nodeIdLength };
  const pending = new Map<bigint, Pending>();
  const answered = new Map<string, CachedAnswer>();
  const inProgress = new Set<string>();
  // §6.7: bounded reassembly buffers (a message may be 1 MiB, 256 in progress at most).
  const reassembler = createReassembler({
    now: () => o.clock.now(),
    nodeIdLength: o.nodeIdLength,
    maxMessageSize: o.maxReassembledBytes ?? 1 << 20,
    maxPending: 256,
  });
  const stats: TransportStats = {
    received: 0,
    delivered: 0,
    forwarded: 0,
    dropped: 0,
    sent: 0,
    retransmissions: 0,
    errorsSent: 0,
    duplicates: 0,
    viaListsCompressed: 0,
    viaListsExpanded: 0,
    dropReasons: {},
  };
  /**
   * §6.1.2 list compression state: compressed id (0x8000–0xffff) → the Destination List the
   * response continues with, i.e. reverse(Via List ‖ previous hop), and when it may be dropped.
   * Kept for three overlay-reliability-timer periods (the RFC's minimum is one); bounded by the
   * 32768 ids of the 16-bit form (when all are in use, requests go uncompressed).
   */
  const viaStates = new Map<number, { list: Destination[]; expires: number }>();
  let nextViaId = randomBytes(2).readUInt16BE(0) & 0x7fff;
  const compressAt = o.viaListCompressionAt ?? VIA_LIST_COMPRESSION_AT;

  function compressVia(via: Destination[]): Destination[] {
    if (compressAt <= 0 || via.length < compressAt || viaStates.size >= 0x8000) return via;
    let id: number;
    do {
      id = 0x8000 | nextViaId;
      nextViaId = (nextViaId + 1) & 0x7fff;
    } while (viaStates.has(id));
    viaStates.set(id, {
      list: via.slice().reverse(),
      expires: o.clock.now() + 3 * o.config().reliabilityTimerMs,
    });
    stats.viaListsCompressed++;
    return [{ kind: 'compressed', id }];
  }

  /** §6.1.3: an opaque id this node made stands for the rest of the response's route. */
  function expandOpaque(d: Destination): Destination[] | undefined {
    if (d.kind !== 'compressed') return undefined; // we only generate the 16-bit form
    const state = viaStates.get(d.id);
    if (!state) return undefined;
    stats.viaListsExpanded++;
    return state.list;
  }
  let closed = false;

  function drop(reason: string, detail: object = {}): void {
    stats.dropped++;
    stats.dropReasons[reason] = (stats.dropReasons[reason] ?? 0) + 1;
    o.logger.debug({ reason, ...detail }, 'message dropped');
  }

  /** Re-encodes `bytes` with a new forwarding header, keeping everything after the old one. */
  function rewrite(
    bytes: Uint8Array,
    oldHeaderLength: number,
    header: ForwardingHeader,
  ): Uint8Array {
    const rest = bytes.subarray(oldHeaderLength);
    const newHeaderLength = forwardingHeaderLength(header);
    const out = new Uint8Array(newHeaderLength + rest.length);
    encodeForwardingHeader(header, new Writer(out), wire, out.length);
    out.set(rest, newHeaderLength);
    return out;
  }

  /** Sends bytes towards `to`, fragmenting to the link's max-message-size (§6.7). */
  function sendBytes(to: Uint8Array, bytes: Uint8Array): boolean {
    const max = o.maxMessageSize(to);
    const parts = bytes.length > max ? fragmentMessage(bytes, max, wire) : [bytes];
    for (const p of parts) {
      if (!o.sendToNeighbor(to, p)) return false;
    }
    stats.sent++;
    return true;
  }

  function build(
    header: ForwardingHeader,
    messageCode: number,
    body: Uint8Array,
    certificates?: Uint8Array[],
  ): Uint8Array {
    const messageContents = { messageCode, messageBody: body, extensions: [] };
    const contentsBytes = encodeMessageContents(messageContents);
    const securityBlock = signSecurityBlock({
      overlay: o.overlayHash,
      transactionId: header.transactionId,
      messageContents: contentsBytes,
      credentials: o.credentials,
      nodeId: o.nodeId,
      ...(certificates ? { certificates } : {}),
    });
    return encodeMessage({ forwardingHeader: header, messageContents, securityBlock }, wire);
  }

  /** Routes a message this node built (request or response) from its own position. */
  function dispatchOwn(
    bytes: Uint8Array,
    header: ForwardingHeader,
    firstHop?: Uint8Array,
  ): boolean {
    if (firstHop) return sendBytes(firstHop, bytes);
    const decision = routeDestinationList(header.destinationList, o.routing, expandOpaque);
    if (decision.action === 'deliver') {
      // Addressed to ourselves (e.g. a Store to a Resource-ID we are responsible for).
      queueMicrotask(() => deliver(bytes, undefined));
      return true;
    }
    if (decision.action === 'forward') {
      const h = { ...header, destinationList: decision.destinationList };
      const out =
        decision.destinationList === header.destinationList ? bytes : rewriteHeader(bytes, h);
      return sendBytes(decision.to, out);
    }
    return false;
  }

  function rewriteHeader(bytes: Uint8Array, header: ForwardingHeader): Uint8Array {
    const { headerLength } = decodeForwardingHeader(bytes, wire);
    return rewrite(bytes, headerLength, header);
  }

  function sendError(
    request: ForwardingHeader,
    previousHop: Uint8Array | undefined,
    code: number,
    info: string | Uint8Array,
  ): void {
    const errorInfo =
      typeof info === 'string' ? new TextEncoder().encode(info.slice(0, 1000)) : info;
    const body = encodeToBytes(ErrorResponseCodec, { errorCode: code, errorInfo });
    stats.errorsSent++;
    sendResponse(request, previousHop, ERROR_CODE, body);
  }

  function sendResponse(
    request: ForwardingHeader,
    previousHop: Uint8Array | undefined,
    code: number,
    body: Uint8Array,
    certificates?: Uint8Array[],
  ): void {
    const destinationList = responseDestinationList(request, previousHop);
    const cfg = o.config();
    const header = newForwardingHeader({
      overlay: o.overlayHash,
      transactionId: request.transactionId,
      destinationList,
      configurationSequence: cfg.sequence,
      ttl: cfg.initialTtl,
    });
    let bytes = build(header, code, body, certificates);
    if (
      request.maxResponseLength > 0 &&
      bytes.length > request.maxResponseLength &&
      code !== ERROR_CODE
    ) {
      // §6.3.2: a response over max_response_length becomes Error_Incompatible_with_Overlay.
      const errBody = encodeToBytes(ErrorResponseCodec, {
        errorCode: ErrorCode.IncompatibleWithOverlay,
        errorInfo: new TextEncoder().encode(
          `response of ${bytes.length} bytes exceeds max_response_length ${request.maxResponseLength}`,
        ),
      });
      bytes = build(header, ERROR_CODE, errBody);
    }
    if (destinationList.length === 0) {
      // Response to a request this node sent to itself.
      queueMicrotask(() => deliver(bytes, undefined));
      return;
    }
    if (!dispatchOwn(bytes, header)) drop('no route for response', { tx: request.transactionId });
  }

  function receive(from: Uint8Array, bytes: Uint8Array): void {
    stats.received++;
    try {
      receiveUnsafe(from, bytes);
    } catch (e) {
      // Nothing from the network may crash the peer (house style §5).
      drop(isReloadError(e) ? `invalid: ${e.field ?? e.codeName}` : 'internal error', {
        error: e instanceof Error ? e.message : String(e),
      });
    }
  }

  function receiveUnsafe(from: Uint8Array, bytes: Uint8Array): void {
    let view;
    try {
      view = decodeForwardingHeader(bytes, wire);
    } catch (e) {
      drop('malformed forwarding header', { error: (e as Error).message });
      return;
    }
    const { header, headerLength } = view;
    if (header.overlay !== o.overlayHash) return drop('wrong overlay hash');
    if (header.version !== RELOAD_VERSION) return drop('wrong version');
    const cfg = o.config();
    for (const opt of header.options) {
      if (!o.knownForwardingOptions?.has(opt.type) && opt.flags & 0x01) {
        // FORWARD_CRITICAL (§6.3.2.3): any node that does not understand it rejects.
        return rejectRequest(
          header,
          from,
          bytes,
          ErrorCode.UnsupportedForwardingOption,
          `forwarding option ${opt.type} not understood`,
        );
      }
    }
    if (header.ttl > cfg.initialTtl) {
      // §6.3.2: a TTL above initial-ttl is discarded with Error_TTL_Exceeded.
      return rejectRequest(
        header,
        from,
        bytes,
        ErrorCode.TtlExceeded,
        `ttl ${header.ttl} > ${cfg.initialTtl}`,
      );
    }
    const decision = routeDestinationList(header.destinationList, o.routing, expandOpaque);
    if (decision.action === 'drop') return drop(decision.reason);
    if (decision.action === 'deliver') {
      for (const opt of header.options) {
        if (!o.knownForwardingOptions?.has(opt.type) && opt.flags & 0x02) {
          return rejectRequest(
            header,
            from,
            bytes,
            ErrorCode.UnsupportedForwardingOption,
            `forwarding option ${opt.type} not understood`,
          );
        }
      }
      const assembled = reassembler.add(bytes);
      if (assembled.status === 'dropped') return drop(`reassembly: ${assembled.reason}`);
      if (assembled.status === 'pending') return;
      deliver(assembled.message, from);
      return;
    }
    // Forward (§6.1.2).
    if (header.ttl === 0) {
      return rejectRequest(header, from, bytes, ErrorCode.TtlExceeded, 'ttl exhausted');
    }
    const requestish = !fragmentInfo(header.fragment).whole || isRequestBytes(bytes, headerLength);
    if (requestish && viaContains(header.viaList, o.nodeId)) return drop('routing loop');
    const next: ForwardingHeader = {
      ...header,
      ttl: header.ttl - 1,
      destinationList: decision.destinationList,
      viaList: requestish
        ? compressVia([...header.viaList, { kind: 'node', nodeId: from }])
        : header.viaList,
    };
    const out = rewrite(bytes, headerLength, next);
    if (!sendBytes(decision.to, out)) return drop('next hop link gone');
    stats.forwarded++;
  }

  /** Whether an unfragmented message is a request, from its message_code (after the header). */
  function isRequestBytes(bytes: Uint8Array, headerLength: number): boolean {
    if (bytes.length < headerLength + 2) return false;
    const code = (bytes[headerLength] << 8) | bytes[headerLength + 1];
    return isRequest(code);
  }

  /** Answers an error to a request that cannot be processed or forwarded; drops anything else. */
  function rejectRequest(
    header: ForwardingHeader,
    from: Uint8Array,
    bytes: Uint8Array,
    code: number,
    why: string,
  ): void {
    drop(why);
    const { headerLength } = decodeForwardingHeader(bytes, wire);
    if (fragmentInfo(header.fragment).whole && isRequestBytes(bytes, headerLength)) {
      const fixed = { ...header, ttl: 0 };
      sendError(fixed, from, code, why);
    }
  }

  function deliver(bytes: Uint8Array, from: Uint8Array | undefined): void {
    let msg: DecodedMessage;
    try {
      msg = decodeMessage(bytes, wire);
    } catch (e) {
      drop('malformed message', { error: (e as Error).message });
      // An answer needs a parseable header; the forwarding header decoded already.
      try {
        const { header, headerLength } = decodeForwardingHeader(bytes, wire);
        if (isRequestBytes(bytes, headerLength)) {
          sendError(header, from, ErrorCode.InvalidMessage, (e as Error).message);
        }
      } catch {
        /* nothing to answer */
      }
      return;
    }
    const h = msg.forwardingHeader;
    const certificates = msg.securityBlock.certificates
      .filter((c) => c.type === 0)
      .map((c) => c.certificate.slice());
    let signer: VerifiedSigner;
    try {
      signer = verifySecurityBlock({
        overlay: o.overlayHash,
        transactionId: h.transactionId,
        messageContents: msg.contentsBytes,
        securityBlock: msg.securityBlock,
        trust: o.trust,
      });
    } catch (e) {
      // §6.3.4: if the signature fails, drop the message and do not process it.
      drop('signature check failed', { error: (e as Error).message });
      return;
    }
    stats.delivered++;
    const code = msg.messageContents.messageCode;
    if (isRequest(code)) {
      void handleRequest(msg, signer, certificates, from);
    } else {
      handleResponse(msg, signer, certificates);
    }
  }

  async function handleRequest(
    msg: DecodedMessage,
    signer: VerifiedSigner,
    certificates: Uint8Array[],
    from: Uint8Array | undefined,
  ): Promise<void> {
    const h = msg.forwardingHeader;
    const code = msg.messageContents.messageCode;
    const cfg = o.config();
    // §6.3.2.1: configuration sequence numbers must match (ConfigUpdate with 65535 excepted).
    const seq = h.configurationSequence;
    if (
      !(seq === CONFIG_SEQUENCE_ANY && code === MessageCode.config_update_req) &&
      seq !== cfg.sequence
    ) {
      const theirsOlder = (cfg.sequence - seq + 65535) % 65535 < 32768;
      if (theirsOlder) {
        sendError(
          h,
          from,
          ErrorCode.ConfigTooOld,
          `configuration sequence ${seq} < ${cfg.sequence}`,
        );
        if (signer.nodeId) o.onConfigTooOld?.(signer.nodeId);
      } else {
        sendError(
          h,
          from,
          ErrorCode.ConfigTooNew,
          `configuration sequence ${seq} > ${cfg.sequence}`,
        );
      }
      return;
    }
    for (const ext of msg.messageContents.extensions) {
      if (ext.critical && !o.knownExtensions?.has(ext.type)) {
        sendError(h, from, ErrorCode.UnknownExtension, `extension ${ext.type} not understood`);
        return;
      }
    }
    // §6.2.1: equivalent answers to retransmissions within the request lifetime.
    const txKey = `${h.transactionId.toString(16)}/${signer.nodeId ? key(signer.nodeId) : ''}`;
    const cached = answered.get(txKey);
    if (cached) {
      stats.duplicates++;
      sendResponse(h, from, cached.code, cached.body, cached.certificates);
      return;
    }
    if (inProgress.has(txKey)) {
      stats.duplicates++;
      return;
    }
    inProgress.add(txKey);
    try {
      const answer = await o.onRequest({
        header: h,
        messageCode: code,
        body: msg.messageContents.messageBody.slice(),
        extensions: msg.messageContents.extensions,
        signer,
        certificates,
        ...(from ? { previousHop: from } : {}),
      });
      const responseCode = responseCodeFor(code);
      answered.set(txKey, {
        at: o.clock.now(),
        code: responseCode,
        body: answer.body,
        ...(answer.certificates ? { certificates: answer.certificates } : {}),
      });
      sendResponse(h, from, responseCode, answer.body, answer.certificates);
    } catch (e) {
      if (isReloadError(e) && typeof e.code === 'number') {
        const info = e.info ?? new TextEncoder().encode(e.message);
        const errBody = encodeToBytes(ErrorResponseCodec, {
          errorCode: e.code,
          errorInfo: info.slice(0, 65535),
        });
        answered.set(txKey, { at: o.clock.now(), code: ERROR_CODE, body: errBody });
        stats.errorsSent++;
        sendResponse(h, from, ERROR_CODE, errBody);
      } else {
        o.logger.warn(
          { method: messageCodeName(code), error: e instanceof Error ? e.message : String(e) },
          'request handler failed',
        );
        sendError(h, from, ErrorCode.InvalidMessage, 'internal error while processing the request');
      }
    } finally {
      inProgress.delete(txKey);
    }
  }

  function handleResponse(
    msg: DecodedMessage,
    signer: VerifiedSigner,
    certificates: Uint8Array[],
  ): void {
    const h = msg.forwardingHeader;
    const p = pending.get(h.transactionId);
    if (!p) return drop('response to unknown transaction');
    // §6.3.4 check 1: a response to a request sent to a Node-ID comes from that Node-ID.
    if (
      p.opts.expectedResponder &&
      !(signer.nodeId && key(signer.nodeId) === key(p.opts.expectedResponder))
    ) {
      return drop('response from unexpected node');
    }
    pending.delete(h.transactionId);
    o.clock.clearTimeout(p.timer);
    const code = msg.messageContents.messageCode;
    if (code === ERROR_CODE) {
      let errCode: number = ErrorCode.InvalidMessage;
      let info = new Uint8Array(0);
      try {
        const er = decodeExact(ErrorResponseCodec, msg.messageContents.messageBody);
        errCode = er.errorCode;
        info = er.errorInfo.slice();
      } catch {
        /* malformed error body: report Invalid_Message */
      }
      const text = new TextDecoder().decode(info);
      p.reject(
        new ReloadError(
          errCode,
          `${messageCodeName(p.opts.messageCode)} failed: ${text || 'error'}`,
          {
            info,
          },
        ),
      );
      return;
    }
    if (code !== responseCodeFor(p.opts.messageCode)) {
      p.reject(new ReloadError(ErrorCode.InvalidMessage, `unexpected response code ${code}`));
      return;
    }
    p.resolve({
      header: h,
      messageCode: code,
      body: msg.messageContents.messageBody.slice(),
      signer,
      certificates,
      transmissions: p.transmissions,
      hops: Math.max(0, o.config().initialTtl - h.ttl),
      rttMs: o.clock.now() - p.started,
    });
  }

  function transmit(p: Pending): void {
    const ok = dispatchOwn(p.bytes, p.header, p.opts.firstHop);
    if (!ok && p.transmissions === 1) {
      pending.delete(p.header.transactionId);
      p.reject(new ReloadError('NO_ROUTE', `no route for ${messageCodeName(p.opts.messageCode)}`));
      return;
    }
    const timeout = p.opts.timeoutMs ?? o.config().reliabilityTimerMs;
    p.timer = o.clock.setTimeout(() => {
      if (!pending.has(p.header.transactionId)) return;
      if (p.transmissions >= (p.opts.transmissions ?? MAX_TRANSMISSIONS)) {
        pending.delete(p.header.transactionId);
        p.reject(
          new ReloadError(
            ErrorCode.RequestTimeout,
            `${messageCodeName(p.opts.messageCode)}: no response after ${p.transmissions} transmissions`,
          ),
        );
        return;
      }
      p.transmissions++;
      stats.retransmissions++;
      transmit(p);
    }, timeout);
  }

  function request(opts: RequestOptions): Promise<IncomingResponse> {
    if (closed) return Promise.reject(new ReloadError('TRANSPORT_CLOSED', 'transport closed'));
    const cfg = o.config();
    const transactionId = randomBytes(8).readBigUInt64BE();
    const header = newForwardingHeader({
      overlay: o.overlayHash,
      transactionId,
      destinationList: opts.destinationList,
      configurationSequence: opts.configurationSequence ?? cfg.sequence,
      ttl: cfg.initialTtl,
      maxResponseLength: opts.maxResponseLength ?? 0,
    });
    const bytes = build(header, opts.messageCode, opts.body, opts.certificates);
    return new Promise<IncomingResponse>((resolve, reject) => {
      const p: Pending = {
        opts,
        bytes,
        header,
        transmissions: 1,
        started: o.clock.now(),
        timer: undefined,
        resolve,
        reject,
      };
      pending.set(transactionId, p);
      transmit(p);
    });
  }

  function housekeeping(): void {
    const now = o.clock.now();
    for (const [k, v] of answered) if (now - v.at > REQUEST_LIFETIME_MS) answered.delete(k);
    for (const [id, v] of viaStates) if (now > v.expires) viaStates.delete(id);
    reassembler.expire();
  }

  function close(): void {
    closed = true;
    for (const p of pending.values()) {
      o.clock.clearTimeout(p.timer);
      p.reject(new ReloadError('TRANSPORT_CLOSED', 'transport closed'));
    }
    pending.clear();
    answered.clear();
  }

  return { receive, request, close, housekeeping, stats };
}
