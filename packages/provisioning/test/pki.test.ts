import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import {
  createCa,
  generateKeyPairAsync,
  issueCertificateForKey,
  type KeyAlgorithm,
} from '@reload/security';
import { signDraftCertificate } from '../src/index.js';

/** The TBSCertificate bytes (hex), read by @peculiar/x509 (`tbs` is private in its types only). */
const tbsOf = (der: Uint8Array): string =>
  Buffer.from((new x509.X509Certificate(der) as unknown as { tbs: ArrayBuffer }).tbs).toString(
    'hex',
  );

function errorCode(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return (e as { code?: unknown }).code;
  }
  return 'no error';
}

describe('signDraftCertificate', () => {
  for (const alg of ['rsa2048', 'ecdsa-p256'] as KeyAlgorithm[]) {
    it(`signs a draft's TBSCertificate with the CA key (${alg})`, async () => {
      const [ca, other, subject] = await Promise.all([
        createCa({ subject: 'CN=draft.example.org', keyAlgorithm: alg }),
        generateKeyPairAsync(alg),
        generateKeyPairAsync('ecdsa-p256'),
      ]);
      const draft = await issueCertificateForKey({
        ca: { certificate: ca.certificate, privateKey: other.privateKey },
        publicKey: subject.publicKey,
        overlay: 'draft.example.org',
        nodeIds: [new Uint8Array(16).fill(7)],
        username: 'alice',
      });
      const root = new X509Certificate(ca.certificate);
      expect(new X509Certificate(draft).verify(root.publicKey)).toBe(false);
      const der = signDraftCertificate(draft, ca.privateKey);
      const cert = new X509Certificate(der);
      expect(cert.verify(root.publicKey)).toBe(true);
      expect(cert.checkIssued(root)).toBe(true);
      expect(cert.serialNumber).toBe(new X509Certificate(draft).serialNumber);
      expect(cert.subjectAltName).toBe(new X509Certificate(draft).subjectAltName);
      expect(tbsOf(der)).toBe(tbsOf(draft));
      // openssl-style parsers accept it as a whole (re-encoding gives the same bytes)
      expect(Buffer.from(cert.raw).equals(Buffer.from(der))).toBe(true);
    });
  }

  it('refuses bytes that are not a DER certificate', async () => {
    const { privateKey } = await generateKeyPairAsync('ecdsa-p256');
    for (const bad of [
      new Uint8Array(0),
      new Uint8Array([0x30]),
      new Uint8Array([0x30, 0x85, 1, 1, 1, 1, 1]),
      new Uint8Array([0x30, 0x05, 0x02, 0x01, 0x00, 0x30, 0x00]),
      new Uint8Array([0x04, 0x02, 0x30, 0x00]),
    ]) {
      expect(errorCode(() => signDraftCertificate(bad, privateKey))).toBe('CERT_MALFORMED');
    }
  });
});
