/**
 * A whole RELOAD message (RFC 6940 §6.3): ForwardingHeader ‖ MessageContents ‖ SecurityBlock.
 *
 * {@link encodeMessage} sizes everything first and allocates once, writing the total into
 * `ForwardingHeader.length`. {@link decodeMessage} returns views into the input and also the
 * exact MessageContents bytes, which the §6.3.4 signature covers:
 * `overlay ‖ transaction_id ‖ MessageContents ‖ SignerIdentity`
 * (see {@link messageSignatureInput}).
 */
import { type Codec, Reader, Writer, unencodable } from './codec.js';
import {
  FRAGMENT_LAST_BIT,
  FRAGMENT_OFFSET_MASK,
  FRAGMENT_UNFRAGMENTED,
  RELOAD_VERSION,
} from './constants.js';
import { invalidMessage } from './errors.js';
import {
  decodeForwardingHeaderFrom,
  encodeForwardingHeader,
  type ForwardingHeader,
  forwardingHeaderLength,
  nodeIdLengthOf,
  type WireOptions,
} from './forwarding-header.js';
import { decodeMessageFast, encodeMessageFast } from './message-fast.js';
import {
  type BodySource,
  encodeMessageContentsInto,
  type MessageContents,
  MessageContentsCodec,
  messageContentsLength,
} from './message-contents.js';
import {
  type SecurityBlock,
  SecurityBlockCodec,
  type SignerIdentity,
  SignerIdentityCodec,
} from './security-block.js';
import { messageBytes, messageWriter, releaseMessageWriter } from './slab.js';

/** RFC 6940 §6.3 message. */
export interface Message {
  forwardingHeader: ForwardingHeader;
  messageContents: MessageContents;
  securityBlock: SecurityBlock;
}

/** A decoded message plus the byte ranges a receiver needs. */
export interface DecodedMessage extends Message {
  /** Exact MessageContents bytes (a view of the input): the signed part (§6.3.4). */
  contentsBytes: Uint8Array;
  /** Bytes of the ForwardingHeader (offset of MessageContents). */
  headerLength: number;
}

/** Total encoded size of `msg` in bytes (what ForwardingHeader.length will say). */
export function messageLength(msg: Message, body?: BodySource<unknown>): number {
  return (
    forwardingHeaderLength(msg.forwardingHeader) +
    messageContentsLength(msg.messageContents, body) +
    SecurityBlockCodec.encodedLength(msg.securityBlock)
  );
}

/** Options of {@link encodeMessage}. */
export interface EncodeMessageOptions extends WireOptions {
  /**
   * Encode the method body with this codec straight into the message buffer, instead of
   * copying `messageContents.messageBody` (which is then ignored): one allocation in all.
   */
  body?: BodySource<unknown>;
}

/**
 * Encodes a whole message into one buffer (a view into a shared 48 KiB slab for messages up
 * to 8 KiB: use `byteOffset`/`byteLength` when touching `.buffer`, and copy it if you keep it
 * for long). `forwardingHeader.length` is ignored and written as the real total (§6.3.2).
 * @throws ReloadError('WIRE_UNENCODABLE') when a field is out of range.
 */
export function encodeMessage(msg: Message, opts?: EncodeMessageOptions): Uint8Array {
  const body = opts?.body;
  const fast = encodeMessageFast(msg, body, nodeIdLengthOf(opts));
  if (fast !== undefined) return fast;
  // the per-field path (every other shape, and every error)
  const total = messageLength(msg, body);
  const w = messageWriter(total);
  const start = w.pos;
  try {
    encodeForwardingHeader(msg.forwardingHeader, w, opts, total);
    encodeMessageContentsInto(msg.messageContents, w, body);
    SecurityBlockCodec.encode(msg.securityBlock, w);
  } finally {
    releaseMessageWriter(w);
  }
  if (w.pos - start !== total) {
    throw unencodable('Message', `wrote ${w.pos - start} of ${total} bytes`);
  }
  return messageBytes(w, start, total);
}

/** Options of {@link decodeMessage}. */
export interface DecodeMessageOptions<T = unknown> extends WireOptions {
  /**
   * Decode the method body with this codec in the same pass, from the message bytes (no
   * second Reader), into `body` of the result; it must consume the whole `message_body`.
   * `messageContents.messageBody` is still the body's bytes.
   */
  body?: Codec<T>;
}

/** A {@link DecodedMessage} whose method body was decoded by {@link DecodeMessageOptions.body}. */
export interface DecodedMessageWithBody<T> extends DecodedMessage {
  /** The decoded method body. */
  body: T;
}

/**
 * Decodes a whole, unfragmented message. Requires `ForwardingHeader.length` to equal
 * `bytes.length`, `fragment` to say "last, offset 0" (§6.7: reassemble fragments first), and
 * no bytes after the SecurityBlock. Returned byte fields are views of `bytes`: copy what you
 * keep beyond the message. With `opts.body`, the method body is decoded too (into `body`),
 * and must fill `message_body` exactly.
 * @throws ReloadError(Error_Invalid_Message) naming the field and offset that failed (body
 *   fields are reported at their offsets in the whole message).
 */
export function decodeMessage<T>(
  bytes: Uint8Array,
  opts: DecodeMessageOptions<T> & { body: Codec<T> },
): DecodedMessageWithBody<T>;
export function decodeMessage(bytes: Uint8Array, opts?: DecodeMessageOptions): DecodedMessage;
export function decodeMessage(
  bytes: Uint8Array,
  opts?: DecodeMessageOptions,
): DecodedMessage | DecodedMessageWithBody<unknown> {
  const bodyCodec = opts?.body;
  const fast = decodeMessageFast(bytes, nodeIdLengthOf(opts), bodyCodec);
  if (fast !== undefined) return fast;
  // the per-field path (every other shape, and every malformed message)
  const r = new Reader(bytes);
  const forwardingHeader = decodeForwardingHeaderFrom(r, opts);
  if (forwardingHeader.length !== bytes.length) {
    throw invalidMessage(
      'ForwardingHeader.length',
      16,
      `says ${forwardingHeader.length} bytes, message has ${bytes.length}`,
    );
  }
  // whole = last bit set and offset 0 (fragmentInfo(...).whole without its object)
  if (
    (forwardingHeader.fragment & (FRAGMENT_LAST_BIT | FRAGMENT_OFFSET_MASK)) !==
    FRAGMENT_LAST_BIT
  ) {
    throw invalidMessage(
      'ForwardingHeader.fragment',
      12,
      `0x${forwardingHeader.fragment.toString(16)} is a fragment; reassemble first`,
    );
  }
  const headerLength = r.pos;
  const messageContents = MessageContentsCodec.decode(r);
  const contentsBytes = r.range(headerLength, r.pos, 'MessageContents');
  if (bodyCodec === undefined) {
    const securityBlock = SecurityBlockCodec.decode(r);
    r.done('Message');
    return { forwardingHeader, messageContents, securityBlock, contentsBytes, headerLength };
  }
  // MessageContents = message_code (2) ‖ body length (4) ‖ body ‖ …: decode the body from
  // the same Reader, confined to its bytes, then come back (§6.3.3)
  const after = r.pos;
  const end = r.end;
  r.pos = headerLength + 6;
  r.end = r.pos + messageContents.messageBody.length;
  const body = bodyCodec.decode(r);
  r.done('MessageContents.message_body');
  r.pos = after;
  r.end = end;
  const securityBlock = SecurityBlockCodec.decode(r);
  r.done('Message');
  return { forwardingHeader, messageContents, securityBlock, contentsBytes, headerLength, body };
}

/** Encodes MessageContents alone (what a signer signs, §6.3.4). */
export function encodeMessageContents(c: MessageContents): Uint8Array {
  const out = new Uint8Array(MessageContentsCodec.encodedLength(c));
  MessageContentsCodec.encode(c, new Writer(out));
  return out;
}

/**
 * The §6.3.4 message signature input: `overlay (uint32) ‖ transaction_id (uint64) ‖
 * MessageContents ‖ SignerIdentity`, as one new buffer.
 */
export function messageSignatureInput(
  overlay: number,
  transactionId: bigint,
  contentsBytes: Uint8Array,
  identity: SignerIdentity,
): Uint8Array {
  const idLen = SignerIdentityCodec.encodedLength(identity);
  const out = new Uint8Array(12 + contentsBytes.length + idLen);
  const w = new Writer(out);
  w.u32(overlay, 'ForwardingHeader.overlay');
  w.u64(transactionId, 'ForwardingHeader.transaction_id');
  w.bytes(contentsBytes, 'MessageContents');
  SignerIdentityCodec.encode(identity, w);
  return out;
}

/**
 * A fresh header for a new message; lists empty, TTL 100, unfragmented (§6.3.2). Fields
 * given in `fields` win; an omitted or `undefined` one gets its default. Built as one literal
 * (no object spread, which cost as much as encoding the header: bench/wire).
 */
export function newForwardingHeader(
  fields: Pick<ForwardingHeader, 'overlay' | 'transactionId' | 'destinationList'> &
    Partial<ForwardingHeader>,
): ForwardingHeader {
  return {
    overlay: fields.overlay,
    configurationSequence: fields.configurationSequence ?? 0,
    version: fields.version ?? RELOAD_VERSION,
    ttl: fields.ttl ?? 100,
    fragment: fields.fragment ?? FRAGMENT_UNFRAGMENTED,
    length: fields.length ?? 0,
    transactionId: fields.transactionId,
    maxResponseLength: fields.maxResponseLength ?? 0,
    viaList: fields.viaList ?? [],
    destinationList: fields.destinationList,
    options: fields.options ?? [],
  };
}
