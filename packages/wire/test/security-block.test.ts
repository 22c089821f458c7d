import { describe, expect, it } from 'vitest';
import {
  ErrorCode,
  SecurityBlockCodec,
  SignerIdentityType,
  decodeExact,
  encodeToBytes,
  isReloadError,
  type SecurityBlock,
  type Signature,
  SignatureCodec,
  Writer,
} from '@reload/wire';

const block: SecurityBlock = {
  certificates: [{ type: 0, certificate: new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]) }],
  signature: {
    algorithm: { hash: 4, signature: 1 },
    identity: {
      identityType: SignerIdentityType.cert_hash,
      hashAlg: 4,
      certificateHash: new Uint8Array(32).fill(7),
    },
    signatureValue: new Uint8Array(256).fill(9),
  },
};

describe('SecurityBlock (RFC 6940 §6.3.4)', () => {
  it('round-trips with identical bytes and exact encodedLength', () => {
    const bytes = encodeToBytes(SecurityBlockCodec, block);
    expect(bytes.length).toBe(SecurityBlockCodec.encodedLength(block));
    const back = decodeExact(SecurityBlockCodec, bytes);
    expect(encodeToBytes(SecurityBlockCodec, back)).toEqual(bytes);
    // certificates<0..2^16-1> length prefix = 1 + 2 + 5
    expect([...bytes.subarray(0, 2)]).toEqual([0, 8]);
  });

  it('rejects every truncation with Error_Invalid_Message naming a field', () => {
    const bytes = encodeToBytes(SecurityBlockCodec, block);
    for (let n = 0; n < bytes.length; n++) {
      try {
        decodeExact(SecurityBlockCodec, bytes.subarray(0, n));
        expect.unreachable(`truncation at ${n} decoded`);
      } catch (e) {
        expect(isReloadError(e) && e.code === ErrorCode.InvalidMessage && !!e.field).toBe(true);
      }
    }
  });

  it('rejects trailing bytes', () => {
    const bytes = encodeToBytes(SecurityBlockCodec, block);
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    expect(() => decodeExact(SecurityBlockCodec, longer)).toThrow(/trailing/);
  });
});

describe('Signature fast paths for cert_hash and cert_hash_node_id identities (bench/wire)', () => {
  const bytesOf = (n: number, b: number): Uint8Array => new Uint8Array(n).fill(b);
  const hexOf = (u: Uint8Array): string => Buffer.from(u).toString('hex');
  const be16 = (n: number): string => n.toString(16).padStart(4, '0');

  it('writes and reads the same bytes as the per-field layout, at every length edge', () => {
    for (const identityType of [1, 2] as const) {
      for (const hashLength of [0, 1, 32, 253, 254, 255]) {
        for (const valueLength of [0, 256, 0xffff]) {
          const hash = bytesOf(hashLength, 0x11);
          const v: Signature = {
            algorithm: { hash: 4, signature: 1 },
            identity:
              identityType === 1
                ? { identityType, hashAlg: 4, certificateHash: hash }
                : { identityType, hashAlg: 4, certificateNodeIdHash: hash },
            signatureValue: bytesOf(valueLength, 0x5a),
          };
          const b = encodeToBytes(SignatureCodec, v);
          const expected =
            '0401' +
            `0${identityType}` +
            be16(2 + hashLength) +
            '04' +
            hashLength.toString(16).padStart(2, '0') +
            '11'.repeat(hashLength) +
            be16(valueLength) +
            '5a'.repeat(valueLength);
          const what = `${identityType}/${hashLength}/${valueLength}`;
          expect(hexOf(b) === expected, what).toBe(true);
          expect(SignatureCodec.encodedLength(v), what).toBe(b.length);
          expect(decodeExact(SignatureCodec, b)).toEqual(v);
        }
      }
    }
  });

  it('falls back to the per-field path for everything else, with its errors', () => {
    const v: Signature = {
      algorithm: { hash: 4, signature: 1 },
      identity: { identityType: 1, hashAlg: 4, certificateHash: bytesOf(32, 1) },
      signatureValue: bytesOf(64, 2),
    };
    const b = encodeToBytes(SignatureCodec, v);
    for (let n = 0; n < b.length; n++) {
      expect(() => decodeExact(SignatureCodec, b.subarray(0, n))).toThrow();
    }
    const inconsistent = new Uint8Array(b);
    inconsistent[4] = 2 + 31; // identity length one short of its content
    let err: unknown;
    try {
      decodeExact(SignatureCodec, inconsistent);
    } catch (e) {
      err = e;
    }
    expect(isReloadError(err) && err.code === ErrorCode.InvalidMessage).toBe(true);
    const small = new Writer(new Uint8Array(b.length - 1));
    expect(() => SignatureCodec.encode(v, small)).toThrow(/too small/);
    const badAlg = { ...v, algorithm: { hash: 256, signature: 1 } };
    expect(() => encodeToBytes(SignatureCodec, badAlg)).toThrow(/Signature\.algorithm\.hash/);
    const longHash = {
      ...v,
      identity: { identityType: 1 as const, hashAlg: 4, certificateHash: bytesOf(256, 1) },
    };
    expect(() => encodeToBytes(SignatureCodec, longHash)).toThrow(/certificate_hash/);
  });
});
