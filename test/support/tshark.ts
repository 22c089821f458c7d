/**
 * Shared plumbing of the Wireshark checks (design.md: "Wireshark's RELOAD dissector is the
 * independent reference") that capture real TLS links: capture loopback with dumpcap, decrypt
 * the capture with an SSLKEYLOGFILE key log (`tshark -z follow,tls,raw,N`), split each
 * direction's plaintext into §6.6.2 framing-header frames, re-wrap the frames as plain TCP
 * port 6084 packets (test/wire/pcap.ts) and read the dissector's fields back.
 * Used by packages/link/test/tshark.int.test.ts and test/e2e/wireshark.int.test.ts; the tools
 * (dumpcap, tshark) are checked by the tests themselves with `requireTool`.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import type { FramedMessage } from '@reload/wire';
import { FramedMessageCodec, Reader, encodeToBytes } from '@reload/wire';
import type { PcapPacket } from '../wire/pcap.js';

const run = promisify(execFile);

/** A running dumpcap capture. */
export interface Capture {
  /** Waits 300 ms for the last packets (ACK frames), stops dumpcap and waits for its exit. */
  stop(): Promise<void>;
}

/**
 * Starts dumpcap (tshark's capture engine, quicker to start than tshark) on the loopback
 * interface with the capture filter `filter`, writing pcapng to `file`. Resolves once dumpcap
 * says "Capturing on" plus 1 s (its filter goes live just after the message); rejects when it
 * exits or has not started within 15 s.
 */
export async function startCapture(filter: string, file: string): Promise<Capture> {
  const cap = spawn('dumpcap', ['-i', 'lo', '-f', filter, '-w', file], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let capErr = '';
  try {
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
  } catch (e) {
    if (cap.exitCode === null) cap.kill('SIGKILL');
    throw e;
  }
  await new Promise((r) => setTimeout(r, 1000));
  return {
    async stop() {
      await new Promise((r) => setTimeout(r, 300));
      if (cap.exitCode !== null) return;
      const exited = new Promise((r) => cap.once('exit', r));
      cap.kill('SIGINT');
      await exited;
    },
  };
}

/** The TCP stream indexes (`tcp.stream`) present in capture `file`, ascending. */
export async function tcpStreams(file: string): Promise<string[]> {
  const out = await run('tshark', ['-r', file, '-T', 'fields', '-e', 'tcp.stream'], {
    maxBuffer: 64 << 20,
  });
  const ids = out.stdout.split('\n').filter((l) => l.trim() !== '');
  return [...new Set(ids)].sort((x, y) => Number(x) - Number(y));
}

/** One decrypted TLS stream: `a` sent by the node that spoke first, `b` by the other one. */
export interface TlsStream {
  /** tshark's display filter of the stream, e.g. `tcp.stream eq 0`. */
  stream: string;
  a: Buffer;
  b: Buffer;
}

/** Each TLS stream of `tshark -z follow,tls,raw,N` output: the two directions' plaintext. */
export function parseFollows(text: string): TlsStream[] {
  const out: TlsStream[] = [];
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

/**
 * Decrypts TCP streams `ids` of capture `file` with the TLS key log `keylog` (NSS key log
 * format, as SSLKEYLOGFILE writes it) and returns each stream's plaintext, in `ids` order.
 */
export async function followTls(file: string, keylog: string, ids: string[]): Promise<TlsStream[]> {
  const follow = await run(
    'tshark',
    [
      '-r',
      file,
      '-o',
      `tls.keylog_file:${keylog}`,
      '-q',
      ...ids.flatMap((i) => ['-z', `follow,tls,raw,${i}`]),
    ],
    { maxBuffer: 256 << 20 },
  );
  return parseFollows(follow.stdout);
}

/** The §6.6.2 frames of one direction's plaintext; throws if it is not whole frames. */
export function framesOf(stream: Buffer): FramedMessage[] {
  const r = new Reader(stream);
  const out: FramedMessage[] = [];
  while (r.remaining > 0) out.push(FramedMessageCodec.decode(r));
  return out;
}

/**
 * Re-wraps frames for the RELOAD dissector: conversation k (the two directions' frames of one
 * TLS stream) becomes one plain TCP conversation between port 30000+k and port 6084, one
 * packet per frame with running sequence numbers: first the direction that starts with a data
 * frame (the dissector learns the conversation from it; a lone ACK frame opening a stream is
 * not dissected), then the other direction as the replies. Returns the packets and, at the
 * same index, the frame each one carries.
 */
export function rewrap(conversations: [FramedMessage[], FramedMessage[]][]): {
  packets: PcapPacket[];
  frames: FramedMessage[];
} {
  const packets: PcapPacket[] = [];
  const frames: FramedMessage[] = [];
  conversations.forEach((conversation, k) => {
    const dirs =
      conversation[0][0]?.type !== 128 ? [conversation[1], conversation[0]] : conversation;
    const port = 30_000 + k;
    dirs.forEach((direction, d) => {
      let seq = 1;
      for (const f of direction) {
        const payload = encodeToBytes(FramedMessageCodec, f);
        packets.push(
          d === 0
            ? { payload, srcPort: port, seq }
            : { payload, srcPort: 6084, dstPort: port, seq },
        );
        frames.push(f);
        seq += payload.length;
      }
    });
  });
  return { packets, frames };
}

/**
 * The fields the Wireshark checks read, in this order: framing type (128 data, 129 ACK), RELOAD
 * message code, the malformed-packet marker and the expert infos' messages.
 */
export const RELOAD_FIELDS = [
  'reload_framing.type',
  'reload.message.code',
  '_ws.malformed',
  '_ws.expert.message',
];

/**
 * The dissector's view of capture `file`: `tshark -T fields` with one `-e` per entry of
 * `fields` (default RELOAD_FIELDS), one row per packet, one string per field ('' when absent;
 * several occurrences of one field are joined by ',').
 */
export async function dissect(file: string, fields = RELOAD_FIELDS): Promise<string[][]> {
  const out = await run(
    'tshark',
    ['-r', file, '-T', 'fields', ...fields.flatMap((f) => ['-e', f]), '-E', 'separator=|'],
    { maxBuffer: 64 << 20 },
  );
  return out.stdout
    .trimEnd()
    .split('\n')
    .map((l) => l.split('|'));
}
