/**
 * Wireshark check (design: "Wireshark's RELOAD dissector is the independent reference"): a
 * TLS link on loopback is captured with dumpcap (tshark's capture engine) while both ends
 * honour SSLKEYLOGFILE; the capture is decrypted with the key log, each direction's plaintext
 * is split into frames and re-wrapped as plain TCP port 6084 packets (test/wire/pcap.ts), and
 * the RELOAD dissector must decode the framing and the messages: message codes as sent, no
 * malformed packets, no expert errors except the known "Unknown" label of version 0x0a.
 * Capture, decryption, splitting and re-wrapping: test/support/tshark.ts.
 */
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { FramedMessage } from '@reload/wire';
import { decodeMessage } from '@reload/wire';
import { writePcap } from '../../../test/wire/pcap.js';
import {
  dissect,
  followTls,
  framesOf,
  rewrap,
  startCapture,
} from '../../../test/support/tshark.js';
import type { Link } from '../src/index.js';
import { createTlsTransport, formatAddress } from '../src/index.js';
import { requireTool, testPki } from './helpers/pki.js';
import { acceptQueue, tlsOptions } from './helpers/tls-harness.js';

const VECTORS = join(import.meta.dirname, '../../../test/vectors');

/** Golden RELOAD messages (test/vectors) and their message codes (uint16 at contents start). */
function vectors(): { name: string; bytes: Uint8Array }[] {
  return readdirSync(VECTORS)
    .filter((f) => f.endsWith('.bin'))
    .sort()
    .map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(join(VECTORS, f))) }));
}

describe('Wireshark decodes a decrypted TLS link capture', () => {
  beforeAll(() => {
    requireTool('tshark', ['--version']);
    requireTool('dumpcap', ['--version']);
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

    // Capture in the background (dumpcap).
    const cap = await startCapture(`tcp port ${port}`, pcap);

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
    await cap.stop();
    expect(statSync(keylog).size).toBeGreaterThan(0);
    expect(readFileSync(keylog, 'utf8')).toMatch(
      /^(CLIENT_HANDSHAKE_TRAFFIC_SECRET|CLIENT_RANDOM|SERVER_HANDSHAKE_TRAFFIC_SECRET|CLIENT_TRAFFIC_SECRET_0) /m,
    );

    // Decrypt and follow the TLS stream.
    const streams = await followTls(pcap, keylog, ['0']);
    expect(streams).toHaveLength(1);
    const [followed] = streams;
    const c2s = framesOf(followed.a);
    const s2c = framesOf(followed.b);
    const dataOf = (fs: FramedMessage[]) => fs.filter((f) => f.type === 128);
    expect(dataOf(c2s).map((f) => (f.type === 128 ? f.sequence : -1))).toEqual([...msgs.keys()]);
    expect(dataOf(s2c)).toHaveLength(msgs.length);
    expect(s2c.some((f) => f.type === 129)).toBe(true);

    // Re-wrap every frame as its own TCP port 6084 packet for the RELOAD dissector.
    const { packets } = rewrap([[c2s, []]]);
    const plain = join(dir, 'plain.pcap');
    writeFileSync(plain, writePcap(packets));

    const rows = await dissect(plain); // type | code | malformed | expert messages
    expect(rows).toHaveLength(packets.length);
    const sentCodes = msgs.map((m) => codeOf(m.bytes));
    const dataRows = rows.filter((r) => r[0] === '128');
    expect(dataRows.map((r) => parseInt(r[1], r[1].startsWith('0x') ? 16 : 10))).toEqual(sentCodes);
    expect(rows.filter((r) => r[0] === '129').length).toBe(packets.length - msgs.length);
    for (const r of rows) {
      expect(r[2], 'malformed packet').toBe('');
      // Expert infos other than the 0x0a "Unknown" version label are failures.
      const experts = (r[3] ?? '').split(',').filter((e) => e !== '');
      for (const e of experts) expect(e).toMatch(/version|Unknown/i);
    }
  }, 60_000);
});

/** message_code of a whole message (§6.3.3), decoded with @reload/wire. */
function codeOf(m: Uint8Array): number {
  return decodeMessage(m).messageContents.messageCode;
}
