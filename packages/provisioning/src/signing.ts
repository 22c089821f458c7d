/**
 * RFC 6940 §11.1 configuration signatures: a SecurityBlock (§6.3.4) over the exact bytes from
 * the first `<` of `<configuration` to the `>` of `</configuration>`, base64 in the
 * `<signature>` element that follows. Not XML-DSig.
 */
import {
  createHash,
  sign as cryptoSign,
  verify as cryptoVerify,
  X509Certificate,
} from 'node:crypto';
import {
  CertificateType,
  HashAlgorithm,
  ReloadError,
  SecurityBlockCodec,
  SignatureAlgorithm,
  SignerIdentityType,
  decodeExact,
  encodeToBytes,
  type SecurityBlock,
} from '@reload/wire';
import type { CertifiedKey } from './pki.js';

const CONFIG_RE = /<((?:[A-Za-z_][\w.-]*:)?)configuration[\s>/]/;

/** Byte range [start, end) of the single `<configuration>` element in `xml` (UTF-16 indices). */
export function configurationRange(xml: string): { start: number; end: number; prefix: string } {
  const m = CONFIG_RE.exec(xml);
  if (!m) throw new ReloadError('CONFIG_INVALID', 'no <configuration> element');
  const prefix = m[1] ?? '';
  const close = `</${prefix}configuration>`;
  const endAt = xml.indexOf(close, m.index);
  if (endAt < 0) throw new ReloadError('CONFIG_INVALID', 'no </configuration> end tag');
  return { start: m.index, end: endAt + close.length, prefix };
}

/**
 * Signs a naked configuration (one `<configuration>` element, no `<signature>`): returns the
 * document with `<signature>BASE64(SecurityBlock)</signature>` inserted right after
 * `</configuration>`. The SecurityBlock carries the signer certificate and a `cert_hash`
 * SignerIdentity (SHA-256); the signature is RSASSA-PKCS1-v1_5 or ECDSA with SHA-256.
 */
export function signNakedConfiguration(xml: string, signer: CertifiedKey): string {
  const { start, end, prefix } = configurationRange(xml);
  const signed = Buffer.from(xml.slice(start, end), 'utf8');
  const isRsa = signer.privateKey.asymmetricKeyType === 'rsa';
  const signatureValue = cryptoSign('sha256', signed, signer.privateKey);
  const block: SecurityBlock = {
    certificates: [{ type: CertificateType.X509, certificate: signer.certificate }],
    signature: {
      algorithm: {
        hash: HashAlgorithm.sha256,
        signature: isRsa ? SignatureAlgorithm.rsa : SignatureAlgorithm.ecdsa,
      },
      identity: {
        identityType: SignerIdentityType.cert_hash,
        hashAlg: HashAlgorithm.sha256,
        certificateHash: createHash('sha256').update(signer.certificate).digest(),
      },
      signatureValue,
    },
  };
  const b64 = Buffer.from(encodeToBytes(SecurityBlockCodec, block)).toString('base64');
  return `${xml.slice(0, end)}\n  <${prefix}signature>${b64}</${prefix}signature>${xml.slice(end)}`;
}

/** Result of {@link verifySignedConfiguration}. */
export interface VerifiedConfiguration {
  /** The signer certificate (from the SecurityBlock). */
  signer: X509Certificate;
}

/**
 * Verifies the §11.1 signature of a document made by {@link signNakedConfiguration}: the
 * signature over the configuration bytes with the certificate the SecurityBlock names, and
 * that certificate issued by `rootCert`.
 * @throws ReloadError `CONFIG_SIGNATURE_INVALID`.
 */
export function verifySignedConfiguration(
  xml: string,
  rootCert: Uint8Array,
): VerifiedConfiguration {
  const { start, end, prefix } = configurationRange(xml);
  const sigRe = new RegExp(`^\\s*<${prefix}signature(?:\\s[^>]*)?>([^<]*)</${prefix}signature>`);
  const m = sigRe.exec(xml.slice(end));
  const bad = (why: string): never => {
    throw new ReloadError('CONFIG_SIGNATURE_INVALID', why);
  };
  if (!m) return bad('no <signature> after </configuration>');
  const block = decodeExact(SecurityBlockCodec, Buffer.from(m[1].replace(/\s+/g, ''), 'base64'));
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
  return { signer: cert };
}
