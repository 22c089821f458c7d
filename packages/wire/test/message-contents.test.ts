import { describe, expect, it } from 'vitest';
import {
  ErrorResponseCodec,
  type MessageContents,
  MessageContentsCodec,
  MessageExtensionCodec,
  decodeExact,
  encodeToBytes,
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

const contents: MessageContents = {
  messageCode: 0x17,
  messageBody: unhex('0002abcd'),
  extensions: [
    { type: 1, critical: true, contents: unhex('01') },
    { type: 0x1234, critical: false, contents: new Uint8Array(0) },
  ],
};

describe('MessageExtension (RFC 6940 §6.3.3)', () => {
  it('round-trips: uint16 type, Boolean critical, opaque<0..2^32-1>', () => {
    const { bytes } = roundTrip(MessageExtensionCodec, contents.extensions[0]);
    expect(hex(bytes)).toBe('0001' + '01' + '00000001' + '01');
  });

  it('rejects malformed extensions', () => {
    const dec = (b: Uint8Array) => decodeExact(MessageExtensionCodec, b);
    const b = encodeToBytes(MessageExtensionCodec, contents.extensions[0]);
    expectAllTruncationsInvalid(dec, b);
    expectTrailingInvalid(dec, b);
    expectInvalid(() => dec(patched(b, 0, [0, 0])), /type/);
    expectInvalid(() => dec(patched(b, 2, [2])), /critical/); // Boolean is 0 or 1
    expectInvalid(() => dec(patched(b, 3, [0xff, 0xff, 0xff, 0xff])), /extension_contents/);
    expectUnencodable(() =>
      encodeToBytes(MessageExtensionCodec, { type: 0, critical: false, contents: unhex('') }),
    );
  });
});

describe('MessageContents (RFC 6940 §6.3.3)', () => {
  it('round-trips with the RFC layout', () => {
    const { bytes, back } = roundTrip(MessageContentsCodec, contents);
    expect(hex(bytes)).toBe(
      '0017' + '00000004' + '0002abcd' + '0000000f' + '0001010000000101' + '12340000000000',
    );
    expect(back).toEqual(contents);
    roundTrip(MessageContentsCodec, {
      messageCode: 0xffff,
      messageBody: unhex(''),
      extensions: [],
    });
  });

  it('rejects malformed contents', () => {
    const dec = (b: Uint8Array) => decodeExact(MessageContentsCodec, b);
    const b = encodeToBytes(MessageContentsCodec, contents);
    expectAllTruncationsInvalid(dec, b);
    expectTrailingInvalid(dec, b);
    expectInvalid(() => dec(patched(b, 0, [0, 0])), /message_code/); // invalid code 0
    expectInvalid(() => dec(patched(b, 0, [0x80, 0x00])), /message_code/); // reserved
    expectInvalid(() => dec(patched(b, 0, [0xff, 0xfe])), /message_code/); // reserved
    expectInvalid(() => dec(patched(b, 2, [0, 0, 0, 0xff])), /message_body/); // past end
    expectInvalid(() => dec(patched(b, 10, [0, 0, 0, 0x10])), /extensions/); // past end
    expectInvalid(() => dec(patched(b, 10, [0, 0, 0, 0x0e])), /MessageExtension/); // splits one
  });

  it('refuses reserved codes when encoding', () => {
    expectUnencodable(() => encodeToBytes(MessageContentsCodec, { ...contents, messageCode: 0 }));
    expectUnencodable(() =>
      encodeToBytes(MessageContentsCodec, { ...contents, messageCode: 0x8001 }),
    );
  });
});

describe('ErrorResponse (RFC 6940 §6.3.3.1)', () => {
  it('round-trips: uint16 error_code, opaque error_info<0..2^16-1>', () => {
    const e = { errorCode: 0x14, errorInfo: new TextEncoder().encode('bad') };
    const { bytes, back } = roundTrip(ErrorResponseCodec, e);
    expect(hex(bytes)).toBe('0014' + '0003' + '626164');
    expect(back).toEqual(e);
  });

  it('rejects malformed error responses', () => {
    const dec = (b: Uint8Array) => decodeExact(ErrorResponseCodec, b);
    const b = unhex('00140003626164');
    expectAllTruncationsInvalid(dec, b);
    expectTrailingInvalid(dec, b);
    expectInvalid(() => dec(patched(b, 0, [0, 0])), /error_code/);
    expectInvalid(() => dec(patched(b, 2, [0, 4])), /error_info/);
    expectUnencodable(() =>
      encodeToBytes(ErrorResponseCodec, { errorCode: 3, errorInfo: new Uint8Array(0x10000) }),
    );
  });
});
