/**
 * Decision 0612: §10.4 anti-entropy (Peer.syncReplicas) must not stall behind a replica that
 * stops answering. Before, the resources of a range went to the replicas one replica after the
 * other and one resource after the other, each push to a silent replica costing a full request
 * timeout (5 transmissions of the reliability timer), so the live replica waited
 * resources × timeout; now each replica is synced on its own and a transfer stops at its
 * first failed push.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { storeValues, type Peer } from '@reload/overlay';
import { resourceId } from '@reload/security';
import { KINDS, makeOverlay, startRing, type TestOverlay } from './helpers.js';

const N = 8;
/** Overlay reliability timer: a request to a silent node fails after 5 × this. */
const TIMER_MS = 1000;
let o: TestOverlay;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

afterAll(async () => {
  o.net.heal();
  await o?.close();
});

/** The private parts of Peer this test drives directly. */
interface PeerInternals {
  replicaSynced: Map<string, string>;
  syncReplicas(): Promise<void>;
}

describe('replica sync with a silent replica (§10.4, decision 0612)', () => {
  it('re-creates the copies on the live replica without waiting for the silent one', async () => {
    o = await makeOverlay(N, { reliabilityTimerMs: TIMER_MS }, true);
    // housekeeping (which runs syncReplicas) only when the test calls it
    const peers = await startRing(o, N, { housekeepingMs: 3_600_000 });
    // two resources per peer: its user name (SINGLE) and its Node-ID (ARRAY)
    const names: (string | Uint8Array)[] = [];
    for (const [i, p] of peers.entries()) {
      const user = `user${i}@test.overlay.example.org`;
      await storeValues(p, {
        name: user,
        kind: KINDS.single.id,
        values: [{ model: 'SINGLE', value: enc(`s-${i}`) }],
      });
      await storeValues(p, {
        name: p.nodeId,
        kind: KINDS.array.id,
        values: [{ model: 'ARRAY', index: 0, value: enc(`a-${i}`) }],
      });
      names.push(user, p.nodeId);
    }
    // the peer responsible for the most resources, and its two replicas
    const ids = names.map((n) => resourceId(n, 16));
    const mine = (p: Peer): Uint8Array[] => ids.filter((id) => p.chord.isResponsible(id));
    const owner = peers.reduce((a, b) => (mine(b).length > mine(a).length ? b : a));
    const held = mine(owner);
    expect(held.length).toBeGreaterThanOrEqual(2);
    const byId = (id: Uint8Array): Peer =>
      peers.find((p) => Buffer.from(p.nodeId).equals(Buffer.from(id)))!;
    const [silent, live] = owner.chord.replicaSet().map(byId);
    // the live replica loses its copies; the first replica stops answering the owner
    for (const id of held) await live.storage!.deleteResource(id);
    const host = (p: Peer): string => p.address.host;
    o.net.partition([host(owner)], [host(silent)]);
    const internals = owner as unknown as PeerInternals;
    internals.replicaSynced.clear();
    const started = Date.now();
    await internals.syncReplicas();
    const tookMs = Date.now() - started;
    for (const id of held) expect(await live.storage!.exportResource(id, 0)).toBeDefined();
    // one request timeout for the silent replica (in parallel with the live one), not one per
    // resource: the old code needed held.length × 5 × TIMER_MS before it reached `live`
    expect(tookMs).toBeLessThan(5 * TIMER_MS * 2);
    // the silent replica is not marked synced: the next tick tries it again
    expect(internals.replicaSynced.has(Buffer.from(silent.nodeId).toString('hex'))).toBe(false);
    expect(internals.replicaSynced.has(Buffer.from(live.nodeId).toString('hex'))).toBe(true);
  }, 90_000);
});
