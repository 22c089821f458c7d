/**
 * RFC 6940 §11.2 discovery against a local DNS responder (dns-packet over UDP) and a local
 * HTTPS configuration server with virtual hosts.
 */
import { createSocket, type Socket } from 'node:dgram';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONFIG_MEDIA_TYPE,
  discoverConfiguration,
  NS_CONFIG_BASE,
  parseConfigurationDocument,
  signConfiguration,
} from '../src/index.js';
import { randomNodeIdHex, type TestCert, TestPki } from './helpers.js';

let pki: TestPki;
let otherPki: TestPki;
let signer: TestCert;
let intruder: TestCert;
let dns: Socket;
let dnsServer: string;
let https: Server;
let https443: Server | undefined;
let httpsPort: number;
const signerId = randomNodeIdHex();
const intruderId = randomNodeIdHex();
const docs = new Map<string, string>();

function signedDoc(overlay: string, sequence = 1, by: TestCert = signer): string {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<overlay xmlns="${NS_CONFIG_BASE}">
  <configuration instance-name="${overlay}" sequence="${sequence}">
    <root-cert>${Buffer.from(pki.ca.certificate).toString('base64')}</root-cert>
    <configuration-signer>${signerId}</configuration-signer>
  </configuration>
</overlay>
`;
  return signConfiguration(xml, by);
}

function startDns(records: {
  srv: Record<string, { target: string; port: number }[]>;
  a: Record<string, string>;
}): Promise<void> {
  dns = createSocket('udp4');
  dns.on('message', (msg, rinfo) => {
    let q: dnsPacket.Packet;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      return;
    }
    const question = q.questions?.[0];
    if (question === undefined) return;
    const name = question.name.toLowerCase();
    const answers: dnsPacket.Answer[] = [];
    if (question.type === 'SRV')
      for (const r of records.srv[name] ?? [])
        answers.push({
          type: 'SRV',
          name,
          ttl: 5,
          data: { priority: 10, weight: 5, port: r.port, target: r.target },
        });
    if (question.type === 'A' && records.a[name] !== undefined)
      answers.push({ type: 'A', name, ttl: 5, data: records.a[name] });
    const known = records.srv[name] !== undefined || records.a[name] !== undefined;
    const reply = dnsPacket.encode({
      type: 'response',
      id: q.id ?? 0,
      flags:
        dnsPacket.AUTHORITATIVE_ANSWER |
        dnsPacket.RECURSION_DESIRED |
        dnsPacket.RECURSION_AVAILABLE |
        (known ? 0 : 3),
      questions: q.questions ?? [],
      answers,
    });
    dns.send(reply, rinfo.port, rinfo.address);
  });
  return new Promise((resolve) =>
    dns.bind(0, '127.0.0.1', () => {
      dnsServer = `127.0.0.1:${dns.address().port}`;
      resolve();
    }),
  );
}

function handler(req: IncomingMessage, res: ServerResponse): void {
  const host = (req.headers.host ?? '').replace(/:\d+$/, '');
  const body = docs.get(host);
  if (req.url !== '/.well-known/reload-config' || body === undefined) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  const type = host === 'wrongtype.test' ? 'text/xml' : CONFIG_MEDIA_TYPE;
  res.writeHead(200, { 'content-type': type }).end(body);
}

beforeAll(async () => {
  pki = new TestPki();
  otherPki = new TestPki('/CN=Unrelated CA');
  signer = pki.node(signerId, 'overlay.test');
  intruder = pki.node(intruderId, 'overlay.test');
  const tlsCert = pki.issue(
    ['DNS:overlay.test', 'DNS:fallback.test', 'DNS:mismatch.test', 'DNS:wrongtype.test'],
    { cn: 'config server' },
  );
  docs.set('overlay.test', signedDoc('overlay.test'));
  docs.set('fallback.test', signedDoc('fallback.test'));
  docs.set('mismatch.test', signedDoc('overlay.test'));
  docs.set('wrongtype.test', signedDoc('wrongtype.test'));
  docs.set('wrongname.test', signedDoc('wrongname.test'));
  https = createServer({ cert: tlsCert.pem, key: tlsCert.keyPem }, handler);
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  httpsPort = (https.address() as AddressInfo).port;
  // The §11.2 fallback uses port 443: serve it on another loopback address.
  https443 = createServer({ cert: tlsCert.pem, key: tlsCert.keyPem }, handler);
  await new Promise<void>((resolve, reject) => {
    https443?.once('error', reject);
    https443?.listen(443, '127.0.0.2', resolve);
  });
  const srv = (name: string) =>
    [{ target: 'cfg.overlay.test', port: httpsPort }].map((r) => ({ ...r, name }));
  await startDns({
    srv: {
      '_reload-config._tcp.overlay.test': srv('x'),
      '_reload-config._tcp.mismatch.test': srv('x'),
      '_reload-config._tcp.wrongtype.test': srv('x'),
      '_reload-config._tcp.wrongname.test': srv('x'),
    },
    a: {
      'cfg.overlay.test': '127.0.0.1',
      'overlay.test': '127.0.0.1',
      'fallback.test': '127.0.0.2',
    },
  });
});

afterAll(async () => {
  dns?.close();
  await new Promise<void>((resolve) => (https ? https.close(() => resolve()) : resolve()));
  await new Promise<void>((resolve) => (https443 ? https443.close(() => resolve()) : resolve()));
  pki?.dispose();
  otherPki?.dispose();
});

async function codeOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return (e as { code: unknown }).code;
  }
  return 'no error';
}

describe('discoverConfiguration (RFC 6940 §11.2)', () => {
  it('finds the server by SRV, fetches over HTTPS and verifies the document', async () => {
    const d = await discoverConfiguration('overlay.test', {
      dnsServer,
      caCertificates: [pki.ca.pem],
    });
    expect(d.server).toEqual({ host: 'cfg.overlay.test', address: '127.0.0.1', port: httpsPort });
    expect(d.url).toBe(`https://overlay.test:${httpsPort}/.well-known/reload-config`);
    expect(Buffer.from(d.raw).toString()).toBe(docs.get('overlay.test'));
    expect(d.configuration.instanceName).toBe('overlay.test');
    expect(d.signer.nodeId).toBe(signerId);
  });

  it('accepts DER CA certificates and a previous configuration', async () => {
    const previous = parseConfigurationDocument(signedDoc('overlay.test', 0)).configurations[0];
    const d = await discoverConfiguration('overlay.test', {
      dnsServer,
      caCertificates: [pki.ca.certificate],
      previous,
    });
    expect(d.configuration.sequence).toBe(1);
  });

  it('falls back to the overlay name on port 443 without an SRV record', async () => {
    const d = await discoverConfiguration('fallback.test', {
      dnsServer,
      caCertificates: [pki.ca.pem],
    });
    expect(d.server).toEqual({ host: 'fallback.test', address: '127.0.0.2', port: 443 });
    expect(d.configuration.instanceName).toBe('fallback.test');
  });

  it('uses a configuration URL given out of band', async () => {
    const d = await discoverConfiguration('overlay.test', {
      dnsServer,
      caCertificates: [pki.ca.pem],
      configUrl: `https://overlay.test:${httpsPort}/.well-known/reload-config`,
    });
    expect(d.server.port).toBe(httpsPort);
    expect(d.signer.nodeId).toBe(signerId);
  });

  it('refuses a server certificate from another CA or for another name', async () => {
    expect(
      await codeOf(
        discoverConfiguration('overlay.test', { dnsServer, caCertificates: [otherPki.ca.pem] }),
      ),
    ).toBe('CONFIG_DISCOVERY');
    await expect(
      discoverConfiguration('wrongname.test', { dnsServer, caCertificates: [pki.ca.pem] }),
    ).rejects.toThrow(/wrongname\.test/);
    expect(
      await codeOf(
        discoverConfiguration('wrongname.test', { dnsServer, caCertificates: [pki.ca.pem] }),
      ),
    ).toBe('CONFIG_DISCOVERY');
  });

  it('refuses a document for another overlay, a wrong media type, an unauthorized signer', async () => {
    expect(
      await codeOf(
        discoverConfiguration('mismatch.test', { dnsServer, caCertificates: [pki.ca.pem] }),
      ),
    ).toBe('CONFIG_NOT_FOUND');
    await expect(
      discoverConfiguration('wrongtype.test', { dnsServer, caCertificates: [pki.ca.pem] }),
    ).rejects.toThrow(/content-type 'text\/xml'/);
    docs.set('overlay.test', signedDoc('overlay.test', 2, intruder));
    try {
      const previous = parseConfigurationDocument(signedDoc('overlay.test', 1)).configurations[0];
      expect(
        await codeOf(
          discoverConfiguration('overlay.test', {
            dnsServer,
            caCertificates: [pki.ca.pem],
            previous,
          }),
        ),
      ).toBe('CONFIG_SIGNER_NOT_AUTHORIZED');
    } finally {
      docs.set('overlay.test', signedDoc('overlay.test'));
    }
  });

  it('reports an unreachable overlay', async () => {
    expect(
      await codeOf(
        discoverConfiguration('nowhere.invalid', {
          dnsServer,
          caCertificates: [pki.ca.pem],
          timeoutMs: 2000,
        }),
      ),
    ).toBe('CONFIG_DISCOVERY');
  });
});
