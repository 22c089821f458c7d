/**
 * Straight-line helpers for the codec's fast paths (internal to @reload/wire, not re-exported).
 *
 * The hot structures (ForwardingHeader, SecurityBlock, StoredData, StoreReq, …) are encoded and
 * decoded by flat code that checks everything up front and then reads or writes the bytes
 * directly, instead of one Writer/Reader call per field: a call per byte field costs more than
 * the field itself in V8 (bench/wire; docs/decisions/0173). Anything the fast path does not
 * accept goes through the per-field path, which throws the same errors as before.
 */
import { copyBytes, putBigU64 } from './builtins.js';
import type { Reader, Writer } from './codec.js';
import { RELO_TOKEN } from './constants.js';
import type { ForwardingHeader } from './forwarding-header.js';
import type { Signature, SignerIdentity } from './security-block.js';

// SignerIdentityType cert_hash (1) and cert_hash_node_id (2) (§6.3.4): security-block.ts names
// them, but importing its values here would make a module cycle (it imports this module).
const CERT_HASH = 1;
const CERT_HASH_NODE_ID = 2;

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

/**
 * The certificate hash of a `cert_hash` or `cert_hash_node_id` SignerIdentity (§6.3.4; both
 * are `hash_alg ‖ opaque hash<0..2^8-1>` on the wire), or undefined for any other identity.
 */
export function identityHash(id: SignerIdentity): Uint8Array | undefined {
  if (id.identityType === CERT_HASH && 'certificateHash' in id) return id.certificateHash;
  if (id.identityType === CERT_HASH_NODE_ID && 'certificateNodeIdHash' in id) {
    return id.certificateNodeIdHash;
  }
  return undefined;
}

/**
 * Fast path of Signature encode (§6.3.4) for a `cert_hash` / `cert_hash_node_id` identity
 * (every message and every StoredData carries one): when every field is in range and the
 * room is there, writes `algorithm ‖ identity_type ‖ length ‖ hash_alg ‖ hash<1> ‖
 * signature_value<2>` in one go and returns true; otherwise writes nothing and returns false,
 * and the per-field path runs (and throws what it always threw).
 */
export function putHashSignature(v: Signature, w: Writer): boolean {
  const id = v.identity;
  const h = identityHash(id);
  if (h === undefined) return false;
  const hashAlg = (id as { hashAlg: number }).hashAlg;
  const sv = v.signatureValue;
  const alg = v.algorithm;
  const p = w.pos;
  const end = p + 9 + h.length + sv.length;
  if (
    h.length > 0xff ||
    sv.length > 0xffff ||
    end > w.end ||
    !isU8(alg.hash) ||
    !isU8(alg.signature) ||
    !isU8(hashAlg)
  ) {
    return false;
  }
  const b = w.buf;
  b[p] = alg.hash;
  b[p + 1] = alg.signature;
  b[p + 2] = id.identityType;
  const length = 2 + h.length; // SignerIdentity.length: hash_alg, the hash's prefix, the hash
  b[p + 3] = length >>> 8;
  b[p + 4] = length; // Uint8Array stores keep the low 8 bits
  b[p + 5] = hashAlg;
  b[p + 6] = h.length;
  copyBytes(b, h, p + 7);
  const q = p + 7 + h.length;
  b[q] = sv.length >>> 8;
  b[q + 1] = sv.length;
  copyBytes(b, sv, q + 2);
  w.pos = end;
  return true;
}

/**
 * Fast path of Signature decode (§6.3.4) for a `cert_hash` / `cert_hash_node_id` identity
 * whose bytes are all inside the reader's range and consistent (identity length = 2 + hash
 * length): same result as the per-field path, with one bounds check. Returns undefined
 * (position unchanged) for anything else, which the per-field path then decodes or rejects
 * with its usual field and offset.
 */
export function readHashSignature(r: Reader): Signature | undefined {
  const b = r.buf;
  const p = r.pos;
  const identityType = r.end - p >= 7 ? b[p + 2] : 0;
  if (identityType !== CERT_HASH && identityType !== CERT_HASH_NODE_ID) return undefined;
  const hashLength = b[p + 6];
  const q = p + 7 + hashLength;
  if (((b[p + 3] << 8) | b[p + 4]) !== 2 + hashLength || q + 2 > r.end) return undefined;
  const valueLength = (b[q] << 8) | b[q + 1];
  if (q + 2 + valueLength > r.end) return undefined;
  const hash = b[p];
  const signature = b[p + 1];
  const hashAlg = b[p + 5];
  r.pos = p + 7;
  const certHash = r.bytes(
    hashLength,
    identityType === CERT_HASH
      ? 'SignerIdentity.certificate_hash'
      : 'SignerIdentity.certificate_node_id_hash',
  );
  r.pos = q + 2;
  const signatureValue = r.bytes(valueLength, 'Signature.signature_value');
  return {
    algorithm: { hash, signature },
    identity:
      identityType === CERT_HASH
        ? { identityType: CERT_HASH, hashAlg, certificateHash: certHash }
        : { identityType: CERT_HASH_NODE_ID, hashAlg, certificateNodeIdHash: certHash },
    signatureValue,
  };
}

/**
 * Writes the 38 fixed bytes of a ForwardingHeader at `p` of `b` (`view`: a DataView over `b`)
 * with `length` and the three list lengths given; every field already checked (uint ranges,
 * room). Shared by the fast paths of encodeForwardingHeader and encodeMessage (decision 0171).
 */
export function putFixedHeader(
  b: Uint8Array,
  view: DataView,
  p: number,
  h: ForwardingHeader,
  length: number,
  via: number,
  dst: number,
  opt: number,
): void {
  putU32(b, p, RELO_TOKEN);
  putU32(b, p + 4, h.overlay);
  b[p + 8] = h.configurationSequence >>> 8;
  b[p + 9] = h.configurationSequence;
  b[p + 10] = h.version;
  b[p + 11] = h.ttl;
  putU32(b, p + 12, h.fragment);
  putU32(b, p + 16, length);
  putBigU64(view, p + 20, h.transactionId);
  putU32(b, p + 28, h.maxResponseLength);
  b[p + 32] = via >>> 8;
  b[p + 33] = via;
  b[p + 34] = dst >>> 8;
  b[p + 35] = dst;
  b[p + 36] = opt >>> 8;
  b[p + 37] = opt;
}
