/**
 * X.509 certificates and PKCS#10 CSRs for RELOAD (RFC 6940 §4.1, §11.3, §11.3.1): overlay
 * CA creation, CSR creation and checking, issuance with `reload://` and rfc822Name
 * subjectAltNames, self-signed credentials, and parsing a certificate into
 * {@link CertificateInfo}. Building uses `@peculiar/x509` on WebCrypto; parsing is
 * synchronous and cached.
 */
import {
  createPublicKey,
  hash,
  randomBytes,
  X509Certificate as NodeX509,
  type KeyObject,
} from 'node:crypto';
import { ReloadError } from '@reload/wire';
import { x509 } from './provider.js';
import {
  generateKeyPairAsync,
  keyAlgorithmOf,
  publicKeyOf,
  spkiOf,
  toCryptoPrivateKey,
  toCryptoPublicKey,
  webCryptoSigningAlgorithm,
  type KeyAlgorithm,
  type KeyPair,
} from './keys.js';
import { DEFAULT_NODE_ID_LENGTH, selfSignedNodeIds, type SelfSignedDigest } from './ids.js';
import { nodeIdFromUri, nodeIdUri } from './reload-uri.js';
import { derOf, toPem } from './pem.js';

/**
 * A node's (or a CA's) credentials: its DER certificate, its private key, and optionally
 * the DER intermediates between the certificate and the overlay's root-cert.
 */
export interface Credentials {
  certificate: Uint8Array;
  privateKey: KeyObject;
  chain?: Uint8Array[];
}

/** Validity options shared by every certificate-making function. */
export interface ValidityOptions {
  /** Start of validity; default: now − 5 minutes (tolerates small clock skew). */
  notBefore?: Date;
  /** End of validity; default: notBefore + validityDays. */
  notAfter?: Date;
  /** Lifetime in days when notAfter is not given (default 365; 3650 for a CA). */
  validityDays?: number;
}

const DAY_MS = 86_400_000;
const BACKDATE_MS = 5 * 60_000;

function validity(o: ValidityOptions, defaultDays: number): { notBefore: Date; notAfter: Date } {
  const notBefore = o.notBefore ?? new Date(Date.now() - BACKDATE_MS);
  const days = o.validityDays ?? defaultDays;
  const notAfter = o.notAfter ?? new Date(notBefore.getTime() + days * DAY_MS);
  if (!(notAfter.getTime() > notBefore.getTime())) {
    throw new ReloadError(
      'BAD_VALIDITY',
      `notAfter ${notAfter.toISOString()} is not after notBefore`,
    );
  }
  return { notBefore, notAfter };
}

/** A random positive 128-bit serial number as hex (RFC 5280 §4.1.2.2: ≤ 20 octets). */
function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = ((b[0] ?? 0) & 0x7f) | 0x40; // positive, no leading zero octet
  return b.toString('hex');
}

function bytes(ab: ArrayBuffer): Uint8Array {
  return new Uint8Array(ab);
}

const OVERLAY_RE =
  /^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*$/;

/** Throws ReloadError('BAD_OVERLAY_NAME') unless `overlay` is a DNS name (§6.3.2). */
export function checkOverlayName(overlay: string): void {
  if (overlay.length === 0 || overlay.length > 253 || !OVERLAY_RE.test(overlay)) {
    throw new ReloadError(
      'BAD_OVERLAY_NAME',
      `overlay name ${JSON.stringify(overlay)} is not a DNS name`,
    );
  }
}

/**
 * The rfc822Name user name for a certificate (§11.3): `username` itself when it already has
 * the form `local@domain`, otherwise `username@overlay` (see
 * docs/decisions/0202-username-rfc822name.md). Only printable ASCII without spaces is
 * allowed (an rfc822Name is an IA5String; §11.3 asks to refuse embedded NULs and the like).
 * Throws ReloadError('BAD_USERNAME').
 */
export function userNameFor(username: string, overlay: string): string {
  const name = username.includes('@') ? username : `${username}@${overlay}`;
  const at = name.indexOf('@');
  const ok =
    /^[\x21-\x7e]+$/.test(name) &&
    at > 0 &&
    at === name.lastIndexOf('@') &&
    at < name.length - 1 &&
    name.length <= 255 &&
    !/[<>()[\]\\,;:"]/.test(name);
  if (!ok) {
    throw new ReloadError(
      'BAD_USERNAME',
      `user name ${JSON.stringify(username)} is not acceptable`,
    );
  }
  return name;
}

// ---------------------------------------------------------------------------------------
// CA

/** Options of {@link createCa}. */
export interface CreateCaOptions extends ValidityOptions {
  /** Distinguished name, e.g. `"C=US, O=Example, CN=overlay.example.org"`. */
  subject: string;
  /** Key to generate when `keyPair` is not given (default `rsa2048`). */
  keyAlgorithm?: KeyAlgorithm;
  /** Use this key pair instead of generating one. */
  keyPair?: KeyPair;
  /** BasicConstraints pathLenConstraint (default: none). */
  pathLength?: number;
}

/**
 * Creates a self-signed overlay CA certificate (BasicConstraints CA:TRUE critical, KeyUsage
 * keyCertSign | cRLSign | digitalSignature critical, SubjectKeyIdentifier), signed with
 * RSASSA-PKCS1-v1_5/SHA-256 or ECDSA P-256/SHA-256 by the key type. Default validity 10 years.
 * Throws ReloadError('UNSUPPORTED_ALGORITHM' | 'BAD_VALIDITY' | 'BAD_NAME').
 */
export async function createCa(opts: CreateCaOptions): Promise<Credentials> {
  const keys = opts.keyPair ?? (await generateKeyPairAsync(opts.keyAlgorithm ?? 'rsa2048'));
  const alg = keyAlgorithmOf(keys.privateKey);
  const { notBefore, notAfter } = validity(opts, 3650);
  const pub = await toCryptoPublicKey(keys.publicKey);
  const name = parseName(opts.subject);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: name,
    issuer: name,
    notBefore,
    notAfter,
    publicKey: pub,
    signingKey: await toCryptoPrivateKey(keys.privateKey),
    signingAlgorithm: webCryptoSigningAlgorithm(alg),
    extensions: [
      new x509.BasicConstraintsExtension(true, opts.pathLength, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign |
          x509.KeyUsageFlags.cRLSign |
          x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(pub),
    ],
  });
  return { certificate: bytes(cert.rawData), privateKey: keys.privateKey };
}

function parseName(dn: string): x509.Name {
  try {
    return new x509.Name(dn);
  } catch (cause) {
    throw new ReloadError('BAD_NAME', `cannot parse distinguished name ${JSON.stringify(dn)}`, {
      cause,
    });
  }
}

// ---------------------------------------------------------------------------------------
// CSR

/** Options of {@link createCsr}. */
export interface CreateCsrOptions {
  privateKey: KeyObject;
  /** Defaults to the public half of `privateKey`. */
  publicKey?: KeyObject;
  /** Subject DN; default empty (the CA decides the names, §11.3). */
  subject?: string;
  /** Requested user names, carried as rfc822Name in an extensionRequest subjectAltName. */
  usernames?: string[];
}

/**
 * Creates a DER PKCS#10 certificate signing request for a peer (§11.3), self-signed with
 * SHA-256 by the key type. Throws ReloadError('UNSUPPORTED_ALGORITHM' | 'BAD_NAME').
 */
export async function createCsr(opts: CreateCsrOptions): Promise<Uint8Array> {
  const alg = keyAlgorithmOf(opts.privateKey);
  const extensions: x509.Extension[] = [];
  if (opts.usernames && opts.usernames.length > 0) {
    extensions.push(
      new x509.SubjectAlternativeNameExtension(
        opts.usernames.map((value) => ({ type: 'email' as const, value })),
      ),
    );
  }
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: parseName(opts.subject ?? ''),
    keys: {
      privateKey: await toCryptoPrivateKey(opts.privateKey),
      publicKey: await toCryptoPublicKey(opts.publicKey ?? publicKeyOf(opts.privateKey)),
    },
    signingAlgorithm: webCryptoSigningAlgorithm(alg),
    extensions,
  });
  return bytes(csr.rawData);
}

/** What {@link parseCsr} reports about a verified CSR. */
export interface CsrInfo {
  /** The requested public key (RSA or EC P-256). */
  publicKey: KeyObject;
  keyAlgorithm: KeyAlgorithm;
  /** Subject DN as text ("" when empty). */
  subject: string;
  /** rfc822Names from an extensionRequest subjectAltName, if any (the requested user names). */
  usernames: string[];
  /** The DER bytes of the CSR. */
  der: Uint8Array;
}

function badCsr(why: string, cause?: unknown): ReloadError {
  return new ReloadError('BAD_CSR', `bad CSR: ${why}`, cause === undefined ? {} : { cause });
}

/**
 * Parses a PKCS#10 CSR (DER bytes, or PEM text/bytes) and verifies its self-signature.
 * Accepts RSA keys of at least 2048 bits and EC P-256 keys. Throws ReloadError('BAD_CSR',
 * reason) for malformed input, a signature that does not match the key, or an unsupported
 * key — the enrollment server answers 403 `bad_CSR` for these (§11.3).
 */
export async function parseCsr(derOrPem: Uint8Array | string): Promise<CsrInfo> {
  let der: Uint8Array;
  let csr: x509.Pkcs10CertificateRequest;
  try {
    der = derOf(derOrPem);
    csr = new x509.Pkcs10CertificateRequest(der);
  } catch (cause) {
    throw badCsr(`not a PKCS#10 request (${(cause as Error).message})`, cause);
  }
  let publicKey: KeyObject;
  let keyAlgorithm: KeyAlgorithm;
  try {
    publicKey = createPublicKey({
      key: Buffer.from(csr.publicKey.rawData),
      format: 'der',
      type: 'spki',
    });
    keyAlgorithm = keyAlgorithmOf(publicKey);
  } catch (cause) {
    throw badCsr(`unsupported public key (${(cause as Error).message})`, cause);
  }
  const bits = publicKey.asymmetricKeyDetails?.modulusLength;
  if (keyAlgorithm === 'rsa2048' && (bits === undefined || bits < 2048)) {
    throw badCsr(`RSA key of ${String(bits)} bits (at least 2048 required)`);
  }
  let ok: boolean;
  try {
    ok = await csr.verify();
  } catch (cause) {
    throw badCsr(`signature cannot be checked (${(cause as Error).message})`, cause);
  }
  if (!ok) throw badCsr('its signature does not match its public key');
  const usernames: string[] = [];
  try {
    const san = csr.getExtension(OID_SAN);
    if (san) {
      for (const n of new x509.SubjectAlternativeNameExtension(san.rawData).names.items) {
        if (n.type === 'email') usernames.push(n.value);
      }
    }
  } catch (cause) {
    throw badCsr(`unreadable subjectAltName request (${(cause as Error).message})`, cause);
  }
  return { publicKey, keyAlgorithm, subject: csr.subject, usernames, der };
}

// ---------------------------------------------------------------------------------------
// Issuance

/** Options common to {@link issueCertificate} and {@link issueCertificateForKey}. */
export interface IssueOptions extends ValidityOptions {
  /** The overlay CA (its certificate and private key; `chain` is not used here). */
  ca: Credentials;
  /** Node-IDs to certify, each becoming one `reload://` URI (§11.3). At least one. */
  nodeIds: Uint8Array[];
  /** Overlay name (a DNS name). */
  overlay: string;
  /** User name; becomes the single rfc822Name (see {@link userNameFor}). */
  username: string;
}

/**
 * Issues a peer certificate for the public key of a verified CSR (DER or PEM) — see
 * {@link issueCertificateForKey} for the contents. Throws ReloadError('BAD_CSR') when the
 * CSR is bad, plus the errors of issueCertificateForKey.
 */
export async function issueCertificate(
  opts: IssueOptions & { csr: Uint8Array | string },
): Promise<Uint8Array> {
  const csr = await parseCsr(opts.csr);
  return issueCertificateForKey({ ...opts, publicKey: csr.publicKey });
}

/**
 * Issues a DER peer certificate per §11.3: empty subject DN; critical subjectAltName holding
 * one `reload://01<len><node-id>@<overlay>/` URI per Node-ID and one rfc822Name (the user
 * name); BasicConstraints CA:FALSE; KeyUsage digitalSignature (+ keyEncipherment for RSA);
 * ExtendedKeyUsage serverAuth + clientAuth (peers are TLS clients and servers);
 * Subject/Authority key identifiers; random 128-bit serial; signed by the CA key with
 * SHA-256 (RSA PKCS#1 v1.5 or ECDSA by the CA key type). Default validity 365 days.
 * Throws ReloadError('BAD_USERNAME' | 'BAD_OVERLAY_NAME' | 'BAD_NODE_ID' |
 * 'UNSUPPORTED_ALGORITHM' | 'BAD_VALIDITY' | 'CERT_MALFORMED').
 */
export async function issueCertificateForKey(
  opts: IssueOptions & { publicKey: KeyObject },
): Promise<Uint8Array> {
  checkOverlayName(opts.overlay);
  const user = userNameFor(opts.username, opts.overlay);
  if (opts.nodeIds.length === 0)
    throw new ReloadError('BAD_NODE_ID', 'at least one Node-ID is required');
  const subjectKey = publicKeyOf(opts.publicKey);
  const subjectAlg = keyAlgorithmOf(subjectKey);
  const caAlg = keyAlgorithmOf(opts.ca.privateKey);
  const caInfo = certificateInfo(opts.ca.certificate);
  const { notBefore, notAfter } = validity(opts, 365);
  const pub = await toCryptoPublicKey(subjectKey);
  const names = [
    ...opts.nodeIds.map((id) => ({ type: 'url' as const, value: nodeIdUri(id, opts.overlay) })),
    { type: 'email' as const, value: user },
  ];
  const usage =
    subjectAlg === 'rsa2048'
      ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment
      : x509.KeyUsageFlags.digitalSignature;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(usage, true),
    new x509.ExtendedKeyUsageExtension([
      x509.ExtendedKeyUsage.serverAuth,
      x509.ExtendedKeyUsage.clientAuth,
    ]),
    // RFC 5280 §4.2.1.6: with an empty subject the subjectAltName MUST be critical.
    new x509.SubjectAlternativeNameExtension(names, true),
    await x509.SubjectKeyIdentifierExtension.create(pub),
  ];
  if (caInfo.subjectKeyId)
    extensions.push(new x509.AuthorityKeyIdentifierExtension(caInfo.subjectKeyId));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: new x509.Name([]),
    issuer: new x509.Name(caInfo.subjectDer),
    notBefore,
    notAfter,
    publicKey: pub,
    signingKey: await toCryptoPrivateKey(opts.ca.privateKey),
    signingAlgorithm: webCryptoSigningAlgorithm(caAlg),
    extensions,
  });
  return bytes(cert.rawData);
}

/** Options of {@link createSelfSigned}. */
export interface SelfSignedOptions extends ValidityOptions {
  overlay: string;
  /** Any user name of the user's choice (§11.3.1); formed as in {@link userNameFor}. */
  username: string;
  keyPair?: KeyPair;
  keyAlgorithm?: KeyAlgorithm;
  /** Number of Node-IDs (default 1). */
  nodeIdCount?: number;
  /** Overlay node-id-length in bytes (default 16). */
  nodeIdLength?: number;
  /** Digest named by the configuration's self-signed-permitted element (default sha1). */
  digest?: SelfSignedDigest;
}

/**
 * Self-generated credentials (§11.3.1): a self-signed certificate whose Node-IDs are derived
 * from the SubjectPublicKeyInfo ({@link selfSignedNodeIds}), with the same subjectAltName
 * layout as issued certificates. Subject and issuer are `CN=<user name>` (an empty issuer is
 * not allowed by RFC 5280). Returns the credentials and the Node-IDs.
 */
export async function createSelfSigned(
  opts: SelfSignedOptions,
): Promise<Credentials & { nodeIds: Uint8Array[] }> {
  checkOverlayName(opts.overlay);
  const user = userNameFor(opts.username, opts.overlay);
  const keys = opts.keyPair ?? (await generateKeyPairAsync(opts.keyAlgorithm ?? 'rsa2048'));
  const alg = keyAlgorithmOf(keys.privateKey);
  const nodeIds = selfSignedNodeIds(
    spkiOf(keys.publicKey),
    opts.nodeIdCount ?? 1,
    opts.nodeIdLength ?? DEFAULT_NODE_ID_LENGTH,
    opts.digest ?? 'sha1',
  );
  const { notBefore, notAfter } = validity(opts, 365);
  const pub = await toCryptoPublicKey(keys.publicKey);
  const name = new x509.Name([{ CN: [user] }]);
  const usage =
    alg === 'rsa2048'
      ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment
      : x509.KeyUsageFlags.digitalSignature;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: name,
    issuer: name,
    notBefore,
    notAfter,
    publicKey: pub,
    signingKey: await toCryptoPrivateKey(keys.privateKey),
    signingAlgorithm: webCryptoSigningAlgorithm(alg),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(usage, true),
      new x509.ExtendedKeyUsageExtension([
        x509.ExtendedKeyUsage.serverAuth,
        x509.ExtendedKeyUsage.clientAuth,
      ]),
      new x509.SubjectAlternativeNameExtension(
        [
          ...nodeIds.map((id) => ({ type: 'url' as const, value: nodeIdUri(id, opts.overlay) })),
          { type: 'email' as const, value: user },
        ],
        false,
      ),
      await x509.SubjectKeyIdentifierExtension.create(pub),
    ],
  });
  return { certificate: bytes(cert.rawData), privateKey: keys.privateKey, nodeIds };
}

// ---------------------------------------------------------------------------------------
// Parsing

/** Everything RELOAD needs to know about a certificate, parsed once (see {@link certificateInfo}). */
export interface CertificateInfo {
  /** The DER bytes. */
  der: Uint8Array;
  /** Node-IDs from the `reload://` subjectAltName URIs, in certificate order (§11.3). */
  nodeIds: Uint8Array[];
  /** Overlay name of the first `reload://` URI, if any. */
  overlay?: string;
  /** Overlay names of all `reload://` URIs (normally all equal). */
  overlays: string[];
  /** rfc822Name subjectAltNames (the user name, §11.3). */
  usernames: string[];
  /** Subject and issuer DNs as text (RFC 4514-like, as printed by @peculiar/x509). */
  subject: string;
  issuer: string;
  /** DER of the subject Name (for issuer matching). */
  subjectDer: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** Serial number, lower-case hex. */
  serialNumber: string;
  /** The subject public key. */
  publicKey: KeyObject;
  /** Its algorithm, or undefined when it is neither RSA nor EC P-256. */
  keyAlgorithm: KeyAlgorithm | undefined;
  /** DER SubjectPublicKeyInfo (input of the §11.3.1 self-signed Node-ID derivation). */
  spki: Uint8Array;
  /** BasicConstraints cA. */
  isCa: boolean;
  /** BasicConstraints pathLenConstraint, when present. */
  pathLength?: number;
  /** Subject equals issuer (candidate self-signed certificate). */
  selfIssued: boolean;
  /** SubjectKeyIdentifier, lower-case hex, when present. */
  subjectKeyId?: string;
  /** SHA-256 of the DER (the §6.3.4 cert_hash value). */
  sha256: Uint8Array;
  /** Node's X509Certificate for the same bytes (chain checks use it). */
  x509: NodeX509;
}

const OID_SAN = '2.5.29.17';
const OID_BASIC_CONSTRAINTS = '2.5.29.19';
const OID_SKI = '2.5.29.14';

const CACHE_MAX = 2048;
const cache = new Map<string, CertificateInfo>();
const byObject = new WeakMap<Uint8Array, CertificateInfo>();
const FAILURES_MAX = 256;
const failures = new Map<string, ReloadError>();

function malformed(why: string, cause?: unknown): ReloadError {
  return new ReloadError(
    'CERT_MALFORMED',
    `malformed certificate: ${why}`,
    cause === undefined ? {} : { cause },
  );
}

/**
 * Parses a DER (or PEM) X.509 certificate into {@link CertificateInfo}. Results are cached by
 * SHA-256 of the DER (bounded LRU) and by the identity of the `Uint8Array` passed in, so
 * calling this on every message is cheap — treat certificate bytes as immutable.
 * Throws ReloadError('CERT_MALFORMED', reason) for bytes that are not a certificate, for a
 * `reload:` URI that is not a single node_id destination, or for unsupported SAN forms.
 */
export function certificateInfo(derOrPem: Uint8Array | string): CertificateInfo {
  if (typeof derOrPem !== 'string') {
    const seen = byObject.get(derOrPem);
    if (seen) return seen;
  }
  let der: Uint8Array;
  try {
    der = derOf(derOrPem, 'CERTIFICATE');
  } catch (cause) {
    throw malformed((cause as Error).message, cause);
  }
  const sha256 = hash('sha256', der, 'buffer');
  const key = sha256.toString('base64');
  let info = cache.get(key);
  if (info) {
    cache.delete(key);
    cache.set(key, info);
  } else {
    // Bytes that failed once fail again without being re-parsed (a peer sending the same
    // garbage in every SecurityBlock costs one hash per message, not one parse).
    const failed = failures.get(key);
    if (failed) throw failed;
    try {
      info = parseCertificate(new Uint8Array(der), new Uint8Array(sha256));
    } catch (e) {
      const error = e instanceof ReloadError ? e : malformed(String(e), e);
      failures.set(key, error);
      if (failures.size > FAILURES_MAX) {
        const oldest = failures.keys().next().value;
        if (oldest !== undefined) failures.delete(oldest);
      }
      throw error;
    }
    cache.set(key, info);
    if (cache.size > CACHE_MAX) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
  }
  if (typeof derOrPem !== 'string') byObject.set(derOrPem, info);
  return info;
}

/**
 * The cached {@link CertificateInfo} for this very `Uint8Array` object, if
 * {@link certificateInfo} has already parsed it; never parses or hashes.
 */
export function peekCertificateInfo(der: Uint8Array): CertificateInfo | undefined {
  return byObject.get(der);
}

function parseCertificate(der: Uint8Array, sha256: Uint8Array): CertificateInfo {
  let cert: x509.X509Certificate;
  let nodeCert: NodeX509;
  try {
    cert = new x509.X509Certificate(der);
    nodeCert = new NodeX509(der);
  } catch (cause) {
    throw malformed((cause as Error).message, cause);
  }
  const nodeIds: Uint8Array[] = [];
  const overlays: string[] = [];
  const usernames: string[] = [];
  let isCa = false;
  let pathLength: number | undefined;
  let subjectKeyId: string | undefined;
  let publicKey: KeyObject;
  let spki: Uint8Array;
  let subject: string;
  let issuer: string;
  let subjectDer: Uint8Array;
  let notBefore: Date;
  let notAfter: Date;
  let serialNumber: string;
  try {
    for (const ext of cert.extensions) {
      if (ext.type === OID_SAN) {
        const san = new x509.SubjectAlternativeNameExtension(ext.rawData);
        for (const n of san.names.items) {
          if (n.type === 'url' && /^reload:/i.test(n.value)) {
            const { nodeId, overlay } = nodeIdFromUri(n.value);
            nodeIds.push(nodeId);
            overlays.push(overlay);
          } else if (n.type === 'email') {
            usernames.push(n.value);
          }
        }
      } else if (ext.type === OID_BASIC_CONSTRAINTS) {
        const bc = new x509.BasicConstraintsExtension(ext.rawData);
        isCa = bc.ca;
        pathLength = bc.pathLength;
      } else if (ext.type === OID_SKI) {
        subjectKeyId = new x509.SubjectKeyIdentifierExtension(ext.rawData).keyId.toLowerCase();
      }
    }
    spki = bytes(cert.publicKey.rawData);
    publicKey = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    subject = cert.subject;
    issuer = cert.issuer;
    subjectDer = bytes(cert.subjectName.toArrayBuffer());
    notBefore = cert.notBefore;
    notAfter = cert.notAfter;
    serialNumber = cert.serialNumber.toLowerCase();
  } catch (cause) {
    throw malformed((cause as Error).message, cause);
  }
  let keyAlgorithm: KeyAlgorithm | undefined;
  try {
    keyAlgorithm = keyAlgorithmOf(publicKey);
  } catch {
    keyAlgorithm = undefined;
  }
  const info: CertificateInfo = {
    der,
    nodeIds,
    overlays,
    usernames,
    subject,
    issuer,
    subjectDer,
    notBefore,
    notAfter,
    serialNumber,
    publicKey,
    keyAlgorithm,
    spki,
    isCa,
    selfIssued: Buffer.from(bytes(cert.issuerName.toArrayBuffer())).equals(Buffer.from(subjectDer)),
    sha256,
    x509: nodeCert,
  };
  if (overlays[0] !== undefined) info.overlay = overlays[0];
  if (pathLength !== undefined) info.pathLength = pathLength;
  if (subjectKeyId !== undefined) info.subjectKeyId = subjectKeyId;
  return info;
}

/**
 * The §11.3.1 Node-ID of a self-signed certificate with one Node-ID: digest of its DER
 * SubjectPublicKeyInfo, high-order `length` bytes. Throws ReloadError('CERT_MALFORMED').
 */
export function nodeIdFromSelfSigned(
  der: Uint8Array | string,
  length = DEFAULT_NODE_ID_LENGTH,
  digest: SelfSignedDigest = 'sha1',
): Uint8Array {
  return selfSignedNodeIds(certificateInfo(der).spki, 1, length, digest)[0];
}

/** PEM material for `node:tls` options (see {@link tlsCredentials}). */
export interface TlsPem {
  /** The certificate followed by its chain, PEM. */
  cert: string;
  /** The private key, PKCS#8 PEM. */
  key: string;
  /** Trust anchors (e.g. the configuration's root-certs), one PEM each. */
  ca: string[];
}

/**
 * Converts credentials (and optional root certificates) into the PEM strings `node:tls`
 * takes as `cert`, `key` and `ca`.
 */
export function tlsCredentials(creds: Credentials, rootCerts: readonly Uint8Array[] = []): TlsPem {
  return {
    cert: [creds.certificate, ...(creds.chain ?? [])].map((c) => toPem(c)).join(''),
    key: creds.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    ca: rootCerts.map((c) => toPem(c)),
  };
}
