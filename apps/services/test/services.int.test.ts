import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import { X509Certificate } from 'node:crypto';
import {
  ProvisioningStore,
  parseNakedConfiguration,
  type ProvisionResult,
} from '@reload/provisioning';
import { verifyConfiguration } from '@reload/config';
import { startServices, type RunningServices } from '../src/index.js';
import { opensslCsr, requireTool } from './helpers.js';

const A = 'int-a.example.org';
const B = 'int-b.example.net';
let dir: string;
let running: RunningServices;
const prov: Record<string, ProvisionResult> = {};
let servicesCa: string;
const creds: Record<string, { cert: string; key: string }> = {};

interface Res {
  status: number;
  type: string;
  body: Buffer;
  text: string;
}

function call(opts: {
  host: string;
  method?: string;
  path: string;
  client?: { cert: string; key: string };
  headers?: Record<string, string>;
  body?: Buffer | string;
  servername?: string;
}): Promise<Res> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: running.port,
        method: opts.method ?? 'GET',
        path: opts.path,
        servername: opts.servername ?? opts.host,
        ca: servicesCa,
        ...(opts.client ? { cert: opts.client.cert, key: opts.client.key } : {}),
        headers: { host: opts.host, ...(opts.headers ?? {}) },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            type: String(res.headers['content-type'] ?? ''),
            body,
            text: body.toString('utf8'),
          });
        });
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const oam = (overlay: string, method: string, path: string, body?: string, type?: string) =>
  call({
    host: overlay,
    method,
    path,
    client: creds[overlay],
    ...(body !== undefined ? { body, headers: type ? { 'content-type': type } : {} } : {}),
  });

const config = async (overlay: string) =>
  (await call({ host: overlay, path: '/.well-known/reload-config' })).text;

async function multipart(
  fields: Record<string, string | Uint8Array>,
): Promise<{ body: Buffer; type: string }> {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v === 'string') fd.append(k, v);
    else fd.append(k, new Blob([v], { type: 'application/pkcs10' }), 'csr.der');
  }
  const r = new Response(fd);
  return { body: Buffer.from(await r.arrayBuffer()), type: r.headers.get('content-type')! };
}

async function enroll(overlay: string, fields: Record<string, string | Uint8Array>): Promise<Res> {
  const f = await multipart(fields);
  return call({
    host: overlay,
    method: 'POST',
    path: '/enrollment',
    headers: { 'content-type': f.type, accept: 'application/pkix-cert' },
    body: f.body,
  });
}

beforeAll(async () => {
  requireTool('openssl', 'openssl');
  dir = await mkdtemp(join(tmpdir(), 'svc-int-'));
  const store = await ProvisioningStore.open(dir);
  for (const o of [A, B]) {
    prov[o] = await store.provisionOverlay({
      overlay: o,
      subject: `O=Test, CN=${o}`,
      keyAlgorithm: 'ecdsa-p256',
    });
  }
  await store.close();
  servicesCa = await readFile(prov[A].servicesCa, 'utf8');
  for (const o of [A, B]) {
    creds[o] = {
      cert: await readFile(prov[o].oamClientCert, 'utf8'),
      key: await readFile(prov[o].oamClientKey, 'utf8'),
    };
  }
  running = await startServices({
    dataDir: dir,
    listen: { host: '127.0.0.1', port: 0 },
  });
});

afterAll(async () => {
  await running?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('virtual hosts over TLS', () => {
  it('serves each overlay its own certificate and configuration', async () => {
    const a = await config(A);
    const b = await config(B);
    expect(
      parseNakedConfiguration(a.replace(/<signature>[^<]*<\/signature>/, '')).instanceName,
    ).toBe(A);
    expect(
      parseNakedConfiguration(b.replace(/<signature>[^<]*<\/signature>/, '')).instanceName,
    ).toBe(B);
    const rootA = /<root-cert>([^<]+)</.exec(a)![1];
    const rootB = /<root-cert>([^<]+)</.exec(b)![1];
    expect(rootA).not.toBe(rootB);
    // the enrollment-server follows the port the server listens on
    expect(a).toContain(
      `<enrollment-server>https://${A}:${running.port}/enrollment</enrollment-server>`,
    );
  });

  it('answers 421 when SNI and Host disagree', async () => {
    const r = await call({ host: B, servername: A, path: '/.well-known/reload-config' });
    expect(r.status).toBe(421);
    expect(JSON.parse(r.text)).toMatchObject({ statusCode: 421, code: 'MISDIRECTED_REQUEST' });
  });
});

describe('OAM over client-certificate TLS', () => {
  it('manages users with form bodies', async () => {
    let r = await oam(
      A,
      'POST',
      '/type=Enrollment/Users',
      'name=alice&password=pw-1',
      'application/x-www-form-urlencoded',
    );
    expect(r.status).toBe(201);
    r = await oam(
      A,
      'POST',
      '/type=Enrollment/Users',
      'name=alice&password=pw-1',
      'application/x-www-form-urlencoded',
    );
    expect(r.status).toBe(409);
    expect(JSON.parse(r.text)).toMatchObject({ statusCode: 409, code: 'USER_EXISTS' });
    r = await oam(A, 'GET', '/type=Enrollment/Users');
    const listed = JSON.parse(r.text) as { users: { name: string }[] };
    expect(listed.users.map((u) => u.name)).toEqual(['alice']);
    r = await oam(
      A,
      'PUT',
      '/type=Enrollment/Users/alice',
      'password=pw-2',
      'application/x-www-form-urlencoded',
    );
    expect(r.status).toBe(200);
    r = await oam(
      A,
      'PUT',
      '/type=Enrollment/Users/nobody',
      'password=pw-2',
      'application/x-www-form-urlencoded',
    );
    expect(r.status).toBe(404);
    const csr = opensslCsr().der;
    expect((await enroll(A, { username: 'alice', password: 'pw-1', csr })).text).toBe(
      'failed_authentication',
    );
    expect((await enroll(A, { username: 'alice', password: 'pw-2', csr })).status).toBe(200);
  });

  it('keeps two overlays separate', async () => {
    // B knows nothing of A's users
    expect(JSON.parse((await oam(B, 'GET', '/type=Enrollment/Users')).text).users).toEqual([]);
    expect(
      (await enroll(B, { username: 'alice', password: 'pw-2', csr: opensslCsr().der })).text,
    ).toBe('failed_authentication');
    // A's OAM certificate is refused by B and vice versa
    for (const [host, other] of [
      [A, B],
      [B, A],
    ] as const) {
      const r = await call({ host, path: '/type=Enrollment/Users', client: creds[other] });
      expect(r.status).toBe(403);
      expect(JSON.parse(r.text)).toMatchObject({ code: 'CLIENT_CERTIFICATE_REFUSED' });
    }
  });

  it('refuses a missing client certificate and an overlay certificate', async () => {
    const none = await call({ host: A, path: '/type=Enrollment/Users' });
    expect(none.status).toBe(401);
    const csr = opensslCsr();
    const r = await enroll(A, { username: 'alice', password: 'pw-2', csr: csr.der });
    expect(r.status).toBe(200);
    const pem = new X509Certificate(r.body).toString();
    const withOverlayCert = await call({
      host: A,
      path: '/type=Enrollment/Users',
      client: { cert: pem, key: csr.key },
    });
    expect(withOverlayCert.status).toBe(403);
  });

  it('removes users', async () => {
    expect((await oam(A, 'DELETE', '/type=Enrollment/Users/alice')).status).toBe(204);
    expect((await oam(A, 'DELETE', '/type=Enrollment/Users/alice')).status).toBe(404);
  });
});

describe('naked configuration upload rules (each broken once)', () => {
  const edits: [string, (x: string, seq: number) => string, number, string, string][] = [
    ['not XML', (x) => x.replace('</overlay>', ''), 400, 'xml', 'document'],
    [
      'wrong namespace',
      (x) => x.replaceAll('urn:ietf:params:xml:ns:p2p:config-base', 'urn:x'),
      400,
      'grammar',
      'overlay',
    ],
    [
      'RELAX NG: bad boolean',
      (x, s) => bump(x, s).replace('<clients-permitted>true', '<clients-permitted>maybe'),
      400,
      'grammar',
      'clients-permitted',
    ],
    [
      'sequence not +1',
      (x, s) => x.replace(`sequence="${s}"`, `sequence="${s + 2}"`),
      409,
      'sequence',
      'configuration@sequence',
    ],
    [
      'instance-name',
      (x, s) => bump(x, s).replace(/instance-name="[^"]+"/, 'instance-name="evil.example.org"'),
      422,
      'unchanged',
      'configuration@instance-name',
    ],
    [
      'expiration',
      (x, s) => bump(x, s).replace(/expiration="[^"]+"/, 'expiration="2099-01-01T00:00:00Z"'),
      422,
      'unchanged',
      'configuration@expiration',
    ],
    [
      'root-cert',
      (x, s) => add(bump(x, s), '<root-cert>AAAA</root-cert>'),
      422,
      'unchanged',
      'root-cert',
    ],
    [
      'enrollment-server',
      (x, s) =>
        bump(x, s).replace(
          /<enrollment-server>[^<]+/,
          '<enrollment-server>https://evil.example.org/',
        ),
      422,
      'unchanged',
      'enrollment-server',
    ],
    [
      'configuration-signer',
      (x, s) => add(bump(x, s), '<configuration-signer>00ff</configuration-signer>'),
      422,
      'unchanged',
      'configuration-signer',
    ],
    [
      'node-id-length',
      (x, s) => add(bump(x, s), '<node-id-length>20</node-id-length>'),
      422,
      'forbidden-element',
      'node-id-length',
    ],
    [
      'shared-secret',
      (x, s) => add(bump(x, s), '<shared-secret>s</shared-secret>'),
      422,
      'forbidden-element',
      'shared-secret',
    ],
    [
      'kind-signer',
      (x, s) => add(bump(x, s), '<kind-signer>00ff</kind-signer>'),
      422,
      'forbidden-element',
      'kind-signer',
    ],
    [
      'kind-signature',
      (x, s) => bump(x, s).replace('</kind>', '</kind><kind-signature>AAAA</kind-signature>'),
      422,
      'forbidden-element',
      'kind-signature',
    ],
    [
      'signature',
      (x, s) =>
        bump(x, s).replace('</configuration>', '</configuration><signature>AAAA</signature>'),
      422,
      'forbidden-element',
      'signature',
    ],
    [
      'self-signed-permitted true',
      (x, s) =>
        add(bump(x, s), '<self-signed-permitted digest="sha256">true</self-signed-permitted>'),
      422,
      'self-signed',
      'self-signed-permitted',
    ],
    [
      'additional configuration',
      (x, s) =>
        bump(x, s).replace(
          '</overlay>',
          `<configuration instance-name="${A}"></configuration></overlay>`,
        ),
      422,
      'single-configuration',
      'configuration',
    ],
  ];
  function bump(x: string, s: number): string {
    return x.replace(`sequence="${s}"`, `sequence="${(s + 1) % 65535}"`);
  }
  function add(x: string, e: string): string {
    return x.replace('</configuration>', `${e}</configuration>`);
  }

  for (const [what, edit, status, rule, element] of edits) {
    it(`refuses: ${what}`, async () => {
      const naked = (await oam(B, 'GET', '/type=Configuration/NakedConfiguration')).text;
      const seq = parseNakedConfiguration(naked).sequence;
      const before = await config(B);
      const r = await oam(B, 'PUT', '/type=Configuration/NakedConfiguration', edit(naked, seq));
      expect(r.status, r.text).toBe(status);
      expect(r.type).toMatch(/^text\/plain/);
      expect(r.text).toContain(`rule ${rule}`);
      expect(r.text).toContain(`<${element}>`);
      const after = await config(B);
      // unchanged, unless a signer renewal happened in between (then only sequence/expiration/signature moved)
      if (after !== before) {
        expect(
          parseNakedConfiguration(after.replace(/<signature>[^<]*<\/signature>/, '')).sequence,
        ).toBe(seq + 1);
        expect(after).not.toContain('evil');
      }
      expect((await oam(B, 'GET', '/type=Configuration/NakedConfiguration')).text).not.toBe(
        edit(naked, seq),
      );
    });
  }

  it('accepts a valid upload (curl -T style, no content type) and re-signs', async () => {
    const naked = (await oam(B, 'GET', '/type=Configuration/NakedConfiguration')).text;
    const seq = parseNakedConfiguration(naked).sequence;
    const next = bump(naked, seq).replace('<initial-ttl>100', '<initial-ttl>42');
    const r = await oam(B, 'PUT', '/type=Configuration/NakedConfiguration', next);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({ sequence: seq + 1 });
    const served = await config(B);
    expect(served).toContain('<initial-ttl>42</initial-ttl>');
  });
});

describe('restart and signer rollover', () => {
  it('keeps everything across a restart', async () => {
    const before = await config(B);
    await running.close();
    // a short renewal period so that the rollover can be watched in seconds
    running = await startServices({
      dataDir: dir,
      listen: { host: '127.0.0.1', port: 0 },
      signerRenewalMs: 2_000,
    });
    const after = await config(B);
    expect(after).toContain('<initial-ttl>42</initial-ttl>');
    const seqBefore = parseNakedConfiguration(
      before.replace(/<signature>[^<]*<\/signature>/, ''),
    ).sequence;
    const seqAfter = parseNakedConfiguration(
      after.replace(/<signature>[^<]*<\/signature>/, ''),
    ).sequence;
    expect(seqAfter).toBeGreaterThan(seqBefore); // new port and the overdue renewal bumped it
    expect(
      (await enroll(A, { username: 'alice', password: 'pw-2', csr: opensslCsr().der })).text,
    ).toBe(
      'failed_authentication', // alice was removed before the restart
    );
  });

  it('each new document is signed by a signer listed in the previous one', async () => {
    const docs: string[] = [await config(A)];
    const fetchedAt: Date[] = [new Date()];
    const deadline = Date.now() + 12_000;
    while (docs.length < 3 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      const d = await config(A);
      if (d !== docs[docs.length - 1]) {
        docs.push(d);
        fetchedAt.push(new Date());
      }
    }
    expect(docs.length).toBe(3);
    const signers = new Set<string>();
    for (let i = 1; i < docs.length; i++) {
      // the RFC 6940 §11.1 check of @reload/config: signed by a configuration-signer of the
      // previous document, chain to its root-cert, newer sequence, kind signatures (signers
      // live 2 renewal periods = 4 s here: check each at the time it was fetched)
      const previous = verifyConfiguration(docs[i - 1], { now: fetchedAt[i - 1] }).configuration;
      const full = verifyConfiguration(docs[i], { previous, now: fetchedAt[i] });
      expect(full.kinds).toHaveLength(2);
      expect(previous.configurationSigners).toContain(full.signer.nodeId);
      const signer = new X509Certificate(full.signer.certificate);
      signers.add(signer.fingerprint256);
      const naked = parseNakedConfiguration(docs[i].replace(/<signature>[^<]*<\/signature>/, ''));
      // expiration = the signer certificate's notAfter
      expect(Date.parse(naked.expiration)).toBe(Date.parse(signer.validTo));
      const prev = parseNakedConfiguration(
        docs[i - 1].replace(/<signature>[^<]*<\/signature>/, ''),
      );
      expect(naked.sequence).toBe(prev.sequence + 1);
    }
    expect(signers.size).toBe(2); // a new certificate each time
  });
});
