import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChordSim, fingerErrors, ringErrors, type SimNode } from './sim.js';

/** Lookups from random peers to random Resource-IDs; hop statistics of the correct ones. */
function lookups(sim: ChordSim, count: number) {
  const alive = sim.ringOrder();
  const hops: number[] = [];
  const wrong: string[] = [];
  for (let i = 0; i < count; i++) {
    const from = alive[Math.floor(sim.rng() * alive.length)];
    const key = sim.randomId();
    const r = sim.lookup(from, key);
    const want = sim.responsibleFor(key, alive);
    if (!r || r.node !== want) wrong.push(sim.ring.hex(key));
    else hops.push(r.hops);
  }
  const mean = hops.reduce((a, b) => a + b, 0) / Math.max(1, hops.length);
  return { wrong, mean, max: Math.max(...hops) };
}

/** Joins `count` peers one at a time through random members; each must finish joining. */
function grow(sim: ChordSim, count: number, settleMs = 2_000): SimNode[] {
  const members = sim.ringOrder();
  if (members.length === 0) {
    const first = sim.addNode();
    sim.create(first);
    members.push(first);
  }
  while (members.length < count) {
    const n = sim.addNode();
    sim.join(n, members[Math.floor(sim.rng() * members.length)]);
    const ok = sim.runWhile(120_000, () => n.chord.state === 'joined');
    if (!ok) throw new Error(`peer ${members.length} did not join`);
    sim.run(settleMs);
    members.push(n);
  }
  return members;
}

describe('many peers in one process (in-memory bus, fake clock)', () => {
  it('100 peers join one at a time, converge, route in O(log N), and heal after 20% leave and 10% crash', () => {
    const sim = new ChordSim({ seed: 7 });
    const members = grow(sim, 100);
    sim.run(5_000);
    expect(ringErrors(sim)).toEqual([]);
    expect(fingerErrors(sim, false)).toEqual([]);
    for (const n of members) expect(n.chord.state).toBe('joined');
    expect(sim.stats.transfers).toBe(99); // one handover per join (§10.5 step 6)

    const N = 100;
    const l = lookups(sim, 2_000);
    expect(l.wrong).toEqual([]);
    expect(l.mean).toBeLessThanOrEqual(0.5 * Math.log2(N) + 1);
    expect(l.max).toBeLessThanOrEqual(Math.log2(N) + 2);

    // 20% leave gracefully, one after the other …
    const order = [...members].sort(() => sim.rng() - 0.5);
    for (const n of order.slice(0, 20)) {
      sim.leave(n);
      sim.run(1_000);
    }
    sim.run(10_000);
    expect(ringErrors(sim)).toEqual([]);
    // … then another 10% crash.
    for (const n of order.slice(20, 30)) {
      sim.crash(n);
      sim.run(500);
    }
    // Stabilization: a couple of chord-update-intervals.
    sim.run(1_300_000);
    expect(sim.ringOrder().length).toBe(70);
    expect(ringErrors(sim)).toEqual([]);
    expect(fingerErrors(sim, false)).toEqual([]);
    const l2 = lookups(sim, 2_000);
    expect(l2.wrong).toEqual([]);
    expect(l2.mean).toBeLessThanOrEqual(0.5 * Math.log2(70) + 1);
    expect(l2.max).toBeLessThanOrEqual(Math.log2(70) + 2);
  });

  it('converges with periodic recovery (chord-reactive false) after crashes', () => {
    const sim = new ChordSim({
      seed: 11,
      chord: { reactive: false, updateIntervalMs: 20_000, pingIntervalMs: 60_000 },
    });
    const members = grow(sim, 30);
    sim.run(60_000);
    expect(ringErrors(sim)).toEqual([]);
    for (const n of members.slice(3, 9)) sim.crash(n);
    sim.run(300_000);
    expect(ringErrors(sim)).toEqual([]);
    expect(lookups(sim, 300).wrong).toEqual([]);
  });

  it('160-bit NodeIds (node-id-length 20) work the same', () => {
    const sim = new ChordSim({ seed: 3, nodeIdLength: 20 });
    grow(sim, 25);
    sim.run(5_000);
    expect(ringErrors(sim)).toEqual([]);
    expect(lookups(sim, 300).wrong).toEqual([]);
  });

  it('fills every finger entry that has a peer in range after a few chord-ping-intervals', () => {
    const sim = new ChordSim({
      seed: 5,
      chord: { pingIntervalMs: 60_000, updateIntervalMs: 30_000 },
    });
    grow(sim, 40, 1_000);
    sim.run(600_000);
    expect(fingerErrors(sim, true)).toEqual([]);
  });
});

describe('harder cases', () => {
  it('30 peers joining at the same time all get in, then 15 crash at once', () => {
    const sim = new ChordSim({ seed: 21 });
    const members = grow(sim, 40, 500);
    const newcomers: SimNode[] = [];
    for (let i = 0; i < 30; i++) {
      const n = sim.addNode();
      sim.join(n, members[Math.floor(sim.rng() * members.length)]);
      newcomers.push(n);
    }
    sim.run(60_000);
    expect(newcomers.filter((n) => n.chord.state !== 'joined')).toEqual([]);
    expect(ringErrors(sim)).toEqual([]);
    const victims = [...sim.ringOrder()].sort(() => sim.rng() - 0.5).slice(0, 15);
    for (const v of victims) sim.crash(v);
    sim.run(120_000);
    expect(ringErrors(sim)).toEqual([]);
    expect(lookups(sim, 300).wrong).toEqual([]);
  });

  it('two separately created rings merge through partition detection (§10.7.4.4)', () => {
    const sim = new ChordSim({
      seed: 9,
      chord: { partitionCheckIntervalMs: 30_000, updateIntervalMs: 60_000 },
    });
    const a = grow(sim, 8, 500);
    // A second overlay instance started on its own (its first peer thought it was alone).
    const b0 = sim.addNode();
    sim.create(b0);
    const b: SimNode[] = [b0];
    while (b.length < 8) {
      const n = sim.addNode();
      sim.join(n, b[Math.floor(sim.rng() * b.length)]);
      sim.runWhile(60_000, () => n.chord.state === 'joined');
      b.push(n);
    }
    // Everyone's discovery now finds the same bootstrap peer, a member of ring A.
    sim.bootstraps = [a[0]];
    sim.run(1_200_000);
    expect(sim.ringOrder().length).toBe(16);
    expect(ringErrors(sim)).toEqual([]);
    expect(lookups(sim, 300).wrong).toEqual([]);
  });
});

describe('ring invariants (property-based)', () => {
  it('for random overlays, successors/predecessors are exact and fingers valid after joins and failures', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 2, max: 18 }),
        fc.integer({ min: 0, max: 3 }),
        fc.constantFrom(16, 20),
        (seed, size, failures, nodeIdLength) => {
          const sim = new ChordSim({ seed, nodeIdLength, chord: { updateIntervalMs: 30_000 } });
          const members = grow(sim, size, 500);
          sim.run(2_000);
          expect(ringErrors(sim)).toEqual([]);
          expect(fingerErrors(sim, false)).toEqual([]);
          // Crash a few peers (never all but one) and let the ring repair itself.
          const victims = members.slice(1, 1 + Math.min(failures, size - 2));
          for (const v of victims) sim.crash(v);
          sim.run(120_000);
          expect(ringErrors(sim)).toEqual([]);
          expect(fingerErrors(sim, false)).toEqual([]);
          // every key is found at the responsible peer from every peer
          const alive = sim.ringOrder();
          for (const from of alive) {
            const key = sim.randomId();
            expect(sim.lookup(from, key)?.node).toBe(sim.responsibleFor(key, alive));
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
