/**
 * Shared checks for the message-level codec tests: the house style §2 trio (round trip,
 * identical re-encoding, encodedLength = bytes written) and the malformed-input checks.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import {
  type Codec,
  type Destination,
  type ForwardingHeader,
  type ForwardingOption,
  ErrorCode,
  decodeExact,
  encodeToBytes,
  isReloadError,
  Writer,
} from '@reload/wire';

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const unhex = (s: string): Uint8Array =>
  new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

/**
 * Encodes `value` at offset 3 of a larger buffer, checks encodedLength = bytes written and
 * that nothing outside was touched, decodes, re-encodes to identical bytes.
 */
export function roundTrip<T>(codec: Codec<T>, value: T): { bytes: Uint8Array; back: T } {
  const n = codec.encodedLength(value);
  const big = new Uint8Array(n + 6).fill(0xee);
  const w = new Writer(big, 3);
  codec.encode(value, w);
  expect(w.pos - 3).toBe(n);
  expect(big[2]).toBe(0xee);
  expect(big[3 + n]).toBe(0xee);
  const bytes = encodeToBytes(codec, value);
  expect(hex(bytes)).toBe(hex(big.subarray(3, 3 + n)));
  const back = decodeExact(codec, big, 3, 3 + n);
  expect(hex(encodeToBytes(codec, back))).toBe(hex(bytes));
  expect(codec.encodedLength(back)).toBe(n);
  return { bytes, back };
}

/** Runs `f` and returns what it threw (undefined when it did not throw). */
export function thrownBy(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** Asserts `f` throws ReloadError(Error_Invalid_Message) with a field (matching) and offset. */
export function expectInvalid(f: () => unknown, field?: RegExp): void {
  const e = thrownBy(f);
  expect(e, 'expected a decode error').toBeDefined();
  expect(isReloadError(e), `not a ReloadError: ${String(e)}`).toBe(true);
  const r = e as { code: unknown; field?: string; offset?: number; message: string };
  expect(r.code, r.message).toBe(ErrorCode.InvalidMessage);
  expect(typeof r.field).toBe('string');
  expect(typeof r.offset).toBe('number');
  if (field) expect(r.field, r.message).toMatch(field);
}

/** Asserts encoding is refused with the local code WIRE_UNENCODABLE. */
export function expectUnencodable(f: () => unknown): void {
  const e = thrownBy(f);
  expect(isReloadError(e), `expected WIRE_UNENCODABLE, got ${String(e)}`).toBe(true);
  expect((e as { code: unknown }).code).toBe('WIRE_UNENCODABLE');
}

/** Every strict prefix of `bytes` must fail to decode with Error_Invalid_Message. */
export function expectAllTruncationsInvalid(decode: (b: Uint8Array) => unknown, bytes: Uint8Array) {
  for (let n = 0; n < bytes.length; n++) expectInvalid(() => decode(bytes.subarray(0, n)));
}

/** `bytes` followed by one extra byte must fail (trailing bytes). */
export function expectTrailingInvalid(decode: (b: Uint8Array) => unknown, bytes: Uint8Array) {
  const longer = new Uint8Array(bytes.length + 1);
  longer.set(bytes);
  expectInvalid(() => decode(longer));
}

/** A copy of `bytes` with `patch` written at `offset`. */
export function patched(bytes: Uint8Array, offset: number, patch: number[]): Uint8Array {
  const c = bytes.slice();
  c.set(patch, offset);
  return c;
}

/**
 * Random valid ForwardingHeaders (version 0x0a, unfragmented, `length` 0: encodeMessage sets
 * it) with the given list arbitraries.
 */
export function forwardingHeaderArb(
  viaList: fc.Arbitrary<Destination[]>,
  destinationList: fc.Arbitrary<Destination[]>,
  options: fc.Arbitrary<ForwardingOption[]>,
): fc.Arbitrary<ForwardingHeader> {
  return fc.record({
    overlay: fc.integer({ min: 0, max: 0xffffffff }),
    configurationSequence: fc.integer({ min: 0, max: 0xffff }),
    version: fc.constant(0x0a),
    ttl: fc.integer({ min: 0, max: 255 }),
    fragment: fc.constant(0xc0000000),
    length: fc.constant(0),
    transactionId: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    maxResponseLength: fc.integer({ min: 0, max: 0xffffffff }),
    viaList,
    destinationList,
    options,
  });
}
