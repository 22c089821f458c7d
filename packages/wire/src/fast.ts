/**
 * Straight-line helpers for the codec's fast paths (internal to @reload/wire, not re-exported).
 *
 * The hot structures (ForwardingHeader, SecurityBlock, StoredData, StoreReq, …) are encoded and
 * decoded by flat code that checks everything up front and then reads or writes the bytes
 * directly, instead of one Writer/Reader call per field: a call per byte field costs more than
 * the field itself in V8 (bench/wire; docs/decisions/0173). Anything the fast path does not
 * accept goes through the per-field path, which throws the same errors as before.
 */
import { copyBytes } from './builtins.js';

/** Largest uint64. */
export const U64_MAX = 0xffffffffffffffffn;

/** True when `v` is a bigint in 0..2^64−1. */
export function isU64(v: unknown): v is bigint {
  return typeof v === 'bigint' && v >= 0n && v <= U64_MAX;
}

/** True when `v` is an integer number in 0..2^32−1. */
export function isU32(v: unknown): v is number {
  return typeof v === 'number' && v >>> 0 === v;
}

/** True when `v` is an integer number in 0..65535. */
export function isU16(v: unknown): v is number {
  return typeof v === 'number' && (v & 0xffff) === v;
}

/** True when `v` is an integer number in 0..255. */
export function isU8(v: unknown): v is number {
  return typeof v === 'number' && (v & 0xff) === v;
}

/** Writes the uint32 `v` big-endian at `p` (range and room checked by the caller). */
export function putU32(b: Uint8Array, p: number, v: number): void {
  b[p] = v >>> 24;
  b[p + 1] = v >>> 16;
  b[p + 2] = v >>> 8;
  b[p + 3] = v; // Uint8Array stores keep the low 8 bits
}

/** The big-endian uint32 at `p` (bounds checked by the caller). */
export function getU32(b: Uint8Array, p: number): number {
  // multiply, not shift, for the top byte: `<< 24` would make values ≥ 2^31 negative
  return b[p] * 0x1000000 + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]);
}

/**
 * Copies `src` into `b` at `p` (room checked by the caller). 16 bytes (NodeIds, Resource-IDs)
 * are copied by 16 unrolled stores: ≈ 11 ns, against ≈ 12 ns for TypedArray.prototype.set
 * and ≈ 19 ns for a byte loop once the loop has also seen long arrays (bench/wire,
 * 2026-11-26); every other size goes to `set`.
 */
export function putBytes(b: Uint8Array, p: number, src: Uint8Array): void {
  if (src.length === 16) {
    b[p] = src[0];
    b[p + 1] = src[1];
    b[p + 2] = src[2];
    b[p + 3] = src[3];
    b[p + 4] = src[4];
    b[p + 5] = src[5];
    b[p + 6] = src[6];
    b[p + 7] = src[7];
    b[p + 8] = src[8];
    b[p + 9] = src[9];
    b[p + 10] = src[10];
    b[p + 11] = src[11];
    b[p + 12] = src[12];
    b[p + 13] = src[13];
    b[p + 14] = src[14];
    b[p + 15] = src[15];
  } else {
    copyBytes(b, src, p);
  }
}
