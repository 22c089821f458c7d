/**
 * Fast paths of encodeMessage / decodeMessage for the common message shape (internal to
 * @reload/wire; decisions 0171 and 0173): NodeId / Resource-ID destinations, no forwarding
 * options, no message extensions (and, on decode, a signature that names its signer by
 * `cert_hash` or `cert_hash_node_id`, §6.3.4). The envelope — ForwardingHeader, the
 * MessageContents around the body, the SecurityBlock's certificates — is checked in full first
 * and then written or read in one flat function with a local offset; the method body goes
 * through its codec and the signature through SignatureCodec's own fast path. Anything else
 * returns `undefined` having produced nothing, and the per-field code in message.ts runs
 * instead: it owns every error, so errors are the same either way.
 */
import { bigU64 } from './builtins.js';
import { type Codec, Reader, unencodable } from './codec.js';
import {
  DestinationType,
  FORWARDING_HEADER_FIXED_LENGTH,
  FRAGMENT_HIGH_BIT,
  FRAGMENT_LAST_BIT,
  FRAGMENT_OFFSET_MASK,
  RELO_TOKEN,
  RELOAD_VERSION,
} from './constants.js';
import {
  isU16,
  isU32,
  isU64,
  isU8,
  putBytes,
  putFixedHeader,
  putU32,
  readHashSignature,
} from './fast.js';
import type { Destination, ForwardingHeader } from './forwarding-header.js';
import { type BodySource, isValidMessageCode, type MessageContents } from './message-contents.js';
import type { DecodedMessage, DecodedMessageWithBody, Message } from './message.js';
import { type GenericCertificate, SignatureCodec } from './security-block.js';
import { messageBytes, messageWriter, releaseMessageWriter } from './slab.js';

/** Bytes of a destination list the fast path writes, or −1 for a shape it leaves alone. */
function destinationsLength(list: readonly Destination[], nodeIdLength: number): number {
  let n = 0;
  for (let i = 0; i < list.length; i++) {
    const d = list[i];
    if (d.kind === 'node') {
      if (d.nodeId.length !== nodeIdLength) return -1;
      n += 2 + nodeIdLength;
    } else if (d.kind === 'resource') {
      if (d.resourceId.length > 254) return -1;
      n += 3 + d.resourceId.length;
    } else {
      return -1;
    }
  }
  return n > 0xffff ? -1 : n;
}

/** Writes a destination list checked by {@link destinationsLength}; returns the new offset. */
function putDestinations(b: Uint8Array, p: number, list: readonly Destination[]): number {
  for (let i = 0; i < list.length; i++) {
    const d = list[i];
    if (d.kind === 'node') {
      const id = d.nodeId;
      b[p] = DestinationType.node;
      b[p + 1] = id.length;
      putBytes(b, p + 2, id);
      p += 2 + id.length;
    } else {
      const id = (d as { resourceId: Uint8Array }).resourceId;
      b[p] = DestinationType.resource;
      b[p + 1] = 1 + id.length;
      b[p + 2] = id.length;
      putBytes(b, p + 3, id);
      p += 3 + id.length;
    }
  }
  return p;
}

/**
 * Bytes of the SecurityBlock's certificate list the fast path writes (2-byte prefix
 * included), or −1 for a list it leaves alone (a type or length out of range).
 */
function certificatesLength(certs: readonly GenericCertificate[]): number {
  let n = 0;
  for (let i = 0; i < certs.length; i++) {
    const c = certs[i];
    if (!isU8(c.type) || c.certificate.length > 0xffff) return -1;
    n += 3 + c.certificate.length;
  }
  return n > 0xffff ? -1 : 2 + n;
}

/** Writes a certificate list checked by {@link certificatesLength}; returns the new offset. */
function putCertificates(b: Uint8Array, p: number, certs: readonly GenericCertificate[]): number {
  const at = p;
  p += 2;
  for (let i = 0; i < certs.length; i++) {
    const c = certs[i].certificate;
    b[p] = certs[i].type;
    b[p + 1] = c.length >>> 8;
    b[p + 2] = c.length;
    putBytes(b, p + 3, c);
    p += 3 + c.length;
  }
  const length = p - at - 2;
  b[at] = length >>> 8;
  b[at + 1] = length;
  return p;
}

/**
 * encodeMessage for the common shape (see the module comment), or undefined (nothing written,
 * nothing allocated) for any other message or any field out of range.
 * @throws what the body codec or SignatureCodec throws (as the per-field path would).
 */
export function encodeMessageFast(
  msg: Message,
  body: BodySource<unknown> | undefined,
  nodeIdLength: number,
): Uint8Array | undefined {
  const h: ForwardingHeader = msg.forwardingHeader;
  const c: MessageContents = msg.messageContents;
  const sb = msg.securityBlock;
  if (h.options.length !== 0 || c.extensions.length !== 0) return undefined;
  const via = destinationsLength(h.viaList, nodeIdLength);
  const dst = destinationsLength(h.destinationList, nodeIdLength);
  const certs = certificatesLength(sb.certificates);
  const tx = h.transactionId;
  if (
    via < 0 ||
    dst < 0 ||
    certs < 0 ||
    !isValidMessageCode(c.messageCode) ||
    !isU32(h.overlay) ||
    !isU16(h.configurationSequence) ||
    !isU8(h.version) ||
    !isU8(h.ttl) ||
    !isU32(h.fragment) ||
    !isU32(h.maxResponseLength) ||
    !isU64(tx)
  ) {
    return undefined;
  }
  // sized in the per-field path's order (body, then signature), so that a codec that throws
  // throws the same error first
  const bodyLength = body ? body.codec.encodedLength(body.value) : c.messageBody.length;
  const security = certs + SignatureCodec.encodedLength(sb.signature);
  const headerLength = FORWARDING_HEADER_FIXED_LENGTH + via + dst;
  const total = headerLength + 10 + bodyLength + security;
  if (!isU32(total) || bodyLength > 0xffffffff) return undefined;
  const w = messageWriter(total);
  const start = w.pos;
  try {
    const b = w.buf;
    let p = start;
    putFixedHeader(b, w.view, p, h, total, via, dst, 0); // no options on this path
    p = putDestinations(b, p + FORWARDING_HEADER_FIXED_LENGTH, h.viaList);
    p = putDestinations(b, p, h.destinationList);
    // MessageContents: message_code, message_body<0..2^32-1>, extensions<0..2^32-1> (empty)
    b[p] = c.messageCode >>> 8;
    b[p + 1] = c.messageCode;
    const bodyAt = p + 6;
    if (body) {
      w.pos = bodyAt;
      body.codec.encode(body.value, w);
      if (w.pos !== bodyAt + bodyLength) {
        throw unencodable(
          'MessageContents.message_body',
          `encoded ${w.pos - bodyAt} bytes, encodedLength said ${bodyLength}`,
        );
      }
    } else {
      putBytes(b, bodyAt, c.messageBody);
    }
    putU32(b, p + 2, bodyLength);
    p = bodyAt + bodyLength;
    putU32(b, p, 0);
    w.pos = putCertificates(b, p + 4, sb.certificates);
    SignatureCodec.encode(sb.signature, w); // its own fast path for cert_hash(_node_id)
    p = w.pos;
    if (p - start !== total) throw unencodable('Message', `wrote ${p - start} of ${total} bytes`);
  } finally {
    releaseMessageWriter(w);
  }
  return messageBytes(w, start, total);
}

/**
 * decodeMessage for the common shape (see the module comment), or undefined (nothing consumed)
 * for anything else — including every malformed message, which decodeMessage's per-field path
 * then reports. The message must be whole (not a fragment) and exactly `bytes.length` long.
 * @throws what the body codec throws.
 */
export function decodeMessageFast(
  bytes: Uint8Array,
  nodeIdLength: number,
  bodyCodec: Codec<unknown> | undefined,
): DecodedMessage | DecodedMessageWithBody<unknown> | undefined {
  const b = bytes;
  const len = b.length;
  if (len < FORWARDING_HEADER_FIXED_LENGTH) return undefined;
  // getU32 written out in this function: it is too big for V8 to inline every call (perf)
  const fragment = b[12] * 0x1000000 + ((b[13] << 16) | (b[14] << 8) | b[15]);
  if (
    b[0] * 0x1000000 + ((b[1] << 16) | (b[2] << 8) | b[3]) !== RELO_TOKEN ||
    b[10] !== RELOAD_VERSION ||
    (fragment & FRAGMENT_HIGH_BIT) === 0 ||
    (fragment & (FRAGMENT_LAST_BIT | FRAGMENT_OFFSET_MASK)) !== FRAGMENT_LAST_BIT ||
    b[16] * 0x1000000 + ((b[17] << 16) | (b[18] << 8) | b[19]) !== len ||
    b[36] !== 0 ||
    b[37] !== 0 // forwarding options: the per-field path
  ) {
    return undefined;
  }
  const viaEnd = FORWARDING_HEADER_FIXED_LENGTH + ((b[32] << 8) | b[33]);
  const headerLength = viaEnd + ((b[34] << 8) | b[35]);
  // MessageContents: code (2), body length (4), body, extensions length (4) = 0
  if (headerLength + 6 > len) return undefined;
  const messageCode = (b[headerLength] << 8) | b[headerLength + 1];
  const bodyAt = headerLength + 6;
  const q = headerLength + 2;
  const bodyEnd = bodyAt + (b[q] * 0x1000000 + ((b[q + 1] << 16) | (b[q + 2] << 8) | b[q + 3]));
  if (
    !isValidMessageCode(messageCode) ||
    bodyEnd + 6 > len ||
    (b[bodyEnd] | b[bodyEnd + 1] | b[bodyEnd + 2] | b[bodyEnd + 3]) !== 0 // no extensions
  ) {
    return undefined;
  }
  // SecurityBlock: certificates<0..2^16-1>, then the signature (§6.3.4)
  const certsAt = bodyEnd + 6;
  const certsEnd = certsAt + ((b[bodyEnd + 4] << 8) | b[bodyEnd + 5]);
  if (certsEnd > len) return undefined;
  const r = new Reader(bytes);
  let certificates: GenericCertificate[] | undefined; // `[first]` then push (see Reader.list)
  let p = certsAt;
  while (p < certsEnd) {
    const n = p + 3 <= certsEnd ? (b[p + 1] << 8) | b[p + 2] : -1;
    if (n < 0 || p + 3 + n > certsEnd) return undefined;
    r.pos = p + 3;
    const cert: GenericCertificate = {
      type: b[p],
      certificate: r.bytes(n, 'GenericCertificate.certificate'),
    };
    if (certificates === undefined) certificates = [cert];
    else certificates.push(cert);
    p += 3 + n;
  }
  r.pos = certsEnd;
  const signature = readHashSignature(r);
  if (signature === undefined || r.pos !== len) return undefined;
  // destinations: NodeIds of the overlay's length in both lists, a Resource-ID only last
  p = FORWARDING_HEADER_FIXED_LENGTH;
  let viaList: Destination[] | undefined; // `[first]` then push (see Reader.list)
  while (p < viaEnd) {
    if (p + 2 + nodeIdLength > viaEnd || b[p] !== DestinationType.node || b[p + 1] !== nodeIdLength)
      return undefined;
    r.pos = p + 2;
    const d: Destination = { kind: 'node', nodeId: r.bytes(nodeIdLength, 'Destination.node_id') };
    if (viaList === undefined) viaList = [d];
    else viaList.push(d);
    p += 2 + nodeIdLength;
  }
  if (p !== viaEnd) return undefined;
  let destinationList: Destination[] | undefined;
  while (p < headerLength) {
    let d: Destination;
    if (p + 2 + nodeIdLength <= headerLength && b[p] === DestinationType.node) {
      if (b[p + 1] !== nodeIdLength) return undefined;
      r.pos = p + 2;
      d = { kind: 'node', nodeId: r.bytes(nodeIdLength, 'Destination.node_id') };
      p += 2 + nodeIdLength;
    } else if (
      p + 3 <= headerLength &&
      b[p] === DestinationType.resource &&
      b[p + 1] === b[p + 2] + 1 &&
      p + 2 + b[p + 1] === headerLength // RFC 6940 §6.3.2.2: only the final destination
    ) {
      r.pos = p + 3;
      d = { kind: 'resource', resourceId: r.bytes(b[p + 2], 'Destination.resource_id') };
      p = headerLength;
    } else {
      return undefined;
    }
    if (destinationList === undefined) destinationList = [d];
    else destinationList.push(d);
  }
  const forwardingHeader: ForwardingHeader = {
    overlay: b[4] * 0x1000000 + ((b[5] << 16) | (b[6] << 8) | b[7]),
    configurationSequence: (b[8] << 8) | b[9],
    version: RELOAD_VERSION,
    ttl: b[11],
    fragment,
    length: len,
    transactionId: bigU64(
      b[20] * 0x1000000 + ((b[21] << 16) | (b[22] << 8) | b[23]),
      b[24] * 0x1000000 + ((b[25] << 16) | (b[26] << 8) | b[27]),
    ),
    maxResponseLength: b[28] * 0x1000000 + ((b[29] << 16) | (b[30] << 8) | b[31]),
    viaList: viaList ?? [],
    destinationList: destinationList ?? [],
    options: [],
  };
  const messageContents: MessageContents = {
    messageCode,
    messageBody: r.range(bodyAt, bodyEnd, 'MessageContents.message_body'),
    extensions: [],
  };
  const contentsBytes = r.range(headerLength, bodyEnd + 4, 'MessageContents');
  const securityBlock = { certificates: certificates ?? [], signature };
  if (bodyCodec === undefined) {
    return { forwardingHeader, messageContents, securityBlock, contentsBytes, headerLength };
  }
  r.pos = bodyAt;
  r.end = bodyEnd;
  const decoded = bodyCodec.decode(r);
  r.done('MessageContents.message_body');
  return {
    forwardingHeader,
    messageContents,
    securityBlock,
    contentsBytes,
    headerLength,
    body: decoded,
  };
}
