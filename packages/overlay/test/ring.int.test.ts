import { afterAll, describe, expect, it } from 'vitest';
import {
  makeOverlay,
  pingRandomResource,
  ringErrors,
  startRing,
  type TestOverlay,
} from './helpers.js';

const N = 12;
let o: TestOverlay;

afterAll(async () => {
  await o?.close();
});

describe('peers over the memory link form a CHORD-RELOAD ring (RFC 6940 §10.5)', () => {
  it(`${N} peers join one at a time and converge`, async () => {
    o = await makeOverlay(N);
    await startRing(o, N);
    expect(ringErrors(o.peers)).toEqual([]);
  }, 60_000);

  it('routes Pings to random Resource-IDs to the responsible peer', async () => {
    for (let k = 0; k < 30; k++) {
      const hops = await pingRandomResource(o.peers, o.peers[k % N]);
      expect(hops).toBeLessThanOrEqual(Math.ceil(Math.log2(N)) + 2);
    }
  }, 30_000);

  it('answers a Ping to a Node-ID only from that node (§6.3.4 check 1)', async () => {
    const a = o.peers[1];
    const b = o.peers[N - 1];
    const res = await a.ping({ kind: 'node', nodeId: b.nodeId });
    expect(Buffer.from(res.signer.nodeId!).equals(Buffer.from(b.nodeId))).toBe(true);
  });
});
