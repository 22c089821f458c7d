import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ConfigUpdateAnsCodec,
  type ConfigUpdateReq,
  ConfigUpdateReqCodec,
  KindDescriptionCodec,
  MessageCode,
  PingAnsCodec,
  PingReqCodec,
  TurnServerCodec,
  bodyCodecFor,
  decodeExact,
  decodeMessage,
  encodeMessage,
  encodeToBytes,
  ipAddressPort,
  methodBodyCodecs,
  methodNameOf,
  newForwardingHeader,
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
  u64Arb,
} from './bodies-helpers.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('PingReq / PingAns (RFC 6940 §6.5.3)', () => {
  it('PingReq: padding<0..2^16-1>', () => {
    const { bytes } = roundTrip(PingReqCodec, { padding: new Uint8Array(3) });
    expect(hex(bytes)).toBe('0003000000');
    expect(hex(roundTrip(PingReqCodec, { padding: new Uint8Array(0) }).bytes)).toBe('0000');
    roundTrip(PingReqCodec, { padding: new Uint8Array(65535) });
    expectUnencodable(PingReqCodec, { padding: new Uint8Array(65536) });
    expectTruncationsAndTrailingRejected(PingReqCodec, bytes);
    expectInvalid(() => decodeExact(PingReqCodec, patched(bytes, 0, [0, 4])), /padding/);
    propertyCheck(PingReqCodec, fc.record({ padding: bytesArb(40) }), 100);
  });

  it('PingAns: response_id uint64, time uint64 (ms since epoch)', () => {
    const { bytes } = roundTrip(PingAnsCodec, {
      responseId: 0x0102030405060708n,
      time: 1_700_000_000_000n,
    });
    expect(hex(bytes)).toBe('0102030405060708' + '0000018bcfe56800');
    expectTruncationsAndTrailingRejected(PingAnsCodec, bytes);
    expectUnencodable(PingAnsCodec, { responseId: 1n << 64n, time: 0n });
    expectUnencodable(PingAnsCodec, { responseId: -1n, time: 0n });
    propertyCheck(PingAnsCodec, fc.record({ responseId: u64Arb(), time: u64Arb() }), 100);
  });
});

const configUpdateArb: fc.Arbitrary<ConfigUpdateReq> = fc.oneof(
  fc.record({ type: fc.constant('config' as const), configData: bytesArb(40) }),
  fc.record({
    type: fc.constant('kind' as const),
    kinds: fc.array(bytesArb(12), { maxLength: 4 }),
  }),
  fc.record({
    type: fc.constant('unknown' as const),
    code: fc.integer({ min: 3, max: 255 }),
    data: bytesArb(12),
  }),
);

describe('ConfigUpdateReq / ConfigUpdateAns (RFC 6940 §6.5.4)', () => {
  it('config: type 1, uint32 length, config_data<0..2^24-1>', () => {
    const { bytes } = roundTrip(ConfigUpdateReqCodec, {
      type: 'config',
      configData: enc('<x/>'),
    });
    expect(hex(bytes)).toBe('01' + '00000007' + '000004' + hex(enc('<x/>')));
  });

  it('kind: type 2, uint32 length, kinds<0..2^24-1> of KindDescription<0..2^16-1>', () => {
    const { bytes, back } = roundTrip(ConfigUpdateReqCodec, {
      type: 'kind',
      kinds: [enc('<kind/>'), enc('')],
    });
    expect(hex(bytes)).toBe('02' + '0000000e' + '00000b' + '0007' + hex(enc('<kind/>')) + '0000');
    expect(back).toMatchObject({ type: 'kind' });
    expect(hex(roundTrip(KindDescriptionCodec, enc('k')).bytes)).toBe('00016b');
  });

  it('unknown types are kept raw (the structure may be extended)', () => {
    const { back } = roundTrip(ConfigUpdateReqCodec, {
      type: 'unknown',
      code: 9,
      data: new Uint8Array([1, 2]),
    });
    expect(back).toEqual({ type: 'unknown', code: 9, data: new Uint8Array([1, 2]) });
    expectUnencodable(ConfigUpdateReqCodec, { type: 'unknown', code: 1, data: new Uint8Array(0) });
  });

  it('malformed table', () => {
    const bytes = encodeToBytes(ConfigUpdateReqCodec, { type: 'kind', kinds: [enc('<k/>')] });
    expectTruncationsAndTrailingRejected(ConfigUpdateReqCodec, bytes);
    expectInvalid(() => decodeExact(ConfigUpdateReqCodec, patched(bytes, 0, [0])), /type/);
    // length larger than the inner vector: trailing bytes inside the structure
    const longer = new Uint8Array([...bytes, 0]);
    longer[4] += 1;
    expectInvalid(() => decodeExact(ConfigUpdateReqCodec, longer), /ConfigUpdateReq.length/);
    // length smaller: the kinds vector runs past it
    expectInvalid(() => decodeExact(ConfigUpdateReqCodec, patched(bytes, 4, [bytes[4] - 1])));
    // KindDescription length past the end of kinds
    expectInvalid(() => decodeExact(ConfigUpdateReqCodec, patched(bytes, 8, [0, 9])));
    // a config arm whose length disagrees with config_data
    const cfg = encodeToBytes(ConfigUpdateReqCodec, { type: 'config', configData: enc('ab') });
    expectInvalid(
      () => decodeExact(ConfigUpdateReqCodec, patched(cfg, 5, [0, 0, 3])),
      /config_data/,
    );
  });

  it('property: random ConfigUpdateReq round-trip; mutations only throw 0x14', () => {
    propertyCheck(ConfigUpdateReqCodec, configUpdateArb);
  });

  it('ConfigUpdateAns is empty', () => {
    expect(roundTrip(ConfigUpdateAnsCodec, {}).bytes.length).toBe(0);
    expectInvalid(() => decodeExact(ConfigUpdateAnsCodec, new Uint8Array([1])));
  });
});

describe('TurnServer (RFC 6940 §9)', () => {
  it('iteration then the §6.3.1.1 example IpAddressPort 01 06 c0 00 02 01 17 c4', () => {
    const { bytes, back } = roundTrip(TurnServerCodec, {
      iteration: 1,
      serverAddress: ipAddressPort('192.0.2.1', 6084),
    });
    expect(hex(bytes)).toBe('01' + '0106c000020117c4');
    expect(back.serverAddress).toMatchObject({ addressType: 1, port: 6084 });
    expectTruncationsAndTrailingRejected(TurnServerCodec, bytes);
    expectInvalid(() => decodeExact(TurnServerCodec, patched(bytes, 1, [0])), /IpAddressPort.type/);
    expectInvalid(() => decodeExact(TurnServerCodec, patched(bytes, 2, [7])), /IpAddressPort/);
    expectUnencodable(TurnServerCodec, { iteration: 256, serverAddress: ipAddressPort('::1', 1) });
    propertyCheck(
      TurnServerCodec,
      fc.record({
        iteration: fc.nat(255),
        serverAddress: fc.record({
          addressType: fc.constant(2 as const),
          address: fc.uint8Array({ minLength: 16, maxLength: 16 }),
          port: fc.nat(0xffff),
        }),
      }),
      100,
    );
  });
});

describe('method body table by message code (RFC 6940 §14.8)', () => {
  it('names every defined method code and nothing else', () => {
    expect(methodNameOf(0x7)).toBe('store_req');
    expect(methodNameOf(0x16)).toBe('route_query_ans');
    expect(methodNameOf(0xffff)).toBe('error');
    for (const c of [0, 5, 6, 0xb, 0x1b, 0x23, 0x26, 0x8000])
      expect(methodNameOf(c)).toBeUndefined();
    const codecs = methodBodyCodecs();
    const named = Object.entries(MessageCode).filter(
      ([n]) => n !== 'invalidMessageCode' && !n.startsWith('exp_'),
    );
    for (const [, code] of named) expect(bodyCodecFor(codecs, code)).toBeDefined();
  });

  it('decodes the body of a whole message (Chord UpdateReq, Fetch with well-known kinds)', () => {
    const codecs = methodBodyCodecs({ nodeIdLength: 16 });
    const update = encodeToBytes(codecs.update_req, {
      uptime: 5,
      type: 'neighbors',
      predecessors: [new Uint8Array(16).fill(1)],
      successors: [],
    });
    const got = decodeExact(bodyCodecFor(codecs, MessageCode.update_req)!, update);
    expect(got).toMatchObject({ type: 'neighbors', uptime: 5 });
    const fetch = encodeToBytes(codecs.fetch_req, {
      resource: enc('r'),
      specifiers: [
        { kind: 3, generation: 0n, model: 'ARRAY', indices: [{ first: 0, last: 0xffffffff }] },
      ],
    });
    expect(decodeExact(codecs.fetch_req, fetch).specifiers[0]).toMatchObject({ model: 'ARRAY' });
    // opaque topology keeps the Update body raw
    const raw = methodBodyCodecs({ topology: 'opaque' });
    expect(decodeExact(raw.update_req, update)).toEqual(update);
    expect(() => methodBodyCodecs({ nodeIdLength: 12 })).toThrow(/16\.\.20/);
  });

  it('decodes the body of a whole encoded message by its message code', () => {
    const codecs = methodBodyCodecs();
    const bytes = encodeMessage({
      forwardingHeader: newForwardingHeader({
        overlay: 0x12345678,
        transactionId: 1n,
        destinationList: [{ kind: 'node', nodeId: new Uint8Array(16).fill(7) }],
      }),
      messageContents: {
        messageCode: MessageCode.ping_ans,
        messageBody: encodeToBytes(codecs.ping_ans, { responseId: 42n, time: 1000n }),
        extensions: [],
      },
      securityBlock: {
        certificates: [],
        signature: {
          algorithm: { hash: 0, signature: 0 },
          identity: { identityType: 3 },
          signatureValue: new Uint8Array(0),
        },
      },
    });
    const msg = decodeMessage(bytes);
    const codec = bodyCodecFor(codecs, msg.messageContents.messageCode);
    expect(codec).toBe(codecs.ping_ans);
    expect(decodeExact(codecs.ping_ans, msg.messageContents.messageBody)).toEqual({
      responseId: 42n,
      time: 1000n,
    });
  });
});
