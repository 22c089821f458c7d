import { describe, expect, it } from 'vitest';
import { ChordSim, ringErrors, type SimNode } from './sim.js';

function lookups(sim: ChordSim, count: number) {
  const alive = sim.ringOrder();
  const hops: number[] = [];
  const wrong: string[] = [];
  for (let i = 0; i < count; i++) {
    const from = alive[Math.floor(sim.rng() * alive.length)];
    const key = sim.randomId();
    const r = sim.lookup(from, key);
    const want = sim.responsibleFor(key);
    if (!r || r.node !== want) wrong.push(sim.ring.hex(key));
    else hops.push(r.hops);
  }
  const mean = hops.reduce((a, b) => a + b, 0) / Math.max(1, hops.length);
  return { wrong, mean, max: Math.max(...hops) };
}

describe('100-peer simulation', () => {
  it('joins, converges, routes, survives leaves and crashes', () => {
    const sim = new ChordSim({ seed: 7 });
    const first = sim.addNode();
    sim.create(first);
    const members: SimNode[] = [first];
    let t0 = Date.now();
    for (let i = 1; i < 100; i++) {
      const n = sim.addNode();
      const b = members[Math.floor(sim.rng() * members.length)];
      sim.join(n, b);
      const ok = sim.runWhile(60_000, () => n.chord.state === 'joined');
      expect(ok, `peer ${i} joined`).toBe(true);
      sim.run(2_000);
      members.push(n);
    }
    sim.run(5_000);
    console.log('join', Date.now() - t0, sim.stats);
    expect(ringErrors(sim)).toEqual([]);
    const N = 100;
    const l = lookups(sim, 2000);
    console.log(l.mean, l.max, 0.5 * Math.log2(N) + 1);
    expect(l.wrong).toEqual([]);
    t0 = Date.now();
    // 20% leave, 10% crash
    const shuffled = [...members].sort(() => sim.rng() - 0.5);
    for (const n of shuffled.slice(0, 20)) {
      sim.leave(n);
      sim.run(1_000);
    }
    sim.run(10_000);
    console.log('after leave', ringErrors(sim).length);
    for (const n of shuffled.slice(20, 30)) {
      sim.crash(n);
      sim.run(500);
    }
    sim.run(60_000);
    console.log('after crash', ringErrors(sim).length);
    sim.run(1_300_000);
    console.log('later', Date.now() - t0, ringErrors(sim));
    const l2 = lookups(sim, 2000);
    console.log(l2.mean, l2.max, 0.5 * Math.log2(70) + 1, l2.wrong.length);
  });
});
