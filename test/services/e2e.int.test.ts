/**
 * End-to-end: the `reload-services` CLI driven like an operator would, with real clients
 * (curl, dig, openssl) on loopback. The CLI runs from source through tsx (no build needed);
 * provisioning and starting the server: test/support/services.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import {
  type Provisioned,
  type Run,
  type RunningServices,
  provisionOverlay,
  run,
  servicesCli as cli,
  startServices,
} from '../support/services.js';

const A = 'my-overlay.example.org';
const B = 'second-overlay.example.net';

async function requireTools(): Promise<void> {
  for (const [tool, pkg] of [
    ['curl', 'curl'],
    ['openssl', 'openssl'],
    ['dig', 'dnsutils'],
  ]) {
    const r = await run('sh', ['-c', `command -v ${tool}`]);
    if (r.code !== 0)
      throw new Error(`this test needs \`${tool}\` (Debian package ${pkg}); install it`);
  }
}

let dir: string;
let server: RunningServices | undefined;
let port = 0;
let dnsPort = 0;
const prov: Record<string, Provisioned> = {};
const refusals: { bad: Run; taken: Run } = {
  bad: { code: -1, stdout: '', stderr: '' },
  taken: { code: -1, stdout: '', stderr: '' },
};

async function startServer(): Promise<void> {
  server = await startServices(dir);
  port = server.port;
  dnsPort = server.dnsPort;
}

async function stopServer(): Promise<void> {
  await server?.stop();
  server = undefined;
}

/** curl against overlay `o` on the test server, resolving its name to 127.0.0.1. */
function curl(o: string, ...args: string[]) {
  return run('curl', [
    '-sS',
    '--cacert',
    prov[o].servicesCa,
    '--resolve',
    `${o}:${port}:127.0.0.1`,
    ...args,
  ]);
}
/** curl with the overlay's OAM client certificate. */
function oamCurl(o: string, certOf: string, ...args: string[]) {
  return curl(o, '--cert', prov[certOf].oamClientCert, '--key', prov[certOf].oamClientKey, ...args);
}
/** {@link oamCurl} printing the body, a space and the HTTP status code. */
function oamStatus(o: string, certOf: string, ...args: string[]) {
  return oamCurl(o, certOf, '-w', ' %{http_code}', ...args);
}
const url = (o: string, path: string) => `https://${o}:${port}${path}`;

beforeAll(async () => {
  await requireTools();
  dir = await mkdtemp(join(tmpdir(), 'services-e2e-'));
  for (const [o, subject] of [
    [A, `C=US, ST=California, L=Saratoga, O=Example, OU=R&D, CN=${A}`],
    [B, `O=Second, CN=${B}`],
  ] as const) {
    const alg = o === A ? 'rsa2048' : 'ecdsa-p256';
    prov[o] = await provisionOverlay(dir, o, subject, alg);
    if (o === A) {
      // checked in a test below; run here, while the data directory is not locked by a server
      refusals.bad = await cli(
        'provision',
        '--data',
        dir,
        '--overlay',
        'not_valid',
        '--subject',
        'CN=x',
      );
      refusals.taken = await cli('provision', '--data', dir, '--overlay', A, '--subject', 'CN=x');
    }
  }
  await startServer();
}, 120_000);

afterAll(async () => {
  await stopServer();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('reload-services provision', () => {
  it('prints the contract keys with absolute paths of PEM files, keys 0600', async () => {
    const p = prov[A];
    for (const k of ['rootCert', 'servicesCa', 'oamCa', 'oamClientCert', 'oamClientKey']) {
      expect(isAbsolute(p[k]), k).toBe(true);
      expect(await readFile(p[k], 'utf8')).toMatch(/^-----BEGIN /);
    }
    expect(p.overlay).toBe(A);
    expect(p.oamUrl).toBe(`https://${A}:8443`);
    expect((await stat(p.oamClientKey)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'overlays', A, 'root-key.pem'))).mode & 0o777).toBe(0o600);
    expect(prov[B].servicesCa).toBe(p.servicesCa);
  });

  it('refuses an invalid name and a taken name with a clear message', () => {
    expect(refusals.bad.code).not.toBe(0);
    expect(refusals.bad.stderr).toContain('"not_valid" is not a valid DNS name');
    expect(refusals.taken.code).not.toBe(0);
    expect(refusals.taken.stderr).toContain(`overlay "${A}" is already provisioned`);
  });
});

describe('reload-services start', () => {
  it('serves the configuration to curl --cacert', async () => {
    const r = await curl(A, '-D', '-', url(A, '/.well-known/reload-config'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^HTTP\/1\.1 200/);
    expect(r.stdout.toLowerCase()).toContain('content-type: application/p2p-overlay+xml');
    expect(r.stdout).toContain(`instance-name="${A}"`);
    expect(r.stdout).toContain('<signature>');
  });

  it('answers dig SRV and A', async () => {
    const srv = await run('dig', [
      '@127.0.0.1',
      '-p',
      String(dnsPort),
      'SRV',
      `_reload-config._tcp.${A}`,
      '+short',
    ]);
    expect(srv.stdout.trim()).toBe(`0 0 ${port} ${A}.`);
    const a = await run('dig', ['@127.0.0.1', '-p', String(dnsPort), 'A', B, '+short']);
    expect(a.stdout.trim()).toBe('127.0.0.1');
    const nx = await run('dig', ['@127.0.0.1', '-p', String(dnsPort), 'A', 'unknown.example.com']);
    expect(nx.stdout).toContain('status: NXDOMAIN');
  });

  it('drives every OAM operation with curl --cert --key', async () => {
    let r = await oamStatus(
      A,
      A,
      '-F',
      'name=alice',
      '-F',
      'password=s3cret',
      url(A, '/type=Enrollment/Users'),
    );
    expect(r.stdout).toBe('{"name":"alice"} 201');
    r = await oamStatus(
      A,
      A,
      '-d',
      'name=bob',
      '-d',
      'password=pw',
      url(A, '/type=Enrollment/Users'),
    );
    expect(r.stdout).toBe('{"name":"bob"} 201');
    r = await oamCurl(A, A, url(A, '/type=Enrollment/Users'));
    expect(
      (JSON.parse(r.stdout) as { users: { name: string }[] }).users.map((u) => u.name),
    ).toEqual(['alice', 'bob']);
    r = await oamStatus(
      A,
      A,
      '-X',
      'PUT',
      '-F',
      'password=n3w',
      url(A, '/type=Enrollment/Users/bob'),
    );
    expect(r.stdout).toBe('{"name":"bob"} 200');
    r = await oamCurl(
      A,
      A,
      '-w',
      '%{http_code}',
      '-X',
      'DELETE',
      url(A, '/type=Enrollment/Users/bob'),
    );
    expect(r.stdout).toBe('204');
    const nakedFile = join(dir, 'naked.xml');
    r = await oamCurl(
      A,
      A,
      '-o',
      nakedFile,
      '-w',
      '%{http_code} %{content_type}',
      url(A, '/type=Configuration/NakedConfiguration'),
    );
    expect(r.stdout).toBe('200 application/p2p-overlay+xml');
    const naked = await readFile(nakedFile, 'utf8');
    const seq = Number(/sequence="(\d+)"/.exec(naked)![1]);
    await writeFile(
      nakedFile,
      naked
        .replace(`sequence="${seq}"`, `sequence="${seq + 1}"`)
        .replace('<initial-ttl>100', '<initial-ttl>64'),
    );
    r = await oamStatus(A, A, '-T', nakedFile, url(A, '/type=Configuration/NakedConfiguration'));
    expect(r.stdout).toBe(`{"sequence":${seq + 1}} 200`);
    // the same upload again breaks the sequence rule: plain-text reason, old configuration kept
    r = await oamStatus(A, A, '-T', nakedFile, url(A, '/type=Configuration/NakedConfiguration'));
    expect(r.stdout).toMatch(/^rule sequence broken at <configuration@sequence>: .* 409$/s);
    const served = await curl(A, url(A, '/.well-known/reload-config'));
    expect(served.stdout).toContain('<initial-ttl>64</initial-ttl>');
    expect(served.stdout).toContain(`sequence="${seq + 1}"`);
  });

  it('refuses missing and wrong-overlay client certificates', async () => {
    const none = await curl(A, '-w', ' %{http_code}', url(A, '/type=Enrollment/Users'));
    expect(none.stdout).toMatch(/CLIENT_CERTIFICATE_REQUIRED.* 401$/);
    const other = await oamStatus(A, B, url(A, '/type=Enrollment/Users'));
    expect(other.stdout).toMatch(/CLIENT_CERTIFICATE_REFUSED.* 403$/);
  });

  it('enrolls an openssl CSR with curl -F; openssl verify accepts it against the root-cert', async () => {
    const key = join(dir, 'peer.key');
    const csr = join(dir, 'peer.csr');
    let r = await run('openssl', [
      'req',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-subj',
      '/CN=peer',
      '-out',
      csr,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const certDer = join(dir, 'peer.der');
    r = await curl(
      A,
      '-H',
      'Accept: application/pkix-cert',
      '-F',
      'username=alice',
      '-F',
      'password=s3cret',
      '-F',
      'nodeids=1',
      '-F',
      `csr=@${csr};type=application/pkcs10`,
      '-o',
      certDer,
      '-w',
      '%{http_code} %{content_type}',
      url(A, '/enrollment'),
    );
    expect(r.stdout).toBe('200 application/pkix-cert');
    const config = (await curl(A, url(A, '/.well-known/reload-config'))).stdout;
    const b64 = /<root-cert>([^<]+)<\/root-cert>/.exec(config)![1].replace(/\s+/g, '');
    const rootPem = join(dir, 'root-from-config.pem');
    await writeFile(
      rootPem,
      `-----BEGIN CERTIFICATE-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`,
    );
    const certPem = join(dir, 'peer.pem');
    r = await run('openssl', ['x509', '-inform', 'DER', '-in', certDer, '-out', certPem]);
    expect(r.code, r.stderr).toBe(0);
    r = await run('openssl', ['verify', '-CAfile', rootPem, certPem]);
    expect(r.stdout.trim()).toBe(`${certPem}: OK`);
    r = await run('openssl', ['x509', '-in', certPem, '-noout', '-ext', 'subjectAltName']);
    expect(r.stdout).toMatch(
      new RegExp(
        `URI:reload://0110[0-9a-f]{32}@${A.replace(/\./g, '\\.')}/, email:alice@${A.replace(/\./g, '\\.')}`,
      ),
    );
    // a DER CSR works too, and the wrong password gets the §11.3 token
    const csrDer = join(dir, 'peer.csr.der');
    await run('openssl', ['req', '-in', csr, '-outform', 'DER', '-out', csrDer]);
    r = await curl(
      A,
      '-H',
      'Accept: application/pkix-cert',
      '-F',
      'username=alice',
      '-F',
      'password=s3cret',
      '-F',
      `csr=@${csrDer}`,
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      url(A, '/enrollment'),
    );
    expect(r.stdout).toBe('200');
    r = await curl(
      A,
      '-H',
      'Accept: application/pkix-cert',
      '-F',
      'username=alice',
      '-F',
      'password=wrong',
      '-F',
      `csr=@${csr}`,
      '-w',
      ' %{http_code}',
      url(A, '/enrollment'),
    );
    expect(r.stdout).toBe('failed_authentication 403');
    // the other overlay does not know alice
    r = await curl(
      B,
      '-H',
      'Accept: application/pkix-cert',
      '-F',
      'username=alice',
      '-F',
      'password=s3cret',
      '-F',
      `csr=@${csr}`,
      '-w',
      ' %{http_code}',
      url(B, '/enrollment'),
    );
    expect(r.stdout).toBe('failed_authentication 403');
  });

  it('keeps users and configuration across a restart', async () => {
    const before = (await curl(A, url(A, '/.well-known/reload-config'))).stdout;
    await stopServer();
    await startServer();
    const after = (await curl(A, url(A, '/.well-known/reload-config'))).stdout;
    expect(after).toContain('<initial-ttl>64</initial-ttl>');
    expect(after.length).toBeGreaterThan(0);
    expect(before).toContain('<initial-ttl>64</initial-ttl>');
    const users = await oamCurl(A, A, url(A, '/type=Enrollment/Users'));
    expect(
      (JSON.parse(users.stdout) as { users: { name: string }[] }).users.map((u) => u.name),
    ).toEqual(['alice']);
  }, 90_000);
});
