/**
 * CHORD-RELOAD state-machine benchmark: N peers join one at a time in one process over the
 * in-memory bus of packages/chord/test/sim.ts (fake clock, no sockets, no crypto), then
 * lookups, 20% graceful leaves and 10% crashes. Prints wall-clock cost, message counts, hop
 * statistics against ½·log2 N + 1, and the speed of nextHop().
 *
 *   npx tsx bench/chord/simulate.ts [N=100] [seed=7]
 */
import { ChordSim, ringErrors, type SimNode } from '../../packages/chord/test/sim.js';

const N = Number(process.argv[2] ?? 100);
const seed = Number(process.argv[3] ?? 7);

function lookups(sim: ChordSim, count: number) {
  const alive = sim.ringOrder();
  const hops: number[] = [];
  let wrong = 0;
  for (let i = 0; i < count; i++) {
    const from = alive[Math.floor(sim.rng() * alive.length)];
    const key = sim.randomId();
    const r = sim.lookup(from, key);
    if (!r || r.node !== sim.responsibleFor(key, alive)) wrong++;
    else hops.push(r.hops);
  }
  hops.sort((a, b) => a - b);
  const mean = hops.reduce((a, b) => a + b, 0) / hops.length;
  return { wrong, mean, p50: hops[hops.length >> 1], max: hops[hops.length - 1] };
}

const sim = new ChordSim({ seed });
const t0 = performance.now();
const first = sim.addNode();
sim.create(first);
const members: SimNode[] = [first];
let joinFake = 0;
for (let i = 1; i < N; i++) {
  const n = sim.addNode();
  const start = sim.time;
  sim.join(n, members[Math.floor(sim.rng() * members.length)]);
  if (!sim.runWhile(120_000, () => n.chord.state === 'joined')) throw new Error('join failed');
  joinFake += sim.time - start;
  sim.run(2_000);
  members.push(n);
}
sim.run(5_000);
const tJoin = performance.now() - t0;
const msgsJoin = sim.stats.messages;
const errs1 = ringErrors(sim).length;
const l1 = lookups(sim, 5_000);

const t1 = performance.now();
const order = [...members].sort(() => sim.rng() - 0.5);
for (const n of order.slice(0, Math.floor(N * 0.2))) {
  sim.leave(n);
  sim.run(1_000);
}
for (const n of order.slice(Math.floor(N * 0.2), Math.floor(N * 0.3))) {
  sim.crash(n);
  sim.run(500);
}
sim.run(1_300_000);
const tChurn = performance.now() - t1;
const errs2 = ringErrors(sim).length;
const alive = sim.ringOrder().length;
const l2 = lookups(sim, 5_000);

// nextHop throughput on one converged peer.
const peer = sim.ringOrder()[0];
const keys = Array.from({ length: 20_000 }, () => sim.ring.toBytes(sim.randomId()));
const t2 = performance.now();
for (const k of keys) peer.chord.nextHop(k);
const perHop = ((performance.now() - t2) * 1000) / keys.length;

const half = (n: number) => 0.5 * Math.log2(n) + 1;
console.log(`CHORD-RELOAD simulation, N=${N}, seed=${seed}, node ${process.version}`);
console.log(
  `join ${N} peers one at a time: ${tJoin.toFixed(0)} ms wall, ${(tJoin / N).toFixed(1)} ms/peer, ` +
    `${msgsJoin} messages (${(msgsJoin / N).toFixed(0)}/peer), mean fake join time ${(joinFake / (N - 1)).toFixed(0)} ms, ring errors ${errs1}`,
);
console.log(
  `lookups N=${N}: wrong ${l1.wrong}, mean hops ${l1.mean.toFixed(2)} (bound ½·log2N+1 = ${half(N).toFixed(2)}), ` +
    `p50 ${l1.p50}, max ${l1.max} (bound log2N+2 = ${(Math.log2(N) + 2).toFixed(2)})`,
);
console.log(
  `20% leave + 10% crash, 1300 s fake stabilization: ${tChurn.toFixed(0)} ms wall, ${alive} alive, ring errors ${errs2}`,
);
console.log(
  `lookups N=${alive}: wrong ${l2.wrong}, mean hops ${l2.mean.toFixed(2)} (bound ${half(alive).toFixed(2)}), max ${l2.max}`,
);
console.log(`nextHop(): ${perHop.toFixed(2)} µs per call`);
