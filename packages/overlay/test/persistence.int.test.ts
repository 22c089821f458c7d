import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchValues, storeValues } from '@reload/overlay';
import { randomNodeId, resourceId } from '@reload/security';
import type { Storage } from '@reload/storage';
import type { StoreReq, StoredData, StoredDataModel } from '@reload/wire';
import { KINDS, OVERLAY, waitFor } from './helpers.js';
import {
  makeIdentity,
  makeWorld,
  nextId,
  openTestStorage,
  type PersistenceWorld,
  type RunningPeer,
  startPeer,
  stopAll,
} from './persistence-helpers.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);
const hex = (b: Uint8Array | undefined): string => (b ? Buffer.from(b).toString('hex') : '-');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Short lifetime, seconds (§7: counted from the responsible peer's receipt of the Store). */
const SHORT = 2;
const LONG = 3600;

let w: PersistenceWorld | undefined;
let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'reload-persistence-'));
});

afterAll(async () => {
  await stopAll(w);
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** One stored resource: Resource Name, Kind, data model, and the values that must survive. */
interface Expected {
  what: string;
  name: string | Uint8Array;
  kind: number;
  model: StoredDataModel;
  /** Values (as text, sorted) still there after the restart; [] when all expired. */
  after: string[];
}

/** Values (text, sorted) held for `e` in `storage`, read straight from the engine. */
async function held(storage: Storage, e: Expected): Promise<string[] | undefined> {
  const ex = await storage.exportResource(resourceId(e.name, 16), 0);
  if (!ex) return undefined;
  const req: StoreReq = ex.request;
  const kd = req.kindData.find((k) => k.kind === e.kind);
  if (!kd || !('values' in kd)) return undefined;
  const values: StoredData[] = kd.values;
  return values
    .filter((v) => v.value.value.exists)
    .map((v) => dec(v.value.value.value))
    .sort();
}

describe('persistence on the data directory (RFC 6940 §7, §10.4; issue 7)', () => {
  it('a peer killed and restarted on the same data directory still serves its data, minus what expired', async () => {
    w = await makeWorld();
    const world = w;
    const pNodeId = randomNodeId(16);
    // P keeps its data on disk; Q is a second user; R, the bootstrap of the restarted overlay,
    // sits right after P on the ring, so the restarted P is responsible for (R, P]: every
    // Resource-ID but P+1 (§10.1), whichever peer asks.
    const [P, Q, R] = await Promise.all([
      makeIdentity(world, 0, pNodeId),
      makeIdentity(world, 1, randomNodeId(16)),
      makeIdentity(world, 2, nextId(pNodeId)),
    ]);
    const user = (i: number): string => `user${i}@${OVERLAY}`;

    // ---- before: P (classic-level in `dir`) and Q (memory) ---------------------------------
    let p: RunningPeer = await startPeer(world, P, '127.2.0.1', { dataDir: dir });
    p.peer.createOverlay();
    const q = await startPeer(world, Q, '127.2.0.2');
    await q.peer.join(p.peer.address, 20_000);
    await waitFor(
      () =>
        hex(p.peer.chord.successors()[0]) === hex(Q.nodeId) &&
        hex(q.peer.chord.successors()[0]) === hex(P.nodeId),
      20_000,
      'two-peer ring',
    );

    const long = { lifetime: LONG };
    const short = { lifetime: SHORT };
    await storeValues(p.peer, {
      name: user(0),
      kind: KINDS.single.id,
      values: [{ model: 'SINGLE', value: enc('p single') }],
      ...long,
    });
    const dictBefore = await storeValues(p.peer, {
      name: user(0),
      kind: KINDS.dict.id,
      values: [{ model: 'DICTIONARY', key: enc('kept'), value: enc('p dict kept') }],
      ...long,
    });
    await storeValues(p.peer, {
      name: P.nodeId,
      kind: KINDS.array.id,
      values: [
        { model: 'ARRAY', index: 0xffffffff, value: enc('p array 0') },
        { model: 'ARRAY', index: 0xffffffff, value: enc('p array 1') },
      ],
      ...long,
    });
    await storeValues(q.peer, {
      name: user(1),
      kind: KINDS.single.id,
      values: [{ model: 'SINGLE', value: enc('q single') }],
      ...long,
    });
    const shortFrom = Date.now();
    await storeValues(p.peer, {
      name: user(0),
      kind: KINDS.dict.id,
      values: [{ model: 'DICTIONARY', key: enc('gone'), value: enc('p dict gone') }],
      ...short,
    });
    await storeValues(q.peer, {
      name: Q.nodeId,
      kind: KINDS.array.id,
      values: [{ model: 'ARRAY', index: 0xffffffff, value: enc('q array gone') }],
      ...short,
    });

    const expected: Expected[] = [
      {
        what: 'SINGLE of user0',
        name: user(0),
        kind: KINDS.single.id,
        model: 'SINGLE',
        after: ['p single'],
      },
      {
        what: 'DICTIONARY of user0',
        name: user(0),
        kind: KINDS.dict.id,
        model: 'DICTIONARY',
        after: ['p dict kept'],
      },
      {
        what: 'ARRAY of P',
        name: P.nodeId,
        kind: KINDS.array.id,
        model: 'ARRAY',
        after: ['p array 0', 'p array 1'],
      },
      {
        what: 'SINGLE of user1',
        name: user(1),
        kind: KINDS.single.id,
        model: 'SINGLE',
        after: ['q single'],
      },
      { what: 'ARRAY of Q', name: Q.nodeId, kind: KINDS.array.id, model: 'ARRAY', after: [] },
    ];
    // In a two-peer ring every value is on both peers (responsible + replica, §10.4): wait
    // until P's own database holds all of them, short-lived ones included.
    const before = [
      ['p single'],
      ['p dict gone', 'p dict kept'],
      ['p array 0', 'p array 1'],
      ['q single'],
      ['q array gone'],
    ];
    const deadline = Date.now() + 10_000;
    for (;;) {
      const now = await Promise.all(expected.map((e) => held(p.storage, e)));
      if (JSON.stringify(now) === JSON.stringify(before)) break;
      if (Date.now() > deadline)
        throw new Error(`P never held every value: ${JSON.stringify(now)}`);
      await sleep(50);
    }
    expect(Date.now() - shortFrom).toBeLessThan(SHORT * 1000); // the short ones were live on P

    // ---- crash: the whole overlay goes down; P's database stays in `dir` -------------------
    await p.kill();
    await q.kill();
    await sleep(Math.max(0, shortFrom + SHORT * 1000 + 300 - Date.now()));

    // ---- the same data directory, opened again ----------------------------------------------
    const reopened = await openTestStorage(world, dir);
    for (const e of expected) {
      const got = await held(reopened.storage, e);
      expect(got ?? [], e.what).toEqual(e.after);
    }
    expect(await held(reopened.storage, expected[4]), 'expired resource exported').toBeUndefined();

    // ---- a new Peer instance with the same identity and directory rejoins ------------------
    const r = await startPeer(world, R, '127.2.0.3');
    r.peer.createOverlay();
    p = await startPeer(world, P, '127.2.0.1', { storage: reopened });
    await p.peer.join(r.peer.address, 20_000);
    await waitFor(
      () =>
        hex(p.peer.chord.predecessors()[0]) === hex(R.nodeId) &&
        hex(r.peer.chord.successors()[0]) === hex(P.nodeId),
      20_000,
      'ring with the restarted peer',
    );

    for (const e of expected) {
      expect(p.peer.chord.isResponsible(resourceId(e.name, 16)), e.what).toBe(true);
      for (const from of [r, p]) {
        const f = await fetchValues(from.peer, { name: e.name, kind: e.kind, model: e.model });
        expect(hex(f.fetchedFrom), `${e.what} answered by the restarted peer`).toBe(hex(P.nodeId));
        expect(f.values.map((v) => dec(v.data.value.value.value)).sort(), e.what).toEqual(e.after);
        // Lifetimes leave the peer reduced to what remains (§7.4.1.1), never past the original.
        for (const v of f.values) expect(v.data.lifetime).toBeLessThanOrEqual(LONG);
      }
    }
    // Signatures of the other user's value still verify from the certificates kept on disk.
    const fq = await fetchValues(r.peer, { name: user(1), kind: KINDS.single.id, model: 'SINGLE' });
    expect(fq.values[0].usernames).toContain(user(1));

    // The generation counter survived too (§7.4.1.1): the next Store continues from it.
    const gBefore = dictBefore.answer.kindResponses[0].generationCounter;
    const again = await storeValues(p.peer, {
      name: user(0),
      kind: KINDS.dict.id,
      values: [{ model: 'DICTIONARY', key: enc('after'), value: enc('p dict after') }],
      ...long,
    });
    expect(again.answer.kindResponses[0].generationCounter).toBeGreaterThan(gBefore + 1n);
  }, 60_000);
});
