/**
 * RELOAD signatures (RFC 6940 §6.3.4, §7.1): SignerIdentity computation, signing and
 * verifying with `node:crypto` (RSASSA-PKCS1-v1_5/SHA-256 mandatory, ECDSA P-256/SHA-256
 * with DER ECDSA-Sig-Value as TLS encodes it), the message and stored-data signature inputs,
 * and SecurityBlock helpers for messages.
 */
import { messageSignatureInput as wireMessageSignatureInput } from '@reload/wire';
import { createHash, hash, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import {
  CertificateType,
  encodeToBytes,
  HashAlgorithm,
  ReloadError,
  SignatureAlgorithm,
  SignerIdentityCodec,
  SignerIdentityType,
  type SecurityBlock,
  type Signature,
  type SignerIdentity,
} from '@reload/wire';
import {
  certificateInfo,
  peekCertificateInfo,
  type CertificateInfo,
  type Credentials,
} from './certificates.js';
import { idEquals, nodeIdToHex } from './ids.js';
import type { TrustStore } from './trust.js';

/** Node hash names for the TLS HashAlgorithm values we accept (§6.3.4 uses the TLS registry). */
const HASH_NAMES: ReadonlyMap<number, string> = new Map([
  [HashAlgorithm.sha1, 'sha1'],
  [HashAlgorithm.sha256, 'sha256'],
  [HashAlgorithm.sha384, 'sha384'],
  [HashAlgorithm.sha512, 'sha512'],
]);

/** Hashes accepted in signatures (SHA-1 is refused for signatures, allowed in identities). */
const SIGNATURE_HASHES: ReadonlySet<number> = new Set([
  HashAlgorithm.sha256,
  HashAlgorithm.sha384,
  HashAlgorithm.sha512,
]);

function concat(input: Uint8Array | readonly Uint8Array[]): Uint8Array {
  if (input instanceof Uint8Array) return input;
  return Buffer.concat(input);
}

/** certificateInfo, or undefined for bytes that are not a certificate (skipped in lookups). */
function certificateInfoOrUndefined(c: Uint8Array): CertificateInfo | undefined {
  try {
    return certificateInfo(c);
  } catch {
    return undefined;
  }
}

function hashOf(alg: number, parts: readonly Uint8Array[]): Uint8Array | undefined {
  const name = HASH_NAMES.get(alg);
  if (name === undefined) return undefined;
  if (parts.length === 1) return new Uint8Array(hash(name, parts[0], 'buffer'));
  const h = createHash(name);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/**
 * The §6.3.4 SignerIdentity for a certificate: `cert_hash` = SHA-256(cert DER) when the
 * certificate holds at most one Node-ID; otherwise `cert_hash_node_id` =
 * SHA-256(NodeId ‖ cert DER) for the Node-ID used to sign, which must then be given.
 * Throws ReloadError('NODE_ID_REQUIRED' | 'NODE_ID_MISMATCH' | 'CERT_MALFORMED').
 */
export function signerIdentityFor(certificate: Uint8Array, nodeId?: Uint8Array): SignerIdentity {
  const info = certificateInfo(certificate);
  if (
    nodeId !== undefined &&
    info.nodeIds.length > 0 &&
    !info.nodeIds.some((n) => idEquals(n, nodeId))
  ) {
    throw new ReloadError(
      'NODE_ID_MISMATCH',
      `Node-ID ${nodeIdToHex(nodeId)} is not in the certificate`,
    );
  }
  if (info.nodeIds.length <= 1) {
    return {
      identityType: SignerIdentityType.cert_hash,
      hashAlg: HashAlgorithm.sha256,
      certificateHash: info.sha256,
    };
  }
  if (nodeId === undefined) {
    throw new ReloadError(
      'NODE_ID_REQUIRED',
      `the certificate holds ${info.nodeIds.length} Node-IDs: say which one signs (cert_hash_node_id)`,
    );
  }
  return {
    identityType: SignerIdentityType.cert_hash_node_id,
    hashAlg: HashAlgorithm.sha256,
    certificateNodeIdHash: hashOf(HashAlgorithm.sha256, [nodeId, info.der]) as Uint8Array,
  };
}

/** Options of {@link sign}. */
export interface SignOptions {
  /** Node-ID that signs (required when the certificate has several, §6.3.4). */
  nodeId?: Uint8Array;
  /** A SignerIdentity already computed with {@link signerIdentityFor} (must be the same). */
  identity?: SignerIdentity;
}

function signatureAlgorithmFor(creds: Credentials): number {
  const t = creds.privateKey.asymmetricKeyType;
  if (t === 'rsa') return SignatureAlgorithm.rsa;
  if (t === 'ec') return SignatureAlgorithm.ecdsa;
  throw new ReloadError('UNSUPPORTED_ALGORITHM', `cannot sign with a ${String(t)} key`);
}

/**
 * Signs `input` (bytes, or parts concatenated in order) with the credentials' private key:
 * SHA-256 with RSASSA-PKCS1-v1_5 (algorithm {4, 1}) or ECDSA (algorithm {4, 3}, DER
 * signature). Note that the §6.3.4/§7.1 inputs include the SignerIdentity: build the input
 * with the same identity (pass it as `identity`, or the same `nodeId`).
 * Throws ReloadError('UNSUPPORTED_ALGORITHM' | 'NODE_ID_REQUIRED' | 'NODE_ID_MISMATCH').
 */
export function sign(
  input: Uint8Array | readonly Uint8Array[],
  creds: Credentials,
  opts: SignOptions = {},
): Signature {
  const signature = signatureAlgorithmFor(creds);
  const identity = opts.identity ?? signerIdentityFor(creds.certificate, opts.nodeId);
  const signatureValue = new Uint8Array(nodeSign('sha256', concat(input), creds.privateKey));
  return { algorithm: { hash: HashAlgorithm.sha256, signature }, identity, signatureValue };
}

/** The signer found for a verified signature. */
export interface VerifiedSigner {
  /** DER certificate whose key made the signature. */
  certificate: Uint8Array;
  /** Its parsed form. */
  info: CertificateInfo;
  /**
   * The signing Node-ID: the one named by cert_hash_node_id, or the certificate's only
   * Node-ID with cert_hash; undefined for a certificate without Node-IDs.
   */
  nodeId?: Uint8Array;
}

/**
 * Finds the certificate (and Node-ID) a SignerIdentity designates among `certificates`
 * (§6.3.4). Returns undefined when none matches or the identity type/hash is unknown.
 */
export function findSignerCertificate(
  identity: SignerIdentity,
  certificates: readonly Uint8Array[],
): VerifiedSigner | undefined {
  if ('certificateHash' in identity) {
    for (const c of certificates) {
      // Hash first, parse only the match: garbage in the bucket is never parsed.
      const known = identity.hashAlg === HashAlgorithm.sha256 ? peekCertificateInfo(c) : undefined;
      const h = known ? known.sha256 : hashOf(identity.hashAlg, [c]);
      if (h && idEquals(h, identity.certificateHash)) {
        const info = certificateInfo(c);
        const out: VerifiedSigner = { certificate: c, info };
        if (info.nodeIds.length === 1 && info.nodeIds[0]) out.nodeId = info.nodeIds[0];
        return out;
      }
    }
    return undefined;
  }
  if ('certificateNodeIdHash' in identity) {
    for (const c of certificates) {
      const info = certificateInfoOrUndefined(c);
      if (!info) continue;
      for (const n of info.nodeIds) {
        const h = hashOf(identity.hashAlg, [n, info.der]);
        if (h && idEquals(h, identity.certificateNodeIdHash))
          return { certificate: c, info, nodeId: n };
      }
    }
  }
  return undefined;
}

/**
 * Verifies `signature` over `input` and returns the signer (certificate, parsed info,
 * Node-ID). Only the signature is checked here — trust in the certificate is the job of
 * {@link TrustStore.checkCertificate}.
 * Throws ReloadError with code:
 * - 'UNSUPPORTED_ALGORITHM' — hash not SHA-256/384/512, signature not RSA/ECDSA, or the
 *   anonymous {0,0} algorithm of synthesized data (§7.4.2.2);
 * - 'SIGNER_CERT_NOT_FOUND' — no certificate matches the SignerIdentity (or it is `none`);
 * - 'SIGNATURE_INVALID' — the key type does not match the algorithm, or the value is wrong.
 */
export function verifySigner(
  input: Uint8Array | readonly Uint8Array[],
  signature: Signature,
  certificates: readonly Uint8Array[],
): VerifiedSigner {
  const { hash, signature: sigAlg } = signature.algorithm;
  if (isAnonymousSignature(signature)) {
    throw new ReloadError(
      'UNSUPPORTED_ALGORITHM',
      'anonymous signature {0,0} (only valid for synthesized data)',
    );
  }
  if (!SIGNATURE_HASHES.has(hash)) {
    throw new ReloadError('UNSUPPORTED_ALGORITHM', `unsupported signature hash algorithm ${hash}`);
  }
  if (sigAlg !== SignatureAlgorithm.rsa && sigAlg !== SignatureAlgorithm.ecdsa) {
    throw new ReloadError('UNSUPPORTED_ALGORITHM', `unsupported signature algorithm ${sigAlg}`);
  }
  const signer = findSignerCertificate(signature.identity, certificates);
  if (!signer) {
    throw new ReloadError(
      'SIGNER_CERT_NOT_FOUND',
      `no certificate matches the SignerIdentity (type ${signature.identity.identityType}) among ${certificates.length}`,
    );
  }
  const keyType = signer.info.publicKey.asymmetricKeyType;
  const expected = sigAlg === SignatureAlgorithm.rsa ? 'rsa' : 'ec';
  if (keyType !== expected) {
    throw new ReloadError(
      'SIGNATURE_INVALID',
      `signature algorithm ${sigAlg} does not fit the signer's ${String(keyType)} key`,
    );
  }
  let ok = false;
  try {
    ok = nodeVerify(
      HASH_NAMES.get(hash),
      concat(input),
      signer.info.publicKey,
      signature.signatureValue,
    );
  } catch {
    ok = false;
  }
  if (!ok) throw new ReloadError('SIGNATURE_INVALID', 'signature value does not verify');
  return signer;
}

/**
 * Verifies `signature` over `input` (see {@link verifySigner} for the errors) and returns the
 * DER of the certificate that made it.
 */
export function verify(
  input: Uint8Array | readonly Uint8Array[],
  signature: Signature,
  certificates: readonly Uint8Array[],
): Uint8Array {
  return verifySigner(input, signature, certificates).certificate;
}

/**
 * The §6.3.4 message signature input: `overlay ‖ transaction_id ‖ MessageContents ‖
 * SignerIdentity` — overlay as uint32 and transaction_id as uint64 (big-endian, as in the
 * ForwardingHeader), the encoded MessageContents bytes, and the encoded SignerIdentity.
 */
export function messageSignatureInput(
  overlay: number,
  transactionId: bigint,
  messageContents: Uint8Array,
  identity: SignerIdentity,
): Uint8Array {
  // One layout for the whole project: @reload/wire builds it (ForwardingHeader field widths).
  return wireMessageSignatureInput(
    overlay >>> 0,
    BigInt.asUintN(64, transactionId),
    messageContents,
    identity,
  );
}

/**
 * The §7.1 stored-data signature input: `resource_id ‖ kind ‖ storage_time ‖
 * StoredDataValue ‖ SignerIdentity` — the Resource-ID's raw bytes (no length prefix, like
 * NodeId in cert_hash_node_id), kind as uint32 KindId, storage_time as uint64 (ms since
 * the epoch), the already-encoded StoredDataValue, and the encoded SignerIdentity. See
 * docs/decisions/0201-stored-data-signature-input.md.
 */
export function storedDataSignatureInput(
  resourceId: Uint8Array,
  kind: number,
  storageTime: bigint,
  storedDataValue: Uint8Array,
  identity: SignerIdentity,
): Uint8Array {
  const mid = Buffer.alloc(12);
  mid.writeUInt32BE(kind >>> 0, 0);
  mid.writeBigUInt64BE(BigInt.asUintN(64, storageTime), 4);
  return Buffer.concat([
    resourceId,
    mid,
    storedDataValue,
    encodeToBytes(SignerIdentityCodec, identity),
  ]);
}

/** The "anonymous" signature of synthesized data (§7.4.2.2): {0,0}, identity none, empty value. */
export function anonymousSignature(): Signature {
  return {
    algorithm: { hash: HashAlgorithm.none, signature: SignatureAlgorithm.anonymous },
    identity: { identityType: SignerIdentityType.none },
    signatureValue: new Uint8Array(0),
  };
}

/**
 * True for a signature with identity `none` and/or algorithm {0,0}: a StoreReq carrying one
 * MUST be rejected with Error_Forbidden (§7.4.1.1).
 */
export function isAnonymousSignature(s: Signature): boolean {
  return (
    s.identity.identityType === SignerIdentityType.none ||
    (s.algorithm.hash === HashAlgorithm.none &&
      s.algorithm.signature === SignatureAlgorithm.anonymous)
  );
}

/** Options of {@link signSecurityBlock}. */
export interface SignMessageOptions {
  /** ForwardingHeader.overlay (see overlayHash). */
  overlay: number;
  transactionId: bigint;
  /** Encoded MessageContents. */
  messageContents: Uint8Array;
  credentials: Credentials;
  nodeId?: Uint8Array;
  /**
   * Further certificates for the bucket (e.g. signers of StoredData inside the message,
   * §6.3.4). The signer's certificate and `credentials.chain` are always included first.
   */
  certificates?: readonly Uint8Array[];
}

/** Builds the SecurityBlock of a message (§6.3.4): certificate bucket plus signature. */
export function signSecurityBlock(o: SignMessageOptions): SecurityBlock {
  const identity = signerIdentityFor(o.credentials.certificate, o.nodeId);
  const signature = sign(
    messageSignatureInput(o.overlay, o.transactionId, o.messageContents, identity),
    o.credentials,
    { identity },
  );
  const seen = new Set<string>();
  const certificates: SecurityBlock['certificates'] = [];
  for (const c of [
    o.credentials.certificate,
    ...(o.credentials.chain ?? []),
    ...(o.certificates ?? []),
  ]) {
    const k = Buffer.from(c).toString('base64');
    if (seen.has(k)) continue;
    seen.add(k);
    certificates.push({ type: CertificateType.X509, certificate: c });
  }
  return { certificates, signature };
}

/** Options of {@link verifySecurityBlock}. */
export interface VerifyMessageOptions {
  overlay: number;
  transactionId: bigint;
  messageContents: Uint8Array;
  securityBlock: SecurityBlock;
  /** Certificates known by other means (e.g. root-certs of the configuration). */
  extraCertificates?: readonly Uint8Array[];
  /**
   * When given, the signer's certificate must also pass `trust.checkCertificate`, with the
   * bucket's other certificates as intermediates.
   */
  trust?: TrustStore;
  /** When given, the signer's Node-ID must equal it (e.g. the response check of §6.3.4). */
  expectedNodeId?: Uint8Array;
}

/**
 * Verifies a message's SecurityBlock (§6.3.4) and returns the signer. Errors: those of
 * {@link verifySigner}; 'NODE_ID_MISMATCH' when `expectedNodeId` is not the signer; with
 * `trust`, those of TrustStore.checkCertificate.
 */
export function verifySecurityBlock(o: VerifyMessageOptions): VerifiedSigner {
  const x509s = o.securityBlock.certificates
    .filter((c) => c.type === CertificateType.X509)
    .map((c) => c.certificate);
  const all = [...x509s, ...(o.extraCertificates ?? [])];
  const signer = verifySigner(
    messageSignatureInput(
      o.overlay,
      o.transactionId,
      o.messageContents,
      o.securityBlock.signature.identity,
    ),
    o.securityBlock.signature,
    all,
  );
  if (o.expectedNodeId && !(signer.nodeId && idEquals(signer.nodeId, o.expectedNodeId))) {
    throw new ReloadError(
      'NODE_ID_MISMATCH',
      `message signed by ${signer.nodeId ? nodeIdToHex(signer.nodeId) : 'a certificate without Node-ID'}, expected ${nodeIdToHex(o.expectedNodeId)}`,
    );
  }
  if (o.trust) {
    const opts: { intermediates: Uint8Array[]; expectedNodeId?: Uint8Array } = {
      intermediates: all.filter((c) => c !== signer.certificate),
    };
    if (signer.nodeId) opts.expectedNodeId = signer.nodeId;
    o.trust.checkCertificate(signer.certificate, opts);
  }
  return signer;
}
