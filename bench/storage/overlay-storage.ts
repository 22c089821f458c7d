/**
 * Storage benchmark (issue 7): 100 RELOAD peers over TLS on loopback in one process
 * (packages/overlay/test/helpers.ts `makeOverlay`: real ECDSA P-256 certificates from an
 * overlay CA, every message signed and verified, every value signed per §7.1, storage on
 * memory-level), then OPS Stores of 1 KiB values from random peers, each owner storing under
 * a name its Kind's policy allows (USER-MATCH: `user<i>@…`, NODE-MATCH: its Node-ID), then one
 * Fetch of every stored value from another random peer, at most CONCURRENCY operations in
 * flight. Prints p50/p99 latency (ms), success rate and ops/s; then runs the same workload
 * against OpenDHT (bench/storage/opendht_bench.py, Debian python3-opendht, /usr/bin/python3)
 * and prints both side by side with the ratio.
 *
 * Targets: Store and Fetch p50 ≤ 10 ms, p99 ≤ 50 ms, success 100 %; our p50 within 3× of
 * OpenDHT's.
 *
 * Run: `npx tsx --conditions=@reload/source bench/storage/overlay-storage.ts [ops=2000]
 *   [concurrency=8] [peers=100] [--reload-only] [--memo-x509]` (never part of `pnpm test`).
 */
import { spawnSync } from 'node:child_process';
import { type KeyObject, X509Certificate, randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { fetchValues, storeValues, type Peer, type ValueInput } from '@reload/overlay';
import type { StoredDataModel, StoredDataSpecifier } from '@reload/wire';
import {
  KINDS,
  OVERLAY,
  type TestOverlay,
  makeOverlay,
  ringErrors,
  waitFor,
} from '../../packages/overlay/test/helpers.js';

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
/** `--reload-only`: skip the OpenDHT run (for profiling). */
const RELOAD_ONLY = process.argv.includes('--reload-only');
/**
 * `--memo-x509`: experiment only — memoizes X509Certificate.verify per (certificate, key) in
 * this process, to measure what caching issuer-signature checks in @reload/security's trust
 * store would save. Not a fix; off by default.
 */
const MEMO_X509 = process.argv.includes('--memo-x509');
const OPS = Number(args[0] ?? 2000);
const CONCURRENCY = Number(args[1] ?? 8);
const PEERS = Number(args[2] ?? 100);
const VALUE_SIZE = 1024;
const PYTHON = '/usr/bin/python3';
const here = dirname(fileURLToPath(import.meta.url));

/** Latency summary of one phase; ms. */
interface Summary {
  p50: number | null;
  p99: number | null;
  mean: number | null;
  max: number | null;
  ok: number;
  total: number;
  successRate: number;
  opsPerSec: number;
}

/** Nearest-rank percentile of an ascending list (same rule as opendht_bench.py). */
function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const k = Math.max(0, Math.min(sorted.length - 1, Math.ceil((p * sorted.length) / 100) - 1));
  return sorted[k];
}

function summarize(lat: number[], ok: number, total: number, wallMs: number): Summary {
  const s = [...lat].sort((a, b) => a - b);
  return {
    p50: percentile(s, 50),
    p99: percentile(s, 99),
    mean: s.length ? s.reduce((a, b) => a + b, 0) / s.length : null,
    max: s.length ? s[s.length - 1] : null,
    ok,
    total,
    successRate: total ? ok / total : 0,
    opsPerSec: wallMs > 0 ? total / (wallMs / 1000) : 0,
  };
}

/**
 * Runs `jobs` with at most `limit` in flight; a job resolves to its latency in ms (timed by
 * the job itself, around the request only) or false when the answer was wrong.
 */
async function runPhase(
  jobs: (() => Promise<number | false>)[],
  limit: number,
): Promise<{ summary: Summary; errors: Map<string, number> }> {
  const lat: number[] = [];
  const errors = new Map<string, number>();
  let ok = 0;
  let next = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const job = jobs[next++];
      try {
        const ms = await job();
        if (ms !== false) {
          ok++;
          lat.push(ms);
        } else errors.set('wrong value', (errors.get('wrong value') ?? 0) + 1);
      } catch (e) {
        const c = (e as { code?: unknown }).code;
        const code =
          typeof c === 'string' || typeof c === 'number' ? String(c) : (e as Error).message;
        errors.set(code, (errors.get(code) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return { summary: summarize(lat, ok, jobs.length, performance.now() - t0), errors };
}

/**
 * `n` peers over TLS on loopback, built by packages/overlay/test/helpers.ts `makeOverlay(n, {},
 * true, 'tls')` (ECDSA P-256 certificates from one overlay CA, user<i>, the test KINDS,
 * storage on memory-level) but with the peer's default housekeeping interval (5 s) instead of
 * the tests' 1 s: 100 peers' housekeeping in one process is itself a load (decision 0640).
 * Peers join one at a time through peer 0.
 */
async function makeTlsOverlay(n: number): Promise<TestOverlay> {
  // housekeepingMs undefined: createPeer's default interval.
  const o = await makeOverlay(n, {}, true, 'tls', {}, () => ({ housekeepingMs: undefined }));
  for (let i = 0; i < n; i++) {
    const peer = await o.spawn(i);
    if (i === 0) peer.createOverlay();
    else await peer.join(o.peers[0].address, 60_000);
  }
  return o;
}

/** One stored value: where it is, how to fetch it, and what must come back. */
interface Item {
  owner: number;
  reader: number;
  name: string | Uint8Array;
  kind: number;
  model: StoredDataModel;
  value: ValueInput;
  specifier: StoredDataSpecifier;
  /** Slot key: the latest Store to a slot is what a Fetch must return. */
  slot: string;
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * Builds the OPS Stores: kinds in turn — SINGLE under `user<i>` (USER-MATCH, overwritten),
 * ARRAY under the owner's Node-ID (NODE-MATCH) at the owner's next index, DICTIONARY under
 * `user<i>` (USER-MATCH) with a fresh key.
 */
function makeItems(peers: Peer[]): Item[] {
  const n = peers.length;
  const nextIndex = new Array<number>(n).fill(0);
  const items: Item[] = [];
  for (let k = 0; k < OPS; k++) {
    const owner = Math.floor(Math.random() * n);
    let reader = Math.floor(Math.random() * (n - 1));
    if (reader >= owner) reader++;
    const user = `user${owner}@${OVERLAY}`;
    const value = randomBytes(VALUE_SIZE);
    const which = k % 3;
    if (which === 0) {
      items.push({
        owner,
        reader,
        name: user,
        kind: KINDS.single.id,
        model: 'SINGLE',
        value: { model: 'SINGLE', value },
        specifier: { kind: KINDS.single.id, generation: 0n, model: 'SINGLE' },
        slot: `s${owner}`,
      });
    } else if (which === 1) {
      const index = nextIndex[owner]++;
      items.push({
        owner,
        reader,
        name: peers[owner].nodeId,
        kind: KINDS.array.id,
        model: 'ARRAY',
        value: { model: 'ARRAY', index, value },
        specifier: {
          kind: KINDS.array.id,
          generation: 0n,
          model: 'ARRAY',
          indices: [{ first: index, last: index }],
        },
        slot: `a${owner}/${index}`,
      });
    } else {
      const key = enc(`k${k}`);
      items.push({
        owner,
        reader,
        name: user,
        kind: KINDS.dict.id,
        model: 'DICTIONARY',
        value: { model: 'DICTIONARY', key, value },
        specifier: { kind: KINDS.dict.id, generation: 0n, model: 'DICTIONARY', keys: [key] },
        slot: `d${owner}/${k}`,
      });
    }
  }
  return items;
}

/** The OpenDHT figures (or why there are none: never faked). */
type OpenDhtResult =
  | {
      ok: true;
      store: Summary;
      fetch: Summary;
      fetchFirstValue: { p50: number; p99: number };
      version: string;
      setupSeconds: number;
    }
  | { ok: false; reason: string };

function runOpenDht(): OpenDhtResult {
  const script = join(here, 'opendht_bench.py');
  const r = spawnSync(
    PYTHON,
    [
      script,
      '--json',
      '--nodes',
      String(PEERS),
      '--ops',
      String(OPS),
      '--concurrency',
      String(CONCURRENCY),
    ],
    { encoding: 'utf8', timeout: 900_000, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  if (r.error) return { ok: false, reason: `${PYTHON} could not be run: ${r.error.message}` };
  const line = r.stdout.trim().split('\n').pop() ?? '';
  let out: Record<string, unknown>;
  try {
    out = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return { ok: false, reason: `opendht_bench.py exited ${r.status} without a result` };
  }
  if (typeof out.error === 'string') return { ok: false, reason: out.error };
  return { ok: true, ...(out as Omit<Extract<OpenDhtResult, { ok: true }>, 'ok'>) };
}

const f = (x: number | null | undefined, d = 2): string => (x == null ? '—' : x.toFixed(d));

async function main(): Promise<void> {
  if (MEMO_X509) {
    const memo = new WeakMap<X509Certificate, WeakMap<KeyObject, boolean>>();
    const original = X509Certificate.prototype.verify;
    X509Certificate.prototype.verify = function (this: X509Certificate, key: KeyObject): boolean {
      let m = memo.get(this);
      const known = m?.get(key);
      if (known !== undefined) return known;
      const ok = original.call(this, key);
      if (!m) memo.set(this, (m = new WeakMap()));
      m.set(key, ok);
      return ok;
    };
    console.log('experiment: X509Certificate.verify memoized (--memo-x509)');
  }
  console.log(
    `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}, ` +
      `load ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}, ${new Date().toISOString()}`,
  );
  console.log(
    `workload: ${PEERS} peers, ${OPS} Stores then ${OPS} Fetches of ${VALUE_SIZE}-byte values, concurrency ${CONCURRENCY}`,
  );

  // ---- RELOAD --------------------------------------------------------------------------
  const t0 = performance.now();
  const o = await makeTlsOverlay(PEERS);
  await waitFor(() => ringErrors(o.peers).length === 0, 120_000, 'ring convergence');
  const setupS = (performance.now() - t0) / 1000;
  console.log(`reload: ${PEERS} peers joined over TLS and converged in ${setupS.toFixed(1)} s`);

  const items = makeItems(o.peers);
  // Warm-up (not measured): one Fetch from each peer, which opens no new links but warms JIT.
  await runPhase(
    o.peers.map(
      (p, i) => () =>
        fetchValues(p, {
          name: `user${i}@${OVERLAY}`,
          kind: KINDS.single.id,
          model: 'SINGLE',
        }).then(() => 0),
    ),
    CONCURRENCY,
  );

  // Stores: two Stores to one slot (or one SINGLE) are never in flight together, so each
  // storage_time is fresh (§7.4.1.1 Error_Data_Too_Old would otherwise be the bench's fault).
  const latest = new Map<string, Uint8Array>();
  const busy = new Set<string>();
  const storeJobs = items.map((it) => async (): Promise<number> => {
    while (busy.has(`${it.owner}/${it.kind}`)) await new Promise((r) => setTimeout(r, 1));
    busy.add(`${it.owner}/${it.kind}`);
    try {
      const t = performance.now();
      await storeValues(o.peers[it.owner], { name: it.name, kind: it.kind, values: [it.value] });
      const ms = performance.now() - t;
      latest.set(it.slot, it.value.value);
      return ms;
    } finally {
      busy.delete(`${it.owner}/${it.kind}`);
    }
  });
  const hops: number[] = [];
  // Transport counters summed over all peers (retransmissions reveal answers slower than
  // the overlay reliability timer).
  const counters = (): Record<string, number> => {
    const sum: Record<string, number> = { retransmissions: 0, duplicates: 0, dropped: 0, sent: 0 };
    for (const p of o.peers) {
      const st = p.transport.stats as unknown as Record<string, unknown>;
      for (const k of Object.keys(sum)) sum[k] += typeof st[k] === 'number' ? st[k] : 0;
    }
    return sum;
  };
  const delta = (a: Record<string, number>, b: Record<string, number>): string =>
    Object.keys(a)
      .map((k) => `${k} ${b[k] - a[k]}`)
      .join(', ');
  const c0 = counters();
  const store = await runPhase(storeJobs, CONCURRENCY);
  const c1 = counters();
  const fetchJobs = items.map((it) => async (): Promise<number | false> => {
    const t = performance.now();
    const r = await fetchValues(o.peers[it.reader], {
      name: it.name,
      kind: it.kind,
      model: it.model,
      specifier: it.specifier,
    });
    const ms = performance.now() - t;
    hops.push(r.hops);
    const want = latest.get(it.slot);
    const right =
      !!want &&
      r.values.length === 1 &&
      Buffer.from(r.values[0].data.value.value.value).equals(want);
    return right ? ms : false;
  });
  const fetch = await runPhase(fetchJobs, CONCURRENCY);
  const c2 = counters();
  const meanHops = hops.reduce((a, b) => a + b, 0) / Math.max(1, hops.length);
  await o.close();

  const line = (what: string, s: Summary): string =>
    `${what.padEnd(6)} p50 ${f(s.p50).padStart(7)} ms  p99 ${f(s.p99).padStart(7)} ms  ` +
    `success ${s.ok}/${s.total} (${(s.successRate * 100).toFixed(1)} %)  ${s.opsPerSec.toFixed(0)} ops/s`;
  console.log(`\nRELOAD (TLS, signed messages and values), mean Fetch hops ${meanHops.toFixed(2)}`);
  console.log(line('Store', store.summary));
  console.log(line('Fetch', fetch.summary));
  console.log(`  transport during Stores: ${delta(c0, c1)}`);
  console.log(`  transport during Fetches: ${delta(c1, c2)}`);
  for (const [what, r] of [
    ['Store', store],
    ['Fetch', fetch],
  ] as const)
    if (r.errors.size)
      console.log(`  ${what} failures: ${JSON.stringify(Object.fromEntries(r.errors))}`);
  const verdict = (s: Summary): string =>
    `p50 ${s.p50 != null && s.p50 <= 10 ? 'ok' : 'MISSED'} (≤ 10), p99 ${s.p99 != null && s.p99 <= 50 ? 'ok' : 'MISSED'} (≤ 50), success ${s.successRate === 1 ? 'ok' : 'MISSED'} (100 %)`;
  console.log(`  targets Store: ${verdict(store.summary)}`);
  console.log(`  targets Fetch: ${verdict(fetch.summary)}`);

  // ---- OpenDHT -------------------------------------------------------------------------
  if (RELOAD_ONLY) return;
  console.log(`\nOpenDHT: running ${PYTHON} bench/storage/opendht_bench.py --json …`);
  const d = runOpenDht();
  if (!d.ok) {
    console.log(`OpenDHT comparison NOT run: ${d.reason}`);
    return;
  }
  console.log(
    `OpenDHT ${d.version} (${PEERS} DhtRunner nodes, UDP, unsigned values), set up in ${d.setupSeconds.toFixed(1)} s`,
  );
  console.log(line('put', d.store));
  console.log(line('get', d.fetch));
  console.log(
    `  get until the value first arrives: p50 ${f(d.fetchFirstValue.p50)} ms, p99 ${f(d.fetchFirstValue.p99)} ms`,
  );

  const ratio = (a: number | null, b: number | null): string =>
    a != null && b != null && b > 0 ? `${(a / b).toFixed(2)}×` : '—';
  console.log('\n               RELOAD p50   OpenDHT p50   ratio   RELOAD p99   OpenDHT p99');
  console.log(
    `Store / put   ${f(store.summary.p50).padStart(10)}   ${f(d.store.p50).padStart(11)}   ${ratio(store.summary.p50, d.store.p50).padStart(5)}   ${f(store.summary.p99).padStart(10)}   ${f(d.store.p99).padStart(11)}`,
  );
  console.log(
    `Fetch / get   ${f(fetch.summary.p50).padStart(10)}   ${f(d.fetch.p50).padStart(11)}   ${ratio(fetch.summary.p50, d.fetch.p50).padStart(5)}   ${f(fetch.summary.p99).padStart(10)}   ${f(d.fetch.p99).padStart(11)}`,
  );
  console.log(
    `Fetch / get (first value) ${f(fetch.summary.p50).padStart(10)}   ${f(d.fetchFirstValue.p50).padStart(11)}   ${ratio(fetch.summary.p50, d.fetchFirstValue.p50).padStart(5)}`,
  );
  const worst = Math.max(
    (store.summary.p50 ?? Infinity) / (d.store.p50 ?? 0),
    (fetch.summary.p50 ?? Infinity) / (d.fetch.p50 ?? 0),
  );
  console.log(
    `target: RELOAD p50 within 3× of OpenDHT's: ${worst <= 3 ? 'ok' : 'MISSED'} (worst ${worst.toFixed(2)}×)`,
  );
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
