/**
 * Helpers shared by link implementations for peer authentication (RFC 6940 §4.1): the
 * expected-Node-ID check and the mapping of TLS/verifier failures to stable refusal codes.
 */
import type { TrustStore } from '@reload/security';
import { ReloadError, isReloadError } from '@reload/wire';
import type { PeerVerifier } from './types.js';

/** Lower-case hex of an identifier. */
export function hex(id: Uint8Array): string {
  return Buffer.from(id.buffer, id.byteOffset, id.byteLength).toString('hex');
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Requires that `expected` (when given) is among the Node-IDs the peer's certificate proves.
 * @throws ReloadError('NODE_ID_MISMATCH')
 */
export function checkExpectedNodeId(
  nodeIds: readonly Uint8Array[],
  expected: Uint8Array | undefined,
): void {
  if (expected === undefined) return;
  if (!nodeIds.some((id) => equal(id, expected))) {
    throw new ReloadError(
      'NODE_ID_MISMATCH',
      `peer certificate does not carry Node-ID ${hex(expected)} (it has ${
        nodeIds.map(hex).join(', ') || 'none'
      })`,
    );
  }
}

/** OpenSSL / Node TLS error codes mapped to the link's refusal codes. */
const TLS_CODES: Readonly<Record<string, string>> = {
  CERT_HAS_EXPIRED: 'CERT_EXPIRED',
  ERR_TLS_CERT_ALTNAME_INVALID: 'CERT_UNTRUSTED',
  CERT_NOT_YET_VALID: 'CERT_NOT_YET_VALID',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'SELF_SIGNED_NOT_PERMITTED',
  SELF_SIGNED_CERT_IN_CHAIN: 'CERT_UNTRUSTED',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'CERT_UNTRUSTED',
  UNABLE_TO_GET_ISSUER_CERT: 'CERT_UNTRUSTED',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'CERT_UNTRUSTED',
  CERT_SIGNATURE_FAILURE: 'CERT_UNTRUSTED',
  CERT_UNTRUSTED: 'CERT_UNTRUSTED',
  CERT_REJECTED: 'CERT_UNTRUSTED',
  ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE: 'NO_PEER_CERT',
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'REFUSED_BY_PEER',
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: 'REFUSED_BY_PEER',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'REFUSED_BY_PEER',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'REFUSED_BY_PEER',
  ERR_TLS_HANDSHAKE_TIMEOUT: 'LINK_HANDSHAKE_TIMEOUT',
};

/**
 * The stable refusal code of a failed authentication: a ReloadError's string code (from a
 * {@link PeerVerifier}), a Node/OpenSSL TLS error code mapped to `CERT_EXPIRED`,
 * `CERT_UNTRUSTED`, `SELF_SIGNED_NOT_PERMITTED`, `NO_PEER_CERT`, … or `TLS_HANDSHAKE_FAILED`.
 */
export function refusalCode(err: unknown): string {
  if (isReloadError(err) && typeof err.code === 'string') return err.code;
  const code = (err as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string') return TLS_CODES[code] ?? 'TLS_HANDSHAKE_FAILED';
  return 'TLS_HANDSHAKE_FAILED';
}

/**
 * A {@link PeerVerifier} backed by a `@reload/security` TrustStore (built from the overlay
 * configuration's root-cert, bad-node and self-signed-permitted parameters, §11.1): the leaf
 * must chain to a root (the rest of the presented chain is offered as intermediates), be
 * within its validity period, carry at least one Node-ID (§4.1), none on the bad-node list;
 * self-signed leaves only when permitted, with Node-IDs derived from the key (§11.3.1). The
 * store's ReloadError codes (`CERT_UNTRUSTED`, `CERT_EXPIRED`, `BAD_NODE`,
 * `SELF_SIGNED_NOT_PERMITTED`, `NODE_ID_MISMATCH`, …) become the refusal codes.
 */
export function trustStoreVerifier(store: TrustStore): PeerVerifier {
  return (chain, context) => {
    if (chain.length === 0) {
      throw new ReloadError('NO_PEER_CERT', 'the peer presented no certificate');
    }
    const info = store.checkCertificate(chain[0], {
      intermediates: chain.slice(1),
      requireNodeId: true,
      ...(context.expectedNodeId ? { expectedNodeId: context.expectedNodeId } : {}),
    });
    return { nodeIds: info.nodeIds };
  };
}
