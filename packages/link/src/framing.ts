/**
 * RFC 6940 §6.6.2 framing header on a stream: in-place frame writers for the hot path and a
 * streaming decoder that cuts a byte stream (TLS over TCP) into frames, whatever the read
 * boundaries. The FramedMessage codec itself is `FramedMessageCodec` in `@reload/wire`.
 *
 * ```
 * enum { data(128), ack(129), (255) } FramedMessageType;
 * struct {
 *   FramedMessageType type;
 *   select (type) {
 *     case data: uint32 sequence; opaque message<0..2^24-1>;
 *     case ack:  uint32 ack_sequence; uint32 received;
 *   };
 * } FramedMessage;
 * ```
 */
import { ErrorCode, ReloadError, invalidMessage, unencodable } from '@reload/wire';
import {
  ACK_FRAME_BYTES,
  DATA_FRAME_HEADER_BYTES,
  FORWARDING_LENGTH_OFFSET,
  FORWARDING_PREFIX_BYTES,
  FRAME_ACK,
  FRAME_DATA,
  MAX_FRAME_MESSAGE_BYTES,
  RELO_TOKEN,
} from './constants.js';

/**
 * Writes the 8-byte header of a data frame carrying `length` message bytes into `out` at
 * `offset`. The message bytes follow the header.
 */
export function writeDataFrameHeader(
  out: Uint8Array,
  offset: number,
  sequence: number,
  length: number,
): void {
  if (length > MAX_FRAME_MESSAGE_BYTES) {
    throw unencodable('FramedMessage.message', `length ${length} exceeds 2^24-1`);
  }
  out[offset] = FRAME_DATA;
  out[offset + 1] = sequence >>> 24;
  out[offset + 2] = (sequence >>> 16) & 0xff;
  out[offset + 3] = (sequence >>> 8) & 0xff;
  out[offset + 4] = sequence & 0xff;
  out[offset + 5] = length >>> 16;
  out[offset + 6] = (length >>> 8) & 0xff;
  out[offset + 7] = length & 0xff;
}

/** Writes a 9-byte ack frame into `out` at `offset`. */
export function writeAckFrame(
  out: Uint8Array,
  offset: number,
  ackSequence: number,
  received: number,
): void {
  out[offset] = FRAME_ACK;
  const dv = new DataView(out.buffer, out.byteOffset + offset + 1, 8);
  dv.setUint32(0, ackSequence >>> 0);
  dv.setUint32(4, received >>> 0);
}

/**
 * Checks that `message` (or its first bytes) starts like a RELOAD message: `relo_token` and a
 * forwarding-header `length` equal to `frameLength` (§6.3.2). A mismatch means the stream is
 * out of step (a bogus frame length) or carries garbage.
 * @returns an error describing the mismatch, or undefined when consistent
 */
export function checkForwardingPrefix(
  prefix: Uint8Array,
  frameLength: number,
): ReloadError | undefined {
  if (frameLength < FORWARDING_PREFIX_BYTES || prefix.length < FORWARDING_PREFIX_BYTES) {
    return new ReloadError(
      ErrorCode.InvalidMessage,
      `framed message of ${frameLength} bytes is shorter than a forwarding header`,
      { field: 'FramedMessage.message' },
    );
  }
  const dv = new DataView(prefix.buffer, prefix.byteOffset, FORWARDING_PREFIX_BYTES);
  const token = dv.getUint32(0);
  if (token !== RELO_TOKEN) {
    return new ReloadError(
      ErrorCode.InvalidMessage,
      `framed message does not start with relo_token (0x${token.toString(16).padStart(8, '0')})`,
      { field: 'ForwardingHeader.relo_token' },
    );
  }
  const length = dv.getUint32(FORWARDING_LENGTH_OFFSET);
  if (length !== frameLength) {
    return new ReloadError(
      ErrorCode.InvalidMessage,
      `frame length ${frameLength} differs from ForwardingHeader.length ${length}`,
      { field: 'ForwardingHeader.length' },
    );
  }
  return undefined;
}

/** Receiver of the frames cut by a {@link FrameDecoder}. */
export interface FrameSink {
  /** A complete data frame. `message` may be a view of the pushed chunk: copy to keep it. */
  data(sequence: number, message: Uint8Array): void;
  /** An ack frame. */
  ack(ackSequence: number, received: number): void;
  /**
   * A data frame whose message exceeds `maxMessageSize` (§6.6): called once its first
   * `min(length, maxMessageSize)` bytes (`prefix`, a copy) have arrived; the rest of the frame
   * is discarded as it arrives and the stream stays in step.
   */
  oversize(sequence: number, length: number, prefix: Uint8Array): void;
  /** The stream cannot be framed (unknown type, inconsistent length); nothing follows. */
  error(err: ReloadError): void;
}

/** Options of a {@link FrameDecoder}. */
export interface FrameDecoderOptions {
  /** Largest accepted message, bytes (the overlay's `max-message-size`). */
  maxMessageSize: number;
  /**
   * Check `relo_token` and the forwarding-header length of every message against the frame
   * length (default true); catches garbage and bogus lengths early.
   */
  checkForwardingHeader?: boolean;
}

const enum State {
  Header,
  Body,
  Discard,
  Failed,
}

/**
 * Streaming §6.6.2 frame splitter: {@link FrameDecoder.push} any chunking of the stream; the
 * sink receives whole frames in order. Messages that fit in one chunk are delivered as views
 * (zero copy); others are assembled into one new buffer.
 */
export class FrameDecoder {
  private readonly sink: FrameSink;
  private readonly max: number;
  private readonly check: boolean;
  private state = State.Header;
  /** Partial header bytes. */
  private readonly hdr = new Uint8Array(ACK_FRAME_BYTES);
  private hdrLen = 0;
  private seq = 0;
  private bodyLen = 0;
  private body: Uint8Array | undefined;
  private bodyPos = 0;
  /** Bytes of an oversized frame still to discard. */
  private discard = 0;

  /** @param sink receives frames; @param options limits */
  constructor(sink: FrameSink, options: FrameDecoderOptions) {
    this.sink = sink;
    this.max = Math.min(options.maxMessageSize, MAX_FRAME_MESSAGE_BYTES);
    this.check = options.checkForwardingHeader ?? true;
  }

  /** True once the stream was found unframeable; further input is ignored. */
  get failed(): boolean {
    return this.state === State.Failed;
  }

  /** Feeds the next chunk of the stream. */
  push(chunk: Uint8Array): void {
    let pos = 0;
    const n = chunk.length;
    while (pos < n && this.state !== State.Failed) {
      switch (this.state) {
        case State.Header: {
          // Fast path: whole header inside the chunk.
          if (this.hdrLen === 0) {
            const type = chunk[pos];
            if (type === FRAME_DATA && n - pos >= DATA_FRAME_HEADER_BYTES) {
              this.seq =
                ((chunk[pos + 1] << 24) |
                  (chunk[pos + 2] << 16) |
                  (chunk[pos + 3] << 8) |
                  chunk[pos + 4]) >>>
                0;
              this.bodyLen = (chunk[pos + 5] << 16) | (chunk[pos + 6] << 8) | chunk[pos + 7];
              pos += DATA_FRAME_HEADER_BYTES;
              pos = this.startBody(chunk, pos);
              continue;
            }
            if (type === FRAME_ACK && n - pos >= ACK_FRAME_BYTES) {
              this.emitAck(chunk, pos);
              pos += ACK_FRAME_BYTES;
              continue;
            }
            if (type !== FRAME_DATA && type !== FRAME_ACK) {
              this.fail(
                invalidMessage('FramedMessage.type', 0, `unknown FramedMessageType ${type}`),
              );
              return;
            }
          }
          // Slow path: accumulate header bytes.
          const type = this.hdrLen > 0 ? this.hdr[0] : chunk[pos];
          const need = type === FRAME_DATA ? DATA_FRAME_HEADER_BYTES : ACK_FRAME_BYTES;
          const take = Math.min(need - this.hdrLen, n - pos);
          this.hdr.set(chunk.subarray(pos, pos + take), this.hdrLen);
          this.hdrLen += take;
          pos += take;
          if (this.hdrLen < need) return;
          this.hdrLen = 0;
          if (type === FRAME_ACK) {
            this.emitAck(this.hdr, 0);
          } else {
            const h = this.hdr;
            this.seq = ((h[1] << 24) | (h[2] << 16) | (h[3] << 8) | h[4]) >>> 0;
            this.bodyLen = (h[5] << 16) | (h[6] << 8) | h[7];
            pos = this.startBody(chunk, pos);
          }
          continue;
        }
        case State.Body: {
          const body = this.body!;
          const take = Math.min(this.bodyLen - this.bodyPos, n - pos);
          body.set(chunk.subarray(pos, pos + take), this.bodyPos);
          this.bodyPos += take;
          pos += take;
          if (this.bodyPos === this.bodyLen) {
            this.body = undefined;
            this.state = State.Header;
            this.finishData(body);
          }
          continue;
        }
        case State.Discard: {
          if (this.body) {
            // Still collecting the prefix of an oversized frame.
            const body = this.body;
            const take = Math.min(body.length - this.bodyPos, n - pos);
            body.set(chunk.subarray(pos, pos + take), this.bodyPos);
            this.bodyPos += take;
            this.discard -= take;
            pos += take;
            if (this.bodyPos === body.length) {
              this.body = undefined;
              if (!this.finishOversize(body)) return;
            }
          } else {
            const take = Math.min(this.discard, n - pos);
            this.discard -= take;
            pos += take;
          }
          if (this.discard === 0) this.state = State.Header;
          continue;
        }
      }
    }
  }

  /** Begins a data frame body at `chunk[pos]`; returns the new position. */
  private startBody(chunk: Uint8Array, pos: number): number {
    const len = this.bodyLen;
    if (len > this.max) {
      // RFC 6940 §6.6: larger than max-message-size. Keep a bounded prefix (for the
      // Error_Message_Too_Large answer), discard the rest, keep the stream in step.
      this.state = State.Discard;
      this.discard = len;
      this.body = new Uint8Array(this.max);
      this.bodyPos = 0;
      return pos;
    }
    if (chunk.length - pos >= len) {
      this.finishData(chunk.subarray(pos, pos + len));
      return pos + len;
    }
    this.body = new Uint8Array(len);
    this.bodyPos = 0;
    this.state = State.Body;
    return pos;
  }

  private finishData(message: Uint8Array): void {
    if (this.check) {
      const err = checkForwardingPrefix(message, message.length);
      if (err) return this.fail(err);
    }
    this.sink.data(this.seq, message);
  }

  private finishOversize(prefix: Uint8Array): boolean {
    if (this.check) {
      const err = checkForwardingPrefix(prefix, this.bodyLen);
      if (err) {
        this.fail(err);
        return false;
      }
    }
    this.sink.oversize(this.seq, this.bodyLen, prefix);
    return this.state !== State.Failed;
  }

  private emitAck(buf: Uint8Array, pos: number): void {
    const ackSeq =
      ((buf[pos + 1] << 24) | (buf[pos + 2] << 16) | (buf[pos + 3] << 8) | buf[pos + 4]) >>> 0;
    const received =
      ((buf[pos + 5] << 24) | (buf[pos + 6] << 16) | (buf[pos + 7] << 8) | buf[pos + 8]) >>> 0;
    this.sink.ack(ackSeq, received);
  }

  private fail(err: ReloadError): void {
    this.state = State.Failed;
    this.body = undefined;
    this.sink.error(err);
  }
}
