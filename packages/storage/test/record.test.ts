import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StoredData, StoredDataValue } from '@reload/wire';
import {
  decodeRecord,
  encodeRecord,
  type KindRecord,
  parseRecordKey,
  recordKey,
  resourceKeyRange,
} from '../src/index.js';

const bytes = (max: number) => fc.uint8Array({ maxLength: max });
const dataValue = fc.record({ exists: fc.boolean(), value: bytes(40) });
const valueOf = (model: KindRecord['model']): fc.Arbitrary<StoredDataValue> =>
  model === 'SINGLE'
    ? dataValue.map((value) => ({ model, value }))
    : model === 'ARRAY'
      ? fc.record({ index: fc.nat(), value: dataValue }).map((v) => ({ model, ...v }))
      : fc.record({ key: bytes(20), value: dataValue }).map((v) => ({ model, ...v }));
const storedData = (model: KindRecord['model']): fc.Arbitrary<StoredData> =>
  fc.record({
    storageTime: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    lifetime: fc.nat(),
    value: valueOf(model),
    signature: fc.record({
      algorithm: fc.record({
        hash: fc.integer({ min: 0, max: 255 }),
        signature: fc.integer({ min: 0, max: 255 }),
      }),
      identity: fc.record({
        identityType: fc.constant(1),
        hashAlg: fc.constant(4),
        certificateHash: bytes(32),
      }),
      signatureValue: bytes(64),
    }),
  });
const record = fc
  .constantFrom<KindRecord['model']>('SINGLE', 'ARRAY', 'DICTIONARY')
  .chain((model) =>
    fc.record({
      model: fc.constant(model),
      generation: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      entries: fc.array(
        fc.record({
          data: storedData(model),
          expiresAt: fc.nat(),
          certificates: fc.array(fc.record({ type: fc.constant(0), certificate: bytes(30) }), {
            maxLength: 2,
          }),
        }),
        { maxLength: 4 },
      ),
    }),
  );

describe('persistent record layout (docs/decisions/0409)', () => {
  it('round-trips every record (property)', () => {
    fc.assert(
      fc.property(record, (rec) => {
        const enc = encodeRecord(rec);
        const dec = decodeRecord(enc);
        expect(dec).toEqual(rec);
        expect(encodeRecord(dec)).toEqual(enc);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses damaged records with STORAGE_CORRUPT at every truncation', () => {
    const enc = encodeRecord({
      model: 'SINGLE',
      generation: 3n,
      entries: [
        {
          expiresAt: 5,
          certificates: [],
          data: {
            storageTime: 1n,
            lifetime: 2,
            value: { model: 'SINGLE', value: { exists: true, value: Uint8Array.of(1) } },
            signature: {
              algorithm: { hash: 4, signature: 1 },
              identity: { identityType: 3 },
              signatureValue: Uint8Array.of(9),
            },
          },
        },
      ],
    });
    for (let n = 0; n < enc.length; n++)
      expect(() => decodeRecord(enc.subarray(0, n))).toThrow(
        expect.objectContaining({ code: 'STORAGE_CORRUPT' }) as Error,
      );
    const bad = enc.slice();
    bad[0] = 9;
    expect(() => decodeRecord(bad)).toThrow(/cannot be decoded/);
  });

  it('keys sort by resource then kind, and parse back', () => {
    const r = Uint8Array.of(1, 2, 3);
    const k = recordKey(r, 0xfffffffe);
    expect(parseRecordKey(k)).toEqual({ resource: r, kind: 0xfffffffe });
    const { gte, lt } = resourceKeyRange(r);
    expect(Buffer.compare(gte, k)).toBeLessThan(0);
    expect(Buffer.compare(recordKey(r, 0xffffffff), lt)).toBeLessThan(0);
    expect(Buffer.compare(recordKey(Uint8Array.of(1, 2, 4), 0), lt)).toBeGreaterThan(0);
    expect(() => parseRecordKey(Uint8Array.of(1, 9, 0))).toThrow(/malformed/);
  });
});
