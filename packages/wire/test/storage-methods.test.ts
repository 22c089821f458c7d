import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ARRAY_RANGE_LAST,
  ArrayRangeCodec,
  FindAnsCodec,
  FindKindDataCodec,
  FindReqCodec,
  type FetchAns,
  type FetchReq,
  type ModelOf,
  type StatAns,
  type StoreReq,
  type StoredDataModel,
  type StoredDataSpecifier,
  UnknownKindsCodec,
  decodeExact,
  encodeToBytes,
  fetchAnsCodec,
  fetchReqCodec,
  statAnsCodec,
  statReqCodec,
  storeAnsCodec,
  storeKindDataCodec,
  storeKindResponseCodec,
  storeReqCodec,
  storedDataSpecifierCodec,
} from '@reload/wire';
import {
  bytesArb,
  expectInvalid,
  expectTruncationsAndTrailingRejected,
  expectUnencodable,
  hex,
  noneSignature,
  nodeIdArb,
  patched,
  propertyCheck,
  roundTrip,
  storedDataArb,
  u32Arb,
  u64Arb,
} from './bodies-helpers.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Kind 1 = SINGLE, 2 = ARRAY, 3 = DICTIONARY, 4 = EXP-DATA (not laid out), others unknown. */
const models = new Map<number, string>([
  [1, 'SINGLE'],
  [2, 'ARRAY'],
  [3, 'DICTIONARY'],
  [4, 'EXP-DATA'],
]);
const modelOf: ModelOf = (k) => models.get(k);
const KIND_BY_MODEL: Record<StoredDataModel, number> = { SINGLE: 1, ARRAY: 2, DICTIONARY: 3 };
const modelArb = fc.constantFrom<StoredDataModel>('SINGLE', 'ARRAY', 'DICTIONARY');

/** The §7.4.1.1 figure: "abc" single value under X, "foo"/"bar" at 0/1 in array Y. */
const figureStore: StoreReq = {
  resource: enc('1234'),
  replicaNumber: 0,
  kindData: [
    {
      kind: 1,
      generationCounter: 99n,
      values: [
        {
          storageTime: 1000n,
          lifetime: 86400,
          value: { model: 'SINGLE', value: { exists: true, value: enc('abc') } },
          signature: noneSignature,
        },
      ],
    },
    {
      kind: 2,
      generationCounter: 107n,
      values: [
        {
          storageTime: 2000n,
          lifetime: 86400,
          value: { model: 'ARRAY', index: 0, value: { exists: true, value: enc('foo') } },
          signature: noneSignature,
        },
        {
          storageTime: 3000n,
          lifetime: 33200,
          value: { model: 'ARRAY', index: 1, value: { exists: true, value: enc('bar') } },
          signature: noneSignature,
        },
      ],
    },
  ],
};

const storeKindDataArb = modelArb.chain((m) =>
  fc.record({
    kind: fc.constant(KIND_BY_MODEL[m]),
    generationCounter: u64Arb(),
    values: fc.array(storedDataArb(m), { maxLength: 3 }),
  }),
);
const unknownKindDataArb = fc.record({
  kind: fc.constantFrom(4, 99, 0xf0000001),
  generationCounter: u64Arb(),
  rawValues: bytesArb(30),
});

describe('StoreReq (RFC 6940 §7.4.1.1)', () => {
  const codec = storeReqCodec(modelOf);

  it('encodes the §7.4.1.1 figure with hand-computed outer layout', () => {
    const { bytes, back } = roundTrip(codec, figureStore);
    // resource<0..2^8-1> "1234", replica_number 0, kind_data<0..2^32-1>
    expect(hex(bytes.subarray(0, 6))).toBe('04' + '31323334' + '00');
    const kindDataLen = new DataView(bytes.buffer).getUint32(6);
    expect(kindDataLen).toBe(bytes.length - 10);
    // first StoreKindData: kind 1, generation 99, values<0..2^32-1> = one StoredData of 4 + 27 bytes
    expect(hex(bytes.subarray(10, 26))).toBe('00000001' + '0000000000000063' + '0000001f');
    expect(back.kindData[1]).toMatchObject({ kind: 2, generationCounter: 107n });
    if (!('values' in back.kindData[1])) throw new Error('expected decoded values');
    expect(back.kindData[1].values.map((v) => v.value)).toMatchObject([
      { model: 'ARRAY', index: 0 },
      { model: 'ARRAY', index: 1 },
    ]);
  });

  it('keeps values of unknown Kinds (and of EXP-DATA) raw instead of failing', () => {
    const req: StoreReq = {
      resource: enc('r'),
      replicaNumber: 1,
      kindData: [
        { kind: 77, generationCounter: 0n, rawValues: new Uint8Array([1, 2, 3]) },
        { kind: 4, generationCounter: 5n, rawValues: new Uint8Array(0) },
      ],
    };
    const { back } = roundTrip(codec, req);
    expect(back.kindData[0]).toEqual(req.kindData[0]);
    // The same bytes, decoded by a node that knows kind 77 as SINGLE, fail to parse as StoredData.
    const bytes = encodeToBytes(codec, req);
    expectInvalid(
      () =>
        decodeExact(
          storeReqCodec(() => 'SINGLE'),
          bytes,
        ),
      /StoredData/,
    );
  });

  it('malformed table: truncations, trailing bytes, bad lengths, bad Boolean', () => {
    const bytes = encodeToBytes(codec, figureStore);
    expectTruncationsAndTrailingRejected(codec, bytes);
    // resource length past the end
    expectInvalid(() => decodeExact(codec, patched(bytes, 0, [0xff])));
    // kind_data length past the end
    expectInvalid(() => decodeExact(codec, patched(bytes, 6, [0, 0, 0x10, 0])), /kind_data/);
    // values length past the kind_data end
    expectInvalid(() => decodeExact(codec, patched(bytes, 22, [0, 0, 1, 0])), /values/);
    // exists Boolean of the first value = 2
    expectInvalid(() => decodeExact(codec, patched(bytes, 26 + 16, [2])), /exists/);
  });

  it('refuses over-maximum resources and bad replica numbers', () => {
    expectUnencodable(codec, { ...figureStore, resource: new Uint8Array(256) });
    expectUnencodable(codec, { ...figureStore, replicaNumber: 256 });
    roundTrip(codec, { ...figureStore, resource: new Uint8Array(255) });
  });

  it('StoreKindData alone round-trips', () => {
    roundTrip(storeKindDataCodec(modelOf), figureStore.kindData[1]);
  });

  it('property: random StoreReqs round-trip; mutations only throw 0x14', () => {
    propertyCheck(
      codec,
      fc.record({
        resource: bytesArb(20),
        replicaNumber: fc.nat(255),
        kindData: fc.array(fc.oneof(storeKindDataArb, unknownKindDataArb), { maxLength: 3 }),
      }),
      150,
    );
  });
});

describe('StoreAns / StoreKindResponse (RFC 6940 §7.4.1.2)', () => {
  it('hand-computed layout with two 16-byte replicas', () => {
    const c = storeAnsCodec();
    const { bytes } = roundTrip(c, {
      kindResponses: [
        {
          kind: 0x10,
          generationCounter: 2n,
          replicas: [new Uint8Array(16).fill(1), new Uint8Array(16).fill(2)],
        },
      ],
    });
    expect(hex(bytes.subarray(0, 18))).toBe(
      '002e' + '00000010' + '0000000000000002' + '0020' + '0101',
    );
    expect(bytes.length).toBe(2 + 4 + 8 + 2 + 32);
    expectTruncationsAndTrailingRejected(c, bytes);
    // replicas length not a multiple of the NodeId length
    expectInvalid(
      () =>
        decodeExact(
          c,
          patched(bytes, 0, [0, 0x2d, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x1f]),
        ),
      /replicas/,
    );
  });

  it('honours the overlay NodeId length (20 bytes)', () => {
    const c = storeAnsCodec(20);
    const v = {
      kindResponses: [{ kind: 1, generationCounter: 1n, replicas: [new Uint8Array(20)] }],
    };
    roundTrip(c, v);
    expectUnencodable(storeAnsCodec(16), v);
    roundTrip(storeAnsCodec({ nodeIdLength: 20 }), v);
    expect(() => storeAnsCodec(15)).toThrow(/16\.\.20/);
    expect(() => storeKindResponseCodec({ nodeIdLength: 21 })).toThrow(/16\.\.20/);
  });

  it('property: random StoreAns round-trip; mutations only throw 0x14', () => {
    propertyCheck(
      storeAnsCodec(),
      fc.record({
        kindResponses: fc.array(
          fc.record({
            kind: u32Arb(),
            generationCounter: u64Arb(),
            replicas: fc.array(nodeIdArb(16), { maxLength: 3 }),
          }),
          { maxLength: 3 },
        ),
      }),
    );
  });
});

describe('Error_Unknown_Kind error_info (RFC 6940 §7.4.1.2)', () => {
  it('KindId unknown_kinds<0..2^8-1>', () => {
    const { bytes } = roundTrip(UnknownKindsCodec, [0xc, 0xf0000001]);
    expect(hex(bytes)).toBe('08' + '0000000c' + 'f0000001');
    expectTruncationsAndTrailingRejected(UnknownKindsCodec, bytes);
    expectInvalid(() => decodeExact(UnknownKindsCodec, patched(bytes, 0, [7])));
    roundTrip(UnknownKindsCodec, new Array<number>(63).fill(1));
    expectUnencodable(UnknownKindsCodec, new Array<number>(64).fill(1));
  });
});

const specifierArb: fc.Arbitrary<StoredDataSpecifier> = fc.oneof(
  fc.record({ kind: fc.constant(1), generation: u64Arb(), model: fc.constant('SINGLE' as const) }),
  fc.record({
    kind: fc.constant(2),
    generation: u64Arb(),
    model: fc.constant('ARRAY' as const),
    indices: fc.array(fc.record({ first: u32Arb(), last: u32Arb() }), { maxLength: 4 }),
  }),
  fc.record({
    kind: fc.constant(3),
    generation: u64Arb(),
    model: fc.constant('DICTIONARY' as const),
    keys: fc.array(bytesArb(8), { maxLength: 4 }),
  }),
  fc.record({
    kind: fc.constantFrom(4, 1000),
    generation: u64Arb(),
    model: fc.constant(null),
    modelSpecifier: bytesArb(12),
  }),
);

describe('ArrayRange / StoredDataSpecifier / FetchReq / StatReq (RFC 6940 §7.4.2.1)', () => {
  it('ArrayRange: 0..0xffffffff (the "final element") as two 4-byte fields', () => {
    const { bytes } = roundTrip(ArrayRangeCodec, { first: 0, last: ARRAY_RANGE_LAST });
    expect(hex(bytes)).toBe('00000000ffffffff');
    expectTruncationsAndTrailingRejected(ArrayRangeCodec, bytes);
  });

  it('StoredDataSpecifier: hand-computed layouts for each model', () => {
    const c = storedDataSpecifierCodec(modelOf);
    expect(hex(roundTrip(c, { kind: 1, generation: 7n, model: 'SINGLE' }).bytes)).toBe(
      '00000001' + '0000000000000007' + '0000',
    );
    expect(
      hex(
        roundTrip(c, {
          kind: 2,
          generation: 0n,
          model: 'ARRAY',
          indices: [{ first: 1, last: 3 }],
        }).bytes,
      ),
    ).toBe('00000002' + '0000000000000000' + '000a' + '0008' + '00000001' + '00000003');
    expect(
      hex(roundTrip(c, { kind: 3, generation: 0n, model: 'DICTIONARY', keys: [] }).bytes),
    ).toBe('00000003' + '0000000000000000' + '0002' + '0000');
  });

  it('StoredDataSpecifier: length must match the model specifier exactly', () => {
    const c = storedDataSpecifierCodec(modelOf);
    const arr = encodeToBytes(c, {
      kind: 2,
      generation: 0n,
      model: 'ARRAY',
      indices: [{ first: 1, last: 3 }],
    });
    expectTruncationsAndTrailingRejected(c, arr);
    // length claims one more byte than indices uses: trailing byte inside the specifier
    const longer = new Uint8Array(arr.length + 1);
    longer.set(arr);
    longer[13] = 0x0b;
    expectInvalid(() => decodeExact(c, longer), /model_specifier/);
    // indices length not a multiple of 8
    expectInvalid(() => decodeExact(c, patched(arr, 14, [0, 7])), /ArrayRange/);
    // a single-value specifier must be empty
    const single = encodeToBytes(c, { kind: 1, generation: 0n, model: 'SINGLE' });
    const withByte = new Uint8Array([...single, 0]);
    withByte[13] = 1;
    expectInvalid(() => decodeExact(c, withByte), /model_specifier/);
    // unknown kind: whatever the length covers is kept raw
    const raw = decodeExact(
      storedDataSpecifierCodec(() => undefined),
      longer,
    );
    expect(raw).toMatchObject({ kind: 2, model: null });
  });

  it('FetchReq and StatReq: round trip, malformed table, properties', () => {
    const req: FetchReq = {
      resource: enc('res'),
      specifiers: [
        { kind: 1, generation: 0n, model: 'SINGLE' },
        { kind: 3, generation: 9n, model: 'DICTIONARY', keys: [enc('a'), enc('bc')] },
        { kind: 999, generation: 0n, model: null, modelSpecifier: new Uint8Array([1]) },
      ],
    };
    for (const c of [fetchReqCodec(modelOf), statReqCodec(modelOf)]) {
      const { bytes } = roundTrip(c, req);
      expect(hex(bytes.subarray(0, 6))).toBe('03726573' + hex(bytes.subarray(4, 6)));
      expectTruncationsAndTrailingRejected(c, bytes);
      propertyCheck(
        c,
        fc.record({ resource: bytesArb(), specifiers: fc.array(specifierArb, { maxLength: 3 }) }),
        100,
      );
    }
    expectInvalid(
      () =>
        decodeExact(
          statReqCodec(modelOf),
          encodeToBytes(fetchReqCodec(modelOf), req).subarray(0, 3),
        ),
      /^StatReq/,
    );
  });
});

describe('FetchAns (RFC 6940 §7.4.2.2)', () => {
  const codec = fetchAnsCodec(modelOf);
  it('round-trips known and unknown Kinds; 4-byte kind_responses prefix', () => {
    const ans: FetchAns = {
      kindResponses: [
        {
          kind: 2,
          generation: 107n,
          values:
            figureStore.kindData[1] && 'values' in figureStore.kindData[1]
              ? figureStore.kindData[1].values
              : [],
        },
        { kind: 1, generation: 1n, values: [] },
        { kind: 55, generation: 3n, rawValues: enc('opaque') },
      ],
    };
    const { bytes, back } = roundTrip(codec, ans);
    expect(new DataView(bytes.buffer).getUint32(0)).toBe(bytes.length - 4);
    expect(back.kindResponses[2]).toEqual(ans.kindResponses[2]);
    expectTruncationsAndTrailingRejected(codec, bytes);
    expectInvalid(() => decodeExact(codec, patched(bytes, 0, [0xff])), /kind_responses/);
  });

  it('property: random FetchAns round-trip; mutations only throw 0x14', () => {
    propertyCheck(
      codec,
      fc.record({
        kindResponses: fc.array(
          fc.oneof(
            storeKindDataArb.map(({ kind, generationCounter, values }) => ({
              kind,
              generation: generationCounter,
              values,
            })),
            unknownKindDataArb.map(({ kind, generationCounter, rawValues }) => ({
              kind,
              generation: generationCounter,
              rawValues,
            })),
          ),
          { maxLength: 3 },
        ),
      }),
      150,
    );
  });
});

describe('StatAns (RFC 6940 §7.4.3.2)', () => {
  const codec = statAnsCodec(modelOf);
  const metaArb = fc.record({
    exists: fc.boolean(),
    valueLength: u32Arb(),
    hashAlgorithm: fc.nat(255),
    hashValue: bytesArb(32),
  });
  const statKindArb = fc.oneof(
    fc.record({
      kind: fc.constant(1),
      generation: u64Arb(),
      values: fc.array(
        fc.record({
          storageTime: u64Arb(),
          lifetime: u32Arb(),
          metadata: fc.record({ model: fc.constant('SINGLE' as const), value: metaArb }),
        }),
        { maxLength: 2 },
      ),
    }),
    fc.record({
      kind: fc.constant(2),
      generation: u64Arb(),
      values: fc.array(
        fc.record({
          storageTime: u64Arb(),
          lifetime: u32Arb(),
          metadata: fc.record({
            model: fc.constant('ARRAY' as const),
            index: u32Arb(),
            value: metaArb,
          }),
        }),
        { maxLength: 2 },
      ),
    }),
    fc.record({ kind: fc.constant(77), generation: u64Arb(), rawValues: bytesArb() }),
  );

  it('hand-computed layout and malformed table', () => {
    const ans: StatAns = {
      kindResponses: [
        {
          kind: 1,
          generation: 4n,
          values: [
            {
              storageTime: 5n,
              lifetime: 6,
              metadata: {
                model: 'SINGLE',
                value: {
                  exists: true,
                  valueLength: 3,
                  hashAlgorithm: 2,
                  hashValue: new Uint8Array(0),
                },
              },
            },
          ],
        },
      ],
    };
    const { bytes } = roundTrip(codec, ans);
    expect(hex(bytes)).toBe(
      '00000027' +
        '00000001' +
        '0000000000000004' +
        '00000017' +
        '00000013' +
        '0000000000000005' +
        '00000006' +
        '01' +
        '00000003' +
        '02' +
        '00',
    );
    expectTruncationsAndTrailingRejected(codec, bytes);
    expectInvalid(() => decodeExact(codec, patched(bytes, 36, [5])), /exists/);
  });

  it('property: random StatAns round-trip; mutations only throw 0x14', () => {
    propertyCheck(
      codec,
      fc.record({ kindResponses: fc.array(statKindArb, { maxLength: 3 }) }),
      150,
    );
  });
});

describe('FindReq / FindKindData / FindAns (RFC 6940 §7.4.4)', () => {
  it('FindReq: resource, kinds<0..2^8-1> of uint32', () => {
    const { bytes } = roundTrip(FindReqCodec, { resource: enc('R'), kinds: [2, 0x10] });
    expect(hex(bytes)).toBe('0152' + '08' + '00000002' + '00000010');
    expectTruncationsAndTrailingRejected(FindReqCodec, bytes);
    expectInvalid(() => decodeExact(FindReqCodec, patched(bytes, 2, [6])), /kinds/);
    expectUnencodable(FindReqCodec, { resource: enc('R'), kinds: new Array<number>(64).fill(1) });
    propertyCheck(
      FindReqCodec,
      fc.record({ resource: bytesArb(), kinds: fc.array(u32Arb(), { maxLength: 63 }) }),
    );
  });

  it('FindAns: results<0..2^16-1> of (KindId, ResourceId)', () => {
    const { bytes } = roundTrip(FindAnsCodec, {
      results: [
        { kind: 2, closest: new Uint8Array([0xaa, 0xbb]) },
        { kind: 9, closest: new Uint8Array(0) },
      ],
    });
    expect(hex(bytes)).toBe('000c' + '00000002' + '02aabb' + '00000009' + '00');
    expectTruncationsAndTrailingRejected(FindAnsCodec, bytes);
    expectTruncationsAndTrailingRejected(FindKindDataCodec, bytes.subarray(2, 9));
    expectInvalid(() => decodeExact(FindAnsCodec, patched(bytes, 6, [9])), /closest/);
    propertyCheck(
      FindAnsCodec,
      fc.record({
        results: fc.array(fc.record({ kind: u32Arb(), closest: bytesArb(20) }), { maxLength: 4 }),
      }),
    );
  });
});
