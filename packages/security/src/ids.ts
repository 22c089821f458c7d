/**
 * Node-ID, Resource-ID and overlay-hash derivation (RFC 6940 §3, §6.3.2, §10.2, §11.3.1).
 */
import { createHash, randomBytes } from 'node:crypto';
import { ReloadError } from '@reload/wire';

/** Default NodeIdLength (bytes) of an overlay: 16 (§6.3.1.1, §11.1 node-id-length). */
export const DEFAULT_NODE_ID_LENGTH = 16;
/** Smallest and largest NodeIdLength allowed by §6.3.1.1 (bytes). */
export const MIN_NODE_ID_LENGTH = 16;
export const MAX_NODE_ID_LENGTH = 20;

/** Digests the configuration's self-signed-permitted element may name (§11.1). */
export type SelfSignedDigest = 'sha1' | 'sha256';

function checkLength(length: number, max: number): void {
  if (!Number.isInteger(length) || length < 1 || length > max) {
    throw new ReloadError('BAD_NODE_ID', `identifier length ${length} must be 1..${max} bytes`);
  }
}

function utf8(name: string | Uint8Array): Uint8Array {
  return typeof name === 'string' ? Buffer.from(name, 'utf8') : name;
}

/**
 * CHORD-RELOAD Resource-ID of a resource name (§10.2): SHA-1 of the name (UTF-8 when a
 * string) truncated to its most significant `length` bytes (16 by default, at most 20).
 */
export function resourceId(name: string | Uint8Array, length = DEFAULT_NODE_ID_LENGTH): Uint8Array {
  checkLength(length, 20);
  const h = createHash('sha1').update(utf8(name)).digest();
  return new Uint8Array(h.buffer, h.byteOffset, length);
}

/**
 * The ForwardingHeader `overlay` field (§6.3.2): "the lower 32 bits of the SHA-1 hash of
 * the overlay name", i.e. the last four bytes of the 20-byte digest read big-endian, as an
 * unsigned 32-bit number. The name is hashed as given (ASCII DNS name).
 */
export function overlayHash(name: string): number {
  const h = createHash('sha1').update(name, 'utf8').digest();
  return h.readUInt32BE(16);
}

/** A cryptographically random Node-ID of `length` bytes (§11.3: Node-IDs MUST be random). */
export function randomNodeId(length = DEFAULT_NODE_ID_LENGTH): Uint8Array {
  checkLength(length, MAX_NODE_ID_LENGTH);
  return new Uint8Array(randomBytes(length));
}

/** Lower-case hex of a Node-ID (or any bytes). */
export function nodeIdToHex(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
}

/**
 * Parses a hex Node-ID (case-insensitive, surrounding whitespace ignored, as in the
 * configuration's bad-node element). With `length`, the result must have exactly that many
 * bytes. Throws ReloadError('BAD_NODE_ID').
 */
export function nodeIdFromHex(hex: string, length?: number): Uint8Array {
  const s = hex.trim();
  if (s.length === 0 || s.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(s)) {
    throw new ReloadError('BAD_NODE_ID', `not a hex Node-ID: ${JSON.stringify(hex)}`);
  }
  const id = new Uint8Array(Buffer.from(s, 'hex'));
  if (length !== undefined && id.length !== length) {
    throw new ReloadError('BAD_NODE_ID', `Node-ID ${s} has ${id.length} bytes, expected ${length}`);
  }
  return id;
}

/**
 * Self-signed Node-IDs for a public key (§11.3.1): with `count` = 1, digest(SPKI DER); with
 * more, for index i = 1..count, digest(uint32be(i) ‖ SPKI DER); each truncated to its
 * high-order `length` bytes.
 */
export function selfSignedNodeIds(
  spki: Uint8Array,
  count = 1,
  length = DEFAULT_NODE_ID_LENGTH,
  digest: SelfSignedDigest = 'sha1',
): Uint8Array[] {
  const max = digest === 'sha1' ? 20 : 32;
  checkLength(length, Math.min(max, MAX_NODE_ID_LENGTH));
  if (!Number.isInteger(count) || count < 1) {
    throw new ReloadError('BAD_NODE_ID', `Node-ID count ${count} must be ≥ 1`);
  }
  if (digest !== 'sha1' && digest !== 'sha256') {
    throw new ReloadError('UNSUPPORTED_ALGORITHM', `self-signed digest ${String(digest)}`);
  }
  const out: Uint8Array[] = [];
  for (let i = 1; i <= count; i++) {
    const h = createHash(digest);
    if (count > 1) {
      const idx = Buffer.alloc(4);
      idx.writeUInt32BE(i);
      h.update(idx);
    }
    const d = h.update(spki).digest();
    out.push(new Uint8Array(d.buffer, d.byteOffset, length));
  }
  return out;
}

/** Byte-wise equality of two identifiers. */
export function idEquals(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
