/**
 * TLS certificates of the services (not overlay certificates, which @reload/security issues):
 * HTTPS server certificates (dNSName = overlay name, serverAuth) from the services CA, and
 * OAM client certificates (clientAuth) from an overlay's OAM CA. Built with `@peculiar/x509`
 * on Node's WebCrypto.
 */
import 'reflect-metadata';
import { createPublicKey, randomBytes, sign, webcrypto, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { ReloadError } from '@reload/wire';
import type { Credentials } from '@reload/security';

x509.cryptoProvider.set(webcrypto as never);

const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

function webAlgorithmOf(key: KeyObject): typeof RSA | typeof EC {
  const t = key.asymmetricKeyType;
  if (t === 'rsa') return RSA;
  if (t === 'ec') return EC;
  throw new ReloadError('UNSUPPORTED_KEY', `unsupported key type ${String(t)}`);
}

async function toCryptoPrivateKey(key: KeyObject): Promise<webcrypto.CryptoKey> {
  const der = key.export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', der, webAlgorithmOf(key), false, ['sign']);
}

async function toCryptoPublicKey(key: KeyObject): Promise<webcrypto.CryptoKey> {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const der = pub.export({ type: 'spki', format: 'der' });
  return webcrypto.subtle.importKey('spki', der, webAlgorithmOf(pub), true, ['verify']);
}

function serial(): string {
  const b = randomBytes(16);
  b[0] = (b[0] & 0x7f) | 0x01; // positive, no leading zero byte
  return b.toString('hex');
}

/** A subjectAltName entry of a TLS certificate. */
export type AltName = { type: 'dns'; value: string } | { type: 'email'; value: string };

/** Options of {@link issueLeafCertificate}. */
export interface IssueLeafOptions {
  /** The issuing CA (certificate and private key). */
  ca: Credentials;
  /** Public (or private) key of the subject. */
  subjectKey: KeyObject;
  /** Subject DN, e.g. `"CN=overlay.example.org"`. */
  subject: string;
  /** subjectAltName entries (none: no extension). */
  altNames: AltName[];
  /** Extended key usages: `serverAuth` for HTTPS servers, `clientAuth` for OAM clients. */
  extendedKeyUsage: ('serverAuth' | 'clientAuth')[];
  /** Validity in milliseconds from now (default 825 days). */
  validityMs?: number;
}

/**
 * Issues a TLS end-entity certificate signed by `ca` (CA:FALSE, digitalSignature
 * [+ keyEncipherment for RSA], the given EKUs, SKI/AKI, random 128-bit serial, SHA-256).
 * @returns the DER bytes.
 */
export async function issueLeafCertificate(opts: IssueLeafOptions): Promise<Uint8Array> {
  const caCert = new x509.X509Certificate(opts.ca.certificate);
  const publicKey = await toCryptoPublicKey(opts.subjectKey);
  const now = Date.now();
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(
      x509.KeyUsageFlags.digitalSignature |
        (opts.subjectKey.asymmetricKeyType === 'rsa' ? x509.KeyUsageFlags.keyEncipherment : 0),
      true,
    ),
    new x509.ExtendedKeyUsageExtension(opts.extendedKeyUsage.map((u) => x509.ExtendedKeyUsage[u])),
    await x509.SubjectKeyIdentifierExtension.create(publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(caCert),
  ];
  if (opts.altNames.length > 0)
    extensions.push(new x509.SubjectAlternativeNameExtension(opts.altNames));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: opts.subject,
    issuer: caCert.subject,
    notBefore: new Date(now - 5 * 60_000),
    notAfter: new Date(now + (opts.validityMs ?? 825 * 86_400_000)),
    publicKey: publicKey as never,
    signingKey: (await toCryptoPrivateKey(opts.ca.privateKey)) as never,
    signingAlgorithm: webAlgorithmOf(opts.ca.privateKey),
    extensions,
  });
  return new Uint8Array(cert.rawData);
}

/**
 * Signs the TBSCertificate of `draft` with `caKey` and returns the certificate (DER). The
 * draft is a complete certificate whose TBSCertificate is the one wanted — issuer, authority
 * key identifier and signature algorithm of the CA — but which was signed by another key of
 * the same type (RFC 5280 §4.1.1.2: the signature algorithm is named in the TBSCertificate,
 * so a key of the same type leaves it unchanged). Lets a certificate be built before the
 * request is authenticated and signed by the CA only after (RFC 6940 §11.3 enrollment,
 * docs/decisions/0470). RSA: PKCS#1 v1.5 with SHA-256; EC: ECDSA with SHA-256, DER
 * Ecdsa-Sig-Value (RFC 5758 §3.2).
 * @throws ReloadError `CERT_MALFORMED` when `draft` is not a DER certificate.
 */
export function signDraftCertificate(draft: Uint8Array, caKey: KeyObject): Uint8Array {
  let cert: Certificate;
  try {
    cert = AsnConvert.parse(draft, Certificate);
  } catch {
    throw new ReloadError('CERT_MALFORMED', 'not a DER certificate');
  }
  // DER only: the re-encoded draft must be the draft itself (no trailing bytes, no BER), so
  // that the TBSCertificate signed below is byte for byte the one that was built
  if (!Buffer.from(AsnConvert.serialize(cert)).equals(draft)) {
    throw new ReloadError('CERT_MALFORMED', 'not a DER certificate');
  }
  const tbs = AsnConvert.serialize(cert.tbsCertificate);
  const signature = sign('sha256', new Uint8Array(tbs), caKey);
  cert.signatureValue = signature.buffer.slice(
    signature.byteOffset,
    signature.byteOffset + signature.byteLength,
  );
  return new Uint8Array(AsnConvert.serialize(cert));
}
