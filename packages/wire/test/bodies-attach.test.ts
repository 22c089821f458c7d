import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AppAttachReq,
  AppAttachAnsCodec,
  AppAttachReqCodec,
  type AttachReqAns,
  AttachReqAnsCodec,
  type IceCandidate,
  IceCandidateCodec,
  IceExtensionCodec,
  type IpAddressPort,
  decodeExact,
  encodeToBytes,
  ipAddressPort,
} from '@reload/wire';
import {
  bytesArb,
  expectInvalid,
  expectTruncationsAndTrailingRejected,
  expectUnencodable,
  hex,
  patched,
  propertyCheck,
  roundTrip,
  u32Arb,
} from './bodies-helpers.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

const host: IceCandidate = {
  addrPort: ipAddressPort('192.0.2.1', 6084),
  overlayLink: 4, // TLS-TCP-FH-NO-ICE
  foundation: enc('1'),
  priority: 0x7e0000ff,
  type: 'host',
  extensions: [],
};

const srflx: IceCandidate = {
  addrPort: ipAddressPort('2001:db8::1', 6084),
  overlayLink: 1, // DTLS-UDP-SR
  foundation: enc('fd'),
  priority: 100,
  type: 'srflx',
  relAddrPort: ipAddressPort('198.51.100.1', 8080),
  extensions: [{ name: enc('x'), value: enc('yz') }],
};

/** §6.3.1.1: "192.0.2.1" port 6084 is 01 06 c0 00 02 01 17 c4. */
const EXAMPLE_ADDR = '0106c000020117c4';

const ipArb: fc.Arbitrary<IpAddressPort> = fc.oneof(
  fc.record({
    addressType: fc.constant(1 as const),
    address: fc.uint8Array({ minLength: 4, maxLength: 4 }),
    port: fc.nat(0xffff),
  }),
  fc.record({
    addressType: fc.constant(2 as const),
    address: fc.uint8Array({ minLength: 16, maxLength: 16 }),
    port: fc.nat(0xffff),
  }),
  fc.record({ addressType: fc.integer({ min: 3, max: 255 }), raw: bytesArb(10) }),
);

const candidateArb: fc.Arbitrary<IceCandidate> = fc
  .record({
    addrPort: ipArb,
    overlayLink: fc.integer({ min: 1, max: 255 }),
    foundation: bytesArb(8),
    priority: u32Arb(),
    type: fc.constantFrom('host' as const, 'srflx' as const, 'relay' as const),
    relAddrPort: ipArb,
    extensions: fc.array(fc.record({ name: bytesArb(6), value: bytesArb(6) }), { maxLength: 2 }),
  })
  .map(({ type, relAddrPort, ...rest }) =>
    type === 'host' ? { ...rest, type } : { ...rest, type, relAddrPort },
  );

describe('IceExtension (RFC 6940 §6.5.1.1)', () => {
  it('name<0..2^16-1>, value<0..2^16-1>', () => {
    const { bytes } = roundTrip(IceExtensionCodec, { name: enc('a'), value: enc('bc') });
    expect(hex(bytes)).toBe('000161' + '00026263');
    expectTruncationsAndTrailingRejected(IceExtensionCodec, bytes);
    expectUnencodable(IceExtensionCodec, { name: new Uint8Array(0x10000), value: enc('') });
  });
});

describe('IceCandidate (RFC 6940 §6.5.1.1)', () => {
  it('host candidate: hand-computed bytes with the §6.3.1.1 address example', () => {
    const { bytes } = roundTrip(IceCandidateCodec, host);
    expect(hex(bytes)).toBe(EXAMPLE_ADDR + '04' + '0131' + '7e0000ff' + '01' + '0000');
  });

  it('srflx candidate carries rel_addr_port; relay too', () => {
    const { bytes, back } = roundTrip(IceCandidateCodec, srflx);
    expect(hex(bytes)).toBe(
      '0212' +
        '20010db8000000000000000000000001' +
        '17c4' +
        '01' +
        '026664' +
        '00000064' +
        '02' +
        '0106c63364011f90' +
        '0007' +
        '000178' +
        '0002797a',
    );
    expect(back).toMatchObject({ type: 'srflx', relAddrPort: { addressType: 1, port: 8080 } });
    const relay = roundTrip(IceCandidateCodec, { ...srflx, type: 'relay' }).bytes;
    expect(relay[2 + 18 + 1 + 3 + 4]).toBe(4);
  });

  it('malformed table: truncations, bad enums, lengths', () => {
    const bytes = encodeToBytes(IceCandidateCodec, srflx);
    expectTruncationsAndTrailingRejected(IceCandidateCodec, bytes);
    const typeAt = 20 + 1 + 3 + 4;
    for (const t of [0, 3, 5, 0xff]) {
      expectInvalid(
        () => decodeExact(IceCandidateCodec, patched(bytes, typeAt, [t])),
        /IceCandidate.type/,
      );
    }
    // overlay_link invalid (0)
    expectInvalid(() => decodeExact(IceCandidateCodec, patched(bytes, 20, [0])), /overlay_link/);
    // unknown overlay link types are kept (IANA registry grows)
    expect(decodeExact(IceCandidateCodec, patched(bytes, 20, [5])).overlayLink).toBe(5);
    // bad address type / length
    expectInvalid(() => decodeExact(IceCandidateCodec, patched(bytes, 0, [0])), /IpAddressPort/);
    expectInvalid(() => decodeExact(IceCandidateCodec, patched(bytes, 1, [6])), /IpAddressPort/);
    // foundation length past the end
    expectInvalid(() => decodeExact(IceCandidateCodec, patched(bytes, 21, [0xff])));
    // extensions length past the end
    expectInvalid(
      () => decodeExact(IceCandidateCodec, patched(bytes, bytes.length - 9, [0, 0xff])),
      /extensions/,
    );
  });

  it('refuses inconsistent candidates', () => {
    expectUnencodable(IceCandidateCodec, { ...host, overlayLink: 0 });
    expectUnencodable(IceCandidateCodec, { ...host, type: 'prflx' } as unknown as IceCandidate);
    expectUnencodable(IceCandidateCodec, { ...host, foundation: new Uint8Array(256) });
    roundTrip(IceCandidateCodec, { ...host, foundation: new Uint8Array(255) });
  });

  it('property: random candidates round-trip; mutations only throw 0x14', () => {
    propertyCheck(IceCandidateCodec, candidateArb);
  });
});

describe('AttachReqAns (RFC 6940 §6.5.1)', () => {
  const v: AttachReqAns = {
    ufrag: enc('ab'),
    password: enc('pw'),
    role: enc('passive'),
    candidates: [host],
    sendUpdate: true,
  };

  it('hand-computed layout', () => {
    const { bytes } = roundTrip(AttachReqAnsCodec, v);
    const cand = EXAMPLE_ADDR + '04' + '0131' + '7e0000ff' + '01' + '0000';
    expect(hex(bytes)).toBe(
      '026162' + '027077' + '07' + hex(enc('passive')) + '0012' + cand + '01',
    );
  });

  it('malformed table: truncations, Boolean, candidates<1..2^16-1>', () => {
    const bytes = encodeToBytes(AttachReqAnsCodec, { ...v, candidates: [host, srflx] });
    expectTruncationsAndTrailingRejected(AttachReqAnsCodec, bytes);
    expectInvalid(
      () => decodeExact(AttachReqAnsCodec, patched(bytes, bytes.length - 1, [2])),
      /send_update/,
    );
    // zero candidates: under the minimum of one
    const none = new Uint8Array([0, 0, 0, 0, 0, 0]);
    expectInvalid(() => decodeExact(AttachReqAnsCodec, none), /candidates/);
    expectUnencodable(AttachReqAnsCodec, { ...v, candidates: [] });
    // candidates length cutting a candidate in half
    const candAt = 3 + 3 + 8;
    expectInvalid(() => decodeExact(AttachReqAnsCodec, patched(bytes, candAt, [0, 0x10])));
    // over-maximum ufrag
    expectUnencodable(AttachReqAnsCodec, { ...v, ufrag: new Uint8Array(256) });
  });

  it('property: random AttachReqAns round-trip; mutations only throw 0x14', () => {
    propertyCheck(
      AttachReqAnsCodec,
      fc.record({
        ufrag: bytesArb(8),
        password: bytesArb(8),
        role: bytesArb(8),
        candidates: fc.array(candidateArb, { minLength: 1, maxLength: 3 }),
        sendUpdate: fc.boolean(),
      }),
    );
  });
});

describe('AppAttachReq / AppAttachAns (RFC 6940 §6.5.2)', () => {
  const v: AppAttachReq = {
    ufrag: enc('u'),
    password: enc('p'),
    application: 5060,
    role: enc('active'),
    candidates: [host],
  };

  it('hand-computed layout (application uint16 between password and role)', () => {
    const { bytes } = roundTrip(AppAttachReqCodec, v);
    const cand = EXAMPLE_ADDR + '04' + '0131' + '7e0000ff' + '01' + '0000';
    expect(hex(bytes)).toBe('0175' + '0170' + '13c4' + '06' + hex(enc('active')) + '0012' + cand);
    expect(hex(encodeToBytes(AppAttachAnsCodec, v))).toBe(hex(bytes));
  });

  it('malformed table', () => {
    const bytes = encodeToBytes(AppAttachReqCodec, v);
    expectTruncationsAndTrailingRejected(AppAttachReqCodec, bytes);
    expectInvalid(
      () => decodeExact(AppAttachReqCodec, new Uint8Array([0, 0, 0x13, 0xc4, 0, 0, 0])),
      /candidates/,
    );
    expectUnencodable(AppAttachReqCodec, { ...v, application: 0x10000 });
    expectUnencodable(AppAttachReqCodec, { ...v, candidates: [] });
  });

  it('property: random AppAttach bodies round-trip; mutations only throw 0x14', () => {
    propertyCheck(
      AppAttachReqCodec,
      fc.record({
        ufrag: bytesArb(8),
        password: bytesArb(8),
        application: fc.nat(0xffff),
        role: bytesArb(8),
        candidates: fc.array(candidateArb, { minLength: 1, maxLength: 3 }),
      }),
    );
  });
});
