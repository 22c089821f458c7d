import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ErrorCode,
  type FramedMessage,
  FramedMessageCodec,
  decodeExact,
  encodeDataFrame,
  encodeToBytes,
  framedMessageLength,
  isReloadError,
} from '@reload/wire';
import {
  expectAllTruncationsInvalid,
  expectInvalid,
  expectTrailingInvalid,
  expectUnencodable,
  hex,
  roundTrip,
  unhex,
} from './message-helpers.js';

const data: FramedMessage = { type: 128, sequence: 7, message: unhex('d2454c4f') };
const ack: FramedMessage = { type: 129, ackSequence: 7, received: 0x80000001 };

describe('FramedMessage (RFC 6940 §6.6.2)', () => {
  it('round-trips data frames: type 128, uint32 sequence, opaque<0..2^24-1>', () => {
    const { bytes } = roundTrip(FramedMessageCodec, data);
    expect(hex(bytes)).toBe('80' + '00000007' + '000004' + 'd2454c4f');
    expect(hex(encodeDataFrame(7, unhex('d2454c4f')))).toBe(hex(bytes));
  });

  it('round-trips ack frames: type 129, ack_sequence, received', () => {
    const { bytes } = roundTrip(FramedMessageCodec, ack);
    expect(hex(bytes)).toBe('81' + '00000007' + '80000001');
  });

  it('tells a stream reader how long the next frame is', () => {
    const two = new Uint8Array([
      ...encodeToBytes(FramedMessageCodec, data),
      ...encodeToBytes(FramedMessageCodec, ack),
    ]);
    expect(framedMessageLength(two, 0)).toBe(12);
    expect(framedMessageLength(two, 12)).toBe(9);
    expect(framedMessageLength(two.subarray(0, 7), 0)).toBeUndefined();
    expect(framedMessageLength(two, two.length)).toBeUndefined();
    expectInvalid(() => framedMessageLength(unhex('7f'), 0), /type/);
  });

  it('rejects malformed frames', () => {
    const dec = (b: Uint8Array) => decodeExact(FramedMessageCodec, b);
    for (const f of [data, ack]) {
      const b = encodeToBytes(FramedMessageCodec, f);
      expectAllTruncationsInvalid(dec, b);
      expectTrailingInvalid(dec, b);
    }
    expectInvalid(() => dec(unhex('7f00000000')), /type/);
    expectInvalid(() => dec(unhex('8000000000ffffff00')), /message/);
    expectUnencodable(() => encodeDataFrame(1, new Uint8Array(0x1000000)));
    expectUnencodable(() => encodeDataFrame(-1, new Uint8Array(0)));
    expectUnencodable(() =>
      encodeToBytes(FramedMessageCodec, { type: 129, ackSequence: 1, received: 2 ** 32 }),
    );
  });

  it('random bytes never throw anything but Error_Invalid_Message', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
        try {
          decodeExact(FramedMessageCodec, b);
        } catch (e) {
          if (!isReloadError(e) || e.code !== ErrorCode.InvalidMessage) throw e;
        }
      }),
      { numRuns: 500 },
    );
  });
});
