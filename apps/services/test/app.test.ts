import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ProvisioningStore } from '@reload/provisioning';
import { acceptsPkixCert, buildServicesApp, LIMITS } from '../src/index.js';
import { opensslCsr } from './helpers.js';

const A = 'inject-a.example.org';
let dir: string;
let store: ProvisioningStore;
let app: FastifyInstance;
let csrDer: Uint8Array;

/** multipart/form-data body and content type for `fields` (Uint8Array values become files). */
async function form(
  fields: Record<string, string | Uint8Array>,
): Promise<{ body: Buffer; type: string }> {
  const fd = new FormData();
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v === 'string') fd.append(k, v);
    else fd.append(k, new Blob([v], { type: 'application/pkcs10' }), `${k}.der`);
  }
  const res = new Response(fd);
  return { body: Buffer.from(await res.arrayBuffer()), type: res.headers.get('content-type')! };
}

async function enroll(
  fields: Record<string, string | Uint8Array>,
  accept = 'application/pkix-cert',
) {
  const f = await form(fields);
  return app.inject({
    method: 'POST',
    url: '/enrollment',
    headers: { host: `${A}:8443`, 'content-type': f.type, ...(accept ? { accept } : {}) },
    payload: f.body,
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'svc-inject-'));
  store = await ProvisioningStore.open(dir);
  await store.provisionOverlay({ overlay: A, subject: `CN=${A}`, keyAlgorithm: 'ecdsa-p256' });
  await store.addUser(A, 'alice', 'pw-alice');
  app = await buildServicesApp({ store, overlays: [A] });
  csrDer = opensslCsr().der;
});

afterAll(async () => {
  await app.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('configuration document', () => {
  it('is served with application/p2p-overlay+xml for the virtual host', async () => {
    const r = await app.inject({
      method: 'GET',
      url: '/.well-known/reload-config',
      headers: { host: A },
    });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('application/p2p-overlay+xml');
    expect(r.body).toBe(await store.signedConfiguration(A));
    expect(r.body).toContain('<signature>');
  });

  it('answers 404 JSON for a host that is not hosted', async () => {
    const r = await app.inject({
      method: 'GET',
      url: '/.well-known/reload-config',
      headers: { host: 'x.example' },
    });
    expect(r.statusCode).toBe(404);
    expect(r.json()).toEqual({
      statusCode: 404,
      code: 'UNKNOWN_OVERLAY',
      message: 'no overlay "x.example" is hosted here',
    });
  });
});

describe('enrollment', () => {
  it('checks the Accept header', async () => {
    expect(acceptsPkixCert('application/pkix-cert')).toBe(true);
    expect(acceptsPkixCert('text/html, application/pkix-cert;q=0.5')).toBe(true);
    expect(acceptsPkixCert('application/pkix-cert;q=0')).toBe(false);
    expect(acceptsPkixCert('*/*')).toBe(false);
    const r = await enroll({ username: 'alice', password: 'pw-alice', csr: csrDer }, '*/*');
    expect(r.statusCode).toBe(406);
    expect(r.json()).toMatchObject({ statusCode: 406, code: 'NOT_ACCEPTABLE' });
  });

  it('needs multipart/form-data', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/enrollment',
      headers: { host: A, accept: 'application/pkix-cert', 'content-type': 'application/json' },
      payload: '{"username":"alice"}',
    });
    expect(r.statusCode).toBe(415);
  });

  it('issues a bare DER certificate for a DER or a PEM CSR', async () => {
    const r = await enroll({ username: 'alice', password: 'pw-alice', csr: csrDer });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('application/pkix-cert');
    const cert = new X509Certificate(r.rawPayload);
    expect(cert.subjectAltName).toMatch(
      /^URI:reload:\/\/0110[0-9a-f]{32}@inject-a\.example\.org\/, email:alice@inject-a\.example\.org$/,
    );
    const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.from(csrDer).toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    const r2 = await enroll({ username: 'alice', password: 'pw-alice', csr: pem });
    expect(r2.statusCode).toBe(200);
  });

  it('answers 403 text/plain tokens', async () => {
    const cases: [Record<string, string | Uint8Array>, string][] = [
      [{ username: 'alice', password: 'nope', csr: csrDer }, 'failed_authentication'],
      [{ username: 'nobody', password: 'nope', csr: csrDer }, 'failed_authentication'],
      [
        { username: 'alice', password: 'pw-alice', nodeids: '99', csr: csrDer },
        'Node-IDs_not_available',
      ],
      [{ username: 'alice', password: 'pw-alice', csr: new Uint8Array([1, 2, 3]) }, 'bad_CSR'],
      [{ username: 'alice', password: 'pw-alice', csr: 'not a csr' }, 'bad_CSR'],
    ];
    for (const [fields, token] of cases) {
      const r = await enroll(fields);
      expect(r.statusCode).toBe(403);
      expect(r.headers['content-type']).toMatch(/^text\/plain/);
      expect(r.body).toBe(token);
    }
  });

  it('refuses oversized CSRs and fields with 413', async () => {
    const big = await enroll({
      username: 'alice',
      password: 'pw-alice',
      csr: new Uint8Array(LIMITS.csr + 1),
    });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toMatchObject({ statusCode: 413 });
    const field = await enroll({
      username: 'a'.repeat(LIMITS.field + 10),
      password: 'x',
      csr: csrDer,
    });
    expect(field.statusCode).toBe(413);
    const body = await app.inject({
      method: 'POST',
      url: '/type=Enrollment/Users',
      headers: { host: A, 'content-type': 'application/x-www-form-urlencoded' },
      payload: `name=x&password=${'y'.repeat(LIMITS.body)}`,
    });
    expect([401, 413]).toContain(body.statusCode);
  });
});

describe('OAM', () => {
  it('requires a client certificate', async () => {
    for (const [method, url] of [
      ['GET', '/type=Enrollment/Users'],
      ['POST', '/type=Enrollment/Users'],
      ['DELETE', '/type=Enrollment/Users/alice'],
      ['GET', '/type=Configuration/NakedConfiguration'],
      ['PUT', '/type=Configuration/NakedConfiguration'],
    ] as const) {
      const r = await app.inject({ method, url, headers: { host: A } });
      expect(r.statusCode).toBe(401);
      expect(r.json()).toMatchObject({ code: 'CLIENT_CERTIFICATE_REQUIRED' });
    }
    expect((await store.listUsers(A)).map((u) => u.name)).toEqual(['alice']);
  });
});
