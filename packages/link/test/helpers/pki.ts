/**
 * Test PKI for the link tests, made with the `openssl` command line (fails with a message
 * naming the tool when it is missing): two overlay CAs, node certificates carrying
 * `reload://` URIs (§11.3), an expired one, a self-signed one. Everything is generated once per
 * test process into a temporary directory (EC P-256 keys: fast).
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate, createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReloadError } from '@reload/wire';
import type { PeerVerifier } from '../../src/index.js';

export const OVERLAY = 'overlay.example.org';

/** One identity: PEM files and their contents. */
export interface TestIdentity {
  nodeId: Uint8Array;
  certPem: string;
  keyPem: string;
  certFile: string;
  keyFile: string;
  der: Uint8Array;
}

export interface TestPki {
  dir: string;
  caPem: string;
  caFile: string;
  otherCaPem: string;
  otherCaFile: string;
  nodes: TestIdentity[];
  /** Issued by the other CA. */
  foreign: TestIdentity;
  /** Issued by the overlay CA, expired in 2021. */
  expired: TestIdentity;
  /** Self-signed, Node-ID = SHA-1(SPKI) truncated (§11.3.1). */
  selfSigned: TestIdentity;
  /** Issued by the overlay CA, Node-ID on the bad-node list. */
  bad: TestIdentity;
}

export function requireTool(tool: string, args: string[] = ['version']): void {
  try {
    execFileSync(tool, args, { stdio: 'ignore' });
  } catch {
    throw new Error(
      `required tool "${tool}" is missing or broken (install it: apt-get install ${tool})`,
    );
  }
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function uriOf(nodeId: Uint8Array): string {
  return `reload://0110${Buffer.from(nodeId).toString('hex')}@${OVERLAY}/`;
}

let cached: TestPki | undefined;

/** Builds (once) and returns the test PKI. */
export function testPki(): TestPki {
  if (cached) return cached;
  requireTool('openssl');
  const dir = mkdtempSync(join(tmpdir(), 'reload-link-pki-'));
  const mkCa = (name: string): { pem: string; file: string } => {
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`], dir);
    openssl(
      [
        'req',
        '-x509',
        '-new',
        '-key',
        `${name}.key`,
        '-subj',
        `/CN=${name}`,
        '-days',
        '3650',
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
        '-out',
        `${name}.pem`,
      ],
      dir,
    );
    return { pem: readFileSync(join(dir, `${name}.pem`), 'utf8'), file: join(dir, `${name}.pem`) };
  };
  const ca = mkCa('ca');
  const other = mkCa('otherca');
  // Minimal `openssl ca` database so that arbitrary validity dates can be set.
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  const mkNode = (
    name: string,
    issuer: 'ca' | 'otherca' | 'self',
    dates?: { start: string; end: string },
  ): TestIdentity => {
    openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key0`], dir);
    openssl(['pkcs8', '-topk8', '-nocrypt', '-in', `${name}.key0`, '-out', `${name}.key`], dir);
    let nodeId: Uint8Array;
    if (issuer === 'self') {
      const spki = new X509Certificate(
        (openssl(
          [
            'req',
            '-x509',
            '-new',
            '-key',
            `${name}.key`,
            '-subj',
            `/CN=tmp`,
            '-days',
            '1',
            '-out',
            `${name}.tmp`,
          ],
          dir,
        ),
        readFileSync(join(dir, `${name}.tmp`))),
      ).publicKey.export({ type: 'spki', format: 'der' });
      nodeId = new Uint8Array(createHash('sha1').update(spki).digest().subarray(0, 16));
    } else {
      nodeId = new Uint8Array(randomBytes(16));
    }
    const ext = join(dir, `${name}.ext`);
    writeFileSync(
      ext,
      [
        '[ext]',
        `subjectAltName=URI:${uriOf(nodeId)}`,
        'basicConstraints=critical,CA:FALSE',
        'keyUsage=critical,digitalSignature,keyAgreement',
        'extendedKeyUsage=serverAuth,clientAuth',
        '',
      ].join('\n'),
    );
    if (issuer === 'self') {
      openssl(
        [
          'req',
          '-x509',
          '-new',
          '-key',
          `${name}.key`,
          '-subj',
          `/CN=${name}`,
          '-days',
          '3650',
          '-config',
          ext,
          '-extensions',
          'ext',
          '-out',
          `${name}.pem`,
        ],
        dir,
      );
    } else {
      openssl(
        ['req', '-new', '-key', `${name}.key`, '-subj', `/CN=${name}`, '-out', `${name}.csr`],
        dir,
      );
      const cfg = join(dir, `${name}.cnf`);
      writeFileSync(
        cfg,
        [
          '[ca]',
          'default_ca=d',
          '[d]',
          `dir=${dir}`,
          'database=$dir/index.txt',
          'serial=$dir/serial',
          'new_certs_dir=$dir',
          'default_md=sha256',
          'policy=p',
          'unique_subject=no',
          'copy_extensions=none',
          '[p]',
          'commonName=supplied',
          '[ext]',
          `subjectAltName=URI:${uriOf(nodeId)}`,
          'basicConstraints=critical,CA:FALSE',
          'keyUsage=critical,digitalSignature,keyAgreement',
          'extendedKeyUsage=serverAuth,clientAuth',
          '',
        ].join('\n'),
      );
      openssl(
        [
          'ca',
          '-batch',
          '-config',
          cfg,
          '-extensions',
          'ext',
          '-cert',
          `${issuer}.pem`,
          '-keyfile',
          `${issuer}.key`,
          '-in',
          `${name}.csr`,
          '-out',
          `${name}.pem`,
          '-notext',
          ...(dates ? ['-startdate', dates.start, '-enddate', dates.end] : ['-days', '3650']),
        ],
        dir,
      );
    }
    const certPem = readFileSync(join(dir, `${name}.pem`), 'utf8');
    return {
      nodeId,
      certPem,
      keyPem: readFileSync(join(dir, `${name}.key`), 'utf8'),
      certFile: join(dir, `${name}.pem`),
      keyFile: join(dir, `${name}.key`),
      der: new Uint8Array(new X509Certificate(certPem).raw),
    };
  };
  cached = {
    dir,
    caPem: ca.pem,
    caFile: ca.file,
    otherCaPem: other.pem,
    otherCaFile: other.file,
    nodes: [mkNode('node1', 'ca'), mkNode('node2', 'ca'), mkNode('node3', 'ca')],
    foreign: mkNode('foreign', 'otherca'),
    expired: mkNode('expired', 'ca', { start: '20200101000000Z', end: '20210101000000Z' }),
    selfSigned: mkNode('selfsigned', 'self'),
    bad: mkNode('badnode', 'ca'),
  };
  return cached;
}

/** Node-IDs from the `reload://` URIs in the subjectAltName of `cert`. */
export function nodeIdsOf(cert: X509Certificate): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const m of (cert.subjectAltName ?? '').matchAll(
    /URI:reload:\/\/01([0-9a-f]{2})([0-9a-f]+)@/gi,
  )) {
    const id = Buffer.from(m[2], 'hex');
    if (id.length === parseInt(m[1], 16)) out.push(new Uint8Array(id));
  }
  return out;
}

/**
 * A PeerVerifier on node:crypto for these tests: trust anchors, validity, self-signed policy
 * (Node-ID = SHA-1 of the SPKI, §11.3.1), bad-node list. Production code plugs in the trust
 * checker of @reload/security through the same interface.
 */
export function testVerifier(options: {
  roots: string[];
  badNodeIds?: Uint8Array[];
  selfSignedPermitted?: boolean;
  now?: () => number;
}): PeerVerifier {
  const roots = options.roots.map((p) => new X509Certificate(p));
  return (chain) => {
    if (chain.length === 0) throw new ReloadError('NO_PEER_CERT', 'no certificate');
    const leaf = new X509Certificate(chain[0]);
    const now = options.now?.() ?? Date.now();
    if (now < Date.parse(leaf.validFrom) || now > Date.parse(leaf.validTo)) {
      throw new ReloadError(
        'CERT_EXPIRED',
        `certificate valid ${leaf.validFrom} – ${leaf.validTo}`,
      );
    }
    const selfSigned = leaf.checkIssued(leaf) && leaf.verify(leaf.publicKey);
    let nodeIds = nodeIdsOf(leaf);
    if (selfSigned) {
      if (!options.selfSignedPermitted) {
        throw new ReloadError('SELF_SIGNED_NOT_PERMITTED', 'self-signed certificate');
      }
      const spki = leaf.publicKey.export({ type: 'spki', format: 'der' });
      const id = createHash('sha1').update(spki).digest().subarray(0, 16);
      nodeIds = nodeIds.filter((n) => Buffer.from(n).equals(id));
      if (nodeIds.length === 0)
        throw new ReloadError('NODE_ID_MISMATCH', 'Node-ID is not the SPKI digest');
    } else if (!roots.some((r) => leaf.checkIssued(r) && leaf.verify(r.publicKey))) {
      throw new ReloadError('CERT_UNTRUSTED', `issuer ${leaf.issuer} is not an overlay root`);
    }
    if (nodeIds.length === 0)
      throw new ReloadError('NODE_ID_MISMATCH', 'no reload:// Node-ID in the certificate');
    for (const b of options.badNodeIds ?? []) {
      if (nodeIds.some((n) => Buffer.from(n).equals(b))) {
        throw new ReloadError('BAD_NODE', 'Node-ID is on the bad-node list');
      }
    }
    return { nodeIds };
  };
}
