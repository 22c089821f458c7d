/**
 * Independent check of our wire format with Wireshark's RELOAD dissector (design.md): each
 * golden vector, wrapped in a §6.6.2 framing-header data frame on TCP port 6084, must be
 * named with the right message code and transaction id, with no malformed packet and no
 * expert info. The one accepted quirk: the dissector labels version 0x0a "Unknown".
 * The §6.7 fragment layout is checked too: fragments of store_req must be reassembled by the
 * dissector into the Store Request.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MessageCode,
  decodeForwardingHeader,
  decodeMessage,
  encodeDataFrame,
  fragmentMessage,
} from '@reload/wire';
import { type PcapPacket, writePcap } from './pcap.js';

const vectorsDir = fileURLToPath(new URL('../vectors/', import.meta.url));
const NAMES = Object.keys(MessageCode).filter(
  (n) => n !== 'invalidMessageCode' && !n.startsWith('exp_'),
);

let dir = '';
function tshark(args: string[]): string {
  return execFileSync('tshark', args, {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
function pcapOf(packets: PcapPacket[], name: string): string {
  const file = join(dir, name);
  writeFileSync(file, writePcap(packets));
  return file;
}

beforeAll(() => {
  const probe = spawnSync('tshark', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'tshark (Wireshark) is required for this test and was not found: apt-get install -y tshark',
    );
  }
  dir = mkdtempSync(join(tmpdir(), 'reload-tshark-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("Wireshark's RELOAD dissector reads our golden vectors", () => {
  it('names every message code and transaction id, without expert info or malformed packets', () => {
    const messages = NAMES.map((n) => new Uint8Array(readFileSync(`${vectorsDir}${n}.bin`)));
    const file = pcapOf(
      messages.map((m, i) => ({ payload: encodeDataFrame(i, m), srcPort: 40000 + i })),
      'vectors.pcap',
    );
    // one pass for the fields, including any expert message or malformed marker
    const rows = tshark([
      '-r',
      file,
      '-T',
      'fields',
      '-e',
      'frame.number',
      '-e',
      'reload.message.code',
      '-e',
      'reload.forwarding.trans_id',
      '-e',
      '_ws.expert.message',
      '-e',
      '_ws.malformed',
    ])
      .trim()
      .split('\n')
      .map((l) => l.split('\t'));
    expect(rows).toHaveLength(NAMES.length);
    rows.forEach(([frame, code, tid, expert = '', malformed = ''], i) => {
      const m = decodeMessage(messages[i]);
      expect(Number(code), `frame ${frame} (${NAMES[i]})`).toBe(
        MessageCode[NAMES[i] as keyof typeof MessageCode],
      );
      expect(BigInt(tid), `frame ${frame}`).toBe(m.forwardingHeader.transactionId);
      expect(expert, `expert info in frame ${frame} (${NAMES[i]})`).toBe('');
      expect(malformed, `malformed frame ${frame} (${NAMES[i]})`).toBe('');
    });

    const verbose = tshark(['-r', file, '-V']);
    expect(verbose).not.toMatch(/Malformed|Expert Info/);
    const unknown = verbose.split('\n').filter((l) => l.includes('Unknown'));
    for (const l of unknown) expect(l.trim()).toBe('version (uint8): Unknown (0x0a)');
    expect(unknown).toHaveLength(NAMES.length);
  });

  it('reassembles our §6.7 fragments of store_req into the Store Request', () => {
    const whole = new Uint8Array(readFileSync(`${vectorsDir}store_req.bin`));
    const frags = fragmentMessage(whole, 700);
    expect(frags.length).toBeGreaterThan(2);
    let seq = 1;
    const packets = frags.map((f, i) => {
      const payload = encodeDataFrame(i, f);
      const p = { payload, srcPort: 41000, seq };
      seq += payload.length;
      return p;
    });
    const file = pcapOf(packets, 'fragments.pcap');
    const verbose = tshark(['-r', file, '-V']);
    expect(verbose).not.toMatch(/Malformed|Expert Info/);
    const dataLength = whole.length - decodeForwardingHeader(whole).headerLength;
    expect(verbose).toContain(`[${frags.length} RELOAD fragments (${dataLength} bytes)`);
    expect(verbose).toMatch(/message_code \(uint16\): 7 \(store_req\)/);
  });

  it('does flag a corrupted message (the check can fail)', () => {
    const bad = new Uint8Array(readFileSync(`${vectorsDir}store_req.bin`));
    // StoredData.length (after header 57 bytes, contents 2+4, resource 17, replica 1,
    // kind_data len 4, kind 4, generation 8, values len 4): make it run past the end
    const view = new DataView(bad.buffer, bad.byteOffset);
    const h = decodeMessage(bad).headerLength;
    const at = h + 2 + 4 + 17 + 1 + 4 + 4 + 8 + 4;
    view.setUint32(at, view.getUint32(at) + 1000);
    const file = pcapOf([{ payload: encodeDataFrame(0, bad), srcPort: 42000 }], 'bad.pcap');
    const flagged = tshark([
      '-r',
      file,
      '-Y',
      '_ws.expert || _ws.malformed',
      '-T',
      'fields',
      '-e',
      'frame.number',
    ]).trim();
    expect(flagged).toBe('1');
  });
});
