/**
 * Ring arithmetic for CHORD-RELOAD (RFC 6940 §10.1): Node-IDs are unsigned integers modulo
 * 2^k where k is the overlay's NodeId length in bits (128 by default, up to 160 with
 * `node-id-length` 20). Internally ids are `bigint`; on the API they are `Uint8Array`
 * (big-endian, exactly `nodeIdLength` bytes).
 */
import { ErrorCode, ReloadError } from '@reload/wire';

/** NodeId length bounds in bytes (RFC 6940 §6.3.1.1, §11.1 `node-id-length`). */
const MIN_BYTES = 16;
const MAX_BYTES = 20;

/**
 * Arithmetic on one overlay's identifier circle. Create one per overlay with its NodeId length
 * (bytes, 16–20). All methods are pure.
 *
 * @throws ReloadError('CHORD_BAD_NODE_ID_LENGTH') from the constructor for a length outside 16–20.
 */
export class Ring {
  /** NodeId length in bytes. */
  readonly bytes: number;
  /** NodeId length in bits (k in RFC 6940 §10.1). */
  readonly bits: number;
  /** 2^k. */
  readonly modulus: bigint;
  private readonly mask: bigint;

  constructor(nodeIdLength = MIN_BYTES) {
    if (!Number.isInteger(nodeIdLength) || nodeIdLength < MIN_BYTES || nodeIdLength > MAX_BYTES) {
      throw new ReloadError(
        'CHORD_BAD_NODE_ID_LENGTH',
        `NodeId length must be ${MIN_BYTES}..${MAX_BYTES} bytes, got ${nodeIdLength}`,
      );
    }
    this.bytes = nodeIdLength;
    this.bits = nodeIdLength * 8;
    this.modulus = 1n << BigInt(this.bits);
    this.mask = this.modulus - 1n;
  }

  /**
   * A NodeId (exactly `bytes` long) as an integer.
   * @throws ReloadError(Error_Invalid_Message) when the length is wrong.
   */
  toBig(id: Uint8Array, field = 'NodeId'): bigint {
    if (id.length !== this.bytes) {
      throw new ReloadError(
        ErrorCode.InvalidMessage,
        `${field} is ${id.length} bytes, overlay uses ${this.bytes}`,
        { field },
      );
    }
    return bytesToBig(id);
  }

  /**
   * A Resource-ID as a point on the circle. Resource-IDs of the NodeId length map 1:1; other
   * lengths are read as the most significant bits of the circle (shorter ones padded with zero
   * bits on the right, longer ones truncated), so a 128-bit SHA-1 prefix (§10.2) lands where
   * the same prefix of a NodeId would (decision 0351).
   */
  resourceToBig(id: Uint8Array): bigint {
    if (id.length === this.bytes) return bytesToBig(id);
    if (id.length > this.bytes) return bytesToBig(id.subarray(0, this.bytes));
    return bytesToBig(id) << BigInt(8 * (this.bytes - id.length));
  }

  /** An integer (taken modulo 2^k) as a fresh NodeId byte array. */
  toBytes(n: bigint): Uint8Array {
    let v = this.norm(n);
    const out = new Uint8Array(this.bytes);
    const view = new DataView(out.buffer);
    let i = this.bytes;
    for (; i >= 8; i -= 8) {
      view.setBigUint64(i - 8, v & 0xffffffffffffffffn);
      v >>= 64n;
    }
    for (; i >= 4; i -= 4) {
      view.setUint32(i - 4, Number(v & 0xffffffffn));
      v >>= 32n;
    }
    return out;
  }

  /** `n` reduced into [0, 2^k). */
  norm(n: bigint): bigint {
    return n & this.mask;
  }

  /** (a + b) mod 2^k. */
  add(a: bigint, b: bigint): bigint {
    return (a + b) & this.mask;
  }

  /** Clockwise distance from `from` to `to`: (to − from) mod 2^k, in [0, 2^k). */
  distance(from: bigint, to: bigint): bigint {
    return (to - from) & this.mask;
  }

  /**
   * x ∈ (a, b] going clockwise. When a = b the interval is the whole circle (the Chord
   * convention: a lone peer with itself as predecessor is responsible for everything).
   */
  inOpenClosed(x: bigint, a: bigint, b: bigint): boolean {
    const dx = this.distance(a, x);
    const db = this.distance(a, b);
    if (db === 0n) return true;
    return dx !== 0n && dx <= db;
  }

  /** x ∈ (a, b) going clockwise; when a = b, every x except a. */
  inOpen(x: bigint, a: bigint, b: bigint): boolean {
    const dx = this.distance(a, x);
    const db = this.distance(a, b);
    if (db === 0n) return dx !== 0n;
    return dx !== 0n && dx < db;
  }

  /** x ∈ [a, b] going clockwise; when a = b, only a itself. */
  inClosed(x: bigint, a: bigint, b: bigint): boolean {
    return this.distance(a, x) <= this.distance(a, b);
  }

  /**
   * Start of the i'th finger range of node n: n + 2^(k−i), i ≥ 1 (RFC 6940 §10.5 writes
   * n+2^(128−i) for k = 128; the first entry, i = 1, is half-way round the ring).
   * @throws ReloadError('CHORD_BAD_FINGER_INDEX') for i outside 1..k.
   */
  fingerStart(n: bigint, i: number): bigint {
    this.checkFinger(i);
    return this.add(n, 1n << BigInt(this.bits - i));
  }

  /**
   * The i'th finger range of node n, both ends inclusive:
   * [n + 2^(k−i), n + 2^(k−(i−1)) − 1] (RFC 6940 §10.7.4.2).
   */
  fingerRange(n: bigint, i: number): { start: bigint; end: bigint } {
    this.checkFinger(i);
    const size = 1n << BigInt(this.bits - i);
    return { start: this.add(n, size), end: this.add(n, 2n * size - 1n) };
  }

  /**
   * The finger index i (1..k) whose range contains p, as seen from n; 0 when p = n. Every other
   * point of the circle lies in exactly one finger range.
   */
  fingerIndex(n: bigint, p: bigint): number {
    const d = this.distance(n, p);
    if (d === 0n) return 0;
    return this.bits - (bitLength(d) - 1);
  }

  /**
   * A uniformly distributed point in [lo, hi] (clockwise, inclusive), drawn with `random`
   * (a function returning floats in [0, 1), called 2·⌈k/32⌉ times at most).
   */
  randomInRange(lo: bigint, hi: bigint, random: () => number): bigint {
    const span = this.distance(lo, hi) + 1n;
    let r = 0n;
    for (let i = 0; i < Math.ceil(this.bits / 32) + 1; i++) {
      r = (r << 32n) | BigInt(Math.floor(random() * 0x100000000) >>> 0);
    }
    return this.add(lo, r % span);
  }

  /** Lowercase hex of an id, `bytes`·2 digits (for logs and map keys in tests). */
  hex(n: bigint): string {
    return this.norm(n)
      .toString(16)
      .padStart(this.bytes * 2, '0');
  }

  private checkFinger(i: number): void {
    if (!Number.isInteger(i) || i < 1 || i > this.bits) {
      throw new ReloadError('CHORD_BAD_FINGER_INDEX', `finger index must be 1..${this.bits}`);
    }
  }
}

/** Big-endian bytes as an unsigned integer. */
export function bytesToBig(b: Uint8Array): bigint {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let v = 0n;
  let i = 0;
  for (; i + 8 <= b.length; i += 8) v = (v << 64n) | view.getBigUint64(i);
  for (; i + 4 <= b.length; i += 4) v = (v << 32n) | BigInt(view.getUint32(i));
  for (; i < b.length; i++) v = (v << 8n) | BigInt(b[i]);
  return v;
}

/** Number of significant bits of a positive integer (bitLength(1) = 1). */
function bitLength(n: bigint): number {
  const hex = n.toString(16);
  return (hex.length - 1) * 4 + (32 - Math.clz32(parseInt(hex[0], 16)));
}
