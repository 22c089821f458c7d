import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ChordLeaveData,
  ChordLeaveDataCodec,
  ChordRouteQueryAnsCodec,
  type ChordUpdate,
  ChordUpdateCodec,
  chordLeaveDataCodec,
  chordRouteQueryAnsCodec,
  chordUpdateCodec,
  decodeExact,
  encodeToBytes,
} from '@reload/wire';
import {
  expectInvalid,
  expectTruncationsAndTrailingRejected,
  expectUnencodable,
  hex,
  nodeIdArb,
  patched,
  propertyCheck,
  roundTrip,
  u32Arb,
} from './bodies-helpers.js';

const id = (b: number, len = 16): Uint8Array => new Uint8Array(len).fill(b);

function chordUpdateArb(len: number): fc.Arbitrary<ChordUpdate> {
  const ids = fc.array(nodeIdArb(len), { maxLength: 5 });
  return fc.oneof(
    fc.record({ uptime: u32Arb(), type: fc.constant('peer_ready' as const) }),
    fc.record({
      uptime: u32Arb(),
      type: fc.constant('neighbors' as const),
      predecessors: ids,
      successors: ids,
    }),
    fc.record({
      uptime: u32Arb(),
      type: fc.constant('full' as const),
      predecessors: ids,
      successors: ids,
      fingers: fc.array(nodeIdArb(len), { maxLength: 20 }),
    }),
  );
}

describe('ChordUpdate (RFC 6940 §10.7)', () => {
  it('peer_ready: uptime then type 1, nothing else', () => {
    const { bytes } = roundTrip(ChordUpdateCodec, { uptime: 3600, type: 'peer_ready' });
    expect(hex(bytes)).toBe('00000e10' + '01');
  });

  it('neighbors: hand-computed layout with one predecessor and two successors', () => {
    const v: ChordUpdate = {
      uptime: 1,
      type: 'neighbors',
      predecessors: [id(0xaa)],
      successors: [id(0xbb), id(0xcc)],
    };
    const { bytes, back } = roundTrip(ChordUpdateCodec, v);
    expect(hex(bytes)).toBe(
      '00000001' + '02' + '0010' + 'aa'.repeat(16) + '0020' + 'bb'.repeat(16) + 'cc'.repeat(16),
    );
    expect(back).toEqual(v);
  });

  it('full: predecessors, successors and fingers', () => {
    const v: ChordUpdate = {
      uptime: 0xffffffff,
      type: 'full',
      predecessors: [],
      successors: [id(1)],
      fingers: [id(2), id(3), id(4)],
    };
    const { bytes, back } = roundTrip(ChordUpdateCodec, v);
    expect(hex(bytes.subarray(0, 9))).toBe('ffffffff' + '03' + '0000' + '0010');
    expect(bytes.length).toBe(5 + 2 + 0 + 2 + 16 + 2 + 48);
    expect(back).toEqual(v);
  });

  it('malformed table', () => {
    const bytes = encodeToBytes(ChordUpdateCodec, {
      uptime: 1,
      type: 'full',
      predecessors: [id(1)],
      successors: [id(2)],
      fingers: [id(3)],
    });
    expectTruncationsAndTrailingRejected(ChordUpdateCodec, bytes);
    for (const t of [0, 4, 0xff]) {
      expectInvalid(
        () => decodeExact(ChordUpdateCodec, patched(bytes, 4, [t])),
        /ChordUpdate.type/,
      );
    }
    // predecessors length not a multiple of 16
    expectInvalid(
      () => decodeExact(ChordUpdateCodec, patched(bytes, 5, [0, 15])),
      /ChordUpdate.predecessors/,
    );
    // fingers length past the end
    expectInvalid(
      () => decodeExact(ChordUpdateCodec, patched(bytes, 41, [0, 0x20])),
      /ChordUpdate.fingers/,
    );
    // a peer_ready with trailing node ids is rejected (trailing bytes)
    expectInvalid(() => decodeExact(ChordUpdateCodec, patched(bytes, 4, [1])));
  });

  it('refuses unencodable values', () => {
    expectUnencodable(ChordUpdateCodec, {
      uptime: 1,
      type: 'neighbors',
      predecessors: [new Uint8Array(20)],
      successors: [],
    });
    expectUnencodable(ChordUpdateCodec, {
      uptime: 1,
      type: 'bogus',
    } as unknown as ChordUpdate);
    // over-maximum: 4096 × 16 = 65536 bytes does not fit <0..2^16-1>
    expectUnencodable(ChordUpdateCodec, {
      uptime: 1,
      type: 'neighbors',
      predecessors: Array.from({ length: 4096 }, () => id(1)),
      successors: [],
    });
    roundTrip(ChordUpdateCodec, {
      uptime: 1,
      type: 'neighbors',
      predecessors: Array.from({ length: 4095 }, () => id(1)),
      successors: [],
    });
  });

  it('honours NodeId lengths 16..20 and rejects others', () => {
    const v: ChordUpdate = {
      uptime: 9,
      type: 'neighbors',
      predecessors: [id(5, 20)],
      successors: [id(6, 20)],
    };
    const c20 = chordUpdateCodec({ nodeIdLength: 20 });
    const { bytes } = roundTrip(c20, v);
    expect(hex(bytes.subarray(5, 7))).toBe('0014');
    // 20-byte lists are not a whole number of 16-byte ids... 2 ids of 20 = 40, not /16
    expectInvalid(() => decodeExact(ChordUpdateCodec, bytes), /predecessors/);
    expect(() => chordUpdateCodec(21)).toThrow(/16\.\.20/);
    expect(() => chordUpdateCodec(15)).toThrow(/16\.\.20/);
  });

  it('property: random ChordUpdates round-trip; mutations only throw 0x14', () => {
    propertyCheck(ChordUpdateCodec, chordUpdateArb(16));
    propertyCheck(chordUpdateCodec(20), chordUpdateArb(20), 100);
  });
});

describe('ChordRouteQueryAns (RFC 6940 §10.8)', () => {
  it('is exactly one NodeId', () => {
    const { bytes } = roundTrip(ChordRouteQueryAnsCodec, { nextPeer: id(0x42) });
    expect(hex(bytes)).toBe('42'.repeat(16));
    expectTruncationsAndTrailingRejected(ChordRouteQueryAnsCodec, bytes);
    expectUnencodable(ChordRouteQueryAnsCodec, { nextPeer: id(1, 17) });
    const c18 = chordRouteQueryAnsCodec(18);
    expect(roundTrip(c18, { nextPeer: id(7, 18) }).bytes.length).toBe(18);
    propertyCheck(ChordRouteQueryAnsCodec, fc.record({ nextPeer: nodeIdArb(16) }), 50);
  });
});

describe('ChordLeaveData (RFC 6940 §10.9)', () => {
  it('from_succ / from_pred hand-computed layouts', () => {
    expect(
      hex(roundTrip(ChordLeaveDataCodec, { type: 'from_succ', successors: [id(9)] }).bytes),
    ).toBe('01' + '0010' + '09'.repeat(16));
    expect(hex(roundTrip(ChordLeaveDataCodec, { type: 'from_pred', predecessors: [] }).bytes)).toBe(
      '02' + '0000',
    );
  });

  it('malformed table', () => {
    const bytes = encodeToBytes(ChordLeaveDataCodec, {
      type: 'from_pred',
      predecessors: [id(1), id(2)],
    });
    expectTruncationsAndTrailingRejected(ChordLeaveDataCodec, bytes);
    for (const t of [0, 3, 0x80]) {
      expectInvalid(
        () => decodeExact(ChordLeaveDataCodec, patched(bytes, 0, [t])),
        /ChordLeaveData.type/,
      );
    }
    expectInvalid(
      () => decodeExact(ChordLeaveDataCodec, patched(bytes, 1, [0, 17])),
      /predecessors/,
    );
    expectInvalid(
      () => decodeExact(ChordLeaveDataCodec, patched(bytes, 1, [0, 48])),
      /predecessors/,
    );
  });

  it('property: random ChordLeaveData round-trip; mutations only throw 0x14', () => {
    const ids = fc.array(nodeIdArb(16), { maxLength: 5 });
    const arb: fc.Arbitrary<ChordLeaveData> = fc.oneof(
      fc.record({ type: fc.constant('from_succ' as const), successors: ids }),
      fc.record({ type: fc.constant('from_pred' as const), predecessors: ids }),
    );
    propertyCheck(ChordLeaveDataCodec, arb);
    propertyCheck(
      chordLeaveDataCodec({ nodeIdLength: 20 }),
      arb.map((v) =>
        v.type === 'from_succ'
          ? { ...v, successors: v.successors.map(() => id(1, 20)) }
          : { ...v, predecessors: v.predecessors.map(() => id(2, 20)) },
      ),
      50,
    );
  });
});
