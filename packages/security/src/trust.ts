/**
 * Trust checks for overlay certificates (RFC 6940 §6.3.4, §7.1, §11.1, §11.3, §11.3.1, §13):
 * chain to one of the configuration's root-certs (with BasicConstraints checks), validity
 * period against an injectable clock, Node-ID match, bad-node list, self-signed mode.
 * Uses Node's `crypto.X509Certificate` (OpenSSL) for signature and issuer checks.
 */
import { ReloadError } from '@reload/wire';
import { certificateInfo, type CertificateInfo } from './certificates.js';
import {
  DEFAULT_NODE_ID_LENGTH,
  idEquals,
  nodeIdFromHex,
  nodeIdToHex,
  selfSignedNodeIds,
  type SelfSignedDigest,
} from './ids.js';

/** Options of {@link createTrustStore}, mirroring the configuration document (§11.1). */
export interface TrustStoreOptions {
  /** DER root certificates (the `root-cert` elements, base64-decoded). */
  rootCerts: readonly Uint8Array[];
  /** `bad-node` entries: Node-IDs as bytes or hex strings. */
  badNodes?: readonly (Uint8Array | string)[];
  /** `self-signed-permitted` value (default false). */
  selfSignedPermitted?: boolean;
  /** `self-signed-permitted` digest attribute (default sha1). */
  selfSignedDigest?: SelfSignedDigest;
  /** `node-id-length` in bytes (default 16). Certificates with other lengths are malformed. */
  nodeIdLength?: number;
  /** Overlay name: when given, every `reload://` URI must name it (default: not checked). */
  overlay?: string;
  /** Clock in ms since the epoch (default Date.now). */
  now?: () => number;
  /** Longest chain accepted, root included (default 8). */
  maxChainLength?: number;
}

/** Options of {@link TrustStore.checkCertificate}. */
export interface CheckCertificateOptions {
  /** Intermediate CA certificates (e.g. the rest of a SecurityBlock's bucket). */
  intermediates?: readonly Uint8Array[];
  /** The Node-ID the peer claims: it must be one of the certificate's Node-IDs. */
  expectedNodeId?: Uint8Array;
  /** Overrides the store's overlay name for this check. */
  overlay?: string;
  /** Require at least one Node-ID in the certificate (default false). */
  requireNodeId?: boolean;
}

/** A configured trust checker; create with {@link createTrustStore}. */
export interface TrustStore {
  /**
   * Checks a certificate (DER or PEM) and returns its {@link CertificateInfo}. Throws
   * ReloadError with code, each message naming the reason:
   * 'CERT_MALFORMED' (unparseable, wrong Node-ID length), 'CERT_EXPIRED',
   * 'CERT_NOT_YET_VALID' (the certificate or a CA on its chain), 'CERT_UNTRUSTED' (no chain to
   * a root-cert, or a non-CA issuer), 'SELF_SIGNED_NOT_PERMITTED', 'NODE_ID_MISMATCH' (not the
   * claimed Node-ID, or self-signed Node-IDs not derived from the key), 'OVERLAY_MISMATCH',
   * 'BAD_NODE' (a Node-ID on the bad-node list).
   */
  checkCertificate(der: Uint8Array | string, opts?: CheckCertificateOptions): CertificateInfo;
  /** True when the Node-ID is on the bad-node list. */
  isBadNode(nodeId: Uint8Array): boolean;
  /** The parsed root certificates. */
  readonly roots: readonly CertificateInfo[];
}

function err(code: string, message: string): ReloadError {
  return new ReloadError(code, message);
}

function describe(info: CertificateInfo): string {
  if (info.nodeIds.length > 0) return `certificate of ${nodeIdToHex(info.nodeIds[0])}`;
  if (info.usernames.length > 0) return `certificate of ${info.usernames[0]}`;
  return `certificate "${info.subject}"`;
}

/**
 * Builds a {@link TrustStore} from the configuration's trust parameters. Throws
 * ReloadError('CERT_MALFORMED') for an unparseable root-cert, ('BAD_NODE_ID') for a bad
 * bad-node entry.
 */
export function createTrustStore(opts: TrustStoreOptions): TrustStore {
  const roots = opts.rootCerts.map((r) => certificateInfo(r));
  const nodeIdLength = opts.nodeIdLength ?? DEFAULT_NODE_ID_LENGTH;
  const bad = new Set(
    (opts.badNodes ?? []).map((b) => nodeIdToHex(typeof b === 'string' ? nodeIdFromHex(b) : b)),
  );
  const now = opts.now ?? Date.now;
  const maxChain = opts.maxChainLength ?? 8;
  const digest = opts.selfSignedDigest ?? 'sha1';

  function isBadNode(nodeId: Uint8Array): boolean {
    return bad.has(nodeIdToHex(nodeId));
  }

  function checkTime(info: CertificateInfo, t: number, what: string): void {
    if (t < info.notBefore.getTime()) {
      throw err(
        'CERT_NOT_YET_VALID',
        `${what} is not valid before ${info.notBefore.toISOString()}`,
      );
    }
    if (t > info.notAfter.getTime()) {
      throw err('CERT_EXPIRED', `${what} expired at ${info.notAfter.toISOString()}`);
    }
  }

  function isRoot(info: CertificateInfo): boolean {
    return roots.some((r) => idEquals(r.sha256, info.sha256));
  }

  // The issuer-signature check is a public-key operation per certificate and message: its
  // outcome depends only on the two certificates, so it is remembered (validity periods and
  // the bad-node list are still checked on every call).
  const signedByCache = new Map<string, boolean>();

  function signedBy(child: CertificateInfo, issuer: CertificateInfo): boolean {
    const key = `${Buffer.from(child.sha256).toString('hex')}/${Buffer.from(issuer.sha256).toString('hex')}`;
    const known = signedByCache.get(key);
    if (known !== undefined) return known;
    let ok: boolean;
    try {
      ok = child.x509.checkIssued(issuer.x509) && child.x509.verify(issuer.publicKey);
    } catch {
      ok = false;
    }
    if (signedByCache.size >= 10_000) signedByCache.clear();
    signedByCache.set(key, ok);
    return ok;
  }

  function verifiesItself(info: CertificateInfo): boolean {
    try {
      return info.x509.verify(info.publicKey);
    } catch {
      return false;
    }
  }

  /** Walks from the leaf to a root; returns the chain (leaf first). */
  function chainToRoot(
    leaf: CertificateInfo,
    intermediates: CertificateInfo[],
    t: number,
  ): CertificateInfo[] {
    const chain = [leaf];
    let cur = leaf;
    for (;;) {
      if (isRoot(cur)) return chain;
      if (chain.length >= maxChain) {
        throw err(
          'CERT_UNTRUSTED',
          `${describe(leaf)}: chain longer than ${maxChain} certificates`,
        );
      }
      const root = roots.find((r) => signedBy(cur, r));
      const issuer = root ?? intermediates.find((c) => !chain.includes(c) && signedBy(cur, c));
      if (!issuer) {
        throw err(
          'CERT_UNTRUSTED',
          `${describe(leaf)}: no root-cert or intermediate issued "${cur.issuer}" (chain to no root-cert)`,
        );
      }
      // RFC 6940 §11.3: chain checks include PKIX BasicConstraints.
      if (!issuer.isCa) {
        throw err(
          'CERT_UNTRUSTED',
          `${describe(leaf)}: issuer "${issuer.subject}" is not a CA (BasicConstraints)`,
        );
      }
      const below = chain.length - 1; // non-leaf certificates below the issuer
      if (issuer.pathLength !== undefined && below > issuer.pathLength) {
        throw err(
          'CERT_UNTRUSTED',
          `${describe(leaf)}: path length constraint of "${issuer.subject}" exceeded`,
        );
      }
      checkTime(issuer, t, `CA certificate "${issuer.subject}"`);
      chain.push(issuer);
      cur = issuer;
    }
  }

  function checkSelfSigned(info: CertificateInfo): void {
    if (!opts.selfSignedPermitted) {
      throw err(
        'SELF_SIGNED_NOT_PERMITTED',
        `${describe(info)} is self-signed and the overlay does not permit it`,
      );
    }
    if (info.nodeIds.length === 0) {
      throw err('NODE_ID_MISMATCH', `self-signed ${describe(info)} carries no Node-ID`);
    }
    // RFC 6940 §11.3.1: "nodes MUST check that the Node-ID and public keys match".
    const want = selfSignedNodeIds(info.spki, info.nodeIds.length, nodeIdLength, digest);
    info.nodeIds.forEach((id, i) => {
      if (!idEquals(id, want[i])) {
        throw err(
          'NODE_ID_MISMATCH',
          `self-signed Node-ID ${nodeIdToHex(id)} is not the ${digest} digest of the public key (expected ${nodeIdToHex(want[i])})`,
        );
      }
    });
  }

  function checkCertificate(
    der: Uint8Array | string,
    o: CheckCertificateOptions = {},
  ): CertificateInfo {
    const info = certificateInfo(der);
    const t = now();
    for (const id of info.nodeIds) {
      if (id.length !== nodeIdLength) {
        throw err(
          'CERT_MALFORMED',
          `Node-ID ${nodeIdToHex(id)} has ${id.length} bytes, the overlay uses ${nodeIdLength}`,
        );
      }
    }
    if (o.requireNodeId && info.nodeIds.length === 0) {
      throw err('NODE_ID_MISMATCH', `${describe(info)} carries no Node-ID`);
    }
    const overlay = o.overlay ?? opts.overlay;
    if (overlay !== undefined) {
      for (const ov of info.overlays) {
        if (ov.toLowerCase() !== overlay.toLowerCase()) {
          throw err('OVERLAY_MISMATCH', `${describe(info)} is for overlay ${ov}, not ${overlay}`);
        }
      }
    }
    checkTime(info, t, describe(info));
    const selfSigned = info.selfIssued && !isRoot(info) && verifiesItself(info);
    if (selfSigned) {
      checkSelfSigned(info);
    } else {
      chainToRoot(
        info,
        (o.intermediates ?? []).map((c) => certificateInfo(c)),
        t,
      );
    }
    if (
      o.expectedNodeId &&
      !info.nodeIds.some((n) => idEquals(n, o.expectedNodeId as Uint8Array))
    ) {
      throw err(
        'NODE_ID_MISMATCH',
        `${describe(info)} does not hold the claimed Node-ID ${nodeIdToHex(o.expectedNodeId)}`,
      );
    }
    for (const id of info.nodeIds) {
      if (isBadNode(id))
        throw err('BAD_NODE', `Node-ID ${nodeIdToHex(id)} is on the bad-node list`);
    }
    return info;
  }

  return { checkCertificate, isBadNode, roots };
}
