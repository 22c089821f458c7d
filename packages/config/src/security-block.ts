/**
 * RFC 6940 §6.3.4 SecurityBlock creation and checking for §11.1 configuration and kind
 * signatures, on `node:crypto`. The signature input is the signed element's exact bytes
 * (docs/decisions/0256). RSASSA-PKCS1-v1_5 and ECDSA (DER signature value), SHA-256.
 */
import {
  createHash,
  type KeyObject,
  sign as cryptoSign,
  verify as cryptoVerify,
  X509Certificate,
} from 'node:crypto';
import {
  CertificateType,
  decodeExact,
  encodeToBytes,
  HashAlgorithm,
  ReloadError,
  type SecurityBlock,
  SecurityBlockCodec,
  SignatureAlgorithm,
  SignerIdentityType,
} from '@reload/wire';

/**
 * A signer: its DER certificate and private key (RSA or ECDSA P-256), plus any intermediate
 * certificates to put in the SecurityBlock's certificate bucket. Structurally compatible
 * with `Credentials` of @reload/security.
 */
export interface SigningCredentials {
  /** DER X.509 certificate of the signer (carries its Node-ID(s) in reload:// SAN URIs). */
  certificate: Uint8Array;
  /** The private key of `certificate`. */
  privateKey: KeyObject;
  /** Intermediate CA certificates (DER), signer's issuer first. */
  chain?: Uint8Array[];
}

/** The identity a valid SecurityBlock was made by. */
export interface SignerInfo {
  /** DER certificate the SignerIdentity designates. */
  certificate: Uint8Array;
  /** Node-IDs (lower-case hex) of that certificate's reload:// URIs. */
  nodeIds: string[];
  /** Node-ID bound by a cert_hash_node_id identity (lower-case hex), when used. */
  signingNodeId?: string;
  /** The other certificates of the bucket (possible intermediates). */
  bucket: Uint8Array[];
}

const HASH_NAMES = new Map<number, string>([
  [HashAlgorithm.sha1, 'sha1'],
  [HashAlgorithm.sha256, 'sha256'],
  [HashAlgorithm.sha384, 'sha384'],
  [HashAlgorithm.sha512, 'sha512'],
]);

function digest(hashAlg: number, ...parts: Uint8Array[]): Buffer | undefined {
  const name = HASH_NAMES.get(hashAlg);
  if (name === undefined) return undefined;
  const h = createHash(name);
  for (const p of parts) h.update(p);
  return h.digest();
}

function eq(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), b) === 0;
}

/** Node-IDs (lower-case hex) in the reload:// subjectAltName URIs of a certificate (§11.3). */
export function certificateNodeIds(cert: X509Certificate): string[] {
  const san = cert.subjectAltName ?? '';
  const out: string[] = [];
  for (const m of san.matchAll(/URI:reload:\/\/([0-9a-fA-F]+)@/g)) out.push(m[1].toLowerCase());
  return out;
}

function hexToBytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/**
 * Signs `input` (the exact element bytes) and returns the encoded SecurityBlock. With
 * `nodeId` (hex) the SignerIdentity is cert_hash_node_id for that Node-ID, else cert_hash
 * (§6.3.4); both with SHA-256.
 */
export function createSecurityBlock(
  input: Uint8Array,
  creds: SigningCredentials,
  nodeId?: string,
): Uint8Array {
  const type = creds.privateKey.asymmetricKeyType;
  if (type !== 'rsa' && type !== 'ec')
    throw new ReloadError('CONFIG_SIGNING', `unsupported signer key type ${String(type)}`);
  const identity =
    nodeId === undefined
      ? {
          identityType: SignerIdentityType.cert_hash,
          hashAlg: HashAlgorithm.sha256,
          certificateHash: createHash('sha256').update(creds.certificate).digest(),
        }
      : {
          identityType: SignerIdentityType.cert_hash_node_id,
          hashAlg: HashAlgorithm.sha256,
          certificateNodeIdHash: createHash('sha256')
            .update(hexToBytes(nodeId))
            .update(creds.certificate)
            .digest(),
        };
  const block: SecurityBlock = {
    certificates: [creds.certificate, ...(creds.chain ?? [])].map((certificate) => ({
      type: CertificateType.X509,
      certificate,
    })),
    signature: {
      algorithm: {
        hash: HashAlgorithm.sha256,
        signature: type === 'rsa' ? SignatureAlgorithm.rsa : SignatureAlgorithm.ecdsa,
      },
      identity,
      signatureValue: cryptoSign('sha256', input, creds.privateKey),
    },
  };
  return encodeToBytes(SecurityBlockCodec, block);
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
    throw new ReloadError(code, `not a RELOAD SecurityBlock: ${(e as Error).message}`, {
      cause: e,
    });
  }
  const sig = block.signature;
  const hashName = HASH_NAMES.get(sig.algorithm.hash);
  if (hashName === undefined)
    throw new ReloadError(code, `unsupported hash algorithm ${sig.algorithm.hash}`);
  const x509s = block.certificates.filter((c) => c.type === CertificateType.X509);
  let found: { der: Uint8Array; cert: X509Certificate; nodeId?: string } | undefined;
  for (const c of x509s) {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(c.certificate);
    } catch {
      continue;
    }
    const id = sig.identity;
    if ('certificateHash' in id) {
      const h = digest(id.hashAlg, c.certificate);
      if (h !== undefined && eq(id.certificateHash, h)) found = { der: c.certificate, cert };
    } else if ('certificateNodeIdHash' in id) {
      for (const n of certificateNodeIds(cert)) {
        const h = digest(id.hashAlg, hexToBytes(n), c.certificate);
        if (h !== undefined && eq(id.certificateNodeIdHash, h))
          found = { der: c.certificate, cert, nodeId: n };
      }
    }
    if (found !== undefined) break;
  }
  if (found === undefined)
    throw new ReloadError(code, 'no certificate in the SecurityBlock matches its SignerIdentity');
  const keyType = found.cert.publicKey.asymmetricKeyType;
  const want =
    sig.algorithm.signature === SignatureAlgorithm.rsa
      ? 'rsa'
      : sig.algorithm.signature === SignatureAlgorithm.ecdsa
        ? 'ec'
        : undefined;
  if (want === undefined || want !== keyType)
    throw new ReloadError(
      code,
      `signature algorithm ${sig.algorithm.signature} does not fit a ${String(keyType)} key`,
    );
  let ok = false;
  try {
    ok = cryptoVerify(hashName, input, found.cert.publicKey, sig.signatureValue);
  } catch {
    ok = false;
  }
  if (!ok) throw new ReloadError(code, 'the signature does not verify over the signed bytes');
  const info: SignerInfo = {
    certificate: new Uint8Array(found.der),
    nodeIds: certificateNodeIds(found.cert),
    bucket: x509s
      .filter((c) => c.certificate !== found?.der)
      .map((c) => new Uint8Array(c.certificate)),
  };
  if (found.nodeId !== undefined) info.signingNodeId = found.nodeId;
  return info;
}

/**
 * Checks that `der` chains to one of `anchors` (possibly through certificates of `bucket`)
 * and that every certificate on the way is valid at `now`. Returns a reason or undefined.
 */
export function chainProblem(
  der: Uint8Array,
  bucket: readonly Uint8Array[],
  anchors: readonly Uint8Array[],
  now: Date,
): string | undefined {
  let cert: X509Certificate;
  let roots: X509Certificate[];
  let pool: X509Certificate[];
  try {
    cert = new X509Certificate(der);
    roots = anchors.flatMap((a) => {
      try {
        return [new X509Certificate(a)];
      } catch {
        return [];
      }
    });
    pool = bucket.map((b) => new X509Certificate(b));
  } catch {
    return 'a certificate cannot be parsed';
  }
  const t = now.getTime();
  for (let depth = 0; depth < 6; depth++) {
    if (t < Date.parse(cert.validFrom)) return `certificate ${cert.subject} is not yet valid`;
    if (t > Date.parse(cert.validTo)) return `certificate ${cert.subject} has expired`;
    for (const r of roots) {
      if (r.raw.equals(cert.raw)) return undefined;
      if (cert.checkIssued(r) && cert.verify(r.publicKey)) {
        if (t < Date.parse(r.validFrom) || t > Date.parse(r.validTo))
          return `root certificate ${r.subject} is not valid now`;
        return undefined;
      }
    }
    const up = pool.find(
      (p) => !p.raw.equals(cert.raw) && cert.checkIssued(p) && cert.verify(p.publicKey),
    );
    if (up === undefined) return `certificate ${cert.subject} does not chain to a root-cert`;
    cert = up;
  }
  return 'certificate chain too long';
}
