import type { webcrypto } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  createCa,
  createSelfSigned,
  createTrustStore,
  generateKeyPair,
  issueCertificateForKey,
  nodeIdToHex,
  randomNodeId,
  signSecurityBlock,
  toPem,
  verifySecurityBlock,
  type Credentials,
  type KeyPair,
  certificateInfo,
  toCryptoPrivateKey,
  toCryptoPublicKey,
} from '@reload/security';
import { x509 } from '../src/provider.js';
import { expectCode, openssl, opensslStatus, requireOpenssl, tmp, write } from './helpers.js';

const OVERLAY = 'overlay.example.org';
const DAY = 86_400_000;
let ca: Credentials;
let otherCa: Credentials;
let keys: KeyPair;
let nodeId: Uint8Array;
let leaf: Uint8Array;
const T0 = Date.parse('2031-06-01T00:00:00Z');

beforeAll(async () => {
  requireOpenssl();
  keys = generateKeyPair('ecdsa-p256');
  [ca, otherCa] = await Promise.all([
    createCa({
      subject: 'C=US, O=Example, CN=root',
      keyAlgorithm: 'ecdsa-p256',
      notBefore: new Date(T0 - 100 * DAY),
      validityDays: 3650,
    }),
    createCa({
      subject: 'C=US, O=Example, CN=root',
      keyAlgorithm: 'ecdsa-p256',
      notBefore: new Date(T0 - 100 * DAY),
    }),
  ]);
  nodeId = randomNodeId();
  leaf = await issueCertificateForKey({
    ca,
    publicKey: keys.publicKey,
    nodeIds: [nodeId],
    overlay: OVERLAY,
    username: 'alice',
    notBefore: new Date(T0 - DAY),
    notAfter: new Date(T0 + 30 * DAY),
  });
});

function store(extra: Partial<Parameters<typeof createTrustStore>[0]> = {}, at = T0) {
  return createTrustStore({ rootCerts: [ca.certificate], now: () => at, ...extra });
}

describe('TrustStore.checkCertificate', () => {
  it('accepts a certificate issued by a root-cert and returns its info', () => {
    const info = store({ overlay: OVERLAY }).checkCertificate(leaf, {
      expectedNodeId: nodeId,
      requireNodeId: true,
    });
    expect(info.nodeIds).toEqual([nodeId]);
    expect(store().checkCertificate(toPem(leaf)).der).toEqual(leaf);
  });

  it('CERT_EXPIRED and CERT_NOT_YET_VALID by the injected clock', () => {
    expectCode(
      () => store({}, T0 + 31 * DAY).checkCertificate(leaf),
      'CERT_EXPIRED',
      /expired at 2031-07-01/,
    );
    expectCode(
      () => store({}, T0 - 2 * DAY).checkCertificate(leaf),
      'CERT_NOT_YET_VALID',
      /not valid before/,
    );
  });

  it('CERT_UNTRUSTED for a certificate of another CA (same subject name, other key)', () => {
    expectCode(
      () =>
        createTrustStore({ rootCerts: [otherCa.certificate], now: () => T0 }).checkCertificate(
          leaf,
        ),
      'CERT_UNTRUSTED',
      /chain to no root-cert/,
    );
    expectCode(
      () => createTrustStore({ rootCerts: [], now: () => T0 }).checkCertificate(leaf),
      'CERT_UNTRUSTED',
    );
    // and openssl agrees
    const dir = tmp();
    write(dir, 'other.pem', toPem(otherCa.certificate));
    write(dir, 'leaf.pem', toPem(leaf));
    expect(
      opensslStatus(
        ['verify', '-attime', String(T0 / 1000), '-CAfile', 'other.pem', 'leaf.pem'],
        dir,
      ).status,
    ).not.toBe(0);
    write(dir, 'ca.pem', toPem(ca.certificate));
    expect(
      openssl(['verify', '-attime', String(T0 / 1000), '-CAfile', 'ca.pem', 'leaf.pem'], dir),
    ).toMatch(/OK/);
  });

  it('NODE_ID_MISMATCH when the claimed Node-ID is not in the certificate', () => {
    const other = randomNodeId();
    expectCode(
      () => store().checkCertificate(leaf, { expectedNodeId: other }),
      'NODE_ID_MISMATCH',
      new RegExp(nodeIdToHex(other)),
    );
  });

  it('BAD_NODE for a Node-ID on the bad-node list (hex or bytes)', () => {
    expectCode(
      () => store({ badNodes: [` ${nodeIdToHex(nodeId).toUpperCase()} `] }).checkCertificate(leaf),
      'BAD_NODE',
      /bad-node list/,
    );
    expectCode(() => store({ badNodes: [nodeId] }).checkCertificate(leaf), 'BAD_NODE');
    expect(store({ badNodes: [nodeId] }).isBadNode(nodeId)).toBe(true);
    expect(store({ badNodes: [randomNodeId()] }).checkCertificate(leaf).der).toEqual(leaf);
  });

  it('OVERLAY_MISMATCH and node-id-length checks', () => {
    expectCode(
      () => store({ overlay: 'other.example.org' }).checkCertificate(leaf),
      'OVERLAY_MISMATCH',
    );
    expectCode(
      () => store({ nodeIdLength: 20 }).checkCertificate(leaf),
      'CERT_MALFORMED',
      /16 bytes/,
    );
  });

  it('CERT_MALFORMED for garbage', () => {
    expectCode(() => store().checkCertificate(new Uint8Array([0x30, 0x00])), 'CERT_MALFORMED');
  });

  it('follows intermediates, checks BasicConstraints and the CA validity', async () => {
    const inter = await issueIntermediate(ca, true);
    const k = generateKeyPair('ecdsa-p256');
    const id = randomNodeId();
    const viaInter = await issueCertificateForKey({
      ca: inter,
      publicKey: k.publicKey,
      nodeIds: [id],
      overlay: OVERLAY,
      username: 'b',
      notBefore: new Date(T0 - DAY),
    });
    expect(
      store().checkCertificate(viaInter, { intermediates: [inter.certificate] }).nodeIds,
    ).toEqual([id]);
    expectCode(() => store().checkCertificate(viaInter), 'CERT_UNTRUSTED');
    // a leaf used as an issuer is refused (BasicConstraints CA:FALSE)
    const notCa = await issueIntermediate(ca, false);
    const viaLeaf = await issueCertificateForKey({
      ca: notCa,
      publicKey: k.publicKey,
      nodeIds: [id],
      overlay: OVERLAY,
      username: 'b',
      notBefore: new Date(T0 - DAY),
    });
    expectCode(
      () => store().checkCertificate(viaLeaf, { intermediates: [notCa.certificate] }),
      'CERT_UNTRUSTED',
      /not a CA/,
    );
    // the leaf is still valid at T0 + 200 days, but its intermediate expired at T0 + 100 days
    expectCode(
      () =>
        store({}, T0 + 200 * DAY).checkCertificate(viaInter, {
          intermediates: [inter.certificate],
        }),
      'CERT_EXPIRED',
      /CA certificate "CN=intermediate" expired/,
    );
  });
});

async function issueIntermediate(parent: Credentials, isCa: boolean): Promise<Credentials> {
  // An intermediate CA certificate built directly with @peculiar/x509 (the package only
  // issues end-entity certificates), signed by `parent`.
  const k = generateKeyPair('ecdsa-p256');
  const pub = await toCryptoPublicKey(k.publicKey);
  const cert = await x509.X509CertificateGenerator.create({
    subject: isCa ? 'CN=intermediate' : 'CN=not-a-ca',
    issuer: new x509.Name(certificateInfo(parent.certificate).subjectDer),
    notBefore: new Date(T0 - 10 * DAY),
    notAfter: new Date(T0 + 100 * DAY),
    publicKey: pub,
    signingKey: await toCryptoPrivateKey(parent.privateKey),
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams,
    extensions: [new x509.BasicConstraintsExtension(isCa, undefined, true)],
  });
  return { certificate: new Uint8Array(cert.rawData), privateKey: k.privateKey };
}

describe('self-signed mode (§11.3.1)', () => {
  it('SELF_SIGNED_NOT_PERMITTED unless the configuration permits it', async () => {
    const ss = await createSelfSigned({
      overlay: OVERLAY,
      username: 'eve',
      keyPair: keys,
      notBefore: new Date(T0 - DAY),
    });
    expectCode(() => store().checkCertificate(ss.certificate), 'SELF_SIGNED_NOT_PERMITTED');
    expect(
      store({ selfSignedPermitted: true }).checkCertificate(ss.certificate, {
        expectedNodeId: ss.nodeIds[0],
      }).nodeIds,
    ).toEqual(ss.nodeIds);
  });

  it('NODE_ID_MISMATCH when the Node-IDs are not the digest of the key (or the digest differs)', async () => {
    const ss256 = await createSelfSigned({
      overlay: OVERLAY,
      username: 'eve',
      keyPair: keys,
      digest: 'sha256',
      nodeIdCount: 2,
      notBefore: new Date(T0 - DAY),
    });
    expect(
      store({ selfSignedPermitted: true, selfSignedDigest: 'sha256' }).checkCertificate(
        ss256.certificate,
      ).nodeIds,
    ).toEqual(ss256.nodeIds);
    expectCode(
      () => store({ selfSignedPermitted: true }).checkCertificate(ss256.certificate),
      'NODE_ID_MISMATCH',
      /sha1 digest/,
    );
    // a self-signed certificate claiming an arbitrary Node-ID (Node-ID theft)
    const pub = await toCryptoPublicKey(keys.publicKey);
    const stolen = randomNodeId();
    const cert = await x509.X509CertificateGenerator.create({
      subject: 'CN=thief',
      issuer: 'CN=thief',
      notBefore: new Date(T0 - DAY),
      notAfter: new Date(T0 + DAY),
      publicKey: pub,
      signingKey: await toCryptoPrivateKey(keys.privateKey),
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' } as webcrypto.EcdsaParams,
      extensions: [
        new x509.SubjectAlternativeNameExtension([
          { type: 'url', value: `reload://0110${nodeIdToHex(stolen)}@${OVERLAY}/` },
        ]),
      ],
    });
    expectCode(
      () => store({ selfSignedPermitted: true }).checkCertificate(new Uint8Array(cert.rawData)),
      'NODE_ID_MISMATCH',
      /not the sha1 digest/,
    );
  });
});

describe('verifySecurityBlock with a TrustStore', () => {
  it('checks the signer certificate against the trust store', () => {
    const creds = { certificate: leaf, privateKey: keys.privateKey };
    const block = signSecurityBlock({
      overlay: 1,
      transactionId: 2n,
      messageContents: new Uint8Array([3]),
      credentials: creds,
    });
    const args = {
      overlay: 1,
      transactionId: 2n,
      messageContents: new Uint8Array([3]),
      securityBlock: block,
    };
    expect(verifySecurityBlock({ ...args, trust: store() }).nodeId).toEqual(nodeId);
    expectCode(
      () => verifySecurityBlock({ ...args, trust: store({}, T0 + 40 * DAY) }),
      'CERT_EXPIRED',
    );
    expectCode(
      () => verifySecurityBlock({ ...args, trust: store({ badNodes: [nodeId] }) }),
      'BAD_NODE',
    );
    expectCode(
      () =>
        verifySecurityBlock({
          ...args,
          trust: createTrustStore({ rootCerts: [otherCa.certificate], now: () => T0 }),
        }),
      'CERT_UNTRUSTED',
    );
  });
});
