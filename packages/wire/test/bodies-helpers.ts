/**
 * Shared checks for the method-body codec tests (storage-*, chord-*, bodies-*): the house
 * style §2 trio (round trip, identical re-encoding, encodedLength = bytes written), the
 * malformed-input table, and fast-check properties.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import {
  type Codec,
  type Signature,
  SignerIdentityType,
  type StoredData,
  type StoredDataModel,
  type StoredDataValue,
  ErrorCode,
  decodeExact,
  encodeToBytes,
  isReloadError,
  Writer,
} from '@reload/wire';

/** Hex string (no separators) of bytes. */
export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

/** Bytes from a hex string; spaces and newlines are ignored. */
export function unhex(s: string): Uint8Array {
  return new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}

/**
 * Round trip: encodes `value` at an offset inside a larger buffer (so offsets are exercised),
 * checks encodedLength = bytes written, decodes, re-encodes to identical bytes, and returns
 * the encoding and the decoded value.
 */
export function roundTrip<T>(codec: Codec<T>, value: T): { bytes: Uint8Array; back: T } {
  const n = codec.encodedLength(value);
  const big = new Uint8Array(n + 7).fill(0xee);
  const w = new Writer(big, 3);
  codec.encode(value, w);
  expect(w.pos - 3).toBe(n);
  expect(big[2]).toBe(0xee);
  expect(big[3 + n]).toBe(0xee);
  const bytes = encodeToBytes(codec, value);
  expect(hex(bytes)).toBe(hex(big.subarray(3, 3 + n)));
  const back = decodeExact(codec, big, 3, 3 + n);
  const again = encodeToBytes(codec, back);
  expect(hex(again)).toBe(hex(bytes));
  expect(codec.encodedLength(back)).toBe(n);
  return { bytes, back };
}

/** Asserts that `f` throws a ReloadError with Error_Invalid_Message naming a field. */
export function expectInvalid(f: () => unknown, fieldPattern?: RegExp): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'expected a decode error').toBeDefined();
  expect(isReloadError(thrown), `not a ReloadError: ${String(thrown)}`).toBe(true);
  const e = thrown as { code: unknown; field?: string; offset?: number; message: string };
  expect(e.code, e.message).toBe(ErrorCode.InvalidMessage);
  expect(typeof e.field).toBe('string');
  expect(typeof e.offset).toBe('number');
  if (fieldPattern) expect(e.field).toMatch(fieldPattern);
}

/** Asserts that encoding `value` is refused with the local WIRE_UNENCODABLE code. */
export function expectUnencodable<T>(codec: Codec<T>, value: T): void {
  let thrown: unknown;
  try {
    encodeToBytes(codec, value);
  } catch (e) {
    thrown = e;
  }
  expect(isReloadError(thrown), `expected WIRE_UNENCODABLE, got ${String(thrown)}`).toBe(true);
  expect((thrown as { code: unknown }).code).toBe('WIRE_UNENCODABLE');
}

/** Every strict prefix of `bytes` and `bytes` plus one trailing byte must be rejected. */
export function expectTruncationsAndTrailingRejected<T>(codec: Codec<T>, bytes: Uint8Array) {
  for (let n = 0; n < bytes.length; n++) {
    expectInvalid(() => decodeExact(codec, bytes.subarray(0, n)));
  }
  const longer = new Uint8Array(bytes.length + 1);
  longer.set(bytes);
  expectInvalid(() => decodeExact(codec, longer));
}

/** Returns a copy of `bytes` with `patch` written at `at`. */
export function patched(bytes: Uint8Array, at: number, patch: number[]): Uint8Array {
  const out = bytes.slice();
  out.set(patch, at);
  return out;
}

/**
 * Decoding arbitrary mutations of valid encodings either throws ReloadError(0x14) naming a
 * field or yields a value whose re-encoding is the same bytes (the encoding is canonical).
 */
export function decodeOrInvalid<T>(codec: Codec<T>, bytes: Uint8Array): void {
  let v: T;
  try {
    v = decodeExact(codec, bytes);
  } catch (e) {
    if (!isReloadError(e) || e.code !== ErrorCode.InvalidMessage || e.field === undefined) {
      throw e;
    }
    return;
  }
  expect(hex(encodeToBytes(codec, v))).toBe(hex(bytes));
}

/** fast-check: random valid values round-trip; mutated encodings only ever throw 0x14. */
export function propertyCheck<T>(codec: Codec<T>, arb: fc.Arbitrary<T>, numRuns = 200): void {
  fc.assert(
    fc.property(arb, (v) => {
      const bytes = encodeToBytes(codec, v);
      expect(codec.encodedLength(v)).toBe(bytes.length);
      const back = decodeExact(codec, bytes);
      expect(hex(encodeToBytes(codec, back))).toBe(hex(bytes));
    }),
    { numRuns },
  );
  const mutated = arb.chain((v) => {
    const bytes = encodeToBytes(codec, v);
    return fc.tuple(
      fc.constant(bytes),
      fc.array(fc.tuple(fc.nat(Math.max(bytes.length - 1, 0)), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 4,
      }),
      fc.integer({ min: 0, max: bytes.length }),
    );
  });
  fc.assert(
    fc.property(mutated, ([bytes, edits, cut]) => {
      const m = bytes.slice();
      for (const [at, b] of edits) if (m.length > 0) m[at] = b;
      decodeOrInvalid(codec, m);
      decodeOrInvalid(codec, m.subarray(0, cut));
    }),
    { numRuns },
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (b) => decodeOrInvalid(codec, b)),
    { numRuns },
  );
}

/** Arbitrary bytes of bounded length. */
export const bytesArb = (maxLength = 24): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength });

/** Arbitrary uint64 as bigint. */
export const u64Arb = (): fc.Arbitrary<bigint> => fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

/** Arbitrary uint32. */
export const u32Arb = (): fc.Arbitrary<number> => fc.integer({ min: 0, max: 0xffffffff });

/** Arbitrary NodeId of `len` bytes. */
export const nodeIdArb = (len = 16): fc.Arbitrary<Uint8Array> =>
  fc.uint8Array({ minLength: len, maxLength: len });

// --- §7 storage arbitraries and fixtures --------------------------------------------------

/** The synthetic signature of §7.4.2.2: {0,0}, identity none, empty value. */
export const noneSignature: Signature = {
  algorithm: { hash: 0, signature: 0 },
  identity: { identityType: SignerIdentityType.none },
  signatureValue: new Uint8Array(0),
};

export const rsaSignature: Signature = {
  algorithm: { hash: 4, signature: 1 },
  identity: {
    identityType: SignerIdentityType.cert_hash,
    hashAlg: 4,
    certificateHash: new Uint8Array(32).fill(0xab),
  },
  signatureValue: new Uint8Array(256).fill(0x5a),
};

export const signatureArb: fc.Arbitrary<Signature> = fc.oneof(
  fc.constant(noneSignature),
  fc.record({
    algorithm: fc.record({ hash: fc.nat(255), signature: fc.nat(255) }),
    identity: fc.record({
      identityType: fc.constant(SignerIdentityType.cert_hash),
      hashAlg: fc.nat(255),
      certificateHash: bytesArb(32),
    }),
    signatureValue: bytesArb(40),
  }) as fc.Arbitrary<Signature>,
);

export const dataValueArb = fc.record({ exists: fc.boolean(), value: bytesArb(20) });

export function storedDataValueArb(model: StoredDataModel): fc.Arbitrary<StoredDataValue> {
  switch (model) {
    case 'SINGLE':
      return fc.record({ model: fc.constant(model), value: dataValueArb });
    case 'ARRAY':
      return fc.record({ model: fc.constant(model), index: u32Arb(), value: dataValueArb });
    case 'DICTIONARY':
      return fc.record({ model: fc.constant(model), key: bytesArb(12), value: dataValueArb });
  }
}

export function storedDataArb(model: StoredDataModel): fc.Arbitrary<StoredData> {
  return fc.record({
    storageTime: u64Arb(),
    lifetime: u32Arb(),
    value: storedDataValueArb(model),
    signature: signatureArb,
  });
}
