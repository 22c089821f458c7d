import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ArrayEntryCodec,
  DataValueCodec,
  DictionaryEntryCodec,
  DictionaryKeyCodec,
  MetaDataCodec,
  type StoredData,
  type StoredDataValue,
  type StoredMetaData,
  decodeExact,
  encodeToBytes,
  metaDataValueCodec,
  storedDataCodec,
  storedDataValueCodec,
  storedMetaDataCodec,
} from '@reload/wire';
import {
  bytesArb,
  dataValueArb,
  expectInvalid,
  expectTruncationsAndTrailingRejected,
  expectUnencodable,
  hex,
  noneSignature,
  patched,
  propertyCheck,
  roundTrip,
  rsaSignature,
  storedDataArb,
  storedDataValueArb,
  u32Arb,
  u64Arb,
  unhex,
} from './bodies-helpers.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('DataValue (RFC 6940 §7.2.1)', () => {
  it('encodes exists=True "abc" as 01 00000003 616263', () => {
    const { bytes, back } = roundTrip(DataValueCodec, { exists: true, value: enc('abc') });
    expect(hex(bytes)).toBe('0100000003616263');
    expect(back.exists).toBe(true);
  });

  it('encodes the §7.4.1.3 removal value (exists=False, empty)', () => {
    const { bytes } = roundTrip(DataValueCodec, { exists: false, value: new Uint8Array(0) });
    expect(hex(bytes)).toBe('0000000000');
  });

  it('rejects truncations, trailing bytes, a length past the end and a bad Boolean', () => {
    const bytes = encodeToBytes(DataValueCodec, { exists: true, value: enc('abc') });
    expectTruncationsAndTrailingRejected(DataValueCodec, bytes);
    expectInvalid(() => decodeExact(DataValueCodec, patched(bytes, 1, [0, 0, 0, 4])), /value/);
    expectInvalid(
      () => decodeExact(DataValueCodec, patched(bytes, 1, [0xff, 0xff, 0xff, 0xff])),
      /DataValue.value/,
    );
    for (const b of [2, 0x80, 0xff]) {
      expectInvalid(() => decodeExact(DataValueCodec, patched(bytes, 0, [b])), /exists/);
    }
  });

  it('refuses to encode a non-boolean exists', () => {
    expectUnencodable(DataValueCodec, {
      exists: 1 as unknown as boolean,
      value: new Uint8Array(0),
    });
  });
});

describe('ArrayEntry / DictionaryEntry / DictionaryKey (RFC 6940 §7.2.2, §7.2.3)', () => {
  it('lays out ArrayEntry as uint32 index then DataValue', () => {
    const { bytes } = roundTrip(ArrayEntryCodec, {
      index: 0xffffffff,
      value: { exists: true, value: enc('x') },
    });
    expect(hex(bytes)).toBe('ffffffff' + '01' + '00000001' + '78');
    expectTruncationsAndTrailingRejected(ArrayEntryCodec, bytes);
    expectInvalid(() => decodeExact(ArrayEntryCodec, patched(bytes, 4, [9])), /exists/);
  });

  it('lays out DictionaryEntry with a 2-byte key prefix', () => {
    const { bytes } = roundTrip(DictionaryEntryCodec, {
      key: enc('k1'),
      value: { exists: false, value: new Uint8Array(0) },
    });
    expect(hex(bytes)).toBe('0002' + '6b31' + '00' + '00000000');
    expectTruncationsAndTrailingRejected(DictionaryEntryCodec, bytes);
    expectInvalid(() => decodeExact(DictionaryEntryCodec, patched(bytes, 0, [0, 9])), /key/);
  });

  it('DictionaryKey: 0..65535 bytes, over-maximum refused', () => {
    const { bytes } = roundTrip(DictionaryKeyCodec, new Uint8Array(0xffff).fill(1));
    expect(bytes.length).toBe(0x10001);
    expectUnencodable(DictionaryKeyCodec, new Uint8Array(0x10000));
    expectTruncationsAndTrailingRejected(DictionaryKeyCodec, unhex('0003616263'));
  });

  it('property: entries round-trip, mutations only throw 0x14', () => {
    propertyCheck(ArrayEntryCodec, fc.record({ index: u32Arb(), value: dataValueArb }));
    propertyCheck(DictionaryEntryCodec, fc.record({ key: bytesArb(), value: dataValueArb }));
  });
});

describe('StoredDataValue (RFC 6940 §7.2)', () => {
  it('encodes alone, per data model (the §7.1 signature-input term)', () => {
    const single = encodeToBytes(storedDataValueCodec('SINGLE'), {
      model: 'SINGLE',
      value: { exists: true, value: enc('abc') },
    });
    expect(hex(single)).toBe('0100000003616263');
    const arr = encodeToBytes(storedDataValueCodec('ARRAY'), {
      model: 'ARRAY',
      index: 0,
      value: { exists: true, value: enc('foo') },
    });
    expect(hex(arr)).toBe('00000000' + '0100000003666f6f');
    const dict = encodeToBytes(storedDataValueCodec('DICTIONARY'), {
      model: 'DICTIONARY',
      key: enc('a'),
      value: { exists: true, value: enc('b') },
    });
    expect(hex(dict)).toBe('000161' + '010000000162');
  });

  it('decodes the same bytes differently depending on the data model', () => {
    const bytes = unhex('0100000003616263');
    expect(decodeExact(storedDataValueCodec('SINGLE'), bytes)).toMatchObject({
      model: 'SINGLE',
      value: { exists: true },
    });
    // As an array entry, 01000000 is the index and 03 is not a Boolean.
    expectInvalid(() => decodeExact(storedDataValueCodec('ARRAY'), bytes), /exists/);
  });

  it('refuses a value whose model differs from the codec model', () => {
    expectUnencodable(storedDataValueCodec('ARRAY'), {
      model: 'SINGLE',
      value: { exists: true, value: new Uint8Array(0) },
    });
  });

  it('property: every model round-trips; mutations only throw 0x14', () => {
    for (const m of ['SINGLE', 'ARRAY', 'DICTIONARY'] as const) {
      propertyCheck(storedDataValueCodec(m), storedDataValueArb(m), 100);
    }
  });
});

describe('StoredData (RFC 6940 §7)', () => {
  const sample: StoredData = {
    storageTime: 1n,
    lifetime: 86400,
    value: { model: 'SINGLE', value: { exists: true, value: enc('abc') } },
    signature: noneSignature,
  };

  it('matches the hand-computed §7 layout', () => {
    const { bytes, back } = roundTrip(storedDataCodec('SINGLE'), sample);
    // length = 8 + 4 + 8 (DataValue) + 7 (Signature {0,0}, none, len 0, value<> empty) = 27
    expect(hex(bytes)).toBe(
      '0000001b' +
        '0000000000000001' +
        '00015180' +
        '0100000003616263' +
        '0000' +
        '03' +
        '0000' +
        '0000',
    );
    expect(back).toEqual({ ...sample, value: { ...sample.value } });
  });

  it('round-trips each model with a real-size RSA signature', () => {
    for (const m of ['SINGLE', 'ARRAY', 'DICTIONARY'] as const) {
      const value: StoredDataValue =
        m === 'SINGLE'
          ? { model: m, value: { exists: true, value: new Uint8Array(1024).fill(3) } }
          : m === 'ARRAY'
            ? { model: m, index: 7, value: { exists: true, value: enc('v') } }
            : { model: m, key: enc('key'), value: { exists: false, value: new Uint8Array(0) } };
      const { back } = roundTrip(storedDataCodec(m), {
        storageTime: 0xffffffffffffffffn,
        lifetime: 0xffffffff,
        value,
        signature: rsaSignature,
      });
      expect(back.value.model).toBe(m);
      expect(back.signature.signatureValue.length).toBe(256);
    }
  });

  it('rejects truncations, trailing bytes, inconsistent length and bad Boolean', () => {
    const c = storedDataCodec('SINGLE');
    const bytes = encodeToBytes(c, sample);
    expectTruncationsAndTrailingRejected(c, bytes);
    // length one too large: runs past the end
    expectInvalid(() => decodeExact(c, patched(bytes, 0, [0, 0, 0, 0x1c])), /StoredData/);
    // length one too small: the signature no longer fits inside it
    expectInvalid(() => decodeExact(c, patched(bytes, 0, [0, 0, 0, 0x1a])));
    // a length with room to spare inside a longer buffer leaves trailing bytes in StoredData
    const padded = new Uint8Array(bytes.length + 1);
    padded.set(bytes);
    padded[3] = 0x1c;
    expectInvalid(() => decodeExact(c, padded), /^StoredData$/);
    // exists = 2
    expectInvalid(() => decodeExact(c, patched(bytes, 16, [2])), /exists/);
    // identity_type invalid (0)
    expectInvalid(() => decodeExact(c, patched(bytes, 26, [0])), /identity_type/);
  });

  it('property: random StoredData round-trips; mutations only throw 0x14', () => {
    for (const m of ['SINGLE', 'ARRAY', 'DICTIONARY'] as const) {
      propertyCheck(storedDataCodec(m), storedDataArb(m), 100);
    }
  });
});

describe('MetaData / StoredMetaData (RFC 6940 §7.4.3.2)', () => {
  const meta: StoredMetaData = {
    storageTime: 2n,
    lifetime: 60,
    metadata: {
      model: 'DICTIONARY',
      key: enc('k'),
      value: { exists: true, valueLength: 3, hashAlgorithm: 4, hashValue: new Uint8Array([9, 9]) },
    },
  };

  it('MetaData: exists, value_length, hash_algorithm, hash_value<0..255>', () => {
    const { bytes } = roundTrip(MetaDataCodec, meta.metadata.value);
    expect(hex(bytes)).toBe('01' + '00000003' + '04' + '02' + '0909');
    expectTruncationsAndTrailingRejected(MetaDataCodec, bytes);
    expectInvalid(() => decodeExact(MetaDataCodec, patched(bytes, 0, [7])), /exists/);
    expectInvalid(() => decodeExact(MetaDataCodec, patched(bytes, 6, [3])), /hash_value/);
    expectUnencodable(MetaDataCodec, { ...meta.metadata.value, hashValue: new Uint8Array(256) });
    roundTrip(MetaDataCodec, { ...meta.metadata.value, hashValue: new Uint8Array(255) });
  });

  it('StoredMetaData: value_length frames the rest, like StoredData.length (decision 0157)', () => {
    const c = storedMetaDataCodec('DICTIONARY');
    const { bytes, back } = roundTrip(c, meta);
    // value_length = 8 + 4 + (2 + 1 key) + (1 + 4 + 1 + 1 + 2 MetaData) = 24
    expect(hex(bytes)).toBe(
      '00000018' + '0000000000000002' + '0000003c' + '00016b' + '01000000030402' + '0909',
    );
    expect(back.valueLength).toBe(24);
    // a caller-supplied value_length is ignored: the encoder writes the framing length
    expect(hex(encodeToBytes(c, { ...meta, valueLength: 3 }))).toBe(hex(bytes));
    expectTruncationsAndTrailingRejected(c, bytes);
    // value_length one too large: past the end; one too small: MetaData overruns it
    expectInvalid(() => decodeExact(c, patched(bytes, 0, [0, 0, 0, 25])), /value_length/);
    expectInvalid(() => decodeExact(c, patched(bytes, 0, [0, 0, 0, 23])), /hash_value/);
    // value_length with room to spare in a longer buffer: trailing bytes inside StoredMetaData
    const padded = new Uint8Array([...bytes, 0]);
    padded[3] = 25;
    expectInvalid(() => decodeExact(c, padded), /^StoredMetaData$/);
    expectUnencodable(c, { ...meta, metadata: { model: 'SINGLE', value: meta.metadata.value } });
  });

  it('property: MetaDataValue and StoredMetaData round-trip for every model', () => {
    const metaArb = fc.record({
      exists: fc.boolean(),
      valueLength: u32Arb(),
      hashAlgorithm: fc.nat(255),
      hashValue: bytesArb(40),
    });
    for (const m of ['SINGLE', 'ARRAY', 'DICTIONARY'] as const) {
      const mv =
        m === 'SINGLE'
          ? fc.record({ model: fc.constant(m), value: metaArb })
          : m === 'ARRAY'
            ? fc.record({ model: fc.constant(m), index: u32Arb(), value: metaArb })
            : fc.record({ model: fc.constant(m), key: bytesArb(), value: metaArb });
      propertyCheck(metaDataValueCodec(m), mv, 100);
      propertyCheck(
        storedMetaDataCodec(m),
        fc.record({ storageTime: u64Arb(), lifetime: u32Arb(), metadata: mv }),
        100,
      );
    }
  });
});

describe('StoredData fixed-part fast paths (bench/wire pass 3)', () => {
  const sample: StoredData = {
    storageTime: 2n ** 53n + 5n,
    lifetime: 60,
    value: { model: 'SINGLE', value: { exists: true, value: new Uint8Array([1, 2, 3]) } },
    signature: {
      algorithm: { hash: 0, signature: 0 },
      identity: { identityType: 3 },
      signatureValue: new Uint8Array(0),
    },
  };
  const c = storedDataCodec('SINGLE');

  it('keeps the per-field errors for out-of-range fields and too-short lengths', () => {
    const bytes = encodeToBytes(c, sample);
    expect(decodeExact(c, bytes)).toEqual(sample);
    for (const len of [0, 8, 11]) {
      expectInvalid(() => decodeExact(c, patched(bytes, 0, [0, 0, 0, len])), /StoredData/);
    }
    expect(() => encodeToBytes(c, { ...sample, storageTime: -1n })).toThrow(
      /StoredData\.storage_time/,
    );
    expect(() => encodeToBytes(c, { ...sample, storageTime: 2n ** 64n })).toThrow(
      /StoredData\.storage_time/,
    );
    expect(() => encodeToBytes(c, { ...sample, lifetime: 2 ** 32 })).toThrow(
      /StoredData\.lifetime/,
    );
  });
});
