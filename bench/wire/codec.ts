/**
 * Wire codec speed vs RSA verification (issue 2, "Speed"). Run it against the BUILT package,
 * as production does:
 *
 *   npx tsc -b packages/wire        # or `pnpm run build` for the whole repo
 *   npx tsx bench/wire/codec.ts     # no --conditions=@reload/source
 *
 * With `--conditions=@reload/source`, tsx transpiles the TypeScript sources itself (getter
 * based re-exports and all), which is not the code peers run: the script refuses to measure
 * that, and refuses a `dist/` older than `src/` (pass `--allow-source` / `--allow-stale` to
 * override, e.g. while profiling).
 *
 * Encodes and decodes a typical StoreReq message — one 1 KiB StoredData (SINGLE value,
 * private Kind 0xF0000001) signed with RSA-2048, inside a full RELOAD message with a
 * forwarding header (one via entry, a Resource-ID destination) and a SecurityBlock carrying
 * a certificate-sized blob and an RSA-2048 message signature — and compares the rate with one
 * RSA-2048 SHA-256 signature verification by node:crypto in the same run. Target: the codec
 * at least 10× faster than one verify.
 *
 * Every iteration builds a fresh Message object (as a sender does), encodes it, decodes the
 * bytes with decodeMessage and the StoreReq body with its codec in the same pass
 * (`decodeMessage(bytes, { body })`), then reads the decoded fields a receiving peer reads (so
 * nothing can be skipped or left unbuilt).
 *
 * The StoreReq body goes through @reload/wire's storeReqCodec (§7.4.1) both ways; the
 * message through encodeMessage / decodeMessage (§6.3).
 */
import { verify } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import * as wire from '@reload/wire';
import { wireWorkload } from './workload.js';

/** Refuses (exit 2) to measure the TypeScript sources or a stale build (see the header). */
function checkBuild(): void {
  const resolved = import.meta.resolve('@reload/wire');
  const allow = (flag: string): boolean => process.argv.includes(flag);
  if (!resolved.includes('/dist/')) {
    console.error(`@reload/wire resolves to ${resolved}, not to the built dist/.`);
    console.error(
      'Run without --conditions=@reload/source (build first: npx tsc -b packages/wire).',
    );
    if (!allow('--allow-source')) process.exit(2);
    return;
  }
  const pkg = fileURLToPath(new URL('..', resolved));
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true }).map((e) =>
        e.isDirectory() ? newest(`${dir}/${e.name}`) : statSync(`${dir}/${e.name}`).mtimeMs,
      ),
    );
  const built = statSync(`${pkg}dist/.tsbuildinfo`).mtimeMs;
  if (newest(`${pkg}src`) > built) {
    console.error(`${pkg}src is newer than its dist/: run npx tsc -b packages/wire first.`);
    if (!allow('--allow-stale')) process.exit(2);
  }
}
checkBuild();

const w = wireWorkload(wire);
const { dataSigInput, dataSignature, publicKey } = w;

/** Accumulated measurement of one operation over all rounds. */
interface Tally {
  ops: number;
  /** CPU time (user + system) in µs. */
  cpu: number;
  /** System (kernel) CPU time in µs. */
  system: number;
  faults: number;
}

/**
 * Runs `f` for about `ms` milliseconds of this process's CPU time, calling it `batch` times
 * between clock reads, and adds the operations and CPU time to `t`. CPU time
 * (process.cpuUsage: user + system, all threads incl. the GC's helpers), not wall time, so
 * that other load on the machine does not distort the comparison; both operations are
 * measured the same way. Returns this slice's operations per CPU-second.
 */
function slice(f: () => void, batch: number, ms: number, t: Tally): number {
  let n = 0;
  const faults = process.resourceUsage().minorPageFault;
  const start = process.cpuUsage();
  let d = process.cpuUsage(start);
  while (d.user + d.system < ms * 1000) {
    for (let i = 0; i < batch; i++) f();
    n += batch;
    d = process.cpuUsage(start); // a system call: batches keep its cost out of the rate
  }
  const used = d.user + d.system;
  t.ops += n;
  t.cpu += used;
  t.system += d.system;
  t.faults += process.resourceUsage().minorPageFault - faults;
  return n / (used / 1e6);
}

const sample = w.encode();
const back = w.decode(sample);
if (back.kindData.length !== 1 || !('values' in back.kindData[0])) throw new Error('bad decode');
let sink = 0;
const codecOp = (): void => {
  sink += w.decodeAndRead(w.encode());
};
const verifyOp = (): void => {
  if (!verify('sha256', dataSigInput, publicKey, dataSignature)) throw new Error('verify failed');
};
for (let i = 0; i < 2000; i++) codecOp(); // warm-up (JIT)
for (let i = 0; i < 200; i++) verifyOp();
// Interleaved rounds: the machine is shared, and its load changes within seconds; measuring
// codec and verify alternately in short slices exposes both to the same conditions, and the
// per-round ratios show how much the load moved.
const ROUNDS = 10;
const codecTally = { ops: 0, cpu: 0, system: 0, faults: 0 };
const rsa = { ops: 0, cpu: 0, system: 0, faults: 0 };
const ratios: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const c = slice(codecOp, 1000, 300, codecTally);
  const v = slice(verifyOp, 50, 300, rsa);
  ratios.push(c / v);
}
const codecRate = codecTally.ops / (codecTally.cpu / 1e6);
const verifyRate = rsa.ops / (rsa.cpu / 1e6);
ratios.sort((a, b) => a - b);
const median = (ratios[(ROUNDS - 1) >> 1] + ratios[ROUNDS >> 1]) / 2;
const pct = (x: number): string => `${(100 * x).toFixed(0)} %`;
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`);
console.log(
  `load average (1, 5, 15 min): ${loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')}`,
);
console.log(`StoreReq message: ${sample.length} bytes (one 1 KiB StoredData, RSA-2048 signatures)`);
console.log(
  `encode+decode StoreReq message: ${codecRate.toFixed(0)} /s (per CPU-second; kernel ` +
    `${pct(codecTally.system / codecTally.cpu)}, ${(codecTally.faults / codecTally.ops).toFixed(3)} page faults/op)`,
);
console.log(`RSA-2048 SHA-256 verify (node:crypto): ${verifyRate.toFixed(0)} /s (per CPU-second)`);
console.log(
  `ratio codec / verify: ${(codecRate / verifyRate).toFixed(1)}× overall, per round ` +
    `${ratios[0].toFixed(1)}–${ratios[ROUNDS - 1].toFixed(1)}× (median ${median.toFixed(1)}×) ` +
    `(target ≥ 10×)${sink < 0 ? '' : ''}`,
);
