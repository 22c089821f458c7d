/**
 * RFC 6940 §6.3.1 presentation-language primitives: fixed-width big-endian integers and
 * variable-length vectors whose length prefix is as wide as the declared maximum needs
 * (`<0..2^8-1>` → 1 byte, `<0..2^16-1>` → 2, `<0..2^24-1>` → 3, `<0..2^32-1>` → 4).
 *
 * {@link Writer} writes into a caller's buffer at an offset (size first, allocate once);
 * {@link Reader} checks bounds before every read, enforces every vector's maximum and returns
 * views (subarrays) of the input, never copies. Everything it throws is a
 * {@link ReloadError} with `Error_Invalid_Message` semantics naming field and offset.
 */
import { bigU64, bufferOf, putBigU64 } from './builtins.js';
import { putBytes } from './fast.js';
import { invalidMessage, ReloadError } from './errors.js';

/** Width in bytes of a vector length prefix: 1, 2, 3 or 4 (§6.3.1). */
export type PrefixWidth = 1 | 2 | 3 | 4;

/** Largest length a prefix of this width can express (2^(8·width) − 1). */
export function maxForWidth(width: PrefixWidth): number {
  return width === 4 ? 0xffffffff : (1 << (8 * width)) - 1;
}

/** An encoder/decoder trio for one wire type (house style §1). */
export interface Codec<T> {
  /** Exact number of bytes `encode` will write for `value`. */
  encodedLength(value: T): number;
  /** Writes `value` at the writer's position; throws ReloadError (local code) if unencodable. */
  encode(value: T, w: Writer): void;
  /** Reads one value at the reader's position; throws ReloadError(Error_Invalid_Message). */
  decode(r: Reader): T;
}

/** Thrown by encoders for values that cannot be represented (a programming error upstream). */
export function unencodable(field: string, why: string): ReloadError {
  return new ReloadError('WIRE_UNENCODABLE', `${field}: ${why}`, { field });
}

// Error builders kept out of the hot methods: a template literal in a method body makes it
// bigger for the inliner, and these only run when a value is rejected.
function tooSmall(field: string, n: number, pos: number): ReloadError {
  return unencodable(field, `buffer too small: need ${n} bytes at offset ${pos}`);
}

function notA(field: string, v: unknown, type: string): ReloadError {
  return unencodable(field, `${String(v)} is not a ${type}`);
}

function outside(field: string, length: number, min: number, max: number): ReloadError {
  return unencodable(field, `length ${length} outside <${min}..${max}>`);
}

function outOfBounds(field: string, length: number, min: number, max: number): ReloadError {
  return length > max
    ? unencodable(field, `length ${length} exceeds maximum ${max}`)
    : unencodable(field, `length ${length} below minimum ${min}`);
}

/**
 * Sequential big-endian writer into a caller-provided buffer. Integers are written byte by
 * byte (no DataView on the encode path; `view` is created on first access) after an
 * integer-range check that costs one operation (`(v >>> 0) === v` and friends).
 */
export class Writer {
  readonly buf: Uint8Array;
  /** Current absolute offset in `buf`. */
  pos: number;
  /** Offset after the last byte this writer may write. */
  end: number;
  private dataView: DataView | undefined;

  /** @param view a DataView over exactly `buf` to reuse; created lazily when omitted. */
  constructor(buf: Uint8Array, offset = 0, end = buf.length, view?: DataView) {
    this.buf = buf;
    this.dataView = view;
    this.pos = offset;
    this.end = end;
  }

  /** A DataView over exactly `buf` (created on first access, then shared). */
  get view(): DataView {
    return (this.dataView ??= new DataView(
      this.buf.buffer,
      this.buf.byteOffset,
      this.buf.byteLength,
    ));
  }

  private room(n: number, field: string): void {
    if (this.pos + n > this.end) {
      throw tooSmall(field, n, this.pos);
    }
  }

  // Range checks: `(v & 0xff) === v` holds exactly for the integers 0..255 (NaN, fractions,
  // negatives and larger values all change under the mask); `typeof` first so that a bigint
  // or string is reported as unencodable instead of throwing a TypeError from `&`.

  u8(v: number, field = 'uint8'): void {
    if (typeof v !== 'number' || (v & 0xff) !== v) throw notA(field, v, 'uint8');
    this.room(1, field);
    this.buf[this.pos++] = v;
  }

  u16(v: number, field = 'uint16'): void {
    if (typeof v !== 'number' || (v & 0xffff) !== v) {
      throw notA(field, v, 'uint16');
    }
    this.room(2, field);
    const b = this.buf;
    const p = this.pos;
    b[p] = v >>> 8;
    b[p + 1] = v; // Uint8Array stores keep the low 8 bits
    this.pos = p + 2;
  }

  u24(v: number, field = 'uint24'): void {
    if (typeof v !== 'number' || (v & 0xffffff) !== v) {
      throw notA(field, v, 'uint24');
    }
    this.room(3, field);
    const b = this.buf;
    const p = this.pos;
    b[p] = v >>> 16;
    b[p + 1] = v >>> 8;
    b[p + 2] = v;
    this.pos = p + 3;
  }

  u32(v: number, field = 'uint32'): void {
    if (typeof v !== 'number' || v >>> 0 !== v) throw notA(field, v, 'uint32');
    this.room(4, field);
    const b = this.buf;
    const p = this.pos;
    b[p] = v >>> 24;
    b[p + 1] = v >>> 16;
    b[p + 2] = v >>> 8;
    b[p + 3] = v;
    this.pos = p + 4;
  }

  u64(v: bigint, field = 'uint64'): void {
    if (typeof v !== 'bigint' || v < 0n || v > 0xffffffffffffffffn) {
      throw notA(field, v, 'uint64');
    }
    this.room(8, field);
    // DataView.setBigUint64 beats splitting the bigint by hand (bench/wire: 10 ns vs 25–40)
    putBigU64(this.view, this.pos, v);
    this.pos += 8;
  }

  /** Unsigned integer of `width` bytes (a length prefix). */
  uint(width: PrefixWidth, v: number, field: string): void {
    switch (width) {
      case 1:
        return this.u8(v, field);
      case 2:
        return this.u16(v, field);
      case 3:
        return this.u24(v, field);
      case 4:
        return this.u32(v, field);
    }
  }

  /** Raw bytes, no prefix (fixed-size fields such as `NodeId`, `uint128`). */
  bytes(b: Uint8Array, field = 'bytes'): void {
    const n = b.length;
    this.room(n, field);
    putBytes(this.buf, this.pos, b);
    this.pos += n;
  }

  /** Fixed-size opaque field: exactly `size` bytes required. */
  fixed(b: Uint8Array, size: number, field: string): void {
    if (b.length !== size) throw unencodable(field, `must be ${size} bytes, got ${b.length}`);
    this.bytes(b, field);
  }

  /** `opaque x<min..max>`: length prefix of `width` bytes, then the bytes. */
  opaque(
    b: Uint8Array,
    width: PrefixWidth,
    field: string,
    max = maxForWidth(width),
    min = 0,
  ): void {
    if (b.length > max || b.length < min) throw outside(field, b.length, min, max);
    this.uint(width, b.length, field);
    this.bytes(b, field);
  }

  /**
   * Starts a vector whose length is not computed up front: reserves a `width`-byte length
   * prefix and returns its offset, for {@link Writer.endVector} to fill in once the elements
   * are written (no closure, no second pass over encodedLength on hot paths).
   */
  beginVector(width: PrefixWidth, field: string): number {
    this.room(width, field);
    const at = this.pos;
    this.pos += width;
    return at;
  }

  /**
   * Ends a vector begun at `at` by {@link Writer.beginVector}: writes the byte count since the
   * prefix into it, after checking it against `<min..max>`.
   * @throws ReloadError('WIRE_UNENCODABLE') when the length is out of range.
   */
  endVector(
    at: number,
    width: PrefixWidth,
    field: string,
    max = maxForWidth(width),
    min = 0,
  ): void {
    const length = this.pos - at - width;
    if (length > max || length < min) throw outOfBounds(field, length, min, max);
    const b = this.buf;
    switch (width) {
      case 4:
        b[at] = length >>> 24;
        b[at + 1] = (length >>> 16) & 0xff;
        b[at + 2] = (length >>> 8) & 0xff;
        b[at + 3] = length & 0xff;
        return;
      case 3:
        b[at] = length >>> 16;
        b[at + 1] = (length >>> 8) & 0xff;
        b[at + 2] = length & 0xff;
        return;
      case 2:
        b[at] = length >>> 8;
        b[at + 1] = length & 0xff;
        return;
      case 1:
        b[at] = length;
        return;
    }
  }

  /**
   * A vector of structures: writes a `width`-byte length prefix equal to `length` (computed by
   * the caller from encodedLength), then calls `body`, and checks that exactly `length` bytes
   * were written.
   */
  vector(
    width: PrefixWidth,
    length: number,
    field: string,
    body: () => void,
    max = maxForWidth(width),
  ): void {
    if (length > max) throw unencodable(field, `length ${length} exceeds maximum ${max}`);
    this.uint(width, length, field);
    const start = this.pos;
    body();
    if (this.pos - start !== length) {
      throw unencodable(field, `wrote ${this.pos - start} bytes, expected ${length}`);
    }
  }
}

// Decode error builders, kept out of the hot methods (see the encode ones above).
function badRange(field: string, start: number, end: number, length: number): ReloadError {
  return invalidMessage(field, start, `bad range [${start}, ${end}) of ${length}`);
}

function truncated(field: string, at: number, n: number, left: number): ReloadError {
  return invalidMessage(field, at, `needs ${n} bytes, only ${left} left`);
}

function badLength(field: string, at: number, len: number, min: number, max: number) {
  return invalidMessage(field, at, `length ${len} outside <${min}..${max}>`);
}

function trailing(field: string, at: number, n: number): ReloadError {
  return invalidMessage(field, at, `${n} trailing bytes`);
}

/**
 * Bounds-checked big-endian reader over a byte range; every read names its field. Integers
 * are assembled from the bytes (no DataView is needed on the decode path, so creating a
 * Reader allocates nothing but itself); `view` is created on first use.
 */
export class Reader {
  readonly buf: Uint8Array;
  /** Current absolute offset in `buf`. */
  pos: number;
  /** Absolute offset one past the last readable byte. */
  end: number;
  private dataView: DataView | undefined;
  /**
   * `buf.buffer` when `buf` is a plain Uint8Array (not a Buffer or other subclass) of more
   * than 64 bytes: views are then built as `new Uint8Array(buffer, offset, n)`, about twice
   * as cheap as `subarray` (no species lookup). Subclasses keep `subarray`, so a Buffer's
   * fields stay Buffers; small arrays too, because `.buffer` would move an on-heap array.
   */
  private readonly arrayBuffer: ArrayBufferLike | undefined;
  /** `buf.byteOffset` when {@link Reader.arrayBuffer} is set. */
  private readonly base: number;

  /**
   * @param view a DataView over exactly `buf` to share (sub-readers pass their parent's);
   *   created lazily by {@link Reader.view} when omitted.
   * @param parent a Reader over the same `buf` (a sub-reader's parent), whose lookup of the
   *   underlying ArrayBuffer is reused (`.buffer` is a call into C++ in V8, ≈ 30 ns).
   */
  constructor(buf: Uint8Array, offset = 0, end = buf.length, view?: DataView, parent?: Reader) {
    if (offset < 0 || end > buf.length || offset > end) {
      throw badRange('buffer', offset, end, buf.length);
    }
    this.buf = buf;
    this.dataView = view;
    this.pos = offset;
    this.end = end;
    if (parent !== undefined && parent.buf === buf) {
      this.arrayBuffer = parent.arrayBuffer;
      this.base = parent.base;
    } else if (buf.length > 64 && buf.constructor === Uint8Array) {
      // `constructor`, not Object.getPrototypeOf (≈ 17 ns against ≈ 5 ns in V8 11.3)
      this.arrayBuffer = bufferOf(buf);
      this.base = buf.byteOffset;
    } else {
      this.arrayBuffer = undefined;
      this.base = 0;
    }
  }

  /** A DataView over exactly `buf` (created on first access, then shared). */
  get view(): DataView {
    return (this.dataView ??= new DataView(
      this.buf.buffer,
      this.buf.byteOffset,
      this.buf.byteLength,
    ));
  }

  /** Bytes left before `end`. */
  get remaining(): number {
    return this.end - this.pos;
  }

  need(n: number, field: string): void {
    if (this.pos + n > this.end) {
      throw truncated(field, this.pos, n, this.end - this.pos);
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.buf[this.pos++];
  }

  u16(field: string): number {
    this.need(2, field);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 2;
    return (b[p] << 8) | b[p + 1];
  }

  u24(field: string): number {
    this.need(3, field);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 3;
    return (b[p] << 16) | (b[p + 1] << 8) | b[p + 2];
  }

  u32(field: string): number {
    this.need(4, field);
    const b = this.buf;
    const p = this.pos;
    this.pos = p + 4;
    // multiply, not shift, for the top byte: `<< 24` would make values ≥ 2^31 negative
    return b[p] * 0x1000000 + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]);
  }

  /** The big-endian uint32 at `p` (bounds already checked by the caller). */
  private be32(p: number): number {
    const b = this.buf;
    return b[p] * 0x1000000 + ((b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]);
  }

  /** uint64 as a bigint (one BigInt per field; see {@link Reader.u64Number} to avoid it). */
  u64(field: string): bigint {
    this.need(8, field);
    const p = this.pos;
    this.pos = p + 8;
    return bigU64(this.be32(p), this.be32(p + 4));
  }

  /**
   * uint64 as a number when it is at most `Number.MAX_SAFE_INTEGER` (2^53 − 1), else as a
   * bigint: no BigInt allocation for the usual values (times in ms, counters).
   */
  u64Number(field: string): number | bigint {
    this.need(8, field);
    const p = this.pos;
    this.pos = p + 8;
    const hi = this.be32(p);
    const lo = this.be32(p + 4);
    return hi < 0x200000 ? hi * 0x100000000 + lo : bigU64(hi, lo);
  }

  uint(width: PrefixWidth, field: string): number {
    switch (width) {
      case 1:
        return this.u8(field);
      case 2:
        return this.u16(field);
      case 3:
        return this.u24(field);
      case 4:
        return this.u32(field);
    }
  }

  /** `n` raw bytes as a view of the input (no copy). */
  bytes(n: number, field: string): Uint8Array {
    this.need(n, field);
    const p = this.pos;
    this.pos = p + n;
    const ab = this.arrayBuffer;
    return ab === undefined ? this.buf.subarray(p, p + n) : new Uint8Array(ab, this.base + p, n);
  }

  /**
   * A view of `buf[start, end)` (absolute offsets, no copy, position unchanged), built like
   * {@link Reader.bytes}; e.g. the exact bytes of a structure just decoded.
   * @throws ReloadError(Error_Invalid_Message) when the range is not inside `buf`.
   */
  range(start: number, end: number, field = 'range'): Uint8Array {
    if (start < 0 || end > this.buf.length || start > end) {
      throw badRange(field, start, end, this.buf.length);
    }
    const ab = this.arrayBuffer;
    return ab === undefined
      ? this.buf.subarray(start, end)
      : new Uint8Array(ab, this.base + start, end - start);
  }

  /** `opaque x<min..max>` as a view: prefix of `width` bytes, then that many bytes. */
  opaque(width: PrefixWidth, field: string, max = maxForWidth(width), min = 0): Uint8Array {
    const at = this.pos;
    const len = this.uint(width, field);
    if (len > max || len < min) {
      throw badLength(field, at, len, min, max);
    }
    return this.bytes(len, field);
  }

  /**
   * Reads a length prefix and returns a sub-reader confined to that many bytes; this reader
   * skips past them. Use {@link Reader.done} on the sub-reader to require full consumption.
   */
  sub(width: PrefixWidth, field: string, max = maxForWidth(width), min = 0): Reader {
    const at = this.pos;
    const len = this.uint(width, field);
    if (len > max || len < min) {
      throw badLength(field, at, len, min, max);
    }
    return this.take(len, field);
  }

  /** A sub-reader over the next `len` bytes; this reader skips past them. */
  take(len: number, field: string): Reader {
    this.need(len, field);
    const r = new Reader(this.buf, this.pos, this.pos + len, this.dataView, this);
    this.pos += len;
    return r;
  }

  /**
   * Confines this reader to the next `len` bytes without creating a sub-reader (cheaper on
   * hot paths): returns the previous `end`, to be given to {@link Reader.leave}.
   */
  enter(len: number, field: string): number {
    this.need(len, field);
    const saved = this.end;
    this.end = this.pos + len;
    return saved;
  }

  /** Requires the confined range to be fully consumed, then restores `end` (see enter). */
  leave(savedEnd: number, field: string): void {
    this.done(field);
    this.end = savedEnd;
  }

  /** Decodes elements until the reader is exhausted (vector of structures). */
  list<T>(decode: (r: Reader) => T, maxCount = Infinity, field = 'vector'): T[] {
    if (this.pos >= this.end) return [];
    if (maxCount < 1) throw invalidMessage(field, this.pos, `more than ${maxCount} elements`);
    // `[first]` then push: an empty array's first push allocates room for 17 elements,
    // most vectors on the wire hold one or two (bench/wire: a quarter of decode garbage)
    const out: T[] = [decode(this)];
    while (this.pos < this.end) {
      if (out.length >= maxCount) {
        throw invalidMessage(field, this.pos, `more than ${maxCount} elements`);
      }
      out.push(decode(this));
    }
    return out;
  }

  /** Requires that every byte was consumed (no trailing bytes in a structure). */
  done(field: string): void {
    if (this.pos !== this.end) {
      throw trailing(field, this.pos, this.end - this.pos);
    }
  }
}

/** Encodes `value` into a fresh buffer of exactly `codec.encodedLength(value)` bytes. */
export function encodeToBytes<T>(codec: Codec<T>, value: T): Uint8Array {
  const out = new Uint8Array(codec.encodedLength(value));
  const w = new Writer(out);
  codec.encode(value, w);
  if (w.pos !== out.length) {
    throw unencodable('encodedLength', `encoded ${w.pos} bytes, encodedLength said ${out.length}`);
  }
  return out;
}

/**
 * Encodes `value` into `buf` at `offset`; returns the offset after the last byte written.
 * @throws ReloadError('WIRE_UNENCODABLE') when the buffer is too small or a value is out of range.
 */
export function encodeInto<T>(codec: Codec<T>, value: T, buf: Uint8Array, offset = 0): number {
  const w = new Writer(buf, offset);
  codec.encode(value, w);
  return w.pos;
}

/**
 * Decodes exactly one value occupying all of `buf[offset, end)`.
 * @throws ReloadError(Error_Invalid_Message) on truncation, bad values or trailing bytes.
 */
export function decodeExact<T>(
  codec: Codec<T>,
  buf: Uint8Array,
  offset = 0,
  end = buf.length,
  field = 'message',
): T {
  const r = new Reader(buf, offset, end);
  const v = codec.decode(r);
  r.done(field);
  return v;
}

/** Byte-wise equality of two arrays (constant-time is not needed for wire data). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
