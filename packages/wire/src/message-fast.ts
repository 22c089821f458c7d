/**
 * Fast paths of encodeMessage / decodeMessage for the common message shape (internal to
 * @reload/wire; decisions 0171 and 0173): NodeId / Resource-ID destinations, no forwarding
 * options, no message extensions, and a SecurityBlock whose signature names its signer by
 * `cert_hash` or `cert_hash_node_id` (§6.3.4). The envelope — ForwardingHeader, the
 * MessageContents around the body, the SecurityBlock — is checked in full first and then
 * written or read in one flat function with a local offset; the method body still goes through
 * its codec. Anything else returns `undefined` having produced nothing, and the per-field
 * code in message.ts runs instead: it owns every error, so errors are the same either way.
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
import { isU16, isU32, isU64, isU8, putBytes, putU32 } from './fast.js';
import { type Destination, type ForwardingHeader, putFixedHeader } from './forwarding-header.js';
import { type BodySource, isValidMessageCode, type MessageContents } from './message-contents.js';
import type { DecodedMessage, DecodedMessageWithBody, Message } from './message.js';
import {
  type GenericCertificate,
  type Signature,
  SignerIdentityType,
  type SignerIdentity,
} from './security-block.js';
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

/** The certificate hash of a `cert_hash` / `cert_hash_node_id` identity, else undefined. */
function identityHash(id: SignerIdentity): Uint8Array | undefined {
  if (id.identityType === SignerIdentityType.cert_hash && 'certificateHash' in id) {
    return id.certificateHash;
  }
  if (id.identityType === SignerIdentityType.cert_hash_node_id && 'certificateNodeIdHash' in id) {
    return id.certificateNodeIdHash;
  }
  return undefined;
}

/** SecurityBlock bytes the fast path writes, or −1 for a shape it leaves alone. */
function securityBlockLength(certs: readonly GenericCertificate[], sig: Signature): number {
  let n = 2;
  for (let i = 0; i < certs.length; i++) {
    const c = certs[i];
    if (!isU8(c.type) || c.certificate.length > 0xffff) return -1;
    n += 3 + c.certificate.length;
  }
  if (n - 2 > 0xffff) return -1;
  const id = sig.identity;
  const hash = identityHash(id);
  const alg = sig.algorithm;
  if (
    hash === undefined ||
    hash.length > 0xff ||
    sig.signatureValue.length > 0xffff ||
    !isU8(alg.hash) ||
    !isU8(alg.signature) ||
    !isU8((id as { hashAlg: number }).hashAlg)
  ) {
    return -1;
  }
  // algorithm (2), identity type (1), identity length (2), hash_alg (1), hash<0..255>,
  // signature_value<0..2^16-1>
  return n + 7 + hash.length + 2 + sig.signatureValue.length;
}

/** Writes a SecurityBlock checked by {@link securityBlockLength}; returns the new offset. */
function putSecurityBlock(
  b: Uint8Array,
  p: number,
  certs: readonly GenericCertificate[],
  sig: Signature,
): number {
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
  const certsLength = p - at - 2;
  b[at] = certsLength >>> 8;
  b[at + 1] = certsLength;
  const id = sig.identity;
  const hash = identityHash(id) as Uint8Array;
  const value = sig.signatureValue;
  b[p] = sig.algorithm.hash;
  b[p + 1] = sig.algorithm.signature;
  b[p + 2] = id.identityType;
  b[p + 3] = (2 + hash.length) >>> 8; // SignerIdentity.length = 2 + hash length ≤ 257
  b[p + 4] = 2 + hash.length;
  b[p + 5] = (id as { hashAlg: number }).hashAlg;
  b[p + 6] = hash.length;
  putBytes(b, p + 7, hash);
  p += 7 + hash.length;
  b[p] = value.length >>> 8;
  b[p + 1] = value.length;
  putBytes(b, p + 2, value);
  return p + 2 + value.length;
}

/**
 * encodeMessage for the common shape (see the module comment), or undefined (nothing written,
 * nothing allocated) for any other message or any field out of range.
 * @throws what the body codec throws.
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
  const security = securityBlockLength(sb.certificates, sb.signature);
  const tx = h.transactionId;
  if (
    via < 0 ||
    dst < 0 ||
    security < 0 ||
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
  const bodyLength = body ? body.codec.encodedLength(body.value) : c.messageBody.length;
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
    p = putSecurityBlock(b, p + 4, sb.certificates, sb.signature);
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
  // SecurityBlock: certificates<0..2^16-1>, then the signature
  const certsAt = bodyEnd + 6;
  const certsEnd = certsAt + ((b[bodyEnd + 4] << 8) | b[bodyEnd + 5]);
  if (certsEnd + 7 > len) return undefined;
  let p = certsAt;
  let certCount = 0;
  while (p < certsEnd) {
    if (p + 3 > certsEnd) return undefined;
    p += 3 + ((b[p + 1] << 8) | b[p + 2]);
    certCount++;
  }
  const identityType = b[certsEnd + 2];
  const hashLength = b[certsEnd + 6];
  const valueAt = certsEnd + 7 + hashLength;
  if (
    p !== certsEnd ||
    (identityType !== SignerIdentityType.cert_hash &&
      identityType !== SignerIdentityType.cert_hash_node_id) ||
    ((b[certsEnd + 3] << 8) | b[certsEnd + 4]) !== 2 + hashLength ||
    valueAt + 2 > len ||
    valueAt + 2 + ((b[valueAt] << 8) | b[valueAt + 1]) !== len
  ) {
    return undefined;
  }
  // destinations: NodeIds of the overlay's length in both lists, a Resource-ID only last
  p = FORWARDING_HEADER_FIXED_LENGTH;
  const r = new Reader(bytes);
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
  let certificates: GenericCertificate[] | undefined;
  p = certsAt;
  for (let i = 0; i < certCount; i++) {
    const n = (b[p + 1] << 8) | b[p + 2];
    r.pos = p + 3;
    const cert: GenericCertificate = {
      type: b[p],
      certificate: r.bytes(n, 'GenericCertificate.certificate'),
    };
    if (certificates === undefined) certificates = [cert];
    else certificates.push(cert);
    p += 3 + n;
  }
  r.pos = certsEnd + 7;
  const hash = r.bytes(hashLength, 'SignerIdentity.certificate_hash');
  const hashAlg = b[certsEnd + 5];
  r.pos = valueAt + 2;
  const signatureValue = r.bytes(len - valueAt - 2, 'Signature.signature_value');
  const signature: Signature = {
    algorithm: { hash: b[certsEnd], signature: b[certsEnd + 1] },
    identity:
      identityType === SignerIdentityType.cert_hash
        ? { identityType: SignerIdentityType.cert_hash, hashAlg, certificateHash: hash }
        : {
            identityType: SignerIdentityType.cert_hash_node_id,
            hashAlg,
            certificateNodeIdHash: hash,
          },
    signatureValue,
  };
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
