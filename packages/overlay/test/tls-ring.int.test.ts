import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { fetchValues, storeValues } from '@reload/overlay';
import { KINDS, makeOverlay, ringErrors, type TestOverlay, waitFor } from './helpers.js';

const N = 20;
let o: TestOverlay;

afterAll(async () => {
  await o?.close();
});

describe('peers over TLS on loopback (RFC 6940 §6.6.5, §10.5)', () => {
  it(`${N} peers join over TLS-TCP-FH-NO-ICE and converge`, async () => {
    o = await makeOverlay(N, {}, true, 'tls');
    const first = await o.spawn(0);
    first.createOverlay();
    for (let i = 1; i < N; i++) await (await o.spawn(i)).join(first.address, 30_000);
    await waitFor(() => ringErrors(o.peers).length === 0, 30_000, 'ring convergence');
    expect(ringErrors(o.peers)).toEqual([]);
    for (const p of o.peers) expect(p.status().links.every((l) => l.protocol === 'tls')).toBe(true);
  }, 120_000);

  it('routes Pings and stores/fetches across the TLS ring', async () => {
    for (let k = 0; k < 20; k++) {
      const target = randomBytes(16);
      const res = await o.peers[k % N].ping({ kind: 'resource', resourceId: target });
      const responsible = o.peers.filter((p) => p.chord.isResponsible(target));
      expect(responsible).toHaveLength(1);
      expect(Buffer.from(res.signer.nodeId!).toString('hex')).toBe(
        Buffer.from(responsible[0].nodeId).toString('hex'),
      );
    }
    const owner = o.peers[5];
    await storeValues(owner, {
      name: owner.nodeId,
      kind: KINDS.array.id,
      values: [{ model: 'ARRAY', index: 0xffffffff, value: new TextEncoder().encode('over tls') }],
    });
    const f = await fetchValues(o.peers[17], {
      name: owner.nodeId,
      kind: KINDS.array.id,
      model: 'ARRAY',
    });
    expect(f.values).toHaveLength(1);
  }, 60_000);
});
