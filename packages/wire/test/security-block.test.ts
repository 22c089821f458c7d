import { describe, expect, it } from 'vitest';
import {
  ErrorCode,
  SecurityBlockCodec,
  SignerIdentityType,
  decodeExact,
  encodeToBytes,
  isReloadError,
  type SecurityBlock,
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
