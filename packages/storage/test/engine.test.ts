import { describe, expect, it } from 'vitest';
import {
  decodeExact,
  ErrorCode,
  fetchAnsCodec,
  isReloadError,
  storeAnsCodec,
  type StoredData,
  UnknownKindsCodec,
  encodeToBytes,
  statAnsCodec,
} from '@reload/wire';
import {
  createKindRegistry,
  createPolicyRegistry,
  nodeMultipleName,
  openMemoryBackend,
  openStorage,
  type Storage,
  type StorageOptions,
} from '../src/index.js';
import {
  entryAt,
  fakeClock,
  identity,
  keyed,
  resourceIdOf,
  ridOfUser,
  signed,
  signerOf,
  single,
  testVerifier,
  type TestIdentity,
  K,
  KIND_CONFIGS,
} from './helpers.js';

// Keys are generated once (house rule: reuse keys across tests).
const alice = identity('alice@example.org');
const bob = identity('bob@example.org');
const multi = identity(
  'carol@example.org',
  [resourceIdOf(new Uint8Array([1])), resourceIdOf(new Uint8Array([2]))],
  resourceIdOf(new Uint8Array([2])),
);
const A = ridOfUser(alice.username);

async function setup(extra: Partial<StorageOptions> = {}) {
  const clock = fakeClock();
  const policies = createPolicyRegistry();
  const storage = await openStorage({
    backend: await openMemoryBackend(),
    kinds: createKindRegistry(KIND_CONFIGS, { policyExists: (n) => policies.has(n) }),
    policies,
    verifier: testVerifier,
    resourceIdOf,
    now: clock.now,
    ...extra,
  });
  return { storage, clock };
}

const ctxOf = (id: TestIdentity, ...more: TestIdentity[]) => ({
  requestSigner: signerOf(id),
  certificates: [id.cert, ...more.map((m) => m.cert)],
});

async function storeOne(
  s: Storage,
  who: TestIdentity,
  resource: Uint8Array,
  kind: number,
  values: StoredData[],
  generationCounter = 0n,
) {
  return s.store(
    { resource, replicaNumber: 0, kindData: [{ kind, generationCounter, values }] },
    ctxOf(who),
  );
}

async function fetchValues(s: Storage, resource: Uint8Array, spec: Record<string, unknown>) {
  const { answer } = await s.fetch({
    resource,
    specifiers: [{ generation: 0n, ...spec } as never],
  });
  return answer.kindResponses[0];
}

async function rejects(p: Promise<unknown>, code: number | string): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    expect(isReloadError(e)).toBe(true);
    expect((e as { code: unknown }).code).toBe(code);
    return e;
  }
  throw new Error(`expected a ReloadError ${code}`);
}

const text = (d: StoredData) => new TextDecoder().decode(d.value.value.value);

describe('SINGLE data model', () => {
  it('stores, overwrites with a newer value, and fetches it back with its signature', async () => {
    const { storage } = await setup();
    const ans = await storeOne(storage, alice, A, K.single, [
      signed(alice, A, K.single, single('one'), 10n),
    ]);
    expect(ans.kindResponses[0]).toMatchObject({ kind: K.single, generationCounter: 1n });
    await storeOne(storage, alice, A, K.single, [signed(alice, A, K.single, single('two'), 11n)]);
    const r = await fetchValues(storage, A, { kind: K.single, model: 'SINGLE' });
    expect(r.generation).toBe(2n);
    expect('values' in r && r.values.map(text)).toEqual(['two']);
    expect('values' in r && r.values[0].signature.signatureValue.length).toBeGreaterThan(0);
  });

  it('answers a synthesized nonexistent value when nothing is stored (§7.4.2.2)', async () => {
    const { storage } = await setup();
    const r = await fetchValues(storage, A, { kind: K.single, model: 'SINGLE' });
    expect(r.generation).toBe(0n);
    const v = 'values' in r ? r.values : [];
    expect(v).toHaveLength(1);
    expect(v[0].value.value.exists).toBe(false);
    expect(v[0].signature.identity.identityType).toBe(3);
    expect(v[0].signature.algorithm).toEqual({ hash: 0, signature: 0 });
    expect(v[0].signature.signatureValue.length).toBe(0);
  });

  it('removes by storing exists=false: a signed tombstone is returned (§7.4.1.3)', async () => {
    const { storage } = await setup();
    await storeOne(storage, alice, A, K.single, [signed(alice, A, K.single, single('x'), 10n)]);
    await storeOne(storage, alice, A, K.single, [
      signed(alice, A, K.single, single(new Uint8Array(0), false), 11n),
    ]);
    const r = await fetchValues(storage, A, { kind: K.single, model: 'SINGLE' });
    const v = 'values' in r ? r.values[0] : undefined;
    expect(v?.value.value.exists).toBe(false);
    expect(v?.signature.identity.identityType).toBe(1);
  });
});

describe('ARRAY data model', () => {
  it('appends at 0xffffffff, leaves gaps as nonexistent values, honours ranges', async () => {
    const { storage } = await setup();
    const app = (v: string, t: bigint) =>
      signed(alice, A, K.array, entryAt(0xffffffff, v, true), t);
    await storeOne(storage, alice, A, K.array, [app('a', 1n), app('b', 2n)]);
    await storeOne(storage, alice, A, K.array, [signed(alice, A, K.array, entryAt(4, 'e'), 3n)]);
    await storeOne(storage, alice, A, K.array, [app('f', 4n)]);
    const all = await fetchValues(storage, A, {
      kind: K.array,
      model: 'ARRAY',
      indices: [{ first: 0, last: 0xffffffff }],
    });
    const vals = 'values' in all ? all.values : [];
    expect(vals.map((d) => (d.value.model === 'ARRAY' ? d.value.index : -1))).toEqual([
      0, 1, 2, 3, 4, 5,
    ]);
    expect(vals.map((d) => d.value.value.exists)).toEqual([true, true, false, false, true, true]);
    expect(vals.filter((d) => d.value.value.exists).map(text)).toEqual(['a', 'b', 'e', 'f']);
    expect(vals[2].signature.identity.identityType).toBe(3);
    const part = await fetchValues(storage, A, {
      kind: K.array,
      model: 'ARRAY',
      indices: [
        { first: 1, last: 1 },
        { first: 4, last: 100 },
      ],
    });
    expect('values' in part && part.values.map(text)).toEqual(['b', 'e', 'f']);
    // The appended value's signature was made over index 0 and still verifies after fetch.
    expect(() =>
      testVerifier({
        resourceId: A,
        kind: K.array,
        storedData: vals[5],
        certificates: [alice.cert],
      }),
    ).not.toThrow();
  });

  it('refuses overlapping or reversed ranges with Error_Invalid_Message', async () => {
    const { storage } = await setup();
    const base = { resource: A, specifiers: [] };
    await rejects(
      storage.fetch({
        ...base,
        specifiers: [
          {
            kind: K.array,
            generation: 0n,
            model: 'ARRAY',
            indices: [
              { first: 0, last: 3 },
              { first: 3, last: 5 },
            ],
          },
        ],
      }),
      ErrorCode.InvalidMessage,
    );
    await rejects(
      storage.fetch({
        ...base,
        specifiers: [
          { kind: K.array, generation: 0n, model: 'ARRAY', indices: [{ first: 5, last: 3 }] },
        ],
      }),
      ErrorCode.InvalidMessage,
    );
  });

  it('refuses an index at or beyond max-count with Error_Data_Too_Large', async () => {
    const { storage } = await setup();
    await rejects(
      storeOne(storage, alice, A, K.array, [signed(alice, A, K.array, entryAt(10, 'x'), 1n)]),
      ErrorCode.DataTooLarge,
    );
    await storeOne(storage, alice, A, K.array, [signed(alice, A, K.array, entryAt(9, 'x'), 1n)]);
    await rejects(
      storeOne(storage, alice, A, K.array, [
        signed(alice, A, K.array, entryAt(0xffffffff, 'y'), 2n),
      ]),
      ErrorCode.DataTooLarge,
    );
  });
});

describe('DICTIONARY data model', () => {
  it('stores by key, fetches chosen keys (missing ones synthesized) and the wildcard', async () => {
    const { storage } = await setup();
    await storeOne(storage, alice, A, K.dict, [
      signed(alice, A, K.dict, keyed('k2', 'v2'), 1n),
      signed(alice, A, K.dict, keyed('k1', 'v1'), 1n),
    ]);
    const some = await fetchValues(storage, A, {
      kind: K.dict,
      model: 'DICTIONARY',
      keys: [new TextEncoder().encode('k1'), new TextEncoder().encode('nope')],
    });
    const v = 'values' in some ? some.values : [];
    expect(v.map((d) => d.value.value.exists)).toEqual([true, false]);
    expect(text(v[0])).toBe('v1');
    const all = await fetchValues(storage, A, { kind: K.dict, model: 'DICTIONARY', keys: [] });
    expect('values' in all && all.values.map(text)).toEqual(['v1', 'v2']);
  });

  it('enforces max-count with Error_Data_Too_Large', async () => {
    const { storage } = await setup();
    await storeOne(
      storage,
      alice,
      A,
      K.dict,
      ['a', 'b', 'c'].map((k) => signed(alice, A, K.dict, keyed(k, k), 1n)),
    );
    await rejects(
      storeOne(storage, alice, A, K.dict, [signed(alice, A, K.dict, keyed('d', 'd'), 1n)]),
      ErrorCode.DataTooLarge,
    );
    // Overwriting an existing key stays within the count.
    await storeOne(storage, alice, A, K.dict, [signed(alice, A, K.dict, keyed('a', 'A'), 2n)]);
    // The re-written record mixes re-used and new entries; all read back intact.
    const all = await fetchValues(storage, A, { kind: K.dict, model: 'DICTIONARY', keys: [] });
    expect('values' in all && all.values.map(text)).toEqual(['A', 'b', 'c']);
    expect('values' in all && all.values.map((v) => v.storageTime)).toEqual([2n, 1n, 1n]);
  });
});

describe('access-control policies through Store (§7.3, §7.4.1.1)', () => {
  it('USER-MATCH: the right user may write; another user may not (value or request signer)', async () => {
    const { storage } = await setup();
    await storeOne(storage, alice, A, K.single, [signed(alice, A, K.single, single('ok'), 1n)]);
    await rejects(
      storeOne(storage, bob, A, K.single, [signed(bob, A, K.single, single('evil'), 2n)]),
      ErrorCode.Forbidden,
    );
    // Value signed by alice but the StoreReq signed by bob: the request signer must conform too.
    await rejects(
      storage.store(
        {
          resource: A,
          replicaNumber: 0,
          kindData: [
            {
              kind: K.single,
              generationCounter: 0n,
              values: [signed(alice, A, K.single, single('x'), 3n)],
            },
          ],
        },
        { requestSigner: signerOf(bob), certificates: [alice.cert, bob.cert] },
      ),
      ErrorCode.Forbidden,
    );
  });

  it('NODE-MATCH: value at H(Node-ID) allowed for that node only', async () => {
    const { storage } = await setup();
    const R = resourceIdOf(alice.nodeIds[0]);
    await storeOne(storage, alice, R, K.nodeMatch, [
      signed(alice, R, K.nodeMatch, single('n'), 1n),
    ]);
    await rejects(
      storeOne(storage, bob, R, K.nodeMatch, [signed(bob, R, K.nodeMatch, single('n'), 2n)]),
      ErrorCode.Forbidden,
    );
    // A certificate with two Node-IDs: the indicated (cert_hash_node_id) one must match.
    const R2 = resourceIdOf(multi.nodeIds[1]);
    await storeOne(storage, multi, R2, K.nodeMatch, [
      signed(multi, R2, K.nodeMatch, single('m'), 1n),
    ]);
    const R1 = resourceIdOf(multi.nodeIds[0]);
    await rejects(
      storeOne(storage, multi, R1, K.nodeMatch, [signed(multi, R1, K.nodeMatch, single('m'), 1n)]),
      ErrorCode.Forbidden,
    );
  });

  it('USER-NODE-MATCH: key must be the signer Node-ID and the user must match', async () => {
    const { storage } = await setup();
    const nid = alice.nodeIds[0];
    await storeOne(storage, alice, A, K.userNode, [
      signed(alice, A, K.userNode, keyed(nid, 'contact'), 1n),
    ]);
    await rejects(
      storeOne(storage, alice, A, K.userNode, [
        signed(alice, A, K.userNode, keyed(bob.nodeIds[0], 'x'), 2n),
      ]),
      ErrorCode.Forbidden,
    );
    const B = ridOfUser(bob.username);
    await rejects(
      storeOne(storage, alice, B, K.userNode, [signed(alice, B, K.userNode, keyed(nid, 'x'), 2n)]),
      ErrorCode.Forbidden,
    );
  });

  it('NODE-MULTIPLE: H(Node-ID ‖ i) for i ≤ max-node-multiple only', async () => {
    const { storage } = await setup();
    const nid = alice.nodeIds[0];
    for (const i of [1, 3]) {
      const R = resourceIdOf(nodeMultipleName(nid, i));
      await storeOne(storage, alice, R, K.multiple, [
        signed(alice, R, K.multiple, single('t'), 1n),
      ]);
    }
    const R4 = resourceIdOf(nodeMultipleName(nid, 4));
    await rejects(
      storeOne(storage, alice, R4, K.multiple, [signed(alice, R4, K.multiple, single('t'), 1n)]),
      ErrorCode.Forbidden,
    );
    const R1 = resourceIdOf(nodeMultipleName(nid, 1));
    await rejects(
      storeOne(storage, bob, R1, K.multiple, [signed(bob, R1, K.multiple, single('t'), 2n)]),
      ErrorCode.Forbidden,
    );
  });
});

describe('signatures (§7.1)', () => {
  it('refuses a tampered value with Error_Forbidden and stores nothing', async () => {
    const { storage } = await setup();
    const good = signed(alice, A, K.single, single('genuine'), 1n);
    const bad: StoredData = { ...good, value: single('tampered') };
    await rejects(storeOne(storage, alice, A, K.single, [bad]), ErrorCode.Forbidden);
    const later: StoredData = { ...good, storageTime: 2n };
    await rejects(storeOne(storage, alice, A, K.single, [later]), ErrorCode.Forbidden);
    const r = await fetchValues(storage, A, { kind: K.single, model: 'SINGLE' });
    expect(r.generation).toBe(0n);
  });

  it('refuses values signed with identity none / algorithm {0,0} (§7.4.1.1)', async () => {
    const { storage } = await setup();
    const good = signed(alice, A, K.single, single('v'), 1n);
    await rejects(
      storeOne(storage, alice, A, K.single, [
        { ...good, signature: { ...good.signature, algorithm: { hash: 0, signature: 0 } } },
      ]),
      ErrorCode.Forbidden,
    );
    await rejects(
      storeOne(storage, alice, A, K.single, [
        { ...good, signature: { ...good.signature, identity: { identityType: 3 } } },
      ]),
      ErrorCode.Forbidden,
    );
  });
});

describe('generation counters (§7.4.1.1, §7.4.1.2)', () => {
  it('increments per store, checks a non-zero expected counter, and reports it in error_info', async () => {
    const { storage } = await setup();
    const v = (s: string, t: bigint) => signed(alice, A, K.single, single(s), t);
    expect(
      (await storeOne(storage, alice, A, K.single, [v('a', 1n)], 0n)).kindResponses[0]
        .generationCounter,
    ).toBe(1n);
    expect(
      (await storeOne(storage, alice, A, K.single, [v('b', 2n)], 1n)).kindResponses[0]
        .generationCounter,
    ).toBe(2n);
    const e = (await rejects(
      storeOne(storage, alice, A, K.single, [v('c', 3n)], 1n),
      ErrorCode.GenerationCounterTooLow,
    )) as { info: Uint8Array };
    const info = decodeExact(storeAnsCodec(16), e.info);
    expect(info.kindResponses).toEqual([{ kind: K.single, generationCounter: 2n, replicas: [] }]);
    const r = await fetchValues(storage, A, { kind: K.single, model: 'SINGLE' });
    expect('values' in r && r.values.map(text)).toEqual(['b']);
  });

  it('Fetch with the current generation returns no values', async () => {
    const { storage } = await setup();
    await storeOne(storage, alice, A, K.single, [signed(alice, A, K.single, single('a'), 1n)]);
    const r = await fetchValues(storage, A, { kind: K.single, model: 'SINGLE', generation: 1n });
    expect(r.generation).toBe(1n);
    expect('values' in r && r.values).toEqual([]);
  });

  it('is atomic over Kinds: a failure in the second Kind leaves the first untouched', async () => {
    const { storage } = await setup();
    await rejects(
      storage.store(
        {
          resource: A,
          replicaNumber: 0,
          kindData: [
            {
              kind: K.single,
              generationCounter: 0n,
              values: [signed(alice, A, K.single, single('x'), 1n)],
            },
            {
              kind: K.dict,
              generationCounter: 5n,
              values: [signed(alice, A, K.dict, keyed('k', 'v'), 1n)],
            },
          ],
        },
        ctxOf(alice),
      ),
      ErrorCode.GenerationCounterTooLow,
    );
    expect((await fetchValues(storage, A, { kind: K.single, model: 'SINGLE' })).generation).toBe(
      0n,
    );
  });
});

describe('lifetimes, storage time and limits', () => {
  it('expires values after their lifetime (fake clock) and reports the remaining lifetime', async () => {
    const { storage, clock } = await setup();
    await storeOne(storage, alice, A, K.single, [
      signed(alice, A, K.single, single('short'), 1n, 10),
    ]);
    clock.advance(4000);
    let r = await fetchValues(storage, A, { kind: K.single, model: 'SINGLE' });
    expect('values' in r && r.values[0].lifetime).toBe(6);
    clock.advance(6000);
    r = await fetchValues(storage, A, { kind: K.single, model: 'SINGLE' });
    expect('values' in r && r.values[0].value.value.exists).toBe(false);
    expect('values' in r && r.values[0].signature.identity.identityType).toBe(3);
    expect(storage.usage().bytes).toBeGreaterThan(0);
    expect(await storage.purgeExpired()).toBe(1);
    expect(storage.usage().bytes).toBe(0);
  });

  it('refuses a storage_time older than the stored one with Error_Data_Too_Old', async () => {
    const { storage } = await setup();
    const v10 = signed(alice, A, K.single, single('new'), 10n);
    await storeOne(storage, alice, A, K.single, [v10]);
    await rejects(
      storeOne(storage, alice, A, K.single, [signed(alice, A, K.single, single('old'), 9n)]),
      ErrorCode.DataTooOld,
    );
    await rejects(
      storeOne(storage, alice, A, K.single, [signed(alice, A, K.single, single('same-time'), 10n)]),
      ErrorCode.DataTooOld,
    );
    // The very same value again is idempotent and does not bump the generation.
    const ans = await storeOne(storage, alice, A, K.single, [v10]);
    expect(ans.kindResponses[0].generationCounter).toBe(1n);
  });

  it('refuses a value larger than max-size with Error_Data_Too_Large', async () => {
    const { storage } = await setup();
    await storeOne(storage, alice, A, K.single, [
      signed(alice, A, K.single, single('x'.repeat(100)), 1n),
    ]);
    await rejects(
      storeOne(storage, alice, A, K.single, [
        signed(alice, A, K.single, single('x'.repeat(101)), 2n),
      ]),
      ErrorCode.DataTooLarge,
    );
  });

  it('enforces the per-peer byte quota with Error_Data_Too_Large, shrinking still allowed', async () => {
    const { storage } = await setup({ quotaBytes: 300 });
    await storeOne(storage, alice, A, K.single, [
      signed(alice, A, K.single, single('x'.repeat(90)), 1n),
    ]);
    const used = storage.usage().bytes;
    expect(used).toBeGreaterThan(90);
    const e = await rejects(
      storeOne(
        storage,
        alice,
        A,
        K.dict,
        ['a', 'b'].map((k) => signed(alice, A, K.dict, keyed(k, 'y'.repeat(90)), 1n)),
      ),
      ErrorCode.DataTooLarge,
    );
    expect((e as Error).message).toMatch(/quota/);
    await storeOne(storage, alice, A, K.single, [signed(alice, A, K.single, single('s'), 2n)]);
    expect(storage.usage().bytes).toBeLessThan(used);
  });
});

describe('unknown Kinds', () => {
  it('Store and Fetch answer Error_Unknown_Kind listing the unknown Kind-IDs', async () => {
    const { storage } = await setup();
    const e = (await rejects(
      storage.store(
        {
          resource: A,
          replicaNumber: 0,
          kindData: [{ kind: 0xf00000ff, generationCounter: 0n, rawValues: new Uint8Array(0) }],
        },
        ctxOf(alice),
      ),
      ErrorCode.UnknownKind,
    )) as { info: Uint8Array };
    expect(decodeExact(UnknownKindsCodec, e.info)).toEqual([0xf00000ff]);
    const f = (await rejects(
      storage.fetch({
        resource: A,
        specifiers: [
          { kind: 0xf00000fe, generation: 0n, model: null, modelSpecifier: new Uint8Array(0) },
          { kind: K.single, generation: 0n, model: 'SINGLE' },
        ],
      }),
      ErrorCode.UnknownKind,
    )) as { info: Uint8Array };
    expect(decodeExact(UnknownKindsCodec, f.info)).toEqual([0xf00000fe]);
  });
});

describe('Stat and Find', () => {
  it('Stat reports lengths and SHA-256 of the length-prefixed value', async () => {
    const { storage } = await setup();
    await storeOne(storage, alice, A, K.single, [signed(alice, A, K.single, single('hello'), 7n)]);
    const ans = await storage.stat({
      resource: A,
      specifiers: [{ kind: K.single, generation: 0n, model: 'SINGLE' }],
    });
    const kr = ans.kindResponses[0];
    const m = 'values' in kr ? kr.values[0] : undefined;
    const { createHash } = await import('node:crypto');
    const expected = createHash('sha256')
      .update(Buffer.from([0, 0, 0, 5]))
      .update('hello')
      .digest();
    expect(m?.storageTime).toBe(7n);
    expect(m?.metadata.value.valueLength).toBe(5);
    expect(m?.metadata.value.hashAlgorithm).toBe(4);
    expect(Buffer.from(m!.metadata.value.hashValue).equals(expected)).toBe(true);
    // The answer is encodable with the wire codec.
    // The answer round-trips through the wire codec unchanged (value_length as wire 0157).
    const wire = encodeToBytes(statAnsCodec(storage.modelOf), ans);
    expect(decodeExact(statAnsCodec(storage.modelOf), wire)).toEqual(ans);
  });

  it('Find returns the closest stored Resource-ID at or after the target, 0 when none', async () => {
    const { storage } = await setup();
    const nid = alice.nodeIds[0];
    const rids = [1, 2, 3].map((i) => resourceIdOf(nodeMultipleName(nid, i)));
    for (const R of rids)
      await storeOne(storage, alice, R, K.multiple, [
        signed(alice, R, K.multiple, single('t'), 1n),
      ]);
    const sorted = [...rids].sort(Buffer.compare);
    const ans = await storage.find({
      resource: sorted[1],
      kinds: [K.multiple, K.single, 0xf00000aa],
    });
    expect(Buffer.from(ans.results[0].closest).equals(Buffer.from(sorted[1]))).toBe(true);
    expect(ans.results[1].closest).toEqual(new Uint8Array(16));
    expect(ans.results[2]).toEqual({ kind: 0xf00000aa, closest: new Uint8Array(16) });
    const past = new Uint8Array(16).fill(0xff);
    const wrap = await storage.find({ resource: past, kinds: [K.multiple] });
    expect(Buffer.from(wrap.results[0].closest).equals(Buffer.from(sorted[0]))).toBe(true);
    await rejects(
      storage.find({ resource: past, kinds: [K.single, K.single] }),
      ErrorCode.InvalidMessage,
    );
  });
});

describe('replica stores and replication primitives (§7.4.1.1, §10.4)', () => {
  it('refuses replica stores without a plausibility check; with one, takes the sender generation', async () => {
    const v = signed(alice, A, K.single, single('r'), 5n);
    const req = {
      resource: A,
      replicaNumber: 1,
      kindData: [{ kind: K.single, generationCounter: 7n, values: [v] }],
    };
    const { storage: s1 } = await setup();
    await rejects(s1.store(req, ctxOf(bob, alice)), ErrorCode.Forbidden);
    const { storage: s2 } = await setup({
      replicaSenderAllowed: (_r, who) => who.usernames[0] === bob.username,
    });
    // The replica sender (bob) need not satisfy USER-MATCH; the value signer (alice) must.
    const ans = await s2.store(req, ctxOf(bob, alice));
    expect(ans.kindResponses[0].generationCounter).toBe(7n);
    await rejects(
      s2.store(
        { ...req, kindData: [{ ...req.kindData[0], generationCounter: 0n }] },
        ctxOf(bob, alice),
      ),
      ErrorCode.InvalidMessage,
    );
    const forged = signed(bob, A, K.single, single('r'), 6n);
    await rejects(
      s2.store(
        { ...req, kindData: [{ kind: K.single, generationCounter: 8n, values: [forged] }] },
        ctxOf(bob),
      ),
      ErrorCode.Forbidden,
    );
  });

  it('lists resources in a ring range, exports and imports them with time already spent', async () => {
    const { storage, clock } = await setup();
    const B = ridOfUser(bob.username);
    await storeOne(storage, alice, A, K.single, [signed(alice, A, K.single, single('a'), 1n, 100)]);
    await storeOne(storage, alice, A, K.array, [
      signed(alice, A, K.array, entryAt(0xffffffff, 'x'), 1n, 100),
    ]);
    await storeOne(storage, bob, B, K.single, [signed(bob, B, K.single, single('b'), 1n, 100)]);
    const [lo, hi] = [A, B].sort(Buffer.compare);
    expect(await storage.resourcesInRange(lo, hi)).toEqual([hi]);
    expect(
      (await storage.resourcesInRange(hi, lo)).map((r) => Buffer.from(r).toString('hex')),
    ).toEqual([Buffer.from(lo).toString('hex')]);
    expect(await storage.resourcesInRange(A, A)).toHaveLength(2);
    clock.advance(30_000);
    const ex = await storage.exportResource(A, 1);
    expect(ex?.request.replicaNumber).toBe(1);
    expect(ex?.request.kindData.map((k) => k.kind)).toEqual([K.single, K.array]);
    const first = ex!.request.kindData[0];
    expect('values' in first && first.values[0].lifetime).toBe(70);
    expect(ex?.certificates).toHaveLength(1);
    const { storage: other } = await setup();
    await other.importResource(ex!);
    const r = await fetchValues(other, A, {
      kind: K.array,
      model: 'ARRAY',
      indices: [{ first: 0, last: 0xffffffff }],
    });
    expect('values' in r && r.values.map(text)).toEqual(['x']);
    expect(r.generation).toBe(1n);
    await storage.deleteResource(A);
    expect(await storage.exportResource(A, 1)).toBeUndefined();
    expect(await storage.resourcesInRange(A, A)).toHaveLength(1);
  });

  it('Fetch answers carry the certificates and encode with the wire codec', async () => {
    const { storage } = await setup();
    await storeOne(storage, alice, A, K.single, [signed(alice, A, K.single, single('a'), 1n)]);
    const res = await storage.fetch({
      resource: A,
      specifiers: [
        { kind: K.single, generation: 0n, model: 'SINGLE' },
        { kind: K.dict, generation: 0n, model: 'DICTIONARY', keys: [new Uint8Array([1])] },
      ],
    });
    expect(res.certificates).toHaveLength(1);
    const bytes = encodeToBytes(fetchAnsCodec(storage.modelOf), res.answer);
    const back = decodeExact(fetchAnsCodec(storage.modelOf), bytes);
    expect(back.kindResponses).toHaveLength(2);
  });
});

describe('concurrency, configuration changes and background purge', () => {
  it('concurrent appends to one array get distinct indices', async () => {
    const { storage } = await setup();
    await Promise.all(
      [1n, 2n, 3n, 4n].map((t) =>
        storeOne(storage, alice, A, K.array, [
          signed(alice, A, K.array, entryAt(0xffffffff, `v${t}`), t),
        ]),
      ),
    );
    const r = await fetchValues(storage, A, {
      kind: K.array,
      model: 'ARRAY',
      indices: [{ first: 0, last: 0xffffffff }],
    });
    const vals = 'values' in r ? r.values : [];
    expect(vals.map((d) => d.value.value.exists)).toEqual([true, true, true, true]);
    expect(new Set(vals.map(text)).size).toBe(4);
    expect(r.generation).toBe(4n);
  });

  it('a Kind whose data model changed replaces the old values on the next store', async () => {
    const kinds = createKindRegistry(KIND_CONFIGS);
    const clock = fakeClock();
    const storage = await openStorage({
      backend: await openMemoryBackend(),
      kinds,
      policies: createPolicyRegistry(),
      verifier: testVerifier,
      resourceIdOf,
      now: clock.now,
    });
    await storeOne(storage, alice, A, K.single, [signed(alice, A, K.single, single('old'), 1n)]);
    kinds.update(
      KIND_CONFIGS.map((c) =>
        c.id === K.single ? { ...c, dataModel: 'DICTIONARY', maxCount: 5 } : c,
      ),
    );
    const empty = await fetchValues(storage, A, { kind: K.single, model: 'DICTIONARY', keys: [] });
    expect('values' in empty && empty.values).toEqual([]);
    await storeOne(storage, alice, A, K.single, [
      signed(alice, A, K.single, keyed('k', 'new'), 2n),
    ]);
    const r = await fetchValues(storage, A, { kind: K.single, model: 'DICTIONARY', keys: [] });
    expect('values' in r && r.values.map(text)).toEqual(['new']);
    expect(r.generation).toBe(2n);
    kinds.update([]);
    await rejects(
      fetchValues(storage, A, { kind: K.single, model: 'DICTIONARY', keys: [] }),
      ErrorCode.UnknownKind,
    );
  });

  it('purges expired values in the background when purgeIntervalMs is set', async () => {
    let t = Date.now();
    const errors: unknown[] = [];
    const { storage } = await setup({
      now: () => t,
      purgeIntervalMs: 10,
      onPurgeError: (e) => errors.push(e),
    });
    await storeOne(storage, alice, A, K.single, [signed(alice, A, K.single, single('x'), 1n, 1)]);
    expect(storage.usage().bytes).toBeGreaterThan(0);
    t += 2000;
    for (let i = 0; i < 100 && storage.usage().bytes > 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(storage.usage().bytes).toBe(0);
    expect(errors).toEqual([]);
    await storage.close();
  });
});
