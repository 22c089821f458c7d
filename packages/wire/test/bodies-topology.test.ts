import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Destination,
  JoinAnsCodec,
  JoinReqCodec,
  LeaveAnsCodec,
  LeaveReqCodec,
  ProbeAnsCodec,
  type ProbeInformation,
  ProbeInformationCodec,
  ProbeReqCodec,
  RouteQueryAnsCodec,
  type RouteQueryReq,
  RouteQueryReqCodec,
  UpdateAnsCodec,
  UpdateReqCodec,
  chordLeaveDataCodec,
  decodeExact,
  encodeToBytes,
  joinReqCodec,
  leaveReqCodec,
  routeQueryReqCodec,
} from '@reload/wire';
import {
  bytesArb,
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

describe('JoinReq / JoinAns (RFC 6940 §6.4.2.1)', () => {
  it('JoinReq: NodeId then overlay_specific_data<0..2^16-1>', () => {
    const { bytes } = roundTrip(JoinReqCodec, {
      joiningPeerId: id(0x11),
      overlaySpecificData: new Uint8Array(0),
    });
    expect(hex(bytes)).toBe('11'.repeat(16) + '0000');
    expectTruncationsAndTrailingRejected(JoinReqCodec, bytes);
    expectInvalid(() => decodeExact(JoinReqCodec, patched(bytes, 16, [0, 1])), /overlay_specific/);
    expectUnencodable(JoinReqCodec, { joiningPeerId: id(1, 17), overlaySpecificData: id(0, 0) });
    expectUnencodable(JoinReqCodec, {
      joiningPeerId: id(1),
      overlaySpecificData: new Uint8Array(0x10000),
    });
    roundTrip(JoinReqCodec, { joiningPeerId: id(1), overlaySpecificData: new Uint8Array(0xffff) });
    const c20 = joinReqCodec({ nodeIdLength: 20 });
    expect(
      roundTrip(c20, { joiningPeerId: id(2, 20), overlaySpecificData: id(3, 1) }).bytes.length,
    ).toBe(23);
    propertyCheck(
      JoinReqCodec,
      fc.record({ joiningPeerId: nodeIdArb(), overlaySpecificData: bytesArb() }),
    );
  });

  it('JoinAns: overlay_specific_data<0..2^16-1>', () => {
    const { bytes } = roundTrip(JoinAnsCodec, { overlaySpecificData: new Uint8Array([1, 2]) });
    expect(hex(bytes)).toBe('00020102');
    expectTruncationsAndTrailingRejected(JoinAnsCodec, bytes);
    propertyCheck(JoinAnsCodec, fc.record({ overlaySpecificData: bytesArb() }), 100);
  });
});

describe('LeaveReq / LeaveAns (RFC 6940 §6.4.2.2, Chord §10.9)', () => {
  it('LeaveReq carrying a ChordLeaveData', () => {
    const leaveData = encodeToBytes(chordLeaveDataCodec(), {
      type: 'from_pred',
      predecessors: [id(0x22)],
    });
    const { bytes, back } = roundTrip(LeaveReqCodec, {
      leavingPeerId: id(0x33),
      overlaySpecificData: leaveData,
    });
    expect(hex(bytes)).toBe('33'.repeat(16) + '0013' + '02' + '0010' + '22'.repeat(16));
    expect(decodeExact(chordLeaveDataCodec(), back.overlaySpecificData)).toEqual({
      type: 'from_pred',
      predecessors: [id(0x22)],
    });
    expectTruncationsAndTrailingRejected(LeaveReqCodec, bytes);
    expectInvalid(() => decodeExact(LeaveReqCodec, patched(bytes, 16, [0xff, 0xff])));
    expect(() => leaveReqCodec(14)).toThrow(/16\.\.20/);
    propertyCheck(
      LeaveReqCodec,
      fc.record({ leavingPeerId: nodeIdArb(), overlaySpecificData: bytesArb() }),
    );
  });

  it('LeaveAns is empty: zero bytes, any byte is trailing', () => {
    const { bytes } = roundTrip(LeaveAnsCodec, {});
    expect(bytes.length).toBe(0);
    expectInvalid(() => decodeExact(LeaveAnsCodec, new Uint8Array([0])));
  });
});

describe('UpdateReq / UpdateAns / RouteQueryAns (overlay specific, RFC 6940 §6.4.2.3)', () => {
  it('keep the whole body as a view', () => {
    const body = new Uint8Array([1, 2, 3]);
    for (const c of [UpdateReqCodec, UpdateAnsCodec, RouteQueryAnsCodec]) {
      const { bytes, back } = roundTrip(c, body);
      expect(hex(bytes)).toBe('010203');
      expect(back).toEqual(body);
      expect(decodeExact(c, new Uint8Array(0)).length).toBe(0);
    }
  });
});

const destinationArb: fc.Arbitrary<Destination> = fc.oneof(
  fc.record({ kind: fc.constant('node' as const), nodeId: nodeIdArb() }),
  fc.record({ kind: fc.constant('resource' as const), resourceId: bytesArb(30) }),
  fc.record({ kind: fc.constant('opaque' as const), opaqueId: bytesArb(8) }),
  fc.record({
    kind: fc.constant('compressed' as const),
    id: fc.integer({ min: 0x8000, max: 0xffff }),
  }),
);

describe('RouteQueryReq (RFC 6940 §6.4.2.4.1)', () => {
  const req: RouteQueryReq = {
    sendUpdate: true,
    destination: { kind: 'node', nodeId: id(0x44) },
    overlaySpecificData: new Uint8Array(0),
  };

  it('hand-computed layout: Boolean, §6.3.2.2 Destination TLV, overlay data', () => {
    const { bytes } = roundTrip(RouteQueryReqCodec, req);
    expect(hex(bytes)).toBe('01' + '01' + '10' + '44'.repeat(16) + '0000');
    const res = roundTrip(RouteQueryReqCodec, {
      sendUpdate: false,
      destination: { kind: 'resource', resourceId: new Uint8Array([0xab]) },
      overlaySpecificData: new Uint8Array([9]),
    }).bytes;
    expect(hex(res)).toBe('00' + '02' + '02' + '01ab' + '000109');
    const compressed = roundTrip(RouteQueryReqCodec, {
      sendUpdate: false,
      destination: { kind: 'compressed', id: 0x8123 },
      overlaySpecificData: new Uint8Array(0),
    }).bytes;
    expect(hex(compressed)).toBe('00' + '8123' + '0000');
  });

  it('malformed table', () => {
    const bytes = encodeToBytes(RouteQueryReqCodec, req);
    expectTruncationsAndTrailingRejected(RouteQueryReqCodec, bytes);
    for (const b of [2, 0xff]) {
      expectInvalid(
        () => decodeExact(RouteQueryReqCodec, patched(bytes, 0, [b])),
        /RouteQueryReq.send_update/,
      );
    }
    // invalid destination type 0
    expectInvalid(() => decodeExact(RouteQueryReqCodec, patched(bytes, 1, [0])), /Destination/);
    // node destination of the wrong length for the overlay
    expectInvalid(
      () => decodeExact(routeQueryReqCodec({ nodeIdLength: 20 }), bytes),
      /Destination/,
    );
  });

  it('property: random RouteQueryReqs round-trip; mutations only throw 0x14', () => {
    propertyCheck(
      RouteQueryReqCodec,
      fc.record({
        sendUpdate: fc.boolean(),
        destination: destinationArb,
        overlaySpecificData: bytesArb(),
      }),
    );
  });
});

describe('ProbeReq (RFC 6940 §6.4.2.5.1)', () => {
  it('requested_info<0..2^8-1> of uint8 types; invalid (0) rejected; unknown kept', () => {
    const { bytes } = roundTrip(ProbeReqCodec, { requestedInfo: [1, 2, 3, 200] });
    expect(hex(bytes)).toBe('04010203c8');
    expectTruncationsAndTrailingRejected(ProbeReqCodec, bytes);
    expectInvalid(() => decodeExact(ProbeReqCodec, patched(bytes, 2, [0])), /requested_info/);
    expectUnencodable(ProbeReqCodec, { requestedInfo: [0] });
    expectUnencodable(ProbeReqCodec, { requestedInfo: new Array<number>(256).fill(1) });
    roundTrip(ProbeReqCodec, { requestedInfo: new Array<number>(255).fill(3) });
    propertyCheck(
      ProbeReqCodec,
      fc.record({ requestedInfo: fc.array(fc.integer({ min: 1, max: 255 }), { maxLength: 20 }) }),
    );
  });
});

const probeInfoArb: fc.Arbitrary<ProbeInformation> = fc.oneof(
  fc.record({ type: fc.constant('responsible_set' as const), responsiblePpb: u32Arb() }),
  fc.record({ type: fc.constant('num_resources' as const), numResources: u32Arb() }),
  fc.record({ type: fc.constant('uptime' as const), uptime: u32Arb() }),
  fc.record({
    type: fc.constant('unknown' as const),
    code: fc.integer({ min: 4, max: 255 }),
    data: bytesArb(10),
  }),
);

describe('ProbeInformation / ProbeAns (RFC 6940 §6.4.2.5.2)', () => {
  it('hand-computed layout: type, length 4, uint32; unknown types kept raw', () => {
    const { bytes, back } = roundTrip(ProbeAnsCodec, {
      probeInfo: [
        { type: 'responsible_set', responsiblePpb: 500_000_000 },
        { type: 'num_resources', numResources: 7 },
        { type: 'uptime', uptime: 3600 },
        { type: 'unknown', code: 4, data: new Uint8Array([0xde, 0xad]) },
      ],
    });
    expect(hex(bytes)).toBe('0016' + '01041dcd6500' + '020400000007' + '030400000e10' + '0402dead');
    expect(back.probeInfo[3]).toEqual({
      type: 'unknown',
      code: 4,
      data: new Uint8Array([0xde, 0xad]),
    });
  });

  it('malformed table', () => {
    const bytes = encodeToBytes(ProbeInformationCodec, { type: 'uptime', uptime: 1 });
    expectTruncationsAndTrailingRejected(ProbeInformationCodec, bytes);
    expectInvalid(() => decodeExact(ProbeInformationCodec, patched(bytes, 0, [0])), /type/);
    // known type with a length other than 4
    expectInvalid(
      () => decodeExact(ProbeInformationCodec, new Uint8Array([3, 5, 0, 0, 0, 1, 0])),
      /ProbeInformation.length/,
    );
    expectInvalid(
      () => decodeExact(ProbeInformationCodec, new Uint8Array([3, 3, 0, 0, 1])),
      /ProbeInformation.length/,
    );
    // length past the end
    expectInvalid(() => decodeExact(ProbeInformationCodec, patched(bytes, 1, [9])));
    const ans = encodeToBytes(ProbeAnsCodec, { probeInfo: [{ type: 'uptime', uptime: 1 }] });
    expectTruncationsAndTrailingRejected(ProbeAnsCodec, ans);
    // a known type may not be encoded as raw bytes (keeps the encoding canonical)
    expectUnencodable(ProbeInformationCodec, { type: 'unknown', code: 3, data: new Uint8Array(4) });
    expectUnencodable(ProbeInformationCodec, { type: 'unknown', code: 0, data: new Uint8Array(0) });
  });

  it('property: random ProbeAns round-trip; mutations only throw 0x14', () => {
    propertyCheck(
      ProbeAnsCodec,
      fc.record({ probeInfo: fc.array(probeInfoArb, { maxLength: 6 }) }),
    );
  });
});
