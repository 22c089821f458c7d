/**
 * Issue 7 scale test: 50 peers over the memory link, 1000 values of mixed Kinds stored by their
 * owners, fetched from random peers; then 30% of the peers fail one at a time, each failure
 * followed by stabilization, and every value is still fetchable with its three copies on the
 * responsible peer and its two successors (RFC 6940 §10.4, §10.7.3).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { fetchValues, storeValues, type Peer } from '@reload/overlay';
import { resourceId } from '@reload/security';
import { KINDS, makeOverlay, ringErrors, type TestOverlay, waitFor } from './helpers.js';

const N = 50;
const FAIL = 15;
/**
 * Grace before a peer drops copies outside the range it keeps (default 30 s): long enough for
 * neighbour tables to catch up under CI load, short enough for the final "exactly three
 * copies" check (up to 40 s) to see the extra copies made during churn go.
 */
const GRACE_MS = 8000;
let o: TestOverlay;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

interface Stored {
  owner: number;
  name: string | Uint8Array;
  kind: number;
  model: 'SINGLE' | 'ARRAY' | 'DICTIONARY';
  count: number;
}
const stored: Stored[] = [];
let seed = 7;
const rand = (n: number): number => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed % n;
};

afterAll(async () => {
  await o?.close();
});

function live(): Peer[] {
  return o.peers.filter((p) => p && !(p as unknown as { closed: boolean }).closed);
}

async function inBatches<T>(items: T[], size: number, fn: (t: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

async function copies(name: string | Uint8Array): Promise<Peer[]> {
  const id = resourceId(name, 16);
  const holders: Peer[] = [];
  for (const p of live()) if (await p.storage!.exportResource(id, 0)) holders.push(p);
  return holders;
}

describe(`${N} peers, 1000 values, ${FAIL} failures`, () => {
  it('joins 50 peers', async () => {
    o = await makeOverlay(
      N,
      { reliabilityTimerMs: 3000, chordUpdateIntervalMs: 5000 },
      true,
      'memory',
      { successorHoldDownMs: 200 },
    );
    const first = await o.spawn(0, { foreignDataGraceMs: GRACE_MS });
    first.createOverlay();
    for (let i = 1; i < N; i++) {
      const p = await o.spawn(i, { foreignDataGraceMs: GRACE_MS });
      const via = rand(i);
      await p.join(o.peers[via].address, 30_000).catch((e: Error) => {
        throw new Error(
          `peer ${i} via ${via}: ${e.message}; state ${p.chord.state}/${String((p.chord as unknown as { joinPhase: string }).joinPhase)} pending ${(p.chord as unknown as { pendingAttach: Map<bigint, unknown> }).pendingAttach.size}; all logs ${o.logs.flat().slice(-6).join(' | ')}; drops ${JSON.stringify(p.transport.stats.dropReasons)}; links ${p.links.size}; log ${(o.logs[i] ?? []).slice(-5).join(' | ')}`,
        );
      });
    }
    await waitFor(() => ringErrors(o.peers).length === 0, 30_000, 'ring convergence');
  }, 240_000);

  it('stores 1000 values of three data models from their owners', async () => {
    const jobs: Stored[] = [];
    for (let i = 0; i < N; i++) {
      const user = `user${i}@test.overlay.example.org`;
      jobs.push({ owner: i, name: user, kind: KINDS.single.id, model: 'SINGLE', count: 1 });
      jobs.push({
        owner: i,
        name: o.peers[i].nodeId,
        kind: KINDS.array.id,
        model: 'ARRAY',
        count: 5,
      });
      jobs.push({ owner: i, name: user, kind: KINDS.dict.id, model: 'DICTIONARY', count: 14 });
    }
    await inBatches(jobs, 10, async (j) => {
      const p = o.peers[j.owner];
      const values = Array.from({ length: j.count }, (_, k) =>
        j.model === 'SINGLE'
          ? { model: 'SINGLE' as const, value: enc(`s-${j.owner}`) }
          : j.model === 'ARRAY'
            ? { model: 'ARRAY' as const, index: k, value: enc(`a-${j.owner}-${k}`) }
            : { model: 'DICTIONARY' as const, key: enc(`k${k}`), value: enc(`d-${j.owner}-${k}`) },
      );
      await storeValues(p, { name: j.name, kind: j.kind, values });
      stored.push(j);
    });
    expect(stored.reduce((a, j) => a + j.count, 0)).toBe(1000);
  }, 240_000);

  it('fetches all 1000 from random peers and finds three copies of each resource', async () => {
    await inBatches(stored, 10, async (j) => {
      const f = await fetchValues(o.peers[rand(N)], {
        name: j.name,
        kind: j.kind,
        model: j.model,
      });
      expect(f.values).toHaveLength(j.count);
    });
    await waitFor(() => true, 0, '');
    for (const j of stored) expect((await copies(j.name)).length).toBeGreaterThanOrEqual(3);
  }, 240_000);

  /**
   * Every stored resource on the peer responsible for it and on its two successors (§10.4), and
   * — when `exact` — on no other peer (§10.7.3: copies outside the replica set are dropped).
   */
  async function copyErrors(exact: boolean): Promise<string[]> {
    const errors: string[] = [];
    const ring = live();
    for (const j of stored) {
      const id = resourceId(j.name, 16);
      const responsible = ring.find((p) => p.chord.isResponsible(id))!;
      const expected = [
        responsible,
        ...responsible.chord
          .replicaSet()
          .map((n) => ring.find((p) => Buffer.from(p.nodeId).equals(Buffer.from(n)))!),
      ];
      for (const p of expected) {
        if (!p || !(await p.storage!.exportResource(id, 0)))
          errors.push(`${j.model} ${j.owner} missing on a replica`);
      }
      const holders = (await copies(j.name)).length;
      if (exact ? holders !== 3 : holders < 3)
        errors.push(`${j.model} ${j.owner}: ${holders} copies`);
    }
    return errors;
  }

  /** Waits up to `ms` for {@link copyErrors} to come back empty; throws with the first five. */
  async function settle(what: string, exact: boolean, ms: number): Promise<void> {
    const end = Date.now() + ms;
    let errors = await copyErrors(exact);
    while (errors.length > 0 && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 250));
      errors = await copyErrors(exact);
    }
    if (errors.length > 0) throw new Error(`${what}: ${errors.slice(0, 5).join('; ')}`);
  }

  // "Each failure followed by stabilization" (issue 7): the ring is repaired and the lost
  // copies are re-created (§10.7.3) before the next peer fails. Three copies cannot survive
  // three neighbours failing faster than re-replication, whatever the implementation.
  it(`survives ${FAIL} failures one at a time with three copies on the right peers`, async () => {
    for (let k = 0; k < FAIL; k++) {
      const victims = live().filter((p) => p !== o.peers[0]);
      await victims[rand(victims.length)].close();
      await waitFor(
        () => ringErrors(live()).length === 0,
        60_000,
        `ring repair after failure ${k + 1}`,
      ).catch((e: Error) => {
        const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').slice(0, 8);
        const detail = live()
          .filter((p) => ringErrors(live()).some((x) => x.startsWith(hex(p.nodeId))))
          .map(
            (p) =>
              `${hex(p.nodeId)} state=${p.chord.state} preds=${p.chord.predecessors().map(hex).join(',')} succs=${p.chord.successors().map(hex).join(',')} links=${[...p.links.keys()].map((x) => x.slice(0, 8)).join(',')}`,
          );
        throw new Error(`${e.message}: ${ringErrors(live()).join('; ')} || ${detail.join(' || ')}`);
      });
      await settle(`replication after failure ${k + 1}`, false, 60_000);
    }
    // Extra copies made during churn go once the grace period has passed.
    await settle('exactly three copies after the last failure', true, 40_000);
    await inBatches(stored, 10, async (j) => {
      const ring = live();
      const f = await fetchValues(ring[rand(ring.length)], {
        name: j.name,
        kind: j.kind,
        model: j.model,
      });
      expect(f.values).toHaveLength(j.count);
    });
  }, 300_000);
});
