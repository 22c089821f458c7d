/**
 * X.509 building blocks for the services: key pairs, CAs, TLS server and client certificates,
 * and RELOAD overlay certificates issued from a PKCS#10 CSR (RFC 6940 §11.3).
 *
 * Certificates are built with `@peculiar/x509` on Node's WebCrypto; keys are `node:crypto`
 * KeyObjects so that hot-path signing (configuration signatures) uses OpenSSL directly.
 */
import 'reflect-metadata';
import {
  createPrivateKey,
  createPublicKey,
  randomBytes,
  webcrypto,
  type KeyObject,
} from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
import * as x509 from '@peculiar/x509';
import { ReloadError } from '@reload/wire';

x509.cryptoProvider.set(webcrypto as never);

/** Key algorithms the services can create: RSA-2048 (mandatory in RFC 6940 §6.3.4) or ECDSA P-256. */
export type KeyAlgorithm = 'rsa2048' | 'ecdsa-p256';

/** A certificate with its private key. */
export interface CertifiedKey {
  /** DER bytes of the certificate. */
  certificate: Uint8Array;
  /** The private key. */
  privateKey: KeyObject;
}

const RSA = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

function webAlgorithmOf(key: KeyObject): typeof RSA | typeof EC {
  const t = key.asymmetricKeyType;
  if (t === 'rsa') return RSA;
  if (t === 'ec') return EC;
  throw new ReloadError('UNSUPPORTED_KEY', `unsupported key type ${String(t)}`);
}

async function toCryptoPrivateKey(key: KeyObject): Promise<CryptoKey> {
  const alg = webAlgorithmOf(key);
  const der = key.export({ type: 'pkcs8', format: 'der' });
  return await webcrypto.subtle.importKey('pkcs8', der, alg, false, ['sign']);
}

async function toCryptoPublicKey(key: KeyObject): Promise<CryptoKey> {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const alg = webAlgorithmOf(pub);
  const der = pub.export({ type: 'spki', format: 'der' });
  return await webcrypto.subtle.importKey('spki', der, alg, true, ['verify']);
}

/**
 * Generates a key pair. RSA-2048 takes ~50–150 ms; ECDSA P-256 < 1 ms.
 * @returns the private key (the public key is derivable with `createPublicKey`).
 */
export async function generatePrivateKey(algorithm: KeyAlgorithm = 'rsa2048'): Promise<KeyObject> {
  const pair =
    algorithm === 'rsa2048'
      ? await webcrypto.subtle.generateKey(
          { ...RSA, modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]) },
          true,
          ['sign', 'verify'],
        )
      : await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const der = await webcrypto.subtle.exportKey('pkcs8', pair.privateKey);
  return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
}

function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0] & 0x7f; // positive INTEGER
  if (b[0] === 0) b[0] = 1;
  return b.toString('hex');
}

/** Options of {@link createCertificateAuthority}. */
export interface CreateCaOptions {
  /** Distinguished name, e.g. `"C=US, O=Example, CN=overlay.example.org"`. */
  subject: string;
  /** Key algorithm (default RSA-2048). */
  keyAlgorithm?: KeyAlgorithm;
  /** Validity in days (default 3650). */
  validityDays?: number;
}

/**
 * Creates a self-signed CA certificate (basicConstraints CA:TRUE, keyCertSign|cRLSign).
 * @throws ReloadError `BAD_SUBJECT` when the subject is not a parsable distinguished name.
 */
export async function createCertificateAuthority(opts: CreateCaOptions): Promise<CertifiedKey> {
  const privateKey = await generatePrivateKey(opts.keyAlgorithm ?? 'rsa2048');
  const keys = {
    privateKey: await toCryptoPrivateKey(privateKey),
    publicKey: await toCryptoPublicKey(privateKey),
  };
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + (opts.validityDays ?? 3650) * 86_400_000);
  let name: x509.Name;
  try {
    name = new x509.Name(opts.subject);
    if (name.toJSON().length === 0) throw new Error('empty');
  } catch (cause) {
    throw new ReloadError('BAD_SUBJECT', `not a distinguished name: ${opts.subject}`, { cause });
  }
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name,
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: webAlgorithmOf(privateKey),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate: new Uint8Array(cert.rawData), privateKey };
}

/** A subjectAltName entry. */
export type AltName =
  | { type: 'dns'; value: string }
  | { type: 'url'; value: string }
  | { type: 'email'; value: string };

/** Options of {@link issueLeafCertificate}. */
export interface IssueLeafOptions {
  /** The issuing CA. */
  ca: CertifiedKey;
  /** Public (or private) key of the subject. */
  subjectKey: KeyObject;
  /** Subject DN; empty string for an empty subject (then subjectAltName is critical). */
  subject: string;
  /** subjectAltName entries. */
  altNames: AltName[];
  /** Extended key usages: `serverAuth`, `clientAuth` (none = no EKU extension). */
  extendedKeyUsage?: ('serverAuth' | 'clientAuth')[];
  /** Validity in milliseconds from now (default 365 days). */
  validityMs?: number;
}

/** Issues an end-entity certificate signed by `ca`. Returns its DER bytes. */
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
    await x509.SubjectKeyIdentifierExtension.create(publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(caCert),
  ];
  if (opts.altNames.length > 0) {
    extensions.push(new x509.SubjectAlternativeNameExtension(opts.altNames, opts.subject === ''));
  }
  if (opts.extendedKeyUsage !== undefined && opts.extendedKeyUsage.length > 0) {
    extensions.push(
      new x509.ExtendedKeyUsageExtension(
        opts.extendedKeyUsage.map((u) => x509.ExtendedKeyUsage[u]),
        false,
      ),
    );
  }
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: opts.subject,
    issuer: caCert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + (opts.validityMs ?? 365 * 86_400_000)),
    publicKey,
    signingKey: await toCryptoPrivateKey(opts.ca.privateKey),
    signingAlgorithm: webAlgorithmOf(opts.ca.privateKey),
    extensions,
  });
  return new Uint8Array(cert.rawData);
}

/** What the enrollment server reads from a PKCS#10 CSR. */
export interface CsrInfo {
  /** The subject public key. */
  publicKey: KeyObject;
  /** rfc822Name values the CSR asks for (subjectAltName extension request or emailAddress). */
  requestedUserNames: string[];
}

/**
 * Parses a PKCS#10 CSR (DER or PEM) and checks its self-signature (proof of possession).
 * @throws ReloadError `BAD_CSR` when it does not parse, its signature does not verify with
 *   its own key, or its key type is not RSA or EC.
 */
export async function readCsr(input: Uint8Array | string): Promise<CsrInfo> {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
    csr = text.includes('-----BEGIN')
      ? new x509.Pkcs10CertificateRequest(text)
      : new x509.Pkcs10CertificateRequest(
          typeof input === 'string' ? Buffer.from(input, 'latin1') : input,
        );
  } catch (cause) {
    throw new ReloadError('BAD_CSR', 'CSR is not a PKCS#10 request', { cause });
  }
  let ok = false;
  try {
    ok = await csr.verify();
  } catch (cause) {
    throw new ReloadError('BAD_CSR', 'CSR signature cannot be checked', { cause });
  }
  if (!ok) throw new ReloadError('BAD_CSR', 'CSR signature does not match its public key');
  let publicKey: KeyObject;
  try {
    publicKey = createPublicKey({
      key: Buffer.from(csr.publicKey.rawData),
      format: 'der',
      type: 'spki',
    });
    webAlgorithmOf(publicKey);
  } catch (cause) {
    throw new ReloadError('BAD_CSR', 'CSR public key is not RSA or EC', { cause });
  }
  const requestedUserNames: string[] = [];
  const sanExt = csr.getExtension('2.5.29.17');
  if (sanExt) {
    const san = new x509.SubjectAlternativeNameExtension(sanExt.rawData);
    for (const n of san.names.toJSON()) if (n.type === 'email') requestedUserNames.push(n.value);
  }
  for (const rdn of csr.subjectName.toJSON()) {
    for (const [type, values] of Object.entries(rdn)) {
      if (type === 'E' || type === '1.2.840.113549.1.9.1') requestedUserNames.push(...values);
    }
  }
  return { publicKey, requestedUserNames };
}

/**
 * The RFC 6940 §14.15 reload URI of a peer: `reload://<Destination hex>@<overlay>/`, where the
 * destination list is one Destination of type node (1), length, Node-ID (§6.3.2.2, §11.3).
 */
export function nodeIdUri(nodeId: Uint8Array, overlay: string): string {
  const dest = Buffer.concat([Buffer.from([1, nodeId.length]), nodeId]);
  return `reload://${dest.toString('hex')}@${overlay}/`;
}

/** Options of {@link issueOverlayCertificate}. */
export interface IssueOverlayCertificateOptions {
  /** The overlay CA (its certificate is a root-cert of the configuration). */
  ca: CertifiedKey;
  /** The subject's public key (from the CSR). */
  subjectKey: KeyObject;
  /** Overlay name (instance-name). */
  overlay: string;
  /** Node-IDs to place as reload:// URIs (16–20 bytes each). */
  nodeIds: Uint8Array[];
  /** The user name (rfc822Name). */
  userName: string;
  /** Validity in milliseconds from now (default 365 days). */
  validityMs?: number;
}

/**
 * Issues an overlay certificate as RFC 6940 §11.3 requires: empty subject, subjectAltName with
 * one reload:// URI per Node-ID and one rfc822Name (and nothing else). Returns DER bytes.
 */
export async function issueOverlayCertificate(
  opts: IssueOverlayCertificateOptions,
): Promise<Uint8Array> {
  return issueLeafCertificate({
    ca: opts.ca,
    subjectKey: opts.subjectKey,
    subject: '',
    altNames: [
      ...opts.nodeIds.map((id) => ({ type: 'url' as const, value: nodeIdUri(id, opts.overlay) })),
      { type: 'email', value: opts.userName },
    ],
    ...(opts.validityMs !== undefined ? { validityMs: opts.validityMs } : {}),
  });
}

/** Converts DER bytes to PEM text with the given label (default CERTIFICATE). */
export function derToPem(der: Uint8Array, label = 'CERTIFICATE'): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** Extracts the DER bytes of the first PEM block (any label). @throws ReloadError `BAD_PEM`. */
export function pemToDer(pem: string): Uint8Array {
  const m = /-----BEGIN [^-]+-----([\s\S]*?)-----END [^-]+-----/.exec(pem);
  if (!m) throw new ReloadError('BAD_PEM', 'no PEM block found');
  return new Uint8Array(Buffer.from(m[1].replace(/\s+/g, ''), 'base64'));
}
