/**
 * Wireshark check (design: "Wireshark's RELOAD dissector is the independent reference"): a
 * TLS link on loopback is captured with dumpcap (tshark's capture engine) while both ends
 * honour SSLKEYLOGFILE; the capture is decrypted with the key log, each direction's plaintext
 * is split into frames and re-wrapped as plain TCP port 6084 packets (text2pcap), and the
 * RELOAD dissector must decode the framing and the messages: message codes as sent, no
 * malformed packets, no expert errors except the known "Unknown" label of version 0x0a.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FramedMessage } from '@reload/wire';
import { FramedMessageCodec, Reader, decodeMessage, encodeToBytes } from '@reload/wire';
import type { Link } from '../src/index.js';
import { createTlsTransport, formatAddress } from '../src/index.js';
import { requireTool, testPki } from './helpers/pki.js';
import { acceptQueue, tlsOptions } from './helpers/tls-harness.js';

const run = promisify(execFile);
const VECTORS = join(import.meta.dirname, '../../../test/vectors');

/** Golden RELOAD messages (test/vectors) and their message codes (uint16 at contents start). */
function vectors(): { name: string; bytes: Uint8Array }[] {
  return readdirSync(VECTORS)
    .filter((f) => f.endsWith('.bin'))
    .sort()
    .map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(join(VECTORS, f))) }));
}

/** Parses `tshark -z follow,tls,raw,N` output into the two directions' bytes. */
function parseFollow(text: string): { fromClient: Buffer; fromServer: Buffer } {
  const a: Buffer[] = [];
  const b: Buffer[] = [];
  const body = text.split(/={10,}/)[1] ?? '';
  for (const line of body.split('\n')) {
    if (/^(Follow|Filter|Node \d):/.test(line) || line.trim() === '') continue;
    const hex = line.trim();
    if (!/^[0-9a-fA-F]+$/.test(hex)) continue;
    (line.startsWith('\t') ? b : a).push(Buffer.from(hex, 'hex'));
  }
  return { fromClient: Buffer.concat(a), fromServer: Buffer.concat(b) };
}

function frames(stream: Buffer): FramedMessage[] {
  const r = new Reader(stream);
  const out: FramedMessage[] = [];
  while (r.remaining > 0) out.push(FramedMessageCodec.decode(r));
  return out;
}

/** text2pcap input: one packet per frame, as an offset-prefixed hex dump. */
function hexdump(packets: Uint8Array[]): string {
  return packets
    .map((p) => {
      const lines: string[] = [];
      for (let i = 0; i < p.length; i += 16) {
        const row = [...p.subarray(i, i + 16)].map((x) => x.toString(16).padStart(2, '0'));
        lines.push(`${i.toString(16).padStart(6, '0')} ${row.join(' ')}`);
      }
      return lines.join('\n') + '\n';
    })
    .join('\n');
}

describe('Wireshark decodes a decrypted TLS link capture', () => {
  beforeAll(() => {
    requireTool('tshark', ['--version']);
    requireTool('dumpcap', ['--version']);
    requireTool('text2pcap', ['--version']);
  });

  it('framing and every golden message decode with their message codes', async () => {
    const pki = await testPki();
    const dir = mkdtempSync(join(tmpdir(), 'reload-link-tshark-'));
    const keylog = join(dir, 'keys.log');
    const pcap = join(dir, 'tls.pcapng');
    const opts = { keyLogFile: keylog, maxMessageSize: 64 * 1024 };
    const server = createTlsTransport(tlsOptions(pki, pki.nodes[0], opts));
    const listener = await server.listen({ host: '127.0.0.1', port: 0 });
    const accept = acceptQueue(listener);
    const port = listener.address.port;

    // Capture in the background (dumpcap, tshark's capture engine, starts faster than
    // tshark); wait until it says it is capturing.
    const cap = spawn('dumpcap', ['-i', 'lo', '-f', `tcp port ${port}`, '-w', pcap], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let capErr = '';
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`dumpcap did not start: ${capErr}`)), 15_000);
      cap.stderr.on('data', (d: Buffer) => {
        capErr += d.toString();
        if (capErr.includes('Capturing on')) {
          clearTimeout(t);
          resolve();
        }
      });
      cap.on('exit', () => reject(new Error(`dumpcap exited: ${capErr}`)));
    });
    // dumpcap reports "Capturing on" slightly before its filter is live.
    await new Promise((r) => setTimeout(r, 1000));

    const msgs = vectors();
    expect(msgs.length).toBeGreaterThan(10);
    const client = await createTlsTransport(tlsOptions(pki, pki.nodes[1], opts)).connect(
      listener.address,
    );
    const srv: Link = await accept(formatAddress(client.localAddress));
    let echoed = 0;
    srv.on('message', (m) => srv.send(m));
    client.on('message', () => echoed++);
    for (const m of msgs) client.send(m.bytes);
    const end = Date.now() + 10_000;
    while ((echoed < msgs.length || client.rtt().samples === 0) && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(echoed).toBe(msgs.length);
    await new Promise((r) => setTimeout(r, 100)); // let the last ACKs out
    client.close();
    await srv.closed;
    await listener.close();
    await new Promise((r) => setTimeout(r, 300));
    const exited = new Promise((r) => cap.once('exit', r));
    cap.kill('SIGINT');
    await exited;
    expect(statSync(keylog).size).toBeGreaterThan(0);
    expect(readFileSync(keylog, 'utf8')).toMatch(
      /^(CLIENT_HANDSHAKE_TRAFFIC_SECRET|CLIENT_RANDOM|SERVER_HANDSHAKE_TRAFFIC_SECRET|CLIENT_TRAFFIC_SECRET_0) /m,
    );

    // Decrypt and follow the TLS stream.
    const follow = await run(
      'tshark',
      ['-r', pcap, '-o', `tls.keylog_file:${keylog}`, '-q', '-z', 'follow,tls,raw,0'],
      { maxBuffer: 64 << 20 },
    );
    const { fromClient, fromServer } = parseFollow(follow.stdout);
    const c2s = frames(fromClient);
    const s2c = frames(fromServer);
    const dataOf = (fs: FramedMessage[]) => fs.filter((f) => f.type === 128);
    expect(dataOf(c2s).map((f) => (f.type === 128 ? f.sequence : -1))).toEqual([...msgs.keys()]);
    expect(dataOf(s2c)).toHaveLength(msgs.length);
    expect(s2c.some((f) => f.type === 129)).toBe(true);

    // Re-wrap every frame as its own TCP port 6084 packet for the RELOAD dissector.
    const packets = c2s.map((f) => encodeToBytes(FramedMessageCodec, f));
    const txt = join(dir, 'frames.txt');
    const plain = join(dir, 'plain.pcap');
    writeFileSync(txt, hexdump(packets));
    await run('text2pcap', ['-q', '-T', '40000,6084', txt, plain]);

    const fields = await run(
      'tshark',
      [
        '-r',
        plain,
        '-T',
        'fields',
        '-e',
        'reload_framing.type',
        '-e',
        'reload.message.code',
        '-e',
        '_ws.malformed',
        '-e',
        '_ws.expert.severity',
        '-e',
        '_ws.expert.message',
        '-E',
        'separator=|',
      ],
      { maxBuffer: 16 << 20 },
    );
    const rows = fields.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('|'));
    expect(rows).toHaveLength(packets.length);
    const sentCodes = msgs.map((m) => codeOf(m.bytes));
    const dataRows = rows.filter((r) => r[0] === '128');
    expect(dataRows.map((r) => parseInt(r[1], r[1].startsWith('0x') ? 16 : 10))).toEqual(sentCodes);
    expect(rows.filter((r) => r[0] === '129').length).toBe(packets.length - msgs.length);
    for (const r of rows) {
      expect(r[2], 'malformed packet').toBe('');
      // Expert infos other than the 0x0a "Unknown" version label are failures.
      const experts = (r[4] ?? '').split(',').filter((e) => e !== '');
      for (const e of experts) expect(e).toMatch(/version|Unknown/i);
    }
  }, 60_000);
});

/** message_code of a whole message (§6.3.3), decoded with @reload/wire. */
function codeOf(m: Uint8Array): number {
  return decodeMessage(m).messageContents.messageCode;
}
