import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { certificateNodeIds, verifyConfiguration } from '@reload/config';
import { EnrollmentError, ProvisioningStore, parseNakedConfiguration } from '../src/index.js';

x509.cryptoProvider.set(webcrypto as never);

const OVERLAY = 'store-test.example.org';
let dir: string;
let store: ProvisioningStore;

async function makeCsr(opts: { email?: string } = {}): Promise<Uint8Array> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as never;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'CN=peer',
    keys,
    signingAlgorithm: alg,
    extensions: opts.email
      ? [new x509.SubjectAlternativeNameExtension([{ type: 'email', value: opts.email }])]
      : [],
  });
  return new Uint8Array(csr.rawData);
}

async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(EnrollmentError);
    return (e as EnrollmentError).token;
  }
  throw new Error('enrollment succeeded');
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'prov-'));
  store = await ProvisioningStore.open(dir, { signerRenewalMs: 60_000 });
  await store.provisionOverlay({
    overlay: OVERLAY,
    subject: `O=Test, CN=${OVERLAY}`,
    keyAlgorithm: 'ecdsa-p256',
  });
  await store.addUser(OVERLAY, 'alice', 'correct horse');
});

afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('provisioning', () => {
  it('writes private keys with mode 0600 and a signed configuration', async () => {
    const rec = (await store.getOverlay(OVERLAY))!;
    for (const k of [
      rec.files.rootKey,
      rec.files.oamCaKey,
      rec.files.oamClientKey,
      rec.files.httpsKey,
    ]) {
      expect((await stat(k)).mode & 0o777).toBe(0o600);
    }
    expect((await stat(store.servicesCaPaths.key)).mode & 0o777).toBe(0o600);
    const signed = await store.signedConfiguration(OVERLAY);
    const v = verifyConfiguration(signed, {
      trustedSigners: [rec.signerNodeId],
      rootCerts: [await store.rootCertificate(OVERLAY)],
    });
    expect(v.signer.nodeIds).toEqual([rec.signerNodeId]);
    expect(signed).toContain(`<configuration-signer>${rec.signerNodeId}</configuration-signer>`);
  });

  it('refuses invalid and taken overlay names', async () => {
    await expect(
      store.provisionOverlay({ overlay: 'not a name', subject: 'CN=x' }),
    ).rejects.toMatchObject({
      code: 'BAD_OVERLAY_NAME',
    });
    await expect(
      store.provisionOverlay({ overlay: OVERLAY.toUpperCase(), subject: 'CN=x' }),
    ).rejects.toMatchObject({
      code: 'OVERLAY_EXISTS',
    });
  });

  it('refuses a second opener of the same data directory with a clear error', async () => {
    await expect(ProvisioningStore.open(dir)).rejects.toMatchObject({ code: 'DATA_DIR_IN_USE' });
  });

  it('refuses a bcrypt cost below 10', async () => {
    await expect(
      ProvisioningStore.open(join(dir, 'other'), { bcryptCost: 4 }),
    ).rejects.toMatchObject({
      code: 'BAD_OPTION',
    });
  });
});

describe('users', () => {
  it('stores bcrypt hashes, changes and removes', async () => {
    await store.addUser(OVERLAY, 'bob', 'pw-bob');
    await expect(store.addUser(OVERLAY, 'bob', 'x')).rejects.toMatchObject({ code: 'USER_EXISTS' });
    await expect(store.addUser(OVERLAY, 'b b', 'x')).rejects.toMatchObject({
      code: 'BAD_USER_NAME',
    });
    await expect(store.addUser(OVERLAY, 'carol', 'x'.repeat(73))).rejects.toMatchObject({
      code: 'BAD_PASSWORD',
    });
    expect(await store.authenticate(OVERLAY, 'bob', 'pw-bob')).toBeDefined();
    await store.setPassword(OVERLAY, 'bob', 'new-pw');
    expect(await store.authenticate(OVERLAY, 'bob', 'pw-bob')).toBeUndefined();
    expect(await store.authenticate(OVERLAY, 'bob', 'new-pw')).toBeDefined();
    await store.removeUser(OVERLAY, 'bob');
    await expect(store.removeUser(OVERLAY, 'bob')).rejects.toMatchObject({ code: 'UNKNOWN_USER' });
    expect((await store.listUsers(OVERLAY)).map((u) => u.name)).toEqual(['alice']);
  });
});

describe('enrollment (RFC 6940 §11.3)', () => {
  it('issues a certificate with server-chosen Node-IDs, the same ones again for the same user', async () => {
    const csr = await makeCsr();
    const r1 = await store.enroll(OVERLAY, {
      username: 'alice',
      password: 'correct horse',
      nodeids: '2',
      csr,
    });
    const cert = new X509Certificate(r1.certificate);
    expect(cert.subject ?? '').toBe(''); // §11.3: empty subject
    expect(cert.subjectAltName).toContain(`email:alice@${OVERLAY}`);
    const ids = certificateNodeIds(r1.certificate);
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
    const root = new X509Certificate(await store.rootCertificate(OVERLAY));
    expect(cert.checkIssued(root)).toBe(true);
    expect(cert.verify(root.publicKey)).toBe(true);
    const r2 = await store.enroll(OVERLAY, { username: 'alice', password: 'correct horse', csr });
    expect(certificateNodeIds(r2.certificate)).toEqual([ids[0]]);
    expect(new X509Certificate(r2.certificate).verify(root.publicKey)).toBe(true);
    const issued = await store.issuedCertificates(OVERLAY);
    expect(issued.map((c) => c.username)).toEqual(['alice', 'alice']);
  });

  it('answers the §11.3 tokens', async () => {
    const csr = await makeCsr();
    expect(
      await refusal(store.enroll(OVERLAY, { username: 'alice', password: 'wrong', csr })),
    ).toBe('failed_authentication');
    expect(await refusal(store.enroll(OVERLAY, { username: 'nobody', password: 'x', csr }))).toBe(
      'failed_authentication',
    );
    expect(await refusal(store.enroll(OVERLAY, { csr }))).toBe('failed_authentication');
    for (const n of ['0', '6', 'abc', '-1', '1.5']) {
      expect(
        await refusal(
          store.enroll(OVERLAY, { username: 'alice', password: 'correct horse', nodeids: n, csr }),
        ),
      ).toBe('Node-IDs_not_available');
    }
    expect(
      await refusal(
        store.enroll(OVERLAY, {
          username: 'alice',
          password: 'correct horse',
          csr: new Uint8Array([48, 3, 1, 2, 3]),
        }),
      ),
    ).toBe('bad_CSR');
    expect(
      await refusal(store.enroll(OVERLAY, { username: 'alice', password: 'correct horse' })),
    ).toBe('bad_CSR');
    const tampered = new Uint8Array(csr);
    tampered[tampered.length - 5] ^= 0xff;
    expect(
      await refusal(
        store.enroll(OVERLAY, { username: 'alice', password: 'correct horse', csr: tampered }),
      ),
    ).toBe('bad_CSR');
    const other = await makeCsr({ email: 'mallory@example.org' });
    expect(
      await refusal(
        store.enroll(OVERLAY, { username: 'alice', password: 'correct horse', csr: other }),
      ),
    ).toBe('username_not_available');
    const same = await makeCsr({ email: `alice@${OVERLAY}` });
    await expect(
      store.enroll(OVERLAY, { username: 'alice', password: 'correct horse', csr: same }),
    ).resolves.toBeDefined();
  });
});

describe('enrollment checks run while the password is checked', () => {
  it('a wrong password answers failed_authentication whatever else is wrong, and writes nothing', async () => {
    await store.addUser(OVERLAY, 'erin', 'pw-erin');
    const before = (await store.issuedCertificates(OVERLAY)).length;
    const csr = await makeCsr();
    const other = await makeCsr({ email: 'mallory@example.org' });
    for (const req of [
      { username: 'erin', password: 'wrong', csr: new Uint8Array([48, 3, 1, 2, 3]) },
      { username: 'erin', password: 'wrong', nodeids: '99', csr },
      { username: 'erin', password: 'wrong', csr: other },
      { username: 'erin', password: 'wrong' },
      { username: 'nobody', password: 'wrong', csr: new Uint8Array([1]) },
    ]) {
      expect(await refusal(store.enroll(OVERLAY, req))).toBe('failed_authentication');
    }
    expect((await store.issuedCertificates(OVERLAY)).length).toBe(before);
    expect((await store.listUsers(OVERLAY)).find((u) => u.name === 'erin')?.nodeIds).toEqual([]);
  });

  it('concurrent first enrollments of one user get the same Node-IDs, recorded with each certificate', async () => {
    await store.addUser(OVERLAY, 'frank', 'pw-frank');
    const csr = await makeCsr();
    const results = await Promise.all(
      ['1', '2', '1'].map((nodeids) =>
        store.enroll(OVERLAY, { username: 'frank', password: 'pw-frank', nodeids, csr }),
      ),
    );
    const ids = results.map((r) => certificateNodeIds(r.certificate));
    // signed from their drafts or (Node-IDs changed meanwhile) built afresh: all by the CA
    const root = new X509Certificate(await store.rootCertificate(OVERLAY));
    for (const r of results)
      expect(new X509Certificate(r.certificate).verify(root.publicKey)).toBe(true);
    const all = (await store.listUsers(OVERLAY)).find((u) => u.name === 'frank')!.nodeIds;
    expect(all).toHaveLength(2);
    expect(ids).toEqual([[all[0]], all, [all[0]]]);
    const issued = (await store.issuedCertificates(OVERLAY)).filter((c) => c.username === 'frank');
    expect(issued.map((c) => c.nodeIds).sort()).toEqual([[all[0]], [all[0]], all].sort());
    // and no other user holds them
    const others = (await store.listUsers(OVERLAY)).filter((u) => u.name !== 'frank');
    expect(others.flatMap((u) => u.nodeIds).filter((n) => all.includes(n))).toEqual([]);
  });

  it('refuses when the password is changed while it is being checked', async () => {
    await store.addUser(OVERLAY, 'grace', 'pw-grace');
    const csr = await makeCsr();
    const enrolling = refusal(
      store.enroll(OVERLAY, { username: 'grace', password: 'pw-grace', csr }),
    );
    await store.setPassword(OVERLAY, 'grace', 'pw-new');
    expect(await enrolling).toBe('failed_authentication');
    await expect(
      store.enroll(OVERLAY, { username: 'grace', password: 'pw-new', csr }),
    ).resolves.toBeDefined();
  });
});

describe('signer renewal and persistence', () => {
  it('renews with the same signer Node-ID; each document verifies with the previous signers', async () => {
    const rec = (await store.getOverlay(OVERLAY))!;
    const root = await store.rootCertificate(OVERLAY);
    let prev = await store.signedConfiguration(OVERLAY);
    const before = await store.currentSigner(OVERLAY);
    for (let i = 0; i < 2; i++) {
      const signer = await store.renewSigner(OVERLAY);
      const doc = await store.signedConfiguration(OVERLAY);
      const prevSigners = [...prev.matchAll(/<configuration-signer>([^<]+)</g)].map((m) =>
        m[1].trim(),
      );
      const v = verifyConfiguration(doc, { trustedSigners: prevSigners, rootCerts: [root] });
      expect(v.signer.nodeIds).toEqual([rec.signerNodeId]);
      const p0 = parseNakedConfiguration(prev.replace(/<signature>[^<]*<\/signature>/, ''));
      const p1 = parseNakedConfiguration(doc.replace(/<signature>[^<]*<\/signature>/, ''));
      expect(p1.sequence).toBe(p0.sequence + 1);
      expect(Date.parse(p1.expiration)).toBe(Math.floor(signer.notAfter / 1000) * 1000);
      // signed by the renewed signer
      expect(Date.parse(new X509Certificate(v.signer.certificate).validTo)).toBe(signer.notAfter);
      prev = doc;
    }
    const history = await store.signerHistory(OVERLAY);
    expect(history.map((h) => h.index)).toEqual([before.index, before.index + 1, before.index + 2]);
  });

  it('survives a reopen', async () => {
    const signed = await store.signedConfiguration(OVERLAY);
    await store.close();
    store = await ProvisioningStore.open(dir, { signerRenewalMs: 60_000 });
    expect(await store.signedConfiguration(OVERLAY)).toBe(signed);
    expect(await store.authenticate(OVERLAY, 'alice', 'correct horse')).toBeDefined();
    expect((await store.issuedCertificates(OVERLAY)).length).toBeGreaterThan(0);
  });
});
