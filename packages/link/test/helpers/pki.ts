/**
 * Test PKI for the link tests, made with @reload/security: the overlay CA and another CA,
 * node certificates carrying `reload://` URIs (§11.3), an expired one, a self-signed one
 * (§11.3.1), one on the bad-node list. Generated once per test process (EC P-256: fast) and
 * also written as PEM files for `openssl s_client`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Credentials } from '@reload/security';
import {
  createCa,
  createSelfSigned,
  createTrustStore,
  generateKeyPair,
  issueCertificateForKey,
  privateKeyToPem,
  randomNodeId,
  toPem,
} from '@reload/security';
import type { PeerVerifier } from '../../src/index.js';
import { trustStoreVerifier } from '../../src/index.js';

export const OVERLAY = 'overlay.example.org';

/** One identity: PEM contents and files. */
export interface TestIdentity {
  nodeId: Uint8Array;
  der: Uint8Array;
  certPem: string;
  keyPem: string;
  certFile: string;
  keyFile: string;
}

export interface TestPki {
  dir: string;
  caDer: Uint8Array;
  caPem: string;
  caFile: string;
  otherCaPem: string;
  otherCaFile: string;
  nodes: TestIdentity[];
  /** Issued by the other CA. */
  foreign: TestIdentity;
  /** Issued by the overlay CA, expired in 2021. */
  expired: TestIdentity;
  /** Self-signed, Node-ID derived from the key (§11.3.1). */
  selfSigned: TestIdentity;
  /** Issued by the overlay CA, Node-ID on the bad-node list. */
  bad: TestIdentity;
}

/** Fails (does not skip) with the tool's name when a command-line tool is missing. */
export function requireTool(tool: string, args: string[] = ['version']): void {
  try {
    execFileSync(tool, args, { stdio: 'ignore' });
  } catch {
    throw new Error(
      `required tool "${tool}" is missing or broken (install it: apt-get install ${tool})`,
    );
  }
}

let cached: Promise<TestPki> | undefined;

async function build(): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), 'reload-link-pki-'));
  const ca = await createCa({ subject: `CN=${OVERLAY} CA`, keyAlgorithm: 'ecdsa-p256' });
  const other = await createCa({ subject: 'CN=other CA', keyAlgorithm: 'ecdsa-p256' });
  const save = (
    name: string,
    der: Uint8Array,
    key: Credentials['privateKey'],
    nodeId: Uint8Array,
  ) => {
    const certPem = toPem(der);
    const keyPem = privateKeyToPem(key);
    const certFile = join(dir, `${name}.pem`);
    const keyFile = join(dir, `${name}.key`);
    writeFileSync(certFile, certPem);
    writeFileSync(keyFile, keyPem);
    return { nodeId, der, certPem, keyPem, certFile, keyFile };
  };
  const issue = async (
    name: string,
    issuer: Credentials,
    validity: { notBefore?: Date; notAfter?: Date } = {},
  ): Promise<TestIdentity> => {
    const keys = generateKeyPair('ecdsa-p256');
    const nodeId = randomNodeId();
    const der = await issueCertificateForKey({
      ca: issuer,
      nodeIds: [nodeId],
      overlay: OVERLAY,
      username: name,
      publicKey: keys.publicKey,
      ...validity,
    });
    return save(name, der, keys.privateKey, nodeId);
  };
  const self = await createSelfSigned({
    overlay: OVERLAY,
    username: 'self',
    keyAlgorithm: 'ecdsa-p256',
  });
  const caPem = toPem(ca.certificate);
  const otherCaPem = toPem(other.certificate);
  writeFileSync(join(dir, 'ca.pem'), caPem);
  writeFileSync(join(dir, 'otherca.pem'), otherCaPem);
  return {
    dir,
    caDer: ca.certificate,
    caPem,
    caFile: join(dir, 'ca.pem'),
    otherCaPem,
    otherCaFile: join(dir, 'otherca.pem'),
    nodes: await Promise.all(['node1', 'node2', 'node3'].map((n) => issue(n, ca))),
    foreign: await issue('foreign', other),
    expired: await issue('expired', ca, {
      notBefore: new Date('2020-01-01T00:00:00Z'),
      notAfter: new Date('2021-01-01T00:00:00Z'),
    }),
    selfSigned: save('selfsigned', self.certificate, self.privateKey, self.nodeIds[0]),
    bad: await issue('badnode', ca),
  };
}

/** Builds (once per process) and returns the test PKI. */
export function testPki(): Promise<TestPki> {
  cached ??= build();
  return cached;
}

/** The overlay's verifier: a security TrustStore with the `bad` node on the bad-node list. */
export function testVerifier(
  pki: TestPki,
  options: { selfSignedPermitted?: boolean } = {},
): PeerVerifier {
  return trustStoreVerifier(
    createTrustStore({
      rootCerts: [pki.caDer],
      badNodes: [pki.bad.nodeId],
      overlay: OVERLAY,
      selfSignedPermitted: options.selfSignedPermitted ?? false,
    }),
  );
}
