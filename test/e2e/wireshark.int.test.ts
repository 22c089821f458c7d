/**
 * End-to-end Wireshark check (issue 8, design.md "Wireshark's RELOAD dissector is the
 * independent reference"): a 3-peer overlay (the built demo, `node scripts/demo.js --peers 3`)
 * runs with SSLKEYLOGFILE while dumpcap captures its peers' TLS links on loopback. The capture
 * is decrypted with the key log, each TLS stream's plaintext (`-z follow,tls,raw,N`) is split
 * into §6.6.2 framing-header frames, every frame is re-wrapped as its own plain TCP port 6084
 * packet (test/wire/pcap.ts), and Wireshark's RELOAD dissector must decode Attach, Join,
 * Update, Store and Fetch requests and answers with the message codes we sent, with no
 * malformed packet and no expert info (its "Unknown" label of version 0x0a aside).
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FramedMessageCodec,
  MessageCode,
  Reader,
  decodeMessage,
  encodeToBytes,
} from '@reload/wire';
import type { FramedMessage } from '@reload/wire';
import { requireTool } from '../../packages/link/test/helpers/pki.js';
import { type PcapPacket, writePcap } from '../wire/pcap.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const run = promisify(execFile);
const CODE_NAME = new Map<number, string>(
  Object.entries(MessageCode).map(([name, code]) => [code, name]),
);

/** A free block of `n` consecutive TCP ports on 127.0.0.1 below the ephemeral range. */
async function freePorts(n: number): Promise<number> {
  const tryBind = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    let ok = true;
    for (let i = 0; i < n && ok; i++) ok = await tryBind(base + i);
    if (ok) return base;
  }
  throw new Error('no block of free ports found');
}

/** Each TLS stream of `tshark -z follow,tls,raw,N` output: the two directions' plaintext. */
function parseFollows(text: string): { stream: string; a: Buffer; b: Buffer }[] {
  const out: { stream: string; a: Buffer; b: Buffer }[] = [];
  for (const block of text.split(/={10,}/)) {
    const filter = /^Filter: (.*)$/m.exec(block);
    if (!filter) continue;
    const a: Buffer[] = [];
    const b: Buffer[] = [];
    for (const line of block.split('\n')) {
      if (/^(Follow|Filter|Node \d):/.test(line)) continue;
      const hex = line.trim();
      if (hex === '' || !/^[0-9a-fA-F]+$/.test(hex)) continue;
      (line.startsWith('\t') ? b : a).push(Buffer.from(hex, 'hex'));
    }
    out.push({ stream: filter[1], a: Buffer.concat(a), b: Buffer.concat(b) });
  }
  return out;
}

/** The §6.6.2 frames of one direction's plaintext. */
function framesOf(stream: Buffer): FramedMessage[] {
  const r = new Reader(stream);
  const out: FramedMessage[] = [];
  while (r.remaining > 0) out.push(FramedMessageCodec.decode(r));
  return out;
}

let dir = '';
let keylog = '';
let pcap = '';
let demoStderr = '';
let demoReport:
  { ok: boolean; error?: string; dataDir: string; peers: { listen: string }[] } | undefined;

beforeAll(async () => {
  requireTool('tshark', ['--version']);
  requireTool('dumpcap', ['--version']);
  dir = mkdtempSync(join(tmpdir(), 'reload-e2e-wireshark-'));
  keylog = join(dir, 'keys.log');
  pcap = join(dir, 'links.pcapng');
  const base = await freePorts(3);

  const cap = spawn(
    'dumpcap',
    ['-i', 'lo', '-f', `tcp portrange ${base}-${base + 2}`, '-w', pcap],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
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
  await new Promise((r) => setTimeout(r, 1000)); // the filter goes live just after the message

  try {
    const r = await run(
      process.execPath,
      [join(ROOT, 'scripts/demo.js'), '--json', '--peers', '3', '--base-port', String(base)],
      {
        cwd: ROOT,
        env: { ...process.env, SSLKEYLOGFILE: keylog },
        timeout: 90_000,
        maxBuffer: 16 << 20,
      },
    );
    demoStderr = r.stderr;
    demoReport = JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as typeof demoReport;
  } catch (e) {
    const x = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`the 3-peer demo failed: ${x.message}\n${x.stderr ?? ''}\n${x.stdout ?? ''}`);
  } finally {
    await new Promise((r) => setTimeout(r, 300)); // last ACK frames
    const exited = new Promise((r) => cap.once('exit', r));
    cap.kill('SIGINT');
    await exited;
  }
}, 120_000);

afterAll(() => {
  // RELOAD_E2E_KEEP=1 keeps the capture, key log and re-wrapped frames for a look in Wireshark.
  if (process.env.RELOAD_E2E_KEEP) console.log(`capture kept in ${dir}`);
  else if (dir) rmSync(dir, { recursive: true, force: true });
  if (demoReport?.dataDir) rmSync(demoReport.dataDir, { recursive: true, force: true });
});

describe('Wireshark decodes the decrypted links of a 3-peer overlay', () => {
  it('ran the overlay on the captured ports with TLS keys logged', () => {
    expect(demoReport?.ok, `${demoReport?.error}\n${demoStderr}`).toBe(true);
    expect(demoReport?.peers).toHaveLength(3);
    expect(statSync(keylog).size).toBeGreaterThan(0);
    expect(readFileSync(keylog, 'utf8')).toMatch(/^CLIENT_TRAFFIC_SECRET_0 /m);
  });

  it('Attach, Join, Update, Store and Fetch requests and answers decode without errors', async () => {
    const streams = (
      await run('tshark', ['-r', pcap, '-T', 'fields', '-e', 'tcp.stream'], { maxBuffer: 64 << 20 })
    ).stdout
      .split('\n')
      .filter((l) => l.trim() !== '');
    const ids = [...new Set(streams)].sort((x, y) => Number(x) - Number(y));
    expect(ids.length).toBeGreaterThanOrEqual(2);
    const follow = await run(
      'tshark',
      [
        '-r',
        pcap,
        '-o',
        `tls.keylog_file:${keylog}`,
        '-q',
        ...ids.flatMap((i) => ['-z', `follow,tls,raw,${i}`]),
      ],
      { maxBuffer: 256 << 20 },
    );
    const followed = parseFollows(follow.stdout);
    expect(followed).toHaveLength(ids.length);

    // Every direction of every stream must be whole §6.6.2 frames (decryption worked). Each
    // TLS stream becomes one plain TCP conversation to port 6084: first the direction that
    // starts with a data frame (the dissector learns the conversation from it; a lone ACK
    // frame opening a stream is not dissected), then the other direction as the replies.
    const packets: PcapPacket[] = [];
    const sentCodes: number[] = [];
    followed.forEach((s, k) => {
      let dirs = [framesOf(s.a), framesOf(s.b)];
      if (dirs[0][0]?.type !== 128) dirs = [dirs[1], dirs[0]];
      const port = 30_000 + k;
      dirs.forEach((frames, d) => {
        let seq = 1;
        for (const f of frames) {
          const payload = encodeToBytes(FramedMessageCodec, f);
          packets.push(
            d === 0
              ? { payload, srcPort: port, seq }
              : { payload, srcPort: 6084, dstPort: port, seq },
          );
          seq += payload.length;
          sentCodes.push(
            f.type === 128 ? decodeMessage(f.message).messageContents.messageCode : -1,
          );
        }
      });
    });
    expect(sentCodes.filter((c) => c >= 0).length).toBeGreaterThan(20);
    const names = new Set(sentCodes.filter((c) => c >= 0).map((c) => CODE_NAME.get(c)));
    for (const m of ['attach', 'join', 'update', 'store', 'fetch'])
      for (const x of ['req', 'ans'])
        expect(names, `${m}_${x} in the capture`).toContain(`${m}_${x}`);

    const plain = join(dir, 'frames.pcap');
    writeFileSync(plain, writePcap(packets));
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
        '_ws.expert.message',
        '-E',
        'separator=|',
      ],
      { maxBuffer: 64 << 20 },
    );
    const rows = fields.stdout
      .trimEnd()
      .split('\n')
      .map((l) => l.split('|'));
    expect(rows).toHaveLength(packets.length);
    rows.forEach(([type, code, malformed, expert = ''], i) => {
      const want = sentCodes[i];
      expect(type, `frame ${i + 1} framing type`).toBe(want >= 0 ? '128' : '129');
      if (want >= 0) expect(Number(code), `frame ${i + 1}: ${CODE_NAME.get(want)}`).toBe(want);
      expect(malformed, `frame ${i + 1} (${CODE_NAME.get(want) ?? 'ack'}) malformed`).toBe('');
      for (const e of expert.split(',').filter((x) => x !== ''))
        expect(e, `frame ${i + 1} (${CODE_NAME.get(want) ?? 'ack'}) expert info`).toMatch(
          /version|Unknown/i,
        );
    });

    // The verbose dissection: nothing malformed, no expert info, "Unknown" only for 0x0a.
    const verbose = (await run('tshark', ['-r', plain, '-V'], { maxBuffer: 512 << 20 })).stdout;
    expect(verbose).not.toMatch(/Malformed|Expert Info/);
    for (const l of verbose.split('\n').filter((x) => x.includes('Unknown')))
      expect(l.trim()).toBe('version (uint8): Unknown (0x0a)');
  }, 60_000);
});
