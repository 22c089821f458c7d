/** Test helpers: certificates made by the `openssl` CLI (an independent party). */
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeIdFromHex, nodeIdUri } from '@reload/security';
import type { SigningCredentials } from '../src/index.js';

/** Fails (never skips) when openssl is missing. */
export function requireOpenssl(): void {
  try {
    execFileSync('openssl', ['version'], { stdio: 'pipe' });
  } catch {
    throw new Error('openssl is required by these tests but was not found on PATH');
  }
}

export interface TestCert extends SigningCredentials {
  pem: string;
  keyPem: string;
  nodeIds: string[];
}

/** A scratch PKI: one CA, and end-entity certificates issued by it. */
export class TestPki {
  readonly dir = mkdtempSync(join(tmpdir(), 'reload-config-test-'));
  readonly ca: TestCert;
  private n = 0;

  constructor(subject = '/CN=Test Overlay CA') {
    requireOpenssl();
    this.ca = this.make(
      'ca',
      [
        '-x509',
        '-days',
        '30',
        '-subj',
        subject,
        '-addext',
        'basicConstraints=critical,CA:TRUE',
        '-addext',
        'keyUsage=critical,keyCertSign,cRLSign',
      ],
      [],
    );
  }

  private make(name: string, reqArgs: string[], nodeIds: string[]): TestCert {
    const key = join(this.dir, `${name}.key`);
    const pemPath = join(this.dir, `${name}.pem`);
    execFileSync(
      'openssl',
      [
        'req',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        key,
        '-out',
        pemPath,
        ...reqArgs,
      ],
      { stdio: 'pipe' },
    );
    const pem = readFileSync(pemPath, 'utf8');
    const keyPem = readFileSync(key, 'utf8');
    return {
      pem,
      keyPem,
      certificate: new Uint8Array(new X509Certificate(pem).raw),
      privateKey: createPrivateKey(keyPem),
      nodeIds,
    };
  }

  /**
   * Issues a certificate from the CA. `sans` like `URI:reload://0110<hex>@overlay/` or
   * `DNS:overlay.test`; `keyAlg` 'ec' (P-256) or 'rsa' (2048); valid for 30 days from now.
   */
  issue(
    sans: string[],
    options: { keyAlg?: 'ec' | 'rsa'; cn?: string; nodeIds?: string[] } = {},
  ): TestCert {
    const nodeIds = options.nodeIds ?? [];
    const name = `ee${this.n++}`;
    const key = join(this.dir, `${name}.key`);
    const csr = join(this.dir, `${name}.csr`);
    const pemPath = join(this.dir, `${name}.pem`);
    const ext = join(this.dir, `${name}.ext`);
    const keyArgs =
      options.keyAlg === 'rsa'
        ? ['-newkey', 'rsa:2048']
        : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
    execFileSync(
      'openssl',
      [
        'req',
        ...keyArgs,
        '-nodes',
        '-keyout',
        key,
        '-out',
        csr,
        '-subj',
        `/CN=${options.cn ?? name}`,
      ],
      { stdio: 'pipe' },
    );
    writeFileSync(ext, `subjectAltName=${sans.join(',')}\nbasicConstraints=CA:FALSE\n`);
    const validity = ['-days', '30'];
    execFileSync(
      'openssl',
      [
        'x509',
        '-req',
        '-in',
        csr,
        '-CA',
        join(this.dir, 'ca.pem'),
        '-CAkey',
        join(this.dir, 'ca.key'),
        '-CAcreateserial',
        ...validity,
        '-extfile',
        ext,
        '-out',
        pemPath,
      ],
      { stdio: 'pipe' },
    );
    const pem = readFileSync(pemPath, 'utf8');
    const keyPem = readFileSync(key, 'utf8');
    return {
      pem,
      keyPem,
      certificate: new Uint8Array(new X509Certificate(pem).raw),
      privateKey: createPrivateKey(keyPem),
      nodeIds,
    };
  }

  /** A certificate for Node-ID `hex` in `overlay`. */
  node(hex: string, overlay: string, keyAlg: 'ec' | 'rsa' = 'ec'): TestCert {
    // RFC 6940 §11.3/§14.15 URI with a one-entry Destination List (decision 0200).
    return this.issue([`URI:${nodeIdUri(nodeIdFromHex(hex), overlay)}`], {
      keyAlg,
      nodeIds: [hex],
    });
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A random Node-ID in hex (16 bytes). */
export function randomNodeIdHex(): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString('hex');
}

/** Drops the `source` fields (byte ranges) so models can be compared by value. */
export function stripSources<T>(v: T): T {
  return JSON.parse(
    JSON.stringify(v, (k, x: unknown) => {
      if (k === 'source') return undefined;
      if (x instanceof Uint8Array) return Buffer.from(x).toString('base64');
      return x;
    }),
  ) as T;
}
