import { createPrivateKey } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  certificateInfo,
  createCa,
  createCsr,
  createSelfSigned,
  fromPem,
  generateKeyPair,
  issueCertificate,
  issueCertificateForKey,
  nodeIdFromSelfSigned,
  nodeIdToHex,
  parseCsr,
  randomNodeId,
  spkiOf,
  toPem,
  userNameFor,
  type Credentials,
  type KeyPair,
} from '@reload/security';
import {
  expectCode,
  expectCodeAsync,
  openssl,
  opensslStatus,
  read,
  requireOpenssl,
  tmp,
  write,
} from './helpers.js';

const OVERLAY = 'overlay.example.org';
let rsaCa: Credentials;
let ecCa: Credentials;
let ecKeys: KeyPair;

beforeAll(async () => {
  requireOpenssl();
  ecKeys = generateKeyPair('ecdsa-p256');
  [rsaCa, ecCa] = await Promise.all([
    createCa({ subject: 'C=US, O=Example, CN=overlay.example.org' }),
    createCa({ subject: 'C=US, O=Example, CN=ec-ca', keyAlgorithm: 'ecdsa-p256' }),
  ]);
});

describe('overlay CA', () => {
  it('is a self-signed CA certificate that openssl accepts as a trust anchor', () => {
    const info = certificateInfo(rsaCa.certificate);
    expect(info.isCa).toBe(true);
    expect(info.selfIssued).toBe(true);
    expect(info.subject).toBe('C=US, O=Example, CN=overlay.example.org');
    expect(info.keyAlgorithm).toBe('rsa2048');
    expect(certificateInfo(ecCa.certificate).keyAlgorithm).toBe('ecdsa-p256');
    const dir = tmp();
    write(dir, 'ca.pem', toPem(rsaCa.certificate));
    write(dir, 'ec.pem', toPem(ecCa.certificate));
    expect(openssl(['verify', '-CAfile', 'ca.pem', 'ca.pem'], dir)).toMatch(/OK/);
    expect(openssl(['verify', '-CAfile', 'ec.pem', 'ec.pem'], dir)).toMatch(/OK/);
    const text = openssl(['x509', '-in', 'ca.pem', '-text', '-noout'], dir);
    expect(text).toMatch(/CA:TRUE/);
    expect(text).toMatch(/Certificate Sign/);
    expect(text).toMatch(/sha256WithRSAEncryption/);
    expect(openssl(['x509', '-in', 'ec.pem', '-text', '-noout'], dir)).toMatch(/ecdsa-with-SHA256/);
  });
});

describe('CSRs', () => {
  it('accepts a CSR made by `openssl req -new -newkey rsa:2048 -nodes`', async () => {
    const dir = tmp();
    openssl(
      [
        'req',
        '-new',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        'k.pem',
        '-out',
        'r.pem',
        '-subj',
        '/CN=alice',
      ],
      dir,
    );
    const csr = await parseCsr(read(dir, 'r.pem').toString());
    expect(csr.keyAlgorithm).toBe('rsa2048');
    expect(csr.subject).toBe('CN=alice');
    const key = createPrivateKey(read(dir, 'k.pem'));
    expect(spkiOf(csr.publicKey)).toEqual(spkiOf(key));
  });

  it('accepts an EC P-256 CSR made by openssl (DER form too)', async () => {
    const dir = tmp();
    openssl(
      [
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        'k.pem',
        '-out',
        'r.der',
        '-outform',
        'DER',
        '-subj',
        '/CN=bob',
      ],
      dir,
    );
    const csr = await parseCsr(new Uint8Array(read(dir, 'r.der')));
    expect(csr.keyAlgorithm).toBe('ecdsa-p256');
  });

  it('a CSR we make passes `openssl req -verify`', async () => {
    const dir = tmp();
    const rsa = generateKeyPair('rsa2048');
    write(
      dir,
      'rsa.csr',
      toPem(
        await createCsr({ privateKey: rsa.privateKey, subject: 'CN=carol' }),
        'CERTIFICATE REQUEST',
      ),
    );
    write(
      dir,
      'ec.csr',
      toPem(
        await createCsr({ privateKey: ecKeys.privateKey, usernames: ['dave@o.org'] }),
        'CERTIFICATE REQUEST',
      ),
    );
    expect(opensslStatus(['req', '-in', 'rsa.csr', '-verify', '-noout'], dir).out).toMatch(
      /verify OK/i,
    );
    expect(opensslStatus(['req', '-in', 'ec.csr', '-verify', '-noout'], dir).out).toMatch(
      /verify OK/i,
    );
    const parsed = await parseCsr(read(dir, 'ec.csr').toString());
    expect(parsed.usernames).toEqual(['dave@o.org']);
    expect(parsed.subject).toBe('');
  });

  it('rejects malformed CSRs with BAD_CSR', async () => {
    await expectCodeAsync(
      parseCsr(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])),
      'BAD_CSR',
      /not a PKCS#10/,
    );
    await expectCodeAsync(
      parseCsr('-----BEGIN CERTIFICATE REQUEST-----\n!!!\n-----END CERTIFICATE REQUEST-----'),
      'BAD_CSR',
    );
    await expectCodeAsync(parseCsr('hello'), 'BAD_CSR');
    await expectCodeAsync(parseCsr(new Uint8Array(0)), 'BAD_CSR');
  });

  it('rejects a CSR whose signature does not match its key (tampered subject)', async () => {
    const der = await createCsr({ privateKey: ecKeys.privateKey, subject: 'CN=mallory' });
    const t = Buffer.from(der);
    const at = t.indexOf(Buffer.from('mallory'));
    expect(at).toBeGreaterThan(0);
    t[at] = 'n'.charCodeAt(0);
    await expectCodeAsync(parseCsr(new Uint8Array(t)), 'BAD_CSR', /signature does not match/);
  });

  it('rejects a CSR with a weak RSA key (1024 bits)', async () => {
    const dir = tmp();
    openssl(
      [
        'req',
        '-new',
        '-newkey',
        'rsa:1024',
        '-nodes',
        '-keyout',
        'k.pem',
        '-out',
        'r.pem',
        '-subj',
        '/CN=weak',
      ],
      dir,
    );
    await expectCodeAsync(parseCsr(read(dir, 'r.pem').toString()), 'BAD_CSR', /1024 bits/);
  });
});

describe('issuance (§11.3)', () => {
  it('issues from an openssl CSR; openssl verifies it and shows the reload:// URI and the email SAN', async () => {
    const dir = tmp();
    openssl(
      [
        'req',
        '-new',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        'k.pem',
        '-out',
        'r.pem',
        '-subj',
        '/CN=ignored',
      ],
      dir,
    );
    const ids = [randomNodeId(), randomNodeId()];
    const der = await issueCertificate({
      ca: rsaCa,
      csr: read(dir, 'r.pem').toString(),
      nodeIds: ids,
      overlay: OVERLAY,
      username: 'alice',
    });
    write(dir, 'ca.pem', toPem(rsaCa.certificate));
    write(dir, 'leaf.pem', toPem(der));
    expect(openssl(['verify', '-CAfile', 'ca.pem', 'leaf.pem'], dir)).toMatch(/leaf.pem: OK/);
    expect(
      openssl(['verify', '-purpose', 'sslclient', '-CAfile', 'ca.pem', 'leaf.pem'], dir),
    ).toMatch(/OK/);
    expect(
      openssl(['verify', '-purpose', 'sslserver', '-CAfile', 'ca.pem', 'leaf.pem'], dir),
    ).toMatch(/OK/);
    const text = openssl(['x509', '-in', 'leaf.pem', '-text', '-noout'], dir);
    for (const id of ids) expect(text).toContain(`URI:reload://0110${nodeIdToHex(id)}@${OVERLAY}/`);
    expect(text).toContain(`email:alice@${OVERLAY}`);
    expect(text).toMatch(/Subject Alternative Name: critical/);
    expect(text).toMatch(/Subject: *\n/); // §11.3: subject DN MUST be empty
    expect(text).toMatch(/sha256WithRSAEncryption/);
    // the certificate's key is the CSR's key
    const key = createPrivateKey(read(dir, 'k.pem'));
    expect(spkiOf(certificateInfo(der).publicKey)).toEqual(spkiOf(key));
    const info = certificateInfo(der);
    expect(info.nodeIds).toEqual(ids);
    expect(info.usernames).toEqual([`alice@${OVERLAY}`]);
    expect(info.overlay).toBe(OVERLAY);
    expect(info.subject).toBe('');
    expect(info.issuer).toBe('C=US, O=Example, CN=overlay.example.org');
    expect(info.isCa).toBe(false);
    expect(info.serialNumber).toMatch(/^[0-9a-f]{32}$/);
  });

  it('issues with an EC CA for an EC P-256 openssl CSR (ecdsa-with-SHA256)', async () => {
    const dir = tmp();
    openssl(
      [
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        'k.pem',
        '-out',
        'r.pem',
        '-subj',
        '/CN=x',
      ],
      dir,
    );
    const der = await issueCertificate({
      ca: ecCa,
      csr: read(dir, 'r.pem'),
      nodeIds: [randomNodeId()],
      overlay: OVERLAY,
      username: 'bob@example.com',
    });
    write(dir, 'ca.pem', toPem(ecCa.certificate));
    write(dir, 'leaf.pem', toPem(der));
    expect(openssl(['verify', '-CAfile', 'ca.pem', 'leaf.pem'], dir)).toMatch(/OK/);
    const text = openssl(['x509', '-in', 'leaf.pem', '-text', '-noout'], dir);
    expect(text).toMatch(/ecdsa-with-SHA256/);
    expect(text).toContain('email:bob@example.com');
    // a certificate from the other CA does not verify against this one
    write(dir, 'other.pem', toPem(rsaCa.certificate));
    expect(opensslStatus(['verify', '-CAfile', 'other.pem', 'leaf.pem'], dir).status).not.toBe(0);
  });

  it('issueCertificateForKey honours the validity window; serials are random', async () => {
    const notBefore = new Date('2030-01-01T00:00:00Z');
    const notAfter = new Date('2030-02-01T00:00:00Z');
    const a = await issueCertificateForKey({
      ca: ecCa,
      publicKey: ecKeys.publicKey,
      nodeIds: [randomNodeId()],
      overlay: OVERLAY,
      username: 'u',
      notBefore,
      notAfter,
    });
    const b = await issueCertificateForKey({
      ca: ecCa,
      publicKey: ecKeys.privateKey,
      nodeIds: [randomNodeId()],
      overlay: OVERLAY,
      username: 'u',
      validityDays: 2,
    });
    expect(certificateInfo(a).notBefore).toEqual(notBefore);
    expect(certificateInfo(a).notAfter).toEqual(notAfter);
    const ib = certificateInfo(b);
    expect(ib.notAfter.getTime() - ib.notBefore.getTime()).toBe(2 * 86_400_000);
    expect(certificateInfo(a).serialNumber).not.toBe(ib.serialNumber);
  });

  it('refuses bad user names, overlay names, empty Node-ID lists and bad CSRs', async () => {
    const base = {
      ca: ecCa,
      publicKey: ecKeys.publicKey,
      nodeIds: [randomNodeId()],
      overlay: OVERLAY,
    };
    await expectCodeAsync(
      issueCertificateForKey({ ...base, username: 'a\u0000b' }),
      'BAD_USERNAME',
    );
    await expectCodeAsync(issueCertificateForKey({ ...base, username: 'a b' }), 'BAD_USERNAME');
    await expectCodeAsync(issueCertificateForKey({ ...base, username: 'a@b@c' }), 'BAD_USERNAME');
    await expectCodeAsync(issueCertificateForKey({ ...base, username: 'ünï' }), 'BAD_USERNAME');
    await expectCodeAsync(
      issueCertificateForKey({ ...base, username: 'ok', overlay: 'bad overlay' }),
      'BAD_OVERLAY_NAME',
    );
    await expectCodeAsync(
      issueCertificateForKey({ ...base, username: 'ok', nodeIds: [] }),
      'BAD_NODE_ID',
    );
    await expectCodeAsync(
      issueCertificate({ ...base, username: 'ok', csr: new Uint8Array([1, 2, 3]) }),
      'BAD_CSR',
    );
    expect(userNameFor('alice', OVERLAY)).toBe(`alice@${OVERLAY}`);
    expect(userNameFor('alice@elsewhere.net', OVERLAY)).toBe('alice@elsewhere.net');
  });
});

describe('self-signed credentials (§11.3.1)', () => {
  it('derives the Node-ID from the SPKI and openssl accepts the certificate as self-signed', async () => {
    const ss = await createSelfSigned({ overlay: OVERLAY, username: 'eve', keyPair: ecKeys });
    expect(ss.nodeIds).toHaveLength(1);
    expect(nodeIdFromSelfSigned(ss.certificate)).toEqual(ss.nodeIds[0]);
    const info = certificateInfo(ss.certificate);
    expect(info.nodeIds).toEqual(ss.nodeIds);
    expect(info.usernames).toEqual([`eve@${OVERLAY}`]);
    const dir = tmp();
    write(dir, 'ss.pem', toPem(ss.certificate));
    expect(openssl(['verify', '-CAfile', 'ss.pem', 'ss.pem'], dir)).toMatch(/OK/);
    const spkiDer = openssl(['x509', '-in', 'ss.pem', '-pubkey', '-noout'], dir);
    const sha1 = openssl(['dgst', '-sha1', '-r'], dir, fromPem(spkiDer, 'PUBLIC KEY')).split(
      ' ',
    )[0];
    expect(nodeIdToHex(ss.nodeIds[0])).toBe(sha1.slice(0, 32));
  });

  it('supports several Node-IDs, sha256 and 20-byte ids', async () => {
    const ss = await createSelfSigned({
      overlay: OVERLAY,
      username: 'f',
      keyPair: ecKeys,
      nodeIdCount: 3,
      nodeIdLength: 20,
      digest: 'sha256',
    });
    expect(ss.nodeIds.map((n) => n.length)).toEqual([20, 20, 20]);
    expect(certificateInfo(ss.certificate).nodeIds).toEqual(ss.nodeIds);
  });
});

describe('certificateInfo', () => {
  it('rejects garbage with CERT_MALFORMED and parses PEM and DER alike', () => {
    expectCode(() => certificateInfo(new Uint8Array([1, 2, 3])), 'CERT_MALFORMED');
    expectCode(() => certificateInfo('not pem'), 'CERT_MALFORMED');
    const t = Buffer.from(rsaCa.certificate);
    expectCode(
      () => certificateInfo(new Uint8Array(t.subarray(0, t.length - 10))),
      'CERT_MALFORMED',
    );
    expect(certificateInfo(toPem(rsaCa.certificate)).der).toEqual(rsaCa.certificate);
    // the same garbage fails the same way a second time (negative cache)
    const junk = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x07]);
    expectCode(() => certificateInfo(junk), 'CERT_MALFORMED');
    expectCode(() => certificateInfo(junk.slice()), 'CERT_MALFORMED');
  });

  it('reads a certificate made by openssl with a reload:// SAN', () => {
    const dir = tmp();
    const ext =
      'subjectAltName=URI:reload://0110000102030405060708090a0b0c0d0e0f@o.example/,email:z@o.example';
    openssl(
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        'k.pem',
        '-out',
        'c.pem',
        '-subj',
        '/CN=z',
        '-days',
        '2',
        '-addext',
        ext,
      ],
      dir,
    );
    const info = certificateInfo(read(dir, 'c.pem').toString());
    expect(nodeIdToHex(info.nodeIds[0])).toBe('000102030405060708090a0b0c0d0e0f');
    expect(info.overlay).toBe('o.example');
    expect(info.usernames).toEqual(['z@o.example']);
  });
});
