/**
 * RFC 6940 §6.3.4 SecurityBlock creation and checking for §11.1 configuration and kind
 * signatures, using @reload/security (`sign`, `verifySigner`, `createTrustStore`). The
 * signature input is the signed element's exact bytes (docs/decisions/0256).
 */
import { X509Certificate } from 'node:crypto';
import {
  certificateInfo,
  type Credentials,
  createTrustStore,
  nodeIdFromHex,
  nodeIdToHex,
  sign,
  verifySigner,
} from '@reload/security';
import {
  CertificateType,
  decodeExact,
  encodeToBytes,
  isReloadError,
  ReloadError,
  type SecurityBlock,
  SecurityBlockCodec,
} from '@reload/wire';
import type { Configuration } from './model.js';

/**
 * A signer: DER certificate, private key (RSA or ECDSA P-256) and optional intermediate CA
 * certificates for the SecurityBlock's bucket — @reload/security's `Credentials`.
 */
export type SigningCredentials = Credentials;

/** The identity a valid SecurityBlock was made by. */
export interface SignerInfo {
  /** DER certificate the SignerIdentity designates. */
  certificate: Uint8Array;
  /** Node-IDs (lower-case hex) of that certificate's reload:// URIs. */
  nodeIds: string[];
  /**
   * The signing Node-ID (hex): the one a cert_hash_node_id identity names, or the only
   * Node-ID of a cert_hash certificate.
   */
  signingNodeId?: string;
  /** The other certificates of the bucket (possible intermediates). */
  bucket: Uint8Array[];
}

/** Node-IDs (lower-case hex) in the reload:// subjectAltName URIs of a DER certificate (§11.3). */
export function certificateNodeIds(der: Uint8Array): string[] {
  try {
    return certificateInfo(der).nodeIds.map(nodeIdToHex);
  } catch {
    return [];
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Signs `input` (the exact element bytes, §11.1) and returns the encoded SecurityBlock
 * carrying the signer's certificate (and chain). SignerIdentity per @reload/security:
 * cert_hash for a certificate with one Node-ID, cert_hash_node_id for `nodeId` (hex) when
 * it has several (§6.3.4).
 *
 * @throws ReloadError 'CONFIG_SIGNING' naming the reason (unsupported key, Node-ID not in
 *   the certificate, several Node-IDs and none chosen).
 */
export function createSecurityBlock(
  input: Uint8Array,
  creds: SigningCredentials,
  nodeId?: string,
): Uint8Array {
  try {
    const signature = sign(
      input,
      creds,
      nodeId === undefined ? {} : { nodeId: nodeIdFromHex(nodeId) },
    );
    const block: SecurityBlock = {
      certificates: [creds.certificate, ...(creds.chain ?? [])].map((certificate) => ({
        type: CertificateType.X509,
        certificate,
      })),
      signature,
    };
    return encodeToBytes(SecurityBlockCodec, block);
  } catch (e) {
    throw new ReloadError('CONFIG_SIGNING', `cannot sign: ${message(e)}`, { cause: e });
  }
}

/**
 * Decodes a SecurityBlock and checks that its signature over `input` is correct for the
 * certificate its SignerIdentity designates. Does not decide whether that signer is
 * trusted or authorized.
 *
 * @throws ReloadError with `code` (e.g. 'CONFIG_SIGNATURE_INVALID') and a reason.
 */
export function checkSecurityBlock(
  input: Uint8Array,
  encoded: Uint8Array,
  code: string,
): SignerInfo {
  let block: SecurityBlock;
  try {
    block = decodeExact(SecurityBlockCodec, encoded);
  } catch (e) {
    throw new ReloadError(code, `not a RELOAD SecurityBlock: ${message(e)}`, { cause: e });
  }
  const certs = block.certificates
    .filter((c) => c.type === CertificateType.X509)
    .map((c) => new Uint8Array(c.certificate));
  let signer;
  try {
    signer = verifySigner(input, block.signature, certs);
  } catch (e) {
    throw new ReloadError(code, isReloadError(e) ? `${e.codeName}: ${e.message}` : message(e), {
      cause: e,
    });
  }
  const der = signer.certificate;
  const info: SignerInfo = {
    certificate: new Uint8Array(der),
    nodeIds: signer.info.nodeIds.map(nodeIdToHex),
    bucket: certs.filter((c) => Buffer.compare(c, der) !== 0),
  };
  if (signer.nodeId !== undefined) info.signingNodeId = nodeIdToHex(signer.nodeId);
  return info;
}

/**
 * Checks the signer's certificate with @reload/security's trust store built from
 * `anchors` and the configuration's bad-node / self-signed / node-id-length parameters:
 * chain to a root-cert, validity at `now`, Node-ID not a bad-node. Returns a reason, or
 * undefined when trusted. Root-certs that are not certificates (the RFC example has one)
 * are ignored. With no usable anchor and self-signed certificates not permitted, the
 * certificate is not checked (trust rests on the Node-ID lists).
 */
export function trustProblem(
  info: SignerInfo,
  nodeId: string,
  anchors: readonly Uint8Array[],
  config: Configuration,
  badNodes: readonly string[],
  now: Date,
): string | undefined {
  const roots = anchors.filter((a) => {
    try {
      new X509Certificate(a);
      return true;
    } catch {
      return false;
    }
  });
  const selfSigned = config.selfSignedPermitted?.permitted === true;
  if (roots.length === 0 && !selfSigned) return undefined;
  try {
    const digest = config.selfSignedPermitted?.digest;
    const store = createTrustStore({
      rootCerts: roots,
      badNodes: [...badNodes],
      selfSignedPermitted: selfSigned,
      ...(digest === 'sha1' || digest === 'sha256' ? { selfSignedDigest: digest } : {}),
      nodeIdLength: config.nodeIdLength,
      now: () => now.getTime(),
    });
    store.checkCertificate(info.certificate, {
      intermediates: info.bucket,
      expectedNodeId: nodeIdFromHex(nodeId),
    });
    return undefined;
  } catch (e) {
    return isReloadError(e) ? `${e.codeName}: ${e.message}` : message(e);
  }
}
