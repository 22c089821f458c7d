/**
 * A/B comparison of two builds of @reload/wire on the bench/wire workload (workload.ts), in
 * one process: both builds run alternately, `--rounds` times (default 30) for `--ops`
 * operations each (default 5000), and the script prints the per-operation CPU time of each
 * (minimum and median over the rounds) and the median of the per-round ratios B/A. Because
 * the two builds take turns every few milliseconds, they see the same machine state; on this
 * shared VM, separate runs of codec.ts can differ by 20 % or more.
 *
 *   cp -r packages/wire /tmp/wire-before          # before a change (built), with package.json
 *   npx tsc -b packages/wire                      # after it
 *   npx tsx bench/wire/ab.ts /tmp/wire-before/dist/index.js packages/wire/dist/index.js
 *
 * Each build must sit below a package.json that says `"type": "module"` (copy the whole
 * package, not just dist/): otherwise tsx transpiles it to CommonJS, whose getter-based
 * exports make it ≈ 1.5–2× slower, and the script refuses.
 *
 * Options: `--mode both|encode|decode` (default both: encode then decode-and-read, the
 * codec.ts operation), `--rounds N`, `--ops N`. Not part of `pnpm test`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type * as Wire from '@reload/wire';
import type { WireWorkload, wireWorkload } from './workload.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    mode: { type: 'string', default: 'both' },
    rounds: { type: 'string', default: '30' },
    ops: { type: 'string', default: '5000' },
  },
});
if (positionals.length !== 2 || !['both', 'encode', 'decode'].includes(values.mode)) {
  console.error(
    'usage: npx tsx bench/wire/ab.ts A/index.js B/index.js [--mode both|encode|decode]',
  );
  process.exit(2);
}
const rounds = Number(values.rounds);
const ops = Number(values.ops);

/** Exits (2) unless the nearest package.json above `path` says `"type": "module"`. */
function requireEsm(path: string): void {
  for (let dir = dirname(resolve(path)); ; dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      if ((JSON.parse(readFileSync(pkg, 'utf8')) as { type?: string }).type === 'module') return;
      break;
    }
    if (dirname(dir) === dir) break;
  }
  console.error(`${path}: no package.json with "type": "module" above it.`);
  console.error('Copy the whole package (cp -r packages/wire /tmp/wire-before), not only dist/.');
  process.exit(2);
}

/**
 * Loads build `path` with its own instance of workload.ts (`?copy` in the URL): closures made
 * by one function literal share their type feedback in V8, so one shared workload would make
 * every call site in it polymorphic across the two builds and slow both down.
 */
async function load(path: string, copy: string): Promise<WireWorkload> {
  const url = new URL(`./workload.ts?${copy}`, import.meta.url).href;
  const mod = (await import(url)) as { wireWorkload: typeof wireWorkload };
  return mod.wireWorkload((await import(pathToFileURL(resolve(path)).href)) as typeof Wire);
}
positionals.forEach(requireEsm);
const [a, b] = [await load(positionals[0], 'a'), await load(positionals[1], 'b')];

let sink = 0;
const mode = values.mode as 'both' | 'encode' | 'decode';
/** `n` operations of the chosen mode on workload `w` (its own loop). */
function run(w: WireWorkload, sample: Uint8Array, n: number): void {
  sink += w.repeat(mode, n, sample);
}
/** CPU time (user + system, all threads) per operation in ns. */
function timed(w: WireWorkload, sample: Uint8Array): number {
  const start = process.cpuUsage();
  run(w, sample, ops);
  const d = process.cpuUsage(start);
  return ((d.user + d.system) * 1000) / ops;
}

const sa = a.encode().slice();
const sb = b.encode().slice();
for (let i = 0; i < 4; i++) {
  run(a, sa, ops); // warm-up (JIT) for both, interleaved
  run(b, sb, ops);
}
const ta: number[] = [];
const tb: number[] = [];
for (let r = 0; r < rounds; r++) {
  ta.push(timed(a, sa));
  tb.push(timed(b, sb));
}
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[xs.length >> 1];
const ratios = ta.map((x, i) => tb[i] / x);
const fmt = (xs: number[]): string =>
  `min ${Math.min(...xs).toFixed(0)} ns, median ${median(xs).toFixed(0)} ns`;
console.log(`mode ${values.mode}, ${rounds} rounds × ${ops} operations per build, alternating`);
console.log(`A ${positionals[0]}: ${fmt(ta)}`);
console.log(`B ${positionals[1]}: ${fmt(tb)}`);
console.log(`B/A: median ${median(ratios).toFixed(3)} (${sink > 0 ? 'checked' : ''})`);
