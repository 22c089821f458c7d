/**
 * Issued certificates work for mutually authenticated TLS with node:tls (OpenSSL) — the
 * overlay link layer relies on this (RFC 6940 §4.1: "a TLS or DTLS association with client
 * authentication is formed").
 */
import { once } from 'node:events';
import { connect, createServer, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  certificateInfo,
  createCa,
  createTrustStore,
  generateKeyPair,
  issueCertificateForKey,
  randomNodeId,
  tlsCredentials,
  type Credentials,
} from '@reload/security';

const OVERLAY = 'overlay.example.org';

async function peer(
  ca: Credentials,
  alg: 'rsa2048' | 'ecdsa-p256',
): Promise<Credentials & { nodeId: Uint8Array }> {
  const k = generateKeyPair(alg);
  const nodeId = randomNodeId();
  const certificate = await issueCertificateForKey({
    ca,
    publicKey: k.publicKey,
    nodeIds: [nodeId],
    overlay: OVERLAY,
    username: 'p',
  });
  return { certificate, privateKey: k.privateKey, nodeId };
}

describe('TLS with issued certificates', () => {
  it('mutual authentication succeeds between two peers of the overlay CA; Node-IDs are read from the peer certificates', async () => {
    const ca = await createCa({ subject: 'CN=tls-ca', keyAlgorithm: 'ecdsa-p256' });
    const a = await peer(ca, 'rsa2048');
    const b = await peer(ca, 'ecdsa-p256');
    const trust = createTrustStore({ rootCerts: [ca.certificate], overlay: OVERLAY });
    const seen: Uint8Array[] = [];
    const server = createServer(
      { ...tlsCredentials(a, [ca.certificate]), requestCert: true, rejectUnauthorized: true },
      (s: TLSSocket) => {
        const cert = s.getPeerCertificate();
        seen.push(trust.checkCertificate(new Uint8Array(cert.raw)).nodeIds[0]);
        s.end('ok');
      },
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    try {
      const client = connect({
        ...tlsCredentials(b, [ca.certificate]),
        host: '127.0.0.1',
        port,
        // the subject DN is empty (§11.3): identity is the Node-ID, checked by the trust store
        checkServerIdentity: () => undefined,
      });
      await once(client, 'secureConnect');
      expect(client.authorized).toBe(true);
      const serverCert = certificateInfo(new Uint8Array(client.getPeerCertificate().raw));
      expect(trust.checkCertificate(serverCert.der, { expectedNodeId: a.nodeId }).nodeIds).toEqual([
        a.nodeId,
      ]);
      const [data] = (await once(client, 'data')) as [Buffer];
      expect(data.toString()).toBe('ok');
      client.destroy();
      expect(seen).toEqual([b.nodeId]);
    } finally {
      server.close();
    }
  });
});
