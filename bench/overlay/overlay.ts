/**
 * Overlay benchmark (issue 6): N RELOAD peers (default 100) over TLS-TCP-FH-NO-ICE on loopback
 * in one process (packages/overlay/test/helpers.ts `makeOverlay`: real ECDSA P-256 certificates
 * from an overlay CA, every message signed and verified), joining one at a time through a random
 * member.
 *
 * Measures
 *  - time until all joined and the ring converged (every successor and predecessor right);
 *    target ≤ 60 s for 100 peers;
 *  - Pings and RouteQuerys to random Resource-IDs from random peers, one at a time: p50 / p99
 *    latency (targets ≤ 10 ms / ≤ 50 ms), share answered by the responsible peer (target 100 %),
 *    mean and max overlay hops beside ½·log2 N and log2 N + 2;
 *  - idle memory after a GC: RSS / N and heap / N (target < 5 MiB per peer), both as the
 *    process total divided by N and as the growth over the empty process divided by N.
 *
 * Run: `npx tsx bench/overlay/overlay.ts [peers=100] [pings=1000] [routeQueries=300]`
 * (re-executes itself with `--conditions=@reload/source` so the workspace sources are used).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { IncomingResponse, Peer } from '@reload/overlay';

if (!process.execArgv.some((a) => a.includes('@reload/source'))) {
  const r = spawnSync(
    process.execPath,
    ['--conditions=@reload/source', ...process.execArgv, ...process.argv.slice(1)],
    { stdio: 'inherit' },
  );
  process.exit(r.status ?? 1);
}

const N = Number(process.argv[2] ?? 100);
const PINGS = Number(process.argv[3] ?? 1000);
const ROUTE_QUERIES = Number(process.argv[4] ?? 300);
const MiB = 1024 * 1024;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function settle(): Promise<{ rss: number; heap: number }> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 200));
  }
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed };
}

async function main(): Promise<void> {
  const { MessageCode, chordRouteQueryAnsCodec, decodeExact, encodeToBytes, routeQueryReqCodec } =
    await import('@reload/wire');
  const { makeOverlay, ringErrors, waitFor } =
    await import('../../packages/overlay/test/helpers.js');
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
  const base = await settle();

  console.log(
    `overlay bench: ${N} peers over TLS on loopback, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ` +
      `Node ${process.version}, load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
  );
  const tIds = performance.now();
  const o = await makeOverlay(N, { reliabilityTimerMs: 3000 }, false, 'tls');
  const idsMs = performance.now() - tIds;

  const t0 = performance.now();
  const first = await o.spawn(0);
  first.createOverlay();
  let seed = 6;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  for (let i = 1; i < N; i++) {
    const p = await o.spawn(i);
    await p.join(o.peers[rand(i)].address, 60_000);
  }
  const joinedMs = performance.now() - t0;
  await waitFor(() => ringErrors(o.peers).length === 0, 120_000, 'ring convergence');
  const convergedMs = performance.now() - t0;

  const peers: Peer[] = o.peers;
  const responsibleFor = (k: Uint8Array): Peer | undefined =>
    peers.find((p) => p.chord.isResponsible(k));

  async function run(
    count: number,
    send: (from: Peer, target: Uint8Array) => Promise<IncomingResponse>,
    check: (res: IncomingResponse, target: Uint8Array) => boolean,
  ): Promise<{ lat: number[]; hops: number[]; ok: number; wrong: number; failed: number }> {
    const lat: number[] = [];
    const hops: number[] = [];
    let ok = 0;
    let wrong = 0;
    let failed = 0;
    for (let k = 0; k < count; k++) {
      const target = randomBytes(16);
      const from = peers[rand(N)];
      const t = performance.now();
      try {
        const res = await send(from, target);
        lat.push(performance.now() - t);
        hops.push(res.hops);
        if (check(res, target)) ok++;
        else wrong++;
      } catch {
        failed++;
      }
    }
    lat.sort((a, b) => a - b);
    return { lat, hops, ok, wrong, failed };
  }

  const isResponder = (res: IncomingResponse, target: Uint8Array): boolean =>
    !!res.signer.nodeId &&
    hex(res.signer.nodeId) === hex(responsibleFor(target)?.nodeId ?? new Uint8Array(0));
  const pings = await run(
    PINGS,
    (from, target) => from.ping({ kind: 'resource', resourceId: target }),
    isResponder,
  );
  const rq = await run(
    ROUTE_QUERIES,
    (from, target) =>
      from.request({
        destinationList: [{ kind: 'resource', resourceId: target }],
        messageCode: MessageCode.route_query_req,
        body: encodeToBytes(routeQueryReqCodec(16), {
          sendUpdate: false,
          destination: { kind: 'resource', resourceId: target },
          overlaySpecificData: new Uint8Array(0),
        }),
      }),
    (res, target) =>
      isResponder(res, target) &&
      hex(decodeExact(chordRouteQueryAnsCodec(16), res.body).nextPeer) === hex(res.signer.nodeId!),
  );

  await new Promise((r) => setTimeout(r, 2000));
  const idle = await settle();
  const links = peers.reduce((s, p) => s + p.links.size, 0);

  const log2n = Math.log2(N);
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const rows: [string, string, string][] = [
    ['identities (ECDSA P-256 keys + certificates)', `${(idsMs / 1000).toFixed(1)} s`, ''],
    ['all joined', `${(joinedMs / 1000).toFixed(1)} s`, ''],
    ['all joined and ring converged', `${(convergedMs / 1000).toFixed(1)} s`, '≤ 60 s'],
  ];
  for (const [name, r] of [
    ['Ping', pings],
    ['RouteQuery', rq],
  ] as const) {
    const total = r.ok + r.wrong + r.failed;
    rows.push(
      [
        `${name} p50 latency (${total} requests)`,
        `${percentile(r.lat, 50).toFixed(2)} ms`,
        '≤ 10 ms',
      ],
      [`${name} p99 latency`, `${percentile(r.lat, 99).toFixed(2)} ms`, '≤ 50 ms'],
      [
        `${name} answered by the responsible peer`,
        `${((100 * r.ok) / total).toFixed(1)} % (${r.wrong} wrong, ${r.failed} failed)`,
        '100 %',
      ],
      [
        `${name} hops mean / max`,
        `${mean(r.hops).toFixed(2)} / ${Math.max(...r.hops)}`,
        `½·log2 N = ${(log2n / 2).toFixed(2)}; bounds ${(log2n / 2 + 1).toFixed(2)} / ${(log2n + 2).toFixed(2)}`,
      ],
    );
  }
  rows.push(
    ['links (both ends counted) / peer', (links / N).toFixed(1), ''],
    ['idle RSS / N (process total)', `${(idle.rss / N / MiB).toFixed(2)} MiB`, '< 5 MiB'],
    ['idle RSS growth / N', `${((idle.rss - base.rss) / N / MiB).toFixed(2)} MiB`, '< 5 MiB'],
    ['idle heap / N (process total)', `${(idle.heap / N / MiB).toFixed(2)} MiB`, ''],
    ['idle heap growth / N', `${((idle.heap - base.heap) / N / MiB).toFixed(2)} MiB`, ''],
  );
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  console.log(`\n${'measure'.padEnd(w0)} | ${'result'.padEnd(w1)} | target`);
  console.log(`${'-'.repeat(w0)}-|-${'-'.repeat(w1)}-|-------`);
  for (const r of rows) console.log(`${r[0].padEnd(w0)} | ${r[1].padEnd(w1)} | ${r[2]}`);
  console.log(
    `\nload average after the run: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  await o.close();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
