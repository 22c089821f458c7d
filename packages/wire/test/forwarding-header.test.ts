import { describe, expect, it } from 'vitest';
import {
  type Destination,
  DestinationCodec,
  type ForwardingHeader,
  ForwardingOptionCodec,
  ForwardingOptionFlag,
  IpAddressPortCodec,
  decodeForwardingHeader,
  destinationCodec,
  encodeToBytes,
  formatIpAddressPort,
  forwardingHeaderCodec,
  forwardingHeaderLength,
  fragmentInfo,
  ipAddressPort,
  makeFragmentField,
  Writer,
  encodeForwardingHeader,
  decodeExact,
} from '@reload/wire';
import {
  expectAllTruncationsInvalid,
  expectInvalid,
  expectTrailingInvalid,
  expectUnencodable,
  hex,
  patched,
  roundTrip,
  unhex,
} from './message-helpers.js';

const id = (b: number, n = 16): Uint8Array => new Uint8Array(n).fill(b);

describe('IpAddressPort (RFC 6940 §6.3.1.1)', () => {
  it('encodes the RFC example 192.0.2.1:6084 as 01 06 c0000201 17c4', () => {
    const { bytes } = roundTrip(IpAddressPortCodec, ipAddressPort('192.0.2.1', 6084));
    expect(hex(bytes)).toBe('0106c000020117c4');
  });

  it('round-trips IPv6 and formats it per RFC 5952', () => {
    const v = ipAddressPort('[2001:db8::1]', 443);
    const { bytes, back } = roundTrip(IpAddressPortCodec, v);
    expect(bytes.length).toBe(20);
    expect(formatIpAddressPort(back)).toBe('[2001:db8::1]:443');
    expect(formatIpAddressPort(ipAddressPort('::', 1))).toBe('[::]:1');
    expect(formatIpAddressPort(ipAddressPort('1:2:3:4:5:6:7:8', 2))).toBe('[1:2:3:4:5:6:7:8]:2');
    expect(formatIpAddressPort(ipAddressPort('::ffff:192.0.2.1', 3))).toBe('[::ffff:c000:201]:3');
  });

  it('keeps an unknown address type as raw bytes', () => {
    const { back } = roundTrip(IpAddressPortCodec, { addressType: 9, raw: unhex('aabbcc') });
    expect(back).toEqual({ addressType: 9, raw: unhex('aabbcc') });
  });

  it('rejects malformed input', () => {
    const dec = (b: Uint8Array) => decodeExact(IpAddressPortCodec, b);
    const good = encodeToBytes(IpAddressPortCodec, ipAddressPort('192.0.2.1', 6084));
    expectAllTruncationsInvalid(dec, good);
    expectTrailingInvalid(dec, good);
    expectInvalid(() => dec(patched(good, 0, [0])), /type/); // invalidAddressType
    expectInvalid(() => dec(patched(good, 1, [7])), /length/); // IPv4 length must be 6
    expectInvalid(() => dec(unhex('0212' + '00'.repeat(10))), /IPv6/);
    expectInvalid(() => dec(unhex('09ff00')), /raw/); // unknown type, length past end
  });

  it('refuses unencodable values and bad text', () => {
    expectUnencodable(() => ipAddressPort('300.1.1.1', 1));
    expectUnencodable(() => ipAddressPort('1.2.3.4', 70000));
    expectUnencodable(() => ipAddressPort('1::2::3', 1));
    expectUnencodable(() =>
      encodeToBytes(IpAddressPortCodec, { addressType: 1, address: id(1, 3), port: 1 }),
    );
    expectUnencodable(() => encodeToBytes(IpAddressPortCodec, { addressType: 0, raw: id(0, 0) }));
  });
});

describe('Destination (RFC 6940 §6.3.2.2)', () => {
  const cases: [string, Destination, string][] = [
    ['node', { kind: 'node', nodeId: id(0xab) }, '0110' + 'ab'.repeat(16)],
    ['resource', { kind: 'resource', resourceId: unhex('464f4f') }, '020403464f4f'],
    ['opaque', { kind: 'opaque', opaqueId: unhex('0102') }, '0303020102'],
    ['compressed 16-bit id', { kind: 'compressed', id: 0x8123 }, '8123'],
    ['unknown type', { kind: 'unknown', type: 0x42, data: unhex('beef') }, '4202beef'],
  ];
  for (const [name, d, wire] of cases) {
    it(`round-trips a ${name}`, () => {
      const { bytes, back } = roundTrip(DestinationCodec, d);
      expect(hex(bytes)).toBe(wire);
      expect(back).toEqual(d);
    });
  }

  it('uses the overlay NodeIdLength (16–20)', () => {
    const c20 = destinationCodec({ nodeIdLength: 20 });
    roundTrip(c20, { kind: 'node', nodeId: id(1, 20) });
    expectInvalid(
      () => decodeExact(DestinationCodec, encodeToBytes(c20, { kind: 'node', nodeId: id(1, 20) })),
      /node_id/,
    );
    expect(() => destinationCodec({ nodeIdLength: 15 })).toThrow(/16\.\.20/);
    expectUnencodable(() => encodeToBytes(DestinationCodec, { kind: 'node', nodeId: id(1, 20) }));
  });

  it('rejects malformed destinations', () => {
    const dec = (b: Uint8Array) => decodeExact(DestinationCodec, b);
    for (const [, d] of cases) {
      const b = encodeToBytes(DestinationCodec, d);
      expectAllTruncationsInvalid(dec, b);
      expectTrailingInvalid(dec, b);
    }
    expectInvalid(() => dec(unhex('0000')), /type/); // invalidDestinationType
    expectInvalid(() => dec(unhex('0205ff')), /length/); // length past end
    expectInvalid(() => dec(unhex('02050300000000')), /resource_id/); // inner length ≠ outer
    expectInvalid(() => dec(unhex('0302020a')), /opaque_id/); // inner length past outer
  });

  it('refuses bad compressed ids and unknown types 0–3 or ≥ 128', () => {
    expectUnencodable(() => encodeToBytes(DestinationCodec, { kind: 'compressed', id: 0x7fff }));
    expectUnencodable(() =>
      encodeToBytes(DestinationCodec, { kind: 'unknown', type: 1, data: id(0, 0) }),
    );
    expectUnencodable(() =>
      encodeToBytes(DestinationCodec, { kind: 'unknown', type: 0x80, data: id(0, 0) }),
    );
  });
});

describe('ForwardingOption (RFC 6940 §6.3.2.3)', () => {
  it('round-trips with flags and a value', () => {
    const o = {
      type: 1,
      flags: ForwardingOptionFlag.FORWARD_CRITICAL | ForwardingOptionFlag.RESPONSE_COPY,
      value: unhex('0102'),
    };
    const { bytes } = roundTrip(ForwardingOptionCodec, o);
    expect(hex(bytes)).toBe('010500020102');
    roundTrip(ForwardingOptionCodec, { type: 200, flags: 0, value: new Uint8Array(0) });
  });

  it('rejects malformed options', () => {
    const dec = (b: Uint8Array) => decodeExact(ForwardingOptionCodec, b);
    const b = unhex('010500020102');
    expectAllTruncationsInvalid(dec, b);
    expectTrailingInvalid(dec, b);
    expectInvalid(() => dec(patched(b, 0, [0])), /type/);
    expectInvalid(() => dec(patched(b, 2, [0xff, 0xff])), /length/);
    expectUnencodable(() =>
      encodeToBytes(ForwardingOptionCodec, { type: 0, flags: 0, value: id(0, 0) }),
    );
    expectUnencodable(() =>
      encodeToBytes(ForwardingOptionCodec, { type: 1, flags: 0, value: new Uint8Array(0x10000) }),
    );
  });
});

const header: ForwardingHeader = {
  overlay: 0x4e38fc3f,
  configurationSequence: 7,
  version: 0x0a,
  ttl: 99,
  fragment: 0xc0000000,
  length: 0,
  transactionId: 0x0102030405060708n,
  maxResponseLength: 5000,
  viaList: [
    { kind: 'node', nodeId: id(0xc0) },
    { kind: 'compressed', id: 0x8001 },
  ],
  destinationList: [
    { kind: 'node', nodeId: id(0xb0) },
    { kind: 'resource', resourceId: id(0x11) },
  ],
  options: [{ type: 1, flags: 2, value: unhex('aa') }],
};

function encodeHeader(h: ForwardingHeader, length?: number): Uint8Array {
  const out = new Uint8Array(forwardingHeaderLength(h));
  encodeForwardingHeader(h, new Writer(out), undefined, length ?? out.length);
  return out;
}

describe('ForwardingHeader (RFC 6940 §6.3.2)', () => {
  it('has exactly 38 fixed bytes in RFC order, list lengths in bytes', () => {
    const empty = { ...header, viaList: [], destinationList: [], options: [] };
    const b = encodeHeader(empty);
    expect(b.length).toBe(38);
    expect(hex(b)).toBe(
      'd2454c4f' +
        '4e38fc3f' +
        '0007' +
        '0a' +
        '63' +
        'c0000000' +
        '00000026' +
        '0102030405060708' +
        '00001388' +
        '0000' +
        '0000' +
        '0000',
    );
    const full = encodeHeader(header);
    // via: 18 + 2 bytes; destinations: 18 + 19 bytes; options: 5 bytes
    expect(hex(full.subarray(32, 38))).toBe('0014' + '0025' + '0005');
    expect(full.length).toBe(38 + 20 + 37 + 5);
  });

  it('round-trips (codec and decodeForwardingHeader)', () => {
    const h = { ...header, length: forwardingHeaderLength(header) };
    const { back } = roundTrip(forwardingHeaderCodec(), h);
    expect(back).toEqual(h);
    const view = decodeForwardingHeader(encodeHeader(header));
    expect(view.header).toEqual(h);
    expect(view.headerLength).toBe(h.length);
  });

  it('supports 20-byte NodeIds through the options object', () => {
    const h20: ForwardingHeader = {
      ...header,
      viaList: [{ kind: 'node', nodeId: id(1, 20) }],
      destinationList: [{ kind: 'node', nodeId: id(2, 20) }],
    };
    const c = forwardingHeaderCodec({ nodeIdLength: 20 });
    roundTrip(c, { ...h20, length: 200 });
    const b = new Uint8Array(c.encodedLength(h20));
    encodeForwardingHeader(h20, new Writer(b), { nodeIdLength: 20 }, b.length);
    expect(decodeForwardingHeader(b, { nodeIdLength: 20 }).header.viaList).toEqual(h20.viaList);
    expectInvalid(() => decodeForwardingHeader(b), /via_list|node_id/);
  });

  it('rejects malformed headers', () => {
    const b = encodeHeader(header);
    const dec = (x: Uint8Array) => decodeForwardingHeader(x);
    for (let n = 0; n < b.length; n++) expectInvalid(() => dec(b.subarray(0, n)));
    expectInvalid(() => dec(patched(b, 0, [0xd2, 0x45, 0x4c, 0x50])), /relo_token/);
    expectInvalid(() => dec(patched(b, 10, [0x01])), /version/);
    expectInvalid(() => dec(patched(b, 12, [0x40])), /fragment/); // high bit clear
    expectInvalid(() => dec(patched(b, 16, [0, 0, 0, 37])), /length/); // shorter than header
    expectInvalid(() => dec(patched(b, 16, [0, 0, 1, 0])), /length/); // ≠ bytes given
    expectInvalid(() => dec(patched(b, 32, [0xff, 0xff])), /length|via_list/); // list past end
    expectInvalid(() => dec(patched(b, 32, [0, 0x13])), /Destination|via_list/); // splits a destination
    // a resource in the via list, or not last in the destination list
    const resVia = encodeHeader({ ...header, viaList: [{ kind: 'resource', resourceId: id(1) }] });
    expectInvalid(() => dec(resVia), /via_list/);
    const resFirst = encodeHeader({
      ...header,
      destinationList: [
        { kind: 'resource', resourceId: id(1) },
        { kind: 'node', nodeId: id(2) },
      ],
    });
    expectInvalid(() => dec(resFirst), /destination_list/);
    expectInvalid(() => dec(patched(b, 38 + 20 + 37, [0])), /ForwardingOption.type/);
  });

  it('refuses out-of-range fields', () => {
    expectUnencodable(() => encodeHeader({ ...header, ttl: 256 }));
    expectUnencodable(() => encodeHeader({ ...header, transactionId: 1n << 64n }));
    expectUnencodable(() => encodeHeader({ ...header, overlay: -1 }));
    const many = Array.from({ length: 3700 }, () => ({ kind: 'node' as const, nodeId: id(1) }));
    const big = { ...header, viaList: many };
    expectUnencodable(() => {
      const out = new Uint8Array(forwardingHeaderLength(big));
      encodeForwardingHeader(big, new Writer(out), undefined, out.length);
    });
  });
});

describe('fragment field (RFC 6940 §6.3.2, §6.7)', () => {
  it('packs and unpacks offset and last bit', () => {
    expect(makeFragmentField(0, true)).toBe(0xc0000000);
    expect(makeFragmentField(300, false)).toBe(0x8000012c);
    expect(fragmentInfo(0xc0000000)).toEqual({ offset: 0, last: true, whole: true });
    expect(fragmentInfo(0x8000012c)).toEqual({ offset: 300, last: false, whole: false });
    expect(fragmentInfo(0xc0000010).whole).toBe(false);
    expectUnencodable(() => makeFragmentField(0x1000000, true));
  });
});
