/**
 * Per-value signature verification (RFC 6940 §7.1), injected into the engine so that the
 * storage logic does not depend on how certificates are parsed or trusted.
 */
import {
  CertificateType,
  encodeToBytes,
  type GenericCertificate,
  type StoredData,
  type StoredDataValue,
  storedDataValueCodec,
} from '@reload/wire';
import {
  certificateInfo,
  type Credentials,
  sign,
  signerIdentityFor,
  storedDataSignatureInput,
  type TrustStore,
  verifySigner,
} from '@reload/security';
import type { SignerInfo } from './policies.js';

/** What a verifier is asked to check for one StoredData. */
export interface StoredDataToVerify {
  /** Resource-ID the value is stored at (first term of the §7.1 input). */
  readonly resourceId: Uint8Array;
  /** Kind-ID (second term). */
  readonly kind: number;
  /**
   * The StoredData as received. For ARRAY values the signature input uses index 0
   * ({@link signedValue}; §7.4.2.2: "the index value in the array is set to zero before the
   * signature is computed").
   */
  readonly storedData: StoredData;
  /** The certificate bucket of the message that carried the value (§6.3.4). */
  readonly certificates: readonly GenericCertificate[];
}

/** A verified signer: the identity the policies check, and the certificates to retain. */
export interface VerifiedSigner extends SignerInfo {
  /** Certificate(s) that authenticated the signature, kept with the value (§6.3.4 note). */
  readonly certificates: readonly GenericCertificate[];
  /**
   * End of the signing certificate's validity (ms since the epoch), when known. The engine
   * never keeps a value past it (§5.1, §7.1: such signatures are no longer valid).
   */
  readonly notAfter?: number;
}

/**
 * Verifies the §7.1 signature of one StoredData at the current time (certificate validity
 * included). Resolves with the signer, or rejects/throws a ReloadError (any code; the engine
 * answers `Error_Forbidden`) when the signature, the certificate or the identity is invalid.
 */
export type DataSignatureVerifier = (
  v: StoredDataToVerify,
) => Promise<VerifiedSigner> | VerifiedSigner;

/**
 * The StoredDataValue that is signed: the value itself, with an ARRAY index set to 0
 * (RFC 6940 §7.4.2.2).
 */
export function signedValue(v: StoredDataValue): StoredDataValue {
  return v.model === 'ARRAY' ? { model: 'ARRAY', index: 0, value: v.value } : v;
}

/** Options of {@link securityVerifier}. */
export interface SecurityVerifierOptions {
  /**
   * Trust checks for the signing certificate (chain to a root-cert, validity at the current
   * time, bad-node list; §7.1: "the current time MUST be compared to the certificate
   * validity period"). Omit only where certificates are trusted by other means (tests).
   */
  trust?: TrustStore;
}

/**
 * A {@link DataSignatureVerifier} over @reload/security: finds the certificate named by the
 * SignerIdentity in the bucket, checks the RSASSA-PKCS1-v1_5 / ECDSA signature over the §7.1
 * input (ARRAY index zeroed), checks the certificate with `trust`, and reports user names,
 * Node-IDs and the indicated Node-ID from the certificate. The other bucket certificates
 * serve as intermediates; the signer's certificate and those intermediates are retained.
 */
export function securityVerifier(opts: SecurityVerifierOptions = {}): DataSignatureVerifier {
  return ({ resourceId, kind, storedData, certificates }) => {
    const ders = certificates
      .filter((c) => c.type === CertificateType.X509)
      .map((c) => c.certificate);
    const sig = storedData.signature;
    const value = encodeToBytes(
      storedDataValueCodec(storedData.value.model),
      signedValue(storedData.value),
    );
    const input = storedDataSignatureInput(
      resourceId,
      kind,
      storedData.storageTime,
      value,
      sig.identity,
    );
    const signer = verifySigner(input, sig, ders);
    const others = ders.filter((d) => d !== signer.certificate);
    if (opts.trust) opts.trust.checkCertificate(signer.certificate, { intermediates: others });
    const retained: GenericCertificate[] = [
      { type: CertificateType.X509, certificate: signer.certificate },
    ];
    if (opts.trust) {
      // Keep CA certificates of the bucket that are not roots: a reader needs the chain too
      // (§6.3.4 note to implementers). Other signers' certificates are not kept here.
      for (const d of others) {
        const info = certificateInfo(d);
        if (info.isCa && !opts.trust.roots.some((r) => Buffer.compare(r.sha256, info.sha256) === 0))
          retained.push({ type: CertificateType.X509, certificate: d });
      }
    }
    return {
      usernames: signer.info.usernames,
      nodeIds: signer.info.nodeIds,
      ...(signer.nodeId ? { nodeId: signer.nodeId } : {}),
      certificates: retained,
      notAfter: signer.info.notAfter.getTime(),
    };
  };
}

/** Input of {@link createStoredData}. */
export interface CreateStoredDataOptions {
  /** The writer's certificate and private key. */
  credentials: Credentials;
  /** Resource-ID the value is stored at. */
  resourceId: Uint8Array;
  /** Kind-ID. */
  kind: number;
  /** The value (ARRAY index 0xffffffff appends). */
  value: StoredDataValue;
  /** Validity in seconds (uint32). */
  lifetime: number;
  /** ms since the epoch (default `Date.now()`); must grow with each store to one location. */
  storageTime?: bigint;
  /** Node-ID to sign as, required when the certificate has several (§6.3.4). */
  nodeId?: Uint8Array;
}

/**
 * Builds a signed StoredData (§7, §7.1) as a storing client does before a Store: the
 * signature covers `resource_id ‖ kind ‖ storage_time ‖ StoredDataValue ‖ SignerIdentity`,
 * with an ARRAY index set to 0.
 * @throws ReloadError from @reload/security ('UNSUPPORTED_ALGORITHM', 'NODE_ID_REQUIRED', …).
 */
export function createStoredData(o: CreateStoredDataOptions): StoredData {
  const storageTime = o.storageTime ?? BigInt(Date.now());
  const identity = signerIdentityFor(o.credentials.certificate, o.nodeId);
  const value = encodeToBytes(storedDataValueCodec(o.value.model), signedValue(o.value));
  const input = storedDataSignatureInput(o.resourceId, o.kind, storageTime, value, identity);
  return {
    storageTime,
    lifetime: o.lifetime,
    value: o.value,
    signature: sign(input, o.credentials, { identity }),
  };
}
