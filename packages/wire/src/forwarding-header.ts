/**
 * RFC 6940 §6.3.2 ForwardingHeader, §6.3.2.2 Destination (incl. the 16-bit compressed
 * opaque id), §6.3.2.3 ForwardingOption, and the §6.3.1.1 NodeId / ResourceId types.
 *
 * ```
 * struct {
 *   uint32 relo_token;              // 0xd2454c4f
 *   uint32 overlay;                 // low 32 bits of SHA-1(overlay name)
 *   uint16 configuration_sequence;
 *   uint8  version;                 // 0x0a
 *   uint8  ttl;
 *   uint32 fragment;                // 0x80000000 | last 0x40000000 | 24-bit offset
 *   uint32 length;                  // whole message (this fragment) in bytes
 *   uint64 transaction_id;
 *   uint32 max_response_length;
 *   uint16 via_list_length;         // BYTES, not entries
 *   uint16 destination_list_length; // BYTES
 *   uint16 options_length;          // BYTES
 *   Destination      via_list[via_list_length];
 *   Destination      destination_list[destination_list_length];
 *   ForwardingOption options[options_length];
 * } ForwardingHeader;               // 38 fixed bytes + the three lists
 * ```
 */
import { bigU64 } from './builtins.js';
import { type Codec, Reader, type Writer, unencodable } from './codec.js';
import {
  DestinationType,
  FORWARDING_HEADER_FIXED_LENGTH,
  FRAGMENT_HIGH_BIT,
  FRAGMENT_LAST_BIT,
  FRAGMENT_OFFSET_MASK,
  NODE_ID_LENGTH_DEFAULT,
  NODE_ID_LENGTH_MAX,
  NODE_ID_LENGTH_MIN,
  RELO_TOKEN,
  RELOAD_VERSION,
} from './constants.js';
import { invalidMessage, ReloadError } from './errors.js';
import { getU32, isU16, isU32, isU8, putBytes, putFixedHeader } from './fast.js';

/** `typedef opaque NodeId[NodeIdLength]` (§6.3.1.1): 16–20 bytes fixed per overlay. */
export type NodeId = Uint8Array;
/** `typedef opaque ResourceId<0..2^8-1>` (§6.3.1.1): up to 255 bytes, 1-byte length on the wire. */
export type ResourceId = Uint8Array;

/** Options shared by decoders whose layout depends on the overlay. */
export interface WireOptions {
  /** NodeIdLength of the overlay in bytes, 16–20 (§6.3.1.1, §11.1 `node-id-length`); default 16. */
  nodeIdLength?: number;
}

/** Resolves and checks `opts.nodeIdLength` (16–20, default 16). */
export function nodeIdLengthOf(opts: WireOptions | undefined): number {
  const n = opts?.nodeIdLength ?? NODE_ID_LENGTH_DEFAULT;
  if (!Number.isInteger(n) || n < NODE_ID_LENGTH_MIN || n > NODE_ID_LENGTH_MAX) {
    throw new ReloadError('WIRE_BAD_NODE_ID_LENGTH', `NodeIdLength must be 16..20, got ${n}`);
  }
  return n;
}

/**
 * §6.3.2.2 Destination. The TLV forms are `node` (a NodeId), `resource` (a ResourceId, only
 * last in a destination list) and `opaque` (`opaque opaque_id<0..2^8-1>`); `compressed` is the
 * 16-bit form whose top bit is 1 (`id` is the whole uint16, 0x8000–0xFFFF), which the RFC says
 * to treat as an opaque_id of those 2 bytes. Types 4–127 are kept as `unknown` raw data.
 */
export type Destination =
  | { kind: 'node'; nodeId: NodeId }
  | { kind: 'resource'; resourceId: ResourceId }
  | { kind: 'opaque'; opaqueId: Uint8Array }
  | { kind: 'compressed'; id: number }
  | { kind: 'unknown'; type: number; data: Uint8Array };

function destinationDataLength(d: Destination): number {
  switch (d.kind) {
    case 'node':
      return d.nodeId.length;
    case 'resource':
      return 1 + d.resourceId.length;
    case 'opaque':
      return 1 + d.opaqueId.length;
    case 'compressed':
      return 0;
    case 'unknown':
      return d.data.length;
  }
}

/** Bytes a Destination occupies on the wire. */
export function destinationLength(d: Destination): number {
  return d.kind === 'compressed' ? 2 : 2 + destinationDataLength(d);
}

/**
 * Writes `type`, `length`, then (when `inner` ≥ 0) the 1-byte inner length, then `id`, with
 * room and ranges already checked by the caller.
 */
function putTlv(w: Writer, type: number, length: number, inner: number, id: Uint8Array): void {
  const b = w.buf;
  let p = w.pos;
  b[p++] = type;
  b[p++] = length;
  if (inner >= 0) b[p++] = inner;
  putBytes(b, p, id);
  w.pos = p + id.length;
}

/** Writes one Destination (§6.3.2.2). */
export function encodeDestination(d: Destination, w: Writer, nodeIdLength: number): void {
  switch (d.kind) {
    case 'compressed':
      if (!Number.isInteger(d.id) || d.id < 0x8000 || d.id > 0xffff) {
        throw unencodable('Destination.opaque_id', `compressed id ${d.id} needs the top bit set`);
      }
      w.u16(d.id, 'Destination.opaque_id');
      return;
    case 'node': {
      const id = d.nodeId;
      if (id.length === nodeIdLength && w.pos + 2 + nodeIdLength <= w.end) {
        // fast path, nothing left to check: type, length, the NodeId (bench/wire)
        putTlv(w, DestinationType.node, nodeIdLength, -1, id);
        return;
      }
      w.u8(DestinationType.node, 'Destination.type');
      w.u8(nodeIdLength, 'Destination.length');
      w.fixed(id, nodeIdLength, 'Destination.node_id');
      return;
    }
    case 'resource': {
      const id = d.resourceId;
      if (id.length <= 254 && w.pos + 3 + id.length <= w.end) {
        putTlv(w, DestinationType.resource, 1 + id.length, id.length, id);
        return;
      }
      w.u8(DestinationType.resource, 'Destination.type');
      w.u8(1 + id.length, 'Destination.length');
      w.opaque(id, 1, 'Destination.resource_id', 254);
      return;
    }
    case 'opaque':
      w.u8(DestinationType.opaque_id_type, 'Destination.type');
      w.u8(1 + d.opaqueId.length, 'Destination.length');
      w.opaque(d.opaqueId, 1, 'Destination.opaque_id', 254);
      return;
    case 'unknown':
      if (d.type < 4 || d.type > 0x7f) {
        throw unencodable('Destination.type', `${d.type} is not an unknown TLV type (4..127)`);
      }
      w.u8(d.type, 'Destination.type');
      w.opaque(d.data, 1, 'Destination.length');
      return;
  }
}

/** Reads one Destination (§6.3.2.2); NodeIds must be `nodeIdLength` bytes. */
export function decodeDestination(r: Reader, nodeIdLength: number): Destination {
  const at = r.pos;
  const b = r.buf;
  if (r.end - at >= 2) {
    // fast paths for well-formed node and resource TLVs; anything else (or anything
    // truncated or inconsistent) takes the per-field path below, with its errors
    const len = b[at + 1];
    if (at + 2 + len <= r.end) {
      if (b[at] === DestinationType.node && len === nodeIdLength) {
        r.pos = at + 2;
        return { kind: 'node', nodeId: r.bytes(len, 'Destination.node_id') };
      }
      if (b[at] === DestinationType.resource && len >= 1 && b[at + 2] === len - 1) {
        r.pos = at + 3;
        return { kind: 'resource', resourceId: r.bytes(len - 1, 'Destination.resource_id') };
      }
    }
  }
  const first = r.u8('Destination.type');
  if (first & 0x80) {
    // RFC 6940 §6.3.2.2: top bit 1 → a 16-bit compressed opaque id.
    return { kind: 'compressed', id: (first << 8) | r.u8('Destination.opaque_id') };
  }
  const len = r.u8('Destination.length');
  const saved = r.enter(len, 'Destination.length');
  let d: Destination;
  switch (first) {
    case DestinationType.invalidDestinationType:
      throw invalidMessage('Destination.type', at, 'invalidDestinationType (0)');
    case DestinationType.node:
      if (len !== nodeIdLength) {
        throw invalidMessage(
          'Destination.node_id',
          at + 1,
          `NodeId is ${len} bytes, overlay uses ${nodeIdLength}`,
        );
      }
      d = { kind: 'node', nodeId: r.bytes(nodeIdLength, 'Destination.node_id') };
      break;
    case DestinationType.resource:
      d = { kind: 'resource', resourceId: r.opaque(1, 'Destination.resource_id') };
      break;
    case DestinationType.opaque_id_type:
      d = { kind: 'opaque', opaqueId: r.opaque(1, 'Destination.opaque_id') };
      break;
    default:
      d = { kind: 'unknown', type: first, data: r.bytes(len, 'Destination') };
  }
  r.leave(
    saved,
    d.kind === 'opaque'
      ? 'Destination.opaque_id'
      : d.kind === 'resource'
        ? 'Destination.resource_id'
        : 'Destination',
  );
  return d;
}

/** Codec for a single Destination; `destinationCodec({ nodeIdLength })` for other overlays. */
export function destinationCodec(opts?: WireOptions): Codec<Destination> {
  const n = nodeIdLengthOf(opts);
  return {
    encodedLength: destinationLength,
    encode: (d, w) => encodeDestination(d, w, n),
    decode: (r) => decodeDestination(r, n),
  };
}

/** Destination codec for the default 16-byte NodeIds. */
export const DestinationCodec: Codec<Destination> = destinationCodec();

/** Total bytes of a list of destinations (what `*_list_length` carries). */
export function destinationListLength(list: readonly Destination[]): number {
  let n = 0;
  for (const d of list) n += destinationLength(d);
  return n;
}

/**
 * §6.3.2.3 ForwardingOption: `type` (uint8, 0 invalid), `flags` (FORWARD_CRITICAL 0x01,
 * DESTINATION_CRITICAL 0x02, RESPONSE_COPY 0x04), `value` (the `length` (uint16) bytes that
 * follow; opaque here — no option type is defined by RFC 6940 itself).
 */
export interface ForwardingOption {
  type: number;
  flags: number;
  value: Uint8Array;
}

/** Codec for {@link ForwardingOption} (RFC 6940 §6.3.2.3). */
export const ForwardingOptionCodec: Codec<ForwardingOption> = {
  encodedLength: (o) => 4 + o.value.length,
  encode(o, w) {
    if (o.type === 0) throw unencodable('ForwardingOption.type', 'invalidForwardingOption (0)');
    w.u8(o.type, 'ForwardingOption.type');
    w.u8(o.flags, 'ForwardingOption.flags');
    w.opaque(o.value, 2, 'ForwardingOption.length');
  },
  decode(r) {
    const at = r.pos;
    const type = r.u8('ForwardingOption.type');
    if (type === 0) throw invalidMessage('ForwardingOption.type', at, 'invalid (0)');
    const flags = r.u8('ForwardingOption.flags');
    return { type, flags, value: r.opaque(2, 'ForwardingOption.length') };
  },
};

function optionsLength(list: readonly ForwardingOption[]): number {
  let n = 0;
  for (const o of list) n += 4 + o.value.length;
  return n;
}

/**
 * §6.3.2 ForwardingHeader. `relo_token` is implicit (always 0xd2454c4f); `length` is the
 * length of the whole message (or fragment) and is set by {@link encodeMessage}.
 */
export interface ForwardingHeader {
  /** Low 32 bits of SHA-1(overlay name) (§6.3.2), uint32. */
  overlay: number;
  /** Configuration document sequence number (§6.3.2.1), uint16. */
  configurationSequence: number;
  /** Protocol version × 10; 0x0a for RFC 6940. */
  version: number;
  /** Remaining hops, uint8 (initial 100). */
  ttl: number;
  /** Raw `fragment` field: 0xC0000000 when unfragmented (§6.7). See {@link fragmentInfo}. */
  fragment: number;
  /** Message length in bytes including this header (set by encodeMessage). */
  length: number;
  /** 64-bit transaction id. */
  transactionId: bigint;
  /** Largest response the requester accepts, bytes (0 = no limit; 0 in responses). */
  maxResponseLength: number;
  viaList: Destination[];
  destinationList: Destination[];
  options: ForwardingOption[];
}

/** Decoded `fragment` field: offset (bytes after the forwarding header) and last bit. */
export interface FragmentInfo {
  /** Byte offset of this fragment's data within the data after the forwarding header. */
  offset: number;
  /** True for the last (or only) fragment. */
  last: boolean;
  /** True when this is a whole message: last and offset 0 (§6.7). */
  whole: boolean;
}

/** Splits a `fragment` field (§6.3.2, §6.7). */
export function fragmentInfo(fragment: number): FragmentInfo {
  const offset = fragment & FRAGMENT_OFFSET_MASK;
  const last = (fragment & FRAGMENT_LAST_BIT) !== 0;
  return { offset, last, whole: last && offset === 0 };
}

/** Builds a `fragment` field: high bit set, optional last bit, 24-bit offset (§6.7). */
export function makeFragmentField(offset: number, last: boolean): number {
  if (!Number.isInteger(offset) || offset < 0 || offset > FRAGMENT_OFFSET_MASK) {
    throw unencodable('ForwardingHeader.fragment', `offset ${offset} does not fit 24 bits`);
  }
  return (FRAGMENT_HIGH_BIT | (last ? FRAGMENT_LAST_BIT : 0) | offset) >>> 0;
}

/** Bytes the ForwardingHeader occupies: 38 + via + destination + options. */
export function forwardingHeaderLength(h: ForwardingHeader): number {
  return (
    FORWARDING_HEADER_FIXED_LENGTH +
    destinationListLength(h.viaList) +
    destinationListLength(h.destinationList) +
    optionsLength(h.options)
  );
}

/**
 * Writes a ForwardingHeader; `length` overrides `h.length` (encodeMessage passes the total).
 * @throws ReloadError('WIRE_UNENCODABLE') for out-of-range fields or lists over 65535 bytes.
 */
export function encodeForwardingHeader(
  h: ForwardingHeader,
  w: Writer,
  opts?: WireOptions,
  length = h.length,
): void {
  const n = nodeIdLengthOf(opts);
  const via = destinationListLength(h.viaList);
  const dst = destinationListLength(h.destinationList);
  const opt = optionsLength(h.options);
  const b = w.buf;
  const p = w.pos;
  const tx = h.transactionId;
  if (
    p + FORWARDING_HEADER_FIXED_LENGTH <= w.end &&
    typeof tx === 'bigint' &&
    tx >= 0n &&
    tx <= 0xffffffffffffffffn &&
    isU32(h.overlay) &&
    isU16(h.configurationSequence) &&
    isU8(h.version) &&
    isU8(h.ttl) &&
    isU32(h.fragment) &&
    isU32(length) &&
    isU32(h.maxResponseLength) &&
    isU16(via) &&
    isU16(dst) &&
    isU16(opt)
  ) {
    // Fast path: room and every field checked up front, then the 38 fixed bytes written
    // directly (a third of the per-field calls' cost; bench/wire). Anything out of range
    // takes the per-field path below, which throws the same error it always did.
    putFixedHeader(b, w.view, p, h, length, via, dst, opt);
    w.pos = p + FORWARDING_HEADER_FIXED_LENGTH;
  } else {
    w.u32(RELO_TOKEN, 'ForwardingHeader.relo_token');
    w.u32(h.overlay, 'ForwardingHeader.overlay');
    w.u16(h.configurationSequence, 'ForwardingHeader.configuration_sequence');
    w.u8(h.version, 'ForwardingHeader.version');
    w.u8(h.ttl, 'ForwardingHeader.ttl');
    w.u32(h.fragment, 'ForwardingHeader.fragment');
    w.u32(length, 'ForwardingHeader.length');
    w.u64(h.transactionId, 'ForwardingHeader.transaction_id');
    w.u32(h.maxResponseLength, 'ForwardingHeader.max_response_length');
    w.u16(via, 'ForwardingHeader.via_list_length');
    w.u16(dst, 'ForwardingHeader.destination_list_length');
    w.u16(opt, 'ForwardingHeader.options_length');
  }
  for (const d of h.viaList) encodeDestination(d, w, n);
  for (const d of h.destinationList) encodeDestination(d, w, n);
  for (const o of h.options) ForwardingOptionCodec.encode(o, w);
}

function decodeDestinationList(
  r: Reader,
  len: number,
  n: number,
  field: string,
  allowResourceLast: boolean,
): Destination[] {
  const saved = r.enter(len, field);
  let out: Destination[] | undefined; // `[first]` then push (see Reader.list)
  while (r.pos < r.end) {
    const at = r.pos;
    const d = decodeDestination(r, n);
    // RFC 6940 §6.3.2.2: a resource MUST only be the final destination, never in a Via List.
    if (d.kind === 'resource' && !(allowResourceLast && r.pos === r.end)) {
      throw invalidMessage(field, at, 'a resource destination may only end a destination list');
    }
    if (out === undefined) out = [d];
    else out.push(d);
  }
  r.leave(saved, field);
  return out ?? [];
}

function badToken(token: number, at: number): ReloadError {
  return invalidMessage(
    'ForwardingHeader.relo_token',
    at,
    `0x${token.toString(16)} is not 0xd2454c4f`,
  );
}

function badVersion(version: number, at: number): ReloadError {
  return invalidMessage('ForwardingHeader.version', at, `version 0x${version.toString(16)}`);
}

function badFragment(at: number): ReloadError {
  return invalidMessage('ForwardingHeader.fragment', at, 'high bit 0x80000000 not set');
}

/**
 * Reads a ForwardingHeader at the reader's position. Checks relo_token, version 0x0a (§6.3.2:
 * "Nodes MUST reject messages with other versions"), the fragment high bit (§6.7: SHOULD
 * discard when 0), and `length` ≥ header size. The caller checks `length` against the bytes
 * it has (decodeMessage / decodeForwardingHeader do).
 * @throws ReloadError(Error_Invalid_Message) naming field and offset.
 */
export function decodeForwardingHeaderFrom(r: Reader, opts?: WireOptions): ForwardingHeader {
  const n = nodeIdLengthOf(opts);
  const start = r.pos;
  let overlay: number;
  let configurationSequence: number;
  let version: number;
  let ttl: number;
  let fragment: number;
  let length: number;
  let transactionId: bigint;
  let maxResponseLength: number;
  let viaLen: number;
  let dstLen: number;
  let optLen: number;
  if (r.end - start >= FORWARDING_HEADER_FIXED_LENGTH) {
    // Fast path: the 38 fixed bytes are all there, so no field can be truncated; read them
    // straight from the buffer (same checks, same order, same offsets as the path below).
    const b = r.buf;
    const p = start;
    const token = getU32(b, p);
    if (token !== RELO_TOKEN) throw badToken(token, p);
    overlay = getU32(b, p + 4);
    configurationSequence = (b[p + 8] << 8) | b[p + 9];
    version = b[p + 10];
    if (version !== RELOAD_VERSION) throw badVersion(version, p + 10);
    ttl = b[p + 11];
    fragment = getU32(b, p + 12);
    if ((fragment & FRAGMENT_HIGH_BIT) === 0) throw badFragment(p + 12);
    length = getU32(b, p + 16);
    transactionId = bigU64(getU32(b, p + 20), getU32(b, p + 24));
    maxResponseLength = getU32(b, p + 28);
    viaLen = (b[p + 32] << 8) | b[p + 33];
    dstLen = (b[p + 34] << 8) | b[p + 35];
    optLen = (b[p + 36] << 8) | b[p + 37];
    r.pos = p + FORWARDING_HEADER_FIXED_LENGTH;
  } else {
    const token = r.u32('ForwardingHeader.relo_token');
    if (token !== RELO_TOKEN) throw badToken(token, start);
    overlay = r.u32('ForwardingHeader.overlay');
    configurationSequence = r.u16('ForwardingHeader.configuration_sequence');
    version = r.u8('ForwardingHeader.version');
    if (version !== RELOAD_VERSION) throw badVersion(version, r.pos - 1);
    ttl = r.u8('ForwardingHeader.ttl');
    fragment = r.u32('ForwardingHeader.fragment');
    if ((fragment & FRAGMENT_HIGH_BIT) === 0) throw badFragment(r.pos - 4);
    length = r.u32('ForwardingHeader.length');
    transactionId = r.u64('ForwardingHeader.transaction_id');
    maxResponseLength = r.u32('ForwardingHeader.max_response_length');
    viaLen = r.u16('ForwardingHeader.via_list_length');
    dstLen = r.u16('ForwardingHeader.destination_list_length');
    optLen = r.u16('ForwardingHeader.options_length');
  }
  const headerLength = FORWARDING_HEADER_FIXED_LENGTH + viaLen + dstLen + optLen;
  if (length < headerLength) {
    throw invalidMessage(
      'ForwardingHeader.length',
      start + 16,
      `${length} is shorter than the ${headerLength}-byte header`,
    );
  }
  const viaList = decodeDestinationList(r, viaLen, n, 'ForwardingHeader.via_list', false);
  const destinationList = decodeDestinationList(
    r,
    dstLen,
    n,
    'ForwardingHeader.destination_list',
    true,
  );
  const saved = r.enter(optLen, 'ForwardingHeader.options');
  const options = r.list(ForwardingOptionCodec.decode, Infinity, 'ForwardingHeader.options');
  r.leave(saved, 'ForwardingHeader.options');
  return {
    overlay,
    configurationSequence,
    version,
    ttl,
    fragment,
    length,
    transactionId,
    maxResponseLength,
    viaList,
    destinationList,
    options,
  };
}

/** Codec for ForwardingHeader with default 16-byte NodeIds (writes `h.length` as given). */
export const ForwardingHeaderCodec: Codec<ForwardingHeader> = forwardingHeaderCodec();

/** ForwardingHeader codec for an overlay's NodeIdLength. */
export function forwardingHeaderCodec(opts?: WireOptions): Codec<ForwardingHeader> {
  const o = { nodeIdLength: nodeIdLengthOf(opts) };
  return {
    encodedLength: forwardingHeaderLength,
    encode: (h, w) => encodeForwardingHeader(h, w, o),
    decode: (r) => decodeForwardingHeaderFrom(r, o),
  };
}

/** Result of {@link decodeForwardingHeader}: the header and where the rest starts. */
export interface ForwardingHeaderView {
  header: ForwardingHeader;
  /** Bytes the header occupies (offset of MessageContents, or of fragment data). */
  headerLength: number;
}

/**
 * Decodes only the ForwardingHeader of a whole message or fragment, for forwarding without
 * touching the rest. Requires `header.length === bytes.length` (§6.3.2).
 * @throws ReloadError(Error_Invalid_Message).
 */
export function decodeForwardingHeader(
  bytes: Uint8Array,
  opts?: WireOptions,
): ForwardingHeaderView {
  const r = new Reader(bytes);
  const header = decodeForwardingHeaderFrom(r, opts);
  if (header.length !== bytes.length) {
    throw invalidMessage(
      'ForwardingHeader.length',
      16,
      `says ${header.length} bytes, message has ${bytes.length}`,
    );
  }
  return { header, headerLength: r.pos };
}
