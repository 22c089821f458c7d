/**
 * The flat fast paths (decisions 0171, 0173) against the per-field reference codecs they
 * shortcut: same bytes on encode, same values on decode, and — for any input, valid or
 * mutated — the same outcome: either both accept with equal results, or both reject with the
 * same error code, field and offset. The references are composed here from the per-field
 * codecs (forwardingHeaderCodec, MessageContentsCodec, GenericCertificateCodec,
 * SignerIdentityCodec, storedDataValueCodec, readKindValues, vectorCodec), which the fast
 * paths never call for the shapes they accept.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Codec,
  type Destination,
  type GenericCertificate,
  type Message,
  type ModelOf,
  type SecurityBlock,
  type Signature,
  type SignerIdentity,
  type StoreKindData,
  type StoreReq,
  type StoredData,
  type StoredDataModel,
  type WireOptions,
  FRAGMENT_LAST_BIT,
  GenericCertificateCodec,
  FRAGMENT_OFFSET_MASK,
  MessageContentsCodec,
  Reader,
  SignerIdentityCodec,
  Writer,
  decodeExact,
  decodeForwardingHeaderFrom,
  decodeMessage,
  encodeMessage,
  encodeToBytes,
  forwardingHeaderCodec,
  invalidMessage,
  isReloadError,
  readKindValues,
  storeReqCodec,
  storedDataCodec,
  storedDataValueCodec,
  writeKindValues,
} from '@reload/wire';
// internal per-field primitives (not re-exported by the package)
import { readResourceId, vectorCodec, writeResourceId } from '../src/bodies/primitives.js';
import { hex, storedDataArb } from './bodies-helpers.js';
import { forwardingHeaderArb } from './message-helpers.js';

const bytes = (min: number, max: number): fc.Arbitrary<Uint8Array> =>
  fc.uint8Array({ minLength: min, maxLength: max });

/** Code and field of the ReloadError `f` threw (undefined when it did not throw one). */
function errorOf(f: () => unknown): unknown {
  return (outcome(f) as { error?: unknown[] }).error?.slice(0, 2);
}

/** What `f` did: its value, or the code, field and offset of the ReloadError it threw. */
function outcome(f: () => unknown): unknown {
  try {
    return { ok: f() };
  } catch (e) {
    if (!isReloadError(e)) throw e;
    const r = e as { code: unknown; field?: string; offset?: number };
    return { error: [r.code, r.field, r.offset] };
  }
}

/** A mutated copy of `b`: a few bytes overwritten, then maybe cut. */
const mutation = fc.record({
  flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
    minLength: 1,
    maxLength: 3,
  }),
  cut: fc.option(fc.nat()),
});
function mutate(b: Uint8Array, m: { flips: [number, number][]; cut: number | null }): Uint8Array {
  const x = b.slice();
  for (const [at, v] of m.flips) x[at % x.length] = v;
  return m.cut === null ? x : x.subarray(0, m.cut % (x.length + 1));
}

// ---- whole messages ------------------------------------------------------------------------

const nodeDest = bytes(16, 16).map((nodeId): Destination => ({ kind: 'node', nodeId }));
const resourceDest = bytes(0, 254).map((resourceId): Destination => ({
  kind: 'resource',
  resourceId,
}));
const identity: fc.Arbitrary<SignerIdentity> = fc.oneof(
  fc
    .record({ hashAlg: fc.integer({ min: 0, max: 255 }), certificateHash: bytes(0, 255) })
    .map((v) => ({ identityType: 1 as const, ...v })),
  fc
    .record({ hashAlg: fc.integer({ min: 0, max: 255 }), certificateNodeIdHash: bytes(0, 255) })
    .map((v) => ({ identityType: 2 as const, ...v })),
);
const certificate: fc.Arbitrary<GenericCertificate> = fc.record({
  type: fc.integer({ min: 0, max: 255 }),
  certificate: bytes(0, 300),
});

/** Messages of the shape the envelope fast path takes (decision 0173). */
const commonMessage: fc.Arbitrary<Message> = fc.record({
  forwardingHeader: forwardingHeaderArb(
    fc.array(nodeDest, { maxLength: 3 }),
    fc
      .tuple(fc.array(nodeDest, { maxLength: 2 }), fc.option(resourceDest))
      .map(([l, r]) => (r ? [...l, r] : l)),
    fc.constant([]),
  ),
  messageContents: fc.record({
    messageCode: fc.oneof(fc.integer({ min: 1, max: 0x7fff }), fc.constant(0xffff)),
    messageBody: bytes(0, 300),
    extensions: fc.constant([]),
  }),
  securityBlock: fc.record({
    certificates: fc.array(certificate, { maxLength: 3 }),
    signature: fc.record({
      algorithm: fc.record({
        hash: fc.integer({ min: 0, max: 255 }),
        signature: fc.integer({ min: 0, max: 255 }),
      }),
      identity,
      signatureValue: bytes(0, 300),
    }),
  }),
});

/** Signature by the per-field codecs (§6.3.4): no fast path for any identity type. */
const referenceSignature: Codec<Signature> = {
  encodedLength: (v) =>
    2 + SignerIdentityCodec.encodedLength(v.identity) + 2 + v.signatureValue.length,
  encode(v, w) {
    w.u8(v.algorithm.hash, 'Signature.algorithm.hash');
    w.u8(v.algorithm.signature, 'Signature.algorithm.signature');
    SignerIdentityCodec.encode(v.identity, w);
    w.opaque(v.signatureValue, 2, 'Signature.signature_value');
  },
  decode(r) {
    const hash = r.u8('Signature.algorithm.hash');
    const signature = r.u8('Signature.algorithm.signature');
    const identity = SignerIdentityCodec.decode(r);
    const signatureValue = r.opaque(2, 'Signature.signature_value');
    return { algorithm: { hash, signature }, identity, signatureValue };
  },
};

/** SecurityBlock by the per-field codecs (§6.3.4). */
const referenceSecurityBlock: Codec<SecurityBlock> = {
  encodedLength: (v) =>
    2 +
    v.certificates.reduce((n, c) => n + GenericCertificateCodec.encodedLength(c), 0) +
    referenceSignature.encodedLength(v.signature),
  encode(v, w) {
    const at = w.beginVector(2, 'SecurityBlock.certificates');
    for (const c of v.certificates) GenericCertificateCodec.encode(c, w);
    w.endVector(at, 2, 'SecurityBlock.certificates');
    referenceSignature.encode(v.signature, w);
  },
  decode(r) {
    const saved = r.enter(r.u16('SecurityBlock.certificates'), 'SecurityBlock.certificates');
    const certificates = r.list(
      GenericCertificateCodec.decode,
      Infinity,
      'SecurityBlock.certificates',
    );
    r.leave(saved, 'SecurityBlock.certificates');
    return { certificates, signature: referenceSignature.decode(r) };
  },
};

/** The message encoded part by part with the per-field codecs. */
function referenceEncode(m: Message, opts?: WireOptions): Uint8Array {
  const contents = encodeToBytes(MessageContentsCodec, m.messageContents);
  const security = encodeToBytes(referenceSecurityBlock, m.securityBlock);
  const fh = forwardingHeaderCodec(opts);
  const headerLength = fh.encodedLength(m.forwardingHeader);
  const total = headerLength + contents.length + security.length;
  const header = encodeToBytes(fh, { ...m.forwardingHeader, length: total });
  return Buffer.concat([header, contents, security]);
}

/** decodeMessage's per-field path, composed from the per-field codecs. */
function referenceDecode(b: Uint8Array, opts?: WireOptions) {
  const r = new Reader(b);
  const forwardingHeader = decodeForwardingHeaderFrom(r, opts);
  if (forwardingHeader.length !== b.length) {
    throw invalidMessage('ForwardingHeader.length', 16, 'length');
  }
  if (
    (forwardingHeader.fragment & (FRAGMENT_LAST_BIT | FRAGMENT_OFFSET_MASK)) !==
    FRAGMENT_LAST_BIT
  ) {
    throw invalidMessage('ForwardingHeader.fragment', 12, 'fragment');
  }
  const headerLength = r.pos;
  const messageContents = MessageContentsCodec.decode(r);
  const contentsBytes = r.range(headerLength, r.pos, 'MessageContents');
  const securityBlock = referenceSecurityBlock.decode(r);
  r.done('Message');
  return { forwardingHeader, messageContents, securityBlock, contentsBytes, headerLength };
}

/** Plain copies of every byte field, so that toEqual compares contents, not views. */
const plain = (v: unknown): unknown =>
  JSON.parse(
    JSON.stringify(v, (_k, x: unknown) =>
      x instanceof Uint8Array
        ? `bytes:${hex(x)}`
        : typeof x === 'bigint'
          ? `bigint:${x.toString()}`
          : x,
    ),
  );

describe('Message envelope fast path (decision 0173)', () => {
  it('writes the bytes of the per-field codecs and reads back what they read', () => {
    fc.assert(
      fc.property(commonMessage, (m) => {
        const b = encodeMessage(m);
        expect(hex(b)).toBe(hex(referenceEncode(m)));
        expect(plain(decodeMessage(b))).toEqual(plain(referenceDecode(b)));
      }),
      { numRuns: 400 },
    );
  });

  it('covers the length edges: 254/255-byte hashes, 256-byte certificates and bodies', () => {
    for (const n of [0, 1, 253, 254, 255]) {
      for (const type of [1, 2] as const) {
        const id: SignerIdentity =
          type === 1
            ? { identityType: 1, hashAlg: 4, certificateHash: new Uint8Array(n).fill(3) }
            : { identityType: 2, hashAlg: 4, certificateNodeIdHash: new Uint8Array(n).fill(3) };
        const m: Message = {
          forwardingHeader: {
            overlay: 1,
            configurationSequence: 0x1234,
            version: 0x0a,
            ttl: 100,
            fragment: 0xc0000000,
            length: 0,
            transactionId: 2n ** 64n - 1n,
            maxResponseLength: 0xffffffff,
            viaList: [],
            destinationList: [
              { kind: 'resource', resourceId: new Uint8Array(n === 255 ? 254 : n) },
            ],
            options: [],
          },
          messageContents: {
            messageCode: 0xffff,
            messageBody: new Uint8Array(256),
            extensions: [],
          },
          securityBlock: {
            certificates: [{ type: 0, certificate: new Uint8Array(256 + n).fill(1) }],
            signature: {
              algorithm: { hash: 4, signature: 1 },
              identity: id,
              signatureValue: new Uint8Array(256 + n),
            },
          },
        };
        const b = encodeMessage(m);
        expect(hex(b)).toBe(hex(referenceEncode(m)));
        expect(plain(decodeMessage(b))).toEqual(plain(referenceDecode(b)));
      }
    }
  });

  it('mutated and cut messages: same value or same error as the per-field path', () => {
    fc.assert(
      fc.property(commonMessage, mutation, (m, mu) => {
        const x = mutate(encodeMessage(m), mu);
        expect(plain(outcome(() => decodeMessage(x)))).toEqual(
          plain(outcome(() => referenceDecode(x))),
        );
      }),
      { numRuns: 3000 },
    );
  });

  it('truncation at every offset fails like the per-field path', () => {
    const [m] = fc.sample(commonMessage, { numRuns: 1, seed: 7 });
    const b = encodeMessage(m);
    for (let n = 0; n < b.length; n++) {
      const x = b.subarray(0, n);
      expect(plain(outcome(() => decodeMessage(x)))).toEqual(
        plain(outcome(() => referenceDecode(x))),
      );
    }
  });

  it('honours the overlay NodeId length (20 bytes), also for mutated input', () => {
    const opts = { nodeIdLength: 20 };
    const id20 = bytes(20, 20).map((nodeId): Destination => ({ kind: 'node', nodeId }));
    const m20 = commonMessage.chain((m) =>
      fc
        .record({ via: fc.array(id20, { maxLength: 2 }), dst: fc.array(id20, { maxLength: 2 }) })
        .map(({ via, dst }) => ({
          ...m,
          forwardingHeader: { ...m.forwardingHeader, viaList: via, destinationList: dst },
        })),
    );
    fc.assert(
      fc.property(m20, mutation, (m, mu) => {
        const b = encodeMessage(m, opts);
        expect(hex(b)).toBe(hex(referenceEncode(m, opts)));
        expect(plain(decodeMessage(b, opts))).toEqual(plain(referenceDecode(b, opts)));
        const x = mutate(b, mu);
        expect(plain(outcome(() => decodeMessage(x, opts)))).toEqual(
          plain(outcome(() => referenceDecode(x, opts))),
        );
      }),
      { numRuns: 300 },
    );
    // a 16-byte NodeId in a 20-byte overlay is refused on both paths
    const [m] = fc.sample(commonMessage, { numRuns: 1, seed: 11 });
    const b16 = encodeMessage({
      ...m,
      forwardingHeader: {
        ...m.forwardingHeader,
        viaList: [{ kind: 'node', nodeId: new Uint8Array(16) }],
      },
    });
    expect(errorOf(() => decodeMessage(b16, opts))).toEqual([0x14, 'Destination.node_id']);
  });

  it('out-of-range fields of a common message fail with their own field name', () => {
    const [m] = fc.sample(commonMessage, { numRuns: 1, seed: 3 });
    const field = (over: Partial<Message['forwardingHeader']>): unknown => {
      const e = outcome(() =>
        encodeMessage({ ...m, forwardingHeader: { ...m.forwardingHeader, ...over } }),
      ) as { error?: unknown[] };
      return e.error?.slice(0, 2);
    };
    expect(field({ overlay: 2 ** 32 })).toEqual(['WIRE_UNENCODABLE', 'ForwardingHeader.overlay']);
    expect(field({ ttl: -1 })).toEqual(['WIRE_UNENCODABLE', 'ForwardingHeader.ttl']);
    expect(field({ transactionId: -1n })).toEqual([
      'WIRE_UNENCODABLE',
      'ForwardingHeader.transaction_id',
    ]);
    expect(field({ viaList: [{ kind: 'node', nodeId: new Uint8Array(15) }] })).toEqual([
      'WIRE_UNENCODABLE',
      'Destination.node_id',
    ]);
    expect(
      errorOf(() =>
        encodeMessage({ ...m, messageContents: { ...m.messageContents, messageCode: 0 } }),
      ),
    ).toEqual(['WIRE_UNENCODABLE', 'MessageContents.message_code']);
    const sig = m.securityBlock.signature;
    expect(
      errorOf(() =>
        encodeMessage({
          ...m,
          securityBlock: {
            ...m.securityBlock,
            signature: { ...sig, signatureValue: new Uint8Array(0x10000) },
          },
        }),
      ),
    ).toEqual(['WIRE_UNENCODABLE', 'Signature.signature_value']);
  });

  it('decodes the method body in the same pass (DecodeMessageOptions.body)', () => {
    const codec: Codec<number[]> = vectorCodec(
      { encodedLength: () => 2, encode: (v, w) => w.u16(v, 'x'), decode: (r) => r.u16('x') },
      1,
      'list',
    );
    const body = encodeToBytes(codec, [1, 2, 3]);
    const [m] = fc.sample(commonMessage, { numRuns: 1, seed: 5 });
    const withBody = { ...m, messageContents: { ...m.messageContents, messageBody: body } };
    const b = encodeMessage(withBody);
    const d = decodeMessage(b, { body: codec });
    expect(d.body).toEqual([1, 2, 3]);
    expect(hex(d.messageContents.messageBody)).toBe(hex(body));
    // a body that does not fill message_body, and one that overruns it, with absolute offsets
    const short = encodeMessage({
      ...m,
      messageContents: { ...m.messageContents, messageBody: new Uint8Array([4, 0, 1, 0, 2, 9]) },
    });
    expect(errorOf(() => decodeMessage(short, { body: codec }))).toEqual([
      0x14,
      'MessageContents.message_body',
    ]);
    const over = encodeMessage({
      ...m,
      messageContents: { ...m.messageContents, messageBody: new Uint8Array([9, 0, 1]) },
    });
    // the same on the per-field path (a message with an extension is not the common shape)
    const ext = {
      ...withBody,
      messageContents: {
        ...withBody.messageContents,
        extensions: [{ type: 7, critical: false, contents: new Uint8Array([1]) }],
      },
    };
    const slow = decodeMessage(encodeMessage(ext), { body: codec });
    expect(slow.body).toEqual([1, 2, 3]);
    expect(slow.messageContents.extensions).toHaveLength(1);
    const e = outcome(() => decodeMessage(over, { body: codec })) as { error: unknown[] };
    expect(e.error[0]).toBe(0x14);
    expect(e.error[2]).toBeGreaterThan(38);
  });
});

// ---- StoredData and StoreReq ---------------------------------------------------------------

/** StoredData by the per-field codecs (§7): length, storage_time, lifetime, value, signature. */
function referenceStoredData(model: StoredDataModel): Codec<StoredData> {
  const value = storedDataValueCodec(model);
  return {
    encodedLength: (v) =>
      16 + value.encodedLength(v.value) + referenceSignature.encodedLength(v.signature),
    encode(v, w) {
      const at = w.beginVector(4, 'StoredData.length');
      w.u64(v.storageTime, 'StoredData.storage_time');
      w.u32(v.lifetime, 'StoredData.lifetime');
      value.encode(v.value, w);
      referenceSignature.encode(v.signature, w);
      w.endVector(at, 4, 'StoredData.length');
    },
    decode(r) {
      const saved = r.enter(r.u32('StoredData.length'), 'StoredData.length');
      const storageTime = r.u64('StoredData.storage_time');
      const lifetime = r.u32('StoredData.lifetime');
      const v = value.decode(r);
      const signature = referenceSignature.decode(r);
      r.leave(saved, 'StoredData');
      return { storageTime, lifetime, value: v, signature };
    },
  };
}

const MODELS: StoredDataModel[] = ['SINGLE', 'ARRAY', 'DICTIONARY'];

describe('StoredData fast path (decision 0173)', () => {
  for (const model of MODELS) {
    it(`${model}: same bytes and values as the per-field codecs; same outcome when mutated`, () => {
      const fast = storedDataCodec(model);
      const ref = referenceStoredData(model);
      fc.assert(
        fc.property(storedDataArb(model), mutation, (v, mu) => {
          const b = encodeToBytes(fast, v);
          expect(hex(b)).toBe(hex(encodeToBytes(ref, v)));
          expect(fast.encodedLength(v)).toBe(b.length);
          expect(plain(decodeExact(fast, b))).toEqual(plain(decodeExact(ref, b)));
          const x = mutate(b, mu);
          expect(plain(outcome(() => decodeExact(fast, x)))).toEqual(
            plain(outcome(() => decodeExact(ref, x))),
          );
        }),
        { numRuns: 500 },
      );
    });
  }

  it('out-of-range fields fail as in the per-field path', () => {
    const [single] = fc.sample(storedDataArb('SINGLE'), { numRuns: 1, seed: 1 });
    const [array] = fc.sample(storedDataArb('ARRAY'), { numRuns: 1, seed: 1 });
    const [dict] = fc.sample(storedDataArb('DICTIONARY'), { numRuns: 1, seed: 1 });
    const err = (model: StoredDataModel, v: StoredData): unknown => {
      const fast = outcome(() => encodeToBytes(storedDataCodec(model), v)) as { error?: unknown[] };
      const ref = outcome(() => encodeToBytes(referenceStoredData(model), v)) as {
        error?: unknown[];
      };
      expect(fast.error?.slice(0, 2)).toEqual(ref.error?.slice(0, 2));
      return fast.error?.[1];
    };
    expect(err('SINGLE', { ...single, storageTime: -1n })).toBe('StoredData.storage_time');
    expect(err('SINGLE', { ...single, lifetime: 2 ** 32 })).toBe('StoredData.lifetime');
    const bad = {
      ...single,
      value: { model: 'SINGLE', value: { exists: 1, value: new Uint8Array(1) } },
    };
    expect(err('SINGLE', bad as unknown as StoredData)).toBe('DataValue.exists');
    expect(err('ARRAY', single)).toBe('StoredDataValue');
    if (array.value.model === 'ARRAY') {
      expect(err('ARRAY', { ...array, value: { ...array.value, index: -1 } })).toBe(
        'StoredDataValue.index',
      );
    }
    if (dict.value.model === 'DICTIONARY') {
      expect(
        err('DICTIONARY', { ...dict, value: { ...dict.value, key: new Uint8Array(0x10000) } }),
      ).toBe('StoredDataValue.key');
    }
  });
});

const KINDS: Record<number, StoredDataModel> = { 1: 'SINGLE', 2: 'ARRAY', 3: 'DICTIONARY' };
const modelOf: ModelOf = (kind) => KINDS[kind];

/** StoreKindData / StoreReq by the per-field codecs (§7.4.1.1). */
const referenceKindData: Codec<StoreKindData> = {
  encodedLength: (v) =>
    encodeToBytes(storeReqCodec(modelOf), {
      resource: new Uint8Array(0),
      replicaNumber: 0,
      kindData: [v],
    }).length - 6,
  encode(v, w) {
    w.u32(v.kind, 'StoreKindData.kind');
    w.u64(v.generationCounter, 'StoreKindData.generation_counter');
    writeKindValues(w, v, 'StoreKindData.values');
  },
  decode(r) {
    const kind = r.u32('StoreKindData.kind');
    const generationCounter = r.u64('StoreKindData.generation_counter');
    return { kind, generationCounter, ...readKindValues(r, kind, modelOf, 'StoreKindData.values') };
  },
};
const referenceKinds = vectorCodec(referenceKindData, 4, 'StoreReq.kind_data');
const referenceStoreReq: Codec<StoreReq> = {
  encodedLength: () => 0,
  encode(v, w) {
    writeResourceId(w, v.resource, 'StoreReq.resource');
    w.u8(v.replicaNumber, 'StoreReq.replica_number');
    referenceKinds.encode(v.kindData, w);
  },
  decode(r) {
    const resource = readResourceId(r, 'StoreReq.resource');
    const replicaNumber = r.u8('StoreReq.replica_number');
    return { resource, replicaNumber, kindData: referenceKinds.decode(r) };
  },
};

const kindData: fc.Arbitrary<StoreKindData> = fc.oneof(
  ...([1, 2, 3] as const).map((kind) =>
    fc.record({
      kind: fc.constant(kind),
      generationCounter: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      values: fc.array(storedDataArb(KINDS[kind]), { maxLength: 3 }),
    }),
  ),
  fc.record({
    kind: fc.integer({ min: 4, max: 0xffffffff }),
    generationCounter: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    rawValues: bytes(0, 40),
  }),
);
const storeReq: fc.Arbitrary<StoreReq> = fc.record({
  resource: bytes(0, 255),
  replicaNumber: fc.integer({ min: 0, max: 255 }),
  kindData: fc.array(kindData, { maxLength: 3 }),
});

describe('StoreReq / StoreKindData fast paths (decision 0173)', () => {
  it('same bytes, values and (when mutated) outcomes as the per-field codecs', () => {
    const fast = storeReqCodec(modelOf);
    fc.assert(
      fc.property(storeReq, mutation, (v, mu) => {
        const b = encodeToBytes(fast, v);
        const w = new Writer(new Uint8Array(b.length));
        referenceStoreReq.encode(v, w);
        expect(hex(b)).toBe(hex(w.buf));
        expect(plain(decodeExact(fast, b))).toEqual(plain(decodeExact(referenceStoreReq, b)));
        const x = mutate(b, mu);
        expect(plain(outcome(() => decodeExact(fast, x)))).toEqual(
          plain(outcome(() => decodeExact(referenceStoreReq, x))),
        );
      }),
      { numRuns: 1000 },
    );
  });

  it('out-of-range fields fail with their own field name', () => {
    const [v] = fc.sample(storeReq, { numRuns: 1, seed: 2 });
    const c = storeReqCodec(modelOf);
    const field = (x: StoreReq): unknown =>
      (outcome(() => encodeToBytes(c, x)) as { error?: unknown[] }).error?.[1];
    expect(field({ ...v, resource: new Uint8Array(256) })).toBe('StoreReq.resource');
    expect(field({ ...v, replicaNumber: 256 })).toBe('StoreReq.replica_number');
    const k = { kind: 1, generationCounter: 0n, values: [] };
    expect(field({ ...v, kindData: [{ ...k, kind: -1 }] })).toBe('StoreKindData.kind');
    expect(field({ ...v, kindData: [{ ...k, generationCounter: 2n ** 64n }] })).toBe(
      'StoreKindData.generation_counter',
    );
  });
});
