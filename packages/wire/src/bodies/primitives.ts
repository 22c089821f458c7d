/**
 * Small building blocks shared by the method-body codecs (storage, Chord, §6.4/§6.5 bodies):
 * RFC 6940 §6.3.1.1 Boolean, NodeId (fixed, per-overlay length), ResourceId, KindId, and
 * generic "vector of structures" / "vector of fixed-size items" codecs.
 *
 * Internal to @reload/wire: not re-exported from the package index (the forwarding-header
 * module owns the public NodeId/ResourceId helpers), so names here cannot collide.
 */
import {
  type Codec,
  maxForWidth,
  type PrefixWidth,
  type Reader,
  type Writer,
  unencodable,
} from '../codec.js';
import { invalidMessage } from '../errors.js';
import { type WireOptions, nodeIdLengthOf } from '../forwarding-header.js';

/**
 * The overlay's NodeId length, given either as a number of bytes or as {@link WireOptions}
 * (the forwarding-header convention). Default 16.
 */
export type NodeIdLengthOption = number | WireOptions | undefined;

/**
 * Resolves a {@link NodeIdLengthOption} to 16–20 bytes (RFC 6940 §6.3.1.1).
 * @throws ReloadError('WIRE_BAD_NODE_ID_LENGTH') outside 16..20.
 */
export function resolveNodeIdLength(opt: NodeIdLengthOption): number {
  return nodeIdLengthOf(typeof opt === 'number' ? { nodeIdLength: opt } : opt);
}

/** `enum { false(0), true(1), (255) } Boolean` — any other byte is a parse error (§6.3.1.1). */
export function readBoolean(r: Reader, field: string): boolean {
  const at = r.pos;
  const b = r.u8(field);
  if (b === 0) return false;
  if (b === 1) return true;
  throw invalidMessage(field, at, `Boolean must be 0 or 1, got ${b}`);
}

export function writeBoolean(w: Writer, v: boolean, field: string): void {
  if (typeof v !== 'boolean') throw unencodable(field, `${String(v)} is not a boolean`);
  w.u8(v ? 1 : 0, field);
}

/** `typedef opaque ResourceId<0..2^8-1>` (§6.3.1.1): 1-byte length prefix. */
export function readResourceId(r: Reader, field: string): Uint8Array {
  return r.opaque(1, field);
}

export function writeResourceId(w: Writer, v: Uint8Array, field: string): void {
  w.opaque(v, 1, field);
}

/** Reads a `NodeId[len]` (no prefix). */
export function readNodeId(r: Reader, len: number, field: string): Uint8Array {
  return r.bytes(len, field);
}

export function writeNodeId(w: Writer, v: Uint8Array, len: number, field: string): void {
  w.fixed(v, len, field);
}

/**
 * `NodeId xs<0..2^(8·width)-1>`: a prefixed vector of fixed-length NodeIds. The prefix counts
 * bytes, so it must be a multiple of the NodeId length.
 */
export function nodeIdListLength(ids: readonly Uint8Array[], width: PrefixWidth, len: number) {
  return width + ids.length * len;
}

export function writeNodeIdList(
  w: Writer,
  ids: readonly Uint8Array[],
  width: PrefixWidth,
  len: number,
  field: string,
): void {
  w.vector(width, ids.length * len, field, () => {
    for (const id of ids) w.fixed(id, len, field);
  });
}

export function readNodeIdList(
  r: Reader,
  width: PrefixWidth,
  len: number,
  field: string,
): Uint8Array[] {
  const at = r.pos;
  const sub = r.sub(width, field);
  if (sub.remaining % len !== 0) {
    throw invalidMessage(field, at, `${sub.remaining} bytes is not a multiple of NodeId ${len}`);
  }
  const out: Uint8Array[] = [];
  while (sub.remaining > 0) out.push(sub.bytes(len, field));
  return out;
}

/** Options of {@link vectorCodec}. */
export interface VectorOptions {
  /** Minimum encoded length of the vector body in bytes (declared `<min..max>`). */
  min?: number;
  /** Maximum encoded length in bytes; defaults to the prefix width's maximum. */
  max?: number;
}

/**
 * `T xs<min..max>` — a vector of structures whose length prefix (of `width` bytes) counts
 * bytes (§6.3.1). Decoding reads elements until the prefixed range is exhausted; an element
 * overrunning the range is a parse error.
 */
export function vectorCodec<T>(
  elem: Codec<T>,
  width: PrefixWidth,
  field: string,
  opts: VectorOptions = {},
): Codec<T[]> {
  const min = opts.min ?? 0;
  const max = opts.max;
  const bodyLength = (v: readonly T[]): number => {
    let n = 0;
    for (const x of v) n += elem.encodedLength(x);
    return n;
  };
  // called as a method, as element codecs may rely on `this`
  const decodeElem = (r: Reader): T => elem.decode(r);
  return {
    encodedLength: (v) => width + bodyLength(v),
    encode(v, w) {
      const at = w.beginVector(width, field);
      for (const x of v) elem.encode(x, w);
      w.endVector(at, width, field, max, min);
    },
    decode(r) {
      // confine the one reader to the vector (no sub-reader); an element overrunning it fails
      const at = r.pos;
      const len = r.uint(width, field);
      if (len < min || (max !== undefined && len > max)) {
        throw invalidMessage(
          field,
          at,
          `length ${len} outside <${min}..${max ?? maxForWidth(width)}>`,
        );
      }
      const saved = r.enter(len, field);
      const out = r.list(decodeElem, Infinity, field);
      r.end = saved;
      return out;
    },
  };
}

/** `uint32` as a codec naming `field` (used for KindId lists). */
export function uint32Codec(field: string): Codec<number> {
  return {
    encodedLength: () => 4,
    encode: (v, w) => w.u32(v, field),
    decode: (r) => r.u32(field),
  };
}

/** A codec for a structure with no fields (`struct {} X;`, e.g. LeaveAns, ConfigUpdateAns). */
export function emptyCodec(): Codec<Record<string, never>> {
  return {
    encodedLength: () => 0,
    encode: () => undefined,
    decode: () => ({}),
  };
}

/** A codec that takes all remaining bytes as a view (opaque overlay-specific bodies). */
export const RestCodec: Codec<Uint8Array> = {
  encodedLength: (v) => v.length,
  encode: (v, w) => w.bytes(v, 'body'),
  decode: (r) => r.bytes(r.remaining, 'body'),
};
