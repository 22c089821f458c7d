/** Builds TLS transports from the test PKI and a harness for the compliance suite. */
import type { SecureVersion } from 'node:tls';
import type { Link, LinkListener, LinkLogger, TlsTransportOptions } from '../../src/index.js';
import { createTlsTransport, formatAddress } from '../../src/index.js';
import type { HarnessOptions, LinkHarness } from '../compliance.js';
import type { TestIdentity, TestPki } from './pki.js';
import { testPki, testVerifier } from './pki.js';

/** A logger that records every call (pino-compatible shape). */
export function recordingLogger(): LinkLogger & {
  lines: { level: string; obj: object; msg?: string }[];
} {
  const lines: { level: string; obj: object; msg?: string }[] = [];
  const rec = (level: string) => (obj: object, msg?: string) =>
    void lines.push({ level, obj, msg });
  return { lines, debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') };
}

/** TLS transport options for `identity`, trusting the overlay CA (bad-node: the `bad` cert). */
export function tlsOptions(
  pki: TestPki,
  identity: TestIdentity,
  extra: Partial<TlsTransportOptions> = {},
): TlsTransportOptions {
  return {
    cert: identity.certPem,
    key: identity.keyPem,
    ca: [pki.caPem],
    verifier: testVerifier(pki),
    keyLogFile: null,
    ...extra,
  };
}

/** Accepted links keyed by the peer's address, resolved as they arrive. */
export function acceptQueue(listener: LinkListener): (remote: string) => Promise<Link> {
  const ready = new Map<string, Link>();
  const waiting = new Map<string, (l: Link) => void>();
  listener.on('link', (link) => {
    const key = formatAddress(link.remoteAddress);
    const w = waiting.get(key);
    if (w) {
      waiting.delete(key);
      w(link);
    } else ready.set(key, link);
  });
  return (remote) => {
    const l = ready.get(remote);
    if (l) {
      ready.delete(remote);
      return Promise.resolve(l);
    }
    return new Promise((resolve) => waiting.set(remote, resolve));
  };
}

/** Compliance-suite harness over TLS on loopback. */
export async function tlsHarness(o: HarnessOptions, version: SecureVersion): Promise<LinkHarness> {
  const pki = await testPki();
  const common = {
    maxMessageSize: o.maxMessageSize,
    minRtoMs: o.minRtoMs,
    retentionMs: o.retentionMs,
    highWaterMark: o.highWaterMark,
    minVersion: version,
    maxVersion: version,
  };
  const server = createTlsTransport(tlsOptions(pki, pki.nodes[0], common));
  const clients = [pki.nodes[1], pki.nodes[2]].map((n) =>
    createTlsTransport(tlsOptions(pki, n, common)),
  );
  const listener = await server.listen({ host: '127.0.0.1', port: 0 });
  const next = acceptQueue(listener);
  const links: Link[] = [];
  let k = 0;
  return {
    async pair() {
      const client = await clients[k++ % 2].connect(listener.address, {
        expectedNodeId: pki.nodes[0].nodeId,
      });
      const server = await next(formatAddress(client.localAddress));
      links.push(client, server);
      return { client, server };
    },
    async close() {
      links.forEach((l) => l.close());
      await listener.close();
    },
  };
}
