/**
 * Mutual authentication of TLS-TCP-FH-NO-ICE links (RFC 6940 §4.1, §6.6.5): refusals with
 * their logged reasons, and what `openssl s_client` sees.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FramedMessage } from '@reload/wire';
import { FramedMessageCodec, Reader } from '@reload/wire';
import type { Link, LinkListener, LinkRefusal, TlsTransport } from '../src/index.js';
import { createTlsTransport, formatAddress } from '../src/index.js';
import { tagOf, testMessage } from './helpers/messages.js';
import type { TestIdentity, TestPki } from './helpers/pki.js';
import { requireTool, testPki, testVerifier } from './helpers/pki.js';
import { recordingLogger, tlsOptions } from './helpers/tls-harness.js';

let pki: TestPki;
let server: TlsTransport;
let listener: LinkListener;
const log = recordingLogger();
const refusals: LinkRefusal[] = [];
const accepted: Link[] = [];

beforeAll(async () => {
  pki = await testPki();
  server = createTlsTransport(tlsOptions(pki, pki.nodes[0], { logger: log }));
  listener = await server.listen({ host: '127.0.0.1', port: 0 });
  listener.on('refused', (r) => refusals.push(r));
  listener.on('link', (l) => {
    accepted.push(l);
    l.on('message', (m) => l.send(m)); // echo
  });
});

afterAll(async () => {
  accepted.forEach((l) => l.close());
  await listener.close();
});

async function nextRefusal(): Promise<LinkRefusal> {
  const n = refusals.length;
  const end = Date.now() + 5000;
  while (refusals.length === n) {
    if (Date.now() > end) throw new Error('no refusal');
    await new Promise((r) => setTimeout(r, 5));
  }
  return refusals[refusals.length - 1];
}

/** Connects with `identity` (TLS-layer checks of the server still on) and returns the outcome. */
async function connectAs(identity: TestIdentity, version: tls.SecureVersion) {
  const t = createTlsTransport(
    tlsOptions(pki, identity, { minVersion: version, maxVersion: version }),
  );
  try {
    const link = await t.connect(listener.address);
    // TLS 1.3: the client finishes before the server has judged its certificate.
    const info = await link.closed;
    return { connected: true, closeReason: info.reason };
  } catch (err) {
    return { connected: false, code: (err as { code?: unknown }).code };
  }
}

describe('TLS link refusals (server side), TLS 1.2 and 1.3', () => {
  const cases: [string, (p: TestPki) => TestIdentity, string][] = [
    ['a certificate of another CA', (p) => p.foreign, 'CERT_UNTRUSTED'],
    ['an expired certificate', (p) => p.expired, 'CERT_EXPIRED'],
    ['a self-signed certificate (not permitted)', (p) => p.selfSigned, 'SELF_SIGNED_NOT_PERMITTED'],
    ['a certificate on the bad-node list', (p) => p.bad, 'BAD_NODE'],
  ];
  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    for (const [what, who, code] of cases) {
      it(`${version}: refuses ${what} with ${code}, logged with the reason`, async () => {
        const logged = log.lines.length;
        const refusal = nextRefusal();
        const outcome = await connectAs(who(pki), version);
        const r = await refusal;
        expect(r.code).toBe(code);
        expect(r.role).toBe('server');
        expect(r.remoteAddress.host).toBe('127.0.0.1');
        expect(
          log.lines
            .slice(logged)
            .some((l) => l.level === 'warn' && (l.obj as { code?: string }).code === code),
        ).toBe(true);
        // The client never gets a usable link.
        if (outcome.connected) expect(outcome.closeReason).not.toBe('LOCAL_CLOSE');
      });
    }
  }

  it('refuses a client without a certificate: NO_PEER_CERT', async () => {
    const refusal = nextRefusal();
    const sock = tls.connect({
      host: '127.0.0.1',
      port: listener.address.port,
      ca: pki.caPem,
      checkServerIdentity: () => undefined,
    });
    sock.on('error', () => undefined);
    await new Promise((r) => sock.once('close', r));
    expect((await refusal).code).toBe('NO_PEER_CERT');
  });

  it('accepts a permitted self-signed peer and learns its key-derived Node-ID', async () => {
    const t = createTlsTransport(
      tlsOptions(pki, pki.nodes[1], {
        selfSignedPermitted: true,
        verifier: testVerifier(pki, { selfSignedPermitted: true }),
      }),
    );
    const l = await t.listen({ host: '127.0.0.1', port: 0 });
    const got = new Promise<Link>((r) => l.once('link', r));
    const self = createTlsTransport(
      tlsOptions(pki, pki.selfSigned, {
        selfSignedPermitted: true,
        verifier: testVerifier(pki, { selfSignedPermitted: true }),
      }),
    );
    const link = await self.connect(l.address, { expectedNodeId: pki.nodes[1].nodeId });
    const s = await got;
    expect(s.remoteNodeIds).toEqual([pki.selfSigned.nodeId]);
    link.close();
    await l.close();
  });
});

describe('TLS link refusals (client side)', () => {
  it('refuses a server whose certificate lacks the expected Node-ID: NODE_ID_MISMATCH', async () => {
    const clog = recordingLogger();
    const t = createTlsTransport(tlsOptions(pki, pki.nodes[1], { logger: clog }));
    await expect(
      t.connect(listener.address, { expectedNodeId: pki.nodes[2].nodeId }),
    ).rejects.toMatchObject({ code: 'NODE_ID_MISMATCH' });
    expect(clog.lines.some((l) => (l.obj as { code?: string }).code === 'NODE_ID_MISMATCH')).toBe(
      true,
    );
  });

  it('refuses a server certified by another CA: CERT_UNTRUSTED', async () => {
    const evil = createTlsTransport(tlsOptions(pki, pki.foreign, { ca: [pki.otherCaPem] }));
    const l = await evil.listen({ host: '127.0.0.1', port: 0 });
    l.on('refused', () => undefined);
    const t = createTlsTransport(tlsOptions(pki, pki.nodes[1]));
    await expect(t.connect(l.address)).rejects.toMatchObject({ code: 'CERT_UNTRUSTED' });
    await l.close();
  });

  it('connects and learns the Node-ID when it matches', async () => {
    const t = createTlsTransport(tlsOptions(pki, pki.nodes[1]));
    const link = await t.connect(listener.address, { expectedNodeId: pki.nodes[0].nodeId });
    expect(link.remoteNodeIds).toEqual([pki.nodes[0].nodeId]);
    expect(link.remoteChain[0]).toEqual(pki.nodes[0].der);
    expect(formatAddress(link.remoteAddress)).toBe(formatAddress(listener.address));
    link.send(testMessage(100, 77));
    const [echo] = (await once(link, 'message')) as [Uint8Array];
    expect(tagOf(echo)).toBe(77);
    link.close();
  });
});

/** Runs `openssl s_client`, writes `input`, collects stdout bytes and stderr text. */
function sClient(
  args: string[],
  input: Uint8Array,
  waitMs: number,
): Promise<{ code: number | null; out: Buffer; err: string }> {
  return new Promise((resolve) => {
    const c = spawn('openssl', [
      's_client',
      '-connect',
      `127.0.0.1:${listener.address.port}`,
      '-CAfile',
      pki.caFile,
      '-verify_return_error',
      '-quiet',
      '-no_ign_eof',
      ...args,
    ]);
    const out: Buffer[] = [];
    let err = '';
    c.stdout.on('data', (d: Buffer) => out.push(d));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.stdin.on('error', () => undefined);
    c.stdin.write(input);
    const t = setTimeout(() => c.stdin.end(), waitMs);
    c.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, out: Buffer.concat(out), err });
    });
  });
}

describe('openssl s_client against the TLS link', () => {
  beforeAll(() => requireTool('openssl'));
  const frame = (() => {
    const m = testMessage(64, 5);
    const f = Buffer.alloc(8 + m.length);
    f[0] = 128;
    f.writeUInt32BE(0, 1);
    f.writeUIntBE(m.length, 5, 3);
    f.set(m, 8);
    return f;
  })();

  for (const v of ['-tls1_2', '-tls1_3']) {
    it(`${v}: with an overlay certificate the handshake succeeds and frames flow`, async () => {
      const id = pki.nodes[1];
      const r = await sClient([v, '-cert', id.certFile, '-key', id.keyFile], frame, 1500);
      // The link ACKs our frame (ack_sequence 0) and echoes the message in data frame 0.
      const frames: FramedMessage[] = [];
      const rd = new Reader(r.out);
      while (rd.remaining > 0) frames.push(FramedMessageCodec.decode(rd));
      expect(frames).toContainEqual({ type: 129, ackSequence: 0, received: 0 });
      expect(frames).toContainEqual({ type: 128, sequence: 0, message: frame.subarray(8) });
      expect(frames).toHaveLength(2);
      expect(r.code).toBe(0);
    });

    it(`${v}: without a client certificate the handshake fails`, async () => {
      const refusal = nextRefusal();
      const r = await sClient([v], frame, 1500);
      expect(r.code).not.toBe(0);
      expect(r.out.length).toBe(0);
      expect(r.err).toMatch(/alert (certificate required|handshake failure)/);
      expect((await refusal).code).toBe('NO_PEER_CERT');
    });

    it(`${v}: with another CA's certificate the server refuses it`, async () => {
      const refusal = nextRefusal();
      const r = await sClient(
        [v, '-cert', pki.foreign.certFile, '-key', pki.foreign.keyFile],
        frame,
        1500,
      );
      expect(r.code).not.toBe(0);
      expect(r.out.length).toBe(0);
      expect((await refusal).code).toBe('CERT_UNTRUSTED');
    });
  }
});

describe('SSLKEYLOGFILE', () => {
  it('is honoured by default and written by both the client and the server socket', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reload-link-keylog-'));
    const serverLog = join(dir, 'server.log');
    const clientLog = join(dir, 'client.log');
    const saved = process.env.SSLKEYLOGFILE;
    try {
      // Default from the environment (keyLogFile left undefined).
      process.env.SSLKEYLOGFILE = serverLog;
      const s = createTlsTransport(tlsOptions(pki, pki.nodes[0], { keyLogFile: undefined }));
      process.env.SSLKEYLOGFILE = clientLog;
      const c = createTlsTransport(tlsOptions(pki, pki.nodes[1], { keyLogFile: undefined }));
      const l = await s.listen({ host: '127.0.0.1', port: 0 });
      const got = new Promise<Link>((r) => l.once('link', r));
      const link = await c.connect(l.address);
      await got;
      link.close();
      await l.close();
      for (const f of [serverLog, clientLog]) {
        const text = readFileSync(f, 'utf8');
        // NSS key log format, TLS 1.3 labels, one secret per line.
        expect(text).toMatch(/^CLIENT_HANDSHAKE_TRAFFIC_SECRET [0-9a-f]{64} [0-9a-f]+$/m);
        expect(text).toMatch(/^CLIENT_TRAFFIC_SECRET_0 [0-9a-f]{64} [0-9a-f]+$/m);
        expect(text).toMatch(/^SERVER_TRAFFIC_SECRET_0 /m);
      }
    } finally {
      if (saved === undefined) delete process.env.SSLKEYLOGFILE;
      else process.env.SSLKEYLOGFILE = saved;
    }
  });
});
