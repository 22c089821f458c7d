/**
 * Link-layer benchmark (issue 5): over one TLS 1.3 link on loopback,
 *  - throughput of 1 KiB messages echoed by the peer, against a bare node:tls socket echo of
 *    the same payloads in the same run (target ≥ 50 %);
 *  - round-trip time of one message at a time, p50 (target < 1 ms) and p99;
 *  - heap cost of an idle established link (target < 64 KiB), from N idle links.
 *
 * Run: `npx tsx bench/link/link.ts [messages] [idleLinks]`
 */
import { once } from 'node:events';
import { cpus } from 'node:os';
import * as tls from 'node:tls';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  createTlsTransport,
  formatAddress,
  trustStoreVerifier,
  type Link,
  type TlsTransportOptions,
} from '../../packages/link/src/index.js';
import {
  createCa,
  createTrustStore,
  generateKeyPair,
  issueCertificateForKey,
  privateKeyToPem,
  randomNodeId,
  toPem,
} from '../../packages/security/src/index.js';

const MESSAGES = Number(process.argv[2] ?? 100_000);
const IDLE_LINKS = Number(process.argv[3] ?? 500);
const SIZE = 1024;
const OVERLAY = 'bench.example.org';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** A 1 KiB RELOAD-looking message (relo_token, forwarding-header length). */
function payload(): Uint8Array {
  const m = new Uint8Array(SIZE);
  const dv = new DataView(m.buffer);
  dv.setUint32(0, 0xd2454c4f);
  dv.setUint32(16, SIZE);
  for (let i = 20; i < SIZE; i++) m[i] = i & 0xff;
  return m;
}

async function identities() {
  const ca = await createCa({ subject: `CN=${OVERLAY}`, keyAlgorithm: 'ecdsa-p256' });
  const make = async () => {
    const k = generateKeyPair('ecdsa-p256');
    const nodeId = randomNodeId();
    const der = await issueCertificateForKey({
      ca,
      nodeIds: [nodeId],
      overlay: OVERLAY,
      username: 'bench',
      publicKey: k.publicKey,
    });
    return { cert: toPem(der), key: privateKeyToPem(k.privateKey), nodeId };
  };
  const store = createTrustStore({ rootCerts: [ca.certificate], overlay: OVERLAY });
  return {
    caPem: toPem(ca.certificate),
    a: await make(),
    b: await make(),
    verifier: trustStoreVerifier(store),
  };
}

type Ids = Awaited<ReturnType<typeof identities>>;

function linkOptions(ids: Ids, who: 'a' | 'b'): TlsTransportOptions {
  return {
    cert: ids[who].cert,
    key: ids[who].key,
    ca: [ids.caPem],
    verifier: ids.verifier,
    maxMessageSize: 5000,
    minVersion: 'TLSv1.3',
    keyLogFile: null,
    highWaterMark: 256 * 1024,
  };
}

async function linkPair(ids: Ids) {
  const server = createTlsTransport(linkOptions(ids, 'b'));
  const listener = await server.listen({ host: '127.0.0.1', port: 0 });
  const accepted = new Map<string, Link>();
  listener.on('link', (l) => accepted.set(formatAddress(l.remoteAddress), l));
  const client = createTlsTransport(linkOptions(ids, 'a'));
  return {
    listener,
    async connect(): Promise<{ c: Link; s: Link }> {
      const c = await client.connect(listener.address);
      const key = formatAddress(c.localAddress);
      while (!accepted.has(key)) await new Promise((r) => setImmediate(r));
      const s = accepted.get(key)!;
      accepted.delete(key);
      return { c, s };
    },
  };
}

/** Echo throughput over the link: msgs/s. */
async function linkThroughput(ids: Ids, n: number): Promise<number> {
  const p = await linkPair(ids);
  const { c, s } = await p.connect();
  s.on('message', (m) => s.send(m));
  const msg = payload();
  let got = 0;
  const done = new Promise<void>((resolve) =>
    c.on('message', () => {
      if (++got === n) resolve();
    }),
  );
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    if (!c.send(msg)) await once(c, 'drain');
  }
  await done;
  const dt = performance.now() - t0;
  c.close();
  await p.listener.close();
  return (n / dt) * 1000;
}

async function bareServer(ids: Ids) {
  const server = tls.createServer({
    cert: ids.b.cert,
    key: ids.b.key,
    ca: ids.caPem,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.3',
  });
  server.on('secureConnection', (s) => {
    s.setNoDelay(true);
    s.pipe(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const sock = tls.connect({
    host: '127.0.0.1',
    port,
    cert: ids.a.cert,
    key: ids.a.key,
    ca: ids.caPem,
    checkServerIdentity: () => undefined,
  });
  await once(sock, 'secureConnect');
  sock.setNoDelay(true);
  return { server, sock };
}

/**
 * Echo throughput over a bare TLS socket: one write per 1 KiB payload, msgs/s. With
 * `corked`, writes of one event-loop turn are coalesced (cork/uncork), as the link batches.
 */
async function bareThroughput(ids: Ids, n: number, corked = false): Promise<number> {
  const { server, sock } = await bareServer(ids);
  const msg = Buffer.from(payload());
  const total = n * SIZE;
  let got = 0;
  const done = new Promise<void>((resolve) =>
    sock.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= total) resolve();
    }),
  );
  const t0 = performance.now();
  let isCorked = false;
  for (let i = 0; i < n; i++) {
    if (corked && !isCorked) {
      sock.cork();
      isCorked = true;
      process.nextTick(() => {
        isCorked = false;
        sock.uncork();
      });
    }
    if (!sock.write(msg)) await once(sock, 'drain');
  }
  await done;
  const dt = performance.now() - t0;
  sock.destroy();
  server.close();
  return (n / dt) * 1000;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function linkRtt(ids: Ids, n: number): Promise<number[]> {
  const p = await linkPair(ids);
  const { c, s } = await p.connect();
  s.on('message', (m) => s.send(m));
  const msg = payload();
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const got = once(c, 'message');
    c.send(msg);
    await got;
    out.push(performance.now() - t0);
  }
  c.close();
  await p.listener.close();
  return out;
}

async function bareRtt(ids: Ids, n: number): Promise<number[]> {
  const { server, sock } = await bareServer(ids);
  const msg = Buffer.from(payload());
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    let got = 0;
    await new Promise<void>((resolve) => {
      const on = (d: Buffer) => {
        got += d.length;
        if (got >= SIZE) {
          sock.off('data', on);
          resolve();
        }
      };
      sock.on('data', on);
      sock.write(msg);
    });
    out.push(performance.now() - t0);
  }
  sock.destroy();
  server.close();
  return out;
}

async function idleHeap(ids: Ids, n: number): Promise<{ perEndpoint: number; perPair: number }> {
  const p = await linkPair(ids);
  // Warm up code paths so that compiled code does not count.
  const warm = await p.connect();
  warm.c.send(payload());
  await once(warm.s, 'message');
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 50));
      gc();
    }
  };
  await settle();
  const before = process.memoryUsage().heapUsed;
  const pairs: { c: Link; s: Link }[] = [];
  for (let i = 0; i < n; i++) {
    const pair = await p.connect();
    pair.c.send(payload()); // established and used once, then idle
    pairs.push(pair);
  }
  await new Promise((r) => setTimeout(r, 200));
  await settle();
  const after = process.memoryUsage().heapUsed;
  const perPair = (after - before) / n;
  for (const { c } of pairs) c.close();
  warm.c.close();
  await p.listener.close();
  return { perEndpoint: perPair / 2, perPair };
}

async function main(): Promise<void> {
  const ids = await identities();
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, node ${process.version}`);
  // Warm-up round, then measured rounds alternating, best of three each.
  await linkThroughput(ids, 5000);
  await bareThroughput(ids, 5000);
  const link: number[] = [];
  const bare: number[] = [];
  const corked: number[] = [];
  for (let r = 0; r < 3; r++) {
    bare.push(await bareThroughput(ids, MESSAGES));
    corked.push(await bareThroughput(ids, MESSAGES, true));
    link.push(await linkThroughput(ids, MESSAGES));
  }
  const lb = Math.max(...link);
  const bb = Math.max(...bare);
  const cb = Math.max(...corked);
  console.log(`throughput, ${MESSAGES} × 1 KiB echoed, TLS 1.3 loopback (best of 3):`);
  console.log(
    `  bare node:tls echo : ${bb.toFixed(0)} msg/s (${((bb * SIZE) / 1e6).toFixed(1)} MB/s)`,
  );
  console.log(
    `  RELOAD TLS link    : ${lb.toFixed(0)} msg/s (${((lb * SIZE) / 1e6).toFixed(1)} MB/s)`,
  );
  console.log(
    `  bare, corked/turn  : ${cb.toFixed(0)} msg/s (${((cb * SIZE) / 1e6).toFixed(1)} MB/s)`,
  );
  console.log(`  ratio link / bare  : ${((lb / bb) * 100).toFixed(0)} % (target ≥ 50 %)`);
  console.log(`  ratio link / corked: ${((lb / cb) * 100).toFixed(0)} %`);
  const lr = await linkRtt(ids, 5000);
  const br = await bareRtt(ids, 5000);
  console.log('round trip of one 1 KiB message (5000 sequential):');
  console.log(
    `  link: p50 ${pct(lr, 50).toFixed(3)} ms, p99 ${pct(lr, 99).toFixed(3)} ms (target p50 < 1 ms)`,
  );
  console.log(`  bare: p50 ${pct(br, 50).toFixed(3)} ms, p99 ${pct(br, 99).toFixed(3)} ms`);
  const mem = await idleHeap(ids, IDLE_LINKS);
  console.log(`idle established links: ${IDLE_LINKS} pairs (both ends in this process)`);
  console.log(
    `  heap per link endpoint: ${(mem.perEndpoint / 1024).toFixed(1)} KiB (target < 64 KiB)`,
  );
  console.log(`  heap per pair:          ${(mem.perPair / 1024).toFixed(1)} KiB`);
}

await main();
