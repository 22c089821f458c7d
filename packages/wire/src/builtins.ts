/**
 * Built-in typed-array and DataView methods, looked up once. Internal to @reload/wire (not
 * re-exported from the package index).
 *
 * In Node 20 a call like `u8.set(src, at)` or `view.setBigUint64(at, v)` in optimized code
 * still goes through a generic property lookup of the method on every call (`LoadIC`, ≈ 2 %
 * of the bench/wire loop in `perf`); calling the function fetched once with `.call` skips
 * that lookup and behaves identically.
 */
const typedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;

const set = Uint8Array.prototype.set;
const bufferGetter = Object.getOwnPropertyDescriptor(typedArrayPrototype, 'buffer')?.get as (
  this: Uint8Array,
) => ArrayBufferLike;
const setBigUint64 = DataView.prototype.setBigUint64;
const getBigUint64 = DataView.prototype.getBigUint64;
const setUint32 = DataView.prototype.setUint32;

/** `dst.set(src, at)`. */
export function copyBytes(dst: Uint8Array, src: Uint8Array, at: number): void {
  set.call(dst, src, at);
}

/** `a.buffer`. */
export function bufferOf(a: Uint8Array): ArrayBufferLike {
  return bufferGetter.call(a);
}

/** `view.setBigUint64(at, v)` (big-endian). */
export function putBigU64(view: DataView, at: number, v: bigint): void {
  setBigUint64.call(view, at, v);
}

// An 8-byte scratch DataView: a uint64 from two uint32 halves is then one BigInt allocation
// (getBigUint64) instead of three BigInts and two BigInt operations (bench/wire: ≈ 25 ns
// instead of ≈ 70 ns for a random 64-bit transaction id).
const scratch64 = new DataView(new ArrayBuffer(8));

/** The uint64 `hi · 2^32 + lo` as a bigint (`hi`, `lo`: uint32). */
export function bigU64(hi: number, lo: number): bigint {
  setUint32.call(scratch64, 0, hi);
  setUint32.call(scratch64, 4, lo);
  return getBigUint64.call(scratch64, 0);
}
