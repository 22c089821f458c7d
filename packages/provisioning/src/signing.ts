/**
 * Checking RFC 6940 §11.1 configuration signatures (made by @reload/config
 * `signConfiguration`): a SecurityBlock (§6.3.4) over the exact bytes from the first `<` of
 * `<configuration` to the `>` of `</configuration>`, base64 in the `<signature>` element that
 * follows.
 */
import { createHash, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import { ReloadError, SecurityBlockCodec, SignerIdentityType, decodeExact } from '@reload/wire';

const CONFIG_RE = /<((?:[A-Za-z_][\w.-]*:)?)configuration[\s>/]/;

/** Range [start, end) (string indices) of the first `<configuration>` element, and its prefix. */
export function configurationRange(xml: string): { start: number; end: number; prefix: string } {
  const m = CONFIG_RE.exec(xml);
  if (!m) throw new ReloadError('CONFIG_INVALID', 'no <configuration> element');
  const prefix = m[1] ?? '';
  const close = `</${prefix}configuration>`;
  const endAt = xml.indexOf(close, m.index);
  if (endAt < 0) throw new ReloadError('CONFIG_INVALID', 'no </configuration> end tag');
  return { start: m.index, end: endAt + close.length, prefix };
}

/** Result of {@link verifySignedConfiguration}. */
export interface VerifiedSignature {
  /** The signer certificate (from the SecurityBlock). */
  signer: X509Certificate;
  /** Node-IDs (hex) of the signer certificate's reload:// URIs. */
  signerNodeIds: string[];
}

/**
 * Node-IDs (hex) of the reload:// URIs of a certificate, whose destination part is a
 * Destination List with one node entry: `01 <len> <Node-ID>` (§11.3, §14.15).
 */
export function reloadUriNodeIds(cert: X509Certificate): string[] {
  const out: string[] = [];
  for (const m of (cert.subjectAltName ?? '').matchAll(/URI:reload:\/\/([0-9a-fA-F]+)@/g)) {
    const dest = Buffer.from(m[1] ?? '', 'hex');
    if (dest[0] === 1 && dest[1] === dest.length - 2) out.push(dest.subarray(2).toString('hex'));
  }
  return out;
}

/**
 * Verifies the §11.1 signature of a one-configuration document: the SecurityBlock signature
 * over the exact configuration bytes with the certificate its `cert_hash` SignerIdentity
 * names, that certificate issued by `rootCert`, and one of its Node-IDs listed in
 * `authorizedSigners` (the previous document's configuration-signer values). A small
 * independent check used by tests and the benchmark; @reload/config `verifyConfiguration` is
 * the full verifier.
 * @throws ReloadError `CONFIG_SIGNATURE_INVALID`, `CONFIG_SIGNER_NOT_AUTHORIZED`.
 */
export function verifySignedConfiguration(
  xml: string,
  rootCert: Uint8Array,
  authorizedSigners: readonly string[],
): VerifiedSignature {
  const { start, end, prefix } = configurationRange(xml);
  const sigRe = new RegExp(`^\\s*<${prefix}signature(?:\\s[^>]*)?>([^<]*)</${prefix}signature>`);
  const m = sigRe.exec(xml.slice(end));
  const bad = (why: string): never => {
    throw new ReloadError('CONFIG_SIGNATURE_INVALID', why);
  };
  if (!m) return bad('no <signature> after </configuration>');
  const block = decodeExact(
    SecurityBlockCodec,
    Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'),
  );
  const id = block.signature.identity;
  if (id.identityType !== SignerIdentityType.cert_hash || !('certificateHash' in id)) {
    return bad('signer identity is not cert_hash');
  }
  const certBytes = block.certificates.find((c) =>
    createHash('sha256').update(c.certificate).digest().equals(Buffer.from(id.certificateHash)),
  );
  if (!certBytes) return bad('signer certificate not in the SecurityBlock');
  const cert = new X509Certificate(certBytes.certificate);
  const root = new X509Certificate(rootCert);
  if (!cert.checkIssued(root) || !cert.verify(root.publicKey))
    return bad('signer not issued by the root-cert');
  const ok = cryptoVerify(
    'sha256',
    Buffer.from(xml.slice(start, end), 'utf8'),
    cert.publicKey,
    block.signature.signatureValue,
  );
  if (!ok) return bad('signature does not verify');
  const signerNodeIds = reloadUriNodeIds(cert);
  const allowed = new Set(authorizedSigners.map((x) => x.toLowerCase()));
  if (!signerNodeIds.some((n) => allowed.has(n))) {
    throw new ReloadError(
      'CONFIG_SIGNER_NOT_AUTHORIZED',
      `signer ${signerNodeIds.join(',')} is not authorized`,
    );
  }
  return { signer: cert, signerNodeIds };
}
