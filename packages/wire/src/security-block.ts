/**
 * RFC 6940 §6.3.4 security block structures: GenericCertificate, SignerIdentity, Signature,
 * SecurityBlock. Signature computation lives in @reload/security; this file is bytes only.
 *
 * ```
 * struct { CertificateType type; opaque certificate<0..2^16-1>; } GenericCertificate;
 * struct { GenericCertificate certificates<0..2^16-1>; Signature signature; } SecurityBlock;
 * struct { SignerIdentityType identity_type; uint16 length;
 *          SignerIdentityValue identity[SignerIdentity.length]; } SignerIdentity;
 * struct { SignatureAndHashAlgorithm algorithm; SignerIdentity identity;
 *          opaque signature_value<0..2^16-1>; } Signature;
 * ```
 */
import { identityHash, putHashSignature, readHashSignature } from './fast.js';
import { type Codec, type Reader, type Writer, unencodable } from './codec.js';
import { invalidMessage } from './errors.js';

/** RFC 6091 CertificateType (uint8): X.509 = 0, OpenPGP = 1. */
export const CertificateType = { X509: 0, OpenPGP: 1 } as const;

/** TLS HashAlgorithm registry values used by RELOAD (RFC 5246 §7.4.1.4.1). */
export const HashAlgorithm = {
  none: 0,
  md5: 1,
  sha1: 2,
  sha224: 3,
  sha256: 4,
  sha384: 5,
  sha512: 6,
} as const;

/** TLS SignatureAlgorithm registry values (RFC 5246 §7.4.1.4.1). */
export const SignatureAlgorithm = { anonymous: 0, rsa: 1, dsa: 2, ecdsa: 3 } as const;

/** §6.3.4 SignerIdentityType (uint8). */
export const SignerIdentityType = {
  invalid: 0,
  cert_hash: 1,
  cert_hash_node_id: 2,
  none: 3,
} as const;

/** §6.3.4 GenericCertificate: `type` (RFC 6091, uint8) and the DER certificate. */
export interface GenericCertificate {
  type: number;
  /** DER bytes (a view of the decoded buffer after decode). */
  certificate: Uint8Array;
}

/** TLS SignatureAndHashAlgorithm: two uint8s, hash first. */
export interface SignatureAndHashAlgorithm {
  hash: number;
  signature: number;
}

/**
 * §6.3.4 SignerIdentity. `cert_hash` carries H(certificate DER); `cert_hash_node_id` carries
 * H(NodeId ‖ certificate DER); `none` is empty. Unknown identity types are kept as raw
 * `value` bytes (the RFC lets the structure be extended).
 */
export type SignerIdentity =
  | { identityType: 1; hashAlg: number; certificateHash: Uint8Array }
  | { identityType: 2; hashAlg: number; certificateNodeIdHash: Uint8Array }
  | { identityType: 3 }
  | { identityType: number; value: Uint8Array };

/** §6.3.4 Signature. */
export interface Signature {
  algorithm: SignatureAndHashAlgorithm;
  identity: SignerIdentity;
  /** The signature bytes (`opaque signature_value<0..2^16-1>`). */
  signatureValue: Uint8Array;
}

/** §6.3.4 SecurityBlock: the certificate bucket and the message signature. */
export interface SecurityBlock {
  certificates: GenericCertificate[];
  signature: Signature;
}

export const GenericCertificateCodec: Codec<GenericCertificate> = {
  encodedLength: (v) => 1 + 2 + v.certificate.length,
  encode(v, w) {
    w.u8(v.type, 'GenericCertificate.type');
    w.opaque(v.certificate, 2, 'GenericCertificate.certificate');
  },
  decode(r) {
    return {
      type: r.u8('GenericCertificate.type'),
      certificate: r.opaque(2, 'GenericCertificate.certificate'),
    };
  },
};

function signerIdentityValueLength(v: SignerIdentity): number {
  if (v.identityType === SignerIdentityType.cert_hash && 'certificateHash' in v)
    return 1 + 1 + v.certificateHash.length;
  if (v.identityType === SignerIdentityType.cert_hash_node_id && 'certificateNodeIdHash' in v)
    return 1 + 1 + v.certificateNodeIdHash.length;
  if (v.identityType === SignerIdentityType.none) return 0;
  if ('value' in v) return v.value.length;
  throw unencodable('SignerIdentity', `inconsistent identity of type ${v.identityType}`);
}

export const SignerIdentityCodec: Codec<SignerIdentity> = {
  encodedLength: (v) => 1 + 2 + signerIdentityValueLength(v),
  encode(v, w: Writer) {
    w.u8(v.identityType, 'SignerIdentity.identity_type');
    const len = signerIdentityValueLength(v); // also rejects inconsistent identities
    w.u16(len, 'SignerIdentity.length');
    const start = w.pos;
    if ('certificateHash' in v) {
      w.u8(v.hashAlg, 'SignerIdentity.hash_alg');
      w.opaque(v.certificateHash, 1, 'SignerIdentity.certificate_hash');
    } else if ('certificateNodeIdHash' in v) {
      w.u8(v.hashAlg, 'SignerIdentity.hash_alg');
      w.opaque(v.certificateNodeIdHash, 1, 'SignerIdentity.certificate_node_id_hash');
    } else if ('value' in v) {
      w.bytes(v.value, 'SignerIdentity.identity');
    }
    if (w.pos - start !== len) {
      throw unencodable('SignerIdentity.length', `wrote ${w.pos - start} bytes, expected ${len}`);
    }
  },
  decode(r: Reader): SignerIdentity {
    const at = r.pos;
    const identityType = r.u8('SignerIdentity.identity_type');
    const len = r.u16('SignerIdentity.length');
    const saved = r.enter(len, 'SignerIdentity.length');
    let v: SignerIdentity;
    switch (identityType) {
      case SignerIdentityType.invalid:
        throw invalidMessage('SignerIdentity.identity_type', at, 'invalid (0)');
      case SignerIdentityType.cert_hash: {
        const hashAlg = r.u8('SignerIdentity.hash_alg');
        const certificateHash = r.opaque(1, 'SignerIdentity.certificate_hash');
        v = { identityType, hashAlg, certificateHash };
        break;
      }
      case SignerIdentityType.cert_hash_node_id: {
        const hashAlg = r.u8('SignerIdentity.hash_alg');
        const certificateNodeIdHash = r.opaque(1, 'SignerIdentity.certificate_node_id_hash');
        v = { identityType, hashAlg, certificateNodeIdHash };
        break;
      }
      case SignerIdentityType.none:
        v = { identityType };
        break;
      default:
        v = { identityType, value: r.bytes(len, 'SignerIdentity.identity') };
    }
    r.leave(saved, 'SignerIdentity');
    return v;
  },
};

export const SignatureCodec: Codec<Signature> = {
  encodedLength(v) {
    // algorithm (2), identity type (1), identity length (2), hash_alg (1), hash<0..255>,
    // signature_value<0..2^16-1>: the common cert_hash(_node_id) case without the identity's
    // codec
    const hash = identityHash(v.identity);
    if (hash !== undefined) return 9 + hash.length + v.signatureValue.length;
    return 2 + SignerIdentityCodec.encodedLength(v.identity) + 2 + v.signatureValue.length;
  },
  encode(v, w) {
    if (putHashSignature(v, w)) return;
    w.u8(v.algorithm.hash, 'Signature.algorithm.hash');
    w.u8(v.algorithm.signature, 'Signature.algorithm.signature');
    SignerIdentityCodec.encode(v.identity, w);
    w.opaque(v.signatureValue, 2, 'Signature.signature_value');
  },
  decode(r) {
    const fast = readHashSignature(r);
    if (fast !== undefined) return fast;
    const hash = r.u8('Signature.algorithm.hash');
    const signature = r.u8('Signature.algorithm.signature');
    const identity = SignerIdentityCodec.decode(r);
    const signatureValue = r.opaque(2, 'Signature.signature_value');
    return { algorithm: { hash, signature }, identity, signatureValue };
  },
};

function certificatesLength(certs: GenericCertificate[]): number {
  let n = 0;
  for (const c of certs) n += GenericCertificateCodec.encodedLength(c);
  return n;
}

export const SecurityBlockCodec: Codec<SecurityBlock> = {
  encodedLength: (v) =>
    2 + certificatesLength(v.certificates) + SignatureCodec.encodedLength(v.signature),
  encode(v, w) {
    const at = w.beginVector(2, 'SecurityBlock.certificates');
    for (const c of v.certificates) GenericCertificateCodec.encode(c, w);
    w.endVector(at, 2, 'SecurityBlock.certificates');
    SignatureCodec.encode(v.signature, w);
  },
  decode(r) {
    const len = r.u16('SecurityBlock.certificates');
    const saved = r.enter(len, 'SecurityBlock.certificates');
    const certificates = r.list(
      GenericCertificateCodec.decode,
      Infinity,
      'SecurityBlock.certificates',
    );
    r.leave(saved, 'SecurityBlock.certificates');
    const signature = SignatureCodec.decode(r);
    return { certificates, signature };
  },
};
