/**
 * End-to-end Wireshark check (issue 8, design.md "Wireshark's RELOAD dissector is the
 * independent reference"): a 3-peer overlay (the built demo, `node scripts/demo.js --peers 3`)
 * runs with SSLKEYLOGFILE while dumpcap captures its peers' TLS links on loopback. The capture
 * is decrypted with the key log, each TLS stream's plaintext (`-z follow,tls,raw,N`) is split
 * into §6.6.2 framing-header frames, every frame is re-wrapped as its own plain TCP port 6084
 * packet (test/wire/pcap.ts), and Wireshark's RELOAD dissector must decode Attach, Join,
 * Update, Store and Fetch requests and answers with the message codes we sent, with no
 * malformed packet and no expert info (its "Unknown" label of version 0x0a aside).
 * Capture, decryption, splitting and re-wrapping: test/support/tshark.ts.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageCode, decodeMessage } from '@reload/wire';
import { requireTool } from '../../packages/link/test/helpers/pki.js';
import { writePcap } from '../wire/pcap.js';
import {
  dissect,
  followTls,
  framesOf,
  rewrap,
  startCapture,
  tcpStreams,
} from '../support/tshark.js';

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

  const cap = await startCapture(`tcp portrange ${base}-${base + 2}`, pcap);

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
    await cap.stop();
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
    const ids = await tcpStreams(pcap);
    expect(ids.length).toBeGreaterThanOrEqual(2);
    const followed = await followTls(pcap, keylog, ids);
    expect(followed).toHaveLength(ids.length);

    // Every direction of every stream must be whole §6.6.2 frames (decryption worked). Each
    // TLS stream becomes one plain TCP conversation to port 6084 (rewrap).
    const { packets, frames } = rewrap(followed.map((s) => [framesOf(s.a), framesOf(s.b)]));
    const sentCodes = frames.map((f) =>
      f.type === 128 ? decodeMessage(f.message).messageContents.messageCode : -1,
    );
    expect(sentCodes.filter((c) => c >= 0).length).toBeGreaterThan(20);
    const names = new Set(sentCodes.filter((c) => c >= 0).map((c) => CODE_NAME.get(c)));
    for (const m of ['attach', 'join', 'update', 'store', 'fetch'])
      for (const x of ['req', 'ans'])
        expect(names, `${m}_${x} in the capture`).toContain(`${m}_${x}`);

    const plain = join(dir, 'frames.pcap');
    writeFileSync(plain, writePcap(packets));
    const rows = await dissect(plain);
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
