import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '@reload/wire';
import { fetchValues, sendStore, storeValues } from '@reload/overlay';
import { resourceId } from '@reload/security';
import { KINDS, makeOverlay, startRing, type TestOverlay, waitFor } from './helpers.js';

const N = 8;
/** Short grace before foreign data is dropped (default 30 s), so the test can watch it. */
const GRACE_MS = 3000;
let o: TestOverlay;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

afterAll(async () => {
  await o?.close();
});

describe('Store and Fetch through the overlay (RFC 6940 §7.4, §10.4)', () => {
  it('forms a ring of peers with storage', async () => {
    o = await makeOverlay(N, {}, true);
    await startRing(o, N, { foreignDataGraceMs: GRACE_MS });
  }, 60_000);

  it('stores a SINGLE value under the user name (USER-MATCH) and fetches it from every peer', async () => {
    const alice = o.peers[2];
    const r = await storeValues(alice, {
      name: 'user2@test.overlay.example.org',
      kind: KINDS.single.id,
      values: [{ model: 'SINGLE', value: enc('hello from user2') }],
    });
    expect(r.answer.kindResponses[0].kind).toBe(KINDS.single.id);
    const target = resourceId('user2@test.overlay.example.org', 16);
    const responsible = o.peers.find((p) => p.chord.isResponsible(target))!;
    expect(Buffer.from(r.storedAt!).equals(Buffer.from(responsible.nodeId))).toBe(true);
    for (const p of o.peers) {
      const f = await fetchValues(p, {
        name: 'user2@test.overlay.example.org',
        kind: KINDS.single.id,
        model: 'SINGLE',
      });
      expect(f.values.map((v) => dec(v.data.value.value.value))).toEqual(['hello from user2']);
      expect(f.values[0].usernames).toContain('user2@test.overlay.example.org');
    }
  }, 30_000);

  it('replicates to the two successors of the responsible peer (§10.4)', async () => {
    const target = resourceId('user2@test.overlay.example.org', 16);
    await waitFor(
      () => o.peers.filter((p) => p.storage!.usage().bytes > 0).length >= 3,
      10_000,
      'three copies',
    );
    const holders = await Promise.all(
      o.peers.map(async (p) => ((await p.storage!.exportResource(target, 0)) ? 1 : 0)),
    );
    expect(holders.reduce((a: number, b) => a + b, 0)).toBe(3);
  });

  it('keeps a replica pushed outside its range for the grace period, then drops it (§10.7.3)', async () => {
    const target = resourceId('user2@test.overlay.example.org', 16);
    const responsible = o.peers.find((p) => p.chord.isResponsible(target))!;
    const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));
    // The responsible peer's predecessor: a neighbour (so its replica Store is accepted) that
    // is not in the replica set (so the copy lies outside the range it keeps).
    const pred = responsible.chord.predecessors()[0];
    const x = o.peers.find((p) => same(p.nodeId, pred))!;
    expect(await x.storage!.exportResource(target, 0)).toBeUndefined();
    const exp = (await responsible.storage!.exportResource(target, 1))!;
    const sentAt = Date.now();
    await sendStore(
      responsible,
      exp.request,
      exp.certificates.map((c) => c.certificate),
      x.nodeId,
    );
    expect(await x.storage!.exportResource(target, 0)).toBeDefined();
    // Several housekeeping passes (every 1 s) see it outside, but it stays for the grace period.
    await new Promise((r) => setTimeout(r, GRACE_MS / 2));
    if (Date.now() - sentAt < GRACE_MS) {
      expect(await x.storage!.exportResource(target, 0)).toBeDefined();
    }
    let goneAfter = -1;
    for (let t = 0; t < 200 && goneAfter < 0; t++) {
      if (!(await x.storage!.exportResource(target, 0))) goneAfter = Date.now() - sentAt;
      else await new Promise((r) => setTimeout(r, 50));
    }
    expect(goneAfter).toBeGreaterThanOrEqual(GRACE_MS);
    // The three real holders keep theirs.
    const holders = await Promise.all(
      o.peers.map(async (p) => ((await p.storage!.exportResource(target, 0)) ? 1 : 0)),
    );
    expect(holders.reduce((a: number, b) => a + b, 0)).toBe(3);
  }, 30_000);

  it("refuses a SINGLE value stored under someone else's user name with Error_Forbidden", async () => {
    await expect(
      storeValues(o.peers[3], {
        name: 'user2@test.overlay.example.org',
        kind: KINDS.single.id,
        values: [{ model: 'SINGLE', value: enc('not yours') }],
      }),
    ).rejects.toMatchObject({ code: ErrorCode.Forbidden });
  });

  it('stores ARRAY (append) and DICTIONARY values and fetches them elsewhere', async () => {
    const p = o.peers[4];
    const nodeName = p.nodeId;
    await storeValues(p, {
      name: nodeName,
      kind: KINDS.array.id,
      values: [
        { model: 'ARRAY', index: 0xffffffff, value: enc('a0') },
        { model: 'ARRAY', index: 0xffffffff, value: enc('a1') },
      ],
    });
    const fa = await fetchValues(o.peers[0], {
      name: nodeName,
      kind: KINDS.array.id,
      model: 'ARRAY',
    });
    expect(fa.values.map((v) => dec(v.data.value.value.value))).toEqual(['a0', 'a1']);
    await storeValues(p, {
      name: 'user4@test.overlay.example.org',
      kind: KINDS.dict.id,
      values: [
        { model: 'DICTIONARY', key: enc('k1'), value: enc('v1') },
        { model: 'DICTIONARY', key: enc('k2'), value: enc('v2') },
      ],
    });
    const fd = await fetchValues(o.peers[7], {
      name: 'user4@test.overlay.example.org',
      kind: KINDS.dict.id,
      model: 'DICTIONARY',
    });
    expect(fd.values.map((v) => dec(v.data.value.value.value)).sort()).toEqual(['v1', 'v2']);
  }, 30_000);

  it('answers Error_Unknown_Kind for a Kind not in the configuration', async () => {
    await expect(
      storeValues(o.peers[1], {
        name: 'user1@test.overlay.example.org',
        kind: 0xf00000ff,
        values: [{ model: 'SINGLE', value: enc('x') }],
      }),
    ).rejects.toMatchObject({ code: ErrorCode.UnknownKind });
  });
});
