/**
 * The framing-header link engine shared by every stream-like link (TLS over TCP, the memory
 * link): RFC 6940 §6.6.2 data/ack frames with per-connection sequence numbers, RTT and RTO per
 * RFC 6298 (§6.6.5), failure detection with a retention period, max-message-size handling
 * (§6.6), batching of writes and backpressure.
 */
import { EventEmitter } from 'node:events';
import { ErrorCode, ReloadError } from '@reload/wire';
import type { LinkClock, TimerHandle } from './clock.js';
import {
  ACK_FRAME_BYTES,
  DATA_FRAME_HEADER_BYTES,
  DEFAULT_HIGH_WATER_MARK,
  FAILED_LINK_RETENTION_MS,
  MAX_FRAME_MESSAGE_BYTES,
} from './constants.js';
import type { OverlayLinkTypeCode } from './constants.js';
import { FrameDecoder, writeAckFrame, writeDataFrameHeader } from './framing.js';
import type { RtoOptions, RttStats } from './rto.js';
import { RtoEstimator } from './rto.js';
import type {
  Link,
  LinkAddress,
  LinkCloseInfo,
  LinkCloseReason,
  LinkEvents,
  LinkLogger,
  LinkState,
} from './types.js';

/**
 * The byte stream under a {@link FramedLink}. The owner wires the stream's events to
 * {@link FramedLink.receive}, {@link FramedLink.channelDrained} and
 * {@link FramedLink.channelClosed}.
 */
export interface ByteChannel {
  /** Queues bytes for sending; never refuses (backpressure is the link's job). */
  write(chunk: Uint8Array): void;
  /** Bytes queued in the channel and not yet handed to the network. */
  readonly writableLength: number;
  /** Graceful close after queued bytes are sent. */
  end(): void;
  /** Immediate close. */
  destroy(error?: Error): void;
  /** Stops reading. */
  pause(): void;
  /** Resumes reading. */
  resume(): void;
}

/** Parameters of a {@link FramedLink}. */
export interface FramedLinkInit extends RtoOptions {
  /** OverlayLinkType reported by the link. */
  type: OverlayLinkTypeCode;
  /** Implementation name (`tls`, `memory`); prefixes the link id. */
  protocol: string;
  /** True on the dialling side. */
  initiator: boolean;
  /** Node-IDs the peer proved (§4.1). */
  remoteNodeIds: readonly Uint8Array[];
  /** The peer's chain, DER, leaf first. */
  remoteChain: readonly Uint8Array[];
  /** The peer's address. */
  remoteAddress: LinkAddress;
  /** Our address on this link. */
  localAddress: LinkAddress;
  /** max-message-size, bytes (≤ 2^24-1). */
  maxMessageSize: number;
  /** Time source for RTT samples, the RTO timer and the retention timer. */
  clock: LinkClock;
  /** Where warnings (failures, framing errors, oversize messages) go. */
  logger: LinkLogger;
  /** Backpressure threshold, bytes (default 256 KiB). */
  highWaterMark?: number;
  /** Failed-link retention, ms (§6.6.5 recommends 30 000). */
  retentionMs?: number;
  /** Check relo_token / length of each received message (default true). */
  checkForwardingHeader?: boolean;
}

let linkCounter = 0;

/** Serial-number "a ≤ b" for uint32 sequence numbers (wrap-around safe). */
function seqLe(a: number, b: number): boolean {
  return (b - a) >>> 0 < 0x80000000;
}

/**
 * A {@link Link} over a {@link ByteChannel} using the §6.6.2 framing header. Created by the
 * TLS and memory transports; not normally constructed directly.
 */
export class FramedLink extends EventEmitter<LinkEvents> implements Link {
  readonly id: string;
  readonly type: OverlayLinkTypeCode;
  readonly protocol: string;
  readonly initiator: boolean;
  readonly remoteNodeIds: readonly Uint8Array[];
  readonly remoteChain: readonly Uint8Array[];
  readonly remoteAddress: LinkAddress;
  readonly localAddress: LinkAddress;
  readonly maxMessageSize: number;
  readonly closed: Promise<LinkCloseInfo>;

  private readonly channel: ByteChannel;
  private readonly clock: LinkClock;
  private readonly log: LinkLogger;
  private readonly hwm: number;
  private readonly retentionMs: number;
  private readonly decoder: FrameDecoder;
  private readonly rto: RtoEstimator;
  private resolveClosed!: (info: LinkCloseInfo) => void;
  private closeInfo: LinkCloseInfo | undefined;
  private failedState = false;

  // Send side.
  private nextSeq = 0;
  private out: Uint8Array[] = [];
  private outBytes = 0;
  private flushQueued = false;
  private needDrain = false;
  /** Unacknowledged data frames: sequence numbers and send times, oldest first. */
  private unackedSeq: number[] = [];
  private unackedAt: number[] = [];
  private unackedHead = 0;
  private rtoTimer: TimerHandle | undefined;
  private retentionTimer: TimerHandle | undefined;

  // Receive side: the 32 most recent sequence numbers received (§6.6.2), as a ring.
  private readonly recent = new Uint32Array(32);
  private recentCount = 0;
  private recentPos = 0;
  private ackPending = false;
  private ackSeq = 0;
  private unackedReceived = 0;

  constructor(channel: ByteChannel, init: FramedLinkInit) {
    super();
    this.id = `${init.protocol}-${++linkCounter}`;
    this.channel = channel;
    this.type = init.type;
    this.protocol = init.protocol;
    this.initiator = init.initiator;
    this.remoteNodeIds = init.remoteNodeIds;
    this.remoteChain = init.remoteChain;
    this.remoteAddress = init.remoteAddress;
    this.localAddress = init.localAddress;
    this.maxMessageSize = Math.min(init.maxMessageSize, MAX_FRAME_MESSAGE_BYTES);
    this.clock = init.clock;
    this.log = init.logger;
    this.hwm = init.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    this.retentionMs = init.retentionMs ?? FAILED_LINK_RETENTION_MS;
    this.rto = new RtoEstimator(init);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.decoder = new FrameDecoder(
      {
        data: (seq, msg) => this.onData(seq, msg),
        ack: (seq, received) => this.onAck(seq, received),
        oversize: (seq, length, prefix) => this.onOversize(seq, length, prefix),
        error: (err) => this.onFramingError(err),
      },
      { maxMessageSize: this.maxMessageSize, checkForwardingHeader: init.checkForwardingHeader },
    );
  }

  get state(): LinkState {
    return this.closeInfo ? 'closed' : this.failedState ? 'failed' : 'open';
  }

  get bufferedBytes(): number {
    return this.outBytes + this.channel.writableLength;
  }

  rtt(): RttStats {
    return this.rto.stats();
  }

  send(message: Uint8Array): boolean {
    if (this.closeInfo) {
      throw new ReloadError('LINK_CLOSED', `link ${this.id} is closed (${this.closeInfo.reason})`);
    }
    if (message.length > this.maxMessageSize) {
      // RFC 6940 §6.6: the peer would refuse it; the upper layer fragments (§6.7) instead.
      throw new ReloadError(
        ErrorCode.MessageTooLarge,
        `message of ${message.length} bytes exceeds max-message-size ${this.maxMessageSize}`,
      );
    }
    const seq = this.nextSeq;
    this.nextSeq = (this.nextSeq + 1) >>> 0;
    const header = new Uint8Array(DATA_FRAME_HEADER_BYTES);
    writeDataFrameHeader(header, 0, seq, message.length);
    this.out.push(header, message);
    this.outBytes += DATA_FRAME_HEADER_BYTES + message.length;
    this.unackedSeq.push(seq);
    this.unackedAt.push(this.clock.now());
    // RFC 6298 §5.1: start the timer when data is sent and it is not running.
    if (this.rtoTimer === undefined && !this.failedState) this.armRto();
    this.queueFlush();
    if (this.bufferedBytes >= this.hwm) {
      this.needDrain = true;
      return false;
    }
    return true;
  }

  pause(): void {
    this.channel.pause();
  }

  resume(): void {
    this.channel.resume();
  }

  close(): void {
    if (this.closeInfo) return;
    this.flush();
    this.finish('LOCAL_CLOSE', 'closed locally');
    this.channel.end();
  }

  // ---- wiring from the channel owner ------------------------------------------------------

  /** Feeds bytes read from the channel. */
  receive(chunk: Uint8Array): void {
    if (this.closeInfo) return;
    this.decoder.push(chunk);
    if (this.ackPending && !this.closeInfo) this.queueAck();
  }

  /** The channel's write buffer drained. */
  channelDrained(): void {
    if (this.needDrain && !this.closeInfo && this.bufferedBytes < this.hwm) {
      this.needDrain = false;
      this.emit('drain');
    }
  }

  /** The channel closed (by the peer or by an error). */
  channelClosed(error?: Error): void {
    if (this.closeInfo) return;
    if (error) {
      this.log.warn(
        { link: this.id, remote: this.remoteAddress, err: error.message },
        'link transport error',
      );
      this.finish('TRANSPORT_ERROR', error.message, error);
    } else {
      this.finish('REMOTE_CLOSE', 'closed by the peer');
    }
  }

  /** Closes the link because of a local decision with the given reason (logged). */
  abort(reason: LinkCloseReason, error: Error): void {
    if (this.closeInfo) return;
    this.log.warn(
      { link: this.id, remote: this.remoteAddress, reason, err: error.message },
      `closing link: ${error.message}`,
    );
    this.finish(reason, error.message, error);
    this.channel.destroy();
  }

  // ---- receive side -----------------------------------------------------------------------

  private recordReceived(seq: number): void {
    this.recent[this.recentPos] = seq;
    this.recentPos = (this.recentPos + 1) & 31;
    if (this.recentCount < 32) this.recentCount++;
    this.ackPending = true;
    this.ackSeq = seq;
    // The bitmask only covers 32 frames: acknowledge at least every 32 frames.
    if (++this.unackedReceived >= 32) this.queueAck();
  }

  /**
   * RFC 6940 §6.6.2: ACK for sequence N; bit (N − M) of `received` is set for each of the 32
   * most recently received M with N − 32 < M < N (bit 0 = least significant; decision 0301).
   */
  private queueAck(): void {
    const n = this.ackSeq;
    let mask = 0;
    for (let i = 0; i < this.recentCount; i++) {
      const d = (n - this.recent[i]) >>> 0;
      if (d > 0 && d < 32) mask |= 1 << d;
    }
    const frame = new Uint8Array(ACK_FRAME_BYTES);
    writeAckFrame(frame, 0, n, mask >>> 0);
    this.out.push(frame);
    this.outBytes += ACK_FRAME_BYTES;
    this.ackPending = false;
    this.unackedReceived = 0;
    this.queueFlush();
  }

  private onData(seq: number, message: Uint8Array): void {
    if (this.closeInfo) return;
    this.recordReceived(seq);
    try {
      this.emit('message', message);
    } catch (err) {
      this.log.error(
        { link: this.id, err: err instanceof Error ? err.message : String(err) },
        'message handler threw',
      );
    }
  }

  private onOversize(seq: number, length: number, prefix: Uint8Array): void {
    if (this.closeInfo) return;
    this.recordReceived(seq);
    this.log.warn(
      { link: this.id, remote: this.remoteAddress, length, maxMessageSize: this.maxMessageSize },
      'discarded a message over max-message-size',
    );
    this.emit('messageTooLarge', {
      sequence: seq,
      length,
      prefix,
      maxMessageSize: this.maxMessageSize,
    });
  }

  private onFramingError(err: ReloadError): void {
    this.abort('FRAMING_ERROR', err);
  }

  // ---- send side: ACKs, RTT, failure detection --------------------------------------------

  private onAck(ackSeq: number, _received: number): void {
    if (this.closeInfo) return;
    const count = this.unackedSeq.length - this.unackedHead;
    if (count > 0) {
      const first = this.unackedSeq[this.unackedHead];
      const idx = (ackSeq - first) >>> 0;
      if (idx < count) {
        // RTT of the acknowledged frame: RFC 6298 (2.2)/(2.3) measurement.
        this.rto.sample(this.clock.now() - this.unackedAt[this.unackedHead + idx]);
        // The stream is ordered: ACK N implies every frame up to N arrived.
        this.unackedHead += idx + 1;
        if (this.unackedHead === this.unackedSeq.length) {
          this.unackedSeq = [];
          this.unackedAt = [];
          this.unackedHead = 0;
        } else if (this.unackedHead > 1024) {
          this.unackedSeq = this.unackedSeq.slice(this.unackedHead);
          this.unackedAt = this.unackedAt.slice(this.unackedHead);
          this.unackedHead = 0;
        }
      } else if (!seqLe(ackSeq, first)) {
        // An ACK for a frame never sent: ignore it (it proves nothing).
        return;
      }
    } else if (!seqLe(ackSeq, (this.nextSeq - 1) >>> 0)) {
      return;
    }
    if (this.failedState) this.restore();
    this.disarmRto();
    // RFC 6298 §5.2 / §5.3: stop when all data is acknowledged, else restart with RTO.
    if (this.unackedSeq.length - this.unackedHead > 0) this.armRto();
  }

  private armRto(): void {
    this.rtoTimer = this.clock.setTimeout(() => this.rtoExpired(), this.rto.rto);
  }

  private disarmRto(): void {
    if (this.rtoTimer !== undefined) {
      this.clock.clearTimeout(this.rtoTimer);
      this.rtoTimer = undefined;
    }
  }

  private rtoExpired(): void {
    this.rtoTimer = undefined;
    if (this.closeInfo || this.failedState) return;
    const unacknowledged = this.unackedSeq.length - this.unackedHead;
    if (unacknowledged === 0) return;
    // RFC 6940 §6.6.5: the RTO is a timeout after which the link SHOULD be removed from the
    // routing table; keep it for the retention period in case the failure is transient.
    this.failedState = true;
    const info = { rtoMs: this.rto.rto, unacknowledged, retentionMs: this.retentionMs };
    this.log.warn(
      { link: this.id, remote: this.remoteAddress, ...info },
      'link failed: RTO expired',
    );
    this.retentionTimer = this.clock.setTimeout(() => this.retentionExpired(), this.retentionMs);
    this.emit('failed', info);
  }

  private restore(): void {
    this.failedState = false;
    if (this.retentionTimer !== undefined) {
      this.clock.clearTimeout(this.retentionTimer);
      this.retentionTimer = undefined;
    }
    this.log.info({ link: this.id, remote: this.remoteAddress }, 'link restored: ACKs resumed');
    this.emit('restored');
  }

  private retentionExpired(): void {
    this.retentionTimer = undefined;
    if (this.closeInfo || !this.failedState) return;
    this.abort(
      'LINK_FAILED',
      new ReloadError(
        'LINK_FAILED',
        `no ACK for ${this.retentionMs} ms after the RTO expired: link failed permanently`,
      ),
    );
  }

  // ---- output batching --------------------------------------------------------------------

  private queueFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => this.flush());
  }

  /** Hands everything queued to the channel as one write (one TLS record when it fits). */
  private flush(): void {
    this.flushQueued = false;
    if (this.out.length === 0) return;
    const chunks = this.out;
    const size = this.outBytes;
    this.out = [];
    this.outBytes = 0;
    if (this.channelDead) return;
    let buf: Uint8Array;
    if (chunks.length === 1) {
      buf = chunks[0];
    } else {
      buf = Buffer.allocUnsafe(size);
      let off = 0;
      for (const c of chunks) {
        buf.set(c, off);
        off += c.length;
      }
    }
    this.channel.write(buf);
  }

  private channelDead = false;

  private finish(reason: LinkCloseReason, message: string, error?: Error): void {
    if (this.closeInfo) return;
    const info: LinkCloseInfo = error ? { reason, message, error } : { reason, message };
    this.closeInfo = info;
    if (reason !== 'LOCAL_CLOSE') this.channelDead = true;
    this.disarmRto();
    if (this.retentionTimer !== undefined) {
      this.clock.clearTimeout(this.retentionTimer);
      this.retentionTimer = undefined;
    }
    this.out = [];
    this.outBytes = 0;
    this.log.debug({ link: this.id, remote: this.remoteAddress, reason }, 'link closed');
    this.resolveClosed(info);
    this.emit('close', info);
  }
}
