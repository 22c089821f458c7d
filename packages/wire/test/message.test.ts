import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Destination,
  ErrorCode,
  ErrorResponseCodec,
  type ForwardingOption,
  type Message,
  type MessageExtension,
  type SecurityBlock,
  SignerIdentityCodec,
  type SignerIdentity,
  decodeForwardingHeader,
  decodeMessage,
  encodeMessage,
  encodeMessageContents,
  encodeToBytes,
  isReloadError,
  messageLength,
  messageSignatureInput,
  newForwardingHeader,
} from '@reload/wire';
import { expectInvalid, forwardingHeaderArb, hex, patched, unhex } from './message-helpers.js';

const id = (b: number, n = 16): Uint8Array => new Uint8Array(n).fill(b);

const sample: Message = {
  forwardingHeader: newForwardingHeader({
    overlay: 0xdeadbeef,
    transactionId: 0x1122334455667788n,
    configurationSequence: 3,
    viaList: [{ kind: 'node', nodeId: id(0xc0) }],
    destinationList: [
      { kind: 'compressed', id: 0x8002 },
      { kind: 'resource', resourceId: id(7) },
    ],
    options: [{ type: 1, flags: 1, value: unhex('00') }],
  }),
  messageContents: {
    messageCode: 0x9,
    messageBody: unhex('01020304'),
    extensions: [{ type: 1, critical: false, contents: unhex('aa') }],
  },
  securityBlock: {
    certificates: [{ type: 0, certificate: unhex('3003020101') }],
    signature: {
      algorithm: { hash: 4, signature: 1 },
      identity: { identityType: 1, hashAlg: 4, certificateHash: id(9, 32) },
      signatureValue: id(0x5a, 64),
    },
  },
};

describe('Message (RFC 6940 §6.3)', () => {
  it('encodes in one piece with ForwardingHeader.length = total and round-trips', () => {
    const b = encodeMessage(sample);
    expect(b.length).toBe(messageLength(sample));
    expect(new DataView(b.buffer, b.byteOffset).getUint32(16)).toBe(b.length);
    const d = decodeMessage(b);
    expect(d.forwardingHeader).toEqual({ ...sample.forwardingHeader, length: b.length });
    expect(d.messageContents).toEqual(sample.messageContents);
    expect(d.securityBlock).toEqual(sample.securityBlock);
    expect(hex(encodeMessage(d))).toBe(hex(b));
  });

  it('exposes the exact MessageContents bytes and the §6.3.4 signature input', () => {
    const b = encodeMessage(sample);
    const d = decodeMessage(b);
    expect(hex(d.contentsBytes)).toBe(hex(encodeMessageContents(sample.messageContents)));
    expect(d.contentsBytes.byteOffset - b.byteOffset).toBe(d.headerLength);
    const identity = sample.securityBlock.signature.identity;
    const input = messageSignatureInput(0xdeadbeef, 0x1122334455667788n, d.contentsBytes, identity);
    expect(hex(input)).toBe(
      'deadbeef' +
        '1122334455667788' +
        hex(d.contentsBytes) +
        hex(encodeToBytes(SignerIdentityCodec, identity)),
    );
  });

  it('decodes only the forwarding header for forwarding', () => {
    const b = encodeMessage(sample);
    const v = decodeForwardingHeader(b);
    expect(v.header.transactionId).toBe(0x1122334455667788n);
    expect(v.headerLength).toBe(decodeMessage(b).headerLength);
  });

  it('returns views of the input, not copies', () => {
    const b = encodeMessage(sample);
    const d = decodeMessage(b);
    expect(d.messageContents.messageBody.buffer).toBe(b.buffer);
    expect((d.forwardingHeader.viaList[0] as { nodeId: Uint8Array }).nodeId.buffer).toBe(b.buffer);
  });

  it('encodes a body in place from its codec, with the same bytes as a copied body', () => {
    const codec = ErrorResponseCodec;
    const value = { errorCode: 3, errorInfo: new TextEncoder().encode('not here') };
    const copied = encodeMessage({
      ...sample,
      messageContents: { ...sample.messageContents, messageBody: encodeToBytes(codec, value) },
    });
    const inPlace = encodeMessage(sample, { body: { codec, value } });
    expect(hex(inPlace)).toBe(hex(copied));
  });

  it('keeps every encoded message intact across slab boundaries and for large messages', () => {
    const made: [Uint8Array, string][] = [];
    for (let i = 0; i < 400; i++) {
      const size = (i * 997) % 9000; // crosses the 8 KiB slab limit and many slab ends
      const m: Message = {
        ...sample,
        messageContents: {
          ...sample.messageContents,
          messageBody: new Uint8Array(size).fill(i & 0xff),
        },
      };
      const b = encodeMessage(m);
      made.push([b, hex(b)]);
    }
    for (const [b, h] of made) {
      expect(hex(b)).toBe(h); // not overwritten by later messages
      expect(decodeMessage(b).forwardingHeader.length).toBe(b.length);
    }
  });

  it('rejects malformed messages', () => {
    const b = encodeMessage(sample);
    for (let n = 0; n < b.length; n++) expectInvalid(() => decodeMessage(b.subarray(0, n)));
    const longer = new Uint8Array(b.length + 1);
    longer.set(b);
    expectInvalid(() => decodeMessage(longer), /length/);
    // trailing bytes that ForwardingHeader.length accounts for
    const withTrail = patched(longer, 16, [0, 0, (b.length + 1) >> 8, (b.length + 1) & 0xff]);
    expectInvalid(() => decodeMessage(withTrail), /Message/);
    expectInvalid(() => decodeMessage(patched(b, 12, [0x80])), /fragment/); // not last: fragment
    expectInvalid(() => decodeMessage(patched(b, 0, [0, 0, 0, 0])), /relo_token/);
    expectInvalid(() => decodeMessage(patched(b, 10, [0x01])), /version/);
  });
});

// ---- property tests ---------------------------------------------------------------------

const bytes = (max: number) => fc.uint8Array({ maxLength: max });
const routeDest: fc.Arbitrary<Destination> = fc.oneof(
  fc
    .uint8Array({ minLength: 16, maxLength: 16 })
    .map((nodeId) => ({ kind: 'node' as const, nodeId })),
  bytes(20).map((opaqueId) => ({ kind: 'opaque' as const, opaqueId })),
  fc.integer({ min: 0x8000, max: 0xffff }).map((i) => ({ kind: 'compressed' as const, id: i })),
  fc.record({ type: fc.integer({ min: 4, max: 127 }), data: bytes(12) }).map((u) => ({
    kind: 'unknown' as const,
    ...u,
  })),
);
const resourceDest: fc.Arbitrary<Destination> = bytes(32).map((resourceId) => ({
  kind: 'resource' as const,
  resourceId,
}));
const option: fc.Arbitrary<ForwardingOption> = fc.record({
  type: fc.integer({ min: 1, max: 255 }),
  flags: fc.integer({ min: 0, max: 255 }),
  value: bytes(8),
});
const extension: fc.Arbitrary<MessageExtension> = fc.record({
  type: fc.integer({ min: 1, max: 0xffff }),
  critical: fc.boolean(),
  contents: bytes(16),
});
const identity: fc.Arbitrary<SignerIdentity> = fc.oneof(
  fc
    .record({ hashAlg: fc.integer({ min: 0, max: 255 }), certificateHash: bytes(64) })
    .map((v) => ({ identityType: 1 as const, ...v })),
  fc
    .record({ hashAlg: fc.integer({ min: 0, max: 255 }), certificateNodeIdHash: bytes(32) })
    .map((v) => ({ identityType: 2 as const, ...v })),
  fc.constant({ identityType: 3 as const }),
  fc.record({ identityType: fc.integer({ min: 4, max: 255 }), value: bytes(8) }),
);
const securityBlock: fc.Arbitrary<SecurityBlock> = fc.record({
  certificates: fc.array(
    fc.record({ type: fc.integer({ min: 0, max: 255 }), certificate: bytes(40) }),
    { maxLength: 2 },
  ),
  signature: fc.record({
    algorithm: fc.record({
      hash: fc.integer({ min: 0, max: 255 }),
      signature: fc.integer({ min: 0, max: 255 }),
    }),
    identity,
    signatureValue: bytes(64),
  }),
});
const messageArb: fc.Arbitrary<Message> = fc.record({
  forwardingHeader: forwardingHeaderArb(
    fc.array(routeDest, { maxLength: 4 }),
    fc
      .tuple(fc.array(routeDest, { maxLength: 3 }), fc.option(resourceDest))
      .map(([l, r]) => (r ? [...l, r] : l)),
    fc.array(option, { maxLength: 2 }),
  ),
  messageContents: fc.record({
    messageCode: fc.oneof(fc.integer({ min: 1, max: 0x7fff }), fc.constant(0xffff)),
    messageBody: bytes(64),
    extensions: fc.array(extension, { maxLength: 2 }),
  }),
  securityBlock,
});

/** Decoding may only succeed or throw ReloadError(Error_Invalid_Message). */
function decodesOrInvalid(b: Uint8Array): void {
  try {
    decodeMessage(b);
  } catch (e) {
    if (!isReloadError(e) || e.code !== ErrorCode.InvalidMessage) throw e;
  }
}

describe('Message properties (fast-check)', () => {
  it('random valid messages round-trip to identical bytes', () => {
    fc.assert(
      fc.property(messageArb, (m) => {
        const b = encodeMessage(m);
        expect(b.length).toBe(messageLength(m));
        const d = decodeMessage(b);
        expect(d.forwardingHeader).toEqual({ ...m.forwardingHeader, length: b.length });
        expect(d.messageContents).toEqual(m.messageContents);
        expect(d.securityBlock).toEqual(m.securityBlock);
        expect(hex(encodeMessage(d))).toBe(hex(b));
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes never throw anything but Error_Invalid_Message', () => {
    fc.assert(
      fc.property(bytes(300), (b) => decodesOrInvalid(b)),
      { numRuns: 2000 },
    );
    // random bytes behind a valid relo_token and version get further into the decoder
    fc.assert(
      fc.property(bytes(300), (tail) => {
        const b = new Uint8Array(38 + tail.length);
        b.set(unhex('d2454c4f00000000 0000 0a 64 c0000000'));
        new DataView(b.buffer).setUint32(16, b.length);
        b.set(tail.subarray(0, Math.max(0, tail.length)), 20);
        decodesOrInvalid(b);
      }),
      { numRuns: 2000 },
    );
  });

  it('mutated valid messages never throw anything but Error_Invalid_Message', () => {
    fc.assert(
      fc.property(
        messageArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        fc.nat(),
        (m, flips, cut) => {
          const b = encodeMessage(m);
          const x = b.slice();
          for (const [at, v] of flips) x[at % x.length] = v;
          decodesOrInvalid(x);
          decodesOrInvalid(x.subarray(0, cut % (x.length + 1)));
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('newForwardingHeader (§6.3.2 defaults, no object spread)', () => {
  it('fills the defaults and lets given fields win, undefined meaning "default"', () => {
    const dst: Destination[] = [{ kind: 'node', nodeId: id(1) }];
    const h = newForwardingHeader({ overlay: 7, transactionId: 9n, destinationList: dst });
    expect(h).toEqual({
      overlay: 7,
      configurationSequence: 0,
      version: 0x0a,
      ttl: 100,
      fragment: 0xc0000000,
      length: 0,
      transactionId: 9n,
      maxResponseLength: 0,
      viaList: [],
      destinationList: dst,
      options: [],
    });
    expect(h.destinationList).toBe(dst);
    const g = newForwardingHeader({
      overlay: 1,
      transactionId: 2n,
      destinationList: [],
      ttl: 3,
      configurationSequence: 4,
      maxResponseLength: 5,
      viaList: dst,
      options: undefined,
    });
    expect([g.ttl, g.configurationSequence, g.maxResponseLength, g.viaList, g.options]).toEqual([
      3,
      4,
      5,
      dst,
      [],
    ]);
    expect(
      newForwardingHeader({ overlay: 1, transactionId: 2n, destinationList: [] }).viaList,
    ).not.toBe(h.viaList); // fresh lists every time
  });
});

describe('ForwardingHeader fast paths (bench/wire pass 3)', () => {
  const header = (over: Partial<Message['forwardingHeader']>): Message => ({
    ...sample,
    forwardingHeader: { ...sample.forwardingHeader, ...over },
  });
  const fieldOf = (f: () => unknown): unknown => {
    try {
      f();
    } catch (e) {
      return [(e as { code?: unknown }).code, (e as { field?: unknown }).field];
    }
    return 'no error';
  };

  it('out-of-range fields still fail with their own field name', () => {
    const cases: [Partial<Message['forwardingHeader']>, string][] = [
      [{ overlay: 2 ** 32 }, 'ForwardingHeader.overlay'],
      [{ configurationSequence: 0x10000 }, 'ForwardingHeader.configuration_sequence'],
      [{ version: 256 }, 'ForwardingHeader.version'],
      [{ ttl: -1 }, 'ForwardingHeader.ttl'],
      [{ fragment: 1.5 }, 'ForwardingHeader.fragment'],
      [{ transactionId: 2n ** 64n }, 'ForwardingHeader.transaction_id'],
      [{ transactionId: -1n }, 'ForwardingHeader.transaction_id'],
      [{ maxResponseLength: NaN }, 'ForwardingHeader.max_response_length'],
    ];
    for (const [over, field] of cases) {
      expect(
        fieldOf(() => encodeMessage(header(over))),
        field,
      ).toEqual(['WIRE_UNENCODABLE', field]);
    }
    const long = { kind: 'resource', resourceId: id(1, 255) } as const;
    expect(fieldOf(() => encodeMessage(header({ destinationList: [long] })))).toEqual([
      'WIRE_UNENCODABLE',
      'Destination.length',
    ]);
    const shortNode = { kind: 'node', nodeId: id(1, 15) } as const;
    expect(fieldOf(() => encodeMessage(header({ viaList: [shortNode] })))).toEqual([
      'WIRE_UNENCODABLE',
      'Destination.node_id',
    ]);
  });

  it('round-trips transaction ids on both sides of 2^53 and the uint64 edges', () => {
    for (const tx of [0n, 2n ** 53n - 1n, 2n ** 53n, 0x8000000000000000n, 2n ** 64n - 1n]) {
      const b = encodeMessage(header({ transactionId: tx }));
      expect(decodeMessage(b).forwardingHeader.transactionId).toBe(tx);
      expect(decodeForwardingHeader(b).header.transactionId).toBe(tx);
    }
  });
});
