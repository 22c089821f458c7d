/**
 * The byte stream under a TLS link (RFC 6940 §6.6, §6.6.2): arbitrary read boundaries,
 * max-message-size, and garbage after a valid handshake — which closes only the offending
 * link, with a logged reason, and never the process or the other links.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Link, LinkCloseInfo, LinkListener, LinkRefusal, OversizeInfo } from '../src/index.js';
import { createTlsTransport, formatAddress, writeDataFrameHeader } from '../src/index.js';
import { tagOf, testMessage } from './helpers/messages.js';
import type { TestPki } from './helpers/pki.js';
import { testPki } from './helpers/pki.js';
import { acceptQueue, recordingLogger, tlsOptions } from './helpers/tls-harness.js';

const MAX = 5000;
let pki: TestPki;
let listener: LinkListener;
let accept: (remote: string) => Promise<Link>;
const log = recordingLogger();
let good: { client: Link; server: Link };

beforeAll(async () => {
  pki = await testPki();
  const server = createTlsTransport(
    tlsOptions(pki, pki.nodes[0], { logger: log, maxMessageSize: MAX }),
  );
  listener = await server.listen({ host: '127.0.0.1', port: 0 });
  accept = acceptQueue(listener);
  const client = await createTlsTransport(tlsOptions(pki, pki.nodes[2])).connect(listener.address);
  good = { client, server: await accept(formatAddress(client.localAddress)) };
});

afterAll(async () => {
  good.client.close();
  await listener.close();
});

/** A raw TLS connection with a valid overlay certificate, and the server's link for it. */
async function raw(): Promise<{ sock: tls.TLSSocket; link: Link }> {
  const id = pki.nodes[1];
  const sock = tls.connect({
    host: '127.0.0.1',
    port: listener.address.port,
    cert: id.certPem,
    key: id.keyPem,
    ca: pki.caPem,
    checkServerIdentity: () => undefined,
  });
  sock.on('error', () => undefined);
  await new Promise((r) => sock.once('secureConnect', r));
  const link = await accept(`${sock.localAddress}:${sock.localPort}`);
  return { sock, link };
}

function frame(seq: number, msg: Uint8Array, declared = msg.length): Buffer {
  const f = Buffer.alloc(8 + msg.length);
  writeDataFrameHeader(f, 0, seq, declared);
  f.set(msg, 8);
  return f;
}

async function goodLinkStillWorks(): Promise<void> {
  const got = new Promise<Uint8Array>((r) => good.server.once('message', r));
  good.client.send(testMessage(100, 4242));
  expect(tagOf(await got)).toBe(4242);
  expect(good.server.state).toBe('open');
}

describe('TLS link stream handling', () => {
  it('assembles a frame written one byte per TCP segment', async () => {
    const { sock, link } = await raw();
    sock.setNoDelay(true);
    const got = new Promise<Uint8Array>((r) => link.once('message', r));
    const f = frame(0, testMessage(300, 1));
    for (let i = 0; i < f.length; i += 1) {
      sock.write(f.subarray(i, i + 1));
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    expect(tagOf(await got)).toBe(1);
    sock.destroy();
  });

  it('delivers many frames written in one TLS record, and one at max-message-size', async () => {
    const { sock, link } = await raw();
    const got: number[] = [];
    link.on('message', (m) => got.push(tagOf(m)));
    const frames = Array.from({ length: 50 }, (_, i) =>
      frame(i, testMessage(i === 49 ? MAX : 40 + i, i)),
    );
    sock.write(Buffer.concat(frames));
    const end = Date.now() + 5000;
    while (got.length < 50 && Date.now() < end) await new Promise((r) => setTimeout(r, 5));
    expect(got).toEqual([...Array(50).keys()]);
    sock.destroy();
  });

  it('discards a message over max-message-size, reports it, and keeps the link (§6.6)', async () => {
    const { sock, link } = await raw();
    const tooBig = new Promise<OversizeInfo>((r) => link.once('messageTooLarge', r));
    const next = new Promise<Uint8Array>((r) => link.once('message', r));
    sock.write(Buffer.concat([frame(0, testMessage(MAX + 1, 1)), frame(1, testMessage(60, 2))]));
    const info = await tooBig;
    expect(info.length).toBe(MAX + 1);
    expect(info.prefix.length).toBe(MAX);
    expect(tagOf(await next)).toBe(2);
    expect(link.state).toBe('open');
    expect(log.lines.some((l) => l.msg?.includes('max-message-size'))).toBe(true);
    sock.destroy();
  });

  const garbage: [string, () => Buffer][] = [
    ['random bytes', () => Buffer.concat([Buffer.from([0x17]), randomBytes(500)])],
    // A valid-looking frame whose length disagrees with the message inside.
    ['a frame with a bogus length', () => frame(0, testMessage(300, 1), 256)],
    // A huge length followed by junk.
    ['a huge frame of junk', () => frame(0, randomBytes(MAX + 100), 0xffffff)],
    // Good frame, then garbage: the first message is delivered, then the link closes.
    [
      'a valid frame followed by garbage',
      () => Buffer.concat([frame(0, testMessage(50, 9)), Buffer.from([0x99, 0x98, 0x97, 0x96])]),
    ],
  ];
  it('refuses a peer that does not speak TLS at all, and keeps serving', async () => {
    const refused = new Promise<LinkRefusal>((r) => listener.once('refused', r));
    const sock = connect(listener.address.port, '127.0.0.1');
    sock.on('error', () => undefined);
    await new Promise((r) => sock.once('connect', r));
    sock.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const r = await refused;
    expect(r.code).toBe('TLS_HANDSHAKE_FAILED');
    expect(r.role).toBe('server');
    sock.destroy();
    await goodLinkStillWorks();
  });

  for (const [what, bytes] of garbage) {
    it(`closes only the offending link on ${what}, with a logged reason`, async () => {
      const { sock, link } = await raw();
      const closed = new Promise<LinkCloseInfo>((r) => link.once('close', r));
      const sockClosed = new Promise((r) => sock.once('close', r));
      sock.write(bytes());
      const info = await closed;
      expect(info.reason).toBe('FRAMING_ERROR');
      expect(info.error?.message).toBeTruthy();
      await sockClosed;
      expect(
        log.lines.some(
          (l) =>
            l.level === 'warn' &&
            (l.obj as { link?: string; reason?: string }).link === link.id &&
            (l.obj as { reason?: string }).reason === 'FRAMING_ERROR',
        ),
      ).toBe(true);
      await goodLinkStillWorks();
    });
  }
});
