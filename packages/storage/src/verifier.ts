/**
 * Per-value signature verification (RFC 6940 §7.1), injected into the engine so that the
 * storage logic does not depend on how certificates are parsed or trusted.
 */
import type { GenericCertificate, StoredData, StoredDataValue } from '@reload/wire';
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
