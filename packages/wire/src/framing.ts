/**
 * RFC 6940 §6.6.2 framing header (FramedMessage), used hop by hop on every overlay link.
 *
 * ```
 * enum { data(128), ack(129), (255) } FramedMessageType;
 * struct { FramedMessageType type;
 *          select (type) {
 *            case data: uint32 sequence; opaque message<0..2^24-1>;
 *            case ack:  uint32 ack_sequence; uint32 received; }; } FramedMessage;
 * ```
 */
import { type Codec, type Reader, type Writer, unencodable } from './codec.js';
import { FramedMessageType } from './constants.js';
import { invalidMessage } from './errors.js';

/** A data frame: `sequence` (uint32) and the RELOAD message bytes (≤ 2^24−1). */
export interface FramedData {
  type: 128;
  sequence: number;
  /** The carried message (a view of the input after decode). */
  message: Uint8Array;
}

/**
 * An ack frame: `ackSequence` acknowledged, and `received`, the uint32 bitmask of the
 * previous 32 sequence numbers seen (§6.6.2; its bit numbering is the link layer's business).
 */
export interface FramedAck {
  type: 129;
  ackSequence: number;
  received: number;
}

/** §6.6.2 FramedMessage. */
export type FramedMessage = FramedData | FramedAck;

/** Bytes of a framing header before the message of a data frame: type + sequence + uint24. */
export const FRAMED_DATA_OVERHEAD = 8;
/** Bytes of an ack frame. */
export const FRAMED_ACK_LENGTH = 9;

/** Codec for {@link FramedMessage} (RFC 6940 §6.6.2). Unknown frame types are invalid. */
export const FramedMessageCodec: Codec<FramedMessage> = {
  encodedLength: (f) => (f.type === FramedMessageType.data ? 8 + f.message.length : 9),
  encode(f: FramedMessage, w: Writer) {
    if (f.type === FramedMessageType.data) {
      w.u8(f.type, 'FramedMessage.type');
      w.u32(f.sequence, 'FramedMessage.sequence');
      w.opaque(f.message, 3, 'FramedMessage.message');
    } else if (f.type === FramedMessageType.ack) {
      w.u8(f.type, 'FramedMessage.type');
      w.u32(f.ackSequence, 'FramedMessage.ack_sequence');
      w.u32(f.received, 'FramedMessage.received');
    } else {
      throw unencodable('FramedMessage.type', `${(f as { type: number }).type}`);
    }
  },
  decode(r: Reader): FramedMessage {
    const at = r.pos;
    const type = r.u8('FramedMessage.type');
    if (type === FramedMessageType.data) {
      const sequence = r.u32('FramedMessage.sequence');
      return { type, sequence, message: r.opaque(3, 'FramedMessage.message') };
    }
    if (type === FramedMessageType.ack) {
      const ackSequence = r.u32('FramedMessage.ack_sequence');
      return { type, ackSequence, received: r.u32('FramedMessage.received') };
    }
    throw invalidMessage('FramedMessage.type', at, `${type} is neither data(128) nor ack(129)`);
  },
};

/** Encodes a data frame around `message` in one allocation. */
export function encodeDataFrame(sequence: number, message: Uint8Array): Uint8Array {
  const out = new Uint8Array(FRAMED_DATA_OVERHEAD + message.length);
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  if (message.length > 0xffffff) throw unencodable('FramedMessage.message', 'over 2^24-1 bytes');
  if (!Number.isInteger(sequence) || sequence < 0 || sequence > 0xffffffff) {
    throw unencodable('FramedMessage.sequence', `${sequence} is not a uint32`);
  }
  out[0] = FramedMessageType.data;
  dv.setUint32(1, sequence);
  out[5] = message.length >>> 16;
  dv.setUint16(6, message.length & 0xffff);
  out.set(message, 8);
  return out;
}

/**
 * For stream transports (TLS/TCP): the total length of the frame starting at `buf[offset]`,
 * or `undefined` when fewer bytes than needed to tell are available.
 * @throws ReloadError(Error_Invalid_Message) when the type byte is neither data nor ack.
 */
export function framedMessageLength(buf: Uint8Array, offset = 0): number | undefined {
  if (buf.length - offset < 1) return undefined;
  const type = buf[offset];
  if (type === FramedMessageType.ack) return FRAMED_ACK_LENGTH;
  if (type !== FramedMessageType.data) {
    throw invalidMessage('FramedMessage.type', offset, `${type} is neither data nor ack`);
  }
  if (buf.length - offset < FRAMED_DATA_OVERHEAD) return undefined;
  const len = (buf[offset + 5] << 16) | (buf[offset + 6] << 8) | buf[offset + 7];
  return FRAMED_DATA_OVERHEAD + len;
}
